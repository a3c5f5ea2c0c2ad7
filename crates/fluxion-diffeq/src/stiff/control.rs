//! Step-size control of the Rosenbrock drivers: the shared PI controller, or Gustafsson's
//! predictive controller as in Hairer's `rodas.f`; and the settings only the stiff solvers take.

use crate::controller::PiController;

/// Which step-size controller a Rosenbrock solve uses after each step.
///
/// Both read `safety`, `min_factor` and `max_factor` from [`Options::controller`](crate::Options)
/// and, with `hold_after_reject`, forbid growth on the step after a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RosenbrockController {
    /// The [`PiController`] of [`Options::controller`](crate::Options), exactly as
    /// [`solve`](crate::solve) uses it (the default; the step counts pinned in the tests).
    #[default]
    Pi,
    /// Gustafsson's predictive controller (Gustafsson 1994, *BIT* 34; HNW II, section IV.8,
    /// eq. 8.21), as `rodas.f` uses it (its default, `IWORK(2) = 1`): after an accepted step
    /// with error `err` and step `h`, following an accepted `(h_acc, err_acc)`,
    ///
    /// ```text
    /// h_new = h · min( safety·err^(−1/k),  (h/h_acc)·safety·(err_acc/err²)^(1/k) )
    /// ```
    ///
    /// each factor clamped to `[min_factor, max_factor]`, `err_acc` floored at 1e-2 and `k` the
    /// error exponent (5 for Rodas5P; `rodas.f`'s 4 is for its order-4 method). A rejected
    /// step shrinks by `max(min_factor, safety·err^(−1/k))`. It predicts the error's trend
    /// from the last two steps and cuts a step before it fails: on Van der Pol μ = 1000 at
    /// rtol 1e-8 it takes 2497 + 21 steps where the PI controller takes 2597 + 20, on
    /// Robertson to 1e5 311 + 2 against 348 + 1, at a similar accuracy (`tests/stiff_control.rs`).
    Predictive,
}

/// Settings of the Rosenbrock solvers beyond [`Options`](crate::Options): the step-size
/// controller and (for [`solve_stiff_batch_with`](crate::solve_stiff_batch_with) only) the
/// batched linear solve. `Default` is what [`solve_stiff`](crate::solve_stiff) and
/// [`solve_stiff_batch`](crate::solve_stiff_batch) use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RosenbrockOptions {
    /// Step-size controller.
    pub controller: RosenbrockController,
    /// How the batched driver solves its stage systems (ignored by [`solve_stiff_with`](crate::solve_stiff_with)).
    pub linear_solve: super::batch::BatchLinearSolve,
}

/// The controller's memory across steps.
#[derive(Debug, Clone)]
pub(super) struct StepControl {
    kind: RosenbrockController,
    /// Exponent `k` with `err ∝ hᵏ`.
    k: u32,
    /// PI: the previous accepted error, floored at 1e-4.
    err_prev: f64,
    /// Predictive: the previous accepted `(h, max(err, 1e-2))`.
    accepted: Option<(f64, f64)>,
    after_reject: bool,
}

impl StepControl {
    pub(super) fn new(kind: RosenbrockController, k: u32) -> Self {
        StepControl {
            kind,
            k,
            err_prev: 1e-4,
            accepted: None,
            after_reject: false,
        }
    }

    /// Notes a step that failed for another reason than its error (singular matrix,
    /// non-finite values), after which `h` is halved by the driver.
    pub(super) fn failed(&mut self) {
        self.after_reject = true;
    }

    /// The factor for `h` after a step rejected with error `err > 1`.
    pub(super) fn reject(&mut self, c: &PiController, err: f64) -> f64 {
        self.after_reject = true;
        match self.kind {
            RosenbrockController::Pi => c.reject_factor(err, self.k),
            RosenbrockController::Predictive => {
                (c.safety * err.powf(-1.0 / f64::from(self.k))).clamp(c.min_factor, 1.0)
            }
        }
    }

    /// The factor for the next `h` after a step of size `h` accepted with error `err ≤ 1`.
    pub(super) fn accept(&mut self, c: &PiController, err: f64, h: f64) -> f64 {
        let fac = match self.kind {
            RosenbrockController::Pi => {
                let fac = c.accept_factor(err, self.err_prev, self.k, self.after_reject);
                self.err_prev = err.max(1e-4);
                fac
            }
            RosenbrockController::Predictive => {
                let kf = f64::from(self.k);
                let mut fac = if err == 0.0 {
                    c.max_factor
                } else {
                    (c.safety * err.powf(-1.0 / kf)).clamp(c.min_factor, c.max_factor)
                };
                if let Some((h_acc, err_acc)) = self.accepted {
                    let pred = if err == 0.0 {
                        c.max_factor
                    } else {
                        (h / h_acc) * c.safety * (err_acc / (err * err)).powf(1.0 / kf)
                    };
                    fac = fac.min(pred.clamp(c.min_factor, c.max_factor));
                }
                self.accepted = Some((h, err.max(1e-2)));
                if self.after_reject && c.hold_after_reject {
                    fac = fac.min(1.0);
                }
                fac
            }
        };
        self.after_reject = false;
        fac
    }
}
