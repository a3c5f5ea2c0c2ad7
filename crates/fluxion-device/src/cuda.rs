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

#[cfg(feature = "cuda")]
pub use imp::CudaDevice;

#[cfg(feature = "cuda")]
mod imp {
    use std::sync::Arc;

    use cudarc::driver::{CudaContext, CudaStream};

    use crate::{Error, Result};

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
