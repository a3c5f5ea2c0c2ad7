//! Bogacki–Shampine 3(2): P. Bogacki and L. F. Shampine, "A 3(2) pair of Runge–Kutta formulas",
//! Appl. Math. Lett. 2(4), 1989, pp. 321–325 (SciPy's `RK23`). FSAL; dense output by cubic
//! Hermite, which is 3rd order like the method.

#![allow(clippy::excessive_precision)]

use crate::tableau::{DenseKind, ErrorEstimate, Tableau};

/// `b − b̂` with `b̂ = (7/24, 1/4, 1/3, 1/8)`.
const E: [f64; 4] = [
    2.0 / 9.0 - 7.0 / 24.0,
    1.0 / 3.0 - 0.25,
    4.0 / 9.0 - 1.0 / 3.0,
    -0.125,
];

/// Bogacki–Shampine 3(2), FSAL, error estimate of order 2 (controller exponent 3).
pub static BOSH3: Tableau = Tableau {
    name: "Bosh3",
    c: &[0.0, 0.5, 0.75, 1.0],
    a: &[
        &[],
        &[0.5],
        &[0.0, 0.75],
        &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0],
    ],
    b: &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
    order: 3,
    error: ErrorEstimate::Embedded(&E),
    error_exponent: 3,
    fsal: true,
    dense: DenseKind::Hermite,
};
