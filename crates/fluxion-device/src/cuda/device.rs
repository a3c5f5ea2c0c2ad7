//! [`CudaDevice`]: one GPU's context, stream, module cache, cuBLAS handle and cuFFT plans.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cudarc::cublas::CudaBlas;
use cudarc::cufft::CudaFft;
use cudarc::driver::{CudaContext, CudaFunction, CudaStream};

use super::fft_plans::{FftPlanKey, PlanCache, SharedPlan};
use super::modules::ModuleCache;
use super::pool::{self, MemoryPool};
use crate::{Error, Result};

/// One CUDA GPU: its primary context, the stream Fluxion's work is queued on, and the per-device
/// caches (compiled kernel modules, the cuBLAS handle, cuFFT plans).
///
/// Cloning is cheap (reference counted); clones share the context, stream and caches. Opening
/// the same ordinal twice in one process gives handles to the same device, so kernels are
/// compiled once per process, not once per `Device::cuda` call.
#[derive(Debug, Clone)]
pub struct CudaDevice {
    ordinal: usize,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    shared: Arc<Shared>,
}

/// What every clone of a device shares.
#[derive(Debug)]
struct Shared {
    /// NVRTC virtual architecture of this GPU, e.g. `compute_90`.
    arch: String,
    modules: ModuleCache,
    /// The cuBLAS handle (created on first use) and whether its math mode allows TF32.
    blas: Mutex<Option<(CudaBlas, bool)>>,
    /// Whether f32 products may use TF32 tensor cores ([`CudaDevice::set_allow_tf32`]).
    allow_tf32: AtomicBool,
    fft_plans: PlanCache,
    memory_pool: MemoryPool,
}

/// Devices opened so far in this process, by ordinal.
static OPEN: Mutex<Vec<CudaDevice>> = Mutex::new(Vec::new());

impl CudaDevice {
    /// Opens device `ordinal` (or returns the handle already opened in this process), checking
    /// the driver library and the device count first.
    ///
    /// The first open sets up the memory pool (see [`crate::cuda`]) and turns off cudarc's
    /// per-allocation event tracking: Fluxion queues all work on one stream, so stream order
    /// already orders every use of a buffer before its free.
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
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = open.iter().find(|d| d.ordinal == ordinal) {
            return Ok(d.clone());
        }
        let ctx = CudaContext::new(ordinal)?;
        // SAFETY: every Fluxion buffer of this context is allocated, used and freed on the one
        // stream below, so stream order is the synchronisation the events would provide.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.default_stream();
        let cc = compute_capability(&ctx)?;
        let memory_pool = pool::configure(&ctx);
        let dev = Self {
            ordinal,
            ctx,
            stream,
            shared: Arc::new(Shared {
                arch: super::device_arch(cc),
                modules: ModuleCache::default(),
                blas: Mutex::new(None),
                allow_tf32: AtomicBool::new(false),
                fft_plans: PlanCache::default(),
                memory_pool,
            }),
        };
        open.push(dev.clone());
        Ok(dev)
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

    /// The NVRTC virtual architecture kernels are compiled for, e.g. `compute_90`.
    pub fn arch(&self) -> &str {
        &self.shared.arch
    }

    /// How tensor memory is allocated on this device.
    pub fn memory_pool(&self) -> MemoryPool {
        self.shared.memory_pool
    }

    /// The kernel `name` (`{op}_{dtype}`, as listed in `fluxion_kernels::MODULES`), compiling
    /// and loading its module for this device's architecture on first use.
    ///
    /// # Errors
    /// [`Error::UnknownKernel`] when no module defines `name`, [`Error::NvrtcMissing`] or
    /// [`Error::KernelCompile`] (carrying the NVRTC log) when its module cannot be compiled,
    /// [`Error::KernelMissing`] when the loaded module lacks it, [`Error::CudaDriver`] when the
    /// driver rejects the PTX.
    pub fn function(&self, name: &str) -> Result<CudaFunction> {
        self.shared
            .modules
            .function(&self.ctx, &self.shared.arch, name)
    }

    /// Lets f32 (and f16/bf16, which multiply in f32) matrix products on this device use TF32
    /// tensor cores: inputs rounded to 10 mantissa bits, products summed in f32, several times
    /// faster on Ampere and later GPUs (PyTorch's `torch.backends.cuda.matmul.allow_tf32`). Off
    /// by default, so products agree with the CPU to f32 rounding. Applies to every handle of
    /// this device from the next product on; f64 products are unaffected.
    pub fn set_allow_tf32(&self, on: bool) {
        self.shared.allow_tf32.store(on, Ordering::Relaxed);
    }

    /// Whether TF32 is allowed ([`CudaDevice::set_allow_tf32`]).
    pub fn allow_tf32(&self) -> bool {
        self.shared.allow_tf32.load(Ordering::Relaxed)
    }

    /// Runs `f` with this device's cuBLAS handle (created on first use, bound to the stream),
    /// its math mode set to allow TF32 or not as [`CudaDevice::allow_tf32`] says. Calls are
    /// serialised: one thread uses the handle at a time.
    ///
    /// # Errors
    /// [`Error::CublasMissing`] without libcublas, [`Error::Cublas`] when the handle cannot be
    /// created or its math mode set.
    pub fn with_blas<R>(&self, f: impl FnOnce(&CudaBlas) -> R) -> Result<R> {
        use cudarc::cublas::sys::{cublasMath_t, cublasSetMathMode};
        let mut slot = self.shared.blas.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            if !super::libraries().cublas {
                return Err(Error::CublasMissing);
            }
            *slot = Some((CudaBlas::new(self.stream.clone())?, false));
        }
        let (blas, tf32) = slot.as_mut().expect("initialised just above");
        let want = self.allow_tf32();
        if *tf32 != want {
            let mode = if want {
                cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH
            } else {
                cublasMath_t::CUBLAS_DEFAULT_MATH
            };
            // SAFETY: the handle is live (owned by `blas`) and used by this thread alone while
            // the lock is held.
            unsafe { cublasSetMathMode(*blas.handle(), mode) }.result()?;
            *tf32 = want;
        }
        Ok(f(blas))
    }

    /// The cached cuFFT plan for `key`, created (bound to the stream) on first use.
    ///
    /// # Errors
    /// [`Error::CufftMissing`] without libcufft, [`Error::Cufft`] when cuFFT cannot make the plan
    /// (for instance out of memory for its work area).
    pub fn fft_plan(&self, key: &FftPlanKey) -> Result<SharedPlan> {
        if !super::libraries().cufft {
            return Err(Error::CufftMissing);
        }
        self.shared.fft_plans.get_or_make(key, || {
            CudaFft::plan_many(
                &key.dims,
                None,
                1,
                0,
                None,
                1,
                0,
                key.kind.cufft_type(),
                key.batch,
                self.stream.clone(),
            )
            .map_err(Error::from)
        })
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
        compute_capability(&self.ctx)
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

fn compute_capability(ctx: &CudaContext) -> Result<(i32, i32)> {
    use cudarc::driver::sys::CUdevice_attribute as A;
    let major = ctx.attribute(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
    let minor = ctx.attribute(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
    Ok((major, minor))
}
