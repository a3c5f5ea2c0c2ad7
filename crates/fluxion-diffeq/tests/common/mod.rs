//! SDE problems shared by the SDE test files.

use fluxion_diffeq::sde::{NoiseType, Sde, SdeType};
use fluxion_diffeq::Result;

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
