//! Real FFTs on `Var` and their backward rules.
//!
//! Both transforms are real-linear maps, so each gradient is the adjoint map applied to `g`.
//! With s the forward scale of the chosen norm over the N transformed points:
//!
//! - `rfftn`: x ↦ s·F x keeps bins 0..=n/2 of the last axis. Its adjoint is s times the
//!   unscaled inverse transform of w ⊙ g, where w halves every bin that stands for a
//!   conjugate pair (all but DC and, for even n, Nyquist): that is `irfftn` with the
//!   `Forward` norm, which is unscaled in the inverse direction.
//! - `irfftn`: X ↦ s·C2R(F⁻¹ X). Its adjoint is s times c ⊙ `rfftn(g)` (unscaled), with
//!   c = 2 on bins standing for pairs and 1 on DC and Nyquist, then truncated or zero-padded
//!   to the input's bin count (bins beyond n/2 are ignored by the forward pass).

use fluxion_tensor::{FftNorm, Tensor};

use crate::op::Op;
use crate::{Result, Var};

impl Var {
    /// Real-to-complex FFT over the last axis: `[…, n] → […, n/2 + 1, 2]`.
    ///
    /// # Errors
    /// As [`Tensor::rfft`].
    pub fn rfft(&self, norm: FftNorm) -> Result<Var> {
        self.rfftn(1, norm)
    }

    /// Inverse of [`Var::rfft`]: `[…, m, 2] → […, n]`, `n = 2(m − 1)` by default.
    ///
    /// # Errors
    /// As [`Tensor::irfft`].
    pub fn irfft(&self, n: Option<usize>, norm: FftNorm) -> Result<Var> {
        self.irfftn(1, n, norm)
    }

    /// Real-to-complex FFT over the last `ndim` axes (NumPy's `rfftn`).
    ///
    /// # Errors
    /// As [`Tensor::rfftn`].
    pub fn rfftn(&self, ndim: usize, norm: FftNorm) -> Result<Var> {
        let value = self.tensor_ref().rfftn(ndim, norm)?;
        Ok(Var::record(
            value,
            Op::Rfftn { ndim, norm },
            vec![self.clone()],
        ))
    }

    /// Inverse of [`Var::rfftn`] over the last `ndim` complex axes.
    ///
    /// # Errors
    /// As [`Tensor::irfftn`].
    pub fn irfftn(&self, ndim: usize, last_len: Option<usize>, norm: FftNorm) -> Result<Var> {
        let value = self.tensor_ref().irfftn(ndim, last_len, norm)?;
        Ok(Var::record(
            value,
            Op::Irfftn { ndim, norm },
            vec![self.clone()],
        ))
    }
}

/// Per-bin weights `[bins, 1]` for a last axis of `n` real points: `pair` on bins standing
/// for a conjugate pair, 1 on DC and (even n) Nyquist.
fn bin_weights(like: &Tensor, n: usize, bins: usize, pair: f64) -> Result<Tensor> {
    let w: Vec<f64> = (0..bins)
        .map(|k| {
            if k == 0 || (n.is_multiple_of(2) && k == n / 2) {
                1.0
            } else {
                pair
            }
        })
        .collect();
    Ok(Tensor::from_vec(w, [bins, 1], like.device())?.to_dtype(like.dtype())?)
}

fn transformed_points(dims: &[usize], ndim: usize) -> usize {
    dims[dims.len() - ndim..].iter().product()
}

pub(crate) fn rfftn_backward(x: &Var, ndim: usize, norm: FftNorm, g: &Var) -> Result<Var> {
    let xd = x.dims();
    let n = xd[xd.len() - 1];
    let scale = norm.scale(transformed_points(&xd, ndim), false);
    let w = bin_weights(&x.tensor(), n, n / 2 + 1, 0.5)?;
    g.mul(&Var::constant(w))?
        .irfftn(ndim, Some(n), FftNorm::Forward)?
        .mul_scalar(scale)
}

pub(crate) fn irfftn_backward(
    x: &Var,
    y: &Var,
    ndim: usize,
    norm: FftNorm,
    g: &Var,
) -> Result<Var> {
    let yd = y.dims();
    let n = yd[yd.len() - 1];
    let scale = norm.scale(transformed_points(&yd, ndim), true);
    let full = n / 2 + 1;
    let c = bin_weights(&y.tensor(), n, full, 2.0)?;
    let gx = g
        .rfftn(ndim, FftNorm::Backward)?
        .mul(&Var::constant(c))?
        .mul_scalar(scale)?;
    let xd = x.dims();
    let bins = xd[xd.len() - 2];
    if bins <= full {
        return gx.narrow(-2, 0, bins);
    }
    let mut pad = xd.clone();
    let r = pad.len();
    pad[r - 2] = bins - full;
    let zeros = gx.full_const(&pad.into(), 0.0)?;
    Var::concat(&[&gx, &zeros], -2)
}
