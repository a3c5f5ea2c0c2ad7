//! Gauss–Hermite quadrature with nodes and log-weights computed in f64.
//!
//! The rule integrates against the weight e^{−z²} on the real line:
//!
//! ∫ g(z) e^{−z²} dz ≈ Σₖ wₖ g(zₖ),
//!
//! exactly for polynomials g of degree ≤ 2n − 1. The nodes zₖ are the zeros of the Hermite
//! polynomial Hₙ, i.e. the eigenvalues of the symmetric tridiagonal Jacobi matrix with zero
//! diagonal and off-diagonal entries √(k/2), k = 1, …, n − 1 (Golub & Welsch, Math. Comp. 23,
//! 1969). They are located by bisection on the Sturm sequence of that matrix (which is robust for
//! any n), then polished by Newton's method on the three-term recurrence of the orthonormal
//! Hermite polynomials (Numerical Recipes §4.6, `gauher`):
//!
//! p₀ = π^{−1/4}, p₁ = √2 z p₀, pⱼ = z √(2/j) pⱼ₋₁ − √((j−1)/j) pⱼ₋₂, pₙ′ = √(2n) pₙ₋₁,
//!
//! and the weights are wₖ = 2 / pₙ′(zₖ)². The weights span hundreds of orders of magnitude
//! (wₖ ≈ e^{−zₖ²}) — the Golub–Welsch eigenvector formula would only give them to an absolute
//! accuracy of ~1e-16 — so they are kept as natural logarithms, each with full relative accuracy;
//! the recurrence is rescaled as it runs so it never overflows.

use crate::{Error, Result};

/// The largest order [`GaussHermite::new`] accepts (bisection costs O(n²) per rule).
pub const MAX_GAUSS_HERMITE_ORDER: usize = 4096;

/// An n-point Gauss–Hermite rule for ∫ g(z) e^{−z²} dz, nodes ascending, weights as logarithms.
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::GaussHermite;
/// let rule = GaussHermite::new(20).unwrap();
/// // ∫ z² e^{−z²} dz = √π / 2.
/// let m2 = rule.integrate(|z| z * z);
/// assert!((m2 - std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-14);
/// ```
#[derive(Debug, Clone)]
pub struct GaussHermite {
    nodes: Vec<f64>,
    ln_weights: Vec<f64>,
}

/// Values of the orthonormal recurrence at z: (pₙ, pₙ′, ln of the common scale factor).
///
/// The returned pₙ and pₙ′ are both divided by e^{scale}; their ratio is unaffected.
fn hermite_recurrence(n: usize, z: f64) -> (f64, f64, f64) {
    const BIG: f64 = 1e200;
    let mut scale = 0.0;
    let mut p_prev = 0.0; // p_{-1}
    let mut p = std::f64::consts::PI.powf(-0.25); // p_0
    for j in 1..=n {
        let jf = j as f64;
        let next = z * (2.0 / jf).sqrt() * p - ((jf - 1.0) / jf).sqrt() * p_prev;
        p_prev = p;
        p = next;
        if p.abs() > BIG {
            p /= BIG;
            p_prev /= BIG;
            scale += BIG.ln();
        }
    }
    (p, (2.0 * n as f64).sqrt() * p_prev, scale)
}

/// Number of eigenvalues of the n × n Hermite Jacobi matrix that are < z (Sturm count).
fn sturm_count_below(n: usize, z: f64) -> usize {
    let mut count = 0;
    let mut d = -z;
    for k in 1..=n {
        if k > 1 {
            // d_k = (0 − z) − b²_{k−1} / d_{k−1}, with b²_{k−1} = (k−1)/2.
            d = -z - ((k - 1) as f64 / 2.0) / d;
        }
        if d == 0.0 {
            d = -f64::MIN_POSITIVE;
        }
        if d < 0.0 {
            count += 1;
        }
    }
    count
}

impl GaussHermite {
    /// Computes the n-point rule.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if n = 0 or n > [`MAX_GAUSS_HERMITE_ORDER`].
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 || n > MAX_GAUSS_HERMITE_ORDER {
            return Err(Error::invalid(
                "GaussHermite::new",
                format!("order n = {n} must be in 1..={MAX_GAUSS_HERMITE_ORDER}"),
            ));
        }
        // All zeros of Hₙ lie in |z| < √(2n + 1).
        let bound = (2.0 * n as f64 + 1.0).sqrt() + 1.0;
        let mut nodes = vec![0.0; n];
        let mut ln_weights = vec![0.0; n];
        // Compute the non-negative half (index i ≥ n/2 in ascending order) and mirror it.
        for i in n / 2..n {
            let z = if n % 2 == 1 && i == n / 2 {
                0.0
            } else {
                let (mut lo, mut hi) = (0.0_f64, bound);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if mid <= lo || mid >= hi {
                        break;
                    }
                    if sturm_count_below(n, mid) > i {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                // Newton polish on the recurrence, kept inside the bracket.
                let mut z = 0.5 * (lo + hi);
                for _ in 0..3 {
                    let (p, dp, _) = hermite_recurrence(n, z);
                    let step = p / dp;
                    let next = z - step;
                    if !next.is_finite() || next < lo || next > hi {
                        break;
                    }
                    z = next;
                    if step.abs() <= f64::EPSILON * z.abs() {
                        break;
                    }
                }
                z
            };
            let (_, dp, scale) = hermite_recurrence(n, z);
            let lw = std::f64::consts::LN_2 - 2.0 * (dp.abs().ln() + scale);
            nodes[i] = z;
            ln_weights[i] = lw;
            nodes[n - 1 - i] = -z;
            ln_weights[n - 1 - i] = lw;
        }
        Ok(Self { nodes, ln_weights })
    }

    /// The number of nodes n.
    pub fn order(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes zₖ (zeros of Hₙ), ascending and symmetric about 0.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The natural logarithms of the weights, ln wₖ (wₖ ≈ e^{−zₖ²} underflows for large n).
    pub fn ln_weights(&self) -> &[f64] {
        &self.ln_weights
    }

    /// Σₖ wₖ g(zₖ) ≈ ∫ g(z) e^{−z²} dz, for integrands that do not need overflow protection.
    pub fn integrate(&self, g: impl Fn(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.ln_weights)
            .map(|(&z, &lw)| lw.exp() * g(z))
            .sum()
    }
}
