//! Dense output: each step's continuous extension, and the whole-span interpolant.

use crate::error::{invalid, Result};
use crate::options::SaveAt;
use crate::solve::Solution;
use crate::state::OdeState;
use crate::tableau::Tableau;

/// Most stage slots any method keeps (DOP853: 13 + 3 extra).
pub(crate) const MAX_DENSE: usize = 16;

/// Records one accepted step from (t, y) to (t_new, y_new), of size h, in `sol` as `save` asks:
/// for [`SaveAt::Steps`] the step's end (`t_out`, `y_out`: before `t_new` when an event stopped
/// the step there), for [`SaveAt::Times`] the due `times` up to `t_out` through the interpolant
/// of `tab` with the stages `ks`, nothing for [`SaveAt::End`]; and the step in the dense output
/// when the solve keeps one.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_step<S: OdeState>(
    save: &SaveAt,
    tab: &Tableau,
    times: &[f64],
    next: &mut usize,
    dir: f64,
    (t, h, t_out, t_new): (f64, f64, f64, f64),
    (y, y_new, y_out): (&S, &S, &S),
    ks: &[S],
    sol: &mut Solution<S>,
) -> Result<()> {
    match save {
        SaveAt::Steps => {
            sol.ts.push(t_out);
            sol.ys.push(y_out.clone());
        }
        SaveAt::Times(_) => save_due_times(
            tab,
            times,
            next,
            dir,
            (t, h, t_out, t_new),
            (y, y_new),
            ks,
            (&mut sol.ts, &mut sol.ys),
        )?,
        SaveAt::End => {}
    }
    if let Some(d) = sol.dense.as_mut() {
        d.push(t, h, y, ks);
    }
    Ok(())
}

/// Saves every time of `times[*next..]` up to `t_until` (in the direction `dir`) that falls in
/// the accepted step `[t, t + h]` ending at `t_new` with state `y_new`: `y_new` itself at
/// `t_new`, the method's interpolant elsewhere. Shared by the explicit and Rosenbrock solvers.
#[allow(clippy::too_many_arguments)]
fn save_due_times<S: OdeState>(
    tab: &Tableau,
    times: &[f64],
    next: &mut usize,
    dir: f64,
    (t, h, t_until, t_new): (f64, f64, f64, f64),
    (y, y_new): (&S, &S),
    ks: &[S],
    (ts, ys): (&mut Vec<f64>, &mut Vec<S>),
) -> Result<()> {
    while *next < times.len() && (times[*next] - t_until) * dir <= 0.0 {
        let te = times[*next];
        let mut ye = y_new.clone();
        if te != t_new {
            eval_step(tab, t, h, y, ks, te, &mut ye)?;
        }
        ts.push(te);
        ys.push(ye);
        *next += 1;
    }
    Ok(())
}

/// `out = y(t)` on one step `[t0, t0 + h]` by the method's interpolant
/// `y(t0 + θh) = y0 + h·Σ wᵢ(θ)kᵢ`, `θ = (t − t0)/h`.
pub(crate) fn eval_step<S: OdeState>(
    tab: &Tableau,
    t0: f64,
    h: f64,
    y0: &S,
    ks: &[S],
    t: f64,
    out: &mut S,
) -> Result<()> {
    let mut w = [0.0; MAX_DENSE];
    let n = tab.dense_len();
    tab.dense_weights((t - t0) / h, &mut w);
    S::lin_comb(out, Some(y0), h, &w[..n], &ks[..n])
}

/// One stored step of a dense solution.
#[derive(Debug, Clone)]
struct StepRecord<S> {
    t0: f64,
    h: f64,
    y0: S,
    ks: Vec<S>,
}

/// `y(t)` anywhere in the solved span, by each step's own interpolant (see [`crate::DenseKind`]).
#[derive(Debug, Clone)]
pub struct DenseOutput<S> {
    tab: &'static Tableau,
    steps: Vec<StepRecord<S>>,
    t_end: f64,
}

impl<S: OdeState> DenseOutput<S> {
    pub(crate) fn new(tab: &'static Tableau) -> Self {
        DenseOutput {
            tab,
            steps: Vec::new(),
            t_end: f64::NAN,
        }
    }

    pub(crate) fn push(&mut self, t0: f64, h: f64, y0: &S, ks: &[S]) {
        self.steps.push(StepRecord {
            t0,
            h,
            y0: y0.clone(),
            ks: ks[..self.tab.dense_len()].to_vec(),
        });
    }

    pub(crate) fn set_end(&mut self, t_end: f64) {
        self.t_end = t_end;
    }

    /// The span `(t0, t_end)` covered (in the direction of integration).
    pub fn span(&self) -> Option<(f64, f64)> {
        self.steps.first().map(|s| (s.t0, self.t_end))
    }

    /// Number of stored steps.
    pub fn n_steps(&self) -> usize {
        self.steps.len()
    }

    /// `y(t)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `t` is outside the span.
    pub fn eval(&self, t: f64) -> Result<S> {
        let (t0, t1) = self
            .span()
            .ok_or_else(|| invalid("t", "the solution has no steps"))?;
        let dir = (t1 - t0).signum();
        if !((t - t0) * dir >= 0.0 && (t1 - t) * dir >= 0.0) {
            return Err(invalid(
                "t",
                format!("{t} is outside the solved span [{t0}, {t1}]"),
            ));
        }
        // The last step whose start is not past t.
        let i = self
            .steps
            .partition_point(|s| (t - s.t0) * dir >= 0.0)
            .saturating_sub(1);
        let s = &self.steps[i];
        let mut out = s.y0.clone();
        eval_step(self.tab, s.t0, s.h, &s.y0, &s.ks, t, &mut out)?;
        Ok(out)
    }
}
