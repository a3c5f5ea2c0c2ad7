//! Adam and AdamW (PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`).

use fluxion_autodiff::Var;
use fluxion_tensor::fused::{self, AdamMoments, AdamScalars};
use fluxion_tensor::Tensor;

use super::common::{flag, key, new_state, non_negative, unit_interval, StateReader};
use super::{Optimizer, OptimizerState};
use crate::Result;

/// Settings of [`Adam`]; `Default` gives PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the first and second moment averages (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// Term ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0). [`Adam`] adds λ·p to the gradient (L2); [`AdamW`] decays
    /// the parameter directly.
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (AMSGrad; default false).
    pub amsgrad: bool,
    /// Maximise the objective instead of minimising it (default false).
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// Settings of [`AdamW`]: those of [`AdamConfig`], with PyTorch's AdamW default weight
/// decay 1e-2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// Term ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay λ: p ← p·(1 − η·λ) before each update (default 1e-2).
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (AMSGrad; default false).
    pub amsgrad: bool,
    /// Maximise the objective instead of minimising it (default false).
    pub maximize: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            weight_decay: 1e-2,
            ..AdamWConfig::from(AdamConfig::default())
        }
    }
}

impl From<AdamConfig> for AdamWConfig {
    fn from(c: AdamConfig) -> Self {
        AdamWConfig {
            lr: c.lr,
            betas: c.betas,
            eps: c.eps,
            weight_decay: c.weight_decay,
            amsgrad: c.amsgrad,
            maximize: c.maximize,
        }
    }
}

impl From<AdamWConfig> for AdamConfig {
    fn from(c: AdamWConfig) -> Self {
        AdamConfig {
            lr: c.lr,
            betas: c.betas,
            eps: c.eps,
            weight_decay: c.weight_decay,
            amsgrad: c.amsgrad,
            maximize: c.maximize,
        }
    }
}

impl AdamConfig {
    /// Checks every setting as PyTorch's constructor does.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] naming the setting and its value: a negative (or NaN)
    /// `lr`, `eps` or `weight_decay`, or a beta outside [0, 1).
    pub fn validate(&self) -> Result<()> {
        const WHAT: &str = "AdamConfig";
        non_negative(WHAT, "lr", self.lr)?;
        non_negative(WHAT, "eps", self.eps)?;
        unit_interval(WHAT, "betas.0", self.betas.0)?;
        unit_interval(WHAT, "betas.1", self.betas.1)?;
        non_negative(WHAT, "weight_decay", self.weight_decay)
    }
}

impl AdamWConfig {
    /// Checks every setting as [`AdamConfig::validate`].
    ///
    /// # Errors
    /// As [`AdamConfig::validate`].
    pub fn validate(&self) -> Result<()> {
        AdamConfig::from(*self).validate()
    }
}

/// One parameter's moments (PyTorch's per-parameter `state`).
#[derive(Debug, Clone)]
struct Moments {
    step: u64,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    max_exp_avg_sq: Option<Tensor>,
}

/// The algorithm shared by [`Adam`] and [`AdamW`].
#[derive(Debug)]
struct AdamCore {
    params: Vec<Var>,
    config: AdamConfig,
    decoupled: bool,
    moments: Vec<Option<Moments>>,
}

const SCALARS: [&str; 8] = [
    "lr",
    "beta1",
    "beta2",
    "eps",
    "weight_decay",
    "amsgrad",
    "maximize",
    "decoupled_weight_decay",
];
const PER_PARAM: [&str; 4] = ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

impl AdamCore {
    fn new(params: Vec<Var>, config: AdamConfig, decoupled: bool) -> Result<Self> {
        config.validate()?;
        let n = params.len();
        Ok(AdamCore {
            params,
            config,
            decoupled,
            moments: vec![None; n],
        })
    }

    fn step(&mut self) -> Result<()> {
        let c = self.config;
        for (p, slot) in self.params.iter().zip(self.moments.iter_mut()) {
            let Some(g) = p.grad() else { continue };
            let x = p.tensor();
            let step = slot.as_ref().map_or(0, |m| m.step) + 1;
            let t = step as f64;
            let scalars = AdamScalars {
                lr: c.lr,
                beta1: c.betas.0,
                beta2: c.betas.1,
                eps: c.eps,
                weight_decay: c.weight_decay,
                bias_correction1: 1.0 - c.betas.0.powf(t),
                bias_correction2: 1.0 - c.betas.1.powf(t),
                decoupled: self.decoupled,
                maximize: c.maximize,
                amsgrad: c.amsgrad,
            };
            let moments = AdamMoments {
                exp_avg: slot.as_ref().map(|m| &m.exp_avg),
                exp_avg_sq: slot.as_ref().map(|m| &m.exp_avg_sq),
                max_exp_avg_sq: slot.as_ref().and_then(|m| m.max_exp_avg_sq.as_ref()),
            };
            let out = fused::adam_update(&x, &g, moments, &scalars)?;
            p.set_value(out.param)?;
            *slot = Some(Moments {
                step,
                exp_avg: out.exp_avg,
                exp_avg_sq: out.exp_avg_sq,
                max_exp_avg_sq: out.max_exp_avg_sq,
            });
        }
        Ok(())
    }

    fn state(&self, kind: &str) -> OptimizerState {
        let c = &self.config;
        let mut s = new_state(kind, self.params.len());
        for (k, v) in SCALARS.iter().zip([
            c.lr,
            c.betas.0,
            c.betas.1,
            c.eps,
            c.weight_decay,
            flag(c.amsgrad),
            flag(c.maximize),
            flag(self.decoupled),
        ]) {
            s.scalars.insert(k.to_string(), v);
        }
        for (i, m) in self.moments.iter().enumerate() {
            let Some(m) = m else { continue };
            s.scalars.insert(key(i, "step"), m.step as f64);
            s.tensors.insert(key(i, "exp_avg"), m.exp_avg.clone());
            s.tensors.insert(key(i, "exp_avg_sq"), m.exp_avg_sq.clone());
            if let Some(v) = &m.max_exp_avg_sq {
                s.tensors.insert(key(i, "max_exp_avg_sq"), v.clone());
            }
        }
        s
    }

    fn load_state(&mut self, kind: &'static str, state: &OptimizerState) -> Result<()> {
        let n = self.params.len();
        let r = StateReader::new(kind, state, n)?;
        r.reject_unknown(&SCALARS, &PER_PARAM, n, &|_| false)?;
        if r.flag("decoupled_weight_decay")? != self.decoupled {
            return Err(r.err(format!(
                "decoupled_weight_decay: the state says {}, this optimizer is {kind}",
                r.flag("decoupled_weight_decay")?
            )));
        }
        let config = AdamConfig {
            lr: r.scalar("lr")?,
            betas: (r.scalar("beta1")?, r.scalar("beta2")?),
            eps: r.scalar("eps")?,
            weight_decay: r.scalar("weight_decay")?,
            amsgrad: r.flag("amsgrad")?,
            maximize: r.flag("maximize")?,
        };
        config.validate().map_err(|e| r.err(e.to_string()))?;
        let mut moments = Vec::with_capacity(n);
        for (i, p) in self.params.iter().enumerate() {
            if !r.has_step(i, &PER_PARAM[1..])? {
                moments.push(None);
                continue;
            }
            let max_exp_avg_sq = r.buffer_opt(&key(i, "max_exp_avg_sq"), p)?;
            if config.amsgrad && max_exp_avg_sq.is_none() {
                return Err(r.err(format!(
                    "{}: missing tensor entry (amsgrad is on)",
                    key(i, "max_exp_avg_sq")
                )));
            }
            moments.push(Some(Moments {
                step: r.count(&key(i, "step"))?,
                exp_avg: r.buffer(&key(i, "exp_avg"), p)?,
                exp_avg_sq: r.buffer(&key(i, "exp_avg_sq"), p)?,
                max_exp_avg_sq,
            }));
        }
        self.config = config;
        self.moments = moments;
        Ok(())
    }
}

/// Adam, as PyTorch's `torch.optim.Adam` (Kingma & Ba, 2015), with L2 weight decay.
///
/// For each parameter p with gradient g (skipped when it has none), with step count t:
///
/// ```text
/// g ← −g                      (maximize)
/// g ← g + λ·p                 (weight decay λ ≠ 0)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v), used in place of v   (amsgrad)
/// p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// The update runs as tensor ops in the parameter's dtype and on its device. State per
/// parameter: `"{i}.step"` (scalar), `"{i}.exp_avg"`, `"{i}.exp_avg_sq"`,
/// `"{i}.max_exp_avg_sq"` (amsgrad). Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.Adam.html>.
#[derive(Debug)]
pub struct Adam(AdamCore);

impl Adam {
    /// Adam over `params`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] from [`AdamConfig::validate`].
    pub fn new(params: Vec<Var>, config: AdamConfig) -> Result<Self> {
        AdamCore::new(params, config, false).map(Adam)
    }

    /// The current settings.
    pub fn config(&self) -> &AdamConfig {
        &self.0.config
    }
}

/// AdamW, as PyTorch's `torch.optim.AdamW` (Loshchilov & Hutter, 2019): Adam with the weight
/// decay decoupled from the gradient.
///
/// Each step first decays the parameter, p ← p·(1 − η·λ), then applies the [`Adam`] update
/// without the L2 term. Same state layout as [`Adam`]. Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html>.
#[derive(Debug)]
pub struct AdamW(AdamCore);

impl AdamW {
    /// AdamW over `params`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] from [`AdamWConfig::validate`].
    pub fn new(params: Vec<Var>, config: AdamWConfig) -> Result<Self> {
        AdamCore::new(params, config.into(), true).map(AdamW)
    }

    /// The current settings.
    pub fn config(&self) -> AdamWConfig {
        self.0.config.into()
    }
}

macro_rules! delegate_optimizer {
    ($ty:ident, $name:literal) => {
        impl Optimizer for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn params(&self) -> &[Var] {
                &self.0.params
            }

            fn step(&mut self) -> Result<()> {
                self.0.step()
            }

            fn learning_rate(&self) -> f64 {
                self.0.config.lr
            }

            fn set_learning_rate(&mut self, lr: f64) {
                self.0.config.lr = lr;
            }

            fn state(&self) -> OptimizerState {
                self.0.state($name)
            }

            fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
                self.0.load_state($name, state)
            }
        }
    };
}

delegate_optimizer!(Adam, "adam");
delegate_optimizer!(AdamW, "adamw");
