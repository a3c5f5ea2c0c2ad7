//! The adaptive Rosenbrock step loop, written once over the state type: what differs between
//! one `Vec<f64>` system and a `[B, n]` tensor batch (the Jacobian, the LU of `I/(hγ) − J`
//! and the stage solves) sits behind [`Linearisation`].

use crate::controller::{first_step, plan_step, StepSpan};
use crate::dense::{record_step, DenseOutput};
use crate::error::{invalid, Error, Result};
use crate::options::{Options, SaveAt, Stats, StepMode};
use crate::solve::Solution;
use crate::state::{rms_norm, OdeState};

use super::control::{RosenbrockOptions, StepControl};
use super::dense::{dense_slopes, ROSENBROCK_DENSE, ROSENBROCK_DENSE_LEN};
use super::tableau::RosenbrockTableau;

/// Consecutive failed attempts (singular matrix or non-finite step) before giving up; each
/// halves `h` (Hairer's `rodas.f` uses 5 for singular matrices).
const MAX_RETRIES: usize = 5;

/// The linear algebra of a Rosenbrock step for one state type `S`: `J = ∂f/∂y` and `∂f/∂t`
/// once per accepted step, `E = I/(hγ) − J` factored once per attempt, one solve per stage.
pub(super) trait Linearisation<S: OdeState> {
    /// Checks the shape of `f0 = f(t₀, y₀)`, the first evaluation of `f`.
    fn check_rhs(&self, f0: &S) -> Result<()>;

    /// Takes `J` and `∂f/∂t` at `(t, y)`, `f0 = f(t, y)`; returns the evaluations of `f` spent.
    fn linearise<F>(&mut self, f: &mut F, t: f64, y: &S, f0: &S) -> Result<usize>
    where
        F: FnMut(f64, &S, &mut S) -> Result<()>;

    /// Factors `E = fac·I − J` (`fac = 1/(hγ)`) of the last linearisation; `Ok(Err(column))`
    /// when `E` is singular or non-finite.
    fn factor(&mut self, fac: f64) -> Result<std::result::Result<(), usize>>;

    /// `u ← E⁻¹·u` with the last factors.
    fn solve(&mut self, u: &mut S) -> Result<()>;

    /// `u ← u + hd·∂f/∂t` with the last linearisation's `∂f/∂t`.
    fn add_time_derivative(&self, u: &mut S, hd: f64) -> Result<()>;
}

/// The Rosenbrock solve of `y' = f(t, y)`, `y(t0) = y0`, documented at
/// [`solve_stiff`](crate::solve_stiff) and [`solve_stiff_batch_with`](crate::solve_stiff_batch_with).
pub(super) fn rosenbrock<S, F, L>(
    tab: &RosenbrockTableau,
    mut f: F,
    lin: &mut L,
    t_span: (f64, f64),
    y0: S,
    opts: &Options,
    ropts: &RosenbrockOptions,
) -> Result<Solution<S>>
where
    S: OdeState,
    F: FnMut(f64, &S, &mut S) -> Result<()>,
    L: Linearisation<S>,
{
    let (t0, t_end) = t_span;
    let times = check_args(t_span, y0.n_components(), y0.last_dim(), opts)?;
    let span = t_end - t0;
    let dir = if span < 0.0 { -1.0 } else { 1.0 };
    let adaptive = matches!(opts.step, StepMode::Adaptive { .. });
    let (rtol, atol) = (&opts.rtol, &opts.atol);

    let mut y = y0;
    let mut stats = Stats::default();
    let mut sol = Solution {
        ts: Vec::new(),
        ys: Vec::new(),
        stats,
        events: Vec::new(),
        terminated: false,
        dense: opts.dense.then(|| DenseOutput::new(&ROSENBROCK_DENSE)),
    };
    let mut next_time = 0;
    while next_time < times.len() && times[next_time] == t0 {
        sol.ts.push(t0);
        sol.ys.push(y.clone());
        next_time += 1;
    }
    if matches!(opts.save, SaveAt::Steps) || (span == 0.0 && matches!(opts.save, SaveAt::End)) {
        sol.ts.push(t0);
        sol.ys.push(y.clone());
    }
    if span == 0.0 {
        return Ok(sol);
    }

    let mut f0 = y.zeros_like()?;
    f(t0, &y, &mut f0)?;
    stats.f_evals += 1;
    lin.check_rhs(&f0)?;
    let mut h = {
        let (mut sy, mut sf) = (y.zeros_like()?, y.zeros_like()?);
        first_step(
            opts,
            &mut f,
            t0,
            &y,
            &f0,
            span,
            tab.error_exponent(),
            &mut stats,
            (&mut sy, &mut sf),
        )? * dir
    };

    let span = StepSpan {
        t0,
        t_end,
        dir,
        adaptive,
        dt_fixed: h,
    };
    let zeros = |k: usize| (0..k).map(|_| y.zeros_like()).collect::<Result<Vec<S>>>();
    let mut us = zeros(tab.stages())?;
    let mut ks = zeros(ROSENBROCK_DENSE_LEN)?;
    let mut y_stage = y.zeros_like()?;
    let mut fs = y.zeros_like()?;
    let mut y_new = y.zeros_like()?;
    let mut err = y.zeros_like()?;
    let mut t = t0;
    let mut need_jac = true;
    let mut control = StepControl::new(ropts.controller, tab.error_exponent());
    let mut steps = 0usize;
    let mut retries = 0usize;

    loop {
        if need_jac {
            stats.f_evals += lin.linearise(&mut f, t, &y, &f0)?;
            need_jac = false;
        }
        let (h_next, last) = plan_step(&span, t, h, stats.accepted, steps, opts)?;
        h = h_next;
        steps += 1;

        // E = I/(hγ) − J, factored once for all stages.
        if let Err(column) = lin.factor(1.0 / (h * tab.gamma))? {
            retries += 1;
            if retries >= MAX_RETRIES || !adaptive {
                return Err(Error::SingularMatrix {
                    t,
                    h,
                    steps,
                    column,
                });
            }
            stats.rejected += 1;
            h *= 0.5;
            control.failed();
            continue;
        }

        // Stages: E·uᵢ = f(t + cᵢh, y + Σ aᵢⱼuⱼ) + Σ (Cᵢⱼ/h)uⱼ + h·dᵢ·∂f/∂t.
        for i in 0..us.len() {
            let fi = if i == 0 {
                &f0
            } else {
                S::lin_comb(&mut y_stage, Some(&y), 1.0, tab.a[i], &us[..i])?;
                f(t + tab.c[i] * h, &y_stage, &mut fs)?;
                stats.f_evals += 1;
                &fs
            };
            let (done, rest) = us.split_at_mut(i);
            let u = &mut rest[0];
            S::lin_comb(u, Some(fi), 1.0 / h, tab.c_mat[i], done)?;
            if tab.d[i] != 0.0 {
                lin.add_time_derivative(u, h * tab.d[i])?;
            }
            lin.solve(u)?;
        }
        S::lin_comb(&mut y_new, Some(&y), 1.0, tab.b, &us)?;
        S::lin_comb(&mut err, None, 1.0, tab.e, &us)?;
        let err_norm = if adaptive {
            rms_norm(&err, &y, &y_new, rtol, atol)?
        } else {
            0.0
        };
        if !err_norm.is_finite() || !y_new.is_finite()? {
            retries += 1;
            if retries >= MAX_RETRIES || !adaptive {
                return Err(Error::NonFiniteState { t, h, steps });
            }
            stats.rejected += 1;
            h *= 0.5;
            control.failed();
            continue;
        }
        retries = 0;
        if adaptive && err_norm > 1.0 {
            stats.rejected += 1;
            h *= control.reject(&opts.controller, err_norm);
            continue;
        }
        stats.accepted += 1;
        let t_new = if last { t_end } else { t + h };

        let times_due = next_time < times.len() && (times[next_time] - t_new) * dir <= 0.0;
        if times_due || sol.dense.is_some() {
            dense_slopes(tab, h, &y, &y_new, &us, &mut ks)?;
        }
        record_step(
            &opts.save,
            &ROSENBROCK_DENSE,
            times,
            &mut next_time,
            dir,
            (t, h, t_new, t_new),
            (&y, &y_new, &y_new),
            &ks,
            &mut sol,
        )?;

        let factor = if adaptive {
            control.accept(&opts.controller, err_norm, h)
        } else {
            1.0
        };
        std::mem::swap(&mut y, &mut y_new);
        t = t_new;
        if last {
            break;
        }
        f(t, &y, &mut f0)?;
        stats.f_evals += 1;
        need_jac = true;
        h *= factor;
    }

    if matches!(opts.save, SaveAt::End) {
        sol.ts.push(t);
        sol.ys.push(y);
    }
    if let Some(d) = sol.dense.as_mut() {
        d.set_end(t);
    }
    sol.stats = stats;
    Ok(sol)
}

/// Validates the span, tolerances (for `n` components, last axis `last_dim`) and options;
/// returns the `SaveAt::Times` list (or `[]`).
fn check_args(t_span: (f64, f64), n: usize, last_dim: usize, opts: &Options) -> Result<&[f64]> {
    let (t0, t_end) = t_span;
    if !t0.is_finite() || !t_end.is_finite() {
        return Err(invalid(
            "t_span",
            format!("must be finite, got ({t0}, {t_end})"),
        ));
    }
    opts.rtol.check("rtol", n, last_dim)?;
    opts.atol.check("atol", n, last_dim)?;
    let dir = if t_end < t0 { -1.0 } else { 1.0 };
    let times: &[f64] = match &opts.save {
        SaveAt::Times(ts) => ts,
        _ => &[],
    };
    if times.windows(2).any(|w| (w[1] - w[0]) * dir < 0.0) {
        return Err(invalid(
            "save",
            "times must be sorted in the direction of integration",
        ));
    }
    if let (Some(&a), Some(&b)) = (times.first(), times.last()) {
        if (a - t0) * dir < 0.0 || (t_end - b) * dir < 0.0 {
            return Err(invalid(
                "save",
                format!("times must lie in [{t0}, {t_end}], got {a} … {b}"),
            ));
        }
    }
    Ok(times)
}
