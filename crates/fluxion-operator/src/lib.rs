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

mod error;
pub mod spectral;

pub use error::{Error, Result};
pub use spectral::{SpectralConv, SpectralMethod};
