//! Checking derivatives against central differences in f64, as `torch.autograd.gradcheck`
//! and `gradgradcheck` do.
//!
//! The full Jacobian is compared element by element: the numeric one from
//! (f(x + εeⱼ) − f(x − εeⱼ)) / 2ε (error O(ε²) + O(u/ε) with u the unit roundoff, about 1e-10
//! at ε = 1e-6 for well-scaled functions), the analytic one row by row from reverse passes
//! with one-hot output gradients. An entry passes when |analytic − numeric| ≤ atol +
//! rtol·|numeric|.

use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Tensor};

use crate::backward::{grad_with, GradOptions};
use crate::{grad, Error, Result, Var};

/// Step and tolerances for [`gradcheck`]; the defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradcheckOptions {
    /// Central-difference step ε.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Seed for the random output gradients of [`gradgradcheck`].
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            seed: 0,
        }
    }
}

/// Checks the first derivatives of `f` at `inputs` (all f64) against central differences.
///
/// ```
/// use fluxion_autodiff::{gradcheck, GradcheckOptions, Var};
/// use fluxion_tensor::{Device, Tensor};
/// let x = Tensor::from_vec(vec![0.3f64, -1.2, 2.0], [3], &Device::Cpu)?;
/// gradcheck(|v: &[Var]| Ok(vec![v[0].tanh()?.mul(&v[0])?]), &[x], &GradcheckOptions::default())?;
/// # Ok::<(), fluxion_autodiff::Error>(())
/// ```
///
/// # Errors
/// [`Error::Gradcheck`] naming the first entry that differs; [`Error::GradcheckDType`] for a
/// non-f64 input; errors from `f`.
pub fn gradcheck(
    f: impl Fn(&[Var]) -> Result<Vec<Var>>,
    inputs: &[Tensor],
    opts: &GradcheckOptions,
) -> Result<()> {
    check(&f, inputs, opts, "first")
}

/// Checks the second derivatives of `f`: the first-order check applied to
/// (x, v) ↦ ∇ₓ⟨f(x), v⟩ computed with `create_graph`, for seeded random v. This covers the
/// derivatives of every backward rule with respect to both its inputs and its output
/// gradient.
///
/// # Errors
/// As [`gradcheck`], with `order = "second"`.
pub fn gradgradcheck(
    f: impl Fn(&[Var]) -> Result<Vec<Var>>,
    inputs: &[Tensor],
    opts: &GradcheckOptions,
) -> Result<()> {
    check_f64(inputs)?;
    let n = inputs.len();
    let ys = f(&inputs.iter().cloned().map(Var::leaf).collect::<Vec<_>>())?;
    let mut gen = Generator::new(opts.seed);
    let mut args = inputs.to_vec();
    for y in &ys {
        args.push(Tensor::randn(
            0.0,
            1.0,
            y.shape(),
            DType::F64,
            &y.device(),
            &mut gen,
        )?);
    }
    let h = |a: &[Var]| -> Result<Vec<Var>> {
        let ys = f(&a[..n])?;
        grad(&ys, &a[..n], Some(&a[n..]), true)
    };
    check(&h, &args, opts, "second")
}

fn check_f64(inputs: &[Tensor]) -> Result<()> {
    for (index, x) in inputs.iter().enumerate() {
        if x.dtype() != DType::F64 {
            return Err(Error::GradcheckDType {
                index,
                dtype: x.dtype(),
            });
        }
    }
    Ok(())
}

/// f's outputs, flattened, with recording on (f may differentiate inside).
fn eval(f: &dyn Fn(&[Var]) -> Result<Vec<Var>>, inputs: &[Tensor]) -> Result<Vec<Vec<f64>>> {
    let xs: Vec<Var> = inputs.iter().cloned().map(Var::leaf).collect();
    f(&xs)?
        .iter()
        .map(|y| Ok(y.tensor().to_dtype(DType::F64)?.to_vec::<f64>()?))
        .collect()
}

fn check(
    f: &dyn Fn(&[Var]) -> Result<Vec<Var>>,
    inputs: &[Tensor],
    opts: &GradcheckOptions,
    order: &'static str,
) -> Result<()> {
    check_f64(inputs)?;
    let base: Vec<Vec<f64>> = inputs
        .iter()
        .map(|x| x.to_vec::<f64>())
        .collect::<std::result::Result<_, _>>()?;
    // numeric[input][in_index][output][out_index]
    let mut numeric = Vec::with_capacity(inputs.len());
    for (i, x) in inputs.iter().enumerate() {
        let mut cols = Vec::with_capacity(base[i].len());
        for j in 0..base[i].len() {
            let at = |delta: f64| -> Result<Vec<Vec<f64>>> {
                let mut v = base[i].clone();
                v[j] += delta;
                let mut args = inputs.to_vec();
                args[i] = Tensor::from_vec(v, x.shape().clone(), x.device())?;
                eval(f, &args)
            };
            let (plus, minus) = (at(opts.eps)?, at(-opts.eps)?);
            let col: Vec<Vec<f64>> = plus
                .iter()
                .zip(&minus)
                .map(|(p, m)| {
                    p.iter()
                        .zip(m)
                        .map(|(a, b)| (a - b) / (2.0 * opts.eps))
                        .collect()
                })
                .collect();
            cols.push(col);
        }
        numeric.push(cols);
    }
    let xs: Vec<Var> = inputs.iter().cloned().map(Var::leaf).collect();
    let ys = f(&xs)?;
    let keep = GradOptions {
        create_graph: false,
        retain_graph: Some(true),
    };
    for (o, y) in ys.iter().enumerate() {
        for k in 0..y.elem_count() {
            let mut onehot = vec![0.0f64; y.elem_count()];
            onehot[k] = 1.0;
            let seed = Tensor::from_vec(onehot, y.shape(), &y.device())?.to_dtype(y.dtype())?;
            let row = grad_with(
                std::slice::from_ref(y),
                &xs,
                Some(&[Var::constant(seed)]),
                keep,
            )?;
            for (i, gi) in row.iter().enumerate() {
                let analytic = gi.tensor().to_dtype(DType::F64)?.to_vec::<f64>()?;
                for (j, &a) in analytic.iter().enumerate() {
                    let nval = numeric[i][j][o][k];
                    let bound = opts.atol + opts.rtol * nval.abs();
                    let diff = (a - nval).abs();
                    if diff.is_nan() || diff > bound {
                        return Err(Error::Gradcheck {
                            order,
                            output: o,
                            out_index: k,
                            input: i,
                            in_index: j,
                            analytic: a,
                            numeric: nval,
                            diff,
                            bound,
                        });
                    }
                }
            }
        }
    }
    Ok(())
}
