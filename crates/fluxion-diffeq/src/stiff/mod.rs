//! Stiff solvers: adaptive Rosenbrock methods with an exact (user or autodiff) or
//! finite-difference Jacobian and a dense LU per step, for one system or a batch.
//!
//! - [`solve_stiff`] with a [`StiffMethod`] (Rodas5P) and a [`Jacobian`]; the same [`Options`]
//!   (tolerances, PI controller, `max_steps`, `dt_min`, [`SaveAt`], dense output) and
//!   [`Solution`] as [`solve`](crate::solve). [`solve_stiff_with`] takes
//!   [`RosenbrockOptions`] too (Hairer's predictive controller, [`RosenbrockController`]).
//! - [`solve_stiff_batch`] / [`solve_stiff_batch_with`]: `B` independent systems as one
//!   `[B, n]` tensor (f32/f64, any device), a [`BatchJacobian`] (`[B, n, n]`, user, autodiff
//!   or finite differences), a [`BatchLu`] per step ([`BatchLinearSolve`]), one step size for
//!   the batch.
//! - [`RosenbrockTableau`] / [`RODAS5P`]: the coefficients as data, citing their source.
//! - [`Lu`] / [`BatchLu`]: dense LU with partial pivoting; [`jacobian_autodiff`] /
//!   [`jacobian_autodiff_batch`]: `J` of a `Var` right-hand side.
//!
//! [`Options`]: crate::Options
//! [`SaveAt`]: crate::SaveAt
//! [`Solution`]: crate::Solution

mod batch;
mod batch_jacobian;
mod batch_lu;
mod control;
mod dense;
mod driver;
mod jacobian;
mod lu;
mod rosenbrock;
mod source;
mod tableau;

pub use batch::{solve_stiff_batch, solve_stiff_batch_with, BatchLinearSolve};
pub use batch_jacobian::{jacobian_autodiff_batch, BatchJacobian};
pub use batch_lu::BatchLu;
pub use control::{RosenbrockController, RosenbrockOptions};
pub use jacobian::{jacobian_autodiff, Jacobian};
pub use lu::Lu;
pub use rosenbrock::{solve_stiff, solve_stiff_with};
pub use tableau::{RosenbrockTableau, StiffMethod, RODAS5P};
