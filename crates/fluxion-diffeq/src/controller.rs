//! Step-size control: the PI controller and Hairer's initial step.

use crate::error::{invalid, Error, Result};
use crate::options::{Options, Stats, StepMode};
use crate::state::{rms_norm, OdeState, Tolerance};

/// Proportional–integral step-size controller (Gustafsson 1988; HNW II, section IV.2; Söderlind 2002).
///
/// After a step with error norm `err ≤ 1` the next step is `h·factor` with
/// `factor = safety · err^(−β₁) · err_prev^(β₂)`, clamped to `[min_factor, max_factor]`
/// (`err_prev` is the previous accepted error, floored at 1e-4 as in Hairer's `dopri5.f`). A
/// rejected step (`err > 1`) shrinks by `max(min_factor, safety·err^(−β₁))`, and (with
/// `hold_after_reject`, Hairer's rule) the step accepted right after a rejection may not grow.
///
/// Defaults are Hairer's `dopri5.f` values generalised to a method whose error behaves like
/// `h^k` (`k` = [`Tableau::error_exponent`](crate::Tableau::error_exponent)): `β₂ = 0.2/k`,
/// `β₁ = 1/k − 0.75·β₂` (for Dopri5, `k = 5`: β₁ = 0.17, β₂ = 0.04 exactly as in `dopri5.f`).
/// They damp the step-size oscillation of a pure I controller on mildly stiff stretches while
/// keeping its step counts on smooth problems.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PiController {
    /// Safety factor (default 0.9).
    pub safety: f64,
    /// Smallest factor per step (default 0.2).
    pub min_factor: f64,
    /// Largest factor per step (default 10).
    pub max_factor: f64,
    /// `β₁` times `k`; `None` uses `1 − 0.75·β₂k` (Hairer's default).
    pub beta1_k: Option<f64>,
    /// `β₂` times `k` (default 0.2).
    pub beta2_k: f64,
    /// Forbid growth on the step after a rejection (default true, as `dopri5.f`; diffrax's
    /// `PIDController` does not).
    pub hold_after_reject: bool,
}

impl Default for PiController {
    fn default() -> Self {
        PiController {
            safety: 0.9,
            min_factor: 0.2,
            max_factor: 10.0,
            beta1_k: None,
            beta2_k: 0.2,
            hold_after_reject: true,
        }
    }
}

impl PiController {
    /// `(β₁, β₂)` for a method with error exponent `k`.
    pub fn betas(&self, k: u32) -> (f64, f64) {
        let k = f64::from(k);
        let b2 = self.beta2_k / k;
        let b1 = self.beta1_k.map_or(1.0 / k - 0.75 * b2, |b| b / k);
        (b1, b2)
    }

    /// The factor after an accepted step (`err ≤ 1`).
    pub fn accept_factor(&self, err: f64, err_prev: f64, k: u32, after_reject: bool) -> f64 {
        let (b1, b2) = self.betas(k);
        let mut fac = if err == 0.0 {
            self.max_factor
        } else {
            self.safety * err.powf(-b1) * err_prev.powf(b2)
        };
        fac = fac.clamp(self.min_factor, self.max_factor);
        if after_reject && self.hold_after_reject {
            fac = fac.min(1.0);
        }
        fac
    }

    /// The factor after a rejected step (`err > 1`).
    pub fn reject_factor(&self, err: f64, k: u32) -> f64 {
        let (b1, _) = self.betas(k);
        (self.safety * err.powf(-b1)).clamp(self.min_factor, 1.0)
    }
}

/// Hairer's initial step (HNW I, section II.4, "Starting step size"; SciPy's `select_initial_step`).
///
/// With `d₀ = ‖y₀‖`, `d₁ = ‖f₀‖` (RMS norms scaled by `atol + rtol·|y₀|`): `h₀ = 0.01·d₀/d₁`
/// (1e-6 if either is below 1e-5); one explicit Euler step gives `d₂ = ‖f(t₀+h₀, y₀+h₀f₀) − f₀‖/h₀`;
/// `h₁ = (0.01 / max(d₁, d₂))^(1/(q+1))` (or `max(1e-6, 1e-3·h₀)` when both are ≤ 1e-15), and
/// the result is `min(100·h₀, h₁, |t₁ − t₀|)`. Costs one evaluation of `f`. `q` is the order of
/// the error estimate (`error_exponent − 1`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn initial_step<S: OdeState, F: FnMut(f64, &S, &mut S) -> Result<()>>(
    f: &mut F,
    t0: f64,
    y0: &S,
    f0: &S,
    span: f64,
    error_exponent: u32,
    rtol: &Tolerance,
    atol: &Tolerance,
    scratch_y: &mut S,
    scratch_f: &mut S,
) -> Result<f64> {
    let dir = span.signum();
    let d0 = rms_norm(y0, y0, y0, rtol, atol)?;
    let d1 = rms_norm(f0, y0, y0, rtol, atol)?;
    let h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    let h0 = h0.min(span.abs());
    S::lin_comb(
        scratch_y,
        Some(y0),
        dir * h0,
        &[1.0],
        std::slice::from_ref(f0),
    )?;
    f(t0 + dir * h0, scratch_y, scratch_f)?;
    let mut diff = scratch_y.clone();
    S::lin_comb(
        &mut diff,
        Some(scratch_f),
        -1.0,
        &[1.0],
        std::slice::from_ref(f0),
    )?;
    let d2 = rms_norm(&diff, y0, y0, rtol, atol)? / h0;
    let h1 = if d1 <= 1e-15 && d2 <= 1e-15 {
        (h0 * 1e-3).max(1e-6)
    } else {
        (0.01 / d1.max(d2)).powf(1.0 / f64::from(error_exponent))
    };
    Ok((100.0 * h0).min(h1).min(span.abs()))
}

/// The span and step mode a solve runs over, for [`plan_step`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepSpan {
    pub(crate) t0: f64,
    pub(crate) t_end: f64,
    /// +1 forward, −1 backward.
    pub(crate) dir: f64,
    pub(crate) adaptive: bool,
    /// The step of a fixed-step solve (unused when adaptive).
    pub(crate) dt_fixed: f64,
}

/// The next step from `t`: `h` as proposed (fixed steps land on t₀ + i·dt without accumulated
/// rounding), shortened to end exactly at `t_end`, with a remaining sliver below 1e-12·|h|
/// (1e-6 for fixed steps) merged in. Returns `(h, last)`, or the error for `max_steps` or a
/// step below `dt_min` (at least 10 ulp of t).
pub(crate) fn plan_step(
    span: &StepSpan,
    t: f64,
    mut h: f64,
    accepted: usize,
    steps: usize,
    opts: &Options,
) -> Result<(f64, bool)> {
    let StepSpan {
        t0,
        t_end,
        dir,
        adaptive,
        dt_fixed,
    } = *span;
    if !adaptive {
        h = t0 + (accepted + 1) as f64 * dt_fixed - t;
    }
    let mut last = false;
    let sliver = if adaptive { 1e-12 } else { 1e-6 };
    if (t + h - t_end) * dir >= 0.0 || (t_end - (t + h)).abs() <= sliver * h.abs() {
        h = t_end - t;
        last = true;
    }
    if steps >= opts.max_steps {
        return Err(Error::MaxStepsReached {
            t,
            h,
            max_steps: opts.max_steps,
            t_end,
        });
    }
    let h_min = opts.dt_min.max(10.0 * f64::EPSILON * t.abs());
    if adaptive && h.abs() < h_min {
        return Err(Error::StepSizeUnderflow { t, h, h_min, steps });
    }
    Ok((h, last))
}

/// The first step's magnitude for `opts.step`: `Fixed(dt)`, `Adaptive { h0 }` (capped at the
/// span), or Hairer's initial step ([`initial_step`], one more evaluation of `f`, counted in
/// `stats`), for a method whose error behaves like `h^error_exponent`. `f0 = f(t0, y)`;
/// `scratch` holds two states of `y`'s shape.
///
/// # Errors
/// [`Error::InvalidArgument`] for a zero or non-finite `dt` or `h0`; errors of `f`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn first_step<S: OdeState, F: FnMut(f64, &S, &mut S) -> Result<()>>(
    opts: &Options,
    f: &mut F,
    t0: f64,
    y: &S,
    f0: &S,
    span: f64,
    error_exponent: u32,
    stats: &mut Stats,
    (scratch_y, scratch_f): (&mut S, &mut S),
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
            initial_step(
                f,
                t0,
                y,
                f0,
                span,
                error_exponent,
                &opts.rtol,
                &opts.atol,
                scratch_y,
                scratch_f,
            )?
        }
    })
}
