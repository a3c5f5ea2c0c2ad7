//! Batched matrix products through cuBLAS (`sgemm`/`dgemm` strided batched).
//!
//! cuBLAS is column-major; a row-major `C = A·B` is computed as the column-major
//! `Cᵀ = Bᵀ·Aᵀ`, reading each row-major buffer as its column-major transpose. An operand whose
//! last two axes are row-major with a row stride (`ld`) or column-major with a column stride
//! (a transposed view) is passed as it lies with the matching transpose flag; its batch axes
//! must collapse to one stride (0 for a broadcast operand). Anything else is copied contiguous
//! first. f16/bf16 are converted to f32 (exact), multiplied in f32 and rounded back, as the
//! CPU backend does. TF32 only when asked for (`CudaDevice::set_allow_tf32`, off by default).

use cudarc::cublas::sys::cublasOperation_t;
use cudarc::cublas::{Gemm, GemmConfig, StridedBatchedConfig};
use cudarc::driver::CudaSlice;
use fluxion_device::{CudaDevice, DType};

use super::copy::{empty, in_place_or_contig};
use super::launch::{alloc, OrCuda};
use super::{cast, CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::cpu_backend::float_only;
use crate::{invalid, Error, Layout, Result};

const OP: &str = "matmul";

/// How one row-major `rows × cols` matrix lies in memory for cuBLAS: `trans` when it is stored
/// column-major (a transposed view), and its leading dimension. `None` when neither fits (the
/// caller copies it contiguous first).
pub(crate) fn mat_layout(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<(bool, usize)> {
    if cols <= 1 || cs == 1 {
        let ld = if rows <= 1 { cols.max(1) } else { rs };
        if ld >= cols.max(1) {
            return Some((false, ld));
        }
    }
    if rows <= 1 || rs == 1 {
        let ld = if cols <= 1 { rows.max(1) } else { cs };
        if ld >= rows.max(1) {
            return Some((true, ld));
        }
    }
    None
}

/// The one stride between consecutive matrices of a batch whose axes are `dims` with
/// `strides` (axes of extent 1 ignored; 0 when there is at most one matrix or the batch is
/// broadcast), or `None` when the batch axes do not collapse to one stride.
pub(crate) fn batch_stride(dims: &[usize], strides: &[usize]) -> Option<usize> {
    let mut axes = dims
        .iter()
        .zip(strides)
        .filter(|(&d, _)| d > 1)
        .map(|(&d, &s)| (d, s))
        .rev();
    let Some((d0, s0)) = axes.next() else {
        return Some(0);
    };
    let mut expect = s0 * d0;
    for (d, s) in axes {
        if s != expect {
            return None;
        }
        expect = s * d;
    }
    Some(s0)
}

/// An operand as cuBLAS reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operand {
    trans: bool,
    ld: usize,
    batch_stride: usize,
}

/// `layout` (`[B…, rows, cols]`) as a cuBLAS operand, if it can be read in place.
pub(crate) fn operand(layout: &Layout) -> Option<Operand> {
    let r = layout.dims().len();
    let (d, s) = (layout.dims(), layout.strides());
    let (trans, ld) = mat_layout(d[r - 2], d[r - 1], s[r - 2], s[r - 1])?;
    let batch_stride = batch_stride(&d[..r - 2], &s[..r - 2])?;
    Some(Operand {
        trans,
        ld,
        batch_stride,
    })
}

pub(super) fn matmul(
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
) -> Result<CudaStorage> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op: OP,
            lhs: a.dtype(),
            rhs: b.dtype(),
        });
    }
    let dtype = a.dtype();
    let dev = a.cuda_device();
    match (a.data(), b.data()) {
        (CudaData::F32(x), CudaData::F32(y)) => gemm(dev, x, la, y, lb, DType::F32),
        (CudaData::F64(x), CudaData::F64(y)) => gemm(dev, x, la, y, lb, DType::F64),
        (CudaData::F16(_) | CudaData::BF16(_), _) => {
            let x = cast::to_dtype(a, la, DType::F32)?;
            let y = cast::to_dtype(b, lb, DType::F32)?;
            let (cla, clb) = (
                Layout::contiguous(la.shape().clone()),
                Layout::contiguous(lb.shape().clone()),
            );
            let out = matmul(&x, &cla, &y, &clb)?;
            let mut dims = la.dims().to_vec();
            *dims.last_mut().expect("rank >= 2") = *lb.dims().last().expect("rank >= 2");
            cast::to_dtype(&out, &Layout::contiguous(dims), dtype)
        }
        _ => Err(float_only(OP, dtype)),
    }
}

fn cu_int(v: usize, what: &str, la: &Layout, lb: &Layout) -> Result<i32> {
    i32::try_from(v).map_err(|_| {
        invalid(
            OP,
            format!(
                "{what} = {v} exceeds cuBLAS's 32-bit limit (lhs {}, rhs {})",
                la.shape(),
                lb.shape()
            ),
        )
    })
}

fn gemm<T: DevElem + num_traits::Zero + num_traits::One>(
    dev: &CudaDevice,
    x: &CudaSlice<T>,
    la: &Layout,
    y: &CudaSlice<T>,
    lb: &Layout,
    dtype: DType,
) -> Result<CudaStorage>
where
    cudarc::cublas::CudaBlas: Gemm<T>,
{
    let r = la.dims().len();
    let (m, k, n) = (la.dims()[r - 2], la.dims()[r - 1], lb.dims()[r - 1]);
    let batch: usize = la.dims()[..r - 2].iter().product();
    let total = batch * m * n;
    if total == 0 {
        return empty(dev, dtype, OP);
    }
    if k == 0 {
        let z = dev
            .stream()
            .alloc_zeros::<T>(total)
            .or_cuda(OP, || format!("zeros for {} · {}", la.shape(), lb.shape()))?;
        return Ok(CudaStorage::from_slice(z, total, dtype, dev));
    }
    let (ca, oa) = in_place_or_contig(dev, x, la, dtype, OP, operand)?;
    let (cb, ob) = in_place_or_contig(dev, y, lb, dtype, OP, operand)?;
    // SAFETY: cuBLAS writes all m·n elements of each of the `batch` outputs (beta = 0: C is
    // not read).
    let mut out = unsafe { alloc::<T>(dev, total, OP)? };
    let op = |t: bool| {
        if t {
            cublasOperation_t::CUBLAS_OP_T
        } else {
            cublasOperation_t::CUBLAS_OP_N
        }
    };
    // Column-major Cᵀ[n × m] = op(B-buffer)[n × k] · op(A-buffer)[k × m].
    let cfg = StridedBatchedConfig {
        gemm: GemmConfig {
            transa: op(ob.trans),
            transb: op(oa.trans),
            m: cu_int(n, "n", la, lb)?,
            n: cu_int(m, "m", la, lb)?,
            k: cu_int(k, "k", la, lb)?,
            alpha: T::one(),
            lda: cu_int(ob.ld, "rhs leading dimension", la, lb)?,
            ldb: cu_int(oa.ld, "lhs leading dimension", la, lb)?,
            beta: T::zero(),
            ldc: cu_int(n, "n", la, lb)?,
        },
        batch_size: cu_int(batch, "batch", la, lb)?,
        stride_a: ob.batch_stride as i64,
        stride_b: oa.batch_stride as i64,
        stride_c: (m * n) as i64,
    };
    let (va, vb) = (ca.view(), cb.view());
    dev.with_blas(|blas| {
        // SAFETY: the views start at each operand's first element and reach every element the
        // (m, n, k, ld, batch stride) description addresses: `operand` derived those from the
        // validated layouts (or the contiguous copies), and `mat_layout` guarantees ld ≥ the
        // stored matrix's row count as cuBLAS requires. `out` holds batch·m·n elements written
        // with ldc = n and stride m·n.
        unsafe { blas.gemm_strided_batched(cfg, &vb, &va, &mut out) }
    })
    .or_cuda(OP, || format!("{} · {}", la.shape(), lb.shape()))?
    .or_cuda(OP, || {
        format!("gemm_strided_batched {dtype} lhs {la:?} rhs {lb:?} as {cfg:?}",)
    })?;
    Ok(CudaStorage::from_slice(out, total, dtype, dev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_major_and_transposed_matrices_are_read_in_place() {
        // Contiguous [3, 4]: row-major with ld 4.
        assert_eq!(mat_layout(3, 4, 4, 1), Some((false, 4)));
        // A transposed view of a [4, 3] buffer: column-major with ld 3.
        assert_eq!(mat_layout(3, 4, 1, 3), Some((true, 3)));
        // A column slice: row-major with a wider ld.
        assert_eq!(mat_layout(3, 2, 5, 1), Some((false, 5)));
        // Vectors take any stride on their unit axis.
        assert_eq!(mat_layout(1, 4, 999, 1), Some((false, 4)));
        assert_eq!(mat_layout(4, 1, 2, 7), Some((false, 2)));
        // Broadcast rows (stride 0) and arbitrary strides need a copy.
        assert_eq!(mat_layout(3, 4, 0, 1), None);
        assert_eq!(mat_layout(3, 4, 8, 2), None);
    }

    #[test]
    fn batch_axes_collapse_to_one_stride_or_none() {
        assert_eq!(batch_stride(&[], &[]), Some(0));
        assert_eq!(batch_stride(&[2, 3], &[36, 12]), Some(12));
        assert_eq!(batch_stride(&[2, 3], &[0, 0]), Some(0));
        assert_eq!(batch_stride(&[2, 1, 3], &[36, 5, 12]), Some(12));
        assert_eq!(batch_stride(&[2, 3], &[0, 12]), None);
        // A transposed batch.
        assert_eq!(batch_stride(&[2, 3], &[12, 24]), None);
    }

    #[test]
    fn operands_combine_matrix_and_batch_layouts() {
        let l = Layout::contiguous([5, 3, 4]);
        assert_eq!(
            operand(&l),
            Some(Operand {
                trans: false,
                ld: 4,
                batch_stride: 12
            })
        );
        let t = l.transpose(1, 2);
        assert_eq!(
            operand(&t),
            Some(Operand {
                trans: true,
                ld: 4,
                batch_stride: 12
            })
        );
        let b = Layout::contiguous([3, 4])
            .broadcast_as(&crate::Shape::from([5, 3, 4]))
            .unwrap();
        assert_eq!(operand(&b).map(|o| o.batch_stride), Some(0));
        // Swapping batch and row axes still reads in place: matrices at stride 4, rows 12 apart.
        assert_eq!(
            operand(&l.transpose(0, 1)),
            Some(Operand {
                trans: false,
                ld: 12,
                batch_stride: 4
            })
        );
        // Batch axes that do not collapse to one stride need a copy.
        let p = Layout::contiguous([2, 3, 4, 5])
            .permute(&[1, 0, 2, 3])
            .unwrap();
        assert_eq!(operand(&p), None);
    }
}
