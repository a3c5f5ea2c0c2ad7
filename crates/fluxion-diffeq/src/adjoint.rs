//! Continuous adjoint sensitivities with interpolating checkpoints.
//!
//! For `y' = f(t, y, θ)` on save times `t_0 < … < t_N` and a loss `L(y(t_0), …, y(t_N))`, the
//! adjoint `a(t) = ∂L/∂y(t)` solves, backward in time (Chen et al. 2018, "Neural Ordinary
//! Differential Equations", eq. 4; Pontryagin's adjoint),
//!
//! ```text
//! a' = −aᵀ ∂f/∂y,    θ̄' = −aᵀ ∂f/∂θ,    a(t_N) = ∂L/∂y(t_N),  θ̄(t_N) = 0,
//! ```
//!
//! with a jump `a += ∂L/∂y(t_i)` at every earlier save time; then `∂L/∂y(t_0) = a(t_0)` and
//! `∂L/∂θ = θ̄(t_0)`. Each right-hand side evaluation is one evaluation of `f` over
//! [`Var`]s and one vector–Jacobian product by [`grad`].
//!
//! `y(t)` is **not** re-integrated backward from `y(t_N)` (unstable for dissipative systems, and
//! inexact: torchdiffeq's `odeint_adjoint`, diffrax's `BacksolveAdjoint`). The forward solve
//! stores `y` only at the checkpoints (the save times plus optional evenly spaced extra ones);
//! the backward pass re-solves each segment forward from its checkpoint with dense output and
//! reads `y(t)` off the interpolant — the interpolated adjoint of Daulbaev et al. (2020,
//! "Interpolation technique to speed up gradients propagation in neural ODEs"), with memory
//! O(checkpoints) plus one segment's steps (compare diffrax's `RecursiveCheckpointAdjoint`).
//!
//! With [`AdjointOptions::seminorm`] the adjoint's step control measures `a` only, ignoring
//! the parameter accumulators `θ̄`, whose error never feeds back into the solution (Kidger,
//! Chen & Lyons 2021, "'Hey, that's not an ODE': Faster ODE Adjoints via Seminorms").
//!
//! A custom recorded op would let `backward` run the adjoint; `fluxion_autodiff` has no
//! custom-op hook, so this module is functional: [`odeint_adjoint`] returns the trajectory and
//! an [`AdjointSolve`] whose [`AdjointSolve::gradients`] maps `∂L/∂y(t_i)` to
//! [`AdjointGrads`], and [`AdjointSolve::backward`] accumulates into the parameters' `.grad`.

use fluxion_autodiff::{grad, no_grad, GradModeGuard, Var};
use fluxion_tensor::Tensor;

use crate::error::{invalid, Result};
use crate::options::{Options, SaveAt, Stats};
use crate::solve::solve;
use crate::state::{OdeState, Tolerance};
use crate::tableau::Method;

/// Options of [`odeint_adjoint`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdjointOptions {
    /// The forward solve (and the per-segment re-solves); `save` and `dense` are overridden.
    pub forward: Options,
    /// The backward adjoint solve; tolerances must be scalars.
    pub backward: Options,
    /// Step control of the adjoint measures `a` only, not `θ̄` (Kidger et al. 2021).
    pub seminorm: bool,
    /// Extra checkpoints, evenly spaced over `[t_0, t_N]`, besides the save times.
    pub extra_checkpoints: usize,
}

impl AdjointOptions {
    /// Adaptive forward and backward solves with the same scalar tolerances, full norm, no extra
    /// checkpoints.
    pub fn new(rtol: f64, atol: f64) -> Self {
        AdjointOptions {
            forward: Options::adaptive(rtol, atol),
            backward: Options::adaptive(rtol, atol),
            seminorm: false,
            extra_checkpoints: 0,
        }
    }

    /// The same options with the seminorm switched on or off.
    pub fn seminorm(mut self, on: bool) -> Self {
        self.seminorm = on;
        self
    }

    /// The same options with `n` extra evenly spaced checkpoints.
    pub fn extra_checkpoints(mut self, n: usize) -> Self {
        self.extra_checkpoints = n;
        self
    }
}

/// Counters of an adjoint solve, for tests and tuning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdjointStats {
    /// The forward solve.
    pub forward: Stats,
    /// The per-segment forward re-solves with dense output (summed).
    pub resolve: Stats,
    /// The backward adjoint solves (summed over segments).
    pub backward: Stats,
    /// States stored between the forward and the backward pass.
    pub checkpoints: usize,
    /// Most dense-output steps held at once (one segment's re-solve).
    pub max_dense_steps: usize,
}

/// Gradients from [`AdjointSolve::gradients`].
#[derive(Debug, Clone)]
pub struct AdjointGrads {
    /// `∂L/∂y_0`, shaped like `y_0`.
    pub y0: Tensor,
    /// `∂L/∂θ_j`, one per parameter, shaped like it.
    pub params: Vec<Tensor>,
    /// Step counts of the forward, re-solve and backward passes.
    pub stats: AdjointStats,
}

/// The forward result of [`odeint_adjoint`]: the states at the save times and the checkpoints
/// the backward pass needs.
#[derive(Debug)]
pub struct AdjointSolve<'a, F> {
    method: Method,
    f: F,
    params: &'a [Var],
    opts: AdjointOptions,
    /// Save times `t_0 < … < t_N`.
    pub ts: Vec<f64>,
    /// `y(t_i)` at the save times.
    pub ys: Vec<Tensor>,
    /// Checkpoint times and states (the save times included).
    checkpoints: Vec<(f64, Tensor)>,
    /// Index into `ts` of each checkpoint that is a save time.
    save_index: Vec<Option<usize>>,
    forward_stats: Stats,
}

/// `f(t, y)` as a tensor, with recording off.
fn eval_detached<F>(f: &F, t: f64, y: &Tensor, params: &[Var]) -> Result<Tensor>
where
    F: Fn(f64, &Var, &[Var]) -> Result<Var>,
{
    no_grad(|| f(t, &Var::constant(y.clone()), params)).map(|v| v.tensor())
}

/// Solves `y' = f(t, y, θ)` from `y(ts[0]) = y0` and keeps what the adjoint pass needs.
///
/// `f(t, y, params)` is written over [`Var`]s; `params` are the variables θ to differentiate
/// by (usually leaves: a module's [`parameters`](fluxion_nn::Module::parameters)). `ts` must be
/// strictly increasing with at least two entries.
///
/// ```
/// use fluxion_autodiff::Var;
/// use fluxion_diffeq::{odeint_adjoint, AdjointOptions, Method};
/// use fluxion_tensor::{Device, Tensor};
/// // y' = −k y: y(1) = e^{−k}, ∂y(1)/∂k = −e^{−k}, ∂y(1)/∂y0 = e^{−k}.
/// let k = Var::leaf(Tensor::from_vec(vec![0.5f64], [1], &Device::Cpu)?);
/// let y0 = Tensor::from_vec(vec![1.0f64], [1], &Device::Cpu)?;
/// let f = |_t: f64, y: &Var, p: &[Var]| Ok(y.mul(&p[0])?.neg()?);
/// let params = [k];
/// let sol = odeint_adjoint(Method::Dopri5, f, &params, &y0, &[0.0, 1.0],
///                          &AdjointOptions::new(1e-10, 1e-10))?;
/// let ones = Tensor::from_vec(vec![1.0f64], [1], &Device::Cpu)?;
/// let zeros = ones.zeros_like()?;
/// let g = sol.gradients(&[zeros, ones])?;
/// let dk = g.params[0].to_vec::<f64>()?[0];
/// assert!((dk + (-0.5f64).exp()).abs() < 1e-8);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for unsorted or too few `ts`;
/// solver errors and errors from `f`.
pub fn odeint_adjoint<'a, F>(
    method: Method,
    f: F,
    params: &'a [Var],
    y0: &Tensor,
    ts: &[f64],
    opts: &AdjointOptions,
) -> Result<AdjointSolve<'a, F>>
where
    F: Fn(f64, &Var, &[Var]) -> Result<Var>,
{
    if ts.len() < 2
        || ts
            .windows(2)
            .any(|w| w[1].partial_cmp(&w[0]).is_none() || w[1] <= w[0])
    {
        return Err(invalid(
            "ts",
            "needs at least two strictly increasing, finite times",
        ));
    }
    for (name, tol) in [("rtol", &opts.backward.rtol), ("atol", &opts.backward.atol)] {
        if !matches!(tol, Tolerance::Scalar(_)) {
            return Err(invalid(
                name,
                "the adjoint solve takes scalar tolerances only",
            ));
        }
    }
    let (t0, t1) = (ts[0], ts[ts.len() - 1]);
    // Checkpoint times: the save times merged with the extra ones.
    let mut times: Vec<(f64, Option<usize>)> =
        ts.iter().enumerate().map(|(i, &t)| (t, Some(i))).collect();
    let m = opts.extra_checkpoints;
    for j in 1..=m {
        let t = t0 + (t1 - t0) * j as f64 / (m + 1) as f64;
        if !ts.contains(&t) {
            times.push((t, None));
        }
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let fwd = opts
        .forward
        .clone()
        .save(SaveAt::Times(times.iter().map(|p| p.0).collect()))
        .dense(false);
    let sol = solve(
        method,
        |t, y: &Tensor, dy: &mut Tensor| {
            *dy = eval_detached(&f, t, y, params)?;
            Ok(())
        },
        (t0, t1),
        y0,
        &fwd,
    )?;
    let checkpoints: Vec<(f64, Tensor)> = sol.ts.into_iter().zip(sol.ys).collect();
    let save_index: Vec<Option<usize>> = times.iter().map(|p| p.1).collect();
    let ys = checkpoints
        .iter()
        .zip(&save_index)
        .filter(|(_, i)| i.is_some())
        .map(|(c, _)| c.1.clone())
        .collect();
    Ok(AdjointSolve {
        method,
        f,
        params,
        opts: opts.clone(),
        ts: ts.to_vec(),
        ys,
        checkpoints,
        save_index,
        forward_stats: sol.stats,
    })
}

impl<F> AdjointSolve<'_, F>
where
    F: Fn(f64, &Var, &[Var]) -> Result<Var>,
{
    /// The trajectory `[T, …]`: the states at the save times stacked on a new first axis.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn trajectory(&self) -> Result<Tensor> {
        Ok(Tensor::stack(&self.ys.iter().collect::<Vec<_>>(), 0)?)
    }

    /// Number of stored checkpoint states (the save times plus the extra checkpoints).
    pub fn n_checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// `∂L/∂y_0` and `∂L/∂θ` from `dl_dy[i] = ∂L/∂y(t_i)` by the backward adjoint pass.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `dl_dy` does not hold one
    /// tensor per save time; solver errors and errors from `f`.
    pub fn gradients(&self, dl_dy: &[Tensor]) -> Result<AdjointGrads> {
        if dl_dy.len() != self.ts.len() {
            return Err(invalid(
                "dl_dy",
                format!(
                    "needs one tensor per save time ({}), got {}",
                    self.ts.len(),
                    dl_dy.len()
                ),
            ));
        }
        let (f, params) = (&self.f, self.params);
        let n_norm = if self.opts.seminorm {
            1
        } else {
            1 + params.len()
        };
        let mut parts = vec![dl_dy[dl_dy.len() - 1].clone()];
        for p in params {
            parts.push(p.tensor().zeros_like()?);
        }
        let mut state = AdjointState { parts, n_norm };
        let mut stats = AdjointStats {
            forward: self.forward_stats,
            checkpoints: self.checkpoints.len(),
            ..AdjointStats::default()
        };
        let resolve_opts = self.opts.forward.clone().save(SaveAt::End).dense(true);
        let back_opts = self.opts.backward.clone().save(SaveAt::End).dense(false);
        // Recording must be on for the vector–Jacobian products, whatever the caller's mode.
        let _guard = GradModeGuard::set(true);
        for k in (0..self.checkpoints.len() - 1).rev() {
            let (ta, ya) = &self.checkpoints[k];
            let tb = self.checkpoints[k + 1].0;
            let seg = solve(
                self.method,
                |t, y: &Tensor, dy: &mut Tensor| {
                    *dy = eval_detached(f, t, y, params)?;
                    Ok(())
                },
                (*ta, tb),
                ya,
                &resolve_opts,
            )?;
            add_stats(&mut stats.resolve, &seg.stats);
            let dense = seg.dense.expect("dense output was requested");
            stats.max_dense_steps = stats.max_dense_steps.max(dense.n_steps());
            let back = solve(
                self.method,
                |t, s: &AdjointState, ds: &mut AdjointState| {
                    let y = dense.eval(t.clamp(*ta, tb))?;
                    let yv = Var::leaf(y);
                    let out = f(t, &yv, params)?;
                    let mut inputs = Vec::with_capacity(1 + params.len());
                    inputs.push(yv);
                    inputs.extend(params.iter().cloned());
                    let a = Var::constant(s.parts[0].clone());
                    let g = grad(&[out], &inputs, Some(&[a]), false)?;
                    ds.parts = g
                        .iter()
                        .map(|v| v.tensor().neg())
                        .collect::<std::result::Result<_, _>>()?;
                    ds.n_norm = s.n_norm;
                    Ok(())
                },
                (tb, *ta),
                &state,
                &back_opts,
            )?;
            add_stats(&mut stats.backward, &back.stats);
            state = back
                .ys
                .into_iter()
                .last()
                .expect("a solution holds a state");
            if let Some(i) = self.save_index[k] {
                state.parts[0] = state.parts[0].add(&dl_dy[i])?;
            }
        }
        let mut parts = state.parts.into_iter();
        let y0 = parts.next().expect("the adjoint state holds a");
        Ok(AdjointGrads {
            y0,
            params: parts.collect(),
            stats,
        })
    }

    /// Runs [`AdjointSolve::gradients`] and adds `∂L/∂θ_j` to each parameter's `.grad`, as
    /// [`Var::backward`] would; returns the gradients.
    ///
    /// # Errors
    /// As [`AdjointSolve::gradients`].
    pub fn backward(&self, dl_dy: &[Tensor]) -> Result<AdjointGrads> {
        let g = self.gradients(dl_dy)?;
        for (p, gp) in self.params.iter().zip(&g.params) {
            let sum = match p.grad() {
                Some(old) => old.add(gp)?,
                None => gp.clone(),
            };
            p.set_grad(Some(sum));
        }
        Ok(g)
    }
}

/// [`odeint_adjoint`] followed by [`AdjointSolve::gradients`], for a loss whose gradients with
/// respect to the saved states are known in advance.
///
/// # Errors
/// As [`odeint_adjoint`] and [`AdjointSolve::gradients`].
pub fn adjoint_gradients<F>(
    method: Method,
    f: F,
    params: &[Var],
    y0: &Tensor,
    ts: &[f64],
    dl_dy: &[Tensor],
    opts: &AdjointOptions,
) -> Result<AdjointGrads>
where
    F: Fn(f64, &Var, &[Var]) -> Result<Var>,
{
    odeint_adjoint(method, f, params, y0, ts, opts)?.gradients(dl_dy)
}

fn add_stats(acc: &mut Stats, s: &Stats) {
    acc.accepted += s.accepted;
    acc.rejected += s.rejected;
    acc.f_evals += s.f_evals;
}

/// The augmented adjoint state `(a, θ̄_1, …, θ̄_m)`; the error norm covers the first `n_norm`
/// parts (1 for the seminorm, all for the full norm).
#[derive(Debug, Clone)]
struct AdjointState {
    parts: Vec<Tensor>,
    n_norm: usize,
}

impl OdeState for AdjointState {
    fn zeros_like(&self) -> Result<Self> {
        Ok(AdjointState {
            parts: self
                .parts
                .iter()
                .map(Tensor::zeros_like)
                .collect::<std::result::Result<_, _>>()?,
            n_norm: self.n_norm,
        })
    }

    fn n_components(&self) -> usize {
        self.parts[..self.n_norm]
            .iter()
            .map(Tensor::elem_count)
            .sum()
    }

    fn lin_comb(
        out: &mut Self,
        base: Option<&Self>,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<()> {
        // Buffers come from `zeros_like`, so every state has the same parts.
        let mut col: Vec<Tensor> = Vec::with_capacity(ks.len());
        for j in 0..out.parts.len() {
            col.clear();
            col.extend(ks.iter().map(|k| k.parts[j].clone()));
            Tensor::lin_comb(
                &mut out.parts[j],
                base.map(|b| &b.parts[j]),
                h,
                coeffs,
                &col,
            )?;
        }
        if let Some(k) = ks.first().or(base) {
            out.n_norm = k.n_norm;
        }
        Ok(())
    }

    fn weighted_sq_sum(
        err: &Self,
        y0: &Self,
        y1: &Self,
        rtol: &Tolerance,
        atol: &Tolerance,
    ) -> Result<f64> {
        let mut acc = 0.0;
        for j in 0..err.n_norm {
            acc += Tensor::weighted_sq_sum(&err.parts[j], &y0.parts[j], &y1.parts[j], rtol, atol)?;
        }
        Ok(acc)
    }

    fn is_finite(&self) -> Result<bool> {
        for p in &self.parts {
            if !OdeState::is_finite(p)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn assign(&mut self, src: &Self) -> Result<()> {
        *self = src.clone();
        Ok(())
    }
}
