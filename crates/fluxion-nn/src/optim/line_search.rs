//! The strong-Wolfe line search and the cubic interpolation it uses, as PyTorch's
//! `torch.optim.lbfgs._strong_wolfe` and `_cubic_interpolate` (themselves ports of Mark
//! Schmidt's minFunc via torch7's `lswolfe.lua` and `polyinterp.lua`).
//!
//! Reference: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer
//! (2006): Algorithm 3.5 (line search for the strong Wolfe conditions), Algorithm 3.6
//! (zoom) and eq. (3.59) (cubic interpolation).

use crate::Result;

/// Python's `max(a, b)`: `a` unless `b > a` (so a NaN in `a` is kept, one in `b` is not).
fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// The minimiser of the cubic through (x₁, f₁) and (x₂, f₂) with slopes g₁ and g₂, clamped to
/// `bounds` (default: the interval between x₁ and x₂); the middle of the bounds when the
/// cubic has no real minimiser.
///
/// With x₂ the farther point (Nocedal & Wright eq. 3.59):
///
/// ```text
/// d₁ = g₁ + g₂ − 3(f₁ − f₂)/(x₁ − x₂)
/// d₂ = √(d₁² − g₁g₂)
/// x  = x₂ − (x₂ − x₁)·(g₂ + d₂ − d₁)/(g₂ − g₁ + 2d₂)
/// ```
///
/// As PyTorch's `_cubic_interpolate`.
pub fn cubic_interpolate(
    (x1, f1, g1): (f64, f64, f64),
    (x2, f2, g2): (f64, f64, f64),
    bounds: Option<(f64, f64)>,
) -> f64 {
    let (xmin_bound, xmax_bound) = match bounds {
        Some(b) => b,
        None if x1 <= x2 => (x1, x2),
        None => (x2, x1),
    };
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        py_min(py_max(min_pos, xmin_bound), xmax_bound)
    } else {
        (xmin_bound + xmax_bound) / 2.0
    }
}

/// Parameters of the strong-Wolfe line search; `Default` gives PyTorch's values.
///
/// A step t along a descent direction d from x with loss f and slope gᵀd < 0 is accepted
/// when it satisfies the strong Wolfe conditions
///
/// ```text
/// f(x + t·d) ≤ f + c₁·t·gᵀd            (sufficient decrease, Armijo)
/// |∇f(x + t·d)ᵀd| ≤ c₂·|gᵀd|           (curvature)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrongWolfe {
    /// Sufficient-decrease constant c₁ (default 1e-4).
    pub c1: f64,
    /// Curvature constant c₂ (default 0.9).
    pub c2: f64,
    /// Stop zooming when the bracket times max|d| is below this (default 1e-9). PyTorch's
    /// L-BFGS always uses this default, not its own `tolerance_change`.
    pub tolerance_change: f64,
    /// Maximum number of trial steps after the first (default 25).
    pub max_ls: usize,
}

impl Default for StrongWolfe {
    fn default() -> Self {
        StrongWolfe {
            c1: 1e-4,
            c2: 0.9,
            tolerance_change: 1e-9,
            max_ls: 25,
        }
    }
}

/// The point a line search settled on.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSearchOutcome {
    /// The loss at x + t·d.
    pub loss: f64,
    /// The flat gradient at x + t·d.
    pub grad: Vec<f64>,
    /// The step length t.
    pub t: f64,
    /// How many times the objective was evaluated.
    pub func_evals: usize,
}

/// aᵀb, summed in order.
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// max|aᵢ| (0 for an empty slice), NaN when any element is NaN, as `Tensor.abs().max()`.
pub(super) fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m: f64, x| {
        if x.abs() > m || x.is_nan() {
            x.abs()
        } else {
            m
        }
    })
}

/// A trial point of the bracket: step, loss, gradient and slope along d.
#[derive(Debug, Clone)]
struct Point {
    t: f64,
    f: f64,
    g: Vec<f64>,
    gtd: f64,
}

impl StrongWolfe {
    /// Checks the constants.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] unless 0 < c₁ < c₂ < 1 and `tolerance_change` ≥ 0.
    pub fn validate(&self) -> Result<()> {
        if !(0.0 < self.c1 && self.c1 < self.c2 && self.c2 < 1.0)
            || self.tolerance_change.is_nan()
            || self.tolerance_change < 0.0
        {
            return Err(crate::Error::InvalidArgument {
                what: "StrongWolfe",
                reason: format!(
                    "needs 0 < c1 < c2 < 1 and tolerance_change ≥ 0, got c1 = {}, c2 = {}, \
                     tolerance_change = {}",
                    self.c1, self.c2, self.tolerance_change
                ),
            });
        }
        Ok(())
    }

    /// Searches along `d` from the point with loss `f`, flat gradient `g` and slope
    /// `gtd = gᵀd`, starting with step `t`. `obj(t)` returns the loss and flat gradient at
    /// x + t·d.
    ///
    /// PyTorch's `_strong_wolfe`, step for step: a bracketing phase that extrapolates with
    /// cubic interpolation within [t + 0.01(t − t_prev), 10t] (Nocedal & Wright Alg. 3.5),
    /// then a zoom phase that interpolates inside the bracket, moving a trial that lands
    /// within 10% of an end (twice in a row, or outside) to 10% inside it (Alg. 3.6). At most
    /// `max_ls` evaluations after the first.
    ///
    /// # Errors
    /// Errors from `obj`.
    pub fn search(
        &self,
        obj: &mut dyn FnMut(f64) -> Result<(f64, Vec<f64>)>,
        mut t: f64,
        d: &[f64],
        f: f64,
        g: &[f64],
        gtd: f64,
    ) -> Result<LineSearchOutcome> {
        let (c1, c2, max_ls) = (self.c1, self.c2, self.max_ls);
        let d_norm = max_abs(d);
        let (mut f_new, mut g_new) = obj(t)?;
        let mut func_evals = 1;
        let mut gtd_new = dot(&g_new, d);

        // Bracketing phase.
        let mut prev = Point {
            t: 0.0,
            f,
            g: g.to_vec(),
            gtd,
        };
        let mut done = false;
        let mut ls_iter = 0;
        // `bracket` holds two points, or one when `done`.
        let mut bracket: Vec<Point> = Vec::new();
        while ls_iter < max_ls {
            let new = Point {
                t,
                f: f_new,
                g: g_new.clone(),
                gtd: gtd_new,
            };
            if f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= prev.f) {
                bracket = vec![prev, new];
                break;
            }
            if gtd_new.abs() <= -c2 * gtd {
                bracket = vec![new];
                done = true;
                break;
            }
            if gtd_new >= 0.0 {
                bracket = vec![prev, new];
                break;
            }
            let min_step = t + 0.01 * (t - prev.t);
            let max_step = t * 10.0;
            t = cubic_interpolate(
                (prev.t, prev.f, prev.gtd),
                (new.t, new.f, new.gtd),
                Some((min_step, max_step)),
            );
            prev = new;
            (f_new, g_new) = obj(t)?;
            func_evals += 1;
            gtd_new = dot(&g_new, d);
            ls_iter += 1;
        }
        if ls_iter == max_ls {
            // PyTorch leaves the slopes of this bracket unset; the zoom below never reads
            // them because it does not run once `ls_iter == max_ls`.
            bracket = vec![
                Point {
                    t: 0.0,
                    f,
                    g: g.to_vec(),
                    gtd: f64::NAN,
                },
                Point {
                    t,
                    f: f_new,
                    g: g_new,
                    gtd: f64::NAN,
                },
            ];
        }

        // Zoom phase.
        let mut insuf_progress = false;
        let last = bracket.len() - 1;
        let (mut low, mut high) = if bracket[0].f <= bracket[last].f {
            (0, 1)
        } else {
            (1, 0)
        };
        while !done && ls_iter < max_ls {
            if (bracket[1].t - bracket[0].t).abs() * d_norm < self.tolerance_change {
                break;
            }
            t = cubic_interpolate(
                (bracket[0].t, bracket[0].f, bracket[0].gtd),
                (bracket[1].t, bracket[1].f, bracket[1].gtd),
                None,
            );
            let b_max = py_max(bracket[0].t, bracket[1].t);
            let b_min = py_min(bracket[0].t, bracket[1].t);
            let eps = 0.1 * (b_max - b_min);
            if py_min(b_max - t, t - b_min) < eps {
                if insuf_progress || t >= b_max || t <= b_min {
                    t = if (t - b_max).abs() < (t - b_min).abs() {
                        b_max - eps
                    } else {
                        b_min + eps
                    };
                    insuf_progress = false;
                } else {
                    insuf_progress = true;
                }
            } else {
                insuf_progress = false;
            }

            let (f_t, g_t) = obj(t)?;
            func_evals += 1;
            let gtd_t = dot(&g_t, d);
            ls_iter += 1;
            let new = Point {
                t,
                f: f_t,
                g: g_t,
                gtd: gtd_t,
            };
            if f_t > f + c1 * t * gtd || f_t >= bracket[low].f {
                bracket[high] = new;
                (low, high) = if bracket[0].f <= bracket[1].f {
                    (0, 1)
                } else {
                    (1, 0)
                };
            } else {
                if gtd_t.abs() <= -c2 * gtd {
                    done = true;
                } else if gtd_t * (bracket[high].t - bracket[low].t) >= 0.0 {
                    bracket[high] = bracket[low].clone();
                }
                bracket[low] = new;
            }
        }

        let best = bracket.swap_remove(low);
        Ok(LineSearchOutcome {
            loss: best.f,
            grad: best.g,
            t: best.t,
            func_evals,
        })
    }
}
