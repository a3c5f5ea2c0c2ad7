//! Loss weighting: static weights, learning-rate annealing (Wang, Teng & Perdikaris 2021) and
//! ReLoBRaLo (Bischof & Kraus 2021).
//!
//! The weight applied to term i is sᵢ·λᵢ: its static weight sᵢ (from the problem) times the
//! adaptive factor λᵢ, which is 1 throughout for [`WeightingConfig::Static`].
//!
//! **Annealing** (Wang, Teng & Perdikaris, "Understanding and mitigating gradient flow
//! pathologies in physics-informed neural networks", SIAM J. Sci. Comput. 43, 2021, Alg. 1):
//! every `every` steps, for each condition term i,
//!
//! ```text
//! λ̂ᵢ = max_θ |∇_θ L_r(θ)| / mean_θ |∇_θ Lᵢ(θ)|,     λᵢ ← (1 − α)·λᵢ + α·λ̂ᵢ
//! ```
//!
//! with L_r the residual (the maximum over residual components when there are several, whose
//! own λ stays 1) and α = 0.1 by default.
//!
//! **ReLoBRaLo** (Bischof & Kraus, "Multi-objective loss balancing for physics-informed deep
//! learning", arXiv:2110.09813, eqs. 8–11): with m terms, temperature T, and Lᵢ(t) the
//! unweighted losses at step t,
//!
//! ```text
//! bal_i(t, t') = m · exp(Lᵢ(t)/(T·Lᵢ(t'))) / Σⱼ exp(Lⱼ(t)/(T·Lⱼ(t')))
//! hist_i(t)    = ρ·λᵢ(t−1) + (1 − ρ)·bal_i(t, 0)          ρ ~ Bernoulli(E[ρ])
//! λᵢ(t)        = α·hist_i(t) + (1 − α)·bal_i(t, t−1)
//! ```
//!
//! The Bernoulli "random lookback" ρ is drawn from the (seed, step) stream, so a resumed run
//! draws the same ρ. A term whose loss falls more slowly than the others gets more weight.

use std::collections::BTreeMap;

use fluxion_tensor::random::uniform_f64;
use fluxion_tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::sampler::mix64;
use crate::{Error, Result};

/// How loss weights evolve (serialisable for configs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WeightingConfig {
    /// The problem's static weights, unchanged.
    #[default]
    Static,
    /// Learning-rate annealing by gradient statistics (Wang et al. 2021).
    Annealing {
        /// Smoothing α ∈ (0, 1] (paper: 0.1).
        alpha: f64,
        /// Steps between updates (≥ 1).
        every: usize,
    },
    /// Relative loss balancing with random lookback (Bischof & Kraus 2021).
    Relobralo {
        /// Memory α ∈ [0, 1] (0.999 by default).
        alpha: f64,
        /// Expected lookback E[ρ] ∈ [0, 1] (0.999 by default).
        rho: f64,
        /// Temperature T > 0 (0.1 by default).
        temperature: f64,
    },
}

impl WeightingConfig {
    /// Annealing with the paper's α = 0.1, updated every 10 steps.
    pub fn annealing() -> Self {
        WeightingConfig::Annealing {
            alpha: 0.1,
            every: 10,
        }
    }

    /// ReLoBRaLo with α = 0.999, E[ρ] = 0.999, T = 0.1: the values of the widely used PyTorch
    /// port of the authors' TensorFlow code (Khadrawi/ReLoBRaLo_PyTorch). For comparison: the
    /// authors' `train.py` defaults are α = 0.999, ρ = 1 (no lookback), T = 1, chosen per task by
    /// Bayesian optimisation; neuraloperator's `Relobralo` uses α = 0.95, E[ρ] = 0.99, τ = 1.
    pub fn relobralo() -> Self {
        WeightingConfig::Relobralo {
            alpha: 0.999,
            rho: 0.999,
            temperature: 0.1,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the setting out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |r: String| Err(Error::invalid("WeightingConfig", r));
        match *self {
            WeightingConfig::Static => Ok(()),
            WeightingConfig::Annealing { alpha, every } => {
                if !(alpha > 0.0 && alpha <= 1.0) || every == 0 {
                    return bad(format!(
                        "annealing needs 0 < alpha ≤ 1 and every ≥ 1, got {alpha}, {every}"
                    ));
                }
                Ok(())
            }
            WeightingConfig::Relobralo {
                alpha,
                rho,
                temperature,
            } => {
                if !((0.0..=1.0).contains(&alpha)
                    && (0.0..=1.0).contains(&rho)
                    && temperature > 0.0
                    && temperature.is_finite())
                {
                    return bad(format!(
                        "relobralo needs alpha, rho in [0, 1] and temperature > 0, got {alpha}, {rho}, {temperature}"
                    ));
                }
                Ok(())
            }
        }
    }
}

/// max|g| and mean|g| over every entry of the gradients `grads` (of one loss term with
/// respect to every parameter).
///
/// # Errors
/// Tensor errors.
pub fn gradient_stats(grads: &[Tensor]) -> Result<(f64, f64)> {
    let (mut max, mut sum, mut n) = (0.0f64, 0.0f64, 0usize);
    for g in grads {
        let v = g.to_dtype(fluxion_tensor::DType::F64)?.to_vec::<f64>()?;
        n += v.len();
        for x in v {
            max = max.max(x.abs());
            sum += x.abs();
        }
    }
    Ok((max, if n > 0 { sum / n as f64 } else { 0.0 }))
}

/// The weighting state of a training run.
#[derive(Debug, Clone)]
pub struct LossWeighting {
    config: WeightingConfig,
    statics: Vec<f64>,
    lambda: Vec<f64>,
    first: Option<Vec<f64>>,
    prev: Option<Vec<f64>>,
    n_residual: usize,
    seed: u64,
}

impl LossWeighting {
    /// Weighting for terms with `statics` weights, the first `n_residual` being residuals.
    ///
    /// # Errors
    /// As [`WeightingConfig::validate`]; for `n_residual` 0 or above the term count.
    pub fn new(
        config: WeightingConfig,
        statics: Vec<f64>,
        n_residual: usize,
        seed: u64,
    ) -> Result<Self> {
        config.validate()?;
        if n_residual == 0 || n_residual > statics.len() {
            return Err(Error::invalid(
                "LossWeighting::new",
                format!("{n_residual} residual terms of {}", statics.len()),
            ));
        }
        Ok(LossWeighting {
            config,
            lambda: vec![1.0; statics.len()],
            statics,
            first: None,
            prev: None,
            n_residual,
            seed,
        })
    }

    /// The settings.
    pub fn config(&self) -> &WeightingConfig {
        &self.config
    }

    /// The weights sᵢ·λᵢ applied now.
    pub fn weights(&self) -> Vec<f64> {
        self.statics
            .iter()
            .zip(&self.lambda)
            .map(|(s, l)| s * l)
            .collect()
    }

    /// The adaptive factors λᵢ.
    pub fn lambdas(&self) -> &[f64] {
        &self.lambda
    }

    /// Whether step `step` needs per-term gradient statistics ([`LossWeighting::update_gradients`]).
    pub fn needs_gradients(&self, step: u64) -> bool {
        matches!(self.config, WeightingConfig::Annealing { every, .. } if step.is_multiple_of(every as u64))
    }

    /// Annealing update from each term's (max|∇L|, mean|∇L|) (Wang et al. 2021, Alg. 1).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for the wrong number of entries.
    pub fn update_gradients(&mut self, stats: &[(f64, f64)]) -> Result<()> {
        let WeightingConfig::Annealing { alpha, .. } = self.config else {
            return Ok(());
        };
        if stats.len() != self.lambda.len() {
            return Err(Error::invalid(
                "LossWeighting::update_gradients",
                format!("{} statistics for {} terms", stats.len(), self.lambda.len()),
            ));
        }
        let max_r = stats[..self.n_residual]
            .iter()
            .fold(0.0f64, |m, s| m.max(s.0));
        for i in self.n_residual..stats.len() {
            let mean_i = stats[i].1;
            if mean_i > 0.0 && mean_i.is_finite() && max_r.is_finite() {
                let hat = max_r / mean_i;
                self.lambda[i] = (1.0 - alpha) * self.lambda[i] + alpha * hat;
            }
        }
        Ok(())
    }

    /// ReLoBRaLo update from the unweighted losses of step `step` (no-op for the others).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for the wrong number of losses.
    pub fn update_losses(&mut self, losses: &[f64], step: u64) -> Result<()> {
        let WeightingConfig::Relobralo {
            alpha,
            rho,
            temperature,
        } = self.config
        else {
            return Ok(());
        };
        if losses.len() != self.lambda.len() {
            return Err(Error::invalid(
                "LossWeighting::update_losses",
                format!("{} losses for {} terms", losses.len(), self.lambda.len()),
            ));
        }
        let (Some(first), Some(prev)) = (&self.first, &self.prev) else {
            self.first = Some(losses.to_vec());
            self.prev = Some(losses.to_vec());
            return Ok(());
        };
        let bal0 = balance(losses, first, temperature);
        let bal1 = balance(losses, prev, temperature);
        let u = uniform_f64(1, mix64(self.seed ^ 0x005E_ED0F_7E57), step, 0.0, 1.0)[0];
        let r = if u < rho { 1.0 } else { 0.0 };
        for i in 0..self.lambda.len() {
            let hist = r * self.lambda[i] + (1.0 - r) * bal0[i];
            self.lambda[i] = alpha * hist + (1.0 - alpha) * bal1[i];
        }
        self.prev = Some(losses.to_vec());
        Ok(())
    }

    /// The state needed to resume (λ and the reference losses), exact as f64.
    pub fn state(&self) -> BTreeMap<String, f64> {
        let mut s = BTreeMap::new();
        for (i, l) in self.lambda.iter().enumerate() {
            s.insert(format!("lambda.{i}"), *l);
        }
        for (tag, v) in [("first", &self.first), ("prev", &self.prev)] {
            if let Some(v) = v {
                for (i, x) in v.iter().enumerate() {
                    s.insert(format!("{tag}.{i}"), *x);
                }
            }
        }
        s
    }

    /// Restores [`LossWeighting::state`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a missing λ entry.
    pub fn load_state(&mut self, s: &BTreeMap<String, f64>) -> Result<()> {
        let m = self.lambda.len();
        for i in 0..m {
            self.lambda[i] = *s.get(&format!("lambda.{i}")).ok_or_else(|| {
                Error::invalid("LossWeighting::load_state", format!("missing lambda.{i}"))
            })?;
        }
        let read = |tag: &str| -> Option<Vec<f64>> {
            (0..m)
                .map(|i| s.get(&format!("{tag}.{i}")).copied())
                .collect()
        };
        self.first = read("first");
        self.prev = read("prev");
        Ok(())
    }
}

/// m · softmax(Lᵢ(t) / (T·Lᵢ(t') + ε)), computed with the maximum subtracted.
fn balance(now: &[f64], then: &[f64], temperature: f64) -> Vec<f64> {
    const EPS: f64 = 1e-12;
    let z: Vec<f64> = now
        .iter()
        .zip(then)
        .map(|(a, b)| a / (temperature * b + EPS))
        .collect();
    let zmax = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - zmax).exp()).collect();
    let sum: f64 = e.iter().sum();
    let m = now.len() as f64;
    e.iter().map(|v| m * v / sum).collect()
}
