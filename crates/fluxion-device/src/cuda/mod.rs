//! CUDA probing and the CUDA device handle.
//!
//! Every function here checks that the relevant shared library can be loaded before calling into
//! cudarc, whose dynamically loaded entry points panic when the library is missing.
//!
//! - `compile.rs`: NVRTC compilation of one kernel module for a virtual architecture, shared by
//!   [`check_kernels`] and the device's module cache.
//! - `device.rs`: [`CudaDevice`], one per GPU and process (clones share everything): the context,
//!   the stream all work goes to, lazily created cuBLAS handle and cuFFT plans.
//! - `modules.rs`: the per-device table of loaded modules, indexed by `fluxion_kernels::Id`, and
//!   the cache of kernel functions looked up by name.
//! - `pool.rs`: the memory pool setup (below).
//! - `fft_plans.rs`: cuFFT plans keyed by (transform dims, batch, kind).
//!
//! # Memory: the driver's stream-ordered pool, not our own allocator
//!
//! Training loops allocate and free the same sizes every step; calling `cuMemAlloc`/`cuMemFree`
//! each time would synchronise the device and cost tens of microseconds per tensor. cudarc
//! allocates with `cuMemAllocAsync` and frees with `cuMemFreeAsync` on the stream whenever the
//! device supports memory pools (`CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED`, every GPU NVRTC 13
//! targets). Those draw from the device's default pool, which by default returns freed memory to
//! the OS at each synchronisation; opening a device sets the pool's
//! `CU_MEMPOOL_ATTR_RELEASE_THRESHOLD` to `u64::MAX`, so freed blocks stay cached and a step's
//! allocations are served from the pool without a driver round trip. The driver's pool already
//! does what a size-class allocator would (reuse in stream order, coalescing, no cross-stream
//! hazards), and a hand-written one would have to duplicate cudarc's `CudaSlice` ownership and
//! drop logic. Where pools are unsupported (or the attribute cannot be set) cudarc falls back to
//! synchronous `cuMemAlloc`/`cuMemFree` and [`CudaDevice::memory_pool`] says so: correct, just
//! slower.

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
        compile::check_kernels(arch)
    }
    #[cfg(not(feature = "cuda"))]
    {
        let _ = arch;
        Err(crate::Error::CudaNotCompiled)
    }
}

#[cfg(feature = "cuda")]
mod compile;
#[cfg(feature = "cuda")]
mod device;
#[cfg(feature = "cuda")]
mod fft_plans;
#[cfg(feature = "cuda")]
mod modules;
#[cfg(feature = "cuda")]
mod pool;

#[cfg(feature = "cuda")]
pub use device::CudaDevice;
#[cfg(feature = "cuda")]
pub use fft_plans::{FftKind, FftPlanKey, SharedPlan, MAX_PLANS};
#[cfg(feature = "cuda")]
pub use pool::MemoryPool;
