//! Where a batched stiff solve gets `J_b = ∂f_b/∂y_b` (`[B, n, n]`) and `∂f/∂t` (`[B, n]`):
//! the user, autodiff, or finite differences, all in tensor ops on the state's device.

use fluxion_autodiff::{grad_with, GradOptions, Var};
use fluxion_tensor::{DType, Tensor};

use crate::error::{invalid, Result};

use super::source::{JacobianKind, Source, TimeKind};

type TensorFn<'a> = Box<dyn FnMut(f64, &Tensor) -> Result<Tensor> + 'a>;

/// The per-system Jacobians `J[b, i, j] = ∂f_{b,i}/∂y_{b,j}` (a `[B, n, n]` tensor) and the
/// time derivative `∂f/∂t` (`[B, n]`) of a batch of `B` independent systems, for
/// [`solve_stiff_batch`](crate::solve_stiff_batch).
///
/// - [`BatchJacobian::analytic`]: a closure `jac(t, y) → J` on tensors.
/// - [`BatchJacobian::autodiff`]: the right-hand side over [`Var`]. The systems are
///   independent, so `∂(Σ_b f_{b,i})/∂y_{b,j} = J[b, i, j]`: `n` reverse passes (seed: ones in
///   column `i` of every row) give row `i` of every `J_b` at once — see [`jacobian_autodiff_batch`].
/// - [`BatchJacobian::finite_differences`]: forward differences, `n` extra batched evaluations
///   of `f` (column `j` of every system perturbed at once, by `δ = sqrt(ε·max(1e-5, |y_{b,j}|))`
///   with `ε` of the state's dtype, as `radau5.f`); first-order accurate.
///
/// `∂f/∂t` defaults to the forward difference `(f(t + δ, y) − f(t, y))/δ`,
/// `δ = sqrt(ε)·max(1, |t|)`; [`BatchJacobian::autonomous`] declares it zero and
/// [`BatchJacobian::with_time_derivative`] supplies it.
///
/// ```
/// use fluxion_diffeq::BatchJacobian;
/// use fluxion_tensor::Tensor;
/// // y'_b = −λ_b·y_b (n = 1): J_b = [−λ_b].
/// let lam = Tensor::from_vec(vec![1.0, 1e3, 1e6], [3, 1, 1], &fluxion_tensor::Device::Cpu)?;
/// let jac = BatchJacobian::analytic(move |_t, _y: &Tensor| Ok(lam.neg()?)).autonomous();
/// # let _ = jac;
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
pub struct BatchJacobian<'a> {
    src: Source<'a, TensorFn<'a>>,
}

impl std::fmt::Debug for BatchJacobian<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.src.fmt_as("BatchJacobian", f)
    }
}

/// Machine epsilon of a floating dtype (f64's for anything else; the solver admits f32/f64).
pub(crate) fn dtype_eps(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f64::from(f32::EPSILON),
        _ => f64::EPSILON,
    }
}

fn expect_dims(name: &'static str, t: &Tensor, dims: &[usize]) -> Result<()> {
    if t.dims() == dims {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!("returned shape {:?}, expected {dims:?}", t.dims()),
        ))
    }
}

impl<'a> BatchJacobian<'a> {
    /// A user-supplied Jacobian: `jac(t, y)` returns `J` of shape `[B, n, n]` for `y` of shape
    /// `[B, n]` (any floating dtype; it is read in f64).
    pub fn analytic(jac: impl FnMut(f64, &Tensor) -> Result<Tensor> + 'a) -> Self {
        BatchJacobian {
            src: Source::new(JacobianKind::Analytic(Box::new(jac))),
        }
    }

    /// The Jacobian of `f_var` by reverse-mode autodiff; `f_var(t, y)` takes and returns a
    /// `[B, n]` [`Var`] (the state's dtype and device) and must compute the same `f` as the
    /// solve's closure, with no coupling between the rows.
    pub fn autodiff(f_var: impl Fn(f64, &Var) -> fluxion_autodiff::Result<Var> + 'a) -> Self {
        BatchJacobian {
            src: Source::new(JacobianKind::Autodiff(Box::new(f_var))),
        }
    }

    /// The Jacobian by batched forward differences of the solve's own `f` (see the type's docs).
    pub fn finite_differences() -> Self {
        BatchJacobian {
            src: Source::new(JacobianKind::FiniteDifferences),
        }
    }

    /// Declares `f` independent of `t`: `∂f/∂t = 0`, saving one evaluation of `f` per step.
    pub fn autonomous(mut self) -> Self {
        self.src.time = TimeKind::Zero;
        self
    }

    /// Supplies `∂f/∂t` exactly: `dfdt(t, y)` returns a `[B, n]` tensor.
    pub fn with_time_derivative(
        mut self,
        dfdt: impl FnMut(f64, &Tensor) -> Result<Tensor> + 'a,
    ) -> Self {
        self.src.time = TimeKind::Analytic(Box::new(dfdt));
        self
    }

    /// `J(t, y)` as `[B, n, n]`; `f0 = f(t, y)` is needed by finite differences. Returns the
    /// Jacobian and the number of (batched) evaluations of `f` spent.
    pub(crate) fn jacobian<F>(
        &mut self,
        f: &mut F,
        t: f64,
        y: &Tensor,
        f0: &Tensor,
    ) -> Result<(Tensor, usize)>
    where
        F: FnMut(f64, &Tensor, &mut Tensor) -> Result<()>,
    {
        let (b, n) = (y.dims()[0], y.dims()[1]);
        match &mut self.src.kind {
            JacobianKind::Analytic(j) => {
                let jm = j(t, y)?;
                expect_dims("jac", &jm, &[b, n, n])?;
                Ok((jm, 0))
            }
            JacobianKind::Autodiff(fv) => Ok((jacobian_autodiff_batch(fv, t, y)?, 0)),
            JacobianKind::FiniteDifferences => {
                let eps = dtype_eps(y.dtype());
                // δ_{b,j} = sqrt(ε·max(1e-5, |y_{b,j}|)); the increment actually represented is
                // (y + δ) − y, taken per column below.
                let delta = y.abs()?.maximum_scalar(1e-5)?.mul_scalar(eps)?.sqrt()?;
                let eye = Tensor::eye(n, y.dtype(), y.device())?;
                let mut fp = f0.zeros_like()?;
                let mut cols = Vec::with_capacity(n);
                for j in 0..n {
                    let mask = eye.narrow(0, j, 1)?;
                    let yp = y.add(&delta.mul(&mask)?)?;
                    let dj = yp.sub(y)?.narrow(1, j, 1)?;
                    f(t, &yp, &mut fp)?;
                    cols.push(fp.sub(f0)?.div(&dj)?);
                }
                let refs: Vec<&Tensor> = cols.iter().collect();
                Ok((Tensor::stack(&refs, 2)?, n))
            }
        }
    }

    /// `∂f/∂t (t, y)` as `[B, n]` in the state's dtype, or `None` when declared zero; returns
    /// the number of evaluations of `f` spent.
    pub(crate) fn time_derivative<F>(
        &mut self,
        f: &mut F,
        t: f64,
        y: &Tensor,
        f0: &Tensor,
    ) -> Result<(Option<Tensor>, usize)>
    where
        F: FnMut(f64, &Tensor, &mut Tensor) -> Result<()>,
    {
        match &mut self.src.time {
            TimeKind::Zero => Ok((None, 0)),
            TimeKind::Analytic(g) => {
                let d = g(t, y)?;
                expect_dims("dfdt", &d, y.dims())?;
                Ok((Some(d.to_dtype(y.dtype())?), 0))
            }
            TimeKind::FiniteDifference => {
                let delta = dtype_eps(y.dtype()).sqrt() * t.abs().max(1.0);
                let dt = (t + delta) - t;
                let mut fp = f0.zeros_like()?;
                f(t + dt, y, &mut fp)?;
                Ok((Some(fp.sub(f0)?.mul_scalar(1.0 / dt)?), 1))
            }
        }
    }
}

/// `J_b(t, y_b)` for every row `b` of a `[B, n]` state, by reverse-mode autodiff of a
/// right-hand side written over [`Var`]: returns `[B, n, n]` with `J[b, i, j] = ∂f_{b,i}/∂y_{b,j}`.
///
/// Records `f(t, y)` once with `y` as a leaf; for each output component `i` one reverse pass
/// with the seed `1` in column `i` of every row gives `∇_y Σ_b f_{b,i}`, whose row `b` is row
/// `i` of `J_b` because the systems do not couple. `n` passes in all, whatever `B`; exact to
/// rounding. A right-hand side that mixes rows gets a wrong answer (the sum over `b` would
/// fold the coupling in), so the batch must hold independent systems.
///
/// ```
/// use fluxion_autodiff::Var;
/// use fluxion_diffeq::jacobian_autodiff_batch;
/// use fluxion_tensor::{Device, Tensor};
/// // f_b(y) = y_b²: J_b = diag(2y_b).
/// let f = |_t: f64, y: &Var| y.mul(y);
/// let y = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2], &Device::Cpu)?;
/// let j = jacobian_autodiff_batch(&f, 0.0, &y)?;
/// assert_eq!(j.to_vec::<f64>()?, vec![2.0, 0.0, 0.0, 4.0, 6.0, 0.0, 0.0, 8.0]);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `y` is not `[B, n]` or `f`
/// does not return `[B, n]`; autodiff and tensor errors from `f`.
pub fn jacobian_autodiff_batch<G>(f: &G, t: f64, y: &Tensor) -> Result<Tensor>
where
    G: Fn(f64, &Var) -> fluxion_autodiff::Result<Var> + ?Sized,
{
    if y.rank() != 2 {
        return Err(invalid(
            "y",
            format!("must be [B, n], got shape {:?}", y.dims()),
        ));
    }
    let (b, n) = (y.dims()[0], y.dims()[1]);
    let x = Var::leaf(y.clone());
    let out = f(t, &x)?;
    if out.dims() != [b, n] {
        return Err(invalid(
            "f_var",
            format!("returned shape {:?} for a state of [{b}, {n}]", out.dims()),
        ));
    }
    let eye = Tensor::eye(n, y.dtype(), y.device())?;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let seed = eye.narrow(0, i, 1)?.broadcast_to([b, n])?.contiguous()?;
        let opts = GradOptions {
            create_graph: false,
            retain_graph: Some(i + 1 < n),
        };
        let g = grad_with(
            &[out.clone()],
            &[x.clone()],
            Some(&[Var::constant(seed)]),
            opts,
        )?;
        rows.push(g[0].tensor());
    }
    let refs: Vec<&Tensor> = rows.iter().collect();
    Ok(Tensor::stack(&refs, 1)?)
}
