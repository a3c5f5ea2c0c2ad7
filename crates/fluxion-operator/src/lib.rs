//! Fourier neural operators (Li et al., ICLR 2021).
//!
//! - [`SpectralConv`]: the Fourier layer's global convolution — transform the trailing spatial
//!   axes, multiply the retained modes (both signs of frequency in every non-last axis) by
//!   complex weights, transform back. `SpectralConv{1,2,3}d` are this type with 1, 2 or 3
//!   spatial axes.
//!
//! Layout: every operator in this crate is **channels-last**, `[batch, n₁, …, n_d, channels]`,
//! so lifting, projection and the 1×1 convolutions are [`fluxion_nn::Linear`] layers over the
//! last axis and no large tensor is permuted between layers.
#![warn(missing_docs)]

pub mod dft;
mod error;
pub mod spectral;
mod spectral_fft;

pub use error::{Error, Result};
pub use spectral::{SpectralConv, SpectralMethod};
pub mod data;
pub mod experiment;
pub mod fno;
pub mod loss;
pub mod normalizer;
pub mod train;

pub use data::OperatorData;
pub use experiment::{run, ExperimentReport, FnoExperiment};
pub use fno::{Fno, Fno1d, Fno2d, Fno3d, FnoConfig};
pub use loss::Reduction;
pub use normalizer::VarNormalizer;
pub use train::{TrainConfig, TrainEvent, TrainObserver, TrainReport, Trainer};
