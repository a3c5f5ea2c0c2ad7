//! The vector-space trait the solver core is generic over, and its `Vec<f64>` implementation.

use crate::error::{invalid, Result};

/// Absolute or relative tolerance: one number for every component, or one per component.
#[derive(Debug, Clone, PartialEq)]
pub enum Tolerance {
    /// The same tolerance for every component.
    Scalar(f64),
    /// One tolerance per component (or per entry of the last axis, broadcast over a batch).
    PerComponent(Vec<f64>),
}

impl Tolerance {
    /// The tolerance of component `i`.
    ///
    /// # Panics
    /// If `self` is per-component and `i` is out of range (the solver checks lengths first).
    #[inline]
    pub fn at(&self, i: usize) -> f64 {
        match self {
            Tolerance::Scalar(v) => *v,
            Tolerance::PerComponent(v) => v[i],
        }
    }

    /// Checks that a per-component tolerance fits a state of `n` components.
    pub(crate) fn check(&self, name: &'static str, n: usize, last_dim: usize) -> Result<()> {
        match self {
            Tolerance::Scalar(v) if v.is_finite() && *v >= 0.0 => Ok(()),
            Tolerance::Scalar(v) => Err(invalid(name, format!("must be finite and ≥ 0, got {v}"))),
            Tolerance::PerComponent(v) if v.len() == n || v.len() == last_dim => {
                if v.iter().all(|x| x.is_finite() && *x >= 0.0) {
                    Ok(())
                } else {
                    Err(invalid(name, "every entry must be finite and ≥ 0"))
                }
            }
            Tolerance::PerComponent(v) => Err(invalid(
                name,
                format!(
                    "has {} entries, the state has {n} components (last axis {last_dim})",
                    v.len()
                ),
            )),
        }
    }
}

impl From<f64> for Tolerance {
    fn from(v: f64) -> Self {
        Tolerance::Scalar(v)
    }
}

impl From<Vec<f64>> for Tolerance {
    fn from(v: Vec<f64>) -> Self {
        Tolerance::PerComponent(v)
    }
}

/// A state the Runge–Kutta core can integrate: a real vector space with a weighted RMS norm.
///
/// The core only needs linear combinations `out = base + h·Σᵢ cᵢ kᵢ`, the weighted sum of
/// squares `Σⱼ (eⱼ / (atolⱼ + rtolⱼ·max(|y0ⱼ|, |y1ⱼ|)))²` behind Hairer's RMS error norm, and a
/// finiteness check. Buffers are created once per solve with [`OdeState::zeros_like`] and
/// written through `&mut`, so `Vec<f64>` steps without allocating while immutable types
/// (`Tensor`, `Var`) simply replace the buffer's value.
pub trait OdeState: Clone {
    /// A zero state of the same shape, dtype and device.
    fn zeros_like(&self) -> Result<Self>;

    /// Number of scalar components (all batch entries together).
    fn n_components(&self) -> usize;

    /// Size of the last axis (per-component tolerances may have this length and broadcast).
    fn last_dim(&self) -> usize {
        self.n_components()
    }

    /// `out = base + h·Σᵢ coeffs[i]·ks[i]` (`base = 0` when `None`); zero coefficients are skipped.
    fn lin_comb(
        out: &mut Self,
        base: Option<&Self>,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<()>;

    /// `Σⱼ (errⱼ / (atolⱼ + rtolⱼ·max(|y0ⱼ|, |y1ⱼ|)))²`, the sum under Hairer's RMS norm.
    fn weighted_sq_sum(
        err: &Self,
        y0: &Self,
        y1: &Self,
        rtol: &Tolerance,
        atol: &Tolerance,
    ) -> Result<f64>;

    /// `true` when no component is NaN or ±∞.
    fn is_finite(&self) -> Result<bool>;

    /// `self = src` (in place where the type allows it).
    fn assign(&mut self, src: &Self) -> Result<()>;
}

/// RMS error norm `sqrt(mean((err / (atol + rtol·max(|y0|, |y1|)))²))` (HNW I, eq. II.4.11).
///
/// # Errors
/// Those of [`OdeState::weighted_sq_sum`].
pub fn rms_norm<S: OdeState>(
    err: &S,
    y0: &S,
    y1: &S,
    rtol: &Tolerance,
    atol: &Tolerance,
) -> Result<f64> {
    let n = err.n_components().max(1) as f64;
    Ok((S::weighted_sq_sum(err, y0, y1, rtol, atol)? / n).sqrt())
}

impl OdeState for Vec<f64> {
    fn zeros_like(&self) -> Result<Self> {
        Ok(vec![0.0; self.len()])
    }

    fn n_components(&self) -> usize {
        self.len()
    }

    #[inline]
    fn lin_comb(
        out: &mut Self,
        base: Option<&Self>,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<()> {
        match base {
            Some(b) => out.copy_from_slice(b),
            None => out.fill(0.0),
        }
        for (c, k) in coeffs.iter().zip(ks) {
            if *c == 0.0 {
                continue;
            }
            let s = h * c;
            for (o, kv) in out.iter_mut().zip(k) {
                *o += s * kv;
            }
        }
        Ok(())
    }

    #[inline]
    fn weighted_sq_sum(
        err: &Self,
        y0: &Self,
        y1: &Self,
        rtol: &Tolerance,
        atol: &Tolerance,
    ) -> Result<f64> {
        let mut acc = 0.0;
        match (rtol, atol) {
            (Tolerance::Scalar(r), Tolerance::Scalar(a)) => {
                for j in 0..err.len() {
                    let sc = a + r * y0[j].abs().max(y1[j].abs());
                    let e = err[j] / sc;
                    acc += e * e;
                }
            }
            _ => {
                for j in 0..err.len() {
                    let sc = atol.at(j) + rtol.at(j) * y0[j].abs().max(y1[j].abs());
                    let e = err[j] / sc;
                    acc += e * e;
                }
            }
        }
        Ok(acc)
    }

    fn is_finite(&self) -> Result<bool> {
        Ok(self.iter().all(|v| v.is_finite()))
    }

    fn assign(&mut self, src: &Self) -> Result<()> {
        self.copy_from_slice(src);
        Ok(())
    }
}
