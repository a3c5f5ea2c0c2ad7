//! Host transfers, strided copies (`copy_{dtype}` of `kernels/elementwise.cu`) and fills
//! (`kernels/fill.cu`).

use cudarc::driver::{CudaSlice, CudaView, PushKernelArg};
use fluxion_device::{CudaDevice, DType};
use half::{bf16, f16};

use super::launch::{alloc, grid, kernel, OrCuda, StridedHead};
use super::{map_data, CudaData, CudaStorage, DevElem};
use crate::{CpuStorage, Layout, Result, WithDType};

/// The elements of a layout as one contiguous device range: borrowed when the layout already is
/// one, otherwise a fresh copy.
#[derive(Debug)]
pub(crate) enum Contig<'a, T> {
    /// A sub-range of the storage's buffer.
    Borrowed(CudaView<'a, T>),
    /// A contiguous copy.
    Owned(CudaSlice<T>),
}

impl<T> Contig<'_, T> {
    /// The contiguous elements.
    pub(crate) fn view(&self) -> CudaView<'_, T> {
        match self {
            Contig::Borrowed(v) => v.slice(..),
            Contig::Owned(s) => s.slice(..),
        }
    }
}

/// The elements of `layout` over `buf` as one contiguous range (copied when strided).
pub(crate) fn contig<'a, T: DevElem>(
    dev: &CudaDevice,
    buf: &'a CudaSlice<T>,
    layout: &Layout,
    dtype: DType,
    op: &'static str,
) -> Result<Contig<'a, T>> {
    if layout.elem_count() == 0 {
        return Ok(Contig::Borrowed(buf.slice(0..0)));
    }
    match layout.contiguous_offsets() {
        Some((a, b)) => Ok(Contig::Borrowed(buf.slice(a..b))),
        None => Ok(Contig::Owned(strided_copy(dev, buf, layout, dtype, op)?)),
    }
}

/// An operand read in place when `read` accepts its layout (giving how to read it), otherwise a
/// contiguous copy with `read` of the contiguous layout, which `read` must accept. The in-place
/// view starts at the layout's first element.
pub(crate) fn in_place_or_contig<'a, T: DevElem, O>(
    dev: &CudaDevice,
    buf: &'a CudaSlice<T>,
    l: &Layout,
    dtype: DType,
    op: &'static str,
    read: impl Fn(&Layout) -> Option<O>,
) -> Result<(Contig<'a, T>, O)> {
    if let Some(o) = read(l) {
        return Ok((Contig::Borrowed(buf.slice(l.start_offset()..)), o));
    }
    let c = contig(dev, buf, l, dtype, op)?;
    let o = read(&Layout::contiguous(l.shape().clone()))
        .expect("an operand reader accepts every contiguous layout");
    Ok((c, o))
}

/// The elements of `layout` over `buf` copied into a new contiguous buffer by `copy_{dtype}`.
pub(crate) fn strided_copy<T: DevElem>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    layout: &Layout,
    dtype: DType,
    op: &'static str,
) -> Result<CudaSlice<T>> {
    let n = layout.elem_count();
    // SAFETY: the copy kernel below writes all n elements.
    let mut out = unsafe { alloc::<T>(dev, n, op)? };
    if n == 0 {
        return Ok(out);
    }
    let name = format!("copy_{}", dtype.as_str());
    let func = kernel(dev, &name, op)?;
    let head = StridedHead::new(dev, n, [layout], op)?;
    let offset = layout.start_offset();
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    head.push(&mut b);
    b.arg(buf).arg(&offset).arg(&mut out);
    // SAFETY: matches `copy_{dtype}(size_t n, size_t rank, const size_t* info, const T* in,
    // size_t in_offset, T* out)` of kernels/elementwise.cu: `info` holds `rank` dims and `rank`
    // strides (or is null with rank 0), every offset it yields plus `offset` lies inside `buf`
    // (the layout was validated against this storage), and `out` holds n elements of T.
    unsafe { b.launch(grid(n)) }.or_cuda(op, || format!("{name} of {layout:?}"))?;
    Ok(out)
}

/// A storage of `n` elements of `dtype` whose contents the caller writes next.
///
/// # Safety
/// The caller must write all `n` elements before reading them.
pub(crate) unsafe fn uninit(
    dev: &CudaDevice,
    n: usize,
    dtype: DType,
    op: &'static str,
) -> Result<CudaStorage> {
    // SAFETY: forwarded to the caller.
    unsafe {
        Ok(match dtype {
            DType::F16 | DType::BF16 => {
                CudaStorage::from_slice(alloc::<u16>(dev, n, op)?, n, dtype, dev)
            }
            DType::F32 => CudaStorage::from_slice(alloc::<f32>(dev, n, op)?, n, dtype, dev),
            DType::F64 => CudaStorage::from_slice(alloc::<f64>(dev, n, op)?, n, dtype, dev),
            DType::U8 => CudaStorage::from_slice(alloc::<u8>(dev, n, op)?, n, dtype, dev),
            DType::I64 => CudaStorage::from_slice(alloc::<i64>(dev, n, op)?, n, dtype, dev),
        })
    }
}

/// An empty storage of `dtype`.
pub(crate) fn empty(dev: &CudaDevice, dtype: DType, op: &'static str) -> Result<CudaStorage> {
    // SAFETY: zero elements: nothing to write.
    unsafe { uninit(dev, 0, dtype, op) }
}

pub(super) fn copy_strided(s: &CudaStorage, layout: &Layout) -> Result<CudaStorage> {
    const OP: &str = "copy_strided";
    let dev = s.cuda_device();
    let dtype = crate::backend::BackendStorage::dtype(s);
    let n = layout.elem_count();
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    fn go<T: DevElem>(
        dev: &CudaDevice,
        buf: &CudaSlice<T>,
        layout: &Layout,
        dtype: DType,
    ) -> Result<CudaStorage> {
        let n = layout.elem_count();
        let out = match layout.contiguous_offsets() {
            Some((a, b)) => dev
                .stream()
                .clone_dtod(&buf.slice(a..b))
                .or_cuda(OP, || format!("device copy of {layout:?}"))?,
            None => strided_copy(dev, buf, layout, dtype, OP)?,
        };
        Ok(CudaStorage::from_slice(out, n, dtype, dev))
    }
    map_data!(s.data(), buf => go(dev, buf, layout, dtype))
}

/// A host copy of the elements of `layout`, contiguous.
pub(super) fn download(s: &CudaStorage, layout: &Layout) -> Result<CpuStorage> {
    const OP: &str = "to_cpu";
    let dev = s.cuda_device();
    let dtype = crate::backend::BackendStorage::dtype(s);
    if layout.elem_count() == 0 {
        return Ok(CpuStorage::from_f64s(&[], dtype));
    }
    fn go<T: DevElem>(
        dev: &CudaDevice,
        buf: &CudaSlice<T>,
        layout: &Layout,
        dtype: DType,
    ) -> Result<Vec<T>> {
        let c = contig(dev, buf, layout, dtype, OP)?;
        dev.stream()
            .clone_dtoh(&c.view())
            .or_cuda(OP, || format!("copy of {layout:?} to the host"))
    }
    Ok(match s.data() {
        CudaData::F16(b) => CpuStorage::F16(
            go(dev, b, layout, dtype)?
                .into_iter()
                .map(f16::from_bits)
                .collect(),
        ),
        CudaData::BF16(b) => CpuStorage::BF16(
            go(dev, b, layout, dtype)?
                .into_iter()
                .map(bf16::from_bits)
                .collect(),
        ),
        CudaData::F32(b) => CpuStorage::F32(go(dev, b, layout, dtype)?),
        CudaData::F64(b) => CpuStorage::F64(go(dev, b, layout, dtype)?),
        CudaData::U8(b) => CpuStorage::U8(go(dev, b, layout, dtype)?),
        CudaData::I64(b) => CpuStorage::I64(go(dev, b, layout, dtype)?),
    })
}

/// Host data copied to `dev`.
pub(super) fn upload(cpu: &CpuStorage, dev: &CudaDevice) -> Result<CudaStorage> {
    const OP: &str = "to_device";
    fn go<T: DevElem>(dev: &CudaDevice, v: &[T], dtype: DType) -> Result<CudaStorage> {
        if v.is_empty() {
            return empty(dev, dtype, OP);
        }
        let s = dev
            .stream()
            .clone_htod(v)
            .or_cuda(OP, || format!("uploading {} {dtype} elements", v.len()))?;
        Ok(CudaStorage::from_slice(s, v.len(), dtype, dev))
    }
    let dtype = crate::backend::BackendStorage::dtype(cpu);
    match cpu {
        CpuStorage::F16(v) => go(
            dev,
            &v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            dtype,
        ),
        CpuStorage::BF16(v) => go(
            dev,
            &v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            dtype,
        ),
        CpuStorage::F32(v) => go(dev, v, dtype),
        CpuStorage::F64(v) => go(dev, v, dtype),
        CpuStorage::U8(v) => go(dev, v, dtype),
        CpuStorage::I64(v) => go(dev, v, dtype),
    }
}

/// `n` copies of `value` converted to `dtype` as the CPU converts it, written by `fill_{dtype}`.
pub(super) fn full(value: f64, n: usize, dtype: DType, dev: &CudaDevice) -> Result<CudaStorage> {
    const OP: &str = "full";
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    fn go<T: DevElem>(dev: &CudaDevice, n: usize, value: T, dtype: DType) -> Result<CudaStorage> {
        // SAFETY: the fill kernel below writes all n elements.
        let mut out = unsafe { alloc::<T>(dev, n, OP)? };
        let name = format!("fill_{}", dtype.as_str());
        let func = kernel(dev, &name, OP)?;
        let stream = dev.stream();
        let mut b = stream.launch_builder(&func);
        b.arg(&mut out).arg(&n).arg(&value);
        // SAFETY: matches `fill_{dtype}(T* out, size_t n, T value)` of kernels/fill.cu, with T
        // the storage type (raw bits for f16/bf16); `out` holds n elements.
        unsafe { b.launch(grid(n)) }.or_cuda(OP, || format!("{name} of {n} elements"))?;
        Ok(CudaStorage::from_slice(out, n, dtype, dev))
    }
    match dtype {
        DType::F16 => go(dev, n, <f16 as WithDType>::from_f64(value).to_bits(), dtype),
        DType::BF16 => go(
            dev,
            n,
            <bf16 as WithDType>::from_f64(value).to_bits(),
            dtype,
        ),
        DType::F32 => go(dev, n, <f32 as WithDType>::from_f64(value), dtype),
        DType::F64 => go(dev, n, value, dtype),
        DType::U8 => go(dev, n, <u8 as WithDType>::from_f64(value), dtype),
        DType::I64 => go(dev, n, <i64 as WithDType>::from_f64(value), dtype),
    }
}
