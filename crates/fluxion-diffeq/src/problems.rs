//! Reference problems shared by tests and benches, each with its exact solution where one exists.
//!
//! A [`Problem`] holds `f(t, y, dy)` for `Vec<f64>`/slice states, the span and the initial value.

/// A reference initial-value problem `y' = f(t, y)`, `y(t0) = y0` on `[t0, t1]`.
#[derive(Debug, Clone, Copy)]
pub struct Problem {
    /// Short name.
    pub name: &'static str,
    /// Right-hand side, writing `y'` into the third argument.
    pub rhs: fn(f64, &[f64], &mut [f64]),
    /// Start of the span.
    pub t0: f64,
    /// End of the span.
    pub t1: f64,
    /// Initial value.
    pub y0: &'static [f64],
    /// Exact solution `y(t)` when known in closed form.
    pub exact: Option<fn(f64) -> Vec<f64>>,
    /// Whether the problem is stiff (explicit methods need tiny steps).
    pub stiff: bool,
}

impl Problem {
    /// The right-hand side in the closure form [`solve`](crate::solve) takes for `Vec<f64>` states.
    pub fn closure(&self) -> impl FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> crate::Result<()> + '_ {
        move |t, y, dy| {
            (self.rhs)(t, y, dy);
            Ok(())
        }
    }

    /// The initial value as a `Vec<f64>`.
    pub fn y0(&self) -> Vec<f64> {
        self.y0.to_vec()
    }
}

/// Exponential decay `y' = −y/2`, `y(0) = 1`, exact `y = e^(−t/2)`, `t ∈ [0, 4]`.
pub const DECAY: Problem = Problem {
    name: "decay",
    rhs: |_t, y, dy| dy[0] = -0.5 * y[0],
    t0: 0.0,
    t1: 4.0,
    y0: &[1.0],
    exact: Some(|t| vec![(-0.5 * t).exp()]),
    stiff: false,
};

/// Harmonic oscillator `x'' = −x`, `(x, v)(0) = (1, 0)`, exact `(cos t, −sin t)`, `t ∈ [0, 10]`.
pub const HARMONIC: Problem = Problem {
    name: "harmonic",
    rhs: |_t, y, dy| {
        dy[0] = y[1];
        dy[1] = -y[0];
    },
    t0: 0.0,
    t1: 10.0,
    y0: &[1.0, 0.0],
    exact: Some(|t| vec![t.cos(), -t.sin()]),
    stiff: false,
};

/// Kepler two-body orbit, eccentricity 0.5, period 2π (HNW I, problem II.10 "Arenstorf"-free
/// variant): `q'' = −q/|q|³`, `q(0) = (1 − e, 0)`, `p(0) = (0, sqrt((1 + e)/(1 − e)))`. After one
/// period the state returns to `y0`; energy `H = |p|²/2 − 1/|q| = −1/2` ([`kepler_energy`]) and
/// angular momentum `L = q × p = sqrt(1 − e²)` ([`kepler_angular_momentum`]) are conserved.
pub const KEPLER: Problem = Problem {
    name: "kepler_e0.5",
    rhs: |_t, y, dy| {
        let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
        dy[0] = y[2];
        dy[1] = y[3];
        dy[2] = -y[0] / r3;
        dy[3] = -y[1] / r3;
    },
    t0: 0.0,
    t1: 2.0 * std::f64::consts::PI,
    y0: &[0.5, 0.0, 0.0, 1.7320508075688772],
    exact: Some(|t| {
        // Exact at whole periods only (returns y0); callers use t = k·2π.
        let _ = t;
        vec![0.5, 0.0, 0.0, 1.7320508075688772]
    }),
    stiff: false,
};

/// Kepler energy `|p|²/2 − 1/|q|` (−1/2 for [`KEPLER`]).
pub fn kepler_energy(y: &[f64]) -> f64 {
    0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / (y[0] * y[0] + y[1] * y[1]).sqrt()
}

/// Lotka–Volterra `x' = 1.5x − xy`, `y' = −3y + xy`, `(x, y)(0) = (1, 1)`, `t ∈ [0, 10]`;
/// reference end value [`LOTKA_VOLTERRA_REF`].
pub const LOTKA_VOLTERRA: Problem = Problem {
    name: "lotka_volterra",
    rhs: |_t, y, dy| {
        dy[0] = 1.5 * y[0] - y[0] * y[1];
        dy[1] = -3.0 * y[1] + y[0] * y[1];
    },
    t0: 0.0,
    t1: 10.0,
    y0: &[1.0, 1.0],
    exact: None,
    stiff: false,
};

/// Lorenz (σ = 10, ρ = 28, β = 8/3), `y0 = (1, 0, 0)`, `t ∈ [0, 100]`, as in
/// `../shared/anchors/lorenz_solvers.py` (chaotic: `y(100)` depends on every rounding; see
/// [`LORENZ_REF_T10`] for a reference on `[0, 10]`).
pub const LORENZ: Problem = Problem {
    name: "lorenz",
    rhs: |_t, y, dy| {
        dy[0] = 10.0 * (y[1] - y[0]);
        dy[1] = y[0] * (28.0 - y[2]) - y[1];
        dy[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
    },
    t0: 0.0,
    t1: 100.0,
    y0: &[1.0, 0.0, 0.0],
    exact: None,
    stiff: false,
};

/// Van der Pol `x' = v`, `v' = μ(1 − x²)v − x` with μ = 1, `(x, v)(0) = (2, 0)`, `t ∈ [0, 20]`;
/// reference end value [`VAN_DER_POL_1_REF`].
pub const VAN_DER_POL_1: Problem = Problem {
    name: "van_der_pol_mu1",
    rhs: |_t, y, dy| {
        dy[0] = y[1];
        dy[1] = (1.0 - y[0] * y[0]) * y[1] - y[0];
    },
    t0: 0.0,
    t1: 20.0,
    y0: &[2.0, 0.0],
    exact: None,
    stiff: false,
};

/// Van der Pol with μ = 1000 (stiff), `(x, v)(0) = (2, 0)`, `t ∈ [0, 3000]`.
pub const VAN_DER_POL_1000: Problem = Problem {
    name: "van_der_pol_mu1000",
    rhs: |_t, y, dy| {
        dy[0] = y[1];
        dy[1] = 1000.0 * (1.0 - y[0] * y[0]) * y[1] - y[0];
    },
    t0: 0.0,
    t1: 3000.0,
    y0: &[2.0, 0.0],
    exact: None,
    stiff: true,
};

/// Robertson's chemical kinetics (stiff; HNW II, section IV.1): `y1' = −0.04y1 + 1e4·y2·y3`,
/// `y2' = 0.04y1 − 1e4·y2·y3 − 3e7·y2²`, `y3' = 3e7·y2²`, `y(0) = (1, 0, 0)`, `t ∈ [0, 40]`.
pub const ROBERTSON: Problem = Problem {
    name: "robertson",
    rhs: |_t, y, dy| {
        dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
        dy[2] = 3e7 * y[1] * y[1];
        dy[1] = -dy[0] - dy[2];
    },
    t0: 0.0,
    t1: 40.0,
    y0: &[1.0, 0.0, 0.0],
    exact: None,
    stiff: true,
};

/// Reference for [`ROBERTSON`] continued to `t = 1e5`: `(1e5, y(1e5))`.
///
/// Source: SciPy 1.17.1 `solve_ivp(method="Radau", rtol=1e-13, atol=1e-20)` with the exact
/// Jacobian (12 077 steps); the same at rtol 1e-12 agrees to 2e-13 relative, and this crate's
/// Rodas5P at rtol 1e-12 (`tests/stiff.rs`, 8734 steps) to 4e-13 relative.
pub const ROBERTSON_REF_T1E5: (f64, [f64; 3]) = (
    1e5,
    [
        0.017865921142101643,
        7.274751468437226e-8,
        0.9821340061103832,
    ],
);

/// Reference for [`VAN_DER_POL_1000`] (unscaled form, μ = 1000, `y0 = (2, 0)`): `y(3000)`.
///
/// Source: SciPy 1.17.1 `solve_ivp(method="Radau", rtol=1e-13, atol=1e-14)` with the exact
/// Jacobian (55 740 steps); the same at rtol 1e-12 agrees to 1.5e-12 relative, and this crate's
/// Rodas5P at rtol 1e-12 (`tests/stiff.rs`, 31 417 steps) to 4e-13 relative. `t = 3000` lies
/// on the slow branch of the second relaxation cycle (period ≈ (3 − 2 ln 2)μ ≈ 1614).
pub const VAN_DER_POL_1000_REF: [f64; 2] = [-1.5106069367448323, 0.0011783800007294553];

/// Reference for [`LOTKA_VOLTERRA`]: `y(10)`.
///
/// Source: SciPy 1.17.1 (NumPy 2.4.6, Python 3.11.7)
/// `solve_ivp(method="DOP853", rtol=1e-13, atol=1e-16)` (256 steps); the same at rtol 1e-12
/// agrees to 1.1e-12 relative and `method="Radau"` at rtol 1e-13 to 1.0e-13.
/// `tests/problems.rs` checks this crate's Dop853 against it.
pub const LOTKA_VOLTERRA_REF: [f64; 2] = [1.0263447675750936, 0.9096910781361349];

/// Reference for [`LORENZ`] on the short span `[0, 10]`: `(10, y(10))`.
///
/// The registered span `[0, 100]` has no high-accuracy reference: with a Lyapunov exponent
/// ≈ 0.9, a perturbation grows by `e^(0.9·100) ≈ 1e39`, so `y(100)` is decided by rounding and
/// no two solvers agree. Over `[0, 10]` the growth is `≈ e⁹ ≈ 1e4`, and solves at rtol 1e-13
/// still agree to ~1e-12.
///
/// Source: SciPy 1.17.1 `solve_ivp(method="DOP853", rtol=1e-13, atol=1e-16)` (766 steps); the
/// same at rtol 1e-12 agrees to 3.3e-12 relative and `method="Radau"` at rtol 1e-13 to 1.5e-13.
pub const LORENZ_REF_T10: (f64, [f64; 3]) = (
    10.0,
    [-5.857685382423187, -5.831082486422201, 23.93213298703125],
);

/// Reference for [`VAN_DER_POL_1`]: `y(20)`.
///
/// Source: SciPy 1.17.1 `solve_ivp(method="DOP853", rtol=1e-13, atol=1e-16)` (468 steps); the
/// same at rtol 1e-12 agrees to 4.8e-12 relative and `method="Radau"` at rtol 1e-13 to 1.2e-12.
pub const VAN_DER_POL_1_REF: [f64; 2] = [2.00814976217494, -0.04250887527322881];

/// Kepler angular momentum `q × p = q₀p₁ − q₁p₀` (`sqrt(1 − e²) = sqrt(3)/2` for [`KEPLER`]).
pub fn kepler_angular_momentum(y: &[f64]) -> f64 {
    y[0] * y[3] - y[1] * y[2]
}

/// Every registered problem.
pub const ALL: [Problem; 8] = [
    DECAY,
    HARMONIC,
    KEPLER,
    LOTKA_VOLTERRA,
    LORENZ,
    VAN_DER_POL_1,
    VAN_DER_POL_1000,
    ROBERTSON,
];
