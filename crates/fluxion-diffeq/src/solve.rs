//! The one explicit Runge–Kutta driver, generic over [`OdeState`].

use crate::controller::{first_step, plan_step, StepSpan};
use crate::dense::{eval_step, record_step, DenseOutput};
use crate::error::{invalid, Error, Result};
use crate::events::{illinois, Event, EventHit};
use crate::options::{Options, SaveAt, Stats, StepMode};
use crate::state::{rms_norm, OdeState};
use crate::tableau::{DenseKind, ErrorEstimate, Method};

/// The result of a solve.
#[derive(Debug, Clone)]
pub struct Solution<S> {
    /// Output times (see [`SaveAt`]).
    pub ts: Vec<f64>,
    /// States at `ts`.
    pub ys: Vec<S>,
    /// Step and evaluation counts.
    pub stats: Stats,
    /// Events that happened, in time order.
    pub events: Vec<EventHit<S>>,
    /// `true` when a terminal event stopped the solve before the end of the span.
    pub terminated: bool,
    /// The whole-span interpolant when [`Options::dense`] was set.
    pub dense: Option<DenseOutput<S>>,
}

impl<S> Solution<S> {
    /// The last output state.
    ///
    /// # Panics
    /// Never for a solution returned by [`solve`]: it always holds at least one state.
    pub fn y_last(&self) -> &S {
        self.ys.last().expect("a solution holds at least one state")
    }

    /// The last output time.
    pub fn t_last(&self) -> f64 {
        *self.ts.last().expect("a solution holds at least one time")
    }
}

/// Solves `y' = f(t, y)`, `y(t0) = y0` over `t_span = (t0, t1)` (`t1 < t0` integrates backward).
///
/// `f(t, y, dy)` writes `y'` into `dy` (for `Tensor`/`Var` states, assign a new value:
/// `*dy = …`). See [`Options`] for tolerances, fixed steps, outputs and dense output.
///
/// ```
/// use fluxion_diffeq::{solve, Method, Options};
/// // y' = −y, y(0) = 1 → y(1) = e⁻¹.
/// let sol = solve(Method::Dopri5, |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
///     dy[0] = -y[0];
///     Ok(())
/// }, (0.0, 1.0), &vec![1.0], &Options::adaptive(1e-10, 1e-12))?;
/// assert!((sol.y_last()[0] - (-1.0f64).exp()).abs() < 1e-9);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// [`Error::StepSizeUnderflow`], [`Error::NonFiniteState`], [`Error::MaxStepsReached`],
/// [`Error::InvalidArgument`] for bad options, and any error `f` returns.
pub fn solve<S, F>(
    method: Method,
    f: F,
    t_span: (f64, f64),
    y0: &S,
    opts: &Options,
) -> Result<Solution<S>>
where
    S: OdeState,
    F: FnMut(f64, &S, &mut S) -> Result<()>,
{
    solve_with_events(method, f, t_span, y0, opts, &mut [])
}

/// [`solve`] that also watches `events` (sign changes of `g(t, y)`, located on the dense output).
///
/// # Errors
/// As [`solve`], plus errors returned by an event function.
pub fn solve_with_events<S, F>(
    method: Method,
    mut f: F,
    t_span: (f64, f64),
    y0: &S,
    opts: &Options,
    events: &mut [Event<'_, S>],
) -> Result<Solution<S>>
where
    S: OdeState,
    F: FnMut(f64, &S, &mut S) -> Result<()>,
{
    let tab = method.tableau();
    let (t0, t_end) = t_span;
    if !t0.is_finite() || !t_end.is_finite() {
        return Err(invalid(
            "t_span",
            format!("must be finite, got ({t0}, {t_end})"),
        ));
    }
    let (rtol, atol) = (&opts.rtol, &opts.atol);
    rtol.check("rtol", y0.n_components(), y0.last_dim())?;
    atol.check("atol", y0.n_components(), y0.last_dim())?;
    let span = t_end - t0;
    let dir = if span < 0.0 { -1.0 } else { 1.0 };
    let adaptive = matches!(opts.step, StepMode::Adaptive { .. });
    if adaptive && !tab.is_adaptive() {
        return Err(invalid(
            "step",
            format!(
                "{} has no embedded error estimate; use StepMode::Fixed",
                tab.name
            ),
        ));
    }
    let times: &[f64] = match &opts.save {
        SaveAt::Times(ts) => ts,
        _ => &[],
    };
    for w in times.windows(2) {
        if (w[1] - w[0]) * dir < 0.0 {
            return Err(invalid(
                "save",
                "times must be sorted in the direction of integration",
            ));
        }
    }
    if let (Some(&a), Some(&b)) = (times.first(), times.last()) {
        if (a - t0) * dir < 0.0 || (t_end - b) * dir < 0.0 {
            return Err(invalid(
                "save",
                format!("times must lie in [{t0}, {t_end}], got {a} … {b}"),
            ));
        }
    }

    let s = tab.stages();
    let nd = tab.dense_len();
    let mut ks: Vec<S> = (0..nd.max(s))
        .map(|_| y0.zeros_like())
        .collect::<Result<_>>()?;
    let mut y = y0.clone();
    let mut y_new = y0.zeros_like()?;
    let mut y_stage = y0.zeros_like()?;
    let mut err = y0.zeros_like()?;
    let mut err3 = match tab.error {
        ErrorEstimate::Dop853 { .. } => Some(y0.zeros_like()?),
        _ => None,
    };
    let mut scratch = y0.zeros_like()?;
    let mut stats = Stats::default();
    let mut sol = Solution {
        ts: Vec::new(),
        ys: Vec::new(),
        stats,
        events: Vec::new(),
        terminated: false,
        dense: opts.dense.then(|| DenseOutput::new(tab)),
    };
    let mut next_time = 0;
    while next_time < times.len() && times[next_time] == t0 {
        sol.ts.push(t0);
        sol.ys.push(y0.clone());
        next_time += 1;
    }
    if matches!(opts.save, SaveAt::Steps) {
        sol.ts.push(t0);
        sol.ys.push(y0.clone());
    }
    if span == 0.0 {
        if matches!(opts.save, SaveAt::End) {
            sol.ts.push(t0);
            sol.ys.push(y0.clone());
        }
        return Ok(sol);
    }

    f(t0, &y, &mut ks[0])?;
    stats.f_evals += 1;
    let mut h = {
        let (k0, _) = ks.split_at_mut(1);
        first_step(
            opts,
            &mut f,
            t0,
            &y,
            &k0[0],
            span,
            tab.error_exponent,
            &mut stats,
            (&mut y_stage, &mut y_new),
        )?
    } * dir;

    let mut g_prev: Vec<f64> = events
        .iter_mut()
        .map(|ev| (ev.g)(t0, y0))
        .collect::<Result<_>>()?;
    let span = StepSpan {
        t0,
        t_end,
        dir,
        adaptive,
        dt_fixed: h,
    };
    let k = tab.error_exponent;
    let n = y0.n_components().max(1) as f64;
    let mut t = t0;
    let mut k0_valid = true;
    let mut err_prev = 1e-4_f64;
    let mut after_reject = false;
    let mut steps = 0usize;
    let mut y_stop: Option<S> = None;

    loop {
        if !k0_valid {
            f(t, &y, &mut ks[0])?;
            stats.f_evals += 1;
            k0_valid = true;
        }
        let (h_next, last) = plan_step(&span, t, h, stats.accepted, steps, opts)?;
        h = h_next;
        steps += 1;

        // Stages 2..s; the FSAL stage is evaluated at y_new itself.
        for i in 1..s {
            let (done, rest) = ks.split_at_mut(i);
            let target = if tab.fsal && i == s - 1 {
                &mut y_new
            } else {
                &mut y_stage
            };
            S::lin_comb(target, Some(&y), h, tab.a[i], done)?;
            f(t + tab.c[i] * h, target, &mut rest[0])?;
        }
        stats.f_evals += s - 1;
        if !tab.fsal {
            S::lin_comb(&mut y_new, Some(&y), h, tab.b, &ks[..s])?;
        }

        let err_norm = match tab.error {
            ErrorEstimate::None => 0.0,
            ErrorEstimate::Embedded(e) => {
                S::lin_comb(&mut err, None, h, e, &ks[..e.len()])?;
                rms_norm(&err, &y, &y_new, rtol, atol)?
            }
            ErrorEstimate::Dop853 { e5, e3 } => {
                let err3 = err3.as_mut().expect("allocated for Dop853");
                S::lin_comb(&mut err, None, 1.0, e5, &ks[..e5.len()])?;
                S::lin_comb(err3, None, 1.0, e3, &ks[..e3.len()])?;
                let s5 = S::weighted_sq_sum(&err, &y, &y_new, rtol, atol)?;
                let s3 = S::weighted_sq_sum(err3, &y, &y_new, rtol, atol)?;
                if s5 == 0.0 && s3 == 0.0 {
                    0.0
                } else {
                    h.abs() * s5 / ((s5 + 0.01 * s3) * n).sqrt()
                }
            }
        };
        if !err_norm.is_finite() || !y_new.is_finite()? {
            return Err(Error::NonFiniteState { t, h, steps });
        }
        if adaptive && err_norm > 1.0 {
            stats.rejected += 1;
            h *= opts.controller.reject_factor(err_norm, k);
            after_reject = true;
            continue;
        }
        stats.accepted += 1;
        let t_new = if last { t_end } else { t + h };

        let times_due = next_time < times.len() && (times[next_time] - t_new) * dir <= 0.0;
        let need_dense = opts.dense || !events.is_empty() || times_due;
        let mut f1_fresh = tab.fsal;
        if need_dense {
            if !tab.fsal {
                f(t_new, &y_new, &mut ks[s])?;
                stats.f_evals += 1;
                f1_fresh = true;
            }
            if let DenseKind::Dop853 { extra, .. } = tab.dense {
                for (j, (c, row)) in extra.iter().enumerate() {
                    let (done, rest) = ks.split_at_mut(s + j);
                    S::lin_comb(&mut y_stage, Some(&y), h, row, &done[..row.len()])?;
                    f(t + c * h, &y_stage, &mut rest[0])?;
                    stats.f_evals += 1;
                }
            }
        }

        // Events: sign changes of g over [t, t_new], roots on this step's interpolant.
        let mut stop_at: Option<f64> = None;
        if !events.is_empty() {
            let mut hits: Vec<(f64, usize)> = Vec::new();
            for (i, ev) in events.iter_mut().enumerate() {
                let g1 = (ev.g)(t_new, &y_new)?;
                if ev.crosses(g_prev[i], g1) {
                    let g = &mut ev.g;
                    let te = illinois(
                        |tt| {
                            eval_step(tab, t, h, &y, &ks, tt, &mut scratch)?;
                            g(tt, &scratch)
                        },
                        t,
                        g_prev[i],
                        t_new,
                        g1,
                    )?;
                    hits.push((te, i));
                }
                g_prev[i] = g1;
            }
            hits.sort_by(|a, b| ((a.0 - b.0) * dir).total_cmp(&0.0));
            for (te, i) in hits {
                let mut ye = y0.zeros_like()?;
                eval_step(tab, t, h, &y, &ks, te, &mut ye)?;
                if events[i].terminal {
                    stop_at = Some(te);
                    y_stop = Some(ye.clone());
                    sol.events.push(EventHit {
                        index: i,
                        t: te,
                        y: ye,
                    });
                    break;
                }
                sol.events.push(EventHit {
                    index: i,
                    t: te,
                    y: ye,
                });
            }
        }
        let t_out = stop_at.unwrap_or(t_new);

        record_step(
            &opts.save,
            tab,
            times,
            &mut next_time,
            dir,
            (t, h, t_out, t_new),
            (&y, &y_new, y_stop.as_ref().unwrap_or(&y_new)),
            &ks,
            &mut sol,
        )?;

        let factor = if adaptive {
            let fac = opts
                .controller
                .accept_factor(err_norm, err_prev, k, after_reject);
            err_prev = err_norm.max(1e-4);
            after_reject = false;
            fac
        } else {
            1.0
        };
        std::mem::swap(&mut y, &mut y_new);
        t = t_new;
        if f1_fresh {
            ks.swap(0, tab.f1_index());
        }
        k0_valid = f1_fresh;
        if let (Some(te), Some(ys)) = (stop_at, y_stop.take()) {
            t = te;
            y = ys;
            sol.terminated = true;
            break;
        }
        if last {
            break;
        }
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
