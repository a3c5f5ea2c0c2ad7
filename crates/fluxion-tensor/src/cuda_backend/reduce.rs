//! Reductions with `kernels/reduce.cu`, which reduces the middle axis of a contiguous
//! `[outer, reduce, inner]` view.
//!
//! A contiguous input whose reduced axes are adjacent is that view already (no copy). Any other
//! input is first copied to a contiguous permutation with the kept axes first and the reduced
//! axes last (`[kept…, reduced…]`, so `inner = 1`): every reduction over several axes is then one
//! pass, summed in f64 and rounded once as on the CPU, and argmax/argmin give the row-major index
//! within the reduced axes, as the CPU's do.

use cudarc::driver::{CudaSlice, PushKernelArg};
use fluxion_device::{CudaDevice, DType};

use super::copy::{contig, empty, uninit};
use super::launch::{kernel, reduce_config, OrCuda};
use super::{map_data, CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::cpu_backend::float_only;
use crate::{Error, Layout, ReduceOp, Result};

/// How a reduction maps onto the kernel's `[outer, reduce, inner]` view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The layout to make contiguous and hand to the kernel (the input's, or a permutation).
    pub(crate) layout: Layout,
    /// Product of the axes before the reduced ones.
    pub(crate) outer: usize,
    /// Product of the reduced axes.
    pub(crate) reduce: usize,
    /// Product of the axes after the reduced ones.
    pub(crate) inner: usize,
}

/// The kernel view for reducing `axes` (sorted, distinct) of `layout`.
pub(crate) fn plan(layout: &Layout, axes: &[usize]) -> Plan {
    let dims = layout.dims();
    let prod = |r: &[usize]| r.iter().product::<usize>();
    let reduce: usize = axes.iter().map(|&a| dims[a]).product();
    let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
    if layout.is_contiguous() && adjacent && !axes.is_empty() {
        let (first, last) = (axes[0], axes[axes.len() - 1]);
        return Plan {
            layout: layout.clone(),
            outer: prod(&dims[..first]),
            reduce,
            inner: prod(&dims[last + 1..]),
        };
    }
    let kept: Vec<usize> = (0..dims.len()).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let permuted = layout
        .permute(&perm)
        .expect("kept axes and reduced axes form a permutation");
    Plan {
        layout: permuted,
        outer: kept.iter().map(|&a| dims[a]).product(),
        reduce,
        inner: 1,
    }
}

pub(super) fn reduce(
    s: &CudaStorage,
    layout: &Layout,
    op: ReduceOp,
    axes: &[usize],
) -> Result<CudaStorage> {
    let dtype = s.dtype();
    let dims = layout.dims();
    let reduced: usize = axes.iter().map(|&a| dims[a]).product();
    let kept: usize = (0..dims.len())
        .filter(|a| !axes.contains(a))
        .map(|a| dims[a])
        .product();
    if reduced == 0 && op != ReduceOp::Sum && kept > 0 {
        return Err(Error::EmptyReduction {
            op: op.name(),
            shape: layout.shape().clone(),
        });
    }
    if op == ReduceOp::Sum && !dtype.is_float() {
        return Err(float_only("sum", dtype));
    }
    let out_dtype = match op {
        ReduceOp::ArgMax | ReduceOp::ArgMin => DType::I64,
        ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => dtype,
    };
    let dev = s.cuda_device();
    if kept == 0 {
        return empty(dev, out_dtype, op.name());
    }
    // SAFETY: the reduce kernel writes one output per (outer, inner) group: kept elements.
    let out = unsafe { uninit(dev, kept, out_dtype, op.name())? };
    let p = plan(layout, axes);
    map_data!(s.data(), buf => map_data!(out.data(), dst => launch(dev, buf, dtype, &p, op, dst)))?;
    Ok(out)
}

fn launch<T: DevElem, O: DevElem>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    dtype: DType,
    p: &Plan,
    op: ReduceOp,
    out: &CudaSlice<O>,
) -> Result<()> {
    let input = contig(dev, buf, &p.layout, dtype, op.name())?;
    // An empty reduced range reads nothing: hand the kernel any valid pointer.
    let view = if p.reduce == 0 {
        buf.slice(0..1)
    } else {
        input.view()
    };
    let name = format!("{}_{}", op.name(), dtype.as_str());
    let func = kernel(dev, &name, op.name())?;
    let groups = p.outer * p.inner;
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    b.arg(&view)
        .arg(out)
        .arg(&p.outer)
        .arg(&p.reduce)
        .arg(&p.inner);
    // SAFETY: matches `{op}_{dtype}(const T* in, O* out, size_t outer, size_t reduce, size_t
    // inner)` of kernels/reduce.cu (O = i64 for argmax/argmin, else T): `view` holds the
    // contiguous outer·reduce·inner input elements, `out` is a fresh buffer of outer·inner
    // elements of O; `reduce_config` gives blockDim.x a multiple of 32 at most 1024, as the
    // kernels require.
    unsafe { b.launch(reduce_config(groups, p.reduce)) }
        .or_cuda(op.name(), || format!("{name} over {:?} as {p:?}", p.layout))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_axes_of_contiguous_input_need_no_copy() {
        let l = Layout::contiguous([2, 3, 4, 5]);
        let p = plan(&l, &[1, 2]);
        assert_eq!((p.outer, p.reduce, p.inner), (2, 12, 5));
        assert_eq!(p.layout, l);
        let p = plan(&l, &[3]);
        assert_eq!((p.outer, p.reduce, p.inner), (24, 5, 1));
    }

    #[test]
    fn other_reductions_permute_reduced_axes_last() {
        let l = Layout::contiguous([2, 3, 4]);
        let p = plan(&l, &[0, 2]);
        assert_eq!((p.outer, p.reduce, p.inner), (3, 8, 1));
        assert_eq!(p.layout.dims(), &[3, 2, 4]);
        assert_eq!(p.layout.strides(), &[4, 12, 1]);
        // A transposed input takes the permuted path even for one axis.
        let t = l.transpose(0, 2);
        let p = plan(&t, &[1]);
        assert_eq!((p.outer, p.reduce, p.inner), (8, 3, 1));
        assert_eq!(p.layout.dims(), &[4, 2, 3]);
    }
}
