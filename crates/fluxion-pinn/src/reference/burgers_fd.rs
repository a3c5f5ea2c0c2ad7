//! A fine finite-difference Burgers solver, used to check the Cole–Hopf reference.
//!
//! Method of lines on the uniform grid xⱼ = −1 + j Δx, j = 0, …, N − 1, Δx = 2/(N − 1), with
//! Dirichlet values u₀ = u_{N−1} = 0 and, at interior points,
//!
//! du_j/dt = −(F_{j+½} − F_{j−½})/Δx + ν (u_{j+1} − 2u_j + u_{j−1})/Δx²,
//! F_{j+½} = (u_j² + u_j u_{j+1} + u_{j+1}²)/6,
//!
//! the energy-conserving (skew-symmetric) central flux for (u²/2)_x: second order, conservative,
//! and it neither adds nor removes discrete energy Σ u_j², so all dissipation is the physical ν.
//! Time stepping is the three-stage strong-stability-preserving Runge–Kutta method of Shu & Osher
//! (J. Comput. Phys. 77, 1988), with
//!
//! Δt ≤ 0.9 / (4ν/(2.5 Δx²) + max|u₀|/(1.7 Δx)),
//!
//! inside SSP-RK3's stability region for the diffusive (real, down to −2.51) and advective
//! (imaginary, up to ±√3) eigenvalues; |u| never exceeds max|u₀| by the maximum principle. The
//! step is shortened so every requested output time is hit exactly. With Δt ∝ Δx² the time error
//! is O(Δx⁶), so the error is the spatial O(Δx²) one. Resolving the front at x = 0 (width ~ν,
//! gradient up to ~152 at ν = 0.01/π) needs Δx ≲ ν/5: use N in the thousands.

use std::f64::consts::PI;

use super::linspace;
use crate::{Error, Result};

/// Snapshots of the finite-difference Burgers solution.
#[derive(Debug, Clone)]
pub struct BurgersFdSolution {
    /// Grid points, linspace(−1, 1, N).
    pub x: Vec<f64>,
    /// Output times (as requested).
    pub t: Vec<f64>,
    /// Solution, row-major `[t.len(), x.len()]`.
    pub u: Vec<f64>,
    /// Time steps taken.
    pub steps: usize,
}

impl BurgersFdSolution {
    /// The snapshot u(t[i], ·).
    ///
    /// # Panics
    ///
    /// If i ≥ t.len().
    pub fn row(&self, i: usize) -> &[f64] {
        let nx = self.x.len();
        &self.u[i * nx..(i + 1) * nx]
    }
}

/// du/dt of the semi-discretisation (interior points; boundary derivatives are zero).
fn burgers_rhs(u: &[f64], du: &mut [f64], nu: f64, dx: f64) {
    let n = u.len();
    let inv_dx = 1.0 / dx;
    let diff = nu / (dx * dx);
    du[0] = 0.0;
    du[n - 1] = 0.0;
    for j in 1..n - 1 {
        let (um, uc, up) = (u[j - 1], u[j], u[j + 1]);
        let f_right = (uc * uc + uc * up + up * up) / 6.0;
        let f_left = (um * um + um * uc + uc * uc) / 6.0;
        du[j] = -(f_right - f_left) * inv_dx + diff * (up - 2.0 * uc + um);
    }
}

/// Solves u_t + u u_x = ν u_xx on [−1, 1], u(0, x) = −sin πx, u(t, ±1) = 0, by second-order
/// central differences on `n_points` uniform points and SSP-RK3 (see the module docs), and
/// returns the snapshots at `times`.
///
/// Choose `n_points = 255 m + 1` to make Raissi's 256-point grid a subset of the FD grid
/// (every m-th point).
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::{burgers_fd, BURGERS_NU};
/// let sol = burgers_fd(BURGERS_NU, 257, &[0.0, 0.1]).unwrap();
/// assert_eq!(sol.u.len(), 2 * 257);
/// assert!(sol.row(1)[128].abs() < 1e-12); // odd symmetry: u(t, 0) = 0
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] if ν is not finite and positive, `n_points` < 3, or `times` are
/// not finite, non-negative and non-decreasing.
pub fn burgers_fd(nu: f64, n_points: usize, times: &[f64]) -> Result<BurgersFdSolution> {
    const WHAT: &str = "burgers_fd";
    if !(nu.is_finite() && nu > 0.0) {
        return Err(Error::invalid(
            WHAT,
            format!("viscosity ν = {nu} must be finite and > 0"),
        ));
    }
    if n_points < 3 {
        return Err(Error::invalid(
            WHAT,
            format!("n_points = {n_points} must be ≥ 3"),
        ));
    }
    let mut prev = 0.0;
    for &t in times {
        if !(t.is_finite() && t >= prev) {
            return Err(Error::invalid(
                WHAT,
                format!("times must be finite, ≥ 0 and non-decreasing; got {t} after {prev}"),
            ));
        }
        prev = t;
    }
    let x = linspace(-1.0, 1.0, n_points);
    let dx = 2.0 / (n_points - 1) as f64;
    let mut u: Vec<f64> = x.iter().map(|&x| -(PI * x).sin()).collect();
    u[0] = 0.0;
    u[n_points - 1] = 0.0;
    let u_max = u.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let dt_max = 0.9 / (4.0 * nu / (2.5 * dx * dx) + u_max / (1.7 * dx));

    let mut out = Vec::with_capacity(times.len() * n_points);
    let (mut k, mut u1, mut u2) = (
        vec![0.0; n_points],
        vec![0.0; n_points],
        vec![0.0; n_points],
    );
    let mut t_now = 0.0;
    let mut steps = 0;
    for &t_out in times {
        let span = t_out - t_now;
        if span > 0.0 {
            let n_steps = (span / dt_max).ceil().max(1.0) as usize;
            let dt = span / n_steps as f64;
            for _ in 0..n_steps {
                burgers_rhs(&u, &mut k, nu, dx);
                for j in 0..n_points {
                    u1[j] = u[j] + dt * k[j];
                }
                burgers_rhs(&u1, &mut k, nu, dx);
                for j in 0..n_points {
                    u2[j] = 0.75 * u[j] + 0.25 * (u1[j] + dt * k[j]);
                }
                burgers_rhs(&u2, &mut k, nu, dx);
                for j in 0..n_points {
                    u[j] = (u[j] + 2.0 * (u2[j] + dt * k[j])) / 3.0;
                }
            }
            steps += n_steps;
            t_now = t_out;
        }
        out.extend_from_slice(&u);
    }
    Ok(BurgersFdSolution {
        x,
        t: times.to_vec(),
        u: out,
        steps,
    })
}
