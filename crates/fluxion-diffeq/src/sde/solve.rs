//! The fixed-step SDE solver: one loop for every scheme, generic over [`SdeState`].

use super::brownian::BrownianSource;
use super::problem::{NoiseType, SdeMethod, SdeSystem, SdeType};
use super::state::SdeState;
use crate::error::{invalid, Error, Result};

/// Options of [`solve_sde`]: the step size and the save times.
#[derive(Debug, Clone, PartialEq)]
pub struct SdeOptions {
    /// Step size; the grid is `t0 + k·dt` (exact for dyadic `dt`), the last step shortened to
    /// land on `t1`, plus every `t_eval` time (steps are split there).
    pub dt: f64,
    /// Save times inside `[t0, t1]`, increasing; empty saves only `t1`.
    pub t_eval: Vec<f64>,
}

impl SdeOptions {
    /// Fixed steps of size `dt`, saving the end state only.
    pub fn fixed(dt: f64) -> Self {
        SdeOptions {
            dt,
            t_eval: Vec::new(),
        }
    }

    /// Save at these times.
    pub fn t_eval(mut self, ts: Vec<f64>) -> Self {
        self.t_eval = ts;
        self
    }
}

/// Counts of a solve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SdeStats {
    /// Steps taken.
    pub steps: usize,
    /// Drift evaluations.
    pub drift_evals: usize,
    /// Diffusion-product evaluations.
    pub diffusion_evals: usize,
}

/// The states of an SDE solve at the save times.
#[derive(Debug, Clone)]
pub struct SdeSolution<S> {
    /// Save times.
    pub ts: Vec<f64>,
    /// States at `ts` (each a whole batch of paths).
    pub ys: Vec<S>,
    /// Counts.
    pub stats: SdeStats,
}

/// The step grid: `t0 + k·dt` for `k·dt < t1 − t0`, then `t1`, with `t_eval` merged in.
pub(crate) fn step_grid(t0: f64, t1: f64, dt: f64, t_eval: &[f64]) -> Result<Vec<f64>> {
    if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
        return Err(invalid(
            "span",
            format!("needs finite t0 < t1, got ({t0}, {t1})"),
        ));
    }
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(invalid("dt", format!("must be finite and > 0, got {dt}")));
    }
    if t_eval.windows(2).any(|w| w[1] <= w[0])
        || t_eval.iter().any(|t| t.is_nan() || *t < t0 || *t > t1)
    {
        return Err(invalid(
            "t_eval",
            format!("needs increasing times inside [{t0}, {t1}]"),
        ));
    }
    let n = (((t1 - t0) / dt) * (1.0 - 1e-12)).ceil().max(1.0) as usize;
    let mut grid: Vec<f64> = (0..n).map(|k| t0 + k as f64 * dt).collect();
    grid.push(t1);
    grid.extend_from_slice(t_eval);
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    Ok(grid)
}

/// `out = base + c·x`.
#[inline]
fn axpy<S: SdeState>(out: &mut S, base: &S, c: f64, x: &S) -> Result<()> {
    S::lin_comb(out, Some(base), 1.0, &[c], std::slice::from_ref(x))
}

/// Solves `dy = f dt + g ∘dW` from `y(t0) = y0` with fixed steps of `method`, driven by `bm`.
///
/// `y0` holds every path (`[paths × d]`); `bm.shape()` gives `(paths, m)`. The solve is
/// differentiable when `S = Var` (backpropagation through every step).
///
/// # Errors
/// [`Error::UnsupportedSde`] when the scheme does not support the problem's noise and
/// calculus; [`Error::InvalidArgument`] for a bad span, step, `t_eval`, shape mismatch or a
/// Milstein solve without the term it needs; [`Error::NonFiniteState`]; model errors.
pub fn solve_sde<S, P, B>(
    method: SdeMethod,
    sys: &P,
    span: (f64, f64),
    y0: &S,
    bm: &B,
    opts: &SdeOptions,
) -> Result<SdeSolution<S>>
where
    S: SdeState,
    P: SdeSystem<S> + ?Sized,
    B: BrownianSource + ?Sized,
{
    let (noise, sde_type) = (sys.noise_type(), sys.sde_type());
    method.check(noise, sde_type)?;
    let (t0, t1) = span;
    let grid = step_grid(t0, t1, opts.dt, &opts.t_eval)?;
    let (paths, m) = bm.shape();
    if let Some(m_sys) = sys.brownian_dim() {
        if m_sys != m {
            return Err(invalid(
                "brownian",
                format!("has m = {m}, the SDE needs {m_sys}"),
            ));
        }
    }
    let n = y0.n_components();
    if paths == 0 || m == 0 || !n.is_multiple_of(paths) {
        return Err(invalid(
            "y0",
            format!(
                "has {n} components, not a whole number of the Brownian motion's {paths} paths"
            ),
        ));
    }
    if noise == NoiseType::Diagonal && n != paths * m {
        return Err(invalid(
            "brownian",
            format!("diagonal noise needs m = d = {}, got m = {m}", n / paths),
        ));
    }
    let pm = paths * m;
    let mut stats = SdeStats::default();
    let mut ts = Vec::new();
    let mut ys = Vec::new();
    let mut save_i = 0;
    let save = |t: f64, y: &S, ts: &mut Vec<f64>, ys: &mut Vec<S>, save_i: &mut usize| {
        if opts.t_eval.get(*save_i) == Some(&t) {
            ts.push(t);
            ys.push(y.clone());
            *save_i += 1;
        }
    };
    let mut y = y0.clone();
    let mut y_new = y0.zeros_like()?;
    let mut k: Vec<S> = (0..5).map(|_| y0.zeros_like()).collect::<Result<_>>()?;
    let (mut tmp, mut tmp2) = (y0.zeros_like()?, y0.zeros_like()?);
    let zeros = vec![0.0; pm];
    let mut dw = y0.noise_from(&zeros, paths, m)?;
    let mut wbuf = y0.noise_from(&zeros, paths, m)?;
    let ones = y0.noise_from(&vec![1.0; pm], paths, m)?;
    let (mut dw_raw, mut dh_raw, mut w_raw) = (zeros.clone(), zeros.clone(), zeros);
    // Reversible Heun carries ŷ and μ = f(t, ŷ) from step to step.
    let mut yhat = y0.clone();
    if method == SdeMethod::ReversibleHeun {
        sys.drift(t0, &yhat, &mut k[0])?;
        stats.drift_evals += 1;
    }
    save(t0, &y, &mut ts, &mut ys, &mut save_i);
    for (step, w) in grid.windows(2).enumerate() {
        let (t, tn) = (w[0], w[1]);
        let h = tn - t;
        if method == SdeMethod::Sra1 {
            bm.increment_with_area(step, t, tn, &mut dw_raw, &mut dh_raw)?;
        } else {
            bm.increment(step, t, tn, &mut dw_raw)?;
        }
        S::write_noise(&mut dw, &dw_raw)?;
        match method {
            SdeMethod::EulerMaruyama => {
                sys.drift(t, &y, &mut k[0])?;
                sys.diffusion_prod(t, &y, &dw, &mut k[1])?;
                S::lin_comb(&mut y_new, Some(&y), 1.0, &[h, 1.0], &k[..2])?;
                stats.drift_evals += 1;
                stats.diffusion_evals += 1;
            }
            SdeMethod::Milstein { grad_free } => {
                sys.drift(t, &y, &mut k[0])?;
                sys.diffusion_prod(t, &y, &dw, &mut k[1])?;
                stats.drift_evals += 1;
                stats.diffusion_evals += 1;
                if noise == NoiseType::Additive {
                    S::lin_comb(&mut y_new, Some(&y), 1.0, &[h, 1.0], &k[..2])?;
                } else {
                    if grad_free {
                        let sq = h.sqrt();
                        sys.diffusion_prod(t, &y, &ones, &mut k[3])?;
                        S::lin_comb(&mut tmp, Some(&y), 1.0, &[h, 0.0, 0.0, sq], &k[..4])?;
                        sys.diffusion_prod(t, &tmp, &ones, &mut k[4])?;
                        S::lin_comb(
                            &mut tmp2,
                            None,
                            1.0,
                            &[0.0, 0.0, 0.0, -1.0 / sq, 1.0 / sq],
                            &k,
                        )?;
                        stats.diffusion_evals += 2;
                    } else if !sys.milstein_term(t, &y, &mut tmp2)? {
                        return Err(invalid(
                            "method",
                            "Milstein without grad_free needs the term (∂g/∂y)·g \
                             (Sde::with_milstein_term); or use Milstein { grad_free: true }",
                        ));
                    }
                    let shift = if sde_type == SdeType::Ito { h } else { 0.0 };
                    for (o, d) in w_raw.iter_mut().zip(&dw_raw) {
                        *o = d * d - shift;
                    }
                    S::write_noise(&mut wbuf, &w_raw)?;
                    S::mul_noise(&mut k[2], &tmp2, &wbuf)?;
                    S::lin_comb(&mut y_new, Some(&y), 1.0, &[h, 1.0, 0.5], &k[..3])?;
                }
            }
            SdeMethod::Sra1 => {
                // Rößler (2010) SRA1: c⁰ = (0, 3/4), c¹ = (1, 0), A⁰₂₁ = 3/4, B⁰₂₁ = 3/2,
                // α = (1/3, 2/3), β¹ = (1, 0), β² = (−1, 1); I₍₁,₀₎/h = ΔW/2 + ΔH.
                for ((o, d), e) in w_raw.iter_mut().zip(&dw_raw).zip(&dh_raw) {
                    *o = 0.5 * d + e;
                }
                S::write_noise(&mut wbuf, &w_raw)?;
                sys.drift(t, &y, &mut k[0])?;
                sys.diffusion_prod(tn, &y, &wbuf, &mut k[1])?;
                S::lin_comb(&mut tmp, Some(&y), 1.0, &[0.75 * h, 1.5], &k[..2])?;
                sys.drift(t + 0.75 * h, &tmp, &mut k[2])?;
                sys.diffusion_prod(t, &tmp, &wbuf, &mut k[4])?;
                for (o, d) in w_raw.iter_mut().zip(&dw_raw) {
                    *o = d - *o;
                }
                S::write_noise(&mut wbuf, &w_raw)?;
                sys.diffusion_prod(tn, &y, &wbuf, &mut k[3])?;
                S::lin_comb(
                    &mut y_new,
                    Some(&y),
                    1.0,
                    &[h / 3.0, 0.0, 2.0 * h / 3.0, 1.0, 1.0],
                    &k,
                )?;
                stats.drift_evals += 2;
                stats.diffusion_evals += 3;
            }
            SdeMethod::EulerHeun => {
                sys.drift(t, &y, &mut k[0])?;
                sys.diffusion_prod(t, &y, &dw, &mut k[1])?;
                axpy(&mut tmp, &y, 1.0, &k[1])?;
                sys.diffusion_prod(tn, &tmp, &dw, &mut k[2])?;
                S::lin_comb(&mut y_new, Some(&y), 1.0, &[h, 0.5, 0.5], &k[..3])?;
                stats.drift_evals += 1;
                stats.diffusion_evals += 2;
            }
            SdeMethod::Heun => {
                sys.drift(t, &y, &mut k[0])?;
                sys.diffusion_prod(t, &y, &dw, &mut k[1])?;
                S::lin_comb(&mut tmp, Some(&y), 1.0, &[h, 1.0], &k[..2])?;
                sys.drift(tn, &tmp, &mut k[2])?;
                sys.diffusion_prod(tn, &tmp, &dw, &mut k[3])?;
                S::lin_comb(
                    &mut y_new,
                    Some(&y),
                    1.0,
                    &[0.5 * h, 0.5, 0.5 * h, 0.5],
                    &k[..4],
                )?;
                stats.drift_evals += 2;
                stats.diffusion_evals += 2;
            }
            SdeMethod::Midpoint => {
                sys.drift(t, &y, &mut k[0])?;
                sys.diffusion_prod(t, &y, &dw, &mut k[1])?;
                S::lin_comb(&mut tmp, Some(&y), 1.0, &[0.5 * h, 0.5], &k[..2])?;
                let tm = t + 0.5 * h;
                sys.drift(tm, &tmp, &mut k[2])?;
                sys.diffusion_prod(tm, &tmp, &dw, &mut k[3])?;
                S::lin_comb(&mut y_new, Some(&y), 1.0, &[0.0, 0.0, h, 1.0], &k[..4])?;
                stats.drift_evals += 2;
                stats.diffusion_evals += 2;
            }
            SdeMethod::ReversibleHeun => {
                // ŷ' = 2y − ŷ + μ h + g(ŷ)ΔW; μ' = f(ŷ'); y' = y + (μ + μ')h/2 + (g(ŷ) + g(ŷ'))ΔW/2.
                sys.diffusion_prod(t, &yhat, &dw, &mut k[1])?;
                S::lin_comb(&mut tmp, Some(&y), 1.0, &[h, 1.0], &k[..2])?;
                axpy(&mut tmp2, &tmp, 1.0, &y)?;
                axpy(&mut tmp, &tmp2, -1.0, &yhat)?;
                std::mem::swap(&mut yhat, &mut tmp);
                sys.drift(tn, &yhat, &mut k[2])?;
                sys.diffusion_prod(tn, &yhat, &dw, &mut k[3])?;
                S::lin_comb(
                    &mut y_new,
                    Some(&y),
                    1.0,
                    &[0.5 * h, 0.5, 0.5 * h, 0.5],
                    &k[..4],
                )?;
                k.swap(0, 2);
                stats.drift_evals += 1;
                stats.diffusion_evals += 2;
            }
        }
        stats.steps += 1;
        if !y_new.is_finite()? {
            return Err(Error::NonFiniteState {
                t,
                h,
                steps: stats.steps,
            });
        }
        std::mem::swap(&mut y, &mut y_new);
        save(tn, &y, &mut ts, &mut ys, &mut save_i);
    }
    if opts.t_eval.is_empty() {
        ts.push(t1);
        ys.push(y);
    }
    Ok(SdeSolution { ts, ys, stats })
}
