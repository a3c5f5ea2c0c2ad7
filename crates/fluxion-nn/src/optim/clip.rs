//! Gradient clipping (PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`).

use fluxion_autodiff::Var;
use fluxion_tensor::{DType, Tensor};

use crate::{Error, Result};

/// The `norm_type`-norm of one tensor as f64; half-precision tensors are widened to f32
/// first so that sums of squares cannot overflow.
fn tensor_norm(g: &Tensor, norm_type: f64) -> Result<f64> {
    let g = match g.dtype() {
        DType::F16 | DType::BF16 => g.to_dtype(DType::F32)?,
        _ => g.clone(),
    };
    if g.elem_count() == 0 {
        return Ok(0.0);
    }
    let n = if norm_type == f64::INFINITY {
        g.abs()?.max_all()?
    } else if norm_type == 2.0 {
        g.norm_all()?
    } else if norm_type == 1.0 {
        g.abs()?.sum_all()?
    } else {
        g.abs()?.powf(norm_type)?.sum_all()?.powf(1.0 / norm_type)?
    };
    Ok(n.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}

/// The `norm_type`-norm of a list of per-tensor norms (the norm of all elements together).
fn combine(norms: &[f64], norm_type: f64) -> f64 {
    if norm_type == f64::INFINITY {
        norms
            .iter()
            .fold(0.0, |m: f64, &n| if n > m || n.is_nan() { n } else { m })
    } else if norm_type == 2.0 {
        norms.iter().map(|n| n * n).sum::<f64>().sqrt()
    } else if norm_type == 1.0 {
        norms.iter().sum()
    } else {
        norms
            .iter()
            .map(|n| n.powf(norm_type))
            .sum::<f64>()
            .powf(1.0 / norm_type)
    }
}

/// Rescales the gradients of `params` so that their joint norm is at most `max_norm`, and
/// returns the joint norm before clipping (PyTorch's `clip_grad_norm_`).
///
/// ```text
/// N = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p        (p = norm_type; max|gᵢ| for p = ∞)
/// gᵢ ← gᵢ · min(1, max_norm / (N + 1e-6))
/// ```
///
/// Parameters without a gradient are skipped (N = 0 when none has one). Each per-tensor
/// norm is taken in the gradient's dtype (half types widened to f32), the joint norm in f64,
/// and the scaling in the gradient's dtype. As PyTorch with `error_if_nonfinite = false`, a
/// non-finite N scales by NaN or 0 rather than failing; check the returned norm.
/// Reference: <https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html>.
///
/// # Errors
/// [`Error::InvalidArgument`] for a `norm_type` that is not > 0 (∞ is allowed) or a NaN
/// `max_norm`; tensor errors.
pub fn clip_grad_norm(params: &[Var], max_norm: f64, norm_type: f64) -> Result<f64> {
    if norm_type.is_nan() || norm_type <= 0.0 {
        return Err(Error::InvalidArgument {
            what: "clip_grad_norm",
            reason: format!("norm_type must be > 0 (or infinity), got {norm_type}"),
        });
    }
    if max_norm.is_nan() {
        return Err(Error::InvalidArgument {
            what: "clip_grad_norm",
            reason: "max_norm must not be NaN".into(),
        });
    }
    let grads: Vec<(&Var, Tensor)> = params
        .iter()
        .filter_map(|p| p.grad().map(|g| (p, g)))
        .collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    let norms = grads
        .iter()
        .map(|(_, g)| tensor_norm(g, norm_type))
        .collect::<Result<Vec<f64>>>()?;
    let total = combine(&norms, norm_type);
    let coef = max_norm / (total + 1e-6);
    // PyTorch multiplies by clamp(coef, max = 1); a factor of exactly 1 changes nothing, so
    // only smaller (or NaN) factors are applied.
    if coef.is_nan() || coef < 1.0 {
        let scaled = grads
            .iter()
            .map(|(_, g)| g.mul_scalar(coef))
            .collect::<std::result::Result<Vec<Tensor>, _>>()?;
        for ((p, _), g) in grads.iter().zip(scaled) {
            p.set_grad(Some(g));
        }
    }
    Ok(total)
}

/// Clamps every gradient element of `params` to [−clip_value, clip_value] (PyTorch's
/// `clip_grad_value_`): gᵢ ← min(max(gᵢ, −c), c). Parameters without a gradient are skipped;
/// NaN elements stay NaN.
/// Reference: <https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_value_.html>.
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative or NaN `clip_value`; tensor errors.
pub fn clip_grad_value(params: &[Var], clip_value: f64) -> Result<()> {
    if clip_value.is_nan() || clip_value < 0.0 {
        return Err(Error::InvalidArgument {
            what: "clip_grad_value",
            reason: format!("clip_value must be ≥ 0, got {clip_value}"),
        });
    }
    let clamped = params
        .iter()
        .filter_map(|p| p.grad().map(|g| (p, g)))
        .map(|(p, g)| {
            Ok((
                p,
                g.maximum_scalar(-clip_value)?.minimum_scalar(clip_value)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    for (p, g) in clamped {
        p.set_grad(Some(g));
    }
    Ok(())
}
