//! Training settings and the serialisable records a run produces.

use std::path::PathBuf;

use fluxion_nn::CurvatureTest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::refine::Refinement;
use crate::weighting::WeightingConfig;
use crate::{Error, Result};

/// The first-order optimizer of the first phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FirstOrder {
    /// Adam (Kingma & Ba 2015) with PyTorch's arithmetic.
    Adam {
        /// Learning rate.
        lr: f64,
        /// β₁ (0.9).
        beta1: f64,
        /// β₂ (0.999).
        beta2: f64,
        /// ε (1e-8).
        eps: f64,
    },
    /// Plain SGD with optional momentum (the PINN tutorial: lr 8e-3, no momentum).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum (0 for none).
        momentum: f64,
    },
}

impl FirstOrder {
    /// Adam with learning rate `lr` and PyTorch's other defaults.
    pub fn adam(lr: f64) -> Self {
        FirstOrder::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// SGD without momentum.
    pub fn sgd(lr: f64) -> Self {
        FirstOrder::Sgd { lr, momentum: 0.0 }
    }
}

/// Multiply the learning rate by `gamma` every `step_size` epochs (PyTorch's `StepLR`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLrConfig {
    /// Epochs per decay.
    pub step_size: usize,
    /// Factor per decay.
    pub gamma: f64,
}

/// Which curvature pairs (s, y) L-BFGS keeps ([`CurvatureTest`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LbfgsCurvature {
    /// yᵀs > 1e-10, as PyTorch's `torch.optim.LBFGS`. The threshold does not scale with the
    /// loss: at losses of 1e-6 most pairs are dropped. The default, for PyTorch parity.
    #[default]
    Absolute,
    /// yᵀs > ε_mach·(−∇fᵀs), as SciPy's L-BFGS-B (Raissi et al.'s optimizer): scale-free.
    Relative,
}

impl LbfgsCurvature {
    /// The optimizer's rule.
    pub fn test(self) -> CurvatureTest {
        match self {
            LbfgsCurvature::Absolute => CurvatureTest::TORCH,
            LbfgsCurvature::Relative => CurvatureTest::SCIPY,
        }
    }
}

/// The L-BFGS phase that follows the first-order one, with a strong-Wolfe line search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LbfgsPhase {
    /// Optimizer steps (each up to `max_iter` iterations).
    pub steps: usize,
    /// Iterations per step (PyTorch's `max_iter`).
    pub max_iter: usize,
    /// Curvature pairs kept.
    pub history_size: usize,
    /// Stop when max|∇L| ≤ this.
    pub tolerance_grad: f64,
    /// Stop when the step or the loss change is below this.
    pub tolerance_change: f64,
    /// Initial step length.
    pub lr: f64,
    /// End the phase at the first step that stops on a tolerance rather than on its
    /// iteration or evaluation budget (like SciPy's L-BFGS-B, which Raissi et al. used);
    /// otherwise every one of the `steps` calls runs.
    #[serde(default)]
    pub stop_when_converged: bool,
    /// Which curvature pairs are kept (absent in older files: PyTorch's absolute rule).
    #[serde(default)]
    pub curvature: LbfgsCurvature,
}

impl Default for LbfgsPhase {
    fn default() -> Self {
        LbfgsPhase {
            steps: 10,
            max_iter: 500,
            history_size: 50,
            tolerance_grad: 1e-9,
            tolerance_change: 1e-12,
            lr: 1.0,
            stop_when_converged: false,
            curvature: LbfgsCurvature::Absolute,
        }
    }
}

/// Everything a [`crate::PinnTrainer`] needs besides the problem and the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Epochs (optimizer steps) of the first-order phase.
    pub epochs: usize,
    /// Its optimizer.
    pub optimizer: FirstOrder,
    /// An optional step decay of its learning rate.
    pub step_lr: Option<StepLrConfig>,
    /// An optional L-BFGS phase afterwards.
    pub lbfgs: Option<LbfgsPhase>,
    /// Loss weighting.
    pub weighting: WeightingConfig,
    /// Re-draw stochastic samplers' points every this many epochs (1: every epoch; 0: never).
    pub resample_every: usize,
    /// Residual-based refinement of the residual's points.
    pub refinement: Option<Refinement>,
    /// Save a checkpoint every this many epochs (0: never).
    pub checkpoint_every: usize,
    /// Where checkpoints go (needed when `checkpoint_every` > 0).
    pub checkpoint_dir: Option<PathBuf>,
    /// Seed of every sampler stream and of ReLoBRaLo's lookback.
    pub seed: u64,
    /// Most row chunks a term's points are split into for data-parallel evaluation (see
    /// [`chunk_ranges`](crate::chunk_ranges)); 1 evaluates each term as one graph. The split
    /// never depends on the thread count, so results are the same on any machine. On a GPU
    /// each term is always one graph.
    #[serde(default = "default_max_chunks")]
    pub max_chunks: usize,
}

fn default_max_chunks() -> usize {
    8
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 1000,
            optimizer: FirstOrder::adam(1e-3),
            step_lr: None,
            lbfgs: None,
            weighting: WeightingConfig::Static,
            resample_every: 1,
            refinement: None,
            checkpoint_every: 0,
            checkpoint_dir: None,
            seed: 0,
            max_chunks: default_max_chunks(),
        }
    }
}

impl TrainConfig {
    /// Checks the settings (the optimizers check their own values when built).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for checkpoints without a directory or invalid weighting or
    /// refinement settings.
    pub fn validate(&self) -> Result<()> {
        if self.checkpoint_every > 0 && self.checkpoint_dir.is_none() {
            return Err(Error::invalid(
                "TrainConfig",
                "checkpoint_every > 0 needs checkpoint_dir",
            ));
        }
        if self.max_chunks == 0 {
            return Err(Error::invalid(
                "TrainConfig",
                "max_chunks must be ≥ 1 (1 evaluates each loss term as one graph)",
            ));
        }
        self.weighting.validate()?;
        if let Some(r) = &self.refinement {
            r.validate()?;
        }
        if let Some(l) = &self.lbfgs {
            if l.steps == 0 || l.max_iter == 0 || l.history_size == 0 {
                return Err(Error::invalid(
                    "TrainConfig::lbfgs",
                    "steps, max_iter and history_size must be ≥ 1",
                ));
            }
        }
        Ok(())
    }
}

/// Which optimizer produced a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The Adam phase.
    Adam,
    /// The SGD phase.
    Sgd,
    /// The L-BFGS phase.
    Lbfgs,
}

/// One optimizer step: what the observer sees and the history keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch (first-order phase) or step (L-BFGS phase), counted from 0 within the phase.
    pub epoch: u64,
    /// The phase.
    pub phase: Phase,
    /// Σ wᵢ Lᵢ before the step.
    pub loss: f64,
    /// Each unweighted Lᵢ, in term order.
    pub terms: Vec<f64>,
    /// Each weight wᵢ used.
    pub weights: Vec<f64>,
    /// Learning rate of the step.
    pub lr: f64,
    /// Wall time of the step in milliseconds.
    pub ms: f64,
}

/// Error of the network against a reference on a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// ‖u − u*‖₂ / ‖u*‖₂ over every grid point and component.
    pub rel_l2: f64,
    /// max |u − u*|.
    pub max_abs: f64,
    /// Grid points.
    pub points: usize,
}

/// What [`crate::PinnTrainer::train`] returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Term names, in the order of each record's `terms`.
    pub term_names: Vec<String>,
    /// Every step of this run (since construction or resume).
    pub history: Vec<EpochRecord>,
    /// Seconds in the first-order phase.
    pub first_order_seconds: f64,
    /// Seconds in the L-BFGS phase.
    pub lbfgs_seconds: f64,
    /// Mean milliseconds per first-order epoch.
    pub ms_per_epoch: f64,
    /// Final loss.
    pub final_loss: f64,
}
