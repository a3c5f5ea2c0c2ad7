//! The adaptive Rosenbrock driver for `Vec<f64>` states.

use crate::controller::{initial_step, plan_step, StepSpan};
use crate::dense::DenseOutput;
use crate::error::{invalid, Error, Result};
use crate::options::{Options, SaveAt, Stats, StepMode};
use crate::solve::Solution;
use crate::state::{rms_norm, OdeState};

use super::control::{RosenbrockOptions, StepControl};
use super::dense::{dense_slopes, ROSENBROCK_DENSE, ROSENBROCK_DENSE_LEN};
use super::jacobian::Jacobian;
use super::lu::Lu;
use super::tableau::{RosenbrockTableau, StiffMethod};

/// Consecutive failed attempts (singular matrix or non-finite step) before giving up; each
/// halves `h` (Hairer's `rodas.f` uses 5 for singular matrices).
pub(super) const MAX_RETRIES: usize = 5;

/// Solves the stiff problem `y' = f(t, y)`, `y(t0) = y0` over `t_span` with a Rosenbrock method.
///
/// Per step, with `J = ∂f/∂y(t₀, y₀)` from `jac` and one LU factorisation of `I/(hγ) − J`, the
/// stages of [`RosenbrockTableau`] are solved in turn (one `f` evaluation and one triangular
/// solve each). The error `err = Σ eᵢuᵢ` is measured in the RMS norm of [`rms_norm`](crate::rms_norm)
/// and the step controlled by [`Options::controller`] with exponent `embedded order + 1`
/// exactly as in [`solve`](crate::solve) (or by Hairer's predictive controller:
/// [`solve_stiff_with`]); `J` and `∂f/∂t` are reused after a rejection.
/// `SaveAt::Times` and [`Options::dense`] (a whole-span [`DenseOutput`](crate::DenseOutput)
/// in [`Solution::dense`]) use the method's own dense output (Rodas5P: order 4, no extra
/// evaluations of `f`).
///
/// Cost per attempted step: `s − 1` evaluations of `f` (7 for Rodas5P), plus per accepted step
/// one `f(t₁, y₁)`, one `J` (`n` more evaluations with [`Jacobian::finite_differences`]) and
/// one `∂f/∂t` (one more evaluation unless autonomous or supplied). All are counted in
/// [`Stats::f_evals`](crate::Stats::f_evals).
///
/// `f(t, y, dy)` writes `y'` into `dy`, as for [`solve`](crate::solve), so the same closure
/// serves both solvers.
///
/// ```
/// use fluxion_diffeq::{solve_stiff, Jacobian, Options, StiffMethod};
/// // Prothero–Robinson: y' = λ(y − cos t) − sin t, λ = −1e6, y(0) = 1 → y = cos t.
/// let lam = -1e6;
/// let f = |t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
///     dy[0] = lam * (y[0] - t.cos()) - t.sin();
///     Ok(())
/// };
/// let jac = Jacobian::analytic(|_t, _y: &[f64], j: &mut [f64]| {
///     j[0] = lam;
///     Ok(())
/// })
/// .with_time_derivative(|t, _y: &[f64], d: &mut [f64]| {
///     d[0] = lam * t.sin() - t.cos();
///     Ok(())
/// });
/// let opts = Options::adaptive(1e-8, 1e-10);
/// let sol = solve_stiff(StiffMethod::Rodas5P, f, jac, (0.0, 10.0), &[1.0], &opts)?;
/// assert!((sol.y_last()[0] - 10f64.cos()).abs() < 1e-7);
/// assert!(sol.stats.accepted < 200); // an explicit method would need ~1e7 steps
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// [`Error::SingularMatrix`] when `I/(hγ) − J` stays singular (or non-finite) over 5 halvings
/// of `h`; [`Error::NonFiniteState`] when a step stays non-finite over 5 halvings;
/// [`Error::StepSizeUnderflow`], [`Error::MaxStepsReached`]; [`Error::InvalidArgument`] for
/// bad options; any error from `f` or `jac`.
pub fn solve_stiff<F>(
    method: StiffMethod,
    f: F,
    jac: Jacobian<'_>,
    t_span: (f64, f64),
    y0: &[f64],
    opts: &Options,
) -> Result<Solution<Vec<f64>>>
where
    F: FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>,
{
    solve_stiff_with(
        method,
        f,
        jac,
        t_span,
        y0,
        opts,
        &RosenbrockOptions::default(),
    )
}

/// [`solve_stiff`] with the Rosenbrock-only settings of [`RosenbrockOptions`] (the step-size
/// controller: [`RosenbrockController`](crate::RosenbrockController)).
///
/// ```
/// use fluxion_diffeq::{
///     solve_stiff_with, Jacobian, Options, RosenbrockController, RosenbrockOptions, StiffMethod,
/// };
/// // y' = −1e4·(y − 1), y(0) = 0, with Hairer's predictive controller.
/// let f = |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
///     dy[0] = -1e4 * (y[0] - 1.0);
///     Ok(())
/// };
/// let jac = Jacobian::analytic(|_t, _y: &[f64], j: &mut [f64]| {
///     j[0] = -1e4;
///     Ok(())
/// })
/// .autonomous();
/// let ropts = RosenbrockOptions {
///     controller: RosenbrockController::Predictive,
///     ..RosenbrockOptions::default()
/// };
/// let opts = Options::adaptive(1e-8, 1e-10);
/// let sol = solve_stiff_with(StiffMethod::Rodas5P, f, jac, (0.0, 1.0), &[0.0], &opts, &ropts)?;
/// assert!((sol.y_last()[0] - 1.0).abs() < 1e-8);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// As [`solve_stiff`].
pub fn solve_stiff_with<F>(
    method: StiffMethod,
    mut f: F,
    mut jac: Jacobian<'_>,
    t_span: (f64, f64),
    y0: &[f64],
    opts: &Options,
    ropts: &RosenbrockOptions,
) -> Result<Solution<Vec<f64>>>
where
    F: FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>,
{
    let tab: &RosenbrockTableau = method.tableau();
    let (t0, t_end) = t_span;
    let n = y0.len();
    let times = check_args(t_span, n, n, opts)?;
    let span = t_end - t0;
    let dir = if span < 0.0 { -1.0 } else { 1.0 };
    let adaptive = matches!(opts.step, StepMode::Adaptive { .. });
    let (rtol, atol) = (&opts.rtol, &opts.atol);

    let s = tab.stages();
    let mut y = y0.to_vec();
    let mut y_new = vec![0.0; n];
    let mut y_stage = vec![0.0; n];
    let mut f0 = vec![0.0; n];
    let mut fs = vec![0.0; n];
    let mut dfdt = vec![0.0; n];
    let mut err = vec![0.0; n];
    let mut us: Vec<Vec<f64>> = vec![vec![0.0; n]; s];
    let mut kd: Vec<Vec<f64>> = vec![vec![0.0; n]; tab.dense.len()];
    let mut jmat = vec![0.0; n * n];
    let mut emat = vec![0.0; n * n];
    let mut lu = Lu::new(n);
    let mut stats = Stats::default();
    let mut sol = Solution {
        ts: Vec::new(),
        ys: Vec::new(),
        stats,
        events: Vec::new(),
        terminated: false,
        dense: opts.dense.then(|| DenseOutput::new(&ROSENBROCK_DENSE)),
    };
    let mut dense_ks: Vec<Vec<f64>> = if opts.dense {
        vec![vec![0.0; n]; ROSENBROCK_DENSE_LEN]
    } else {
        Vec::new()
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

    f(t0, &y, &mut f0)?;
    stats.f_evals += 1;
    let mut h = first_step(opts, &mut f, t0, &y, &f0, span, tab, &mut stats)? * dir;

    let span = StepSpan {
        t0,
        t_end,
        dir,
        adaptive,
        dt_fixed: h,
    };
    let k = tab.error_exponent();
    let mut t = t0;
    let mut need_jac = true;
    let mut control = StepControl::new(ropts.controller, k);
    let mut steps = 0usize;
    let mut retries = 0usize;

    loop {
        if need_jac {
            stats.f_evals += jac.jacobian(&mut f, t, &y, &f0, &mut jmat, &mut y_stage, &mut fs)?;
            stats.f_evals +=
                jac.time_derivative(&mut f, t, &y, &f0, &mut dfdt, &mut y_stage, &mut fs)?;
            need_jac = false;
        }
        let (h_next, last) = plan_step(&span, t, h, stats.accepted, steps, opts)?;
        h = h_next;
        steps += 1;

        // E = I/(hγ) − J, factored once for all stages.
        let fac = 1.0 / (h * tab.gamma);
        for (e, j) in emat.iter_mut().zip(&jmat) {
            *e = -j;
        }
        for i in 0..n {
            emat[i * n + i] += fac;
        }
        if let Err(column) = lu.factor(&emat) {
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
        for i in 0..s {
            if i == 0 {
                fs.copy_from_slice(&f0);
            } else {
                lin_comb(&mut y_stage, &y, 1.0, tab.a[i], &us);
                f(t + tab.c[i] * h, &y_stage, &mut fs)?;
                stats.f_evals += 1;
            }
            let (done, rest) = us.split_at_mut(i);
            let u = &mut rest[0];
            lin_comb(u, &fs, 1.0 / h, tab.c_mat[i], done);
            if tab.d[i] != 0.0 {
                let hd = h * tab.d[i];
                for (uj, dj) in u.iter_mut().zip(&dfdt) {
                    *uj += hd * dj;
                }
            }
            lu.solve(u);
        }
        lin_comb(&mut y_new, &y, 1.0, tab.b, &us);
        err.fill(0.0);
        for (ei, u) in tab.e.iter().zip(&us) {
            if *ei != 0.0 {
                for (e, uj) in err.iter_mut().zip(u) {
                    *e += ei * uj;
                }
            }
        }
        let err_norm = if adaptive {
            rms_norm(&err, &y, &y_new, rtol, atol)?
        } else {
            0.0
        };
        if !err_norm.is_finite() || y_new.iter().any(|v| !v.is_finite()) {
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

        match &opts.save {
            SaveAt::Steps => {
                sol.ts.push(t_new);
                sol.ys.push(y_new.clone());
            }
            SaveAt::Times(_) => {
                let mut dense_ready = false;
                while next_time < times.len() && (times[next_time] - t_new) * dir <= 0.0 {
                    let te = times[next_time];
                    let ye = if te == t_new {
                        y_new.clone()
                    } else {
                        if !dense_ready {
                            for (row, kv) in tab.dense.iter().zip(kd.iter_mut()) {
                                kv.fill(0.0);
                                lin_comb_acc(kv, row, &us);
                            }
                            dense_ready = true;
                        }
                        interpolate(&y, &y_new, &kd, (te - t) / h)
                    };
                    sol.ts.push(te);
                    sol.ys.push(ye);
                    next_time += 1;
                }
            }
            SaveAt::End => {}
        }
        if let Some(d) = sol.dense.as_mut() {
            dense_slopes(tab, h, &y, &y_new, &us, &mut dense_ks)?;
            d.push(t, h, &y, &dense_ks);
        }

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

/// The first step's magnitude: `Fixed(dt)`, `Adaptive { h0 }`, or Hairer's initial step (one
/// more evaluation of `f`, counted in `stats`).
#[allow(clippy::too_many_arguments)]
pub(super) fn first_step<S: OdeState, F: FnMut(f64, &S, &mut S) -> Result<()>>(
    opts: &Options,
    f: &mut F,
    t0: f64,
    y: &S,
    f0: &S,
    span: f64,
    tab: &RosenbrockTableau,
    stats: &mut Stats,
) -> Result<f64> {
    Ok(match opts.step {
        StepMode::Fixed(dt) if dt.is_finite() && dt != 0.0 => dt.abs(),
        StepMode::Fixed(dt) => {
            return Err(invalid(
                "dt",
                format!("must be finite and non-zero, got {dt}"),
            ))
        }
        StepMode::Adaptive { h0: Some(h0) } if h0.is_finite() && h0 != 0.0 => {
            h0.abs().min(span.abs())
        }
        StepMode::Adaptive { h0: Some(h0) } => {
            return Err(invalid(
                "h0",
                format!("must be finite and non-zero, got {h0}"),
            ))
        }
        StepMode::Adaptive { h0: None } => {
            stats.f_evals += 1;
            let mut sy = y.zeros_like()?;
            let mut sf = y.zeros_like()?;
            initial_step(
                f,
                t0,
                y,
                f0,
                span,
                tab.error_exponent(),
                &opts.rtol,
                &opts.atol,
                &mut sy,
                &mut sf,
            )?
        }
    })
}

/// Validates the span, tolerances (for `n` components, last axis `last_dim`) and options;
/// returns the `SaveAt::Times` list (or `[]`).
pub(super) fn check_args(
    t_span: (f64, f64),
    n: usize,
    last_dim: usize,
    opts: &Options,
) -> Result<&[f64]> {
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

/// `out = base + scale·Σⱼ coeffs[j]·us[j]` (`coeffs` may be shorter than `us`).
fn lin_comb(out: &mut [f64], base: &[f64], scale: f64, coeffs: &[f64], us: &[Vec<f64>]) {
    out.copy_from_slice(base);
    for (c, u) in coeffs.iter().zip(us) {
        if *c == 0.0 {
            continue;
        }
        let sc = scale * c;
        for (o, v) in out.iter_mut().zip(u) {
            *o += sc * v;
        }
    }
}

/// `out += Σⱼ coeffs[j]·us[j]`.
fn lin_comb_acc(out: &mut [f64], coeffs: &[f64], us: &[Vec<f64>]) {
    for (c, u) in coeffs.iter().zip(us) {
        for (o, v) in out.iter_mut().zip(u) {
            *o += c * v;
        }
    }
}

/// The Rodas dense output `y(θ) = (1 − θ)y₀ + θ(y₁ + (1 − θ)(K₁ + θ(K₂ + θK₃)))`
/// (Steinebach 2023; OrdinaryDiffEq.jl's Rosenbrock interpolant), Horner in `θ` for any number of `K`s.
fn interpolate(y0: &[f64], y1: &[f64], ks: &[Vec<f64>], theta: f64) -> Vec<f64> {
    let th1 = 1.0 - theta;
    (0..y0.len())
        .map(|i| {
            let mut acc = 0.0;
            for kv in ks.iter().rev() {
                acc = kv[i] + theta * acc;
            }
            th1 * y0[i] + theta * (y1[i] + th1 * acc)
        })
        .collect()
}
