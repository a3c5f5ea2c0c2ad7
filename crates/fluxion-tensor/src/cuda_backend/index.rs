//! Index ops with `kernels/index.cu` on contiguous `[outer, dim, inner]` views.
//!
//! Indices are checked on the host first, exactly as the CPU checks them (the first bad index in
//! row-major order gives [`Error::IndexOutOfRange`]); that costs one download of the ids, which
//! are small next to the data. `scatter_add` for u8/i64 (no kernel) and for ids narrower than
//! `self` off the axis (the kernel needs them equal) runs on the host through the CPU backend:
//! same results, one round trip.

use cudarc::driver::{CudaSlice, PushKernelArg};
use fluxion_device::{CudaDevice, DType};

use super::copy::{contig, empty, strided_copy};
use super::launch::{alloc, grid, kernel, OrCuda};
use super::{map_data, CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::{CpuStorage, Error, Layout, Result};

/// The ids as host i64s in row-major order, or the CPU's dtype error.
fn host_ids(ids: &CudaStorage, li: &Layout, op: &'static str) -> Result<Vec<i64>> {
    if ids.dtype() != DType::I64 {
        return Err(Error::DTypeMismatch {
            op,
            lhs: DType::I64,
            rhs: ids.dtype(),
        });
    }
    match ids.to_cpu(li)? {
        CpuStorage::I64(v) => Ok(v),
        _ => unreachable!("an i64 storage downloads as i64"),
    }
}

/// The first id outside `0..size`, as the CPU reports it.
fn check_ids(ids: &[i64], op: &'static str, axis: usize, size: usize) -> Result<()> {
    match ids.iter().find(|&&i| i < 0 || i as u64 >= size as u64) {
        Some(&index) => Err(Error::IndexOutOfRange {
            op,
            index,
            axis,
            size,
        }),
        None => Ok(()),
    }
}

fn prod(d: &[usize]) -> usize {
    d.iter().product()
}

/// Launches `{kernel}_{dtype}(in, idx, out, outer, dim, nidx, inner)` (index_select, gather).
#[allow(clippy::too_many_arguments)]
fn launch_lookup<T: DevElem>(
    dev: &CudaDevice,
    name: &str,
    op: &'static str,
    input: &cudarc::driver::CudaView<'_, T>,
    idx: &cudarc::driver::CudaView<'_, i64>,
    out: &mut CudaSlice<T>,
    dims: [usize; 4],
) -> Result<()> {
    let [outer, dim, nidx, inner] = dims;
    let n = outer * nidx * inner;
    let func = kernel(dev, name, op)?;
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    b.arg(input)
        .arg(idx)
        .arg(out)
        .arg(&outer)
        .arg(&dim)
        .arg(&nidx)
        .arg(&inner);
    // SAFETY: matches `index_select_{dtype}` / `gather_{dtype}(const T* in, const long long* idx,
    // T* out, size_t outer, size_t dim, size_t nidx, size_t inner)` of kernels/index.cu: `input`
    // holds outer·dim·inner contiguous elements, `idx` nidx (index_select) or outer·nidx·inner
    // (gather) i64 ids, all checked in range on the host, and `out` outer·nidx·inner elements.
    unsafe { b.launch(grid(n)) }.or_cuda(op, || format!("{name} with dims {dims:?}"))?;
    Ok(())
}

/// `index_select` or `gather` (`op`, also the kernel's name prefix) on contiguous copies of
/// the input (`l`) and the ids (`li`): `dims` = [outer, axis extent, ids along the axis, inner],
/// the output `outer · ids · inner` elements.
#[allow(clippy::too_many_arguments)]
fn lookup<T: DevElem>(
    op: &'static str,
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    l: &Layout,
    ids: &CudaSlice<i64>,
    li: &Layout,
    dtype: DType,
    dims: [usize; 4],
) -> Result<CudaStorage> {
    let input = contig(dev, buf, l, dtype, op)?;
    let idx = contig(dev, ids, li, DType::I64, op)?;
    let n = dims[0] * dims[2] * dims[3];
    // SAFETY: the kernel writes all n = outer · ids · inner elements.
    let mut out = unsafe { alloc::<T>(dev, n, op)? };
    let name = format!("{op}_{}", dtype.as_str());
    launch_lookup(dev, &name, op, &input.view(), &idx.view(), &mut out, dims)?;
    Ok(CudaStorage::from_slice(out, n, dtype, dev))
}

pub(super) fn index_select(
    s: &CudaStorage,
    l: &Layout,
    ids: &CudaStorage,
    li: &Layout,
    axis: usize,
) -> Result<CudaStorage> {
    const OP: &str = "index_select";
    let host = host_ids(ids, li, OP)?;
    let dims = l.dims();
    let size = dims[axis];
    check_ids(&host, OP, axis, size)?;
    let (outer, inner) = (prod(&dims[..axis]), prod(&dims[axis + 1..]));
    let dtype = s.dtype();
    let dev = s.cuda_device();
    let n = outer * host.len() * inner;
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    let ids_buf = ids.slice::<i64>(OP, DType::I64)?;
    let d = [outer, size, host.len(), inner];
    map_data!(s.data(), buf => lookup(OP, dev, buf, l, ids_buf, li, dtype, d))
}

pub(super) fn gather(
    s: &CudaStorage,
    l: &Layout,
    ids: &CudaStorage,
    li: &Layout,
    axis: usize,
) -> Result<CudaStorage> {
    const OP: &str = "gather";
    let host = host_ids(ids, li, OP)?;
    let size = l.dims()[axis];
    check_ids(&host, OP, axis, size)?;
    let dtype = s.dtype();
    let dev = s.cuda_device();
    let n = li.elem_count();
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    // The kernel needs the input's extents off the axis to equal the ids'; the CPU reads only
    // that corner of a larger input, so narrow to it.
    let mut src = l.clone();
    for (a, &d) in li.dims().iter().enumerate() {
        if a != axis {
            src = src.narrow(a, 0, d)?;
        }
    }
    let d = [
        prod(&li.dims()[..axis]),
        size,
        li.dims()[axis],
        prod(&li.dims()[axis + 1..]),
    ];
    let ids_buf = ids.slice::<i64>(OP, DType::I64)?;
    map_data!(s.data(), buf => lookup(OP, dev, buf, &src, ids_buf, li, dtype, d))
}

pub(super) fn scatter_add(
    s: &CudaStorage,
    l: &Layout,
    ids: &CudaStorage,
    li: &Layout,
    src: &CudaStorage,
    ls: &Layout,
    axis: usize,
) -> Result<CudaStorage> {
    const OP: &str = "scatter_add";
    if s.dtype() != src.dtype() {
        return Err(Error::DTypeMismatch {
            op: OP,
            lhs: s.dtype(),
            rhs: src.dtype(),
        });
    }
    let host = host_ids(ids, li, OP)?;
    let size = l.dims()[axis];
    check_ids(&host, OP, axis, size)?;
    let dtype = s.dtype();
    let dev = s.cuda_device();
    let same_off_axis = (0..l.dims().len()).all(|a| a == axis || l.dims()[a] == li.dims()[a]);
    if !dtype.is_float() || !same_off_axis {
        // No kernel for integers, and the kernel needs ids as wide as `self` off the axis: do it
        // on the host with the CPU backend's own code.
        let cpu = s.to_cpu(l)?.scatter_add(
            &Layout::contiguous(l.shape().clone()),
            &CpuStorage::I64(host),
            &Layout::contiguous(li.shape().clone()),
            &src.to_cpu(ls)?,
            &Layout::contiguous(ls.shape().clone()),
            axis,
        )?;
        return CudaStorage::from_cpu(&cpu, dev);
    }
    let n = l.elem_count();
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    // src walked by the ids' shape (the CPU's view of it).
    let src_view = Layout::new(li.shape().clone(), ls.strides().to_vec(), ls.start_offset());
    let d = [
        prod(&l.dims()[..axis]),
        size,
        li.dims()[axis],
        prod(&l.dims()[axis + 1..]),
    ];
    let ids_buf = ids.slice::<i64>(OP, DType::I64)?;
    #[allow(clippy::too_many_arguments)]
    fn go<T: DevElem>(
        dev: &CudaDevice,
        base: &CudaSlice<T>,
        l: &Layout,
        ids: &CudaSlice<i64>,
        li: &Layout,
        add: &CudaSlice<T>,
        src_view: &Layout,
        dtype: DType,
        dims: [usize; 4],
    ) -> Result<CudaStorage> {
        let n = l.elem_count();
        // A contiguous copy of `self` that the kernel adds into.
        let mut out = match l.contiguous_offsets() {
            Some((a, b)) => dev
                .stream()
                .clone_dtod(&base.slice(a..b))
                .or_cuda(OP, || format!("copy of {l:?}"))?,
            None => strided_copy(dev, base, l, dtype, OP)?,
        };
        let idx = contig(dev, ids, li, DType::I64, OP)?;
        let add = contig(dev, add, src_view, dtype, OP)?;
        let (idx, add) = (idx.view(), add.view());
        let [outer, dim, nidx, inner] = dims;
        let name = format!("scatter_add_{}", dtype.as_str());
        let func = kernel(dev, &name, OP)?;
        let stream = dev.stream();
        let mut b = stream.launch_builder(&func);
        b.arg(&mut out)
            .arg(&idx)
            .arg(&add)
            .arg(&outer)
            .arg(&dim)
            .arg(&nidx)
            .arg(&inner);
        // SAFETY: matches `scatter_add_{dtype}(T* out, const long long* idx, const T* src,
        // size_t outer, size_t dim, size_t nidx, size_t inner)` of kernels/index.cu: `out` holds
        // outer·dim·inner elements (the copy of `self`), `idx` and `add` outer·nidx·inner
        // contiguous elements (ids checked in range on the host; ids as wide as `self` off the
        // axis, checked above). f16/bf16/f32/f64 only (integers took the host path).
        unsafe { b.launch(grid(outer * nidx * inner)) }
            .or_cuda(OP, || format!("{name} with dims {dims:?}"))?;
        Ok(CudaStorage::from_slice(out, n, dtype, dev))
    }
    match (s.data(), src.data()) {
        (CudaData::F16(x), CudaData::F16(y)) | (CudaData::BF16(x), CudaData::BF16(y)) => {
            go(dev, x, l, ids_buf, li, y, &src_view, dtype, d)
        }
        (CudaData::F32(x), CudaData::F32(y)) => go(dev, x, l, ids_buf, li, y, &src_view, dtype, d),
        (CudaData::F64(x), CudaData::F64(y)) => go(dev, x, l, ids_buf, li, y, &src_view, dtype, d),
        _ => unreachable!("dtypes checked equal and float above"),
    }
}

pub(super) fn concat(parts: &[(&CudaStorage, &Layout)], axis: usize) -> Result<CudaStorage> {
    const OP: &str = "concat";
    let (first, fl) = parts[0];
    for (p, _) in parts {
        if p.dtype() != first.dtype() {
            return Err(Error::DTypeMismatch {
                op: OP,
                lhs: first.dtype(),
                rhs: p.dtype(),
            });
        }
    }
    let dtype = first.dtype();
    let dev = first.cuda_device();
    let outer = prod(&fl.dims()[..axis]);
    let inner = prod(&fl.dims()[axis + 1..]);
    let total_axis: usize = parts.iter().map(|(_, l)| l.dims()[axis]).sum();
    let total: usize = parts.iter().map(|(_, l)| l.elem_count()).sum();
    if total == 0 {
        return empty(dev, dtype, OP);
    }
    fn go<T: DevElem>(
        dev: &CudaDevice,
        parts: &[(&CudaStorage, &Layout)],
        dtype: DType,
        axis: usize,
        (outer, inner, total_axis, total): (usize, usize, usize, usize),
    ) -> Result<CudaStorage> {
        // SAFETY: the parts tile the output: each launch writes its [outer, n, inner] slab at
        // `start` on the axis, and the slabs' n sum to total_axis.
        let mut out = unsafe { alloc::<T>(dev, total, OP)? };
        let name = format!("concat_{}", dtype.as_str());
        let func = kernel(dev, &name, OP)?;
        let mut start = 0usize;
        for (p, l) in parts {
            let n = l.dims()[axis];
            if l.elem_count() > 0 {
                let buf = p.slice::<T>(OP, dtype)?;
                let c = contig(dev, buf, l, dtype, OP)?;
                let view = c.view();
                let stream = dev.stream();
                let mut b = stream.launch_builder(&func);
                b.arg(&view)
                    .arg(&mut out)
                    .arg(&outer)
                    .arg(&n)
                    .arg(&inner)
                    .arg(&total_axis)
                    .arg(&start);
                // SAFETY: matches `concat_{dtype}(const T* in, T* out, size_t outer, size_t n,
                // size_t inner, size_t total, size_t start)` of kernels/index.cu: `view` holds
                // this part's outer·n·inner contiguous elements, `out` outer·total·inner, and
                // start + n ≤ total.
                unsafe { b.launch(grid(outer * n * inner)) }
                    .or_cuda(OP, || format!("{name} of part {l:?} at {start}"))?;
            }
            start += n;
        }
        Ok(CudaStorage::from_slice(out, total, dtype, dev))
    }
    let sizes = (outer, inner, total_axis, total);
    match first.data() {
        CudaData::F16(_) | CudaData::BF16(_) => go::<u16>(dev, parts, dtype, axis, sizes),
        CudaData::F32(_) => go::<f32>(dev, parts, dtype, axis, sizes),
        CudaData::F64(_) => go::<f64>(dev, parts, dtype, axis, sizes),
        CudaData::U8(_) => go::<u8>(dev, parts, dtype, axis, sizes),
        CudaData::I64(_) => go::<i64>(dev, parts, dtype, axis, sizes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bad_id_is_reported_as_the_cpu_does() {
        assert!(check_ids(&[0, 2, 1], "gather", 1, 3).is_ok());
        match check_ids(&[0, 3, -1], "gather", 1, 3) {
            Err(Error::IndexOutOfRange {
                op,
                index,
                axis,
                size,
            }) => assert_eq!((op, index, axis, size), ("gather", 3, 1, 3)),
            other => panic!("{other:?}"),
        }
        assert!(check_ids(&[-1], "index_select", 0, 5).is_err());
        assert!(check_ids(&[0], "index_select", 0, 0).is_err());
    }
}
