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
    /// libnvrtc (run-time kernel compilation) could not be loaded.
    #[error("libnvrtc (CUDA 13) could not be loaded, so the CUDA kernels cannot be compiled; install it with: {}", crate::cuda::NVRTC_INSTALL_HINT)]
    NvrtcMissing,
    /// NVRTC rejected a kernel module.
    #[error("NVRTC failed to compile kernel module `{module}` for {arch}:\n{log}")]
    KernelCompile {
        /// The module's name (`fluxion_kernels::Module::name`).
        module: String,
        /// The virtual architecture, e.g. `compute_90`.
        arch: String,
        /// What NVRTC reported: its error code, the options and the compiler log.
        log: String,
    },
    /// A kernel listed for a module is not an entry of the module's PTX.
    #[error("kernel module `{module}` ({arch}): kernel `{kernel}` is listed but is not an entry of the compiled PTX")]
    KernelMissing {
        /// The module's name.
        module: String,
        /// The virtual architecture.
        arch: String,
        /// The listed kernel that is missing.
        kernel: String,
    },
    /// The module's PTX has an entry that `fluxion_kernels::MODULES` does not list.
    #[error("kernel module `{module}` ({arch}): the compiled PTX has entry `{kernel}`, which the module does not list in its functions")]
    KernelUnlisted {
        /// The module's name.
        module: String,
        /// The virtual architecture.
        arch: String,
        /// The unlisted PTX entry.
        kernel: String,
    },
    /// A kernel name that no module of `fluxion_kernels::MODULES` lists.
    #[error("no kernel module defines `{kernel}` (see fluxion_kernels::MODULES)")]
    UnknownKernel {
        /// The name asked for, `{op}_{dtype}`.
        kernel: String,
    },
    /// libcublas could not be loaded.
    #[error("libcublas could not be loaded (matrix products on CUDA need it): install the CUDA 13 cuBLAS runtime or use --device cpu")]
    CublasMissing,
    /// libcufft could not be loaded.
    #[error("libcufft could not be loaded (FFTs on CUDA need it): install the CUDA 13 cuFFT runtime or use --device cpu")]
    CufftMissing,
    /// An error reported by the CUDA driver.
    #[cfg(feature = "cuda")]
    #[error("CUDA driver error: {0}")]
    CudaDriver(#[from] cudarc::driver::DriverError),
    /// An error reported by cuBLAS.
    #[cfg(feature = "cuda")]
    #[error("cuBLAS error: {0}")]
    Cublas(#[from] cudarc::cublas::result::CublasError),
    /// An error reported by cuFFT.
    #[cfg(feature = "cuda")]
    #[error("cuFFT error: {0}")]
    Cufft(#[from] cudarc::cufft::result::CufftError),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
