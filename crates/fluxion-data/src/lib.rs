//! HDF5 and MAT datasets for Fluxion: PDEBench's layouts and FNO's MAT files.
//!
//! - [`pdebench`]: lazy readers and crash-safe writers for PDEBench's HDF5 layouts (1-D scalar,
//!   2-D Darcy, per-seed groups, compressible Navier–Stokes), with PDEBench's resolution strides
//!   ([`Resolution`]) applied inside HDF5 hyperslab selections and its train/test [`Split`].
//! - [`mat`]: FNO's MAT files, v7.3 (HDF5, axes reversed back to MATLAB order) and classic v5.
//! - [`Hdf5Writer`]: a temporary file renamed into place at the end, chunked per sample.
//! - [`generate`]: seeded, parallel generators of FNO / PDEBench data (Gaussian random fields,
//!   advection, Burgers, Darcy).
//! - [`metrics`]: PDEBench's error metrics and FNO's relative L2.
//! - [`loader`]: shuffled mini-batches, background prefetch, unit-Gaussian normalisers.
//!
//! All data comes back as CPU f32 [`fluxion_tensor::Tensor`]s; every error names the file and key
//! ([`Error`]).
#![warn(missing_docs)]

mod error;
pub mod generate;
mod h5read;
mod h5util;
pub mod loader;
pub mod mat;
pub mod metrics;
pub mod pdebench;
mod sampling;
mod stacked;
mod write;

pub use error::{Error, Result};
pub use h5util::H5File;
pub use sampling::{Resolution, Split, PDEBENCH_TEST_RATIO};
pub use write::{Hdf5Writer, WriteOptions};

/// The `hdf5` crate (`hdf5-metno`) this crate uses, for callers that need raw access.
pub use hdf5;
