//! The crate's error type.

/// Errors about devices and dtypes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A device string that is not `cpu`, `cuda` or `cuda:N`.
    #[error("cannot parse device {input:?}: expected `cpu`, `cuda` or `cuda:N`")]
    ParseDevice {
        /// The text given.
        input: String,
    },
    /// A dtype string that is not one of f16, bf16, f32, f64, u8, i64.
    #[error("cannot parse dtype {input:?}: expected one of f16, bf16, f32, f64, u8, i64")]
    ParseDType {
        /// The text given.
        input: String,
    },
    /// Fluxion was built without the `cuda` feature.
    #[error("CUDA support was not compiled in: rebuild with `--features cuda` (on by default)")]
    CudaNotCompiled,
    /// The CUDA driver library (libcuda) could not be loaded.
    #[error("no CUDA driver found (libcuda could not be loaded): run on a machine with an NVIDIA GPU and driver, or use --device cpu")]
    CudaDriverMissing,
    /// A CUDA ordinal beyond the number of devices.
    #[error("CUDA device {ordinal} requested but {count} device(s) are present")]
    CudaDeviceOutOfRange {
        /// The ordinal asked for.
        ordinal: usize,
        /// How many devices the driver reports.
        count: usize,
    },
    /// An error reported by the CUDA driver.
    #[cfg(feature = "cuda")]
    #[error("CUDA driver error: {0}")]
    CudaDriver(#[from] cudarc::driver::DriverError),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
