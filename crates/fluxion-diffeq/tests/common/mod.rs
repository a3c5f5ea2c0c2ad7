//! SDE problems shared by the SDE test files (each file uses some of them).
#![allow(dead_code)]

use fluxion_diffeq::sde::{NoiseType, Sde, SdeSystem, SdeType};
use fluxion_diffeq::Result;
use fluxion_tensor::Tensor;

/// Drift of a `Vec<f64>` problem.
pub type F = fn(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>;
/// Diffusion (applied to a noise vector) of a `Vec<f64>` problem.
pub type G = fn(f64, &Vec<f64>, &Vec<f64>, &mut Vec<f64>) -> Result<()>;

/// dX = (sin 3X − X) dt + 1.5 dW (Itô, additive noise): nonlinear drift, so SRA1's error keeps
/// its strong-1.5 term (on linear drift that term vanishes).
pub fn sin_additive() -> Sde<F, G> {
    Sde::new(
        NoiseType::Additive,
        SdeType::Ito,
        |_t, y, out| {
            out.iter_mut()
                .zip(y)
                .for_each(|(o, x)| *o = (3.0 * x).sin() - x);
            Ok(())
        },
        |_t, _y, v, out| {
            out.iter_mut().zip(v).for_each(|(o, w)| *o = 1.5 * w);
            Ok(())
        },
    )
}

/// GBM `dX = μX dt + σX dW` (Itô, diagonal) on `[paths, d]` tensors: the tensor twin of
/// `sde::geometric_brownian_motion` (without the Milstein term).
pub fn gbm_tensor(mu: f64, sigma: f64) -> impl SdeSystem<Tensor> {
    Sde::new(
        NoiseType::Diagonal,
        SdeType::Ito,
        move |_t, y: &Tensor, out: &mut Tensor| {
            *out = y.mul_scalar(mu)?;
            Ok(())
        },
        move |_t, y: &Tensor, w: &Tensor, out: &mut Tensor| {
            *out = y.mul_scalar(sigma)?.mul(w)?;
            Ok(())
        },
    )
}
