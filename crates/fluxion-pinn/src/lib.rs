//! Physics-informed neural networks.
#![warn(missing_docs)]

mod error;

pub use error::{Error, Result};
