//! Devices, element types and errors shared by every Fluxion crate.
//!
//! A [`Device`] is either the CPU or one CUDA GPU. CUDA is reached through cudarc with dynamic
//! loading, so nothing CUDA is needed at build time; at run time the driver library is probed
//! with [`cuda::driver_present`] before any cudarc call, so a machine without a GPU gets an
//! [`Error`], never a panic.
//!
//! ```
//! use fluxion_device::{DType, Device};
//! let dev: Device = "cpu".parse().unwrap();
//! assert!(dev.is_cpu());
//! assert_eq!(DType::F32.size_in_bytes(), 4);
//! ```
#![warn(missing_docs)]

pub mod cuda;
mod device;
mod dtype;
mod error;
#[cfg(feature = "mimalloc")]
pub mod host;

pub use device::{Device, DeviceLocation};
pub use dtype::DType;
pub use error::{Error, Result};

#[cfg(feature = "cuda")]
pub use cuda::CudaDevice;
