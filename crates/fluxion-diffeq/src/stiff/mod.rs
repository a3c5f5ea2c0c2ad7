//! Stiff solvers: adaptive Rosenbrock methods with an exact (user or autodiff) or
//! finite-difference Jacobian and a dense LU per step.
//!
//! - [`solve_stiff`] with a [`StiffMethod`] (Rodas5P) and a [`Jacobian`]; the same [`Options`]
//!   (tolerances, PI controller, `max_steps`, `dt_min`, [`SaveAt`]) and [`Solution`] as
//!   [`solve`](crate::solve).
//! - [`RosenbrockTableau`] / [`RODAS5P`]: the coefficients as data, citing their source.
//! - [`Lu`]: dense LU with partial pivoting; [`jacobian_autodiff`]: `J` of a `Var` right-hand side.
//!
//! [`Options`]: crate::Options
//! [`SaveAt`]: crate::SaveAt
//! [`Solution`]: crate::Solution

mod jacobian;
mod lu;
mod rosenbrock;
mod tableau;

pub use jacobian::{jacobian_autodiff, Jacobian};
pub use lu::Lu;
pub use rosenbrock::solve_stiff;
pub use tableau::{RosenbrockTableau, StiffMethod, RODAS5P};
