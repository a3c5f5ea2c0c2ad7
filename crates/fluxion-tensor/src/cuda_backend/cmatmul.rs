//! Batched complex matrix products (`Tensor::complex_matmul`) with `cmatmul_{f32,f64}` of
//! `kernels/cmatmul.cu`: one launch, one thread per output pair, operands read in place through
//! their strides (transposed and broadcast views included) when their batch axes collapse to one
//! stride, otherwise copied contiguous first.

use cudarc::driver::{CudaSlice, PushKernelArg};
use fluxion_device::{CudaDevice, DType};

use super::copy::{empty, in_place_or_contig};
use super::launch::{alloc, grid, kernel, OrCuda};
use super::matmul::batch_stride;
use super::{CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::{Error, Layout, Result};

const OP: &str = "complex_matmul";

pub(super) fn complex_matmul(
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
    conj: [bool; 2],
) -> Result<CudaStorage> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op: OP,
            lhs: a.dtype(),
            rhs: b.dtype(),
        });
    }
    let dev = a.cuda_device();
    match (a.data(), b.data()) {
        (CudaData::F32(x), CudaData::F32(y)) => typed(dev, x, la, y, lb, conj, DType::F32),
        (CudaData::F64(x), CudaData::F64(y)) => typed(dev, x, la, y, lb, conj, DType::F64),
        _ => Err(Error::UnsupportedDType {
            op: OP,
            dtype: a.dtype(),
            supported: "f32, f64",
        }),
    }
}

/// Strides `[batch, row, col, pair]` of a `[B…, rows, cols, 2]` operand whose batch axes
/// collapse to one stride (0 for a single or broadcast matrix), or `None`.
pub(crate) fn operand_strides(l: &Layout) -> Option<[usize; 4]> {
    let r = l.dims().len();
    let s = l.strides();
    let z = batch_stride(&l.dims()[..r - 3], &s[..r - 3])?;
    Some([z, s[r - 3], s[r - 2], s[r - 1]])
}

fn typed<T: DevElem>(
    dev: &CudaDevice,
    x: &CudaSlice<T>,
    la: &Layout,
    y: &CudaSlice<T>,
    lb: &Layout,
    conj: [bool; 2],
    dtype: DType,
) -> Result<CudaStorage> {
    let r = la.dims().len();
    let (m, k, n) = (la.dims()[r - 3], la.dims()[r - 2], lb.dims()[r - 2]);
    let batch: usize = la.dims()[..r - 3].iter().product();
    let total = batch * m * n;
    if total == 0 {
        return empty(dev, dtype, OP);
    }
    let (ca, sa) = in_place_or_contig(dev, x, la, dtype, OP, operand_strides)?;
    let (cb, sb) = in_place_or_contig(dev, y, lb, dtype, OP, operand_strides)?;
    let (va, vb) = (ca.view(), cb.view());
    // SAFETY: the kernel writes both parts of all `total` output pairs (zeros when k = 0).
    let out = unsafe { alloc::<T>(dev, 2 * total, OP)? };
    let name = format!("cmatmul_{}", dtype.as_str());
    let func = kernel(dev, &name, OP)?;
    let stream = dev.stream();
    let mut builder = stream.launch_builder(&func);
    let (conj_a, conj_b) = (i32::from(conj[0]), i32::from(conj[1]));
    builder
        .arg(&out)
        .arg(&va)
        .arg(&vb)
        .arg(&batch)
        .arg(&m)
        .arg(&n)
        .arg(&k);
    for s in sa.iter().chain(&sb) {
        builder.arg(s);
    }
    builder.arg(&conj_a).arg(&conj_b);
    // SAFETY: matches `cmatmul_{f32,f64}(T* c, const T* a, const T* b, size_t batch,
    // size_t rows, size_t cols, size_t inner, size_t sa_z, size_t sa_r, size_t sa_k,
    // size_t sa_p, size_t sb_z, size_t sb_k, size_t sb_c, size_t sb_p, int conj_a, int conj_b)`
    // of kernels/cmatmul.cu. The views start at each operand's first element and the strides
    // are its layout's (validated against the buffer by the Tensor API, or those of the
    // contiguous copy), so every pair the kernel addresses lies inside its buffer; `out` is a
    // fresh buffer of 2·total elements.
    unsafe { builder.launch(grid(total)) }.or_cuda(OP, || {
        format!(
            "{name}: [{batch}, {m}, {k}] · [{batch}, {k}, {n}] complex ({} · {})",
            la.shape(),
            lb.shape()
        )
    })?;
    Ok(CudaStorage::from_slice(out, 2 * total, dtype, dev))
}
