//! [`OdeState`] for [`Tensor`] (batched, any device) and [`Var`] (backprop through the solver).

use fluxion_autodiff::Var;
use fluxion_tensor::{DType, Tensor};

use crate::error::Result;
use crate::state::{OdeState, Tolerance};

/// The tolerance as a tensor broadcastable against `like` (same dtype and device).
fn tol_tensor(tol: &Tolerance, like: &Tensor) -> Result<Option<Tensor>> {
    match tol {
        Tolerance::Scalar(_) => Ok(None),
        Tolerance::PerComponent(v) => {
            let shape: Vec<usize> = if v.len() == like.elem_count() {
                like.dims().to_vec()
            } else {
                vec![v.len()]
            };
            let t = Tensor::from_vec(v.clone(), shape, like.device())?.to_dtype(like.dtype())?;
            Ok(Some(t))
        }
    }
}

fn scalar_f64(t: &Tensor) -> Result<f64> {
    Ok(t.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}

/// base + h·Σ cᵢkᵢ over any value type with scaling and addition, skipping zero coefficients;
/// `None` when there is neither a base nor a non-zero term.
fn lin_comb_with<T: Clone>(
    base: Option<&T>,
    h: f64,
    coeffs: &[f64],
    ks: &[T],
    scale: impl Fn(&T, f64) -> Result<T>,
    add: impl Fn(&T, &T) -> Result<T>,
) -> Result<Option<T>> {
    let mut acc: Option<T> = base.cloned();
    for (c, k) in coeffs.iter().zip(ks) {
        if *c == 0.0 {
            continue;
        }
        let term = scale(k, h * c)?;
        acc = Some(match acc {
            Some(a) => add(&a, &term)?,
            None => term,
        });
    }
    Ok(acc)
}

impl OdeState for Tensor {
    fn zeros_like(&self) -> Result<Self> {
        Ok(Tensor::zeros_like(self)?)
    }

    fn n_components(&self) -> usize {
        self.elem_count()
    }

    fn last_dim(&self) -> usize {
        self.dims().last().copied().unwrap_or(1)
    }

    fn lin_comb(
        out: &mut Self,
        base: Option<&Self>,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<()> {
        let acc = lin_comb_with(
            base,
            h,
            coeffs,
            ks,
            |k, c| Ok(k.mul_scalar(c)?),
            |a, b| Ok(a.add(b)?),
        )?;
        *out = match acc {
            Some(a) => a,
            None => Tensor::zeros_like(out)?,
        };
        Ok(())
    }

    fn weighted_sq_sum(
        err: &Self,
        y0: &Self,
        y1: &Self,
        rtol: &Tolerance,
        atol: &Tolerance,
    ) -> Result<f64> {
        let ymax = y0.abs()?.maximum(&y1.abs()?)?;
        let rel = match tol_tensor(rtol, err)? {
            Some(r) => ymax.mul(&r)?,
            None => ymax.mul_scalar(rtol.at(0))?,
        };
        let scale = match tol_tensor(atol, err)? {
            Some(a) => rel.add(&a)?,
            None => rel.add_scalar(atol.at(0))?,
        };
        scalar_f64(&err.div(&scale)?.square()?.sum_all()?)
    }

    fn is_finite(&self) -> Result<bool> {
        // NaN and ±∞ propagate through a sum (∞ − ∞ = NaN), so one reduction decides.
        Ok(scalar_f64(&self.sum_all()?)?.is_finite())
    }

    fn assign(&mut self, src: &Self) -> Result<()> {
        *self = src.clone();
        Ok(())
    }
}

/// Differentiable states: stages and updates are recorded `Var` ops, so `backward` on a function
/// of the final state differentiates through every accepted step. Step-size control uses the
/// detached values (the step sizes are treated as constants, as in torchdiffeq and diffrax).
impl OdeState for Var {
    fn zeros_like(&self) -> Result<Self> {
        Ok(Var::constant(self.tensor().zeros_like()?))
    }

    fn n_components(&self) -> usize {
        self.elem_count()
    }

    fn last_dim(&self) -> usize {
        self.dims().last().copied().unwrap_or(1)
    }

    fn lin_comb(
        out: &mut Self,
        base: Option<&Self>,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<()> {
        let acc = lin_comb_with(
            base,
            h,
            coeffs,
            ks,
            |k, c| Ok(k.mul_scalar(c)?),
            |a, b| Ok(a.add(b)?),
        )?;
        *out = match acc {
            Some(a) => a,
            None => Var::constant(out.tensor().zeros_like()?),
        };
        Ok(())
    }

    fn weighted_sq_sum(
        err: &Self,
        y0: &Self,
        y1: &Self,
        rtol: &Tolerance,
        atol: &Tolerance,
    ) -> Result<f64> {
        Tensor::weighted_sq_sum(&err.tensor(), &y0.tensor(), &y1.tensor(), rtol, atol)
    }

    fn is_finite(&self) -> Result<bool> {
        self.tensor().is_finite()
    }

    fn assign(&mut self, src: &Self) -> Result<()> {
        *self = src.clone();
        Ok(())
    }
}
