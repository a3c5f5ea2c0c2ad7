//! Fixed-step classics: Euler, explicit midpoint, Heun, RK4 (HNW I, section II.1, Table 1.1–1.2;
//! Butcher, *Numerical Methods for ODEs*, 3rd ed., section 23). Dense output: cubic Hermite.

#![allow(clippy::excessive_precision)]

use crate::tableau::{DenseKind, ErrorEstimate, Tableau};

/// Forward Euler (Euler 1768): `y₁ = y₀ + h f(t₀, y₀)`, order 1.
pub static EULER: Tableau = Tableau {
    name: "Euler",
    c: &[0.0],
    a: &[&[]],
    b: &[1.0],
    order: 1,
    error: ErrorEstimate::None,
    error_exponent: 1,
    fsal: false,
    dense: DenseKind::Hermite,
};

/// Explicit midpoint rule (Runge 1895), order 2: `c = (0, ½)`, `a₂₁ = ½`, `b = (0, 1)`.
pub static MIDPOINT: Tableau = Tableau {
    name: "Midpoint",
    c: &[0.0, 0.5],
    a: &[&[], &[0.5]],
    b: &[0.0, 1.0],
    order: 2,
    error: ErrorEstimate::None,
    error_exponent: 2,
    fsal: false,
    dense: DenseKind::Hermite,
};

/// Heun's method / explicit trapezoid (Heun 1900), order 2: `c = (0, 1)`, `a₂₁ = 1`, `b = (½, ½)`.
pub static HEUN: Tableau = Tableau {
    name: "Heun",
    c: &[0.0, 1.0],
    a: &[&[], &[1.0]],
    b: &[0.5, 0.5],
    order: 2,
    error: ErrorEstimate::None,
    error_exponent: 2,
    fsal: false,
    dense: DenseKind::Hermite,
};

/// The classic Runge–Kutta method (Kutta 1901), order 4: `c = (0, ½, ½, 1)`, `b = (⅙, ⅓, ⅓, ⅙)`.
pub static RK4: Tableau = Tableau {
    name: "RK4",
    c: &[0.0, 0.5, 0.5, 1.0],
    a: &[&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]],
    b: &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    order: 4,
    error: ErrorEstimate::None,
    error_exponent: 4,
    fsal: false,
    dense: DenseKind::Hermite,
};
