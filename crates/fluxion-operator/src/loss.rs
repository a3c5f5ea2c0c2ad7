//! FNO's `LpLoss` (`utilities3.py`): per-sample Lp norms over every non-batch axis.
//!
//! For a batch `[B, …]`, with `e_b = pred_b − y_b` flattened:
//!
//! - relative: `r_b = ‖e_b‖_p / ‖y_b‖_p` (`LpLoss.rel`, the loss every FNO script trains on);
//! - absolute: `a_b = ‖e_b‖_p` (`LpLoss.abs` without its quadrature factor `h^{d/p}`).
//!
//! then `Σ_b` ([`Reduction::Sum`], the scripts' `size_average=False`) or the mean over `b`
//! ([`Reduction::Mean`], the default `LpLoss()`).
//!
//! ```
//! use fluxion_autodiff::Var;
//! use fluxion_operator::loss::{relative_lp, Reduction};
//! use fluxion_tensor::{Device, Tensor};
//! let y = Var::constant(Tensor::from_vec(vec![3.0f32, 4.0], vec![1, 2], &Device::Cpu)?);
//! let p = Var::constant(Tensor::from_vec(vec![3.0f32, 5.0], vec![1, 2], &Device::Cpu)?);
//! let l = relative_lp(&p, &y, 2.0, Reduction::Sum)?;
//! assert!((l.tensor().to_scalar::<f32>()? - 0.2).abs() < 1e-7); // 1/5
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use fluxion_autodiff::Var;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How per-sample losses combine over the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Σ over samples (`size_average=False`, what the FNO scripts train with).
    Sum,
    /// Mean over samples (`LpLoss()`'s default).
    #[default]
    Mean,
}

fn check(pred: &Var, target: &Var, p: f64, what: &'static str) -> Result<usize> {
    let (a, b) = (pred.dims(), target.dims());
    if a != b || a.is_empty() || a[0] == 0 {
        return Err(Error::invalid(
            what,
            format!("pred {a:?} and target {b:?} must have the same [B ≥ 1, …] shape"),
        ));
    }
    if !(p > 0.0 && p.is_finite()) {
        return Err(Error::invalid(
            what,
            format!("p must be finite and > 0, got {p}"),
        ));
    }
    Ok(a[0])
}

/// Per-sample `‖x_b‖_p` over all non-batch axes, shape `[B]`.
fn per_sample_norm(x: &Var, p: f64) -> Result<Var> {
    let b = x.dims()[0];
    let flat = x.reshape([b, x.elem_count() / b])?;
    Ok(if p == 2.0 {
        flat.square()?.sum(&[1], false)?.sqrt()?
    } else {
        flat.abs()?.powf(p)?.sum(&[1], false)?.powf(1.0 / p)?
    })
}

fn reduce(v: &Var, reduction: Reduction) -> Result<Var> {
    Ok(match reduction {
        Reduction::Sum => v.sum_all()?,
        Reduction::Mean => v.mean_all()?,
    })
}

/// Per-sample relative errors `‖pred_b − y_b‖_p / ‖y_b‖_p`, shape `[B]`.
///
/// # Errors
/// Different shapes, an empty batch, `p ≤ 0`; op errors.
pub fn relative_lp_per_sample(pred: &Var, target: &Var, p: f64) -> Result<Var> {
    check(pred, target, p, "relative_lp")?;
    let diff = per_sample_norm(&pred.sub(target)?, p)?;
    Ok(diff.div(&per_sample_norm(target, p)?)?)
}

/// FNO's relative Lp loss (`LpLoss(p, size_average = reduction == Mean).rel`), a 0-d Var.
///
/// # Errors
/// As [`relative_lp_per_sample`].
pub fn relative_lp(pred: &Var, target: &Var, p: f64, reduction: Reduction) -> Result<Var> {
    reduce(&relative_lp_per_sample(pred, target, p)?, reduction)
}

/// The relative L2 loss, [`relative_lp`] with p = 2.
///
/// # Errors
/// As [`relative_lp`].
pub fn relative_l2(pred: &Var, target: &Var, reduction: Reduction) -> Result<Var> {
    relative_lp(pred, target, 2.0, reduction)
}

/// Absolute Lp loss `Σ_b or mean_b ‖pred_b − y_b‖_p` (the reference's `LpLoss.abs` is this
/// times `h^{d/p}` with `h = 1/(n − 1)`), a 0-d Var.
///
/// # Errors
/// As [`relative_lp`].
pub fn absolute_lp(pred: &Var, target: &Var, p: f64, reduction: Reduction) -> Result<Var> {
    check(pred, target, p, "absolute_lp")?;
    reduce(&per_sample_norm(&pred.sub(target)?, p)?, reduction)
}

/// Mean squared error over every element (for benches and warm-ups), a 0-d Var.
///
/// # Errors
/// As [`relative_lp`].
pub fn mse(pred: &Var, target: &Var) -> Result<Var> {
    check(pred, target, 2.0, "mse")?;
    Ok(pred.sub(target)?.square()?.mean_all()?)
}
