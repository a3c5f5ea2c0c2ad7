//! CUDA probing and the CUDA device handle.
//!
//! Every function here checks that the relevant shared library can be loaded before calling into
//! cudarc, whose dynamically loaded entry points panic when the library is missing.

/// Availability of the CUDA libraries Fluxion uses, probed without touching a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Libraries {
    /// libcuda (the driver).
    pub driver: bool,
    /// libnvrtc (run-time kernel compilation).
    pub nvrtc: bool,
    /// libcublas.
    pub cublas: bool,
    /// libcufft.
    pub cufft: bool,
}

/// Probes which CUDA libraries can be loaded. All false without the `cuda` feature.
pub fn libraries() -> Libraries {
    #[cfg(feature = "cuda")]
    {
        // SAFETY: each `is_culib_present` only tries `dlopen` on candidate library names and
        // drops the handle; it calls no CUDA function.
        unsafe {
            Libraries {
                driver: cudarc::driver::sys::is_culib_present(),
                nvrtc: cudarc::nvrtc::sys::is_culib_present(),
                cublas: cudarc::cublas::sys::is_culib_present(),
                cufft: cudarc::cufft::sys::is_culib_present(),
            }
        }
    }
    #[cfg(not(feature = "cuda"))]
    {
        Libraries::default()
    }
}

/// Whether the CUDA driver library can be loaded.
pub fn driver_present() -> bool {
    libraries().driver
}

/// Number of CUDA devices; 0 when there is no driver or CUDA is not compiled in.
pub fn device_count() -> usize {
    #[cfg(feature = "cuda")]
    {
        if !driver_present() {
            return 0;
        }
        cudarc::driver::CudaContext::device_count()
            .map(|n| n.max(0) as usize)
            .unwrap_or(0)
    }
    #[cfg(not(feature = "cuda"))]
    {
        0
    }
}

/// CUDA driver version as (major, minor), when a driver is present.
pub fn driver_version() -> Option<(i32, i32)> {
    #[cfg(feature = "cuda")]
    {
        if !driver_present() {
            return None;
        }
        let mut v = 0i32;
        // SAFETY: the driver library is loaded (checked above) and `v` is a valid out-pointer.
        let r = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut v) };
        (r == cudarc::driver::sys::CUresult::CUDA_SUCCESS).then_some((v / 1000, (v % 1000) / 10))
    }
    #[cfg(not(feature = "cuda"))]
    {
        None
    }
}

/// How to install libnvrtc for [`check_kernels`] (and the `nvrtc_compile` test).
pub const NVRTC_INSTALL_HINT: &str =
    "python3 -m pip install --target .cache/nvrtc 'nvidia-cuda-nvrtc==13.0.*' \
     && export LD_LIBRARY_PATH=$PWD/.cache/nvrtc/nvidia/cu13/lib (or run scripts/test)";

/// The NVRTC virtual architecture for a compute capability: `(9, 0)` gives `"compute_90"`.
///
/// ```
/// assert_eq!(fluxion_device::cuda::device_arch((8, 6)), "compute_86");
/// ```
pub fn device_arch(cc: (i32, i32)) -> String {
    format!("compute_{}{}", cc.0, cc.1)
}

/// What [`check_kernels`] compiled and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelReport {
    /// The virtual architecture compiled for, e.g. `compute_90`.
    pub arch: String,
    /// Number of kernel modules compiled.
    pub modules: usize,
    /// Number of kernels (PTX entries) verified across all modules.
    pub kernels: usize,
}

/// Compiles every module of `fluxion_kernels::MODULES` with NVRTC for `arch` (e.g.
/// `"compute_90"`) and checks that the PTX entries are exactly the module's listed functions.
///
/// Needs libnvrtc, not a GPU. This is the one check behind both `fluxion info` and the
/// `nvrtc_compile` test.
///
/// # Errors
/// [`Error::NvrtcMissing`](crate::Error::NvrtcMissing) when libnvrtc cannot be loaded,
/// [`Error::KernelCompile`](crate::Error::KernelCompile) with the NVRTC log when a module does
/// not compile, [`Error::KernelMissing`](crate::Error::KernelMissing) or
/// [`Error::KernelUnlisted`](crate::Error::KernelUnlisted) when the entries differ from the list,
/// and [`Error::CudaNotCompiled`](crate::Error::CudaNotCompiled) without the `cuda` feature.
pub fn check_kernels(arch: &str) -> crate::Result<KernelReport> {
    #[cfg(feature = "cuda")]
    {
        imp::check_kernels(arch)
    }
    #[cfg(not(feature = "cuda"))]
    {
        let _ = arch;
        Err(crate::Error::CudaNotCompiled)
    }
}

#[cfg(feature = "cuda")]
pub use imp::CudaDevice;

#[cfg(feature = "cuda")]
mod imp {
    use std::sync::Arc;

    use cudarc::driver::{CudaContext, CudaStream};

    use crate::{Error, Result};

    pub(super) fn check_kernels(arch: &str) -> Result<super::KernelReport> {
        use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions};

        // SAFETY: `is_culib_present` only tries to dlopen the candidate library names and drops
        // any handle it opens; it calls no NVRTC function and has no other preconditions.
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(Error::NvrtcMissing);
        }
        let mut kernels = 0;
        for module in fluxion_kernels::MODULES {
            let opts = CompileOptions {
                // `arch` is `Option<&'static str>`; the same flag, for any `arch`.
                options: vec![format!("--gpu-architecture={arch}")],
                name: Some(format!("{}.cu", module.name)),
                ..Default::default()
            };
            let ptx = compile_ptx_with_opts(module.source, opts)
                .map_err(|err| {
                    let log = match err {
                        CompileError::CompileError {
                            nvrtc,
                            options,
                            log,
                        } => format!(
                            "{nvrtc:?}\noptions: {options:?}\n--- NVRTC log ---\n{}",
                            log.to_string_lossy().trim_end()
                        ),
                        other => format!("{other:?}"),
                    };
                    Error::KernelCompile {
                        module: module.name.to_string(),
                        arch: arch.to_string(),
                        log,
                    }
                })?
                .to_src();
            let entries = fluxion_kernels::ptx_entries(&ptx);
            if let Some(kernel) = module.functions.iter().find(|f| !entries.contains(f)) {
                return Err(Error::KernelMissing {
                    module: module.name.to_string(),
                    arch: arch.to_string(),
                    kernel: kernel.to_string(),
                });
            }
            if let Some(kernel) = entries.iter().find(|e| !module.has_function(e)) {
                return Err(Error::KernelUnlisted {
                    module: module.name.to_string(),
                    arch: arch.to_string(),
                    kernel: kernel.to_string(),
                });
            }
            kernels += entries.len();
        }
        Ok(super::KernelReport {
            arch: arch.to_string(),
            modules: fluxion_kernels::MODULES.len(),
            kernels,
        })
    }

    /// One CUDA GPU: its primary context and the stream Fluxion's work is queued on.
    ///
    /// Cloning is cheap (reference counted); clones share the context and stream.
    #[derive(Debug, Clone)]
    pub struct CudaDevice {
        ordinal: usize,
        ctx: Arc<CudaContext>,
        stream: Arc<CudaStream>,
    }

    impl CudaDevice {
        /// Opens device `ordinal`, checking the driver library and the device count first.
        ///
        /// # Errors
        /// [`Error::CudaDriverMissing`], [`Error::CudaDeviceOutOfRange`] or [`Error::CudaDriver`].
        pub fn new(ordinal: usize) -> Result<Self> {
            if !super::driver_present() {
                return Err(Error::CudaDriverMissing);
            }
            let count = CudaContext::device_count()?.max(0) as usize;
            if ordinal >= count {
                return Err(Error::CudaDeviceOutOfRange { ordinal, count });
            }
            let ctx = CudaContext::new(ordinal)?;
            let stream = ctx.default_stream();
            Ok(Self {
                ordinal,
                ctx,
                stream,
            })
        }

        /// The device ordinal.
        pub fn ordinal(&self) -> usize {
            self.ordinal
        }

        /// The cudarc context.
        pub fn context(&self) -> &Arc<CudaContext> {
            &self.ctx
        }

        /// The stream work is queued on.
        pub fn stream(&self) -> &Arc<CudaStream> {
            &self.stream
        }

        /// The device name as the driver reports it.
        ///
        /// # Errors
        /// [`Error::CudaDriver`] if the query fails.
        pub fn name(&self) -> Result<String> {
            Ok(self.ctx.name()?)
        }

        /// Compute capability (major, minor).
        ///
        /// # Errors
        /// [`Error::CudaDriver`] if the query fails.
        pub fn compute_capability(&self) -> Result<(i32, i32)> {
            use cudarc::driver::sys::CUdevice_attribute as A;
            let major = self
                .ctx
                .attribute(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
            let minor = self
                .ctx
                .attribute(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
            Ok((major, minor))
        }

        /// Total device memory in bytes.
        ///
        /// # Errors
        /// [`Error::CudaDriver`] if the query fails.
        pub fn total_memory(&self) -> Result<usize> {
            self.ctx.bind_to_thread()?;
            let (_free, total) = cudarc::driver::result::mem_get_info()?;
            Ok(total)
        }

        /// Blocks until all work queued on the stream has finished.
        ///
        /// # Errors
        /// [`Error::CudaDriver`] if a queued kernel failed.
        pub fn synchronize(&self) -> Result<()> {
            Ok(self.stream.synchronize()?)
        }
    }
}
