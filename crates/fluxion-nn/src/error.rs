//! The nn crate's error type.

use std::path::PathBuf;

/// Errors from modules, optimizers and checkpoints.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From autodiff (which wraps tensor errors).
    #[error(transparent)]
    Autodiff(#[from] fluxion_autodiff::Error),
    /// From a tensor op.
    #[error(transparent)]
    Tensor(#[from] fluxion_tensor::Error),
    /// An argument out of its valid range (a learning rate, a width, a factor).
    #[error("{what}: {reason}")]
    InvalidArgument {
        /// The function or setting.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// An optimizer step needs a closure that re-evaluates the loss (L-BFGS).
    #[error("{optimizer}: step() needs a closure that re-evaluates the loss; call step_with")]
    NeedsClosure {
        /// The optimizer.
        optimizer: &'static str,
    },
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A malformed safetensors file.
    #[error("{path}: not a valid safetensors file: {source}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: safetensors::SafeTensorError,
    },
    /// A checkpoint entry that does not fit the model or optimizer it is loaded into.
    #[error("{path}: {name}: {reason}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// The parameter or state entry.
        name: String,
        /// What differs (expected vs found shape or dtype, missing, unexpected).
        reason: String,
    },
    /// Optimizer state that does not fit the optimizer it is loaded into.
    #[error("{optimizer}: cannot load state: {reason}")]
    OptimizerState {
        /// The optimizer.
        optimizer: &'static str,
        /// What differs.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
