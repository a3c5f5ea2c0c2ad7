//! Adaptive SDE steps: step doubling on one Brownian path, controlled by [`PiController`]
//! (see [`SdeAdaptive`] for the method and its sources).

use super::brownian::BrownianSource;
use super::problem::{NoiseType, SdeMethod, SdeSystem};
use super::solve::{save_at, SdeAdaptive, SdeOptions, SdeSolution, SdeStats};
use super::state::SdeState;
use super::stepper::Stepper;
use crate::controller::PiController;
use crate::error::{invalid, Error, Result};
use crate::state::{rms_norm, Tolerance};

/// The exponent `q` of one step's error `~ h^q` (strong order + ½) for step-size control.
fn error_exponent(method: SdeMethod, noise: NoiseType) -> f64 {
    let commutative = noise != NoiseType::General;
    match method {
        SdeMethod::EulerMaruyama if noise == NoiseType::Additive => 1.5,
        SdeMethod::EulerMaruyama => 1.0,
        SdeMethod::Milstein { .. } => 1.5,
        SdeMethod::Sra1 => 2.0,
        SdeMethod::EulerHeun | SdeMethod::Heun | SdeMethod::Midpoint if commutative => 1.5,
        _ => 1.0,
    }
}

/// `(β₁, β₂)` of [`PiController`] for a real error exponent `q`: `β₂ = beta2_k/q`,
/// `β₁ = 1/q − 0.75·β₂` (as `PiController::betas`, which takes a whole exponent).
fn betas(c: &PiController, q: f64) -> (f64, f64) {
    let b2 = c.beta2_k / q;
    let b1 = c.beta1_k.map_or(1.0 / q - 0.75 * b2, |b| b / q);
    (b1, b2)
}

fn check_settings(ad: &SdeAdaptive, dt0: f64) -> Result<()> {
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    if !ok(ad.rtol) || !ok(ad.atol) || (ad.rtol == 0.0 && ad.atol == 0.0) {
        return Err(invalid(
            "rtol",
            format!(
                "rtol and atol must be finite and ≥ 0, not both 0; got rtol = {}, atol = {}",
                ad.rtol, ad.atol
            ),
        ));
    }
    if !(dt0 > 0.0 && dt0.is_finite()) {
        return Err(invalid(
            "dt",
            format!("the first adaptive step must be finite and > 0, got {dt0}"),
        ));
    }
    if !ok(ad.dt_min) || ad.dt_max.is_nan() || ad.dt_max <= ad.dt_min {
        return Err(invalid(
            "dt_min",
            format!(
                "needs 0 ≤ dt_min < dt_max, got dt_min = {}, dt_max = {}",
                ad.dt_min, ad.dt_max
            ),
        ));
    }
    let c = &ad.controller;
    let valid = c.safety > 0.0
        && c.safety <= 1.0
        && c.min_factor > 0.0
        && c.min_factor <= 1.0
        && c.max_factor >= 1.0
        && c.max_factor.is_finite();
    if !valid {
        return Err(invalid(
            "controller",
            format!(
                "needs 0 < safety ≤ 1, 0 < min_factor ≤ 1 ≤ max_factor < ∞, got {}, {}, {}",
                c.safety, c.min_factor, c.max_factor
            ),
        ));
    }
    Ok(())
}

/// The adaptive loop of [`solve_sde`](super::solve_sde) (arguments checked there, except the
/// adaptive settings and the Brownian source).
pub(super) fn solve_adaptive<S, P, B>(
    method: SdeMethod,
    sys: &P,
    span: (f64, f64),
    y0: &S,
    bm: &B,
    opts: &SdeOptions,
    ad: &SdeAdaptive,
) -> Result<SdeSolution<S>>
where
    S: SdeState,
    P: SdeSystem<S> + ?Sized,
    B: BrownianSource + ?Sized,
{
    if !bm.answers_any_interval() {
        return Err(invalid(
            "brownian",
            format!(
                "adaptive steps (SdeOptions::adaptive) need a Brownian source that answers any \
                 interval on one path, such as BrownianTree; {} draws increments per step (or \
                 per grid interval), so a rejected step could not be retried on the same path. \
                 Use a BrownianTree, or fixed steps (SdeOptions::fixed)",
                std::any::type_name::<B>()
            ),
        ));
    }
    if method == SdeMethod::ReversibleHeun {
        return Err(invalid(
            "method",
            "reversible Heun carries (ŷ, f(ŷ)) from step to step and has no adaptive mode; \
             use SdeOptions::fixed, or Heun / midpoint / Euler–Heun for adaptive steps",
        ));
    }
    check_settings(ad, opts.dt)?;
    let (t0, t1) = span;
    let q = error_exponent(method, sys.noise_type());
    let (b1, b2) = betas(&ad.controller, q);
    let ctl = &ad.controller;
    let (rtol, atol) = (Tolerance::Scalar(ad.rtol), Tolerance::Scalar(ad.atol));

    let mut stepper = Stepper::new(method, sys, bm, t0, y0)?;
    let mut y = y0.clone();
    let (mut y_full, mut y_mid, mut y_half, mut diff) = (
        y0.zeros_like()?,
        y0.zeros_like()?,
        y0.zeros_like()?,
        y0.zeros_like()?,
    );
    let (mut ts, mut ys, mut save_i) = (Vec::new(), Vec::new(), 0);
    save_at(&opts.t_eval, t0, &y, &mut ts, &mut ys, &mut save_i);
    let mut step_ts = vec![t0];
    let (mut accepted, mut rejected) = (0usize, 0usize);
    let mut t = t0;
    let mut h = opts.dt.min(ad.dt_max);
    let mut err_prev = 1.0f64;
    let mut after_reject = false;
    while t < t1 {
        // The next time the solve must land on: a save time or the end.
        let target = opts.t_eval.get(save_i).copied().unwrap_or(t1);
        let target = if target > t { target } else { t1 };
        let lands = t + h >= target || target - (t + h) <= 1e-12 * h;
        let (tn, h_step) = if lands {
            (target, target - t)
        } else {
            (t + h, h)
        };
        let steps = accepted + rejected;
        if steps >= ad.max_steps {
            return Err(Error::MaxStepsReached {
                t,
                h: h_step,
                max_steps: ad.max_steps,
                t_end: t1,
            });
        }
        let h_min = ad.dt_min.max(10.0 * f64::EPSILON * t.abs());
        // A step shortened to land on a save time may be short; a controlled one may not.
        if h_step < h_min && !(lands && h >= h_min) {
            return Err(Error::StepSizeUnderflow {
                t,
                h: h_step,
                h_min,
                steps,
            });
        }
        let tm = t + 0.5 * h_step;
        let ok_full = stepper.step(steps, t, tn, &y, &mut y_full)?;
        let ok_mid = stepper.step(steps, t, tm, &y, &mut y_mid)?;
        let ok_half = ok_mid && stepper.step(steps, tm, tn, &y_mid, &mut y_half)?;
        let err = if ok_full && ok_half {
            S::lin_comb(
                &mut diff,
                Some(&y_full),
                1.0,
                &[-1.0],
                std::slice::from_ref(&y_half),
            )?;
            rms_norm(&diff, &y, &y_half, &rtol, &atol)?
        } else {
            f64::INFINITY
        };
        let factor = if err <= 1.0 {
            std::mem::swap(&mut y, &mut y_half);
            t = tn;
            accepted += 1;
            step_ts.push(t);
            save_at(&opts.t_eval, t, &y, &mut ts, &mut ys, &mut save_i);
            let mut fac = if err == 0.0 {
                ctl.max_factor
            } else {
                ctl.safety * err.powf(-b1) * err_prev.powf(b2)
            };
            fac = fac.clamp(ctl.min_factor, ctl.max_factor);
            if after_reject && ctl.hold_after_reject {
                fac = fac.min(1.0);
            }
            err_prev = err.max(1e-4);
            after_reject = false;
            fac
        } else {
            rejected += 1;
            after_reject = true;
            if err.is_finite() {
                (ctl.safety * err.powf(-b1)).clamp(ctl.min_factor, 1.0)
            } else {
                ctl.min_factor
            }
        };
        // After an accepted step shortened only to land on a save time, the controller's
        // proposal `h` stands (the short step says little about the next one).
        let shortened = lands && h_step < h && t == tn;
        h = if shortened {
            h
        } else {
            (h_step * factor).min(ad.dt_max)
        };
    }
    if opts.t_eval.is_empty() {
        ts.push(t1);
        ys.push(y);
    }
    let stats = SdeStats {
        steps: accepted + rejected,
        accepted,
        rejected,
        ..stepper.stats
    };
    Ok(SdeSolution {
        ts,
        ys,
        stats,
        step_ts,
    })
}
