//! Setting up the device's stream-ordered memory pool (the reasoning is in the module docs of
//! [`crate::cuda`]).

use std::sync::Arc;

use cudarc::driver::sys::CUmemPool_attribute;
use cudarc::driver::{result, CudaContext};

/// How a device's tensor memory is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryPool {
    /// `cuMemAllocAsync` from the default pool with the release threshold at `u64::MAX`: freed
    /// blocks stay cached for reuse (the normal case).
    Retaining,
    /// `cuMemAllocAsync` from the default pool, but its release threshold could not be raised:
    /// freed memory may go back to the OS at each synchronisation.
    AsyncDefault,
    /// The device has no memory pools: synchronous `cuMemAlloc`/`cuMemFree` per tensor.
    Synchronous,
}

/// Raises the release threshold of `ctx`'s default pool to `u64::MAX` when the device allocates
/// from pools (cudarc's [`CudaContext::has_async_alloc`]). Never fails: a device that cannot do
/// it still works, with the fallback named in the result.
pub(super) fn configure(ctx: &Arc<CudaContext>) -> MemoryPool {
    if !ctx.has_async_alloc() {
        return MemoryPool::Synchronous;
    }
    let mut threshold: u64 = u64::MAX;
    // SAFETY: `cu_device` comes from the live context, as `get_default_mem_pool` requires; the
    // release threshold attribute takes a `cuuint64_t` (u64), and `threshold` is a valid u64 that
    // outlives the call.
    let set = unsafe {
        result::device::get_default_mem_pool(ctx.cu_device()).and_then(|pool| {
            result::mem_pool::set_attribute(
                pool,
                CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                (&mut threshold as *mut u64).cast(),
            )
        })
    };
    match set {
        Ok(()) => MemoryPool::Retaining,
        Err(_) => MemoryPool::AsyncDefault,
    }
}
