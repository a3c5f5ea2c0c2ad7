//! Closed-form solutions for the PINN zoo: exponential decay, the 1-D heat equation, and
//! manufactured solutions of the 2-D Poisson equation.

use std::f64::consts::PI;

use crate::{Error, Result};

/// The solution of dy/dt + k y = 0, y(0) = y₀: y(t) = y₀ e^{−kt}.
///
/// The tutorial PINN (k = 1, y₀ = 1, t ∈ [0, 5]) has y = e^{−t}.
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::exponential_decay;
/// assert!((exponential_decay(1.0, 1.0, 1.0) - (-1.0f64).exp()).abs() < 1e-16);
/// ```
pub fn exponential_decay(t: f64, y0: f64, k: f64) -> f64 {
    y0 * (-k * t).exp()
}

fn check_heat(what: &'static str, t: f64, x: f64, alpha: f64, length: f64) -> Result<()> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(Error::invalid(
            what,
            format!("time t = {t} must be finite and ≥ 0"),
        ));
    }
    if !x.is_finite() {
        return Err(Error::invalid(
            what,
            format!("position x = {x} must be finite"),
        ));
    }
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(Error::invalid(
            what,
            format!("diffusivity α = {alpha} must be finite and ≥ 0"),
        ));
    }
    if !(length.is_finite() && length > 0.0) {
        return Err(Error::invalid(
            what,
            format!("length L = {length} must be finite and > 0"),
        ));
    }
    Ok(())
}

/// One sine mode of the heat equation u_t = α u_xx on [0, L] with u(t, 0) = u(t, L) = 0 and
/// u(0, x) = sin(nπx/L):
///
/// u(t, x) = e^{−α (nπ/L)² t} sin(nπx/L).
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::heat_sine_mode;
/// let u = heat_sine_mode(0.1, 0.5, 1.0, 1.0, 1).unwrap();
/// assert!((u - (-std::f64::consts::PI.powi(2) * 0.1).exp()).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] if t < 0, α < 0, L ≤ 0, n = 0, or any value is not finite.
pub fn heat_sine_mode(t: f64, x: f64, alpha: f64, length: f64, n: u32) -> Result<f64> {
    check_heat("heat_sine_mode", t, x, alpha, length)?;
    if n == 0 {
        return Err(Error::invalid(
            "heat_sine_mode",
            "mode number n must be ≥ 1",
        ));
    }
    let k = n as f64 * PI / length;
    Ok((-alpha * k * k * t).exp() * (k * x).sin())
}

/// The heat equation u_t = α u_xx on [0, L], u(t, 0) = u(t, L) = 0, from the initial sine
/// series u(0, x) = Σₙ bₙ sin(nπx/L) (`coeffs[n − 1]` = bₙ):
///
/// u(t, x) = Σₙ bₙ e^{−α (nπ/L)² t} sin(nπx/L).
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::{heat_sine_mode, heat_sine_series};
/// let u = heat_sine_series(0.2, 0.3, 0.5, 2.0, &[0.0, 3.0]).unwrap();
/// let v = 3.0 * heat_sine_mode(0.2, 0.3, 0.5, 2.0, 2).unwrap();
/// assert!((u - v).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] as [`heat_sine_mode`], or if a coefficient is not finite.
pub fn heat_sine_series(t: f64, x: f64, alpha: f64, length: f64, coeffs: &[f64]) -> Result<f64> {
    check_heat("heat_sine_series", t, x, alpha, length)?;
    if let Some(b) = coeffs.iter().find(|b| !b.is_finite()) {
        return Err(Error::invalid(
            "heat_sine_series",
            format!("coefficient {b} is not finite"),
        ));
    }
    Ok(coeffs
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let k = (i + 1) as f64 * PI / length;
            b * (-alpha * k * k * t).exp() * (k * x).sin()
        })
        .sum())
}

/// Manufactured solutions of the Poisson problem −Δu = f on [0, 1]², u = 0 on the boundary.
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::PoissonManufactured;
/// let p = PoissonManufactured::SineSine;
/// assert!((p.solution(0.5, 0.5) - 1.0).abs() < 1e-15);
/// assert!((p.source(0.5, 0.5) - 2.0 * std::f64::consts::PI.powi(2)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoissonManufactured {
    /// u = sin πx sin πy, f = 2π² sin πx sin πy (an eigenfunction of −Δ).
    SineSine,
    /// u = x(1−x) y(1−y) e^{x+y}, f = 2xy (3 − x − y − xy) e^{x+y}.
    ///
    /// With g(s) = s(1−s)eˢ, g″(s) = −s(s+3)eˢ, so −Δu = −g″(x)g(y) − g(x)g″(y)
    /// = xy e^{x+y} [(x+3)(1−y) + (1−x)(y+3)]; the source is not a product of a function of x
    /// and one of y, and u is not an eigenfunction of −Δ.
    BubbleExp,
}

impl PoissonManufactured {
    /// The exact solution u(x, y).
    pub fn solution(self, x: f64, y: f64) -> f64 {
        match self {
            Self::SineSine => (PI * x).sin() * (PI * y).sin(),
            Self::BubbleExp => x * (1.0 - x) * y * (1.0 - y) * (x + y).exp(),
        }
    }

    /// The source f(x, y) = −Δu(x, y).
    pub fn source(self, x: f64, y: f64) -> f64 {
        match self {
            Self::SineSine => 2.0 * PI * PI * (PI * x).sin() * (PI * y).sin(),
            Self::BubbleExp => 2.0 * x * y * (3.0 - x - y - x * y) * (x + y).exp(),
        }
    }

    /// The gradient (∂u/∂x, ∂u/∂y), for Neumann data or gradient-enhanced losses.
    pub fn gradient(self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Self::SineSine => (
                PI * (PI * x).cos() * (PI * y).sin(),
                PI * (PI * x).sin() * (PI * y).cos(),
            ),
            Self::BubbleExp => {
                // g(s) = s(1−s)eˢ, g′(s) = (1 − s − s²)eˢ.
                let g = |s: f64| s * (1.0 - s) * s.exp();
                let dg = |s: f64| (1.0 - s - s * s) * s.exp();
                (dg(x) * g(y), g(x) * dg(y))
            }
        }
    }
}
