//! The Rosenbrock solve of a batch of independent systems held as one `[B, n]` [`Tensor`]
//! (f32 or f64, any device): the public entry points, [`BatchLinearSolve`] and the host-side
//! [`BatchLu`] linear algebra the step loop of [`driver`](super::driver) runs on.

use fluxion_tensor::{DType, Device, Shape, Tensor};

use crate::error::{invalid, Result};
use crate::options::Options;
use crate::solve::Solution;

use super::batch_jacobian::BatchJacobian;
use super::batch_lu::BatchLu;
use super::control::RosenbrockOptions;
use super::driver::{rosenbrock, Linearisation};
use super::tableau::StiffMethod;
#[cfg(doc)]
use crate::{
    error::Error,
    options::{SaveAt, Stats},
};

/// How [`solve_stiff_batch_with`] solves the stage systems `(I/(hγ) − J_b)·u_b = r_b`.
///
/// Fluxion's tensors have no LU (nor triangular solve) of their own, so both strategies factor
/// on the host: `J` is copied to host memory once per step (in f64, whatever the state's
/// dtype), and every `I/(hγ) − J_b` is factored by [`BatchLu`] (partial pivoting, rayon over
/// the batch). They differ in how the 8 stages of a step reach the factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchLinearSolve {
    /// [`HostLu`](BatchLinearSolve::HostLu) for CPU tensors,
    /// [`HostInverse`](BatchLinearSolve::HostInverse) for any other device.
    #[default]
    Auto,
    /// Each stage copies its `[B, n]` right-hand side to the host, solves with the LU factors
    /// in f64 and copies back. On the CPU the copies are cheap and the solve is backward
    /// stable; on a GPU it costs a device→host→device round trip (and a synchronisation) per
    /// stage.
    HostLu,
    /// The host forms `E_b⁻¹` from the factors (`n` solves per system) once per step and
    /// uploads it as `[B, n, n]` in the state's dtype; each stage is then one batched `matmul`
    /// on the state's device, with no transfer. Per step attempt: one download of `J`
    /// (`B·n²` values) and one upload of the inverses. The explicit inverse is not backward
    /// stable, but its forward error (`≈ cond(E)·ε`) is that of the LU solve in practice,
    /// which is what the step needs. Not run on a GPU in this crate's tests (no GPU was
    /// available); it is tested on the CPU against `HostLu`.
    HostInverse,
}

/// f64 host values as a tensor of `dtype` (f32 or f64) on `device` (one upload).
fn from_host(v: &[f64], shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Tensor> {
    Ok(match dtype {
        DType::F32 => {
            let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
            Tensor::from_vec(v32, shape, device)?
        }
        _ => Tensor::from_slice(v, shape, device)?,
    })
}

/// A tensor's values in f64 host memory, row-major.
fn to_host(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.to_dtype(DType::F64)?.to_vec::<f64>()?)
}

/// Solves the stiff problems `y_b' = f_b(t, y_b)`, `b = 0 … B−1`, held as one `[B, n]` state
/// tensor, with a Rosenbrock method: [`solve_stiff_batch_with`] with the default
/// [`RosenbrockOptions`] (PI controller, [`BatchLinearSolve::Auto`]).
///
/// # Errors
/// As [`solve_stiff_batch_with`].
pub fn solve_stiff_batch<F>(
    method: StiffMethod,
    f: F,
    jac: BatchJacobian<'_>,
    t_span: (f64, f64),
    y0: &Tensor,
    opts: &Options,
) -> Result<Solution<Tensor>>
where
    F: FnMut(f64, &Tensor, &mut Tensor) -> Result<()>,
{
    solve_stiff_batch_with(
        method,
        f,
        jac,
        t_span,
        y0,
        opts,
        &RosenbrockOptions::default(),
    )
}

/// Solves `B` independent stiff problems at once, `y0` of shape `[B, n]` (f32 or f64, any
/// device), with a Rosenbrock method and one step size for the whole batch.
///
/// The step is that of [`solve_stiff`](crate::solve_stiff) with every vector replaced by a
/// `[B, n]` tensor and every matrix by a `[B, n, n]` stack: per step `J_b` from `jac` (one
/// batched call), one LU of each `I/(hγ) − J_b` ([`RosenbrockOptions::linear_solve`] says
/// where), and per
/// stage one batched evaluation of `f` and one batched solve. All state arithmetic is in
/// tensor ops on `y0`'s device and dtype; only the linear algebra runs on the host in f64.
///
/// **Step control.** One `h` for the batch, controlled by the RMS norm over all `B·n`
/// entries, `sqrt(mean((err / (atol + rtol·max(|y₀|, |y₁|)))²))` — as torchdiffeq treats a
/// batched state. A batch therefore steps as its hardest member needs on average (the RMS
/// lets one member exceed the tolerance by up to `√B` on a step): for tolerance per system,
/// solve the systems separately or tighten `rtol` by `√B`. Tolerances may be scalar, per
/// component (`n`, broadcast over the batch) or per entry (`B·n`).
///
/// Otherwise the [`Options`] mean what they mean for [`solve_stiff`](crate::solve_stiff):
/// the controller (`Options::controller`, or the predictive one of
/// [`RosenbrockOptions::controller`]), `max_steps`, `dt_min`, fixed steps, [`SaveAt`] (`Times` through Rodas5P's
/// own 4th-order interpolant) and [`Options::dense`] (a whole-span
/// [`DenseOutput<Tensor>`](crate::DenseOutput)). [`Stats::f_evals`] counts batched calls of
/// `f`.
///
/// ```
/// use fluxion_diffeq::{solve_stiff_batch, BatchJacobian, Options, StiffMethod};
/// use fluxion_tensor::{Device, Tensor};
/// // y_b' = λ_b·(y_b − cos t) − sin t, y_b(0) = 1 → y_b = cos t, for λ = −1, −1e3, −1e6.
/// let dev = Device::Cpu;
/// let lam = Tensor::from_vec(vec![-1.0, -1e3, -1e6], [3, 1], &dev)?;
/// let lam_j = lam.unsqueeze(2)?;
/// let lam_t = lam.clone();
/// let f = move |t: f64, y: &Tensor, dy: &mut Tensor| {
///     *dy = y.sub_scalar(t.cos())?.mul(&lam)?.sub_scalar(t.sin())?;
///     Ok(())
/// };
/// let jac = BatchJacobian::analytic(move |_t, _y: &Tensor| Ok(lam_j.clone()))
///     .with_time_derivative(move |t, _y: &Tensor| {
///         Ok(lam_t.mul_scalar(t.sin())?.sub_scalar(t.cos())?)
///     });
/// let y0 = Tensor::ones([3, 1], fluxion_tensor::DType::F64, &dev)?;
/// let opts = Options::adaptive(1e-8, 1e-10);
/// let sol = solve_stiff_batch(StiffMethod::Rodas5P, f, jac, (0.0, 5.0), &y0, &opts)?;
/// for v in sol.y_last().to_vec::<f64>()? {
///     assert!((v - 5f64.cos()).abs() < 1e-7);
/// }
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] when `y0` is not a rank-2 f32/f64 tensor, for bad options, or
/// when `jac` returns the wrong shape; [`Error::SingularMatrix`] when some `I/(hγ) − J_b`
/// stays singular or non-finite over 5 halvings of `h` (`column` names the failing column of
/// the first such system; the batch index is not reported); [`Error::NonFiniteState`] when a
/// step stays non-finite over 5 halvings; [`Error::StepSizeUnderflow`],
/// [`Error::MaxStepsReached`]; any error from `f` or `jac`.
pub fn solve_stiff_batch_with<F>(
    method: StiffMethod,
    f: F,
    jac: BatchJacobian<'_>,
    t_span: (f64, f64),
    y0: &Tensor,
    opts: &Options,
    ropts: &RosenbrockOptions,
) -> Result<Solution<Tensor>>
where
    F: FnMut(f64, &Tensor, &mut Tensor) -> Result<()>,
{
    if y0.rank() != 2 {
        return Err(invalid(
            "y0",
            format!(
                "must be [B, n] (a batch of states), got shape {:?}",
                y0.dims()
            ),
        ));
    }
    let dtype = y0.dtype();
    if !matches!(dtype, DType::F32 | DType::F64) {
        return Err(invalid(
            "y0",
            format!("dtype must be f32 or f64, got {dtype:?}"),
        ));
    }
    let (bsz, n) = (y0.dims()[0], y0.dims()[1]);
    let device = y0.device().clone();
    let linear = match ropts.linear_solve {
        BatchLinearSolve::Auto if device.is_cpu() => BatchLinearSolve::HostLu,
        BatchLinearSolve::Auto => BatchLinearSolve::HostInverse,
        l => l,
    };
    let mut lin = BatchSystems {
        jac,
        linear,
        dtype,
        device,
        bsz,
        n,
        lu: BatchLu::new(bsz, n),
        jhost: Vec::new(),
        dfdt: None,
        emat: vec![0.0; bsz * n * n],
        inv_host: match linear {
            BatchLinearSolve::HostInverse => vec![0.0; bsz * n * n],
            _ => Vec::new(),
        },
        inverse: None,
    };
    rosenbrock(
        method.tableau(),
        f,
        &mut lin,
        t_span,
        y0.clone(),
        opts,
        ropts,
    )
}

/// A batch's linear algebra: `J` (`[B, n, n]`) from a [`BatchJacobian`] copied to the host,
/// every `E_b = I/(hγ) − J_b` factored by [`BatchLu`], stages solved as
/// [`BatchLinearSolve`] says.
struct BatchSystems<'a> {
    jac: BatchJacobian<'a>,
    linear: BatchLinearSolve,
    dtype: DType,
    device: Device,
    bsz: usize,
    n: usize,
    lu: BatchLu,
    jhost: Vec<f64>,
    dfdt: Option<Tensor>,
    emat: Vec<f64>,
    inv_host: Vec<f64>,
    /// `E_b⁻¹` as `[B, n, n]` on the state's device ([`BatchLinearSolve::HostInverse`]).
    inverse: Option<Tensor>,
}

impl Linearisation<Tensor> for BatchSystems<'_> {
    fn check_rhs(&self, f0: &Tensor) -> Result<()> {
        let (bsz, n) = (self.bsz, self.n);
        if f0.dims() != [bsz, n] {
            return Err(invalid(
                "f",
                format!("returned shape {:?} for a state of [{bsz}, {n}]", f0.dims()),
            ));
        }
        Ok(())
    }

    fn linearise<F>(&mut self, f: &mut F, t: f64, y: &Tensor, f0: &Tensor) -> Result<usize>
    where
        F: FnMut(f64, &Tensor, &mut Tensor) -> Result<()>,
    {
        let (jm, evals) = self.jac.jacobian(f, t, y, f0)?;
        self.jhost = to_host(&jm)?;
        let (d, evals_t) = self.jac.time_derivative(f, t, y, f0)?;
        self.dfdt = d;
        Ok(evals + evals_t)
    }

    fn factor(&mut self, fac: f64) -> Result<std::result::Result<(), usize>> {
        let (n, nn) = (self.n, self.n * self.n);
        for (e, j) in self.emat.iter_mut().zip(&self.jhost) {
            *e = -j;
        }
        for b in 0..self.bsz {
            for i in 0..n {
                self.emat[b * nn + i * n + i] += fac;
            }
        }
        if let Err((_system, column)) = self.lu.factor(&self.emat) {
            return Ok(Err(column));
        }
        self.inverse = match self.linear {
            BatchLinearSolve::HostInverse => {
                self.lu.inverse(&mut self.inv_host);
                let dims = [self.bsz, n, n];
                Some(from_host(&self.inv_host, dims, self.dtype, &self.device)?)
            }
            _ => None,
        };
        Ok(Ok(()))
    }

    fn solve(&mut self, u: &mut Tensor) -> Result<()> {
        *u = match &self.inverse {
            Some(inv) => inv.matmul(&u.unsqueeze(2)?)?.squeeze(2)?,
            None => {
                let mut x = to_host(u)?;
                self.lu.solve(&mut x);
                from_host(&x, [self.bsz, self.n], self.dtype, &self.device)?
            }
        };
        Ok(())
    }

    fn add_time_derivative(&self, u: &mut Tensor, hd: f64) -> Result<()> {
        if let Some(d) = &self.dfdt {
            *u = u.add(&d.mul_scalar(hd)?)?;
        }
        Ok(())
    }
}
