//! Helpers shared by the optimizers and schedulers: argument checks, and the checks
//! `load_state` runs on a saved [`OptimizerState`] (kind, parameter count, unknown entries,
//! buffer shapes and dtypes) or scheduler state.

use std::collections::BTreeMap;

use fluxion_autodiff::Var;
use fluxion_tensor::{DType, Tensor};

use super::{Optimizer, OptimizerState};
use crate::{Error, Result};

/// Scalar key holding the number of parameters a state was written for.
pub(crate) const PARAM_COUNT: &str = "param_count";

/// `InvalidArgument` for setting `name` of `what`.
pub(crate) fn invalid(what: &'static str, name: &str, value: f64, must: &str) -> Error {
    Error::InvalidArgument {
        what,
        reason: format!("{name} must be {must}, got {value}"),
    }
}

/// `v ≥ 0` (NaN fails).
pub(crate) fn non_negative(what: &'static str, name: &str, v: f64) -> Result<()> {
    if v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(what, name, v, "≥ 0"))
    }
}

/// `0 ≤ v < 1` (NaN fails).
pub(crate) fn unit_interval(what: &'static str, name: &str, v: f64) -> Result<()> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(what, name, v, "in [0, 1)"))
    }
}

/// The key of per-parameter entry `name` of parameter `i` (PyTorch's layout).
pub(crate) fn key(i: usize, name: &str) -> String {
    format!("{i}.{name}")
}

/// A fresh state of `kind` over `n` parameters.
pub(crate) fn new_state(kind: &str, n: usize) -> OptimizerState {
    let mut s = OptimizerState {
        kind: kind.to_string(),
        ..OptimizerState::default()
    };
    s.scalars.insert(PARAM_COUNT.to_string(), n as f64);
    s
}

/// `true`/`false` as the scalars 1 and 0.
pub(crate) fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Reads a saved state for optimizer `optimizer`, erring with [`Error::OptimizerState`] that
/// names the entry at fault.
pub(crate) struct StateReader<'a> {
    optimizer: &'static str,
    state: &'a OptimizerState,
}

impl<'a> StateReader<'a> {
    /// Checks the kind and the parameter count.
    pub(crate) fn new(
        optimizer: &'static str,
        state: &'a OptimizerState,
        n_params: usize,
    ) -> Result<Self> {
        let r = StateReader { optimizer, state };
        if state.kind != optimizer {
            return Err(r.err(format!(
                "kind: the state was written by {:?}, not {optimizer:?}",
                state.kind
            )));
        }
        let n = r.count(PARAM_COUNT)?;
        if n != n_params as u64 {
            return Err(r.err(format!(
                "{PARAM_COUNT}: the state is for {n} parameters but the optimizer has {n_params}"
            )));
        }
        Ok(r)
    }

    /// An [`Error::OptimizerState`] with `reason`.
    pub(crate) fn err(&self, reason: String) -> Error {
        Error::OptimizerState {
            optimizer: self.optimizer,
            reason,
        }
    }

    /// A scalar that must be present.
    pub(crate) fn scalar(&self, key: &str) -> Result<f64> {
        self.state
            .scalars
            .get(key)
            .copied()
            .ok_or_else(|| self.err(format!("{key}: missing scalar entry")))
    }

    /// A scalar that may be absent.
    pub(crate) fn scalar_opt(&self, key: &str) -> Option<f64> {
        self.state.scalars.get(key).copied()
    }

    /// A flag stored as 0 or 1.
    pub(crate) fn flag(&self, key: &str) -> Result<bool> {
        let v = self.scalar(key)?;
        if v == 0.0 || v == 1.0 {
            Ok(v == 1.0)
        } else {
            Err(self.err(format!("{key}: a flag must be 0 or 1, got {v}")))
        }
    }

    /// A non-negative integer count.
    pub(crate) fn count(&self, key: &str) -> Result<u64> {
        let v = self.scalar(key)?;
        whole(v).ok_or_else(|| self.err(format!("{key}: expected a whole number ≥ 0, got {v}")))
    }

    /// A tensor entry that may be absent.
    pub(crate) fn tensor_opt(&self, key: &str) -> Option<&'a Tensor> {
        self.state.tensors.get(key)
    }

    /// A tensor entry that must be present.
    pub(crate) fn tensor(&self, key: &str) -> Result<&'a Tensor> {
        self.tensor_opt(key)
            .ok_or_else(|| self.err(format!("{key}: missing tensor entry")))
    }

    /// Buffer `key`, if present, checked against parameter `like` (same shape and dtype) and
    /// moved to its device.
    pub(crate) fn buffer_opt(&self, key: &str, like: &Var) -> Result<Option<Tensor>> {
        let Some(t) = self.tensor_opt(key) else {
            return Ok(None);
        };
        let p = like.tensor();
        if t.shape() != p.shape() || t.dtype() != p.dtype() {
            return Err(self.err(format!(
                "{key}: the saved buffer is {} {} but the parameter is {} {}",
                t.shape(),
                t.dtype(),
                p.shape(),
                p.dtype()
            )));
        }
        Ok(Some(to_device_of(t, &p)?))
    }

    /// Buffer `key`, which must be present, checked as [`StateReader::buffer_opt`].
    pub(crate) fn buffer(&self, key: &str, like: &Var) -> Result<Tensor> {
        self.buffer_opt(key, like)?
            .ok_or_else(|| self.err(format!("{key}: missing tensor entry")))
    }

    /// A 1-D f64 tensor of `len` elements, as a host vector.
    pub(crate) fn vec_f64(&self, key: &str, len: usize) -> Result<Vec<f64>> {
        let t = self.tensor(key)?;
        if t.dims() != [len] || t.dtype() != DType::F64 {
            return Err(self.err(format!(
                "{key}: expected a 1-D f64 tensor of {len} elements, got {} {}",
                t.shape(),
                t.dtype()
            )));
        }
        Ok(t.to_vec::<f64>()?)
    }

    /// Errs on an entry that is neither a global scalar in `scalars`, nor a per-parameter
    /// entry `"{i}.{name}"` with `i` below the parameter count and `name` in `per_param`
    /// (scalars and tensors alike), nor accepted by `extra_tensor`.
    /// Whether parameter `i` has saved state (its `{i}.step` entry); state buffers `buffers`
    /// present without a step are an error naming them.
    pub(crate) fn has_step(&self, i: usize, buffers: &[&str]) -> Result<bool> {
        if self.scalar_opt(&key(i, "step")).is_some() {
            return Ok(true);
        }
        if let Some(name) = buffers
            .iter()
            .find(|b| self.tensor_opt(&key(i, b)).is_some())
        {
            return Err(self.err(format!(
                "{}: present without {}",
                key(i, name),
                key(i, "step")
            )));
        }
        Ok(false)
    }

    pub(crate) fn reject_unknown(
        &self,
        scalars: &[&str],
        per_param: &[&str],
        n_params: usize,
        extra_tensor: &dyn Fn(&str) -> bool,
    ) -> Result<()> {
        let per_param_ok = |k: &str| {
            k.split_once('.').is_some_and(|(i, name)| {
                i.parse::<usize>().is_ok_and(|i| i < n_params) && per_param.contains(&name)
            })
        };
        for k in self.state.scalars.keys() {
            if k != PARAM_COUNT && !scalars.contains(&k.as_str()) && !per_param_ok(k) {
                return Err(self.err(format!("{k}: unexpected scalar entry")));
            }
        }
        for k in self.state.tensors.keys() {
            if !per_param_ok(k) && !extra_tensor(k) {
                return Err(self.err(format!("{k}: unexpected tensor entry")));
            }
        }
        Ok(())
    }
}

/// `t` on `like`'s device. Float values pass through an f64 host copy, which is exact for
/// every float dtype, so the move is bit-exact.
pub(crate) fn to_device_of(t: &Tensor, like: &Tensor) -> Result<Tensor> {
    if t.device().same_device(like.device()) {
        return Ok(t.clone());
    }
    let host = t.to_dtype(DType::F64)?.to_vec::<f64>()?;
    Ok(Tensor::from_vec(host, t.shape().clone(), like.device())?.to_dtype(t.dtype())?)
}

/// `v` as a count: a whole number in [0, 2⁵³).
fn whole(v: f64) -> Option<u64> {
    (v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53)).then_some(v as u64)
}

/// The `InvalidArgument` a scheduler raises.
pub(crate) fn scheduler_error(what: &'static str, reason: String) -> Error {
    Error::InvalidArgument { what, reason }
}

/// Reads a saved scheduler state, erring with [`Error::InvalidArgument`] that names the
/// entry at fault.
pub(crate) struct ScalarReader<'a> {
    /// The scheduler's `load_state`, for errors.
    pub(crate) what: &'static str,
    /// The saved state.
    pub(crate) state: &'a BTreeMap<String, f64>,
}

impl ScalarReader<'_> {
    /// An entry that must be present.
    pub(crate) fn get(&self, key: &str) -> Result<f64> {
        self.state
            .get(key)
            .copied()
            .ok_or_else(|| scheduler_error(self.what, format!("{key}: missing entry")))
    }

    /// A flag or two-way choice stored as 0 or 1.
    pub(crate) fn flag(&self, key: &str) -> Result<bool> {
        let v = self.get(key)?;
        if v == 0.0 || v == 1.0 {
            Ok(v == 1.0)
        } else {
            Err(scheduler_error(
                self.what,
                format!("{key}: must be 0 or 1, got {v}"),
            ))
        }
    }

    /// A non-negative integer count.
    pub(crate) fn count(&self, key: &str) -> Result<u64> {
        let v = self.get(key)?;
        whole(v).ok_or_else(|| {
            scheduler_error(
                self.what,
                format!("{key}: expected a whole number ≥ 0, got {v}"),
            )
        })
    }
}

/// Epoch counter and rates shared by the epoch-driven schedulers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Epochs {
    /// The optimizer's rate at construction (epoch 0).
    pub(crate) base_lr: f64,
    /// Epochs stepped so far.
    pub(crate) last_epoch: u64,
    /// The rate set by the last step.
    pub(crate) last_lr: f64,
}

impl Epochs {
    /// Epoch 0 at `opt`'s current rate.
    pub(crate) fn new(opt: &dyn Optimizer) -> Self {
        let lr = opt.learning_rate();
        Epochs {
            base_lr: lr,
            last_epoch: 0,
            last_lr: lr,
        }
    }

    /// The next epoch, with the rate `lr_at(base_lr, epoch)` set on `opt`.
    pub(crate) fn advance(&mut self, opt: &mut dyn Optimizer, lr_at: impl Fn(f64, u64) -> f64) {
        self.last_epoch += 1;
        self.last_lr = lr_at(self.base_lr, self.last_epoch);
        opt.set_learning_rate(self.last_lr);
    }

    /// `settings` with the counter and rates added.
    pub(crate) fn save(&self, settings: &[(&str, f64)]) -> BTreeMap<String, f64> {
        let mut s: BTreeMap<String, f64> =
            settings.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        s.insert("base_lr".into(), self.base_lr);
        s.insert("last_epoch".into(), self.last_epoch as f64);
        s.insert("last_lr".into(), self.last_lr);
        s
    }

    /// The counter and rates saved by [`Epochs::save`].
    pub(crate) fn load(r: &ScalarReader<'_>) -> Result<Self> {
        Ok(Epochs {
            base_lr: r.get("base_lr")?,
            last_epoch: r.count("last_epoch")?,
            last_lr: r.get("last_lr")?,
        })
    }
}
