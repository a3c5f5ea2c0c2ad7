//! Neural-network building blocks: modules with named parameters, initialisers, optimizers,
//! learning-rate schedulers and safetensors checkpoints.
#![warn(missing_docs)]

mod error;
mod module;
pub mod optim;

pub use error::{Error, Result};
pub use module::{visit_child, Module};
pub use optim::{Optimizer, OptimizerState};
