//! Fused optimizer updates: one pass over a parameter, its gradient and its optimizer state
//! instead of a dozen elementwise ops (each a full read and write of the tensor).
//!
//! [`adam_update`] is the Adam / AdamW step of PyTorch's `torch.optim.Adam(W)` for one f32 or
//! f64 tensor (f16 and bf16 go op by op, [`adam_update_ops`]). On the CPU it is a rayon loop, on CUDA the `adam_{f32,f64}` kernel of
//! `kernels/adam.cu`; both evaluate the same separately rounded operations in the same order as
//! the op-by-op form (`mul_scalar`, `add`, `sqrt`, `div_scalar`, ...), with each f64 scalar
//! rounded to the tensor's dtype first, as the scalar ops do. The result is therefore the same
//! bits as the op-by-op update [`adam_update_ops`] on either device (`tests/fused_adam.rs`). The new parameter and moments are fresh tensors: tensors are
//! values, and the old ones may still be referenced elsewhere.

use fluxion_device::DType;
use num_traits::Float;
use rayon::prelude::*;

use crate::backend::BackendStorage;
use crate::cpu_backend::strided::PAR_THRESHOLD;
use crate::{invalid, CpuStorage, Error, Result, Storage, Tensor, WithDType};

/// The scalars of one Adam / AdamW step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamScalars {
    /// Learning rate η.
    pub lr: f64,
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// Weight decay λ (L2 for Adam, decoupled for AdamW).
    pub weight_decay: f64,
    /// 1 − β₁ᵗ for this step t.
    pub bias_correction1: f64,
    /// 1 − β₂ᵗ.
    pub bias_correction2: f64,
    /// AdamW's decoupled weight decay (x ← x·(1 − ηλ)) instead of Adam's g ← g + λx.
    pub decoupled: bool,
    /// Ascend instead of descend.
    pub maximize: bool,
    /// AMSGrad: divide by the running maximum of the second moment.
    pub amsgrad: bool,
}

/// The state after an update.
#[derive(Debug, Clone)]
pub struct AdamOutput {
    /// The updated parameter.
    pub param: Tensor,
    /// The first moment m.
    pub exp_avg: Tensor,
    /// The second moment v.
    pub exp_avg_sq: Tensor,
    /// AMSGrad's running maximum of v (`Some` exactly when `amsgrad`).
    pub max_exp_avg_sq: Option<Tensor>,
}

/// The moments before an update; all `None` on the first step (zeros, as PyTorch starts).
#[derive(Debug, Clone, Copy, Default)]
pub struct AdamMoments<'a> {
    /// m.
    pub exp_avg: Option<&'a Tensor>,
    /// v.
    pub exp_avg_sq: Option<&'a Tensor>,
    /// AMSGrad's maximum of v (`None` on the first step, when it starts as v itself).
    pub max_exp_avg_sq: Option<&'a Tensor>,
}

const OP: &str = "adam_update";

/// One Adam / AdamW step of `param` with gradient `grad` (see the module docs): one fused pass
/// for f32 and f64, [`adam_update_ops`] for f16 and bf16.
///
/// # Errors
/// [`Error::UnsupportedDType`] for integer dtypes;
/// [`Error::ShapeMismatch`], [`Error::DTypeMismatch`] or [`Error::DeviceMismatch`] when the
/// gradient or a moment differs from the parameter; [`Error::InvalidArgument`] when exactly one
/// of m and v is given, or a running maximum without `amsgrad`; device errors.
pub fn adam_update(
    param: &Tensor,
    grad: &Tensor,
    moments: AdamMoments<'_>,
    s: &AdamScalars,
) -> Result<AdamOutput> {
    let dtype = param.dtype();
    if !dtype.is_float() {
        return Err(Error::UnsupportedDType {
            op: OP,
            dtype,
            supported: "f16, bf16, f32, f64",
        });
    }
    if moments.exp_avg.is_some() != moments.exp_avg_sq.is_some() {
        return Err(invalid(
            OP,
            "exp_avg and exp_avg_sq must both be given (a later step) or both be absent (the first)",
        ));
    }
    if moments.max_exp_avg_sq.is_some() && !s.amsgrad {
        return Err(invalid(OP, "max_exp_avg_sq given without amsgrad"));
    }
    let others = [
        ("grad", Some(grad)),
        ("exp_avg", moments.exp_avg),
        ("exp_avg_sq", moments.exp_avg_sq),
        ("max_exp_avg_sq", moments.max_exp_avg_sq),
    ];
    for (name, t) in others {
        let Some(t) = t else { continue };
        check_like(param, t, name)?;
    }
    if matches!(dtype, DType::F16 | DType::BF16) {
        return adam_update_ops(param, grad, moments, s);
    }
    // Contiguous operands (a no-op for the usual parameters and gradients).
    let c = |t: Option<&Tensor>| t.map(Tensor::contiguous).transpose();
    let (p, g) = (param.contiguous()?, grad.contiguous()?);
    let (m, v, vmax) = (
        c(moments.exp_avg)?,
        c(moments.exp_avg_sq)?,
        c(moments.max_exp_avg_sq)?,
    );
    let shape = param.shape().clone();
    let outs = {
        let ps = p.storage();
        let gs = g.storage();
        let ms = m.as_ref().map(|t| t.storage());
        let vs = v.as_ref().map(|t| t.storage());
        let xs = vmax.as_ref().map(|t| t.storage());
        let off = |t: &Tensor| t.layout().start_offset();
        let n = shape.elem_count();
        let inputs = [
            Some((&*ps, off(&p))),
            Some((&*gs, off(&g))),
            ms.as_deref().zip(m.as_ref().map(off)),
            vs.as_deref().zip(v.as_ref().map(off)),
            xs.as_deref().zip(vmax.as_ref().map(off)),
        ];
        match &*ps {
            Storage::Cpu(_) => cpu_update(inputs, n, s)?,
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => crate::cuda_backend::adam::update(inputs, n, s)?,
        }
    };
    let mut outs = outs
        .into_iter()
        .map(|st| Tensor::from_storage(st, shape.clone()));
    let (param, exp_avg, exp_avg_sq) = match (outs.next(), outs.next(), outs.next()) {
        (Some(a), Some(b), Some(c)) => (a, b, c),
        _ => unreachable!("every backend returns the parameter and both moments"),
    };
    Ok(AdamOutput {
        param,
        exp_avg,
        exp_avg_sq,
        max_exp_avg_sq: outs.next(),
    })
}

/// The same step as separate tensor ops (`mul_scalar`, `add`, `sqrt`, ...): what
/// [`adam_update`] does for f16 and bf16 (each op computes in f32 and rounds to the dtype, as
/// PyTorch's op-by-op Adam does), and the sequence its fused f32/f64 pass reproduces bit for
/// bit. Arguments are not checked beyond what the ops check.
///
/// # Errors
/// Errors of the ops (shapes, dtypes, devices).
pub fn adam_update_ops(
    param: &Tensor,
    grad: &Tensor,
    moments: AdamMoments<'_>,
    s: &AdamScalars,
) -> Result<AdamOutput> {
    let mut g = if s.maximize {
        grad.neg()?
    } else {
        grad.clone()
    };
    let mut x = param.clone();
    let (m, v) = match (moments.exp_avg, moments.exp_avg_sq) {
        (Some(m), Some(v)) => (m.clone(), v.clone()),
        _ => (x.zeros_like()?, x.zeros_like()?),
    };
    if s.weight_decay != 0.0 {
        if s.decoupled {
            x = x.mul_scalar(1.0 - s.lr * s.weight_decay)?;
        } else {
            g = g.add(&x.mul_scalar(s.weight_decay)?)?;
        }
    }
    let m = m.mul_scalar(s.beta1)?.add(&g.mul_scalar(1.0 - s.beta1)?)?;
    let v = v
        .mul_scalar(s.beta2)?
        .add(&g.mul_scalar(1.0 - s.beta2)?.mul(&g)?)?;
    let vmax = s
        .amsgrad
        .then(|| match moments.max_exp_avg_sq {
            Some(old) => old.maximum(&v),
            None => Ok(v.clone()),
        })
        .transpose()?;
    let denom = vmax
        .as_ref()
        .unwrap_or(&v)
        .sqrt()?
        .div_scalar(s.bias_correction2.sqrt())?
        .add_scalar(s.eps)?;
    let param = x.add(&m.mul_scalar(-(s.lr / s.bias_correction1))?.div(&denom)?)?;
    Ok(AdamOutput {
        param,
        exp_avg: m,
        exp_avg_sq: v,
        max_exp_avg_sq: vmax,
    })
}

/// `t` has `param`'s shape, dtype and device.
fn check_like(param: &Tensor, t: &Tensor, name: &str) -> Result<()> {
    if t.shape() != param.shape() {
        return Err(Error::ShapeMismatch {
            op: OP,
            expected: format!("{name} of the parameter's shape {}", param.shape()),
            got: t.shape().clone(),
        });
    }
    if t.dtype() != param.dtype() {
        return Err(Error::DTypeMismatch {
            op: OP,
            lhs: param.dtype(),
            rhs: t.dtype(),
        });
    }
    if t.device() != param.device() {
        return Err(Error::DeviceMismatch {
            op: OP,
            lhs: param.device().to_string(),
            rhs: format!("{} ({name})", t.device()),
        });
    }
    Ok(())
}

/// The operands of one update: parameter, gradient, m, v and AMSGrad's maximum, each with the
/// offset of its first element (all contiguous, same dtype and device).
pub(crate) type AdamInputs<'a> = [Option<(&'a Storage, usize)>; 5];

/// The CPU update: [`adam_elem`] over every element, in parallel chunks.
fn cpu_update(inputs: AdamInputs<'_>, n: usize, s: &AdamScalars) -> Result<Vec<Storage>> {
    let cpu = |k: usize| -> Option<(&CpuStorage, usize)> {
        inputs[k].map(|(st, off)| match st {
            Storage::Cpu(c) => (c, off),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => unreachable!("checked: every operand is on the parameter's device"),
        })
    };
    let Some((p, _)) = cpu(0) else {
        unreachable!("the parameter is always given")
    };
    Ok(match p {
        CpuStorage::F32(_) => typed::<f32>(&cpu, n, s)?,
        CpuStorage::F64(_) => typed::<f64>(&cpu, n, s)?,
        other => unreachable!("checked: f32 or f64, not {}", other.dtype()),
    })
}

fn typed<'a, T: Float + WithDType + Send + Sync>(
    cpu: impl Fn(usize) -> Option<(&'a CpuStorage, usize)>,
    n: usize,
    s: &AdamScalars,
) -> Result<Vec<Storage>> {
    let slice = |k: usize| -> Result<Option<&'a [T]>> {
        cpu(k)
            .map(|(st, off)| {
                T::slice(st)
                    .map(|v| &v[off..off + n])
                    .ok_or_else(|| invalid(OP, "operands of different dtypes"))
            })
            .transpose()
    };
    let (p, g, m, v, vmax) = (slice(0)?, slice(1)?, slice(2)?, slice(3)?, slice(4)?);
    let (Some(p), Some(g)) = (p, g) else {
        unreachable!("the parameter and the gradient are always given")
    };
    let k = AdamConsts::<T>::new(s);
    let zero = T::zero();
    let mut out_p = vec![zero; n];
    let mut out_m = vec![zero; n];
    let mut out_v = vec![zero; n];
    let mut out_x = if s.amsgrad { vec![zero; n] } else { Vec::new() };
    const CHUNK: usize = 1 << 14;
    let body = |c: usize, (op, om, ov, ox): (&mut [T], &mut [T], &mut [T], &mut [T])| {
        let lo = c * CHUNK;
        for j in 0..op.len() {
            let i = lo + j;
            let (np, nm, nv, nx) = adam_elem(
                &k,
                p[i],
                g[i],
                m.map_or(zero, |m| m[i]),
                v.map_or(zero, |v| v[i]),
                vmax.map(|x| x[i]),
                s,
            );
            (op[j], om[j], ov[j]) = (np, nm, nv);
            if let Some(x) = ox.get_mut(j) {
                *x = nx;
            }
        }
    };
    if n < PAR_THRESHOLD {
        // Small tensors (most of a PINN's): no hand-over to the pool.
        let ox: &mut [T] = if s.amsgrad { &mut out_x } else { &mut [] };
        body(0, (&mut out_p, &mut out_m, &mut out_v, ox));
    } else if s.amsgrad {
        out_p
            .par_chunks_mut(CHUNK)
            .zip(out_m.par_chunks_mut(CHUNK))
            .zip(out_v.par_chunks_mut(CHUNK))
            .zip(out_x.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, (((op, om), ov), ox))| body(c, (op, om, ov, ox)));
    } else {
        out_p
            .par_chunks_mut(CHUNK)
            .zip(out_m.par_chunks_mut(CHUNK))
            .zip(out_v.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, ((op, om), ov))| body(c, (op, om, ov, &mut [])));
    }
    let mut outs = vec![out_p, out_m, out_v];
    if s.amsgrad {
        outs.push(out_x);
    }
    Ok(outs
        .into_iter()
        .map(|o| Storage::Cpu(T::into_storage(o)))
        .collect())
}

/// The step's scalars rounded to `T` once, as the scalar ops round them.
struct AdamConsts<T> {
    decay: T,
    wd: T,
    b1: T,
    one_minus_b1: T,
    b2: T,
    one_minus_b2: T,
    neg_step: T,
    bc2_sqrt: T,
    eps: T,
}

impl<T: Float + WithDType> AdamConsts<T> {
    fn new(s: &AdamScalars) -> Self {
        let r = T::from_f64;
        AdamConsts {
            decay: r(1.0 - s.lr * s.weight_decay),
            wd: r(s.weight_decay),
            b1: r(s.beta1),
            one_minus_b1: r(1.0 - s.beta1),
            b2: r(s.beta2),
            one_minus_b2: r(1.0 - s.beta2),
            neg_step: r(-(s.lr / s.bias_correction1)),
            bc2_sqrt: r(s.bias_correction2.sqrt()),
            eps: r(s.eps),
        }
    }
}

/// One element: (x', m', v', AMSGrad's maximum) — the formula of `kernels/adam.cu`.
#[inline(always)]
fn adam_elem<T: Float>(
    k: &AdamConsts<T>,
    x: T,
    g: T,
    m: T,
    v: T,
    vmax: Option<T>,
    s: &AdamScalars,
) -> (T, T, T, T) {
    let mut g = if s.maximize { -g } else { g };
    let mut x = x;
    if s.weight_decay != 0.0 {
        if s.decoupled {
            x = x * k.decay;
        } else {
            g = g + x * k.wd;
        }
    }
    let m = m * k.b1 + g * k.one_minus_b1;
    let v = v * k.b2 + (g * k.one_minus_b2) * g;
    // BinaryOp::Maximum: NaN if either is NaN.
    let second = match vmax {
        Some(old) if old.is_nan() || old > v => old,
        _ => v,
    };
    let denom = second.sqrt() / k.bc2_sqrt + k.eps;
    (x + (m * k.neg_step) / denom, m, v, second)
}
