//! One step of every SDE scheme, with its scratch buffers: shared by the fixed-step loop and
//! the adaptive (step-doubling) loop.

use super::brownian::BrownianSource;
use super::kernels;
use super::problem::{NoiseType, SdeMethod, SdeSystem, SdeType};
use super::solve::SdeStats;
use super::state::SdeState;
use crate::error::{invalid, Result};

/// `out = base + c·x`.
#[inline]
fn axpy<S: SdeState>(out: &mut S, base: &S, c: f64, x: &S) -> Result<()> {
    S::lin_comb(out, Some(base), 1.0, &[c], std::slice::from_ref(x))
}

/// The scheme, the problem, the Brownian source and the buffers a step needs (allocated once
/// per solve).
pub(super) struct Stepper<'a, S, P: ?Sized, B: ?Sized> {
    method: SdeMethod,
    sys: &'a P,
    bm: &'a B,
    noise: NoiseType,
    sde_type: SdeType,
    k: Vec<S>,
    tmp: S,
    tmp2: S,
    /// `ΔW` as a noise buffer (filled in place for `Vec<f64>` states).
    dw: S,
    wbuf: S,
    ones: S,
    /// f64 scratch for states that are not plain `f64`s, and the Lévy area.
    dw_raw: Vec<f64>,
    dh_raw: Vec<f64>,
    w_raw: Vec<f64>,
    /// Reversible Heun's `ŷ`; its `μ = f(t, ŷ)` lives in `k[0]`.
    yhat: S,
    /// Drift and diffusion evaluations so far.
    pub(super) stats: SdeStats,
}

impl<'a, S, P, B> Stepper<'a, S, P, B>
where
    S: SdeState,
    P: SdeSystem<S> + ?Sized,
    B: BrownianSource + ?Sized,
{
    /// Buffers like `y0` for `bm.shape() = (paths, m)`; reversible Heun evaluates `f(t0, y0)`.
    pub(super) fn new(method: SdeMethod, sys: &'a P, bm: &'a B, t0: f64, y0: &S) -> Result<Self> {
        let (paths, m) = bm.shape();
        let pm = paths * m;
        let zeros = vec![0.0; pm];
        let mut st = Stepper {
            method,
            sys,
            bm,
            noise: sys.noise_type(),
            sde_type: sys.sde_type(),
            k: (0..5).map(|_| y0.zeros_like()).collect::<Result<_>>()?,
            tmp: y0.zeros_like()?,
            tmp2: y0.zeros_like()?,
            dw: y0.noise_from(&zeros, paths, m)?,
            wbuf: y0.noise_from(&zeros, paths, m)?,
            ones: y0.noise_from(&vec![1.0; pm], paths, m)?,
            dw_raw: zeros.clone(),
            dh_raw: zeros.clone(),
            w_raw: zeros,
            yhat: y0.clone(),
            stats: SdeStats::default(),
        };
        if method == SdeMethod::ReversibleHeun {
            sys.drift(t0, &st.yhat, &mut st.k[0])?;
            st.stats.drift_evals += 1;
        }
        Ok(st)
    }

    /// Draws `ΔW` (and the Lévy area into `dh_raw` when `area`) for `[t, tn]`.
    fn draw(&mut self, step: usize, t: f64, tn: f64, area: bool) -> Result<()> {
        let Stepper {
            bm,
            dw,
            dw_raw,
            dh_raw,
            ..
        } = self;
        match S::values_mut(dw) {
            Some(v) if area => bm.increment_with_area(step, t, tn, v, dh_raw),
            Some(v) => bm.increment(step, t, tn, v),
            None => {
                if area {
                    bm.increment_with_area(step, t, tn, dw_raw, dh_raw)?;
                } else {
                    bm.increment(step, t, tn, dw_raw)?;
                }
                S::write_noise(dw, dw_raw)
            }
        }
    }

    /// `wbuf[i] = f(i, ΔWᵢ, wbuf[i])`, in place for `Vec<f64>` states, else through `w_raw`.
    fn set_wbuf(&mut self, f: impl Fn(usize, f64, f64) -> f64) -> Result<()> {
        let Stepper {
            dw,
            wbuf,
            dw_raw,
            w_raw,
            ..
        } = self;
        let d: &[f64] = S::values(dw).unwrap_or(dw_raw);
        match S::values_mut(wbuf) {
            Some(w) => {
                for (i, (o, x)) in w.iter_mut().zip(d).enumerate() {
                    *o = f(i, *x, *o);
                }
                Ok(())
            }
            None => {
                for (i, (o, x)) in w_raw.iter_mut().zip(d).enumerate() {
                    *o = f(i, *x, *o);
                }
                S::write_noise(wbuf, w_raw)
            }
        }
    }

    /// Draws this step's `ΔW` into the current noise buffer now.
    pub(super) fn draw_now(&mut self, step: usize, t: f64, tn: f64) -> Result<()> {
        self.draw(step, t, tn, self.method == SdeMethod::Sra1)
    }

    /// Exchanges the current `ΔW` buffer with `other` (a buffer drawn ahead).
    pub(super) fn swap_dw(&mut self, other: &mut S) {
        std::mem::swap(&mut self.dw, other);
    }

    /// A fresh noise buffer like the current one.
    pub(super) fn dw_like(&self) -> S {
        self.dw.clone()
    }

    /// One step of the scheme from `(t, y)` to `tn`: writes `y_new` and says whether it is
    /// finite. `step` is the Brownian source's step index.
    ///
    /// Reversible Heun advances its carried `(ŷ, μ)` as well (used by fixed steps only).
    pub(super) fn step(
        &mut self,
        step: usize,
        t: f64,
        tn: f64,
        y: &S,
        y_new: &mut S,
    ) -> Result<bool> {
        self.draw_now(step, t, tn)?;
        self.step_drawn(t, tn, y, y_new)
    }

    /// [`Stepper::step`] with `ΔW` already in the noise buffer.
    pub(super) fn step_drawn(&mut self, t: f64, tn: f64, y: &S, y_new: &mut S) -> Result<bool> {
        let h = tn - t;
        let (sys, noise) = (self.sys, self.noise);
        let finite = match self.method {
            SdeMethod::EulerMaruyama => {
                let k = &mut self.k;
                sys.drift(t, y, &mut k[0])?;
                sys.diffusion_prod(t, y, &self.dw, &mut k[1])?;
                self.stats.drift_evals += 1;
                self.stats.diffusion_evals += 1;
                S::lin_comb_finite(y_new, y, 1.0, &[h, 1.0], &k[..2])?
            }
            SdeMethod::Milstein { grad_free } => {
                sys.drift(t, y, &mut self.k[0])?;
                sys.diffusion_prod(t, y, &self.dw, &mut self.k[1])?;
                self.stats.drift_evals += 1;
                self.stats.diffusion_evals += 1;
                if noise == NoiseType::Additive {
                    S::lin_comb_finite(y_new, y, 1.0, &[h, 1.0], &self.k[..2])?
                } else {
                    if grad_free {
                        let sq = h.sqrt();
                        let k = &mut self.k;
                        sys.diffusion_prod(t, y, &self.ones, &mut k[3])?;
                        // (finiteness is checked on the result)
                        S::lin_comb_finite(&mut self.tmp, y, 1.0, &[h, 0.0, 0.0, sq], &k[..4])?;
                        sys.diffusion_prod(t, &self.tmp, &self.ones, &mut k[4])?;
                        S::lin_comb(
                            &mut self.tmp2,
                            None,
                            1.0,
                            &[0.0, 0.0, 0.0, -1.0 / sq, 1.0 / sq],
                            k,
                        )?;
                        self.stats.diffusion_evals += 2;
                    } else if !sys.milstein_term(t, y, &mut self.tmp2)? {
                        return Err(invalid(
                            "method",
                            "Milstein without grad_free needs the term (∂g/∂y)·g \
                             (Sde::with_milstein_term); or use Milstein { grad_free: true }",
                        ));
                    }
                    let shift = if self.sde_type == SdeType::Ito {
                        h
                    } else {
                        0.0
                    };
                    let n = y.n_components();
                    let fused = (
                        S::values(y),
                        S::values(&self.k[0]),
                        S::values(&self.k[1]),
                        S::values(&self.tmp2),
                        S::values(&self.dw),
                    );
                    match (fused, S::values_mut(y_new)) {
                        // Plain f64 values and one noise weight per component: one pass.
                        ((Some(yv), Some(f), Some(g), Some(term), Some(dw)), Some(out))
                            if [f.len(), g.len(), term.len(), dw.len(), out.len()]
                                .iter()
                                .all(|&l| l == n) =>
                        {
                            kernels::milstein_finite(out, yv, h, f, g, term, dw, shift)
                        }
                        _ => {
                            self.set_wbuf(|_, d, _| d * d - shift)?;
                            S::mul_noise(&mut self.k[2], &self.tmp2, &self.wbuf)?;
                            S::lin_comb_finite(y_new, y, 1.0, &[h, 1.0, 0.5], &self.k[..3])?
                        }
                    }
                }
            }
            SdeMethod::Sra1 => {
                // Rößler (2010) SRA1: c⁰ = (0, 3/4), c¹ = (1, 0), A⁰₂₁ = 3/4, B⁰₂₁ = 3/2,
                // α = (1/3, 2/3), β¹ = (1, 0), β² = (−1, 1); I₍₁,₀₎/h = ΔW/2 + ΔH.
                let dh = std::mem::take(&mut self.dh_raw);
                let set = self.set_wbuf(|i, d, _| 0.5 * d + dh[i]);
                self.dh_raw = dh;
                set?;
                let k = &mut self.k;
                sys.drift(t, y, &mut k[0])?;
                sys.diffusion_prod(tn, y, &self.wbuf, &mut k[1])?;
                S::lin_comb(&mut self.tmp, Some(y), 1.0, &[0.75 * h, 1.5], &k[..2])?;
                sys.drift(t + 0.75 * h, &self.tmp, &mut k[2])?;
                sys.diffusion_prod(t, &self.tmp, &self.wbuf, &mut k[4])?;
                self.set_wbuf(|_, d, w| d - w)?;
                let k = &mut self.k;
                sys.diffusion_prod(tn, y, &self.wbuf, &mut k[3])?;
                self.stats.drift_evals += 2;
                self.stats.diffusion_evals += 3;
                S::lin_comb_finite(y_new, y, 1.0, &[h / 3.0, 0.0, 2.0 * h / 3.0, 1.0, 1.0], k)?
            }
            SdeMethod::EulerHeun => {
                let k = &mut self.k;
                sys.drift(t, y, &mut k[0])?;
                sys.diffusion_prod(t, y, &self.dw, &mut k[1])?;
                axpy(&mut self.tmp, y, 1.0, &k[1])?;
                sys.diffusion_prod(tn, &self.tmp, &self.dw, &mut k[2])?;
                self.stats.drift_evals += 1;
                self.stats.diffusion_evals += 2;
                S::lin_comb_finite(y_new, y, 1.0, &[h, 0.5, 0.5], &k[..3])?
            }
            SdeMethod::Heun => {
                let k = &mut self.k;
                sys.drift(t, y, &mut k[0])?;
                sys.diffusion_prod(t, y, &self.dw, &mut k[1])?;
                S::lin_comb(&mut self.tmp, Some(y), 1.0, &[h, 1.0], &k[..2])?;
                sys.drift(tn, &self.tmp, &mut k[2])?;
                sys.diffusion_prod(tn, &self.tmp, &self.dw, &mut k[3])?;
                self.stats.drift_evals += 2;
                self.stats.diffusion_evals += 2;
                S::lin_comb_finite(y_new, y, 1.0, &[0.5 * h, 0.5, 0.5 * h, 0.5], &k[..4])?
            }
            SdeMethod::Midpoint => {
                let k = &mut self.k;
                sys.drift(t, y, &mut k[0])?;
                sys.diffusion_prod(t, y, &self.dw, &mut k[1])?;
                S::lin_comb(&mut self.tmp, Some(y), 1.0, &[0.5 * h, 0.5], &k[..2])?;
                let tm = t + 0.5 * h;
                sys.drift(tm, &self.tmp, &mut k[2])?;
                sys.diffusion_prod(tm, &self.tmp, &self.dw, &mut k[3])?;
                self.stats.drift_evals += 2;
                self.stats.diffusion_evals += 2;
                S::lin_comb_finite(y_new, y, 1.0, &[0.0, 0.0, h, 1.0], &k[..4])?
            }
            SdeMethod::ReversibleHeun => {
                // ŷ' = 2y − ŷ + μ h + g(ŷ)ΔW; μ' = f(ŷ'); y' = y + (μ + μ')h/2 + (g(ŷ) + g(ŷ'))ΔW/2.
                let k = &mut self.k;
                sys.diffusion_prod(t, &self.yhat, &self.dw, &mut k[1])?;
                S::lin_comb(&mut self.tmp, Some(y), 1.0, &[h, 1.0], &k[..2])?;
                axpy(&mut self.tmp2, &self.tmp, 1.0, y)?;
                axpy(&mut self.tmp, &self.tmp2, -1.0, &self.yhat)?;
                std::mem::swap(&mut self.yhat, &mut self.tmp);
                sys.drift(tn, &self.yhat, &mut k[2])?;
                sys.diffusion_prod(tn, &self.yhat, &self.dw, &mut k[3])?;
                let ok = S::lin_comb_finite(y_new, y, 1.0, &[0.5 * h, 0.5, 0.5 * h, 0.5], &k[..4])?;
                k.swap(0, 2);
                self.stats.drift_evals += 1;
                self.stats.diffusion_evals += 2;
                ok
            }
        };
        Ok(finite)
    }
}
