//! The Rosenbrock dense output in the form the whole-span [`DenseOutput`](crate::DenseOutput)
//! evaluates: `y(t₀ + θh) = y₀ + h·Σᵢ wᵢ(θ)kᵢ` with polynomial weights.
//!
//! Rodas5P's interpolant (Steinebach 2023; OrdinaryDiffEq.jl's Rosenbrock interpolant)
//!
//! ```text
//! y(θ) = (1 − θ)y₀ + θ(y₁ + (1 − θ)(K₁ + θK₂ + θ²K₃)),   Kₘ = Σᵢ H[m][i]·uᵢ
//!      = y₀ + h·[θ·k₀ + (θ − θ²)·k₁ + (θ² − θ³)·k₂ + (θ³ − θ⁴)·k₃]
//! ```
//!
//! with `k₀ = (y₁ − y₀)/h` and `kₘ = Kₘ/h`. Written so, it is a [`DenseKind::Powers`]
//! extension over four "slopes", and the explicit solver's [`DenseOutput`](crate::DenseOutput)
//! serves the stiff solvers unchanged: every weight vanishes at `θ = 0`, so at each step start
//! the output is the accepted state itself, bit for bit.

use crate::error::Result;
use crate::state::OdeState;
use crate::tableau::{DenseKind, ErrorEstimate, Tableau};

use super::tableau::RosenbrockTableau;

/// Number of slopes a Rosenbrock step stores for its dense output (`k₀` and three `Kₘ`).
pub(crate) const ROSENBROCK_DENSE_LEN: usize = 4;

/// The Rosenbrock interpolant as a [`Tableau`] carrying only a continuous extension.
///
/// [`DenseOutput`](crate::DenseOutput) reads nothing but `dense_len()` (4: `fsal` with four
/// nodes) and `dense_weights`; the `c`, `a` and `b` here are placeholders of the right length,
/// never used to step, and the error estimate is `None`. Not exported.
pub(crate) static ROSENBROCK_DENSE: Tableau = Tableau {
    name: "Rosenbrock dense output (Steinebach 2023)",
    c: &[0.0, 0.0, 0.0, 0.0],
    a: &[&[], &[], &[], &[]],
    b: &[1.0, 0.0, 0.0, 0.0],
    order: 4,
    error: ErrorEstimate::None,
    error_exponent: 5,
    fsal: true,
    dense: DenseKind::Powers(&[
        &[1.0],
        &[1.0, -1.0],
        &[0.0, 1.0, -1.0],
        &[0.0, 0.0, 1.0, -1.0],
    ]),
};

/// Writes `ks = [(y₁ − y₀)/h, K₁/h, K₂/h, K₃/h]` for one accepted step with stages `us`.
///
/// # Panics
/// If `ks` holds fewer than [`ROSENBROCK_DENSE_LEN`] states or the tableau's `dense` has other
/// than three rows (every Rodas-type tableau here has three).
pub(crate) fn dense_slopes<S: OdeState>(
    tab: &RosenbrockTableau,
    h: f64,
    y0: &S,
    y1: &S,
    us: &[S],
    ks: &mut [S],
) -> Result<()> {
    assert_eq!(tab.dense.len(), ROSENBROCK_DENSE_LEN - 1);
    let pair = [y1.clone(), y0.clone()];
    S::lin_comb(&mut ks[0], None, 1.0 / h, &[1.0, -1.0], &pair)?;
    for (row, k) in tab.dense.iter().zip(&mut ks[1..ROSENBROCK_DENSE_LEN]) {
        S::lin_comb(k, None, 1.0 / h, row, us)?;
    }
    Ok(())
}
