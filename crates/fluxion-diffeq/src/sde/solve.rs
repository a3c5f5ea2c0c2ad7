//! [`solve_sde`]: options, statistics and the fixed-step loop (the adaptive loop is in
//! `adaptive.rs`, one step of every scheme in `stepper.rs`), generic over [`SdeState`].

use super::brownian::{BrownianSource, IncrementDraw};
use super::problem::{NoiseType, SdeMethod, SdeSystem};
use super::state::SdeState;
use super::stepper::Stepper;
use crate::controller::PiController;
use crate::error::{invalid, Error, Result};

/// Options of [`solve_sde`]: fixed steps ([`SdeOptions::fixed`]) or adaptive steps
/// ([`SdeOptions::adaptive`]), and the save times.
///
/// ```
/// use fluxion_diffeq::sde::{SdeAdaptive, SdeOptions};
/// let fixed = SdeOptions::fixed(1e-3).t_eval(vec![0.5, 1.0]);
/// let adaptive = SdeOptions::adaptive(1e-3, 1e-6, 1e-2);
/// let tuned = SdeOptions::adaptive_with(1e-2, SdeAdaptive::new(1e-3, 1e-6).dt_min(1e-8).max_steps(10_000));
/// assert!(fixed.adaptive.is_none() && adaptive.adaptive.is_some() && tuned.adaptive.is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SdeOptions {
    /// Fixed steps: the step size; the grid is `t0 + k·dt` (exact for dyadic `dt`), the last
    /// step shortened to land on `t1`, plus every `t_eval` time (steps are split there).
    /// Adaptive steps: the first step tried.
    pub dt: f64,
    /// Save times inside `[t0, t1]`, increasing; empty saves only `t1`.
    pub t_eval: Vec<f64>,
    /// `Some` for adaptive steps (see [`SdeAdaptive`]); `None` for fixed steps.
    pub adaptive: Option<SdeAdaptive>,
}

impl SdeOptions {
    /// Fixed steps of size `dt`, saving the end state only.
    pub fn fixed(dt: f64) -> Self {
        SdeOptions {
            dt,
            t_eval: Vec::new(),
            adaptive: None,
        }
    }

    /// Adaptive steps for tolerances `rtol`, `atol` from a first step `dt0`, with the default
    /// controller of [`SdeAdaptive::new`]. Needs a Brownian source that answers any interval
    /// ([`BrownianTree`](super::BrownianTree)).
    pub fn adaptive(rtol: f64, atol: f64, dt0: f64) -> Self {
        Self::adaptive_with(dt0, SdeAdaptive::new(rtol, atol))
    }

    /// Adaptive steps from a first step `dt0` with these settings.
    pub fn adaptive_with(dt0: f64, settings: SdeAdaptive) -> Self {
        SdeOptions {
            dt: dt0,
            t_eval: Vec::new(),
            adaptive: Some(settings),
        }
    }

    /// Save at these times.
    pub fn t_eval(mut self, ts: Vec<f64>) -> Self {
        self.t_eval = ts;
        self
    }
}

/// Settings of adaptive SDE steps: error estimate by step doubling, step-size control on it.
///
/// Each attempted step from `(t, y)` takes one step of size `h` (`y₁`) and two of size `h/2`
/// (`y₂`) of the scheme on the same Brownian path (`W(t)`, `W(t + h/2)`, `W(t + h)` from the
/// source), and keeps `y₂` (local extrapolation is not used: the difference is an error
/// estimate for `y₁` only). This is torchsde's adaptive stepping (Li et al. 2020,
/// `torchsde/_core/base_solver.py`) and Gaines & Lyons (1997), who show that rejected steps must
/// not resample the Brownian path: the source must answer any interval consistently, which
/// the virtual [`BrownianTree`](super::BrownianTree) does.
///
/// The error norm is the RMS over every path and component of
/// `(y₁ − y₂)ᵢ / (atol + rtol·max(|yᵢ|, |y₂ᵢ|))`; a step is accepted when it is `≤ 1`. The next
/// step is `h·factor` by the [`PiController`] (its `safety`, `min_factor`, `max_factor`, `β`s
/// and hold-after-reject rule), with the error exponent `q = p + ½` for a scheme of strong
/// order `p` on the problem's noise (the local error of one step, in mean square): Euler–Maruyama
/// `q = 1` (1.5 for additive noise); Milstein 1.5; Euler–Heun, Heun and midpoint 1.5 for
/// commutative (diagonal, scalar, additive) noise, 1 for general noise; SRA1 2 (needs a tree built
/// [`with_levy_area`](super::BrownianTree::with_levy_area)). Reversible Heun carries state between steps and is fixed-step only.
/// A step that produces NaN or ±∞ counts as rejected with the smallest factor. Steps are
/// shortened to land on every `t_eval` time and on `t1`.
///
/// Accepted steps then scale like `tol^(1/q)` and the global pathwise error like `tol^(p/q)`
/// (Milstein: steps ×4.6 and error ÷4.6 per decade of tolerance; Euler–Maruyama: ×10 and ÷3.2;
/// checked in `tests/sde_adaptive.rs` against the exact GBM path).
///
/// Solves are bitwise reproducible for a given state type and seed. Step ends depend on the
/// last bits of the error norm, and the tree draws two times inside one of its leaves
/// (width `tol`) independently given the leaf's ends, so a step end moved by one ulp can meet
/// a different, equally distributed, value of `W`: a `Tensor` solve, whose arithmetic rounds
/// differently, takes different steps than a `Vec<f64>` solve of the same problem, with the
/// same accuracy.
#[derive(Debug, Clone, PartialEq)]
pub struct SdeAdaptive {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// The step-size controller. Default: [`PiController::default`] with `beta2_k = 0` (a
    /// pure I controller: the noisy SDE error estimate makes the PI memory of little use).
    pub controller: PiController,
    /// Smallest step allowed (default 0; at least 10 ulp of `t` in any case); a step that
    /// would go below it is [`Error::StepSizeUnderflow`].
    pub dt_min: f64,
    /// Largest step allowed (default ∞).
    pub dt_max: f64,
    /// Most attempted steps (accepted + rejected) before [`Error::MaxStepsReached`]
    /// (default 100 000).
    pub max_steps: usize,
}

impl SdeAdaptive {
    /// Tolerances `rtol`, `atol` with the default controller and limits.
    pub fn new(rtol: f64, atol: f64) -> Self {
        SdeAdaptive {
            rtol,
            atol,
            controller: PiController {
                beta2_k: 0.0,
                ..PiController::default()
            },
            dt_min: 0.0,
            dt_max: f64::INFINITY,
            max_steps: 100_000,
        }
    }

    /// With this controller.
    pub fn controller(mut self, c: PiController) -> Self {
        self.controller = c;
        self
    }

    /// With this smallest step.
    pub fn dt_min(mut self, dt_min: f64) -> Self {
        self.dt_min = dt_min;
        self
    }

    /// With this largest step.
    pub fn dt_max(mut self, dt_max: f64) -> Self {
        self.dt_max = dt_max;
        self
    }

    /// With this limit on attempted steps.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }
}

/// Counts of a solve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SdeStats {
    /// Steps attempted: accepted + rejected (for fixed steps, the steps taken). An adaptive
    /// attempt runs the scheme three times (one full step, two half steps).
    pub steps: usize,
    /// Accepted steps (all of them for fixed steps).
    pub accepted: usize,
    /// Rejected steps (0 for fixed steps).
    pub rejected: usize,
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
    /// The accepted step grid: `t0` and the end of every accepted step (so
    /// `step_ts[i + 1] − step_ts[i]` are the accepted step sizes).
    pub step_ts: Vec<f64>,
}

/// Checks the span and the save times.
pub(crate) fn check_span(t0: f64, t1: f64, t_eval: &[f64]) -> Result<()> {
    if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
        return Err(invalid(
            "span",
            format!("needs finite t0 < t1, got ({t0}, {t1})"),
        ));
    }
    if t_eval.windows(2).any(|w| w[1] <= w[0])
        || t_eval.iter().any(|t| t.is_nan() || *t < t0 || *t > t1)
    {
        return Err(invalid(
            "t_eval",
            format!("needs increasing times inside [{t0}, {t1}]"),
        ));
    }
    Ok(())
}

/// The step grid: `t0 + k·dt` for `k·dt < t1 − t0`, then `t1`, with `t_eval` merged in.
pub(crate) fn step_grid(t0: f64, t1: f64, dt: f64, t_eval: &[f64]) -> Result<Vec<f64>> {
    check_span(t0, t1, t_eval)?;
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(invalid("dt", format!("must be finite and > 0, got {dt}")));
    }
    let n = (((t1 - t0) / dt) * (1.0 - 1e-12)).ceil().max(1.0) as usize;
    let mut grid: Vec<f64> = (0..n).map(|k| t0 + k as f64 * dt).collect();
    grid.push(t1);
    grid.extend_from_slice(t_eval);
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    Ok(grid)
}

/// Solves `dy = f dt + g ∘dW` from `y(t0) = y0` with `method`, driven by `bm`, with fixed or
/// adaptive steps ([`SdeOptions`]).
///
/// `y0` holds every path (`[paths × d]`); `bm.shape()` gives `(paths, m)`. The solve is
/// differentiable when `S = Var` (backpropagation through every step). Adaptive steps
/// ([`SdeAdaptive`]) need a source that answers any interval, the [`BrownianTree`](super::BrownianTree).
///
/// ```
/// use fluxion_diffeq::sde::{solve_sde, BrownianTree, NoiseType, Sde, SdeMethod, SdeOptions, SdeType};
/// // GBM dX = 0.5 X dt + 0.3 X dW on 64 paths, adaptive Milstein at rtol = atol = 1e-3.
/// let sde = Sde::new(NoiseType::Diagonal, SdeType::Ito,
///     |_t, y: &Vec<f64>, out: &mut Vec<f64>| { for (o, x) in out.iter_mut().zip(y) { *o = 0.5 * x; } Ok(()) },
///     |_t, y: &Vec<f64>, v: &Vec<f64>, out: &mut Vec<f64>| {
///         for ((o, x), w) in out.iter_mut().zip(y).zip(v) { *o = 0.3 * x * w; } Ok(()) });
/// let bm = BrownianTree::new(1, 0.0, 1.0, 64, 1)?;
/// let opts = SdeOptions::adaptive(1e-3, 1e-3, 0.01).t_eval(vec![0.5, 1.0]);
/// let sol = solve_sde(SdeMethod::Milstein { grad_free: true }, &sde, (0.0, 1.0), &vec![1.0; 64], &bm, &opts)?;
/// assert_eq!(sol.ts, vec![0.5, 1.0]);
/// assert!(sol.stats.accepted > 0 && sol.step_ts.contains(&0.5));
/// // W(1) from the same tree gives the exact solution exp(0.455 + 0.3 W(1)) to compare with.
/// let w1 = bm.value(1.0)?;
/// let sq: f64 = sol.ys[1].iter().zip(w1.iter()).map(|(y, w)| (y - (0.455 + 0.3 * w).exp()).powi(2)).sum();
/// let rms = (sq / 64.0).sqrt();
/// assert!(rms < 0.03, "RMS error {rms}"); // 0.014 on this path
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Performance
/// With `Vec<f64>` states the solver draws increments straight into its noise buffer,
/// combines stages in one fused, vectorised pass that also checks finiteness, and (fixed
/// steps, with a counter-based source such as [`BrownianIncrements`](super::BrownianIncrements))
/// draws step `k + 1`'s increments on a rayon worker while this thread computes step `k`.
/// None of this changes a bit of the result (`tests/sde_fast_path.rs`).
///
/// # Errors
/// [`Error::UnsupportedSde`] when the scheme does not support the problem's noise and
/// calculus; [`Error::InvalidArgument`] for a bad span, step, `t_eval`, tolerance, shape
/// mismatch, a Milstein solve without the term it needs, or adaptive steps with a sequential
/// Brownian source or reversible Heun; [`Error::NonFiniteState`] (fixed steps);
/// [`Error::StepSizeUnderflow`] and [`Error::MaxStepsReached`] (adaptive steps); model errors.
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
    check_span(t0, t1, &opts.t_eval)?;
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
    if let Some(ad) = &opts.adaptive {
        return super::adaptive::solve_adaptive(method, sys, span, y0, bm, opts, ad);
    }
    let grid = step_grid(t0, t1, opts.dt, &opts.t_eval)?;
    let mut stepper = Stepper::new(method, sys, bm, t0, y0)?;
    let mut ts = Vec::new();
    let mut ys = Vec::new();
    let mut save_i = 0;
    let mut y = y0.clone();
    let mut y_new = y0.zeros_like()?;
    save_at(&opts.t_eval, t0, &y, &mut ts, &mut ys, &mut save_i);
    let mut steps = 0;
    // Draw step k + 1's increments on another thread while step k is computed, where the
    // source allows it (counter-based draws) and the noise is plain f64s.
    let mut ahead = stepper.dw_like();
    let pipelined = method != SdeMethod::Sra1
        && S::values(&ahead).is_some()
        && bm.increment_draw(0, grid[0], grid[1]).is_some();
    let mut drawn_ahead = false;
    for (step, w) in grid.windows(2).enumerate() {
        let (t, tn) = (w[0], w[1]);
        let finite = if pipelined {
            if drawn_ahead {
                stepper.swap_dw(&mut ahead);
            } else {
                stepper.draw_now(step, t, tn)?;
            }
            let next = grid
                .get(step + 2)
                .and_then(|&t2| bm.increment_draw(step + 1, tn, t2));
            drawn_ahead = false;
            match (next, S::values_mut(&mut ahead)) {
                (Some(draw), Some(buf)) => {
                    drawn_ahead = true;
                    draw_while(draw, buf, || stepper.step_drawn(t, tn, &y, &mut y_new))?
                }
                _ => stepper.step_drawn(t, tn, &y, &mut y_new)?,
            }
        } else {
            stepper.step(step, t, tn, &y, &mut y_new)?
        };
        steps += 1;
        if !finite {
            return Err(Error::NonFiniteState {
                t,
                h: tn - t,
                steps,
            });
        }
        std::mem::swap(&mut y, &mut y_new);
        save_at(&opts.t_eval, tn, &y, &mut ts, &mut ys, &mut save_i);
    }
    if opts.t_eval.is_empty() {
        ts.push(t1);
        ys.push(y);
    }
    let stats = SdeStats {
        steps,
        accepted: steps,
        rejected: 0,
        ..stepper.stats
    };
    Ok(SdeSolution {
        ts,
        ys,
        stats,
        step_ts: grid,
    })
}

/// Runs `work` on this thread while rayon workers fill `buf` from `draw`; this thread joins
/// the fill when `work` is done. Chunks are claimed from a shared counter, so the split adapts
/// to how long `work` takes; the values do not depend on who fills which chunk.
fn draw_while<R>(draw: IncrementDraw, buf: &mut [f64], work: impl FnOnce() -> R) -> R {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    // Even, so that chunks start on whole normal pairs.
    const CHUNK: usize = 2048;
    let chunks: Vec<Mutex<&mut [f64]>> = buf.chunks_mut(CHUNK).map(Mutex::new).collect();
    let next = AtomicUsize::new(0);
    let claim = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(chunk) = chunks.get(i) else { break };
        // Each index is claimed once, so the lock is never contended; a poisoned lock (a
        // panic inside `fill_at`, which has no panicking path for even offsets) still holds
        // a valid slice.
        let mut c = chunk.lock().unwrap_or_else(|e| e.into_inner());
        draw.fill_at(i * CHUNK, &mut c);
    };
    let helpers = rayon::current_num_threads().saturating_sub(1).max(1);
    rayon::in_place_scope(|scope| {
        for _ in 0..helpers.min(chunks.len()) {
            scope.spawn(|_| claim());
        }
        let r = work();
        claim();
        r
    })
}

/// Saves `y` when `t` is the next save time.
pub(super) fn save_at<S: Clone>(
    t_eval: &[f64],
    t: f64,
    y: &S,
    ts: &mut Vec<f64>,
    ys: &mut Vec<S>,
    save_i: &mut usize,
) {
    if t_eval.get(*save_i) == Some(&t) {
        ts.push(t);
        ys.push(y.clone());
        *save_i += 1;
    }
}
