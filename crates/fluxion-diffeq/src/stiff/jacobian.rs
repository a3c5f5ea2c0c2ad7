//! Where a stiff solve gets `J = ∂f/∂y` and `∂f/∂t`: the user, autodiff, or finite differences.

use fluxion_autodiff::{grad_with, GradOptions, Var};
use fluxion_tensor::{Device, Tensor};

use crate::error::{invalid, Result};

use super::source::{JacobianKind, Source, TimeKind};

type MatrixFn<'a> = Box<dyn FnMut(f64, &[f64], &mut [f64]) -> Result<()> + 'a>;

/// The Jacobian `J = ∂f/∂y` (row-major `n × n`, `J[i·n + j] = ∂fᵢ/∂yⱼ`) and the time
/// derivative `∂f/∂t` a Rosenbrock method needs once per step.
///
/// - [`Jacobian::analytic`]: a closure `jac(t, y, J)` — exact and cheapest.
/// - [`Jacobian::autodiff`]: the right-hand side written over [`Var`]; each row `i` is
///   `∇_y fᵢ`, one reverse pass with the one-hot seed `eᵢ` (`n` passes over one recorded graph).
/// - [`Jacobian::finite_differences`]: forward differences, `n` extra evaluations of `f`, with
///   Hairer's increment `δⱼ = sqrt(ε·max(1e-5, |yⱼ|))` (`radau5.f`); first-order accurate, so a
///   Rosenbrock method keeps its order only up to the `O(δ)` error in `J` — the documented
///   fallback when neither of the others is available.
///
/// `∂f/∂t` defaults to the forward difference `(f(t + δ, y) − f(t, y))/δ`, `δ = sqrt(ε)·max(1, |t|)`
/// (one extra evaluation per step); [`Jacobian::autonomous`] declares it zero and
/// [`Jacobian::with_time_derivative`] supplies it exactly.
///
/// ```
/// use fluxion_diffeq::Jacobian;
/// // y' = −1000·y: J = [−1000], autonomous.
/// let jac = Jacobian::analytic(|_t, _y: &[f64], j: &mut [f64]| {
///     j[0] = -1000.0;
///     Ok(())
/// })
/// .autonomous();
/// # let _ = jac;
/// ```
pub struct Jacobian<'a> {
    src: Source<'a, MatrixFn<'a>>,
}

impl std::fmt::Debug for Jacobian<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.src.fmt_as("Jacobian", f)
    }
}

impl<'a> Jacobian<'a> {
    /// A user-supplied Jacobian: `jac(t, y, J)` writes `∂fᵢ/∂yⱼ` into `J[i·n + j]`.
    pub fn analytic(jac: impl FnMut(f64, &[f64], &mut [f64]) -> Result<()> + 'a) -> Self {
        Jacobian {
            src: Source::new(JacobianKind::Analytic(Box::new(jac))),
        }
    }

    /// The Jacobian of `f_var` by reverse-mode autodiff; `f_var(t, y)` takes and returns a
    /// rank-1 `f64` [`Var`] of length `n` and must compute the same `f` as the solve's closure.
    pub fn autodiff(f_var: impl Fn(f64, &Var) -> fluxion_autodiff::Result<Var> + 'a) -> Self {
        Jacobian {
            src: Source::new(JacobianKind::Autodiff(Box::new(f_var))),
        }
    }

    /// The Jacobian by forward finite differences of the solve's own `f` (see the type's docs).
    pub fn finite_differences() -> Self {
        Jacobian {
            src: Source::new(JacobianKind::FiniteDifferences),
        }
    }

    /// Declares `f` independent of `t`: `∂f/∂t = 0`, saving one evaluation of `f` per step.
    pub fn autonomous(mut self) -> Self {
        self.src.time = TimeKind::Zero;
        self
    }

    /// Supplies `∂f/∂t` exactly: `dfdt(t, y, out)` writes the `n` partial derivatives.
    pub fn with_time_derivative(
        mut self,
        dfdt: impl FnMut(f64, &[f64], &mut [f64]) -> Result<()> + 'a,
    ) -> Self {
        self.src.time = TimeKind::Analytic(Box::new(dfdt));
        self
    }

    /// Writes `J(t, y)` into `jac` (row-major `n × n`); `f0 = f(t, y)` is needed by finite
    /// differences. Returns the number of evaluations of `f` spent.
    pub(crate) fn jacobian<F>(
        &mut self,
        f: &mut F,
        t: f64,
        y: &[f64],
        f0: &[f64],
        jac: &mut [f64],
        scratch_y: &mut Vec<f64>,
        scratch_f: &mut Vec<f64>,
    ) -> Result<usize>
    where
        F: FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>,
    {
        match &mut self.src.kind {
            JacobianKind::Analytic(j) => {
                j(t, y, jac)?;
                Ok(0)
            }
            JacobianKind::Autodiff(fv) => {
                jacobian_autodiff(fv, t, y, jac)?;
                Ok(0)
            }
            JacobianKind::FiniteDifferences => {
                let n = y.len();
                scratch_y.copy_from_slice(y);
                for j in 0..n {
                    let yj = y[j];
                    let delta = (f64::EPSILON * yj.abs().max(1e-5)).sqrt();
                    scratch_y[j] = yj + delta;
                    // The increment actually represented in floating point.
                    let dj = scratch_y[j] - yj;
                    f(t, scratch_y, scratch_f)?;
                    for i in 0..n {
                        jac[i * n + j] = (scratch_f[i] - f0[i]) / dj;
                    }
                    scratch_y[j] = yj;
                }
                Ok(n)
            }
        }
    }

    /// Writes `∂f/∂t (t, y)` into `out`; returns the number of evaluations of `f` spent.
    pub(crate) fn time_derivative<F>(
        &mut self,
        f: &mut F,
        t: f64,
        y: &[f64],
        f0: &[f64],
        out: &mut [f64],
        scratch_y: &mut Vec<f64>,
        scratch_f: &mut Vec<f64>,
    ) -> Result<usize>
    where
        F: FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>,
    {
        match &mut self.src.time {
            TimeKind::Zero => {
                out.fill(0.0);
                Ok(0)
            }
            TimeKind::Analytic(g) => {
                g(t, y, out)?;
                Ok(0)
            }
            TimeKind::FiniteDifference => {
                let delta = f64::EPSILON.sqrt() * t.abs().max(1.0);
                let dt = (t + delta) - t;
                scratch_y.copy_from_slice(y);
                f(t + dt, scratch_y, scratch_f)?;
                for i in 0..y.len() {
                    out[i] = (scratch_f[i] - f0[i]) / dt;
                }
                Ok(1)
            }
        }
    }
}

/// `J(t, y)` of a right-hand side written over [`Var`], row by row with reverse-mode autodiff.
///
/// Records `f(t, y)` once with `y` as a leaf, then for each output `i` takes
/// `∇_y ⟨f, eᵢ⟩ = (row i of J)` with the one-hot seed `eᵢ`, keeping the graph for the next
/// row; exact to rounding (no finite-difference error). Writes `J[i·n + j] = ∂fᵢ/∂yⱼ`.
///
/// ```
/// use fluxion_diffeq::jacobian_autodiff;
/// // f(y) = (y₀·y₁, y₀²): J = [[y₁, y₀], [2y₀, 0]].
/// let f = |_t: f64, y: &fluxion_autodiff::Var| {
///     let y0 = y.narrow(0, 0, 1)?;
///     let y1 = y.narrow(0, 1, 1)?;
///     fluxion_autodiff::Var::concat(&[&y0.mul(&y1)?, &y0.mul(&y0)?], 0)
/// };
/// let mut j = vec![0.0; 4];
/// jacobian_autodiff(&f, 0.0, &[3.0, 5.0], &mut j)?;
/// assert_eq!(j, vec![5.0, 3.0, 6.0, 0.0]);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `f` does not return `n`
/// values or `jac` is not `n × n`; autodiff and tensor errors from `f`.
pub fn jacobian_autodiff<G>(f: &G, t: f64, y: &[f64], jac: &mut [f64]) -> Result<()>
where
    G: Fn(f64, &Var) -> fluxion_autodiff::Result<Var> + ?Sized,
{
    let n = y.len();
    if jac.len() != n * n {
        return Err(invalid(
            "jac",
            format!("has {} entries, expected {n}×{n}", jac.len()),
        ));
    }
    let x = Var::leaf(Tensor::from_vec(y.to_vec(), [n], &Device::Cpu)?);
    let out = f(t, &x)?;
    if out.elem_count() != n {
        return Err(invalid(
            "f_var",
            format!("returned {} values for a state of {n}", out.elem_count()),
        ));
    }
    let mut seed = vec![0.0; n];
    for i in 0..n {
        seed.fill(0.0);
        seed[i] = 1.0;
        let v = Var::constant(Tensor::from_vec(seed.clone(), out.shape(), &Device::Cpu)?);
        let opts = GradOptions {
            create_graph: false,
            retain_graph: Some(i + 1 < n),
        };
        let g = grad_with(&[out.clone()], &[x.clone()], Some(&[v]), opts)?;
        let row = g[0].tensor().to_vec::<f64>()?;
        jac[i * n..(i + 1) * n].copy_from_slice(&row);
    }
    Ok(())
}
