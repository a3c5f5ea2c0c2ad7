//! Batched matrix products through matrixmultiply (threaded, any row/column strides, so
//! transposed views need no copy). f16/bf16 compute in f32.

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
        (CpuStorage::F32(x), CpuStorage::F32(y)) => Ok(CpuStorage::F32(gemm_batched(
            x,
            la,
            y,
            lb,
            Kernel::<f32>::SGEMM,
        ))),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => Ok(CpuStorage::F64(gemm_batched(
            x,
            la,
            y,
            lb,
            Kernel::<f64>::DGEMM,
        ))),
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

/// A typed GEMM entry point of matrixmultiply.
struct Kernel<T> {
    #[allow(clippy::type_complexity)]
    f: unsafe fn(
        usize,
        usize,
        usize,
        T,
        *const T,
        isize,
        isize,
        *const T,
        isize,
        isize,
        T,
        *mut T,
        isize,
        isize,
    ),
}

impl Kernel<f32> {
    const SGEMM: Self = Kernel {
        f: matrixmultiply::sgemm,
    };
}

impl Kernel<f64> {
    const DGEMM: Self = Kernel {
        f: matrixmultiply::dgemm,
    };
}

/// Output `[B…, m, n]` of `lhs [B…, m, k] · rhs [B…, k, n]`.
fn gemm_batched<T: Copy + Send + Sync + num_traits::Zero + num_traits::One>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    kernel: Kernel<T>,
) -> Vec<T> {
    let r = la.dims().len();
    let (m, k, n) = (la.dims()[r - 2], la.dims()[r - 1], lb.dims()[r - 1]);
    let batch_dims = &la.dims()[..r - 2];
    let a_off = offsets(batch_dims, &la.strides()[..r - 2], la.start_offset());
    let b_off = offsets(batch_dims, &lb.strides()[..r - 2], lb.start_offset());
    let (rsa, csa) = (la.strides()[r - 2] as isize, la.strides()[r - 1] as isize);
    let (rsb, csb) = (lb.strides()[r - 2] as isize, lb.strides()[r - 1] as isize);
    let mut out = vec![T::zero(); a_off.len() * m * n];
    if m * n == 0 || k == 0 {
        return out;
    }
    let f = kernel.f;
    let one = |c: &mut [T], i: usize| {
        // SAFETY: `a_off[i]`, `b_off[i]` and the row/column strides come from validated layouts
        // whose every element lies inside `a` and `b` (Tensor checks storage extents); `c` holds
        // exactly m·n elements written with row stride n and column stride 1.
        unsafe {
            f(
                m,
                k,
                n,
                T::one(),
                a.as_ptr().add(a_off[i]),
                rsa,
                csa,
                b.as_ptr().add(b_off[i]),
                rsb,
                csb,
                T::zero(),
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        }
    };
    if a_off.len() > 1 && m * n * k < SMALL {
        out.par_chunks_mut(m * n)
            .enumerate()
            .for_each(|(i, c)| one(c, i));
    } else {
        out.chunks_mut(m * n)
            .enumerate()
            .for_each(|(i, c)| one(c, i));
    }
    out
}
