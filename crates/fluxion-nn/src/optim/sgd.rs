//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay
//! (PyTorch's `torch.optim.SGD`).

use fluxion_autodiff::Var;
use fluxion_tensor::Tensor;

use super::common::{flag, key, new_state, non_negative, StateReader};
use super::{Optimizer, OptimizerState};
use crate::{Error, Result};

/// Settings of [`Sgd`]; `Default` gives PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Momentum factor μ (default 0: no momentum buffer).
    pub momentum: f64,
    /// Dampening d of the gradient added to the momentum buffer (default 0).
    pub dampening: f64,
    /// L2 penalty λ added to the gradient as λ·p (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default false; needs μ > 0 and d = 0).
    pub nesterov: bool,
    /// Maximise the objective instead of minimising it (default false).
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

impl SgdConfig {
    /// Checks every setting as PyTorch's constructor does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the setting and its value: a negative (or NaN)
    /// `lr`, `momentum` or `weight_decay`, or `nesterov` with `momentum ≤ 0` or
    /// `dampening ≠ 0`.
    pub fn validate(&self) -> Result<()> {
        const WHAT: &str = "SgdConfig";
        non_negative(WHAT, "lr", self.lr)?;
        non_negative(WHAT, "momentum", self.momentum)?;
        non_negative(WHAT, "weight_decay", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::InvalidArgument {
                what: WHAT,
                reason: format!(
                    "nesterov needs momentum > 0 and dampening = 0, got momentum = {} and \
                     dampening = {}",
                    self.momentum, self.dampening
                ),
            });
        }
        Ok(())
    }
}

/// Stochastic gradient descent, as PyTorch's `torch.optim.SGD`.
///
/// For each parameter p with gradient g (skipped when it has none):
///
/// ```text
/// g ← −g                                  (maximize)
/// g ← g + λ·p                             (weight decay λ ≠ 0)
/// b ← g on the first step, else μ·b + (1 − d)·g    (momentum μ ≠ 0)
/// g ← g + μ·b if nesterov, else b
/// p ← p − η·g
/// ```
///
/// The update runs as tensor ops in the parameter's dtype and on its device. State: the
/// momentum buffer `"{i}.momentum_buffer"` of each parameter that has taken a step with
/// momentum. Reference: <https://pytorch.org/docs/stable/generated/torch.optim.SGD.html>.
#[derive(Debug)]
pub struct Sgd {
    params: Vec<Var>,
    config: SgdConfig,
    momentum_buffers: Vec<Option<Tensor>>,
}

impl Sgd {
    /// SGD over `params`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] from [`SgdConfig::validate`].
    pub fn new(params: Vec<Var>, config: SgdConfig) -> Result<Self> {
        config.validate()?;
        let n = params.len();
        Ok(Sgd {
            params,
            config,
            momentum_buffers: vec![None; n],
        })
    }

    /// The current settings.
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }
}

const SCALARS: [&str; 6] = [
    "lr",
    "momentum",
    "dampening",
    "weight_decay",
    "nesterov",
    "maximize",
];
const BUFFER: &str = "momentum_buffer";

impl Optimizer for Sgd {
    fn name(&self) -> &'static str {
        "sgd"
    }

    fn params(&self) -> &[Var] {
        &self.params
    }

    fn step(&mut self) -> Result<()> {
        let c = self.config;
        for (p, slot) in self.params.iter().zip(self.momentum_buffers.iter_mut()) {
            let Some(mut g) = p.grad() else { continue };
            if c.maximize {
                g = g.neg()?;
            }
            let x = p.tensor();
            if c.weight_decay != 0.0 {
                g = g.add(&x.mul_scalar(c.weight_decay)?)?;
            }
            if c.momentum != 0.0 {
                let buf = match slot {
                    None => g.clone(),
                    Some(b) => b
                        .mul_scalar(c.momentum)?
                        .add(&g.mul_scalar(1.0 - c.dampening)?)?,
                };
                g = if c.nesterov {
                    g.add(&buf.mul_scalar(c.momentum)?)?
                } else {
                    buf.clone()
                };
                *slot = Some(buf);
            }
            p.set_value(x.add(&g.mul_scalar(-c.lr)?)?)?;
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
            c.momentum,
            c.dampening,
            c.weight_decay,
            flag(c.nesterov),
            flag(c.maximize),
        ]) {
            s.scalars.insert(k.to_string(), v);
        }
        for (i, b) in self.momentum_buffers.iter().enumerate() {
            if let Some(b) = b {
                s.tensors.insert(key(i, BUFFER), b.clone());
            }
        }
        s
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        let n = self.params.len();
        let r = StateReader::new(self.name(), state, n)?;
        r.reject_unknown(&SCALARS, &[BUFFER], n, &|_| false)?;
        let config = SgdConfig {
            lr: r.scalar("lr")?,
            momentum: r.scalar("momentum")?,
            dampening: r.scalar("dampening")?,
            weight_decay: r.scalar("weight_decay")?,
            nesterov: r.flag("nesterov")?,
            maximize: r.flag("maximize")?,
        };
        config.validate().map_err(|e| r.err(e.to_string()))?;
        let buffers = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| r.buffer_opt(&key(i, BUFFER), p))
            .collect::<Result<Vec<_>>>()?;
        self.config = config;
        self.momentum_buffers = buffers;
        Ok(())
    }
}
