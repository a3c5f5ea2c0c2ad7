//! L-BFGS (PyTorch's `torch.optim.LBFGS`), with an optional strong-Wolfe line search.

use std::collections::VecDeque;

use fluxion_autodiff::Var;
use fluxion_tensor::{DType, Device, Tensor};

use super::common::{flag, invalid, new_state, non_negative, StateReader};
use super::line_search::{dot, max_abs, StrongWolfe};
use super::{Optimizer, OptimizerState};
use crate::{Error, Result};

/// Settings of [`Lbfgs`]; `Default` gives PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsConfig {
    /// Learning rate: the step length tried first (default 1).
    pub lr: f64,
    /// Maximum iterations per [`Optimizer::step_with`] call (default 20).
    pub max_iter: usize,
    /// Maximum loss evaluations per call (default `None`: max_iter·5/4, rounded down).
    pub max_eval: Option<usize>,
    /// Stop when max|∇f| ≤ this (default 1e-7).
    pub tolerance_grad: f64,
    /// Stop when the step max|t·d| or the loss change is below this (default 1e-9).
    pub tolerance_change: f64,
    /// Number of curvature pairs (s, y) kept (default 100).
    pub history_size: usize,
    /// `None` (default): fixed steps of length `lr`; `Some`: a strong-Wolfe line search.
    pub line_search: Option<StrongWolfe>,
    /// Which curvature pairs are kept (default PyTorch's absolute yᵀs > 1e-10).
    pub curvature: CurvatureTest,
}

/// When L-BFGS keeps a curvature pair (s, y) = (x₊ − x, ∇f₊ − ∇f).
///
/// PyTorch's `torch.optim.LBFGS` keeps it when yᵀs > 1e-10, a threshold on an absolute scale:
/// yᵀs scales with the loss, so for losses of about 1e-6 (a trained PINN) most pairs fall
/// below it and are dropped, and the inverse-Hessian model goes stale. SciPy's L-BFGS-B
/// (Byrd, Lu, Nocedal & Zhu 1995; `lbfgsb.f`, `mainlb`) keeps it unless
/// yᵀs ≤ ε_mach·(−∇fᵀs): relative to the decrease the step promised, so the iterates do not
/// change when the loss is multiplied by a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CurvatureTest {
    /// Keep the pair when yᵀs > this (PyTorch: 1e-10).
    Absolute(f64),
    /// Keep the pair when yᵀs > this · (−∇fᵀs) (and yᵀs > 0), ∇f the gradient where the step
    /// started (SciPy's L-BFGS-B: machine epsilon, [`CurvatureTest::SCIPY`]).
    Relative(f64),
}

impl CurvatureTest {
    /// PyTorch's rule: yᵀs > 1e-10.
    pub const TORCH: CurvatureTest = CurvatureTest::Absolute(1e-10);
    /// SciPy L-BFGS-B's rule: yᵀs > ε_mach · (−∇fᵀs).
    pub const SCIPY: CurvatureTest = CurvatureTest::Relative(f64::EPSILON);

    /// Whether the pair with curvature `ys` = yᵀs and initial slope `gs` = ∇fᵀs is kept.
    pub fn keeps(self, ys: f64, gs: f64) -> bool {
        match self {
            CurvatureTest::Absolute(min) => ys > min,
            CurvatureTest::Relative(r) => ys > 0.0 && ys > r * -gs,
        }
    }

    fn threshold(self) -> f64 {
        match self {
            CurvatureTest::Absolute(v) | CurvatureTest::Relative(v) => v,
        }
    }
}

impl Default for CurvatureTest {
    fn default() -> Self {
        CurvatureTest::TORCH
    }
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            lr: 1.0,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search: None,
            curvature: CurvatureTest::TORCH,
        }
    }
}

impl LbfgsConfig {
    /// The evaluation budget per call: `max_eval`, or max_iter·5/4 rounded down.
    pub fn max_eval(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter * 5 / 4)
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the setting and its value: a negative (or NaN)
    /// `lr`, `tolerance_grad`, `tolerance_change` or curvature threshold, `max_iter` or
    /// `history_size` of 0, or line-search settings rejected by [`StrongWolfe::validate`].
    pub fn validate(&self) -> Result<()> {
        const WHAT: &str = "LbfgsConfig";
        non_negative(WHAT, "lr", self.lr)?;
        non_negative(WHAT, "curvature", self.curvature.threshold())?;
        non_negative(WHAT, "tolerance_grad", self.tolerance_grad)?;
        non_negative(WHAT, "tolerance_change", self.tolerance_change)?;
        if self.max_iter == 0 {
            return Err(invalid(WHAT, "max_iter", 0.0, "≥ 1"));
        }
        if self.history_size == 0 {
            return Err(invalid(WHAT, "history_size", 0.0, "≥ 1"));
        }
        self.line_search
            .as_ref()
            .map_or(Ok(()), StrongWolfe::validate)
    }
}

/// `a += alpha·b`.
fn axpy(a: &mut [f64], alpha: f64, b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += alpha * y;
    }
}

/// The state PyTorch's L-BFGS keeps between calls.
#[derive(Debug, Clone, Default)]
struct History {
    func_evals: u64,
    n_iter: u64,
    d: Option<Vec<f64>>,
    t: Option<f64>,
    old_dirs: VecDeque<Vec<f64>>,
    old_stps: VecDeque<Vec<f64>>,
    ro: VecDeque<f64>,
    h_diag: f64,
    prev_flat_grad: Option<Vec<f64>>,
    prev_loss: Option<f64>,
}

/// Limited-memory BFGS, as PyTorch's `torch.optim.LBFGS` (after minFunc), for full-batch
/// deterministic objectives such as PINN losses.
///
/// Each [`Optimizer::step_with`] call evaluates the closure at the current point, then
/// iterates (up to `max_iter` iterations and `max_eval` evaluations):
///
/// ```text
/// y = g − g_prev,  s = t·d;  keep (s, y), ρ = 1/yᵀs, H₀ = yᵀs/yᵀy   only when yᵀs > 1e-10
///            (PyTorch; or SciPy's relative rule, see [`CurvatureTest`])
/// d = −H·g   by the two-loop recursion over the last `history_size` pairs
///            (Nocedal & Wright 2006, Alg. 7.4); d = −g on the very first iteration
/// t = min(1, 1/‖g‖₁)·lr on the very first iteration, lr afterwards
/// stop if gᵀd > −tolerance_change
/// x ← x + t·d, t from the strong-Wolfe search (Alg. 3.5–3.6) or fixed
/// stop if max|g| ≤ tolerance_grad, max|t·d| ≤ tolerance_change,
///         |f − f_prev| < tolerance_change, or a budget is spent
/// ```
///
/// and returns the loss of the first evaluation. Without a line search the loss is not
/// re-evaluated after the last iteration (PyTorch's choice for stochastic settings).
///
/// Host algebra: gradients and directions are gathered into one flat host `Vec<f64>` (missing
/// gradients as zeros), where the dot products and the two-loop recursion run in f64;
/// parameters are updated as p ← p + t·d with tensor ops in their own dtype and device. For
/// f64 parameters this is PyTorch's arithmetic; for lower precisions the direction is more
/// accurate than PyTorch's in-dtype algebra.
///
/// State (`"lbfgs"`): scalars `func_evals`, `n_iter`, `t`, `H_diag`, `prev_loss`,
/// `history_len` and the settings; f64 1-D tensors `d`, `prev_flat_grad`, `ro`,
/// `old_dirs.{k}`, `old_stps.{k}` (k = 0 oldest). Reference:
/// <https://pytorch.org/docs/stable/generated/torch.optim.LBFGS.html>.
#[derive(Debug)]
pub struct Lbfgs {
    params: Vec<Var>,
    config: LbfgsConfig,
    numel: usize,
    history: History,
}

impl Lbfgs {
    /// L-BFGS over `params`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] from [`LbfgsConfig::validate`], or for an empty
    /// parameter list.
    pub fn new(params: Vec<Var>, config: LbfgsConfig) -> Result<Self> {
        config.validate()?;
        if params.is_empty() {
            return Err(Error::InvalidArgument {
                what: "Lbfgs::new",
                reason: "no parameters to optimize".into(),
            });
        }
        let numel = params.iter().map(Var::elem_count).sum();
        Ok(Lbfgs {
            params,
            config,
            numel,
            history: History {
                h_diag: 1.0,
                ..History::default()
            },
        })
    }

    /// The current settings.
    pub fn config(&self) -> &LbfgsConfig {
        &self.config
    }

    /// Total loss evaluations over every call so far.
    pub fn func_evals(&self) -> u64 {
        self.history.func_evals
    }

    /// Total iterations over every call so far.
    pub fn n_iter(&self) -> u64 {
        self.history.n_iter
    }

    /// Every gradient, flattened into one f64 vector (zeros for a missing gradient).
    fn gather_flat_grad(&self) -> Result<Vec<f64>> {
        let mut flat = Vec::with_capacity(self.numel);
        for p in &self.params {
            match p.grad() {
                Some(g) => flat.extend(g.to_dtype(DType::F64)?.to_vec::<f64>()?),
                None => flat.resize(flat.len() + p.elem_count(), 0.0),
            }
        }
        Ok(flat)
    }

    /// `d` cut into one tensor per parameter, in the parameter's shape, dtype and device.
    fn split(&self, d: &[f64]) -> Result<Vec<Tensor>> {
        let mut offset = 0;
        let mut parts = Vec::with_capacity(self.params.len());
        for p in &self.params {
            let x = p.tensor_ref();
            let n = x.elem_count();
            let host = d[offset..offset + n].to_vec();
            parts.push(Tensor::from_vec(host, x.shape().clone(), x.device())?.to_dtype(x.dtype())?);
            offset += n;
        }
        Ok(parts)
    }

    /// Sets each parameter to `x_i + t·d_i` (PyTorch's `_add_grad` from `x`).
    fn set_point(&self, x: &[Tensor], t: f64, d: &[Tensor]) -> Result<()> {
        for ((p, x), d) in self.params.iter().zip(x).zip(d) {
            p.set_value(x.add(&d.mul_scalar(t)?)?)?;
        }
        Ok(())
    }

    /// Restores each parameter to `x_i`.
    fn restore(&self, x: &[Tensor]) -> Result<()> {
        for (p, x) in self.params.iter().zip(x) {
            p.set_value(x.clone())?;
        }
        Ok(())
    }

    /// The two-loop recursion: the new direction d = −H·g (Nocedal & Wright Alg. 7.4).
    fn direction(&self, flat_grad: &[f64]) -> Vec<f64> {
        let h = &self.history;
        let k = h.old_dirs.len();
        let mut al = vec![0.0; k];
        let mut q: Vec<f64> = flat_grad.iter().map(|g| -g).collect();
        for i in (0..k).rev() {
            al[i] = dot(&h.old_stps[i], &q) * h.ro[i];
            axpy(&mut q, -al[i], &h.old_dirs[i]);
        }
        let mut r: Vec<f64> = q.iter().map(|v| v * h.h_diag).collect();
        for i in 0..k {
            let be_i = dot(&h.old_dirs[i], &r) * h.ro[i];
            axpy(&mut r, al[i] - be_i, &h.old_stps[i]);
        }
        r
    }

    fn run(&mut self, closure: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
        let c = self.config;
        let max_eval = c.max_eval();
        let orig_loss = closure()?;
        let mut loss = orig_loss;
        let mut current_evals = 1;
        self.history.func_evals += 1;
        let mut flat_grad = self.gather_flat_grad()?;
        if max_abs(&flat_grad) <= c.tolerance_grad {
            return Ok(orig_loss);
        }
        let mut n_iter = 0;
        while n_iter < c.max_iter {
            n_iter += 1;
            self.history.n_iter += 1;

            // Direction.
            let d = if self.history.n_iter == 1 {
                let h = &mut self.history;
                h.old_dirs.clear();
                h.old_stps.clear();
                h.ro.clear();
                h.h_diag = 1.0;
                flat_grad.iter().map(|g| -g).collect()
            } else {
                let h = &mut self.history;
                let (Some(prev_d), Some(prev_t), Some(prev_g)) = (&h.d, h.t, &h.prev_flat_grad)
                else {
                    return Err(Error::OptimizerState {
                        optimizer: "lbfgs",
                        reason: "n_iter > 0 but d, t or prev_flat_grad is missing".into(),
                    });
                };
                let y: Vec<f64> = flat_grad.iter().zip(prev_g).map(|(a, b)| a - b).collect();
                let s: Vec<f64> = prev_d.iter().map(|v| v * prev_t).collect();
                let ys = dot(&y, &s);
                if c.curvature.keeps(ys, dot(prev_g, &s)) {
                    if h.old_dirs.len() == c.history_size {
                        h.old_dirs.pop_front();
                        h.old_stps.pop_front();
                        h.ro.pop_front();
                    }
                    h.h_diag = ys / dot(&y, &y);
                    h.old_dirs.push_back(y);
                    h.old_stps.push_back(s);
                    h.ro.push_back(1.0 / ys);
                }
                self.direction(&flat_grad)
            };
            self.history.prev_flat_grad = Some(flat_grad.clone());
            self.history.prev_loss = Some(loss);
            let prev_loss = loss;

            // Step length.
            let mut t = if self.history.n_iter == 1 {
                let l1: f64 = flat_grad.iter().map(|g| g.abs()).sum();
                (1.0f64).min(1.0 / l1) * c.lr
            } else {
                c.lr
            };
            let gtd = dot(&flat_grad, &d);
            self.history.d = Some(d.clone());
            self.history.t = Some(t);
            if gtd > -c.tolerance_change {
                break;
            }

            let d_parts = self.split(&d)?;
            let x_init: Vec<Tensor> = self.params.iter().map(Var::tensor).collect();
            let mut ls_func_evals = 0;
            let mut opt_cond = false;
            if let Some(ls) = c.line_search {
                // PyTorch's `_directional_evaluate`: evaluate at x + t·d, then put x back.
                let mut obj = |t: f64| -> Result<(f64, Vec<f64>)> {
                    self.set_point(&x_init, t, &d_parts)?;
                    let result = closure().and_then(|f| Ok((f, self.gather_flat_grad()?)));
                    self.restore(&x_init)?;
                    result
                };
                let out = ls.search(&mut obj, t, &d, loss, &flat_grad, gtd)?;
                (loss, flat_grad, t) = (out.loss, out.grad, out.t);
                ls_func_evals = out.func_evals;
                self.set_point(&x_init, t, &d_parts)?;
                opt_cond = max_abs(&flat_grad) <= c.tolerance_grad;
            } else {
                self.set_point(&x_init, t, &d_parts)?;
                if n_iter != c.max_iter {
                    loss = closure()?;
                    flat_grad = self.gather_flat_grad()?;
                    opt_cond = max_abs(&flat_grad) <= c.tolerance_grad;
                    ls_func_evals = 1;
                }
            }
            self.history.t = Some(t);
            current_evals += ls_func_evals;
            self.history.func_evals += ls_func_evals as u64;

            // Stopping tests.
            if n_iter == c.max_iter || current_evals >= max_eval || opt_cond {
                break;
            }
            // max|t·dᵢ| = max|dᵢ|·|t| exactly: rounding is monotone.
            if max_abs(&d) * t.abs() <= c.tolerance_change {
                break;
            }
            if (loss - prev_loss).abs() < c.tolerance_change {
                break;
            }
        }
        Ok(orig_loss)
    }
}

/// `v` as a 1-D f64 tensor on the CPU.
fn host_vec(v: &[f64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), [v.len()], &Device::Cpu).expect("a host f64 vector")
}

/// Every scalar entry of the state.
const SCALARS: &str = "lr max_iter max_eval tolerance_grad tolerance_change history_size \
    line_search line_search.c1 line_search.c2 line_search.tolerance_change line_search.max_ls \
    curvature.relative curvature.threshold func_evals n_iter t H_diag prev_loss history_len numel";

impl Optimizer for Lbfgs {
    fn name(&self) -> &'static str {
        "lbfgs"
    }

    fn params(&self) -> &[Var] {
        &self.params
    }

    /// L-BFGS re-evaluates the loss during a step.
    ///
    /// # Errors
    /// Always [`Error::NeedsClosure`]; use [`Optimizer::step_with`].
    fn step(&mut self) -> Result<()> {
        Err(Error::NeedsClosure { optimizer: "lbfgs" })
    }

    fn step_with(&mut self, closure: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
        self.run(closure)
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    fn state(&self) -> OptimizerState {
        let c = &self.config;
        let h = &self.history;
        let mut s = new_state(self.name(), self.params.len());
        let mut put = |k: &str, v: f64| s.scalars.insert(k.to_string(), v);
        put("lr", c.lr);
        put("max_iter", c.max_iter as f64);
        put("max_eval", c.max_eval() as f64);
        put("tolerance_grad", c.tolerance_grad);
        put("tolerance_change", c.tolerance_change);
        put("history_size", c.history_size as f64);
        put("line_search", flag(c.line_search.is_some()));
        if let Some(ls) = &c.line_search {
            put("line_search.c1", ls.c1);
            put("line_search.c2", ls.c2);
            put("line_search.tolerance_change", ls.tolerance_change);
            put("line_search.max_ls", ls.max_ls as f64);
        }
        put(
            "curvature.relative",
            flag(matches!(c.curvature, CurvatureTest::Relative(_))),
        );
        put("curvature.threshold", c.curvature.threshold());
        put("func_evals", h.func_evals as f64);
        put("n_iter", h.n_iter as f64);
        put("H_diag", h.h_diag);
        put("history_len", h.old_dirs.len() as f64);
        put("numel", self.numel as f64);
        if let Some(t) = h.t {
            put("t", t);
        }
        if let Some(l) = h.prev_loss {
            put("prev_loss", l);
        }
        if let Some(d) = &h.d {
            s.tensors.insert("d".into(), host_vec(d));
        }
        if let Some(g) = &h.prev_flat_grad {
            s.tensors.insert("prev_flat_grad".into(), host_vec(g));
        }
        let ro: Vec<f64> = h.ro.iter().copied().collect();
        s.tensors.insert("ro".into(), host_vec(&ro));
        for (k, (y, st)) in h.old_dirs.iter().zip(&h.old_stps).enumerate() {
            s.tensors.insert(format!("old_dirs.{k}"), host_vec(y));
            s.tensors.insert(format!("old_stps.{k}"), host_vec(st));
        }
        s
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        let n = self.params.len();
        let r = StateReader::new(self.name(), state, n)?;
        let len = r.count("history_len")? as usize;
        let fixed = ["d", "prev_flat_grad", "ro"];
        let in_history = |k: &str| {
            fixed.contains(&k)
                || ["old_dirs.", "old_stps."].iter().any(|p| {
                    k.strip_prefix(p)
                        .and_then(|i| i.parse::<usize>().ok())
                        .is_some_and(|i| i < len && format!("{p}{i}") == k)
                })
        };
        let scalars: Vec<&str> = SCALARS.split_whitespace().collect();
        r.reject_unknown(&scalars, &[], n, &in_history)?;
        let numel = r.count("numel")? as usize;
        if numel != self.numel {
            return Err(r.err(format!(
                "numel: the state is for {numel} parameter elements but the optimizer has {}",
                self.numel
            )));
        }
        let line_search = if r.flag("line_search")? {
            Some(StrongWolfe {
                c1: r.scalar("line_search.c1")?,
                c2: r.scalar("line_search.c2")?,
                tolerance_change: r.scalar("line_search.tolerance_change")?,
                max_ls: r.count("line_search.max_ls")? as usize,
            })
        } else {
            None
        };
        // States written before the curvature rule was stored keep this optimizer's own.
        let curvature = match r.scalar_opt("curvature.threshold") {
            None => self.config.curvature,
            Some(v) if r.flag("curvature.relative")? => CurvatureTest::Relative(v),
            Some(v) => CurvatureTest::Absolute(v),
        };
        let config = LbfgsConfig {
            lr: r.scalar("lr")?,
            max_iter: r.count("max_iter")? as usize,
            max_eval: Some(r.count("max_eval")? as usize),
            tolerance_grad: r.scalar("tolerance_grad")?,
            tolerance_change: r.scalar("tolerance_change")?,
            history_size: r.count("history_size")? as usize,
            line_search,
            curvature,
        };
        config.validate().map_err(|e| r.err(e.to_string()))?;
        if len > config.history_size {
            return Err(r.err(format!(
                "history_len: {len} pairs but history_size is {}",
                config.history_size
            )));
        }
        let n_iter = r.count("n_iter")?;
        let optional_vec = |k: &str| -> Result<Option<Vec<f64>>> {
            match (r.tensor_opt(k), n_iter) {
                (None, 0) => Ok(None),
                _ => r.vec_f64(k, numel).map(Some),
            }
        };
        let optional_scalar = |k: &str| match (r.scalar_opt(k), n_iter) {
            (None, 0) => Ok(None),
            _ => r.scalar(k).map(Some),
        };
        let pairs = |name: &str| -> Result<VecDeque<Vec<f64>>> {
            (0..len)
                .map(|k| r.vec_f64(&format!("{name}.{k}"), numel))
                .collect()
        };
        let history = History {
            func_evals: r.count("func_evals")?,
            n_iter,
            d: optional_vec("d")?,
            t: optional_scalar("t")?,
            old_dirs: pairs("old_dirs")?,
            old_stps: pairs("old_stps")?,
            ro: r.vec_f64("ro", len)?.into(),
            h_diag: r.scalar("H_diag")?,
            prev_flat_grad: optional_vec("prev_flat_grad")?,
            prev_loss: optional_scalar("prev_loss")?,
        };
        self.config = config;
        self.history = history;
        Ok(())
    }
}
