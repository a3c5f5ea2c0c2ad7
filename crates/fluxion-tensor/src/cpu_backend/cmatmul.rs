//! Batched complex matrix products of (re, im) pair views through the `gemm` crate's complex
//! kernels (`gemm::c32` / `c64`, which are `(re, im)` in memory, so a view whose pair axis is
//! contiguous and whose other strides are even is read in place; anything else is copied
//! contiguous first). Conjugation is the kernels' own `conj_lhs` / `conj_rhs` flag.

use rayon::prelude::*;

use super::strided::offsets;
use super::CpuStorage;
use crate::backend::BackendStorage;
use crate::{Error, Layout, Result};

const OP: &str = "complex_matmul";

/// Products smaller than this (complex m·n·k) run batches in parallel instead of threading each.
const SMALL: usize = 64 * 64 * 64;

pub(super) fn complex_matmul(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    conj: [bool; 2],
) -> Result<CpuStorage> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op: OP,
            lhs: a.dtype(),
            rhs: b.dtype(),
        });
    }
    // Operands the complex kernels cannot read in place are made contiguous first.
    let (ca, la) = in_place_or_copy(a, la)?;
    let (cb, lb) = in_place_or_copy(b, lb)?;
    let (a, b) = (ca.as_ref().unwrap_or(a), cb.as_ref().unwrap_or(b));
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => Ok(CpuStorage::F32(gemm_batched(
            x,
            &la,
            y,
            &lb,
            conj,
            gemm::c32::new(0.0, 0.0),
            gemm::c32::new(1.0, 0.0),
        ))),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => Ok(CpuStorage::F64(gemm_batched(
            x,
            &la,
            y,
            &lb,
            conj,
            gemm::c64::new(0.0, 0.0),
            gemm::c64::new(1.0, 0.0),
        ))),
        _ => Err(Error::UnsupportedDType {
            op: OP,
            dtype: a.dtype(),
            supported: "f32, f64",
        }),
    }
}

/// Whether `l` (`[B…, rows, cols, 2]`) can be read as complex elements in place: the pair axis
/// has stride 1 and every other axis of extent > 1 an even stride.
fn complex_readable(l: &Layout) -> bool {
    let r = l.dims().len();
    l.strides()[r - 1] == 1
        && l.dims()[..r - 1]
            .iter()
            .zip(&l.strides()[..r - 1])
            .all(|(&d, &s)| d <= 1 || s % 2 == 0)
}

/// `(None, l)` when `l` is readable in place, else a contiguous copy and its layout.
fn in_place_or_copy(s: &CpuStorage, l: &Layout) -> Result<(Option<CpuStorage>, Layout)> {
    if complex_readable(l) {
        Ok((None, l.clone()))
    } else {
        Ok((
            Some(s.copy_strided(l)?),
            Layout::contiguous(l.shape().clone()),
        ))
    }
}

/// Stride of axis `ax` in complex elements (0 for an axis of extent ≤ 1, whose stride is
/// never used and may be odd).
fn cstride(l: &Layout, ax: usize) -> isize {
    if l.dims()[ax] <= 1 {
        0
    } else {
        (l.strides()[ax] / 2) as isize
    }
}

/// Output `[B…, m, n, 2]` of `lhs [B…, m, k, 2] · rhs [B…, k, n, 2]`; `C` is the complex type
/// whose parts are `R` (`gemm::c32` for f32, `c64` for f64), `zero` and `one` its 0 and 1.
fn gemm_batched<R: Copy + Send + Sync + num_traits::Zero, C: 'static + Copy + Send + Sync>(
    a: &[R],
    la: &Layout,
    b: &[R],
    lb: &Layout,
    conj: [bool; 2],
    zero: C,
    one: C,
) -> Vec<R> {
    debug_assert_eq!(std::mem::size_of::<C>(), 2 * std::mem::size_of::<R>());
    debug_assert_eq!(std::mem::align_of::<C>(), std::mem::align_of::<R>());
    let r = la.dims().len();
    let (m, k, n) = (la.dims()[r - 3], la.dims()[r - 2], lb.dims()[r - 2]);
    let batch_dims = &la.dims()[..r - 3];
    let a_off = offsets(batch_dims, &la.strides()[..r - 3], la.start_offset());
    let b_off = offsets(batch_dims, &lb.strides()[..r - 3], lb.start_offset());
    let (rsa, csa) = (cstride(la, r - 3), cstride(la, r - 2));
    let (rsb, csb) = (cstride(lb, r - 3), cstride(lb, r - 2));
    let total = a_off.len() * m * n * 2;
    if m * n == 0 || k == 0 {
        return vec![R::zero(); total];
    }
    let mut out: Vec<R> = Vec::with_capacity(total);
    let batch_parallel = a_off.len() > 1 && m * n * k < SMALL;
    let one_product = |c: *mut R, i: usize| {
        let par = if !batch_parallel && m * n * k >= SMALL {
            gemm::Parallelism::Rayon(0)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: the offsets and strides come from layouts the Tensor API validated against
        // these storages, so every addressed pair lies in bounds; `complex_readable` guarantees
        // each pair is two adjacent R (what C is, with R's alignment) and that the strides
        // halve exactly. `c` points at m·n writable pairs, which gemm only writes
        // (`read_dst = false`: dst = one · lhs · rhs).
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.cast::<C>(),
                1,
                n as isize,
                false,
                a.as_ptr().add(a_off[i]).cast::<C>(),
                csa,
                rsa,
                b.as_ptr().add(b_off[i]).cast::<C>(),
                csb,
                rsb,
                zero,
                one,
                false,
                conj[0],
                conj[1],
                par,
            );
        }
    };
    let spare = &mut out.spare_capacity_mut()[..total];
    if batch_parallel {
        spare
            .par_chunks_mut(2 * m * n)
            .enumerate()
            .for_each(|(i, c)| one_product(c.as_mut_ptr().cast(), i));
    } else {
        spare
            .chunks_mut(2 * m * n)
            .enumerate()
            .for_each(|(i, c)| one_product(c.as_mut_ptr().cast(), i));
    }
    // SAFETY: gemm wrote all 2·m·n values of every one of the batch's outputs above.
    unsafe { out.set_len(total) };
    out
}
