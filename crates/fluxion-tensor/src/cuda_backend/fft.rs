//! Real FFTs over the trailing axes with cuFFT, matching the CPU backend (`cpu_backend/fft_nd.rs`).
//!
//! Forward: one batched R2C/D2Z plan over the `ndim` trailing axes (its output is the
//! `[…, n_last/2 + 1, 2]` half spectrum the CPU computes), then the [`FftNorm`] scale.
//!
//! Inverse, in the CPU's order so that spectra which are not the transform of a real signal give
//! the same result: (1) the last axis is truncated or zero-padded to `n/2 + 1` bins into a fresh
//! buffer (cuFFT's C2R overwrites its input, so it never sees the caller's storage); (2) for
//! `ndim > 1`, inverse complex transforms over the other axes (the buffer is permuted so that
//! they are trailing, transformed by one batched C2C/Z2Z plan, and permuted back); (3) the
//! imaginary parts of the DC bin and, for even n, the Nyquist bin are zeroed (as the CPU does
//! before its real inverse); (4) a batched C2R/Z2D transform of length n; (5) the scale.
//!
//! Scales use the affine kernel with `add = −0`, an exact multiply. Plans are cached on the
//! device by (dims, batch, kind).

use cudarc::cufft::sys::{double2, float2};
use cudarc::cufft::{CudaFft, FftDirection};
use cudarc::driver::{CudaSlice, CudaView, CudaViewMut, DeviceRepr, PushKernelArg};
use fluxion_device::cuda::{FftKind, FftPlanKey};
use fluxion_device::{CudaDevice, DType};

use super::copy::{contig, empty, strided_copy, Contig};
use super::elementwise::scale_contiguous;
use super::launch::{alloc, grid, kernel, upload_info, OrCuda};
use super::{cast, CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::{invalid, Error, FftNorm, Layout, Result};

/// f32 and f64, with their cuFFT complex types and transforms.
trait FftFloat: DevElem {
    /// The interleaved complex type (`float2`, `double2`).
    type C: DeviceRepr;
    const DTYPE: DType;
    const R2C: FftKind;
    const C2R: FftKind;
    const C2C: FftKind;
    fn r2c(
        p: &CudaFft,
        i: &CudaView<'_, Self>,
        o: &mut CudaViewMut<'_, Self::C>,
    ) -> Result<(), cudarc::cufft::result::CufftError>;
    fn c2r(
        p: &CudaFft,
        i: &mut CudaViewMut<'_, Self::C>,
        o: &mut CudaSlice<Self>,
    ) -> Result<(), cudarc::cufft::result::CufftError>;
    fn c2c_inverse(
        p: &CudaFft,
        i: &mut CudaViewMut<'_, Self::C>,
        o: &mut CudaViewMut<'_, Self::C>,
    ) -> Result<(), cudarc::cufft::result::CufftError>;
}

impl FftFloat for f32 {
    type C = float2;
    const DTYPE: DType = DType::F32;
    const R2C: FftKind = FftKind::R2C;
    const C2R: FftKind = FftKind::C2R;
    const C2C: FftKind = FftKind::C2C;
    fn r2c(
        p: &CudaFft,
        i: &CudaView<'_, f32>,
        o: &mut CudaViewMut<'_, float2>,
    ) -> Result<(), cudarc::cufft::result::CufftError> {
        p.exec_r2c(i, o)
    }
    fn c2r(
        p: &CudaFft,
        i: &mut CudaViewMut<'_, float2>,
        o: &mut CudaSlice<f32>,
    ) -> Result<(), cudarc::cufft::result::CufftError> {
        p.exec_c2r(i, o)
    }
    fn c2c_inverse(
        p: &CudaFft,
        i: &mut CudaViewMut<'_, float2>,
        o: &mut CudaViewMut<'_, float2>,
    ) -> Result<(), cudarc::cufft::result::CufftError> {
        p.exec_c2c(i, o, FftDirection::Inverse)
    }
}

impl FftFloat for f64 {
    type C = double2;
    const DTYPE: DType = DType::F64;
    const R2C: FftKind = FftKind::D2Z;
    const C2R: FftKind = FftKind::Z2D;
    const C2C: FftKind = FftKind::Z2Z;
    fn r2c(
        p: &CudaFft,
        i: &CudaView<'_, f64>,
        o: &mut CudaViewMut<'_, double2>,
    ) -> Result<(), cudarc::cufft::result::CufftError> {
        p.exec_d2z(i, o)
    }
    fn c2r(
        p: &CudaFft,
        i: &mut CudaViewMut<'_, double2>,
        o: &mut CudaSlice<f64>,
    ) -> Result<(), cudarc::cufft::result::CufftError> {
        p.exec_z2d(i, o)
    }
    fn c2c_inverse(
        p: &CudaFft,
        i: &mut CudaViewMut<'_, double2>,
        o: &mut CudaViewMut<'_, double2>,
    ) -> Result<(), cudarc::cufft::result::CufftError> {
        p.exec_z2z(i, o, FftDirection::Inverse)
    }
}

fn unsupported(op: &'static str, dtype: DType) -> Error {
    Error::UnsupportedDType {
        op,
        dtype,
        supported: "f32, f64 (f16/bf16 through f32)",
    }
}

/// The plan key for `dims` transforms, `batch` of them.
pub(crate) fn plan_key(
    op: &'static str,
    dims: &[usize],
    batch: usize,
    kind: FftKind,
) -> Result<FftPlanKey> {
    let int = |v: usize| {
        i32::try_from(v).map_err(|_| {
            invalid(
                op,
                format!("size {v} exceeds cuFFT's 32-bit limit (dims {dims:?}, batch {batch})"),
            )
        })
    };
    Ok(FftPlanKey {
        dims: dims.iter().map(|&d| int(d)).collect::<Result<_>>()?,
        batch: int(batch)?,
        kind,
    })
}

/// Runs `f` with the cached plan for `key`.
fn with_plan(
    dev: &CudaDevice,
    op: &'static str,
    key: &FftPlanKey,
    f: impl FnOnce(&CudaFft) -> Result<(), cudarc::cufft::result::CufftError>,
) -> Result<()> {
    let plan = dev.fft_plan(key).or_cuda(op, || format!("plan {key:?}"))?;
    let guard = plan.lock().unwrap_or_else(|e| e.into_inner());
    f(&guard).or_cuda(op, || format!("executing plan {key:?}"))
}

/// Whether the elements of `layout` could be handed to cuFFT in place as far as alignment goes:
/// cuFFT's exec functions reject (`CUFFT_INVALID_VALUE`) data pointers, real ones included, that
/// are not aligned to the complex type, two `T`s. Allocations are 256-byte aligned, so a
/// contiguous view is aligned exactly when it starts at an even element; a strided layout is
/// copied to a fresh buffer anyway.
fn complex_aligned(layout: &Layout) -> bool {
    layout
        .contiguous_offsets()
        .is_none_or(|(start, _)| start.is_multiple_of(2))
}

/// `buf` (n interleaved values) viewed as n/2 complex values.
fn as_complex<T: FftFloat>(buf: &mut CudaSlice<T>, n: usize) -> CudaViewMut<'_, T::C> {
    // SAFETY: `T::C` is `float2`/`double2`, two `T`s with `T`'s alignment (cuFFT's
    // interleaved complex layout), and `buf` holds at least n ≥ 2·(n/2) values.
    unsafe { buf.transmute_mut::<T::C>(n / 2) }.expect("buffer holds n/2 complex values")
}

pub(super) fn rfftn(
    s: &CudaStorage,
    layout: &Layout,
    ndim: usize,
    norm: FftNorm,
) -> Result<CudaStorage> {
    const OP: &str = "rfftn";
    match s.data() {
        CudaData::F32(b) => rfftn_t::<f32>(s.cuda_device(), b, layout, ndim, norm),
        CudaData::F64(b) => rfftn_t::<f64>(s.cuda_device(), b, layout, ndim, norm),
        CudaData::F16(_) | CudaData::BF16(_) => {
            let x = cast::to_dtype(s, layout, DType::F32)?;
            let out = rfftn(&x, &Layout::contiguous(layout.shape().clone()), ndim, norm)?;
            let n = out.len();
            cast::to_dtype(&out, &Layout::contiguous([n]), s.dtype())
        }
        CudaData::U8(_) | CudaData::I64(_) => Err(unsupported(OP, s.dtype())),
    }
}

fn rfftn_t<T: FftFloat>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    layout: &Layout,
    ndim: usize,
    norm: FftNorm,
) -> Result<CudaStorage> {
    const OP: &str = "rfftn";
    let dims = layout.dims();
    let r = dims.len();
    let td = &dims[r - ndim..];
    let batch: usize = dims[..r - ndim].iter().product();
    let bins = td[ndim - 1] / 2 + 1;
    let total: usize = td.iter().product();
    let out_len = batch * td[..ndim - 1].iter().product::<usize>() * bins * 2;
    if out_len == 0 {
        return empty(dev, T::DTYPE, OP);
    }
    let x = if complex_aligned(layout) {
        contig(dev, buf, layout, T::DTYPE, OP)?
    } else {
        Contig::Owned(strided_copy(dev, buf, layout, T::DTYPE, OP)?)
    };
    let xv = x.view();
    // SAFETY: the transform writes every output value.
    let mut out = unsafe { alloc::<T>(dev, out_len, OP)? };
    let key = plan_key(OP, td, batch, T::R2C)?;
    with_plan(dev, OP, &key, |p| {
        let mut o = as_complex(&mut out, out_len);
        T::r2c(p, &xv, &mut o)
    })?;
    let scale = norm.scale(total, false);
    let out = if scale != 1.0 {
        scale_contiguous(dev, &out, out_len, T::DTYPE, scale, OP)?
    } else {
        out
    };
    Ok(CudaStorage::from_slice(out, out_len, T::DTYPE, dev))
}

pub(super) fn irfftn(
    s: &CudaStorage,
    layout: &Layout,
    ndim: usize,
    last_len: usize,
    norm: FftNorm,
) -> Result<CudaStorage> {
    const OP: &str = "irfftn";
    match s.data() {
        CudaData::F32(b) => irfftn_t::<f32>(s.cuda_device(), b, layout, ndim, last_len, norm),
        CudaData::F64(b) => irfftn_t::<f64>(s.cuda_device(), b, layout, ndim, last_len, norm),
        CudaData::F16(_) | CudaData::BF16(_) => {
            let x = cast::to_dtype(s, layout, DType::F32)?;
            let out = irfftn(
                &x,
                &Layout::contiguous(layout.shape().clone()),
                ndim,
                last_len,
                norm,
            )?;
            let n = out.len();
            cast::to_dtype(&out, &Layout::contiguous([n]), s.dtype())
        }
        CudaData::U8(_) | CudaData::I64(_) => Err(unsupported(OP, s.dtype())),
    }
}

fn irfftn_t<T: FftFloat>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    layout: &Layout,
    ndim: usize,
    n: usize,
    norm: FftNorm,
) -> Result<CudaStorage> {
    const OP: &str = "irfftn";
    let dims = layout.dims();
    let cd = &dims[..dims.len() - 1];
    let rr = cd.len();
    let m = cd[rr - 1];
    let bins = n / 2 + 1;
    let other = &cd[rr - ndim..rr - 1];
    let batch: usize = cd[..rr - ndim].iter().product();
    let rows = batch * other.iter().product::<usize>();
    let out_len = rows * n;
    if out_len == 0 {
        return empty(dev, T::DTYPE, OP);
    }
    // (1) [rows, bins, 2] in a fresh buffer.
    let mut x = fit_bins(dev, buf, layout, rows, m, bins)?;
    // (2) inverse complex transforms over the other axes.
    if ndim > 1 {
        x = inverse_other_axes::<T>(dev, &x, batch, other, bins)?;
    }
    // (3) DC and Nyquist are real.
    let mut x = zero_self_conjugate_imag(dev, &x, rows, bins, n, T::DTYPE)?;
    // (4) the real inverse along the last axis.
    // SAFETY: the transform writes all rows·n values.
    let mut out = unsafe { alloc::<T>(dev, out_len, OP)? };
    let key = plan_key(OP, &[n], rows, T::C2R)?;
    with_plan(dev, OP, &key, |p| {
        let mut i = as_complex(&mut x, rows * bins * 2);
        T::c2r(p, &mut i, &mut out)
    })?;
    // (5) the scale.
    let total = other.iter().product::<usize>() * n;
    let scale = norm.scale(total, true);
    let out = if scale != 1.0 {
        scale_contiguous(dev, &out, out_len, T::DTYPE, scale, OP)?
    } else {
        out
    };
    Ok(CudaStorage::from_slice(out, out_len, T::DTYPE, dev))
}

/// The spectrum `[rows, m, 2]` (any layout) with its last axis truncated or zero-padded to
/// `bins`, as a new contiguous `[rows, bins, 2]` buffer.
fn fit_bins<T: FftFloat>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    layout: &Layout,
    rows: usize,
    m: usize,
    bins: usize,
) -> Result<CudaSlice<T>> {
    const OP: &str = "irfftn";
    let r = layout.dims().len();
    if m >= bins {
        let l = layout.narrow(r - 2, 0, bins)?;
        return strided_copy(dev, buf, &l, T::DTYPE, OP);
    }
    // Zeros, then each row's m bins copied to the front of its slab by the concat kernel.
    let mut out = dev
        .stream()
        .alloc_zeros::<T>(rows * bins * 2)
        .or_cuda(OP, || format!("zero padding to {bins} bins"))?;
    let c = contig(dev, buf, layout, T::DTYPE, OP)?;
    let view = c.view();
    let name = format!("concat_{}", T::DTYPE.as_str());
    let func = kernel(dev, &name, OP)?;
    let (part, total, inner, start) = (m * 2, bins * 2, 1usize, 0usize);
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    b.arg(&view)
        .arg(&mut out)
        .arg(&rows)
        .arg(&part)
        .arg(&inner)
        .arg(&total)
        .arg(&start);
    // SAFETY: matches `concat_{dtype}(const T* in, T* out, size_t outer, size_t n, size_t inner,
    // size_t total, size_t start)` of kernels/index.cu: `view` holds rows·2m contiguous values,
    // `out` rows·2·bins, and start + 2m ≤ 2·bins.
    unsafe { b.launch(grid(rows * part)) }
        .or_cuda(OP, || format!("padding {layout:?} to {bins} bins"))?;
    Ok(out)
}

/// `x` (`[batch, other…, bins, 2]`, contiguous) after inverse complex transforms over the
/// `other` axes: permuted to `[batch, bins, other…, 2]`, transformed, permuted back.
fn inverse_other_axes<T: FftFloat>(
    dev: &CudaDevice,
    x: &CudaSlice<T>,
    batch: usize,
    other: &[usize],
    bins: usize,
) -> Result<CudaSlice<T>> {
    const OP: &str = "irfftn";
    let (to_front, to_back) = other_axes_layouts(batch, other, bins)?;
    let mut p = strided_copy(dev, x, &to_front, T::DTYPE, OP)?;
    let len = p.len();
    // SAFETY: the transform writes every value.
    let mut q = unsafe { alloc::<T>(dev, len, OP)? };
    let key = plan_key(OP, other, batch * bins, T::C2C)?;
    with_plan(dev, OP, &key, |plan| {
        let mut i = as_complex(&mut p, len);
        let mut o = as_complex(&mut q, len);
        T::c2c_inverse(plan, &mut i, &mut o)
    })?;
    strided_copy(dev, &q, &to_back, T::DTYPE, OP)
}

/// The views [`inverse_other_axes`] copies through: `[batch, other…, bins, 2]` (contiguous)
/// seen as `[batch, bins, other…, 2]`, and that order (contiguous) seen as the first again.
fn other_axes_layouts(batch: usize, other: &[usize], bins: usize) -> Result<(Layout, Layout)> {
    let k = other.len();
    let mut dims = vec![batch];
    dims.extend_from_slice(other);
    dims.extend([bins, 2]);
    // [batch, other…, bins, 2] → [batch, bins, other…, 2]
    let mut perm = vec![0, k + 1];
    perm.extend(1..=k);
    perm.push(k + 2);
    let to_front = Layout::contiguous(dims).permute(&perm)?;
    // [batch, bins, other…, 2] → [batch, other…, bins, 2]
    let mut front = vec![batch, bins];
    front.extend_from_slice(other);
    front.push(2);
    let mut back = vec![0];
    back.extend(2..=k + 1);
    back.extend([1, k + 2]);
    let to_back = Layout::contiguous(front).permute(&back)?;
    Ok((to_front, to_back))
}

/// `x` (`[rows, bins, 2]`, contiguous) with the imaginary parts of bin 0 and, for even `n`, of
/// bin `bins − 1` set to zero: `where(mask, x, 0)` with a `[bins·2]` mask broadcast over rows.
fn zero_self_conjugate_imag<T: FftFloat>(
    dev: &CudaDevice,
    x: &CudaSlice<T>,
    rows: usize,
    bins: usize,
    n: usize,
    dtype: DType,
) -> Result<CudaSlice<T>> {
    const OP: &str = "irfftn";
    let width = bins * 2;
    let mut mask = vec![1u8; width];
    mask[1] = 0;
    if n.is_multiple_of(2) {
        mask[width - 1] = 0;
    }
    let stream = dev.stream();
    let dmask = stream
        .clone_htod(&mask)
        .or_cuda(OP, || "uploading the DC/Nyquist mask".into())?;
    let zero = stream.alloc_zeros::<T>(1).or_cuda(OP, || "a zero".into())?;
    let total = rows * width;
    // dims [rows, width]; strides: mask [0, 1], x [width, 1], zero [0, 0].
    let info = Some(vec![rows, width, 0, 1, width, 1, 0, 0]);
    let dinfo = upload_info(dev, &info, OP)?.expect("info is Some");
    let rank = 2usize;
    let off = 0usize;
    // SAFETY: the where kernel writes all rows·width values.
    let mut out = unsafe { alloc::<T>(dev, total, OP)? };
    let name = format!("where_{}", dtype.as_str());
    let func = kernel(dev, &name, OP)?;
    let mut b = stream.launch_builder(&func);
    b.arg(&total)
        .arg(&rank)
        .arg(&dinfo)
        .arg(&dmask)
        .arg(&off)
        .arg(x)
        .arg(&off)
        .arg(&zero)
        .arg(&off)
        .arg(&mut out);
    // SAFETY: matches `where_{dtype}(size_t n, size_t rank, const size_t* info, const unsigned
    // char* cond, size_t cond_offset, const T* a, size_t a_offset, const T* b, size_t b_offset,
    // T* out)` of kernels/elementwise.cu with rank 2: the mask (width u8) and the zero (one T)
    // are broadcast by stride 0, `x` holds rows·width values, `out` as many.
    unsafe { b.launch(grid(total)) }.or_cuda(OP, || format!("{name} masking DC/Nyquist"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_keys_name_dims_batch_and_kind() {
        let k = plan_key("rfftn", &[8, 6], 3, FftKind::R2C).unwrap();
        assert_eq!(k.dims, vec![8, 6]);
        assert_eq!((k.batch, k.kind), (3, FftKind::R2C));
        assert_ne!(k, plan_key("rfftn", &[8, 6], 3, FftKind::D2Z).unwrap());
        assert_ne!(k, plan_key("rfftn", &[8, 6], 4, FftKind::R2C).unwrap());
        let e = plan_key("rfftn", &[1 << 31], 1, FftKind::R2C).unwrap_err();
        assert!(e.to_string().contains("32-bit"), "{e}");
    }

    #[test]
    fn r2c_inputs_at_odd_offsets_are_copied_for_alignment() {
        let l = Layout::contiguous([3, 5]);
        assert!(complex_aligned(&l));
        // Rows 1.. start at element 5: a float2/double2-misaligned pointer cuFFT rejects.
        assert!(!complex_aligned(&l.narrow(0, 1, 2).unwrap()));
        assert!(complex_aligned(&l.narrow(0, 2, 1).unwrap()));
        // Strided views are copied to a fresh (aligned) buffer anyway.
        assert!(complex_aligned(&l.transpose(0, 1)));
    }

    #[test]
    fn other_axes_round_trip_and_put_the_transformed_axes_last() {
        use crate::cpu_backend::strided::offsets;
        for (batch, other, bins) in [(2, vec![3], 4), (2, vec![3, 4], 5), (1, vec![1, 6], 2)] {
            let (to_front, to_back) = other_axes_layouts(batch, &other, bins).unwrap();
            let mut want_front = vec![batch, bins];
            want_front.extend(&other);
            want_front.push(2);
            assert_eq!(to_front.dims(), &want_front[..]);
            // Element (b, j, o…, c) of the permuted copy is element (b, o…, j, c) of the input.
            let front = offsets(to_front.dims(), to_front.strides(), 0);
            let inner: usize = other.iter().product();
            for (i, &off) in front.iter().enumerate() {
                let c = i % 2;
                let o = (i / 2) % inner;
                let j = (i / 2 / inner) % bins;
                let b = i / 2 / inner / bins;
                assert_eq!(
                    off,
                    ((b * inner + o) * bins + j) * 2 + c,
                    "{other:?} at {i}"
                );
            }
            // Copying back through `to_back` restores the input order.
            let back = offsets(to_back.dims(), to_back.strides(), 0);
            let round: Vec<usize> = back.iter().map(|&i| front[i]).collect();
            assert_eq!(round, (0..front.len()).collect::<Vec<_>>(), "{other:?}");
        }
    }
}
