//! Multi-axis real FFTs composed from the row transforms in `fft`: a real transform along the
//! last axis, then complex transforms along each other transformed axis (in reverse for the
//! inverse). The normalisation is applied once, in the last stage.

use std::borrow::Cow;

use super::fft::{fft_axis, irfft_rows, rfft_rows, FftFloat};
use super::{elementwise, CpuStorage};
use crate::backend::BackendStorage;
use crate::{DType, Error, FftNorm, Layout, Result};

pub(super) fn rfftn(s: &CpuStorage, l: &Layout, ndim: usize, norm: FftNorm) -> Result<CpuStorage> {
    match s {
        CpuStorage::F32(v) => Ok(CpuStorage::F32(rfftn_t(
            &contiguous(v, l),
            l.dims(),
            ndim,
            norm,
        ))),
        CpuStorage::F64(v) => Ok(CpuStorage::F64(rfftn_t(
            &contiguous(v, l),
            l.dims(),
            ndim,
            norm,
        ))),
        CpuStorage::F16(_) | CpuStorage::BF16(_) => {
            let x = elementwise::cast(s, l, DType::F32);
            let out = rfftn(&x, &Layout::contiguous(l.shape().clone()), ndim, norm)?;
            let n = out.len();
            Ok(elementwise::cast(&out, &Layout::contiguous([n]), s.dtype()))
        }
        CpuStorage::U8(_) | CpuStorage::I64(_) => Err(unsupported("rfftn", s.dtype())),
    }
}

pub(super) fn irfftn(
    s: &CpuStorage,
    l: &Layout,
    ndim: usize,
    last_len: usize,
    norm: FftNorm,
) -> Result<CpuStorage> {
    match s {
        CpuStorage::F32(v) => Ok(CpuStorage::F32(irfftn_t(
            &contiguous(v, l),
            l.dims(),
            ndim,
            last_len,
            norm,
        ))),
        CpuStorage::F64(v) => Ok(CpuStorage::F64(irfftn_t(
            &contiguous(v, l),
            l.dims(),
            ndim,
            last_len,
            norm,
        ))),
        CpuStorage::F16(_) | CpuStorage::BF16(_) => {
            let x = elementwise::cast(s, l, DType::F32);
            let out = irfftn(
                &x,
                &Layout::contiguous(l.shape().clone()),
                ndim,
                last_len,
                norm,
            )?;
            let n = out.len();
            Ok(elementwise::cast(&out, &Layout::contiguous([n]), s.dtype()))
        }
        CpuStorage::U8(_) | CpuStorage::I64(_) => Err(unsupported("irfftn", s.dtype())),
    }
}

/// The elements of `l`, borrowed when already contiguous (no copy on the common path).
fn contiguous<'a, T: Copy + Send + Sync>(v: &'a [T], l: &Layout) -> Cow<'a, [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Cow::Borrowed(&v[a..b]),
        None => Cow::Owned(elementwise::gather_layout(v, l)),
    }
}

fn unsupported(op: &'static str, dtype: DType) -> Error {
    Error::UnsupportedDType {
        op,
        dtype,
        supported: "f32, f64 (f16/bf16 through f32)",
    }
}

/// `x` contiguous real with `dims`; transforms the last `ndim` axes.
fn rfftn_t<T: FftFloat>(x: &[T], dims: &[usize], ndim: usize, norm: FftNorm) -> Vec<T> {
    let r = dims.len();
    let n = dims[r - 1];
    let total: usize = dims[r - ndim..].iter().product();
    let scale = T::from_f64(norm.scale(total, false)).expect("finite scale");
    let other_axes = r - ndim..r - 1;
    // The scale goes in the last stage that runs: the row rfft when it is the only one.
    let mut out = rfft_rows(
        x,
        n,
        if other_axes.is_empty() {
            scale
        } else {
            T::one()
        },
    );
    let mut cdims = dims.to_vec();
    cdims[r - 1] = n / 2 + 1;
    let first = other_axes.start;
    for ax in other_axes.rev() {
        let outer: usize = cdims[..ax].iter().product();
        let inner: usize = cdims[ax + 1..].iter().product();
        let s = if ax == first { scale } else { T::one() };
        if out.is_empty() {
            break;
        }
        fft_axis(&mut out, outer, cdims[ax], inner, false, s);
    }
    out
}

/// `x` contiguous interleaved complex with `dims` (last is 2); inverse over the last `ndim`
/// logical axes with output length `last_len` on the last one.
fn irfftn_t<T: FftFloat>(
    x: &[T],
    dims: &[usize],
    ndim: usize,
    last_len: usize,
    norm: FftNorm,
) -> Vec<T> {
    let cd = &dims[..dims.len() - 1];
    let r = cd.len();
    let m = cd[r - 1];
    let total: usize = cd[r - ndim..r - 1].iter().product::<usize>() * last_len;
    let scale = T::from_f64(norm.scale(total, true)).expect("finite scale");
    if ndim == 1 {
        return irfft_rows(x, m, last_len, scale);
    }
    let mut buf = x.to_vec();
    for ax in r - ndim..r - 1 {
        let outer: usize = cd[..ax].iter().product();
        let inner: usize = cd[ax + 1..].iter().product();
        if buf.is_empty() {
            break;
        }
        fft_axis(&mut buf, outer, cd[ax], inner, true, T::one());
    }
    irfft_rows(&buf, m, last_len, scale)
}
