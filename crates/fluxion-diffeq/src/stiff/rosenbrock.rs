//! The Rosenbrock solve of one system with a `Vec<f64>` state: the public entry points and the
//! dense [`Lu`] linear algebra the step loop of [`driver`](super::driver) runs on.

use crate::error::Result;
use crate::options::Options;
use crate::solve::Solution;

use super::control::RosenbrockOptions;
use super::driver::{rosenbrock, Linearisation};
use super::jacobian::Jacobian;
use super::lu::Lu;
use super::tableau::StiffMethod;
#[cfg(doc)]
use {super::tableau::RosenbrockTableau, crate::error::Error};

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
    f: F,
    jac: Jacobian<'_>,
    t_span: (f64, f64),
    y0: &[f64],
    opts: &Options,
    ropts: &RosenbrockOptions,
) -> Result<Solution<Vec<f64>>>
where
    F: FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>,
{
    let n = y0.len();
    let mut lin = DenseSystem {
        jac,
        jmat: vec![0.0; n * n],
        emat: vec![0.0; n * n],
        dfdt: vec![0.0; n],
        lu: Lu::new(n),
        scratch_y: vec![0.0; n],
        scratch_f: vec![0.0; n],
    };
    rosenbrock(
        method.tableau(),
        f,
        &mut lin,
        t_span,
        y0.to_vec(),
        opts,
        ropts,
    )
}

/// One system's linear algebra: `J` and `∂f/∂t` from a [`Jacobian`] into row-major buffers,
/// `E = I/(hγ) − J` factored by [`Lu`], stages solved in place (no allocation per step).
struct DenseSystem<'a> {
    jac: Jacobian<'a>,
    jmat: Vec<f64>,
    emat: Vec<f64>,
    dfdt: Vec<f64>,
    lu: Lu,
    scratch_y: Vec<f64>,
    scratch_f: Vec<f64>,
}

impl Linearisation<Vec<f64>> for DenseSystem<'_> {
    fn check_rhs(&self, _f0: &Vec<f64>) -> Result<()> {
        Ok(())
    }

    fn linearise<F>(&mut self, f: &mut F, t: f64, y: &Vec<f64>, f0: &Vec<f64>) -> Result<usize>
    where
        F: FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>,
    {
        let (sy, sf) = (&mut self.scratch_y, &mut self.scratch_f);
        let evals = self.jac.jacobian(f, t, y, f0, &mut self.jmat, sy, sf)?;
        Ok(evals
            + self
                .jac
                .time_derivative(f, t, y, f0, &mut self.dfdt, sy, sf)?)
    }

    fn factor(&mut self, fac: f64) -> Result<std::result::Result<(), usize>> {
        let n = self.lu.n();
        for (e, j) in self.emat.iter_mut().zip(&self.jmat) {
            *e = -j;
        }
        for i in 0..n {
            self.emat[i * n + i] += fac;
        }
        Ok(self.lu.factor(&self.emat))
    }

    fn solve(&mut self, u: &mut Vec<f64>) -> Result<()> {
        self.lu.solve(u);
        Ok(())
    }

    fn add_time_derivative(&self, u: &mut Vec<f64>, hd: f64) -> Result<()> {
        for (uj, dj) in u.iter_mut().zip(&self.dfdt) {
            *uj += hd * dj;
        }
        Ok(())
    }
}
