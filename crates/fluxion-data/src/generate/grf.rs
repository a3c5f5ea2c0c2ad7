//! Gaussian random fields `N(0, C)` with `C = σ²(−Δ + τ²I)^{−α}`, by Karhunen–Loève (spectral)
//! synthesis: `u = Σ_k √λ_k ξ_k φ_k` over the Laplacian's orthonormal eigenfunctions `φ_k` with
//! eigenvalues `μ_k`, `λ_k = σ²(μ_k + τ²)^{−α}`, `ξ_k` independent standard normals.
//!
//! Normalisation: the fields here have exactly the covariance operator `C` (truncated to the
//! grid's modes, mean mode removed), with `φ_k` orthonormal in `L²` of the unit interval or
//! square. FNO's `GaussianRF` (periodic, `random_fields.py`) takes the real part of an FFT of
//! complex noise and scales by `√2`, which doubles the variance; FNO's MATLAB `GRF.m` (Neumann,
//! Darcy) scales by `s` through `idct2`. For Darcy only the sign of the field matters (it is
//! thresholded), so the scale is immaterial there.
//!
//! - Periodic (unit circle or torus): `φ_k = e^{2πik·x}`, `μ_k = 4π²|k|²`. On an `s`-point grid
//!   `x_j = j/s` (any shift has the same law) the field is `u_j = Re Σ_k √λ_k (a_k + i b_k)
//!   e^{−2πik·j/s}` over the grid's frequencies `k ∈ [−s/2, s/2)^d` with `a_k, b_k ~ N(0, 1)`,
//!   `λ_0 = 0`: its covariance is `Σ_k λ_k cos 2πk·(x − y)`, exactly `C`'s kernel restricted to
//!   those frequencies, and its unnormalised DFT has `E|û_k|² = s^{2d} λ_k`.
//! - Neumann (unit square): `φ_k(x, y) = c_{k₁}c_{k₂} cos(πk₁x) cos(πk₂y)`, `c_0 = 1`,
//!   `c_k = √2`, `μ_k = π²|k|²`, modes `0 ≤ k₁, k₂ < K`, `λ_{0,0} = 0` (as `GRF.m`), evaluated on the
//!   nodes `x_i = i/(s − 1)` of the Darcy grid.

use rustfft::num_complex::Complex64;

use super::fft::{Fft1, Fft2};
use super::SampleRng;

/// The covariance `σ²(−Δ + τ²I)^{−α}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrfSpec {
    /// Scale `σ²`.
    pub sigma2: f64,
    /// Shift `τ`.
    pub tau: f64,
    /// Exponent `α`.
    pub alpha: f64,
}

impl GrfSpec {
    /// FNO's Burgers initial condition: `N(0, 625(−Δ + 25I)^{−2})` on the unit circle.
    pub const BURGERS: Self = Self {
        sigma2: 625.0,
        tau: 5.0,
        alpha: 2.0,
    };

    /// FNO's Darcy coefficient field: `N(0, (−Δ + 9I)^{−2})` with Neumann conditions, scaled by
    /// `τ^{2(α−1)} = 9` as in `GRF.m` (immaterial once thresholded).
    pub const DARCY: Self = Self {
        sigma2: 9.0,
        tau: 3.0,
        alpha: 2.0,
    };

    /// FNO's Navier–Stokes initial vorticity as the paper states it:
    /// `N(0, 7^{3/2}(−Δ + 49I)^{−2.5})` (the released code uses `σ² = 7³`).
    pub const NAVIER_STOKES: Self = Self {
        sigma2: 18.520_259_177_452_13, // 7^{3/2}
        tau: 7.0,
        alpha: 2.5,
    };

    /// `λ = σ²(μ + τ²)^{−α}` for the Laplacian eigenvalue `μ ≥ 0`.
    ///
    /// ```
    /// use fluxion_data::generate::grf::GrfSpec;
    /// assert_eq!(GrfSpec::BURGERS.eigenvalue(0.0), 1.0); // 625 · 25⁻²
    /// ```
    pub fn eigenvalue(&self, mu: f64) -> f64 {
        self.sigma2 * (mu + self.tau * self.tau).powf(-self.alpha)
    }

    /// `λ_k` of the periodic mode with integer wavenumber vector `k` (`μ = 4π²|k|²`); 0 at `k = 0`.
    pub fn periodic_eigenvalue(&self, k: &[f64]) -> f64 {
        let k2: f64 = k.iter().map(|v| v * v).sum();
        if k2 == 0.0 {
            0.0
        } else {
            self.eigenvalue(4.0 * std::f64::consts::PI.powi(2) * k2)
        }
    }

    /// `λ_k` of the Neumann mode `k` (`μ = π²|k|²`); 0 at `k = 0`.
    pub fn neumann_eigenvalue(&self, k: &[f64]) -> f64 {
        let k2: f64 = k.iter().map(|v| v * v).sum();
        if k2 == 0.0 {
            0.0
        } else {
            self.eigenvalue(std::f64::consts::PI.powi(2) * k2)
        }
    }
}

/// One periodic sample on `s` points of the unit circle (`x_j = j/s`); draws `2s` normals
/// (`a_k, b_k` for each FFT index `k` in order).
///
/// ```
/// use fluxion_data::generate::{grf::{periodic_1d, GrfSpec}, SampleRng};
/// let u = periodic_1d(&GrfSpec::BURGERS, 64, &mut SampleRng::new(0, 0));
/// assert!(u.iter().sum::<f64>().abs() < 1e-12); // mean mode removed
/// ```
pub fn periodic_1d(spec: &GrfSpec, s: usize, rng: &mut SampleRng) -> Vec<f64> {
    let mut w: Vec<Complex64> = (0..s)
        .map(|i| {
            let (a, b) = (rng.normal(), rng.normal());
            let l = spec.periodic_eigenvalue(&[super::fft::freq(i, s)]);
            Complex64::new(a, b) * l.sqrt()
        })
        .collect();
    Fft1::new(s).forward(&mut w);
    w.iter().map(|c| c.re).collect()
}

/// One periodic sample on the `s × s` grid of the unit torus, row-major `[x, y]`; draws `2s²`
/// normals in row-major FFT-index order.
pub fn periodic_2d(spec: &GrfSpec, s: usize, rng: &mut SampleRng) -> Vec<f64> {
    let mut w = vec![Complex64::default(); s * s];
    for i in 0..s {
        for j in 0..s {
            let (a, b) = (rng.normal(), rng.normal());
            let k = [super::fft::freq(i, s), super::fft::freq(j, s)];
            w[i * s + j] = Complex64::new(a, b) * spec.periodic_eigenvalue(&k).sqrt();
        }
    }
    Fft2::new(s, s).forward(&mut w);
    w.iter().map(|c| c.re).collect()
}

/// The Neumann basis `φ_k(x_i) = c_k cos(πk x_i)` at the nodes `x_i = i/(s − 1)`, `[s, K]`.
pub(crate) fn cosine_basis(s: usize, modes: usize) -> Vec<f64> {
    let mut c = vec![0.0; s * modes];
    let h = if s > 1 { 1.0 / (s - 1) as f64 } else { 0.0 };
    for i in 0..s {
        for k in 0..modes {
            let ck = if k == 0 {
                1.0
            } else {
                std::f64::consts::SQRT_2
            };
            c[i * modes + k] = ck * (std::f64::consts::PI * k as f64 * i as f64 * h).cos();
        }
    }
    c
}

/// One Neumann sample on the `s × s` nodes `(i/(s−1), j/(s−1))` of the unit square, row-major,
/// with modes `0 ≤ k₁, k₂ < modes`; draws `modes²` normals in row-major `(k₁, k₂)` order.
///
/// Computed as `U = Φ M Φᵀ` with `Φ = `[`cosine_basis`]-style `[s, K]` and `M_{k₁k₂} = √λ_k ξ_k`
/// (two dense products, `O(K s²)`).
pub fn neumann_2d(spec: &GrfSpec, s: usize, modes: usize, rng: &mut SampleRng) -> Vec<f64> {
    let kk = modes;
    let mut m = vec![0.0; kk * kk];
    for k1 in 0..kk {
        for k2 in 0..kk {
            let l = spec.neumann_eigenvalue(&[k1 as f64, k2 as f64]);
            m[k1 * kk + k2] = l.sqrt() * rng.normal();
        }
    }
    let phi = cosine_basis(s, kk);
    // T = M Φᵀ: [K, s].
    let mut t = vec![0.0; kk * s];
    for k1 in 0..kk {
        let mrow = &m[k1 * kk..(k1 + 1) * kk];
        for j in 0..s {
            let prow = &phi[j * kk..(j + 1) * kk];
            t[k1 * s + j] = mrow.iter().zip(prow).map(|(a, b)| a * b).sum();
        }
    }
    // U = Φ T: [s, s].
    let mut u = vec![0.0; s * s];
    for i in 0..s {
        let urow = &mut u[i * s..(i + 1) * s];
        for k1 in 0..kk {
            let p = phi[i * kk + k1];
            if p == 0.0 {
                continue;
            }
            for (uv, tv) in urow.iter_mut().zip(&t[k1 * s..(k1 + 1) * s]) {
                *uv += p * tv;
            }
        }
    }
    u
}
