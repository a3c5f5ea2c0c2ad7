//! Butcher tableaus of explicit Runge–Kutta methods, with their error estimators and dense output.
//!
//! An explicit method with `s` stages advances `y₀ → y₁` by
//! `kᵢ = f(t₀ + cᵢh, y₀ + h·Σⱼ<ᵢ aᵢⱼ kⱼ)`, `y₁ = y₀ + h·Σᵢ bᵢ kᵢ`.

use crate::tableaus;

/// How a method estimates its local error.
#[derive(Debug, Clone, Copy)]
pub enum ErrorEstimate {
    /// No embedded formula: fixed steps only.
    None,
    /// An embedded pair: `err = h·Σᵢ eᵢ kᵢ` with `e = b − b̂`.
    Embedded(&'static [f64]),
    /// Hairer's DOP853 combination of a 5th- and a 3rd-order estimate (HNW I, II.10):
    /// `‖err‖ = |h|·‖e₅‖² / sqrt(n·(‖e₅‖² + 0.01‖e₃‖²))`, with `e₅ = Σ E5ᵢkᵢ`, `e₃ = Σ E3ᵢkᵢ` scaled.
    Dop853 {
        /// Weights of the 5th-order estimate.
        e5: &'static [f64],
        /// Weights of the 3rd-order estimate.
        e3: &'static [f64],
    },
}

/// The continuous extension a method uses for `t_eval`, events and dense output.
///
/// Every variant gives `y(t₀ + θh) = y₀ + h·Σᵢ wᵢ(θ) kᵢ` with polynomial weights `wᵢ(θ)`.
#[derive(Debug, Clone, Copy)]
pub enum DenseKind {
    /// Cubic Hermite through `(y₀, f₀)` and `(y₁, f₁)`: 3rd order; `f₁ = f(t₁, y₁)` is the FSAL stage
    /// or one extra evaluation (reused as the next step's first stage).
    Hermite,
    /// `wᵢ(θ) = Σⱼ P[i][j]·θ^(j+1)` (Dopri5's quartic of Shampine 1986, as SciPy's RK45 `P`).
    Powers(&'static [&'static [f64]]),
    /// Tsitouras' own 4th-order interpolant (Tsitouras 2011, as in OrdinaryDiffEq and diffrax).
    Tsit5,
    /// Hairer's 7th-order DOP853 dense output: three extra stages and the `D` matrix.
    Dop853 {
        /// Extra stages `(c, a-row)` evaluated only when a step's dense output is needed.
        extra: &'static [(f64, &'static [f64])],
        /// Rows of the `D` matrix (one per extra interpolation coefficient, 16 stages each).
        d: &'static [&'static [f64]],
    },
}

/// An explicit Runge–Kutta method as data.
#[derive(Debug, Clone, Copy)]
pub struct Tableau {
    /// The method's usual name.
    pub name: &'static str,
    /// Nodes `cᵢ` (`c₀ = 0`).
    pub c: &'static [f64],
    /// Strictly lower rows of `A`: `a[i]` holds `aᵢ₀ … aᵢ,ᵢ₋₁` (`a[0]` is empty).
    pub a: &'static [&'static [f64]],
    /// Weights `bᵢ` of the propagated solution.
    pub b: &'static [f64],
    /// Classical order of `b`.
    pub order: u32,
    /// The error estimator.
    pub error: ErrorEstimate,
    /// Exponent order `k` of the step-size controller: the error behaves like `h^k`.
    pub error_exponent: u32,
    /// First Same As Last: the last stage is `f(t₁, y₁)` (its `A` row equals `b`).
    pub fsal: bool,
    /// The continuous extension.
    pub dense: DenseKind,
}

impl Tableau {
    /// Number of stages `s` (the FSAL stage included).
    pub fn stages(&self) -> usize {
        self.c.len()
    }

    /// Whether an adaptive step is possible.
    pub fn is_adaptive(&self) -> bool {
        !matches!(self.error, ErrorEstimate::None)
    }

    /// Index of `f(t₁, y₁)` among a step's stored stages.
    pub fn f1_index(&self) -> usize {
        if self.fsal {
            self.stages() - 1
        } else {
            self.stages()
        }
    }

    /// Number of stage slots a step keeps for its dense output.
    pub fn dense_len(&self) -> usize {
        match self.dense {
            DenseKind::Dop853 { extra, .. } => self.stages() + extra.len(),
            _ => self.f1_index() + 1,
        }
    }

    /// Weights `wᵢ(θ)` of the continuous extension, written to `w[..self.dense_len()]`.
    ///
    /// # Panics
    /// If `w` is shorter than [`Tableau::dense_len`].
    pub fn dense_weights(&self, theta: f64, w: &mut [f64]) {
        let n = self.dense_len();
        let w = &mut w[..n];
        w.fill(0.0);
        let x = theta;
        match self.dense {
            DenseKind::Hermite => {
                // y(θ) = y₀ + h[(3θ² − 2θ³)·Σbk + (θ − 2θ² + θ³)·f₀ + (θ³ − θ²)·f₁]
                let hb = x * x * (3.0 - 2.0 * x);
                for (wi, bi) in w.iter_mut().zip(self.b) {
                    *wi = bi * hb;
                }
                w[0] += x * (1.0 - x) * (1.0 - x);
                w[self.f1_index()] += x * x * (x - 1.0);
            }
            DenseKind::Powers(p) => {
                for (wi, row) in w.iter_mut().zip(p) {
                    let mut xp = x;
                    for coef in row.iter() {
                        *wi += coef * xp;
                        xp *= x;
                    }
                }
            }
            DenseKind::Tsit5 => tableaus::tsit5::weights(x, w),
            DenseKind::Dop853 { d, .. } => {
                // y − y₀ = F₀x + F₁x(1−x) + F₂x²(1−x) + F₃x²(1−x)² + … + F₆x⁴(1−x)³ (SciPy's
                // Dop853DenseOutput), with F₀ = hΣbk, F₁ = h(k₁ − Σbk), F₂ = h(2Σbk − k₁ − f₁),
                // F₃₊ⱼ = h·Σ Dⱼᵢkᵢ.
                let y = 1.0 - x;
                let phi = [
                    x,
                    x * y,
                    x * x * y,
                    x * x * y * y,
                    x * x * x * y * y,
                    x * x * x * y * y * y,
                    x * x * x * x * y * y * y,
                ];
                let f1 = self.f1_index();
                for (i, bi) in self.b.iter().enumerate() {
                    w[i] += bi * (phi[0] - phi[1] + 2.0 * phi[2]);
                }
                w[0] += phi[1] - phi[2];
                w[f1] -= phi[2];
                for (j, row) in d.iter().enumerate() {
                    for (wi, dji) in w.iter_mut().zip(row.iter()) {
                        *wi += phi[3 + j] * dji;
                    }
                }
            }
        }
    }
}

/// The explicit methods by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Forward Euler, order 1.
    Euler,
    /// Explicit midpoint, order 2.
    Midpoint,
    /// Heun's method (explicit trapezoid), order 2.
    Heun,
    /// The classic Runge–Kutta method, order 4.
    Rk4,
    /// Bogacki–Shampine 3(2), FSAL.
    Bosh3,
    /// Dormand–Prince 5(4), FSAL, 4th-order dense output.
    Dopri5,
    /// Tsitouras 5(4), FSAL, 4th-order dense output.
    Tsit5,
    /// Hairer's DOP853: 8th order, 5(3) error estimate, 7th-order dense output.
    Dop853,
}

impl Method {
    /// Every method, lowest order first.
    pub const ALL: [Method; 8] = [
        Method::Euler,
        Method::Midpoint,
        Method::Heun,
        Method::Rk4,
        Method::Bosh3,
        Method::Dopri5,
        Method::Tsit5,
        Method::Dop853,
    ];

    /// The method's tableau.
    pub fn tableau(self) -> &'static Tableau {
        match self {
            Method::Euler => &tableaus::classic::EULER,
            Method::Midpoint => &tableaus::classic::MIDPOINT,
            Method::Heun => &tableaus::classic::HEUN,
            Method::Rk4 => &tableaus::classic::RK4,
            Method::Bosh3 => &tableaus::bosh3::BOSH3,
            Method::Dopri5 => &tableaus::dopri5::DOPRI5,
            Method::Tsit5 => &tableaus::tsit5::TSIT5,
            Method::Dop853 => &tableaus::dop853::DOP853,
        }
    }
}
