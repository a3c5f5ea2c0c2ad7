//! [`SdeState`]: what an SDE solve needs beyond [`OdeState`]: noise buffers of shape
//! `[paths, m]` filled from f64 values, and the noise-weighted product `v ⊙ w`.

use fluxion_autodiff::Var;
use fluxion_tensor::Tensor;

use super::kernels;
use crate::error::{invalid, Result};
use crate::state::OdeState;

/// A state an SDE scheme can integrate: an [`OdeState`] that can also hold Brownian noise.
///
/// States are batches of paths: `Vec<f64>` is `[paths × d]` row-major (the fast path),
/// `Tensor` and `Var` are `[paths, d]` on any device. Noise buffers are `[paths, m]` of the
/// same type, dtype and device.
pub trait SdeState: OdeState {
    /// A noise buffer `[paths, m]` holding `values` (row-major), like `self` in type, dtype
    /// and device.
    ///
    /// # Errors
    /// When `values.len() != paths·m`; tensor errors.
    fn noise_from(&self, values: &[f64], paths: usize, m: usize) -> Result<Self>;

    /// Overwrites a buffer made by [`SdeState::noise_from`] with new values (same shape).
    ///
    /// # Errors
    /// When the length differs; tensor errors.
    fn write_noise(buf: &mut Self, values: &[f64]) -> Result<()>;

    /// `out = v ⊙ w` where `v` is state-shaped `[paths, d]` and `w` is `[paths, d]`
    /// (elementwise) or `[paths, 1]` (broadcast along each path).
    ///
    /// # Errors
    /// When the shapes fit neither case; tensor errors.
    fn mul_noise(out: &mut Self, v: &Self, w: &Self) -> Result<()>;

    /// The `f64` values of a buffer stored as plain host `f64`s (`Vec<f64>`), which lets the
    /// solver draw Brownian increments straight into it; `None` (the default) for other types,
    /// which are filled through an `f64` scratch and [`SdeState::write_noise`].
    fn values(_buf: &Self) -> Option<&[f64]> {
        None
    }

    /// Mutable [`SdeState::values`].
    fn values_mut(_buf: &mut Self) -> Option<&mut [f64]> {
        None
    }

    /// `out = base + h·Σᵢ cᵢ·ksᵢ` exactly as [`OdeState::lin_comb`] computes it, and whether
    /// every value of `out` is finite. The default calls the two; `Vec<f64>` does both in one
    /// cache-blocked pass (the same bits).
    ///
    /// # Errors
    /// As [`OdeState::lin_comb`].
    fn lin_comb_finite(
        out: &mut Self,
        base: &Self,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<bool> {
        Self::lin_comb(out, Some(base), h, coeffs, ks)?;
        out.is_finite()
    }
}

impl SdeState for Vec<f64> {
    fn noise_from(&self, values: &[f64], paths: usize, m: usize) -> Result<Self> {
        if values.len() != paths * m {
            return Err(invalid(
                "noise",
                format!("{} values for [{paths}, {m}]", values.len()),
            ));
        }
        Ok(values.to_vec())
    }

    #[inline]
    fn write_noise(buf: &mut Self, values: &[f64]) -> Result<()> {
        if buf.len() != values.len() {
            return Err(invalid(
                "noise",
                format!("{} values for {}", values.len(), buf.len()),
            ));
        }
        buf.copy_from_slice(values);
        Ok(())
    }

    #[inline]
    fn mul_noise(out: &mut Self, v: &Self, w: &Self) -> Result<()> {
        if w.is_empty() || !v.len().is_multiple_of(w.len()) || out.len() != v.len() {
            return Err(invalid(
                "noise",
                format!(
                    "cannot weight {} state values by {} noise values",
                    v.len(),
                    w.len()
                ),
            ));
        }
        let d = v.len() / w.len();
        if d == 1 {
            for ((o, vj), wj) in out.iter_mut().zip(v).zip(w) {
                *o = vj * wj;
            }
            return Ok(());
        }
        for ((o, vr), wi) in out.chunks_mut(d).zip(v.chunks(d)).zip(w) {
            for (oj, vj) in o.iter_mut().zip(vr) {
                *oj = vj * wi;
            }
        }
        Ok(())
    }

    #[inline]
    fn values(buf: &Self) -> Option<&[f64]> {
        Some(buf)
    }

    #[inline]
    fn values_mut(buf: &mut Self) -> Option<&mut [f64]> {
        Some(buf)
    }

    fn lin_comb_finite(
        out: &mut Self,
        base: &Self,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<bool> {
        let n = out.len();
        if base.len() != n || ks.iter().zip(coeffs).any(|(k, _)| k.len() != n) {
            return Err(invalid(
                "lin_comb",
                format!("operands of different lengths (out has {n})"),
            ));
        }
        let mut refs: [&[f64]; 8] = [&[]; 8];
        let owned: Vec<&[f64]>;
        let ks: &[&[f64]] = if ks.len() <= refs.len() {
            for (r, k) in refs.iter_mut().zip(ks) {
                *r = k;
            }
            &refs[..ks.len()]
        } else {
            owned = ks.iter().map(|k| k.as_slice()).collect();
            &owned
        };
        // One thread: splitting a pass of this size over rayon cost more in wake-ups than it
        // saved (measured on the 10 000 × 4 GBM benchmark, 2 cores).
        Ok(kernels::comb_finite(out, base, h, coeffs, ks))
    }
}

impl SdeState for Tensor {
    fn noise_from(&self, values: &[f64], paths: usize, m: usize) -> Result<Self> {
        if values.len() != paths * m {
            return Err(invalid(
                "noise",
                format!("{} values for [{paths}, {m}]", values.len()),
            ));
        }
        Ok(Tensor::from_vec(values.to_vec(), [paths, m], self.device())?.to_dtype(self.dtype())?)
    }

    fn write_noise(buf: &mut Self, values: &[f64]) -> Result<()> {
        let dims = buf.dims().to_vec();
        if dims.iter().product::<usize>() != values.len() {
            return Err(invalid(
                "noise",
                format!("{} values for {dims:?}", values.len()),
            ));
        }
        *buf = Tensor::from_vec(values.to_vec(), dims, buf.device())?.to_dtype(buf.dtype())?;
        Ok(())
    }

    fn mul_noise(out: &mut Self, v: &Self, w: &Self) -> Result<()> {
        *out = v.mul(w)?;
        Ok(())
    }
}

impl SdeState for Var {
    fn noise_from(&self, values: &[f64], paths: usize, m: usize) -> Result<Self> {
        Ok(Var::constant(self.tensor().noise_from(values, paths, m)?))
    }

    fn write_noise(buf: &mut Self, values: &[f64]) -> Result<()> {
        let mut t = buf.tensor();
        Tensor::write_noise(&mut t, values)?;
        *buf = Var::constant(t);
        Ok(())
    }

    fn mul_noise(out: &mut Self, v: &Self, w: &Self) -> Result<()> {
        *out = v.mul(w)?;
        Ok(())
    }
}
