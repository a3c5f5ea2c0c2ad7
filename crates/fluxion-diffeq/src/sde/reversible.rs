//! The exact adjoint of reversible Heun: the backward pass rebuilds every forward state
//! algebraically from the final one (no stored trajectory) and backpropagates through one step
//! at a time (Kidger, Foster, Li & Lyons 2021, "Efficient and accurate gradients for neural
//! SDEs", NeurIPS, Algorithm 2; torchsde's `reversible_heun` with `adjoint_reversible_heun`).
//!
//! Forward step (`μ = f(t, ŷ)`, `s = g(t, ŷ)ΔW`):
//! `ŷ' = 2y − ŷ + μh + s`, `y' = y + (μ + μ')h/2 + (s + s')/2`.
//! Inverse: `ŷ = 2y' − ŷ' − μ'h − s'`, `y = y' − (μ + μ')h/2 − (s + s')/2`, exact up to rounding,
//! so the gradients equal those of backpropagation through the same solve to rounding, in
//! O(1) memory in the number of steps.

use fluxion_autodiff::{grad, no_grad, Var};
use fluxion_tensor::Tensor;

use super::brownian::BrownianSource;
use super::solve::{step_grid, SdeOptions};
use super::state::SdeState;
use crate::error::{invalid, Result};

/// Gradients from [`ReversibleHeunAdjoint::backward`].
#[derive(Debug, Clone)]
pub struct ReversibleGrads {
    /// `∂L/∂y0`.
    pub y0: Tensor,
    /// `∂L/∂θ`, one per parameter.
    pub params: Vec<Tensor>,
}

/// A reversible Heun solve whose gradients come from the algebraic inverse.
///
/// `f(t, y, θ)` is the drift and `g(t, y, v, θ)` the diffusion product `g(t, y)·v` (Stratonovich,
/// any noise type). Call [`ReversibleHeunAdjoint::forward`], form `∂L/∂y(t1)` from
/// [`ReversibleHeunAdjoint::y_end`], then [`ReversibleHeunAdjoint::backward`].
pub struct ReversibleHeunAdjoint<'a, F, G, B: ?Sized> {
    f: F,
    g: G,
    params: Vec<Tensor>,
    grid: Vec<f64>,
    bm: &'a B,
    y_end: Tensor,
    yhat_end: Tensor,
}

impl<F, G, B: ?Sized> std::fmt::Debug for ReversibleHeunAdjoint<'_, F, G, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReversibleHeunAdjoint")
            .field("steps", &(self.grid.len() - 1))
            .field("y_end", &self.y_end.dims())
            .finish()
    }
}

/// One reversible Heun step with the step's noise `dw`: `(y, ŷ, μ) → (y', ŷ', μ')`.
fn step<F, G>(
    f: &F,
    g: &G,
    p: &[Var],
    (t, tn): (f64, f64),
    y: &Var,
    yhat: &Var,
    mu: &Var,
    dw: &Var,
) -> Result<(Var, Var, Var)>
where
    F: Fn(f64, &Var, &[Var]) -> Result<Var>,
    G: Fn(f64, &Var, &Var, &[Var]) -> Result<Var>,
{
    let h = tn - t;
    let s = g(t, yhat, dw, p)?;
    let yhat_n = y
        .mul_scalar(2.0)?
        .sub(yhat)?
        .add(&mu.mul_scalar(h)?)?
        .add(&s)?;
    let mu_n = f(tn, &yhat_n, p)?;
    let s_n = g(tn, &yhat_n, dw, p)?;
    let y_n = y
        .add(&mu.add(&mu_n)?.mul_scalar(0.5 * h)?)?
        .add(&s.add(&s_n)?.mul_scalar(0.5)?)?;
    Ok((y_n, yhat_n, mu_n))
}

impl<'a, F, G, B> ReversibleHeunAdjoint<'a, F, G, B>
where
    F: Fn(f64, &Var, &[Var]) -> Result<Var>,
    G: Fn(f64, &Var, &Var, &[Var]) -> Result<Var>,
    B: BrownianSource + ?Sized,
{
    /// Solves forward from `y0` (`[paths, d]`) over `span` with `opts.dt` (no graph kept).
    ///
    /// # Errors
    /// Invalid span or step, shape mismatches, model errors.
    pub fn forward(
        f: F,
        g: G,
        params: &[Tensor],
        y0: &Tensor,
        span: (f64, f64),
        opts: &SdeOptions,
        bm: &'a B,
    ) -> Result<Self> {
        if opts.adaptive.is_some() {
            return Err(invalid(
                "opts",
                "the reversible Heun adjoint takes fixed steps (SdeOptions::fixed)",
            ));
        }
        let grid = step_grid(span.0, span.1, opts.dt, &[])?;
        let (paths, m) = bm.shape();
        if y0.dims().first() != Some(&paths) {
            return Err(invalid(
                "y0",
                format!("needs {paths} rows, got {:?}", y0.dims()),
            ));
        }
        let p: Vec<Var> = params.iter().cloned().map(Var::constant).collect();
        let (y_end, yhat_end) = no_grad(|| -> Result<(Tensor, Tensor)> {
            let mut y = Var::constant(y0.clone());
            let mut yhat = y.clone();
            let mut mu = f(grid[0], &yhat, &p)?;
            let mut raw = vec![0.0; paths * m];
            for (i, w) in grid.windows(2).enumerate() {
                bm.increment(i, w[0], w[1], &mut raw)?;
                let dw = y.noise_from(&raw, paths, m)?;
                (y, yhat, mu) = step(&f, &g, &p, (w[0], w[1]), &y, &yhat, &mu, &dw)?;
            }
            Ok((y.tensor(), yhat.tensor()))
        })?;
        Ok(ReversibleHeunAdjoint {
            f,
            g,
            params: params.to_vec(),
            grid,
            bm,
            y_end,
            yhat_end,
        })
    }

    /// `y(t1)`.
    pub fn y_end(&self) -> &Tensor {
        &self.y_end
    }

    /// Gradients of `L` given `∂L/∂y(t1)`, by the discrete adjoint of each step evaluated at
    /// the algebraically reconstructed states.
    ///
    /// # Errors
    /// Shape mismatches, model and autodiff errors.
    pub fn backward(&self, grad_y_end: &Tensor) -> Result<ReversibleGrads> {
        let (paths, m) = self.bm.shape();
        let pc: Vec<Var> = self.params.iter().cloned().map(Var::constant).collect();
        let (f, g) = (&self.f, &self.g);
        let mut y = self.y_end.clone();
        let mut yhat = self.yhat_end.clone();
        let n = self.grid.len() - 1;
        let mut mu_next = no_grad(|| f(self.grid[n], &Var::constant(yhat.clone()), &pc))?.tensor();
        let mut a_y = Var::constant(grad_y_end.clone());
        let mut a_yhat = Var::constant(grad_y_end.zeros_like()?);
        let mut a_p: Vec<Tensor> = self
            .params
            .iter()
            .map(Tensor::zeros_like)
            .collect::<std::result::Result<_, _>>()?;
        let mut raw = vec![0.0; paths * m];
        for i in (0..n).rev() {
            let (t, tn) = (self.grid[i], self.grid[i + 1]);
            let h = tn - t;
            self.bm.increment(i, t, tn, &mut raw)?;
            let dw = Var::constant(y.noise_from(&raw, paths, m)?);
            // Reconstruct (y, ŷ, μ) at t from (y', ŷ', μ') at tn.
            let (y_prev, yhat_prev, mu_prev) = no_grad(|| -> Result<(Tensor, Tensor, Tensor)> {
                let (yv, yhv, mun) = (
                    Var::constant(y.clone()),
                    Var::constant(yhat.clone()),
                    Var::constant(mu_next.clone()),
                );
                let s_n = g(tn, &yhv, &dw, &pc)?;
                let yh = yv
                    .mul_scalar(2.0)?
                    .sub(&yhv)?
                    .sub(&mun.mul_scalar(h)?)?
                    .sub(&s_n)?;
                let mu = f(t, &yh, &pc)?;
                let s = g(t, &yh, &dw, &pc)?;
                let yp = yv
                    .sub(&mu.add(&mun)?.mul_scalar(0.5 * h)?)?
                    .sub(&s.add(&s_n)?.mul_scalar(0.5)?)?;
                Ok((yp.tensor(), yh.tensor(), mu.tensor()))
            })?;
            // Vector–Jacobian product of the step map (y, ŷ, θ) ↦ (y', ŷ').
            let yl = Var::leaf(y_prev.clone());
            let yhl = Var::leaf(yhat_prev.clone());
            let pl: Vec<Var> = self.params.iter().cloned().map(Var::leaf).collect();
            let mu = f(t, &yhl, &pl)?;
            let (y_n, yhat_n, _) = step(f, g, &pl, (t, tn), &yl, &yhl, &mu, &dw)?;
            let mut inputs = vec![yl, yhl];
            inputs.extend(pl);
            let gs = grad(&[y_n, yhat_n], &inputs, Some(&[a_y, a_yhat]), false)?;
            a_y = Var::constant(gs[0].tensor());
            a_yhat = Var::constant(gs[1].tensor());
            for (acc, gp) in a_p.iter_mut().zip(&gs[2..]) {
                *acc = acc.add(&gp.tensor())?;
            }
            (y, yhat, mu_next) = (y_prev, yhat_prev, mu_prev);
        }
        // ŷ₀ = y₀, so both adjoints flow into y0.
        Ok(ReversibleGrads {
            y0: a_y.tensor().add(&a_yhat.tensor())?,
            params: a_p,
        })
    }
}
