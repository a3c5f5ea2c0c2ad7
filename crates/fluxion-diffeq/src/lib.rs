//! ODE and SDE solvers (in progress).
#![warn(missing_docs)]
