//! Learning-rate schedulers (PyTorch's `torch.optim.lr_scheduler`).
//!
//! A scheduler does not hold its optimizer: each step takes it as `&mut dyn Optimizer` and
//! sets its learning rate. Epoch-driven schedulers implement [`LrScheduler`];
//! [`ReduceLrOnPlateau`] is driven by a metric instead and has
//! [`ReduceLrOnPlateau::step_metric`] in place of [`LrScheduler::step`].
//!
//! As in PyTorch, construction counts as epoch 0 (the learning rate is the optimizer's at that
//! moment, the base rate), and each step advances one epoch. The epoch schedulers set
//! PyTorch's closed forms (`_get_closed_form_lr`); PyTorch's own `step()` uses recursive
//! forms that agree to rounding, unless something else changes the rate between steps.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use super::common::{flag, scheduler_error as invalid, Epochs, ScalarReader as Reader};
use super::Optimizer;
use crate::Result;

/// An epoch-driven learning-rate schedule.
pub trait LrScheduler {
    /// Advances one epoch and sets the optimizer's learning rate for it.
    fn step(&mut self, opt: &mut dyn Optimizer);

    /// The learning rate set by the last step (the base rate before any step).
    fn last_lr(&self) -> f64;

    /// The state needed to resume: the epoch counter, base and last rate, and the settings.
    fn state(&self) -> BTreeMap<String, f64>;

    /// Restores state saved by [`LrScheduler::state`] of the same scheduler type.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] naming a missing or invalid entry.
    fn load_state(&mut self, state: &BTreeMap<String, f64>) -> Result<()>;
}

/// Multiplies the learning rate by γ every `step_size` epochs (PyTorch's `StepLR`):
/// η_t = η₀·γ^⌊t/step_size⌋.
///
/// Reference: <https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.StepLR.html>.
#[derive(Debug, Clone)]
pub struct StepLr {
    epochs: Epochs,
    step_size: u64,
    gamma: f64,
}

fn check_gamma(what: &'static str, gamma: f64) -> Result<()> {
    if gamma >= 0.0 && gamma.is_finite() {
        Ok(())
    } else {
        Err(invalid(
            what,
            format!("gamma must be finite and ≥ 0, got {gamma}"),
        ))
    }
}

impl StepLr {
    /// A step schedule from `opt`'s current learning rate (PyTorch's default γ is 0.1).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for `step_size` 0 or a negative or non-finite `gamma`.
    pub fn new(opt: &dyn Optimizer, step_size: usize, gamma: f64) -> Result<Self> {
        if step_size == 0 {
            return Err(invalid("StepLr", "step_size must be ≥ 1, got 0".into()));
        }
        check_gamma("StepLr", gamma)?;
        Ok(StepLr {
            epochs: Epochs::new(opt),
            step_size: step_size as u64,
            gamma,
        })
    }

    /// Epochs stepped so far.
    pub fn last_epoch(&self) -> u64 {
        self.epochs.last_epoch
    }
}

impl LrScheduler for StepLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let (gamma, size) = (self.gamma, self.step_size);
        self.epochs
            .advance(opt, |base, t| base * gamma.powf((t / size) as f64));
    }

    fn last_lr(&self) -> f64 {
        self.epochs.last_lr
    }

    fn state(&self) -> BTreeMap<String, f64> {
        self.epochs
            .save(&[("step_size", self.step_size as f64), ("gamma", self.gamma)])
    }

    fn load_state(&mut self, state: &BTreeMap<String, f64>) -> Result<()> {
        let what = "StepLr::load_state";
        let r = Reader { what, state };
        let (step_size, gamma) = (r.count("step_size")?, r.get("gamma")?);
        if step_size == 0 {
            return Err(invalid(what, "step_size: must be ≥ 1, got 0".into()));
        }
        check_gamma(what, gamma)?;
        *self = StepLr {
            epochs: Epochs::load(&r)?,
            step_size,
            gamma,
        };
        Ok(())
    }
}

/// Multiplies the learning rate by γ every epoch (PyTorch's `ExponentialLR`): η_t = η₀·γᵗ.
///
/// Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ExponentialLR.html>.
#[derive(Debug, Clone)]
pub struct ExponentialLr {
    epochs: Epochs,
    gamma: f64,
}

impl ExponentialLr {
    /// An exponential schedule from `opt`'s current learning rate.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for a negative or non-finite `gamma`.
    pub fn new(opt: &dyn Optimizer, gamma: f64) -> Result<Self> {
        check_gamma("ExponentialLr", gamma)?;
        Ok(ExponentialLr {
            epochs: Epochs::new(opt),
            gamma,
        })
    }

    /// Epochs stepped so far.
    pub fn last_epoch(&self) -> u64 {
        self.epochs.last_epoch
    }
}

impl LrScheduler for ExponentialLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let gamma = self.gamma;
        self.epochs
            .advance(opt, |base, t| base * gamma.powf(t as f64));
    }

    fn last_lr(&self) -> f64 {
        self.epochs.last_lr
    }

    fn state(&self) -> BTreeMap<String, f64> {
        self.epochs.save(&[("gamma", self.gamma)])
    }

    fn load_state(&mut self, state: &BTreeMap<String, f64>) -> Result<()> {
        let what = "ExponentialLr::load_state";
        let r = Reader { what, state };
        let gamma = r.get("gamma")?;
        check_gamma(what, gamma)?;
        *self = ExponentialLr {
            epochs: Epochs::load(&r)?,
            gamma,
        };
        Ok(())
    }
}

/// Cosine annealing from the base rate η₀ down to η_min over `t_max` epochs (PyTorch's
/// `CosineAnnealingLR`, SGDR without restarts), in closed form:
///
/// ```text
/// η_t = η_min + (η₀ − η_min)·(1 + cos(π·t/T_max))/2
/// ```
///
/// Past `t_max` the cosine continues (the rate rises again), as PyTorch's closed form.
/// Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CosineAnnealingLR.html>.
#[derive(Debug, Clone)]
pub struct CosineAnnealingLr {
    epochs: Epochs,
    t_max: u64,
    eta_min: f64,
}

impl CosineAnnealingLr {
    /// A cosine schedule from `opt`'s current learning rate (PyTorch's default η_min is 0).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for `t_max` 0 or a negative or non-finite `eta_min`.
    pub fn new(opt: &dyn Optimizer, t_max: usize, eta_min: f64) -> Result<Self> {
        Self::check("CosineAnnealingLr", t_max as u64, eta_min)?;
        Ok(CosineAnnealingLr {
            epochs: Epochs::new(opt),
            t_max: t_max as u64,
            eta_min,
        })
    }

    fn check(what: &'static str, t_max: u64, eta_min: f64) -> Result<()> {
        if t_max == 0 {
            return Err(invalid(what, "t_max must be ≥ 1, got 0".into()));
        }
        if !(eta_min >= 0.0 && eta_min.is_finite()) {
            return Err(invalid(
                what,
                format!("eta_min must be finite and ≥ 0, got {eta_min}"),
            ));
        }
        Ok(())
    }

    /// Epochs stepped so far.
    pub fn last_epoch(&self) -> u64 {
        self.epochs.last_epoch
    }
}

impl LrScheduler for CosineAnnealingLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let (t_max, eta_min) = (self.t_max as f64, self.eta_min);
        self.epochs.advance(opt, |base, t| {
            eta_min + (base - eta_min) * (1.0 + (PI * t as f64 / t_max).cos()) / 2.0
        });
    }

    fn last_lr(&self) -> f64 {
        self.epochs.last_lr
    }

    fn state(&self) -> BTreeMap<String, f64> {
        self.epochs
            .save(&[("t_max", self.t_max as f64), ("eta_min", self.eta_min)])
    }

    fn load_state(&mut self, state: &BTreeMap<String, f64>) -> Result<()> {
        let what = "CosineAnnealingLr::load_state";
        let r = Reader { what, state };
        let (t_max, eta_min) = (r.count("t_max")?, r.get("eta_min")?);
        Self::check(what, t_max, eta_min)?;
        *self = CosineAnnealingLr {
            epochs: Epochs::load(&r)?,
            t_max,
            eta_min,
        };
        Ok(())
    }
}

/// Whether [`ReduceLrOnPlateau`] watches a metric to minimise or to maximise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better (a loss).
    Min,
    /// Higher is better (an accuracy).
    Max,
}

/// How [`ReduceLrOnPlateau`] measures a significant improvement over the best value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Better than best·(1 ∓ threshold).
    Rel,
    /// Better than best ∓ threshold.
    Abs,
}

/// Settings of [`ReduceLrOnPlateau`]; `Default` gives PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReduceLrOnPlateauConfig {
    /// Minimise or maximise the metric (default [`PlateauMode::Min`]).
    pub mode: PlateauMode,
    /// Factor the rate is multiplied by on a plateau (default 0.1; must be < 1).
    pub factor: f64,
    /// Epochs without improvement tolerated before reducing (default 10).
    pub patience: usize,
    /// Minimum significant improvement (default 1e-4).
    pub threshold: f64,
    /// Relative or absolute threshold (default [`ThresholdMode::Rel`]).
    pub threshold_mode: ThresholdMode,
    /// Epochs after a reduction during which bad epochs are not counted (default 0).
    pub cooldown: usize,
    /// Floor of the learning rate (default 0).
    pub min_lr: f64,
    /// Reductions smaller than this are skipped (default 1e-8).
    pub eps: f64,
}

impl Default for ReduceLrOnPlateauConfig {
    fn default() -> Self {
        ReduceLrOnPlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

impl ReduceLrOnPlateauConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] naming the setting and its value: `factor` outside
    /// [0, 1), or a negative (or NaN) `threshold`, `min_lr` or `eps`.
    pub fn validate(&self) -> Result<()> {
        let what = "ReduceLrOnPlateauConfig";
        if !(0.0..1.0).contains(&self.factor) {
            return Err(invalid(
                what,
                format!("factor must be in [0, 1), got {}", self.factor),
            ));
        }
        for (name, v) in [
            ("threshold", self.threshold),
            ("min_lr", self.min_lr),
            ("eps", self.eps),
        ] {
            if v.is_nan() || v < 0.0 {
                return Err(invalid(what, format!("{name} must be ≥ 0, got {v}")));
            }
        }
        Ok(())
    }
}

/// Reduces the learning rate when a metric stops improving (PyTorch's `ReduceLROnPlateau`).
///
/// Each [`ReduceLrOnPlateau::step_metric`]: the metric is *better* when, for mode min, it
/// is below best·(1 − threshold) (rel) or best − threshold (abs), and mirrored for max. A
/// better metric becomes the best and clears the bad-epoch count; otherwise the count grows.
/// During cooldown the cooldown counter falls by one and the count is cleared. When the
/// count exceeds `patience`, the rate becomes max(η·factor, min_lr) — unless that changes
/// it by no more than `eps` — cooldown restarts and the count is cleared.
///
/// Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html>.
#[derive(Debug, Clone)]
pub struct ReduceLrOnPlateau {
    config: ReduceLrOnPlateauConfig,
    best: f64,
    num_bad_epochs: u64,
    cooldown_counter: u64,
    last_epoch: u64,
    last_lr: f64,
}

impl ReduceLrOnPlateau {
    /// A plateau schedule for `opt`, starting from its current learning rate.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] from [`ReduceLrOnPlateauConfig::validate`].
    pub fn new(opt: &dyn Optimizer, config: ReduceLrOnPlateauConfig) -> Result<Self> {
        config.validate()?;
        Ok(ReduceLrOnPlateau {
            config,
            best: Self::worst(config.mode),
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            last_lr: opt.learning_rate(),
        })
    }

    fn worst(mode: PlateauMode) -> f64 {
        match mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        }
    }

    fn is_better(&self, a: f64) -> bool {
        let (best, th) = (self.best, self.config.threshold);
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }

    /// Records this epoch's `metric` and reduces `opt`'s learning rate on a plateau.
    pub fn step_metric(&mut self, metric: f64, opt: &mut dyn Optimizer) {
        self.last_epoch += 1;
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.config.patience as u64 {
            let old_lr = opt.learning_rate();
            let new_lr = (old_lr * self.config.factor).max(self.config.min_lr);
            if old_lr - new_lr > self.config.eps {
                opt.set_learning_rate(new_lr);
            }
            self.cooldown_counter = self.config.cooldown as u64;
            self.num_bad_epochs = 0;
        }
        self.last_lr = opt.learning_rate();
    }

    /// The learning rate after the last step (the optimizer's at construction before any).
    pub fn last_lr(&self) -> f64 {
        self.last_lr
    }

    /// The best metric so far (±∞ before the first step).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Consecutive epochs without significant improvement.
    pub fn num_bad_epochs(&self) -> u64 {
        self.num_bad_epochs
    }

    /// Epochs of cooldown left.
    pub fn cooldown_counter(&self) -> u64 {
        self.cooldown_counter
    }

    /// Epochs stepped so far.
    pub fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    /// The state needed to resume: counters, best value, last rate and settings (modes as
    /// 0 = min/rel, 1 = max/abs).
    pub fn state(&self) -> BTreeMap<String, f64> {
        let c = &self.config;
        [
            ("mode", flag(c.mode == PlateauMode::Max)),
            ("factor", c.factor),
            ("patience", c.patience as f64),
            ("threshold", c.threshold),
            (
                "threshold_mode",
                flag(c.threshold_mode == ThresholdMode::Abs),
            ),
            ("cooldown", c.cooldown as f64),
            ("min_lr", c.min_lr),
            ("eps", c.eps),
            ("best", self.best),
            ("num_bad_epochs", self.num_bad_epochs as f64),
            ("cooldown_counter", self.cooldown_counter as f64),
            ("last_epoch", self.last_epoch as f64),
            ("last_lr", self.last_lr),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Restores state saved by [`ReduceLrOnPlateau::state`].
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] naming a missing or invalid entry.
    pub fn load_state(&mut self, state: &BTreeMap<String, f64>) -> Result<()> {
        let what = "ReduceLrOnPlateau::load_state";
        let r = Reader { what, state };
        let config = ReduceLrOnPlateauConfig {
            mode: [PlateauMode::Min, PlateauMode::Max][usize::from(r.flag("mode")?)],
            factor: r.get("factor")?,
            patience: r.count("patience")? as usize,
            threshold: r.get("threshold")?,
            threshold_mode: [ThresholdMode::Rel, ThresholdMode::Abs]
                [usize::from(r.flag("threshold_mode")?)],
            cooldown: r.count("cooldown")? as usize,
            min_lr: r.get("min_lr")?,
            eps: r.get("eps")?,
        };
        config
            .validate()
            .map_err(|e| invalid(what, e.to_string()))?;
        *self = ReduceLrOnPlateau {
            config,
            best: r.get("best")?,
            num_bad_epochs: r.count("num_bad_epochs")?,
            cooldown_counter: r.count("cooldown_counter")?,
            last_epoch: r.count("last_epoch")?,
            last_lr: r.get("last_lr")?,
        };
        Ok(())
    }
}
