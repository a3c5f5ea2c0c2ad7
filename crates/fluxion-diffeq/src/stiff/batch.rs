//! The adaptive Rosenbrock driver for a batch of independent systems held as one `[B, n]`
//! [`Tensor`] (f32 or f64, any device).

use fluxion_tensor::{DType, Device, Shape, Tensor};

use crate::controller::{plan_step, StepSpan};
use crate::dense::{eval_step, DenseOutput};
use crate::error::{invalid, Error, Result};
use crate::options::{Options, SaveAt, Stats, StepMode};
use crate::solve::Solution;
use crate::state::{rms_norm, OdeState};

use super::batch_jacobian::BatchJacobian;
use super::batch_lu::BatchLu;
use super::control::{RosenbrockOptions, StepControl};
use super::dense::{dense_slopes, ROSENBROCK_DENSE, ROSENBROCK_DENSE_LEN};
use super::rosenbrock::{check_args, first_step, MAX_RETRIES};
use super::tableau::{RosenbrockTableau, StiffMethod};

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
    mut f: F,
    mut jac: BatchJacobian<'_>,
    t_span: (f64, f64),
    y0: &Tensor,
    opts: &Options,
    ropts: &RosenbrockOptions,
) -> Result<Solution<Tensor>>
where
    F: FnMut(f64, &Tensor, &mut Tensor) -> Result<()>,
{
    let tab: &RosenbrockTableau = method.tableau();
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
    let nn = n * n;
    let (t0, t_end) = t_span;
    let times = check_args(t_span, bsz * n, n, opts)?;
    let span = t_end - t0;
    let dir = if span < 0.0 { -1.0 } else { 1.0 };
    let adaptive = matches!(opts.step, StepMode::Adaptive { .. });
    let (rtol, atol) = (&opts.rtol, &opts.atol);
    let device = y0.device().clone();
    let linear = match ropts.linear_solve {
        BatchLinearSolve::Auto if device.is_cpu() => BatchLinearSolve::HostLu,
        BatchLinearSolve::Auto => BatchLinearSolve::HostInverse,
        l => l,
    };

    let s = tab.stages();
    let mut y = y0.clone();
    let mut stats = Stats::default();
    let mut sol = Solution {
        ts: Vec::new(),
        ys: Vec::new(),
        stats,
        events: Vec::new(),
        terminated: false,
        dense: opts.dense.then(|| DenseOutput::new(&ROSENBROCK_DENSE)),
    };
    let mut next_time = 0;
    while next_time < times.len() && times[next_time] == t0 {
        sol.ts.push(t0);
        sol.ys.push(y.clone());
        next_time += 1;
    }
    if matches!(opts.save, SaveAt::Steps) || (span == 0.0 && matches!(opts.save, SaveAt::End)) {
        sol.ts.push(t0);
        sol.ys.push(y.clone());
    }
    if span == 0.0 {
        return Ok(sol);
    }

    let mut f0 = y.zeros_like()?;
    f(t0, &y, &mut f0)?;
    stats.f_evals += 1;
    if f0.dims() != y.dims() {
        return Err(invalid(
            "f",
            format!("returned shape {:?} for a state of [{bsz}, {n}]", f0.dims()),
        ));
    }
    let mut h = first_step(opts, &mut f, t0, &y, &f0, span, tab, &mut stats)? * dir;

    let span = StepSpan {
        t0,
        t_end,
        dir,
        adaptive,
        dt_fixed: h,
    };
    let k = tab.error_exponent();
    let mut lu = BatchLu::new(bsz, n);
    let mut jhost: Vec<f64> = Vec::new();
    let mut dfdt: Option<Tensor> = None;
    let mut emat = vec![0.0; bsz * nn];
    let mut inv_host = match linear {
        BatchLinearSolve::HostInverse => vec![0.0; bsz * nn],
        _ => Vec::new(),
    };
    let mut us: Vec<Tensor> = (0..s)
        .map(|_| OdeState::zeros_like(&y))
        .collect::<Result<_>>()?;
    let mut y_stage = y.zeros_like()?;
    let mut fs = y.zeros_like()?;
    let mut rhs = y.zeros_like()?;
    let mut y_new = y.zeros_like()?;
    let mut err = y.zeros_like()?;
    let mut ks: Vec<Tensor> = (0..ROSENBROCK_DENSE_LEN)
        .map(|_| OdeState::zeros_like(&y))
        .collect::<Result<_>>()?;
    let mut t = t0;
    let mut need_jac = true;
    let mut control = StepControl::new(ropts.controller, k);
    let mut steps = 0usize;
    let mut retries = 0usize;

    loop {
        if need_jac {
            let (jm, evals) = jac.jacobian(&mut f, t, &y, &f0)?;
            stats.f_evals += evals;
            jhost = to_host(&jm)?;
            let (d, evals) = jac.time_derivative(&mut f, t, &y, &f0)?;
            stats.f_evals += evals;
            dfdt = d;
            need_jac = false;
        }
        let (h_next, last) = plan_step(&span, t, h, stats.accepted, steps, opts)?;
        h = h_next;
        steps += 1;

        // E_b = I/(hγ) − J_b, factored once for all stages.
        let fac = 1.0 / (h * tab.gamma);
        for (e, j) in emat.iter_mut().zip(&jhost) {
            *e = -j;
        }
        for b in 0..bsz {
            for i in 0..n {
                emat[b * nn + i * n + i] += fac;
            }
        }
        if let Err((_system, column)) = lu.factor(&emat) {
            retries += 1;
            if retries >= MAX_RETRIES || !adaptive {
                return Err(Error::SingularMatrix {
                    t,
                    h,
                    steps,
                    column,
                });
            }
            stats.rejected += 1;
            h *= 0.5;
            control.failed();
            continue;
        }
        let inverse = match linear {
            BatchLinearSolve::HostInverse => {
                lu.inverse(&mut inv_host);
                Some(from_host(&inv_host, [bsz, n, n], dtype, &device)?)
            }
            _ => None,
        };

        // Stages: E·uᵢ = f(t + cᵢh, y + Σ aᵢⱼuⱼ) + Σ (Cᵢⱼ/h)uⱼ + h·dᵢ·∂f/∂t, batched.
        for i in 0..s {
            if i == 0 {
                fs = f0.clone();
            } else {
                Tensor::lin_comb(&mut y_stage, Some(&y), 1.0, tab.a[i], &us[..i])?;
                f(t + tab.c[i] * h, &y_stage, &mut fs)?;
                stats.f_evals += 1;
            }
            Tensor::lin_comb(&mut rhs, Some(&fs), 1.0 / h, tab.c_mat[i], &us[..i])?;
            if let (Some(d), true) = (&dfdt, tab.d[i] != 0.0) {
                rhs = rhs.add(&d.mul_scalar(h * tab.d[i])?)?;
            }
            us[i] = match &inverse {
                Some(inv) => inv.matmul(&rhs.unsqueeze(2)?)?.squeeze(2)?,
                None => {
                    let mut x = to_host(&rhs)?;
                    lu.solve(&mut x);
                    from_host(&x, [bsz, n], dtype, &device)?
                }
            };
        }
        Tensor::lin_comb(&mut y_new, Some(&y), 1.0, tab.b, &us)?;
        Tensor::lin_comb(&mut err, None, 1.0, tab.e, &us)?;
        let err_norm = if adaptive {
            rms_norm(&err, &y, &y_new, rtol, atol)?
        } else {
            0.0
        };
        if !err_norm.is_finite() || !y_new.is_finite()? {
            retries += 1;
            if retries >= MAX_RETRIES || !adaptive {
                return Err(Error::NonFiniteState { t, h, steps });
            }
            stats.rejected += 1;
            h *= 0.5;
            control.failed();
            continue;
        }
        retries = 0;
        if adaptive && err_norm > 1.0 {
            stats.rejected += 1;
            h *= control.reject(&opts.controller, err_norm);
            continue;
        }
        stats.accepted += 1;
        let t_new = if last { t_end } else { t + h };

        let times_due = next_time < times.len() && (times[next_time] - t_new) * dir <= 0.0;
        if times_due || sol.dense.is_some() {
            dense_slopes(tab, h, &y, &y_new, &us, &mut ks)?;
        }
        match &opts.save {
            SaveAt::Steps => {
                sol.ts.push(t_new);
                sol.ys.push(y_new.clone());
            }
            SaveAt::Times(_) => {
                while next_time < times.len() && (times[next_time] - t_new) * dir <= 0.0 {
                    let te = times[next_time];
                    let mut ye = y_new.clone();
                    if te != t_new {
                        eval_step(&ROSENBROCK_DENSE, t, h, &y, &ks, te, &mut ye)?;
                    }
                    sol.ts.push(te);
                    sol.ys.push(ye);
                    next_time += 1;
                }
            }
            SaveAt::End => {}
        }
        if let Some(d) = sol.dense.as_mut() {
            d.push(t, h, &y, &ks);
        }

        let factor = if adaptive {
            control.accept(&opts.controller, err_norm, h)
        } else {
            1.0
        };
        std::mem::swap(&mut y, &mut y_new);
        t = t_new;
        if last {
            break;
        }
        f(t, &y, &mut f0)?;
        stats.f_evals += 1;
        need_jac = true;
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
