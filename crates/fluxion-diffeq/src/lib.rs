//! ODE solvers for Fluxion: explicit Runge–Kutta methods with adaptive step control, dense
//! output, events, and one solver core shared by plain `Vec<f64>` states (the fast classical
//! path, no allocation per step), [`Tensor`](fluxion_tensor::Tensor) states (batched, any
//! device) and [`Var`](fluxion_autodiff::Var) states (backpropagation through the solver).
//!
//! - [`OdeState`]: the vector-space trait the core is generic over.
//! - [`Method`] / [`Tableau`]: Euler, Midpoint, Heun, RK4, Bosh3, Dopri5, Tsit5, Dop853, each
//!   citing its source.
//! - [`solve`] / [`solve_with_events`] with [`Options`]: fixed or adaptive steps (PI controller,
//!   Hairer's initial step, RMS norm, scalar or per-component tolerances), `SaveAt` times by
//!   each method's own interpolant, dense output, events by root finding.
//! - [`problems`]: reference problems with exact or high-accuracy solutions.
//! - [`solve_stiff`] ([`stiff`]): the Rosenbrock method Rodas5P for stiff problems, with a
//!   user, autodiff or finite-difference [`Jacobian`] and a dense [`Lu`] per step.
//! - [`sde`]: SDE solvers (Euler–Maruyama, Milstein, SRA1, Euler–Heun, Heun, midpoint,
//!   reversible Heun with its exact adjoint) driven by reproducible counter-based Brownian
//!   motion (virtual Brownian tree, sequential increments with Lévy area), and [`NeuralSde`].
//!
//! ```
//! use fluxion_diffeq::{solve, Method, Options, SaveAt};
//! // Harmonic oscillator y'' = −y: y(t) = (cos t, −sin t).
//! let opts = Options::adaptive(1e-10, 1e-10).save(SaveAt::Times(vec![1.0, 2.0]));
//! let sol = solve(Method::Tsit5, |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
//!     dy[0] = y[1];
//!     dy[1] = -y[0];
//!     Ok(())
//! }, (0.0, 2.0), &vec![1.0, 0.0], &opts)?;
//! assert!((sol.ys[0][0] - 1.0f64.cos()).abs() < 1e-8);
//! println!("{} steps, {} f-evals", sol.stats.accepted, sol.stats.f_evals);
//! # Ok::<(), fluxion_diffeq::Error>(())
//! ```
#![warn(missing_docs)]

mod adjoint;
mod controller;
mod dense;
mod error;
mod events;
mod neural_ode;
mod options;
pub mod problems;
pub mod sde;
mod solve;
pub mod spiral;
mod state;
mod state_tensor;
pub mod stiff;
mod tableau;
pub mod tableaus;

pub use adjoint::{
    adjoint_gradients, odeint_adjoint, AdjointGrads, AdjointOptions, AdjointSolve, AdjointStats,
};
pub use controller::PiController;
pub use dense::DenseOutput;
pub use error::{Error, Result};
pub use events::{Direction, Event, EventHit};
pub use neural_ode::{GradientMode, NeuralOde};
pub use options::{Options, SaveAt, Stats, StepMode};
pub use sde::{
    solve_sde, BrownianIncrements, BrownianTree, NeuralSde, NoiseType, Sde, SdeAdaptive, SdeMethod,
    SdeOptions, SdeType,
};
pub use solve::{solve, solve_with_events, Solution};
pub use state::{rms_norm, OdeState, Tolerance};
pub use stiff::{
    jacobian_autodiff, jacobian_autodiff_batch, solve_stiff, solve_stiff_batch,
    solve_stiff_batch_with, solve_stiff_with, BatchJacobian, BatchLinearSolve, BatchLu, Jacobian,
    Lu, RosenbrockController, RosenbrockOptions, RosenbrockTableau, StiffMethod, RODAS5P,
};
pub use tableau::{DenseKind, ErrorEstimate, Method, Tableau};
