//! The crate's error type.

/// Errors from setting up or running an ODE solve.
///
/// Variants that arise mid-solve name the time `t`, the step size `h` and the number of steps
/// attempted so far, so a failing solve can be located without a debugger.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The step size fell below `dt_min` or below the floating-point resolution of `t`.
    #[error(
        "step size underflow at t = {t:e}: h = {h:e} is below the minimum {h_min:e} after {steps} steps \
         (the problem may be stiff or singular; lower `dt_min` or loosen rtol/atol)"
    )]
    StepSizeUnderflow {
        /// Time at which the step was attempted.
        t: f64,
        /// The rejected step size.
        h: f64,
        /// The smallest step size allowed there.
        h_min: f64,
        /// Steps attempted (accepted + rejected).
        steps: usize,
    },
    /// A stage or the new state contained NaN or ±∞.
    #[error("non-finite state (NaN or inf) at t = {t:e} with h = {h:e} after {steps} steps")]
    NonFiniteState {
        /// Start of the step that produced the non-finite value.
        t: f64,
        /// Step size of that step.
        h: f64,
        /// Steps attempted (accepted + rejected).
        steps: usize,
    },
    /// The solve used up `max_steps` before reaching the end of the span.
    #[error(
        "max_steps = {max_steps} reached at t = {t:e} with h = {h:e} before t_end = {t_end:e} \
         (raise `Options::max_steps`)"
    )]
    MaxStepsReached {
        /// Time reached.
        t: f64,
        /// Current step size.
        h: f64,
        /// The limit in force.
        max_steps: usize,
        /// End of the requested span.
        t_end: f64,
    },
    /// An argument that the caller can fix (e.g. unsorted `t_eval`, a tolerance of the wrong length).
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The Rosenbrock iteration matrix `I/(hγ) − J` had no finite non-zero pivot, at this and
    /// four successively halved step sizes (as Hairer's `rodas.f`).
    #[error(
        "singular iteration matrix I/(hγ) − J at t = {t:e} with h = {h:e} after {steps} steps: \
         no finite non-zero pivot in column {column} (check the Jacobian for NaN/inf or a \
         singular structure)"
    )]
    SingularMatrix {
        /// Time at which the step was attempted.
        t: f64,
        /// The last step size tried.
        h: f64,
        /// Steps attempted (accepted + rejected).
        steps: usize,
        /// The column (0-based) where elimination found no pivot.
        column: usize,
    },
    /// An SDE scheme was asked to solve a noise type or calculus it does not support.
    #[error(
        "the {scheme} scheme does not support {noise} noise with the {sde_type} integral \
         (it supports {supported})"
    )]
    UnsupportedSde {
        /// The scheme's name.
        scheme: &'static str,
        /// The problem's noise type.
        noise: String,
        /// The problem's SDE type (Itô or Stratonovich).
        sde_type: String,
        /// What the scheme supports.
        supported: &'static str,
    },
    /// An error from a tensor op inside the right-hand side or the solver.
    #[error(transparent)]
    Tensor(#[from] fluxion_tensor::Error),
    /// An error from a differentiable op inside the right-hand side or the solver.
    #[error(transparent)]
    Autodiff(#[from] fluxion_autodiff::Error),
    /// An error from a neural-network module used as a vector field (see `NeuralOde`).
    #[error(transparent)]
    Nn(#[from] fluxion_nn::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidArgument {
        name,
        reason: reason.into(),
    }
}
