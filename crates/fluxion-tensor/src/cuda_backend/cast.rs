//! Dtype conversion with `cast_{src}_{dst}` of `kernels/cast.cu`: every pair of the six dtypes,
//! with the CPU's semantics (correct rounding between floats, saturating truncation to
//! integers, i64 to f16/bf16 through round-to-odd f32).

use cudarc::driver::{CudaSlice, PushKernelArg};
use fluxion_device::{CudaDevice, DType};

use super::copy::{contig, copy_strided, empty, uninit};
use super::launch::{grid, kernel, OrCuda};
use super::{map_data, CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::{Layout, Result};

const OP: &str = "to_dtype";

pub(super) fn to_dtype(s: &CudaStorage, layout: &Layout, dtype: DType) -> Result<CudaStorage> {
    let src = s.dtype();
    if src == dtype {
        return copy_strided(s, layout);
    }
    let dev = s.cuda_device();
    let n = layout.elem_count();
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    // SAFETY: the cast kernel below writes all n elements of the output.
    let out = unsafe { uninit(dev, n, dtype, OP)? };
    map_data!(s.data(), buf => map_data!(out.data(), dst => launch(dev, buf, layout, src, dst, dtype)))?;
    Ok(out)
}

/// Converts the elements of `layout` over `buf` (dtype `src`) into `dst` (dtype `dtype`).
fn launch<S: DevElem, D: DevElem>(
    dev: &CudaDevice,
    buf: &CudaSlice<S>,
    layout: &Layout,
    src: DType,
    dst: &CudaSlice<D>,
    dtype: DType,
) -> Result<()> {
    let n = layout.elem_count();
    let input = contig(dev, buf, layout, src, OP)?;
    let view = input.view();
    let name = format!("cast_{}_{}", src.as_str(), dtype.as_str());
    let func = kernel(dev, &name, OP)?;
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    b.arg(dst).arg(&view).arg(&n);
    // SAFETY: matches `cast_{src}_{dst}(D* out, const S* in, size_t n)` of kernels/cast.cu: `view`
    // holds the n contiguous source elements; `dst` is a fresh buffer of n elements of the target
    // type that nothing else references yet (the storage wrapping it has not been returned), so
    // writing through it is sound.
    unsafe { b.launch(grid(n)) }.or_cuda(OP, || format!("{name} of {layout:?}"))?;
    Ok(())
}
