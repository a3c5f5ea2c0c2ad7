//! Regression losses.

use fluxion_autodiff::Var;

use crate::{Error, Result};

fn same_shape(what: &'static str, pred: &Var, target: &Var) -> Result<()> {
    if pred.shape() != target.shape() {
        return Err(Error::InvalidArgument {
            what,
            reason: format!(
                "prediction {} and target {} differ in shape",
                pred.shape(),
                target.shape()
            ),
        });
    }
    Ok(())
}

/// Mean squared error (1/n) Σ (pred − target)², PyTorch's `MSELoss()`.
///
/// # Errors
/// [`Error::InvalidArgument`] when the shapes differ (no silent broadcasting).
pub fn mse_loss(pred: &Var, target: &Var) -> Result<Var> {
    same_shape("mse_loss", pred, target)?;
    Ok(pred.sub(target)?.square()?.mean_all()?)
}

/// Mean absolute error (1/n) Σ |pred − target|, PyTorch's `L1Loss()`.
///
/// # Errors
/// [`Error::InvalidArgument`] when the shapes differ.
pub fn l1_loss(pred: &Var, target: &Var) -> Result<Var> {
    same_shape("l1_loss", pred, target)?;
    Ok(pred.sub(target)?.abs()?.mean_all()?)
}
