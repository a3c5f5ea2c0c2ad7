//! Batched matrix products through the `gemm` crate (threaded on rayon's pool, any row/column
//! strides, so transposed views need no copy). f16/bf16 compute in f32.

use rayon::prelude::*;

use super::strided::offsets;
use super::{elementwise, float_only, CpuStorage};
use crate::backend::BackendStorage;
use crate::{DType, Error, Layout, Result};

/// Products smaller than this (m·n·k) run batches in parallel instead of threading each one.
const SMALL: usize = 128 * 128 * 128;

pub(super) fn matmul(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
) -> Result<CpuStorage> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op: "matmul",
            lhs: a.dtype(),
            rhs: b.dtype(),
        });
    }
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => Ok(CpuStorage::F32(gemm_batched(x, la, y, lb))),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => Ok(CpuStorage::F64(gemm_batched(x, la, y, lb))),
        (CpuStorage::F16(_) | CpuStorage::BF16(_), _) => {
            let x = elementwise_cast(a, la);
            let y = elementwise_cast(b, lb);
            let (cla, clb) = (
                Layout::contiguous(la.shape().clone()),
                Layout::contiguous(lb.shape().clone()),
            );
            let out = matmul(&x, &cla, &y, &clb)?;
            let mut dims = la.dims().to_vec();
            let n = *lb.dims().last().expect("rank >= 2");
            *dims.last_mut().expect("rank >= 2") = n;
            out.to_dtype(&Layout::contiguous(dims), a.dtype())
        }
        _ => Err(float_only("matmul", a.dtype())),
    }
}

fn elementwise_cast(s: &CpuStorage, l: &Layout) -> CpuStorage {
    elementwise::cast(s, l, DType::F32)
}

/// `C = A·B` for one matrix of the batch through the `gemm` crate (BLIS-style kernels with
/// runtime CPU dispatch; any row/column strides, so transposed views need no copy).
///
/// # Safety
/// `a`, `b` must be valid for reads of every element the (m, k, n, strides) describe and `c`
/// valid for writes of m·n elements with row stride n.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_one<T: 'static + Copy + num_traits::Zero + num_traits::One>(
    (m, k, n): (usize, usize, usize),
    a: *const T,
    (rsa, csa): (isize, isize),
    b: *const T,
    (rsb, csb): (isize, isize),
    c: *mut T,
    parallel: bool,
) {
    let par = if parallel {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: forwarded from this function's contract. With `read_dst = false` the destination
    // is only written: c = beta·(a·b) with beta = 1.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            1,
            n as isize,
            false,
            a,
            csa,
            rsa,
            b,
            csb,
            rsb,
            T::zero(),
            T::one(),
            false,
            false,
            false,
            par,
        )
    }
}

/// Output `[B…, m, n]` of `lhs [B…, m, k] · rhs [B…, k, n]`.
fn gemm_batched<T: 'static + Copy + Send + Sync + num_traits::Zero + num_traits::One>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
) -> Vec<T> {
    let r = la.dims().len();
    let (m, k, n) = (la.dims()[r - 2], la.dims()[r - 1], lb.dims()[r - 1]);
    let batch_dims = &la.dims()[..r - 2];
    let a_off = offsets(batch_dims, &la.strides()[..r - 2], la.start_offset());
    let b_off = offsets(batch_dims, &lb.strides()[..r - 2], lb.start_offset());
    let sa = (la.strides()[r - 2] as isize, la.strides()[r - 1] as isize);
    let sb = (lb.strides()[r - 2] as isize, lb.strides()[r - 1] as isize);
    let total = a_off.len() * m * n;
    if m * n == 0 || k == 0 {
        return vec![T::zero(); total];
    }
    // The output is written by gemm without being read (`read_dst = false`), so it is not
    // zero-filled first: that pass cost a page-faulting sweep over m·n elements per call.
    let mut out = Vec::with_capacity(total);
    let batch_parallel = a_off.len() > 1 && m * n * k < SMALL;
    let one = |c: *mut T, i: usize| {
        // SAFETY: `a_off[i]`, `b_off[i]` and the strides come from layouts the Tensor API
        // validated against these storages, so every addressed element is in bounds; `c` points
        // at m·n writable (possibly uninitialised) elements, which gemm only writes.
        unsafe {
            gemm_one(
                (m, k, n),
                a.as_ptr().add(a_off[i]),
                sa,
                b.as_ptr().add(b_off[i]),
                sb,
                c,
                !batch_parallel && m * n * k >= SMALL,
            )
        }
    };
    let spare = &mut out.spare_capacity_mut()[..total];
    if batch_parallel {
        spare
            .par_chunks_mut(m * n)
            .enumerate()
            .for_each(|(i, c)| one(c.as_mut_ptr().cast(), i));
    } else {
        spare
            .chunks_mut(m * n)
            .enumerate()
            .for_each(|(i, c)| one(c.as_mut_ptr().cast(), i));
    }
    // SAFETY: every one of the `total` elements was written by gemm above.
    unsafe { out.set_len(total) };
    out
}
