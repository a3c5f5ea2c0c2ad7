//! Solver options and the statistics a solve reports.

use crate::controller::PiController;
use crate::state::Tolerance;

/// Fixed or adaptive stepping.
#[derive(Debug, Clone, PartialEq)]
pub enum StepMode {
    /// Error-controlled steps; `h0 = None` selects the first step by Hairer's rule.
    Adaptive {
        /// First step size (magnitude); `None` for Hairer's initial step.
        h0: Option<f64>,
    },
    /// Steps of size `dt` (the last one shortened to land on `t1`).
    Fixed(f64),
}

/// Which states a solve returns in [`Solution::ts`](crate::Solution::ts) / `ys`.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveAt {
    /// `t0` and every accepted step (SciPy's default).
    Steps,
    /// These times only, sorted in the direction of integration, inside the span; evaluated by the
    /// method's dense interpolant.
    Times(Vec<f64>),
    /// The final state only (diffrax's `SaveAt(t1=True)`); no per-step allocation.
    End,
}

/// Options of [`solve`](crate::solve).
///
/// Defaults: adaptive with `rtol = 1e-6`, `atol = 1e-9`, the default [`PiController`],
/// `max_steps = 100 000`, `dt_min = 0`, every step saved, no dense output.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Relative tolerance (scalar or per component).
    pub rtol: Tolerance,
    /// Absolute tolerance (scalar or per component).
    pub atol: Tolerance,
    /// Fixed or adaptive steps.
    pub step: StepMode,
    /// Step-size controller.
    pub controller: PiController,
    /// Most steps (accepted + rejected) before [`Error::MaxStepsReached`](crate::Error::MaxStepsReached).
    pub max_steps: usize,
    /// Smallest step size magnitude; also never below `10·ε·|t|`.
    pub dt_min: f64,
    /// Which states to return.
    pub save: SaveAt,
    /// Keep every step's stages so [`Solution::dense`](crate::Solution::dense) can evaluate `y(t)` anywhere.
    pub dense: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rtol: Tolerance::Scalar(1e-6),
            atol: Tolerance::Scalar(1e-9),
            step: StepMode::Adaptive { h0: None },
            controller: PiController::default(),
            max_steps: 100_000,
            dt_min: 0.0,
            save: SaveAt::Steps,
            dense: false,
        }
    }
}

impl Options {
    /// Adaptive steps with these tolerances, other options at their defaults.
    pub fn adaptive(rtol: impl Into<Tolerance>, atol: impl Into<Tolerance>) -> Self {
        Options {
            rtol: rtol.into(),
            atol: atol.into(),
            ..Options::default()
        }
    }

    /// Fixed steps of size `dt` (sign ignored; the direction comes from the span).
    pub fn fixed(dt: f64) -> Self {
        Options {
            step: StepMode::Fixed(dt),
            ..Options::default()
        }
    }

    /// The same options with `save` replaced.
    pub fn save(mut self, save: SaveAt) -> Self {
        self.save = save;
        self
    }

    /// The same options with dense output switched on or off.
    pub fn dense(mut self, dense: bool) -> Self {
        self.dense = dense;
        self
    }

    /// The same options with `max_steps` replaced.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }
}

/// Counters of one solve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps.
    pub rejected: usize,
    /// Evaluations of the right-hand side (initial step selection and dense-output stages included).
    pub f_evals: usize,
}
