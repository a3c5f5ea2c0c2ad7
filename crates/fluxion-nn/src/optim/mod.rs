//! Optimizers, learning-rate schedulers and gradient clipping.
//!
//! Optimizers hold the parameter [`Var`]s they update, read the gradients that
//! [`Var::backward`] accumulated, and replace each parameter's value with
//! [`Var::set_value`]. Their state (moments, step counts, L-BFGS history) round-trips through
//! [`OptimizerState`] so training resumes exactly from a checkpoint.

use std::collections::BTreeMap;

use fluxion_autodiff::Var;
use fluxion_tensor::Tensor;

use crate::Result;

/// An optimizer's resumable state: hyper-parameters and counters as scalars, per-parameter
/// buffers as tensors keyed `"{param_index}.{buffer}"` (PyTorch's `state_dict` layout).
#[derive(Debug, Clone, Default)]
pub struct OptimizerState {
    /// Which optimizer wrote it (`"adam"`, `"sgd"`, …), checked on load.
    pub kind: String,
    /// Scalars such as `"lr"` and `"step"`.
    pub scalars: BTreeMap<String, f64>,
    /// Buffers such as `"0.exp_avg"`.
    pub tensors: BTreeMap<String, Tensor>,
}

/// A rule that updates parameters from their gradients.
pub trait Optimizer: Send {
    /// A short name (`"adam"`), used in errors and saved state.
    fn name(&self) -> &'static str;

    /// The parameters being optimized.
    fn params(&self) -> &[Var];

    /// One update from the gradients accumulated in the parameters. Parameters without a
    /// gradient are left alone, as in PyTorch.
    ///
    /// # Errors
    /// [`crate::Error::NeedsClosure`] for L-BFGS; tensor errors.
    fn step(&mut self) -> Result<()>;

    /// One update with a closure that zeroes the gradients, recomputes the loss, runs
    /// backward and returns the loss. First-order optimizers call it once; L-BFGS calls it
    /// as often as its line search needs. Returns the loss of the first evaluation.
    ///
    /// # Errors
    /// Errors from the closure or the update.
    fn step_with(&mut self, closure: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
        let loss = closure()?;
        self.step()?;
        Ok(loss)
    }

    /// Clears every parameter's gradient.
    fn zero_grad(&self) {
        for p in self.params() {
            p.zero_grad();
        }
    }

    /// The current learning rate.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (schedulers call this).
    fn set_learning_rate(&mut self, lr: f64);

    /// The state needed to resume.
    fn state(&self) -> OptimizerState;

    /// Restores state saved by [`Optimizer::state`] of the same optimizer kind over the same
    /// parameter shapes.
    ///
    /// # Errors
    /// [`crate::Error::OptimizerState`] naming the entry that does not fit.
    fn load_state(&mut self, state: &OptimizerState) -> Result<()>;
}

mod adam;
mod clip;
mod common;
mod lbfgs;
mod line_search;
mod rmsprop;
mod scheduler;
mod sgd;

pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use lbfgs::{CurvatureTest, Lbfgs, LbfgsConfig};
pub use line_search::{cubic_interpolate, LineSearchOutcome, StrongWolfe};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use scheduler::{
    CosineAnnealingLr, ExponentialLr, LrScheduler, PlateauMode, ReduceLrOnPlateau,
    ReduceLrOnPlateauConfig, StepLr, ThresholdMode,
};
pub use sgd::{Sgd, SgdConfig};
