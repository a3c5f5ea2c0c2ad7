//! The PINN zoo: ready-made problems with exact or high-accuracy references, each described by
//! one serialisable [`PinnExperiment`] at a smoke or a paper [`Scale`].
//!
//! | problem | equation | reference | precision |
//! |---|---|---|---|
//! | [`ProblemKind::Decay`] | dy/dt + y = 0, y(0) = 1, t ∈ [0, 5] (the tutorial) | e^{−t} | f32 |
//! | [`ProblemKind::DecayAdam`] | the same, tanh + Adam | e^{−t} | f64 |
//! | [`ProblemKind::Heat`] | u_t = α u_xx on [0, 1] × [0, 1], α = 0.1 | e^{−απ²t} sin πx | f64 |
//! | [`ProblemKind::Poisson`] | −Δu = 2π² sin πx sin πy on [0, 1]², u = 0 on ∂Ω | sin πx sin πy | f64 |
//! | [`ProblemKind::Burgers`] | Raissi et al. 2019 (ν = 0.01/π) | Cole–Hopf | f64 |
//! | [`ProblemKind::AllenCahn`] | u_t = 1e-4 u_xx − 5u³ + 5u, periodic (Raissi et al. 2019) | spectral ETDRK4 | f64 |
//!
//! **Precision.** The tutorial runs in f32 as its PyTorch original does: plain SGD stalls at
//! errors around 1e-2, far above f32 round-off. Every problem that asks for a relative L2
//! error of 1e-3 or below runs in f64 on the CPU: L-BFGS builds its curvature pairs from
//! gradient differences, which at losses near 1e-6 lose most of their digits in f32 and make
//! the line search fail early; Adam's last digits of decay likewise need f64. f64 costs about
//! twice the time of f32 per step on the CPU. Any problem can be switched with
//! `precision = "f32"`.
//!
//! ```
//! use fluxion_pinn::zoo::{PinnExperiment, ProblemKind, Scale};
//! let mut exp = PinnExperiment::defaults(ProblemKind::Decay, Scale::Smoke);
//! exp.epochs = 5;
//! let (mut trainer, reference) = exp.build()?.into_trainer()?;
//! let report = trainer.train()?;
//! let err = trainer.evaluate(&reference.target, &reference.eval_counts)?;
//! assert!(err.rel_l2.is_finite());
//! assert_eq!(report.history.len(), 5);
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

mod allen_cahn;
mod burgers;
mod decay;
mod heat;
mod poisson;

use std::path::PathBuf;

use fluxion_nn::{Activation, Mlp, WeightInit};
use fluxion_tensor::{DType, Device};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::Target;
use crate::config::{FirstOrder, LbfgsCurvature, LbfgsPhase, StepLrConfig, TrainConfig};
use crate::problem::PinnProblem;
use crate::sampler::SamplerConfig;
use crate::train::PinnTrainer;
use crate::{Error, Result};

pub use allen_cahn::allen_cahn_reference_target;
pub use burgers::{
    burgers_initial_boundary_points, burgers_reference_target, BURGERS_PAPER_REL_L2,
};
pub use heat::HEAT_ALPHA;

/// A problem of the zoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The tutorial ODE dy/dt + y = 0 with LeakyReLU and SGD.
    Decay,
    /// The same ODE with tanh, Adam and input scaling (relative L2 below 1e-3).
    DecayAdam,
    /// The 1-D heat equation with one sine mode.
    Heat,
    /// The 2-D Poisson equation with a manufactured solution and Dirichlet data.
    Poisson,
    /// Raissi et al.'s Burgers problem, L-BFGS only.
    Burgers,
    /// Raissi et al.'s Allen–Cahn problem as a continuous-time PINN.
    AllenCahn,
}

impl ProblemKind {
    /// The name used in configurations and output directories.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Decay => "decay",
            ProblemKind::DecayAdam => "decay_adam",
            ProblemKind::Heat => "heat",
            ProblemKind::Poisson => "poisson",
            ProblemKind::Burgers => "burgers",
            ProblemKind::AllenCahn => "allen_cahn",
        }
    }
}

/// How large a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// About a minute on a laptop CPU (tests, CI).
    Smoke,
    /// The paper's or tutorial's sizes.
    Paper,
}

/// Floating-point precision of the network and the points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit.
    F32,
    /// 64-bit.
    F64,
}

impl Precision {
    /// The tensor dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F64 => DType::F64,
        }
    }
}

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivationKind {
    /// tanh.
    Tanh,
    /// LeakyReLU with PyTorch's slope 0.01.
    LeakyRelu,
    /// ReLU.
    Relu,
    /// sin.
    Sin,
    /// GELU.
    Gelu,
    /// SiLU.
    Silu,
}

impl ActivationKind {
    fn activation(self) -> Activation {
        match self {
            ActivationKind::Tanh => Activation::Tanh,
            ActivationKind::LeakyRelu => Activation::LeakyRelu(0.01),
            ActivationKind::Relu => Activation::Relu,
            ActivationKind::Sin => Activation::Sin,
            ActivationKind::Gelu => Activation::Gelu,
            ActivationKind::Silu => Activation::Silu,
        }
    }
}

/// Weight initialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitKind {
    /// PyTorch's `nn.Linear` default.
    TorchDefault,
    /// Glorot uniform.
    XavierUniform,
    /// Glorot normal.
    XavierNormal,
    /// Glorot normal truncated at ±2σ (TensorFlow 1's `truncated_normal`: Raissi et al.'s code).
    XavierTruncatedNormal,
}

impl InitKind {
    fn init(self) -> WeightInit {
        match self {
            InitKind::TorchDefault => WeightInit::TorchDefault,
            InitKind::XavierUniform => WeightInit::XavierUniform,
            InitKind::XavierNormal => WeightInit::XavierNormal,
            InitKind::XavierTruncatedNormal => WeightInit::XavierTruncatedNormal,
        }
    }
}

/// How the residual's collocation points are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    /// A fixed grid.
    Grid,
    /// Uniform random points.
    Random,
    /// The grid plus N(0, σ²) noise (`jitter_sigma`), redrawn as `resample_every` says.
    JitteredGrid,
    /// Latin hypercube.
    LatinHypercube,
    /// Scrambled Sobol.
    Sobol,
}

/// The first-order optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam with β = (0.9, 0.999), ε = 1e-8.
    Adam,
    /// Plain SGD without momentum.
    Sgd,
}

fn default_max_chunks() -> usize {
    TrainConfig::default().max_chunks
}

/// One zoo experiment: the problem and every setting of its network, points and training.
///
/// Every field but `max_chunks` is required in a TOML file (unknown keys are errors); start from
/// [`PinnExperiment::defaults`] — `fluxion reproduce` writes the one it used as
/// `config.toml`. Counts of 0 switch a feature off where the field says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinnExperiment {
    /// The zoo problem.
    pub problem: ProblemKind,
    /// The scale the defaults came from (reported; the fields below decide the run).
    pub scale: Scale,
    /// f32 or f64 (see the module docs for each problem's choice).
    pub precision: Precision,
    /// Hidden-layer widths; the input and output widths come from the problem.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: ActivationKind,
    /// Weight initialisation.
    pub init: InitKind,
    /// Seed of the initial weights.
    pub net_seed: u64,
    /// Map every input axis affinely to [−1, 1] before the network (Raissi et al.).
    pub scale_inputs: bool,
    /// Residual (collocation) points N_f.
    pub residual_points: usize,
    /// Their sampler.
    pub sampler: SamplerKind,
    /// σ of the jittered grid (only for `sampler = "jittered_grid"`).
    pub jitter_sigma: f64,
    /// Initial/boundary points per condition (Burgers: N_u in total, drawn as Raissi did).
    pub boundary_points: usize,
    /// First-order epochs (0: none).
    pub epochs: usize,
    /// The first-order optimizer.
    pub optimizer: OptimizerKind,
    /// Its learning rate.
    pub lr: f64,
    /// Multiply the learning rate by `lr_decay_gamma` every this many epochs (0: constant).
    pub lr_decay_every: usize,
    /// The decay factor.
    pub lr_decay_gamma: f64,
    /// Most L-BFGS iterations after the first-order phase (0: no L-BFGS phase).
    pub lbfgs_iterations: usize,
    /// L-BFGS iterations per reported step (progress and checkpoint granularity).
    pub lbfgs_iterations_per_step: usize,
    /// Curvature pairs kept by L-BFGS.
    pub lbfgs_history: usize,
    /// L-BFGS stops when max|∇L| ≤ this (SciPy's `gtol`, 1e-5 by default).
    pub lbfgs_tolerance_grad: f64,
    /// L-BFGS stops when the loss changes by less than this in an iteration (SciPy's `ftol`
    /// times max(|L|, 1), which is this absolute value for losses below 1).
    pub lbfgs_tolerance_change: f64,
    /// Which curvature pairs L-BFGS keeps: `"relative"` (SciPy's L-BFGS-B, yᵀs > ε·(−∇Lᵀs);
    /// every zoo problem's default) or `"absolute"` (PyTorch, yᵀs > 1e-10, which drops most
    /// pairs once the loss nears 1e-6). Optional in TOML: files written before the key existed
    /// ran, and so keep, the absolute rule.
    #[serde(default)]
    pub lbfgs_curvature: LbfgsCurvature,
    /// Re-draw stochastic points every this many epochs (1: every epoch; 0: never).
    pub resample_every: usize,
    /// Most row chunks per loss term for data-parallel evaluation (1: one graph per term; see
    /// [`crate::chunk_ranges`]). Optional in TOML (default 8); results do not depend on the
    /// thread count.
    #[serde(default = "default_max_chunks")]
    pub max_chunks: usize,
    /// Checkpoint every this many epochs (and after every L-BFGS step; 0: never).
    pub checkpoint_every: usize,
    /// Seed of the point streams.
    pub seed: u64,
    /// Evaluation grid: points per axis, ends included.
    pub eval_points: Vec<usize>,
}

/// A published or reference value to compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The value of the metric.
    pub value: f64,
    /// Where it comes from.
    pub source: String,
}

/// How a trained network is scored: the reference, its grid and the number to compare with.
#[derive(Debug, Clone)]
pub struct ZooReference {
    /// The reference solution, for [`PinnTrainer::evaluate`].
    pub target: Target,
    /// The evaluation grid (points per axis, ends included).
    pub eval_counts: Vec<usize>,
    /// The published or reference relative L2 error, where there is one.
    pub published: Option<Published>,
    /// A one-line description of the setup followed.
    pub setup: String,
}

/// A built zoo problem: everything a [`PinnTrainer`] needs, and its [`ZooReference`].
#[derive(Debug)]
pub struct ZooProblem {
    /// The problem.
    pub problem: PinnProblem,
    /// The network, initialised.
    pub net: Mlp,
    /// The training settings.
    pub train: TrainConfig,
    /// How the result is scored.
    pub reference: ZooReference,
}

impl ZooProblem {
    /// A trainer for the problem, and the reference to evaluate it with.
    ///
    /// # Errors
    /// As [`PinnTrainer::new`].
    pub fn into_trainer(self) -> Result<(PinnTrainer<Mlp>, ZooReference)> {
        Ok((
            PinnTrainer::new(self.problem, self.net, self.train)?,
            self.reference,
        ))
    }
}

impl PinnExperiment {
    /// The documented defaults of `problem` at `scale` (see each problem's module).
    pub fn defaults(problem: ProblemKind, scale: Scale) -> PinnExperiment {
        match problem {
            ProblemKind::Decay => decay::tutorial_defaults(scale),
            ProblemKind::DecayAdam => decay::adam_defaults(scale),
            ProblemKind::Heat => heat::defaults(scale),
            ProblemKind::Poisson => poisson::defaults(scale),
            ProblemKind::Burgers => burgers::defaults(scale),
            ProblemKind::AllenCahn => allen_cahn::defaults(scale),
        }
    }

    /// Checks the settings that the library types do not check themselves.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the field: an empty or zero hidden width, zero
    /// points, an evaluation grid of the wrong dimension, a non-positive learning rate, a
    /// decay factor outside (0, 1], zero L-BFGS step or history sizes.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, why: String| {
            Err(Error::invalid("PinnExperiment", format!("{field}: {why}")))
        };
        if self.max_chunks == 0 {
            return bad(
                "max_chunks",
                "must be ≥ 1 (1: one graph per loss term)".to_string(),
            );
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return bad(
                "hidden",
                format!("needs ≥ 1 layer of width ≥ 1, got {:?}", self.hidden),
            );
        }
        if self.residual_points == 0 || self.boundary_points == 0 {
            return bad("residual_points/boundary_points", "must be ≥ 1".to_string());
        }
        let dims = self.input_dim();
        if self.eval_points.len() != dims || self.eval_points.contains(&0) {
            return bad(
                "eval_points",
                format!(
                    "needs {dims} counts ≥ 1 for {}, got {:?}",
                    self.problem.name(),
                    self.eval_points
                ),
            );
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", format!("must be finite and > 0, got {}", self.lr));
        }
        if self.lr_decay_every > 0 && !(self.lr_decay_gamma > 0.0 && self.lr_decay_gamma <= 1.0) {
            return bad(
                "lr_decay_gamma",
                format!("must be in (0, 1], got {}", self.lr_decay_gamma),
            );
        }
        if self.lbfgs_iterations > 0
            && (self.lbfgs_iterations_per_step == 0 || self.lbfgs_history == 0)
        {
            return bad(
                "lbfgs_iterations_per_step/lbfgs_history",
                "must be ≥ 1 with an L-BFGS phase".to_string(),
            );
        }
        if self.epochs == 0 && self.lbfgs_iterations == 0 {
            return bad(
                "epochs/lbfgs_iterations",
                "nothing to train: both are 0".to_string(),
            );
        }
        Ok(())
    }

    /// Input columns of the problem's network.
    pub fn input_dim(&self) -> usize {
        match self.problem {
            ProblemKind::Decay | ProblemKind::DecayAdam => 1,
            ProblemKind::Heat
            | ProblemKind::Poisson
            | ProblemKind::Burgers
            | ProblemKind::AllenCahn => 2,
        }
    }

    /// The residual sampler.
    pub fn sampler_config(&self) -> SamplerConfig {
        match self.sampler {
            SamplerKind::Grid => SamplerConfig::Grid { counts: None },
            SamplerKind::Random => SamplerConfig::Random,
            SamplerKind::JitteredGrid => SamplerConfig::JitteredGrid {
                sigma: self.jitter_sigma,
                counts: None,
            },
            SamplerKind::LatinHypercube => SamplerConfig::LatinHypercube,
            SamplerKind::Sobol => SamplerConfig::Sobol,
        }
    }

    /// The network: input width, `hidden`, one output.
    ///
    /// # Errors
    /// Network construction errors.
    pub fn network(&self) -> Result<Mlp> {
        self.network_on(&Device::Cpu)
    }

    /// [`PinnExperiment::network`] with its parameters on `device`.
    ///
    /// # Errors
    /// Network construction errors.
    pub fn network_on(&self, device: &Device) -> Result<Mlp> {
        let mut widths = vec![self.input_dim()];
        widths.extend(&self.hidden);
        widths.push(1);
        Ok(Mlp::builder(&widths)
            .activation(self.activation.activation())
            .init(self.init.init())
            .dtype(self.precision.dtype())
            .seed(self.net_seed)
            .device(device)
            .build()?)
    }

    /// The trainer settings (no checkpoint directory; set `checkpoint_dir` to use
    /// `checkpoint_every`).
    pub fn train_config(&self, checkpoint_dir: Option<PathBuf>) -> TrainConfig {
        let optimizer = match self.optimizer {
            OptimizerKind::Adam => FirstOrder::adam(self.lr),
            OptimizerKind::Sgd => FirstOrder::sgd(self.lr),
        };
        let lbfgs = (self.lbfgs_iterations > 0).then(|| LbfgsPhase {
            steps: self
                .lbfgs_iterations
                .div_ceil(self.lbfgs_iterations_per_step),
            max_iter: self.lbfgs_iterations_per_step,
            history_size: self.lbfgs_history,
            tolerance_grad: self.lbfgs_tolerance_grad,
            tolerance_change: self.lbfgs_tolerance_change,
            lr: 1.0,
            stop_when_converged: true,
            curvature: self.lbfgs_curvature,
        });
        let checkpoint_every = if checkpoint_dir.is_some() {
            self.checkpoint_every
        } else {
            0
        };
        TrainConfig {
            epochs: self.epochs,
            optimizer,
            step_lr: (self.lr_decay_every > 0).then_some(StepLrConfig {
                step_size: self.lr_decay_every,
                gamma: self.lr_decay_gamma,
            }),
            lbfgs,
            resample_every: self.resample_every,
            max_chunks: self.max_chunks,
            checkpoint_every,
            checkpoint_dir,
            seed: self.seed,
            ..Default::default()
        }
    }

    /// Builds the problem, network, training settings and reference.
    ///
    /// # Errors
    /// [`PinnExperiment::validate`]'s errors; problem and network construction errors;
    /// reference errors.
    pub fn build(&self) -> Result<ZooProblem> {
        self.build_with(None, &Device::Cpu)
    }

    /// [`PinnExperiment::build`] with the network on `device` and checkpoints written under
    /// `checkpoint_dir` every `checkpoint_every` epochs and after every L-BFGS step.
    ///
    /// # Errors
    /// As [`PinnExperiment::build`].
    pub fn build_with(
        &self,
        checkpoint_dir: Option<PathBuf>,
        device: &Device,
    ) -> Result<ZooProblem> {
        self.validate()?;
        let (problem, reference, published, setup) = match self.problem {
            ProblemKind::Decay | ProblemKind::DecayAdam => decay::build(self)?,
            ProblemKind::Heat => heat::build(self)?,
            ProblemKind::Poisson => poisson::build(self)?,
            ProblemKind::Burgers => burgers::build(self)?,
            ProblemKind::AllenCahn => allen_cahn::build(self)?,
        };
        Ok(ZooProblem {
            problem,
            net: self.network_on(device)?,
            train: self.train_config(checkpoint_dir),
            reference: ZooReference {
                target: reference,
                eval_counts: self.eval_points.clone(),
                published,
                setup,
            },
        })
    }
}

/// What each problem module's `build` returns.
type Built = (PinnProblem, Target, Option<Published>, String);

/// A description of the network and optimizer for the setup line.
fn describe(e: &PinnExperiment) -> String {
    let mut widths = vec![e.input_dim().to_string()];
    widths.extend(e.hidden.iter().map(usize::to_string));
    widths.push("1".into());
    let mut s = format!(
        "{} {:?} {:?}, N_f={} {:?}",
        widths.join("-"),
        e.activation,
        e.precision,
        e.residual_points,
        e.sampler
    );
    if e.epochs > 0 {
        s += &format!(", {:?} lr {:e} × {} epochs", e.optimizer, e.lr, e.epochs);
    }
    if e.lbfgs_iterations > 0 {
        s += &format!(
            ", L-BFGS ≤ {} it (history {}, ftol {:e}, {:?} curvature test)",
            e.lbfgs_iterations, e.lbfgs_history, e.lbfgs_tolerance_change, e.lbfgs_curvature
        );
    }
    s
}
