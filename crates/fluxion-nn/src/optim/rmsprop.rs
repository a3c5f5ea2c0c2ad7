//! RMSprop (PyTorch's `torch.optim.RMSprop`).

use fluxion_autodiff::Var;
use fluxion_tensor::Tensor;

use super::common::{flag, key, new_state, non_negative, StateReader};
use super::{Optimizer, OptimizerState};
use crate::Result;

/// Settings of [`RmsProp`]; `Default` gives PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate η (default 1e-2).
    pub lr: f64,
    /// Smoothing constant α of the squared-gradient average (default 0.99).
    pub alpha: f64,
    /// Term ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// L2 penalty λ added to the gradient as λ·p (default 0).
    pub weight_decay: f64,
    /// Momentum factor μ (default 0).
    pub momentum: f64,
    /// Normalise by an estimate of the variance rather than the second moment
    /// (default false).
    pub centered: bool,
    /// Maximise the objective instead of minimising it (default false).
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

impl RmsPropConfig {
    /// Checks every setting as PyTorch's constructor does.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] naming the setting and its value: a negative (or NaN)
    /// `lr`, `alpha`, `eps`, `weight_decay` or `momentum`.
    pub fn validate(&self) -> Result<()> {
        const WHAT: &str = "RmsPropConfig";
        non_negative(WHAT, "lr", self.lr)?;
        non_negative(WHAT, "eps", self.eps)?;
        non_negative(WHAT, "momentum", self.momentum)?;
        non_negative(WHAT, "weight_decay", self.weight_decay)?;
        non_negative(WHAT, "alpha", self.alpha)
    }
}

/// One parameter's running averages (PyTorch's per-parameter `state`).
#[derive(Debug, Clone)]
struct Averages {
    step: u64,
    square_avg: Tensor,
    momentum_buffer: Option<Tensor>,
    grad_avg: Option<Tensor>,
}

/// RMSprop, as PyTorch's `torch.optim.RMSprop` (Hinton's lecture 6e; centered form after
/// Graves, 2013).
///
/// For each parameter p with gradient g (skipped when it has none):
///
/// ```text
/// g ← −g                                  (maximize)
/// g ← g + λ·p                             (weight decay λ ≠ 0)
/// v ← α·v + (1 − α)·g²
/// ḡ ← α·ḡ + (1 − α)·g,  a ← √(v − ḡ²) + ε (centered)
///                       a ← √v + ε        (otherwise)
/// b ← μ·b + g/a,  p ← p − η·b             (momentum μ > 0)
/// p ← p − η·g/a                           (otherwise)
/// ```
///
/// The update runs as tensor ops in the parameter's dtype and on its device. State per
/// parameter: `"{i}.step"` (scalar), `"{i}.square_avg"`, `"{i}.momentum_buffer"` (μ > 0),
/// `"{i}.grad_avg"` (centered). Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html>.
#[derive(Debug)]
pub struct RmsProp {
    params: Vec<Var>,
    config: RmsPropConfig,
    averages: Vec<Option<Averages>>,
}

impl RmsProp {
    /// RMSprop over `params`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] from [`RmsPropConfig::validate`].
    pub fn new(params: Vec<Var>, config: RmsPropConfig) -> Result<Self> {
        config.validate()?;
        let n = params.len();
        Ok(RmsProp {
            params,
            config,
            averages: vec![None; n],
        })
    }

    /// The current settings.
    pub fn config(&self) -> &RmsPropConfig {
        &self.config
    }
}

const SCALARS: [&str; 7] = [
    "lr",
    "alpha",
    "eps",
    "weight_decay",
    "momentum",
    "centered",
    "maximize",
];
const PER_PARAM: [&str; 4] = ["step", "square_avg", "momentum_buffer", "grad_avg"];

impl Optimizer for RmsProp {
    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn params(&self) -> &[Var] {
        &self.params
    }

    fn step(&mut self) -> Result<()> {
        let c = self.config;
        for (p, slot) in self.params.iter().zip(self.averages.iter_mut()) {
            let Some(mut g) = p.grad() else { continue };
            if c.maximize {
                g = g.neg()?;
            }
            let x = p.tensor();
            let old = match slot {
                Some(a) => a.clone(),
                None => Averages {
                    step: 0,
                    square_avg: x.zeros_like()?,
                    momentum_buffer: None,
                    grad_avg: None,
                },
            };
            if c.weight_decay != 0.0 {
                g = g.add(&x.mul_scalar(c.weight_decay)?)?;
            }
            let square_avg = old
                .square_avg
                .mul_scalar(c.alpha)?
                .add(&g.mul_scalar(1.0 - c.alpha)?.mul(&g)?)?;
            let (avg, grad_avg) = if c.centered {
                let ga = match &old.grad_avg {
                    Some(ga) => ga.mul_scalar(c.alpha)?,
                    None => x.zeros_like()?,
                }
                .add(&g.mul_scalar(1.0 - c.alpha)?)?;
                (square_avg.sub(&ga.mul(&ga)?)?.sqrt()?, Some(ga))
            } else {
                (square_avg.sqrt()?, old.grad_avg)
            };
            let avg = avg.add_scalar(c.eps)?;
            let (update, momentum_buffer) = if c.momentum > 0.0 {
                let buf = match &old.momentum_buffer {
                    Some(b) => b.mul_scalar(c.momentum)?,
                    None => x.zeros_like()?,
                }
                .add(&g.div(&avg)?)?;
                (buf.mul_scalar(-c.lr)?, Some(buf))
            } else {
                (g.mul_scalar(-c.lr)?.div(&avg)?, old.momentum_buffer)
            };
            p.set_value(x.add(&update)?)?;
            *slot = Some(Averages {
                step: old.step + 1,
                square_avg,
                momentum_buffer,
                grad_avg,
            });
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    fn state(&self) -> OptimizerState {
        let c = &self.config;
        let mut s = new_state(self.name(), self.params.len());
        for (k, v) in SCALARS.iter().zip([
            c.lr,
            c.alpha,
            c.eps,
            c.weight_decay,
            c.momentum,
            flag(c.centered),
            flag(c.maximize),
        ]) {
            s.scalars.insert(k.to_string(), v);
        }
        for (i, a) in self.averages.iter().enumerate() {
            let Some(a) = a else { continue };
            s.scalars.insert(key(i, "step"), a.step as f64);
            s.tensors.insert(key(i, "square_avg"), a.square_avg.clone());
            if let Some(b) = &a.momentum_buffer {
                s.tensors.insert(key(i, "momentum_buffer"), b.clone());
            }
            if let Some(ga) = &a.grad_avg {
                s.tensors.insert(key(i, "grad_avg"), ga.clone());
            }
        }
        s
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        let n = self.params.len();
        let r = StateReader::new(self.name(), state, n)?;
        r.reject_unknown(&SCALARS, &PER_PARAM, n, &|_| false)?;
        let config = RmsPropConfig {
            lr: r.scalar("lr")?,
            alpha: r.scalar("alpha")?,
            eps: r.scalar("eps")?,
            weight_decay: r.scalar("weight_decay")?,
            momentum: r.scalar("momentum")?,
            centered: r.flag("centered")?,
            maximize: r.flag("maximize")?,
        };
        config.validate().map_err(|e| r.err(e.to_string()))?;
        let mut averages = Vec::with_capacity(n);
        for (i, p) in self.params.iter().enumerate() {
            if !r.has_step(i, &PER_PARAM[1..])? {
                averages.push(None);
                continue;
            }
            let momentum_buffer = r.buffer_opt(&key(i, "momentum_buffer"), p)?;
            let grad_avg = r.buffer_opt(&key(i, "grad_avg"), p)?;
            for (on, present, name) in [
                (
                    config.momentum > 0.0,
                    momentum_buffer.is_some(),
                    "momentum_buffer",
                ),
                (config.centered, grad_avg.is_some(), "grad_avg"),
            ] {
                if on && !present {
                    return Err(r.err(format!("{}: missing tensor entry", key(i, name))));
                }
            }
            averages.push(Some(Averages {
                step: r.count(&key(i, "step"))?,
                square_avg: r.buffer(&key(i, "square_avg"), p)?,
                momentum_buffer,
                grad_avg,
            }));
        }
        self.config = config;
        self.averages = averages;
        Ok(())
    }
}
