//! The PINN crate's error type.

use std::path::PathBuf;

/// Errors from PINN problems, samplers, training and references.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From autodiff (which wraps tensor errors).
    #[error(transparent)]
    Autodiff(#[from] fluxion_autodiff::Error),
    /// From a tensor op.
    #[error(transparent)]
    Tensor(#[from] fluxion_tensor::Error),
    /// From modules, optimizers or checkpoints.
    #[error(transparent)]
    Nn(#[from] fluxion_nn::Error),
    /// An argument or configuration value out of its valid range (domains, point counts, weights).
    #[error("{what}: {reason}")]
    InvalidArgument {
        /// The function, layer or setting.
        what: &'static str,
        /// What was wrong, with the values seen.
        reason: String,
    },
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Error {
    /// An [`Error::InvalidArgument`].
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what,
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
