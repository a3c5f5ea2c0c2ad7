//! High-accuracy reference solutions for the PINN zoo, in plain f64.
//!
//! - [`burgers_cole_hopf`]: the Cole–Hopf exact solution of Raissi et al.'s Burgers problem
//!   (u_t + u u_x = ν u_xx, u(0, x) = −sin πx, u(t, ±1) = 0, ν = 0.01/π) by Gauss–Hermite
//!   quadrature ([`GaussHermite`]) with log-sum-exp scaling, accurate to ~1e-13;
//!   [`raissi_burgers_reference`] evaluates it on Raissi's 100 × 256 grid.
//! - [`burgers_fd`]: a fine second-order finite-difference solve of the same problem, used only
//!   to cross-check the Cole–Hopf values.
//! - [`exponential_decay`], [`heat_sine_mode`], [`heat_sine_series`], [`PoissonManufactured`]:
//!   closed-form solutions.
//! - [`allen_cahn_etdrk4`]: a pseudo-spectral ETDRK4 reference for the Allen–Cahn equation.

mod allen_cahn;
mod burgers_fd;
mod cole_hopf;
mod exact;
mod fft;
mod gauss_hermite;

pub use allen_cahn::{allen_cahn_etdrk4, AllenCahnSolution, ALLEN_CAHN_EPS};
pub use burgers_fd::{burgers_fd, BurgersFdSolution};
pub use cole_hopf::{
    burgers_cole_hopf, burgers_cole_hopf_grid, burgers_cole_hopf_with, cole_hopf_order,
    raissi_burgers_reference, BurgersReference, BURGERS_NU, RAISSI_NT, RAISSI_NX,
};
pub use exact::{exponential_decay, heat_sine_mode, heat_sine_series, PoissonManufactured};
pub use gauss_hermite::{GaussHermite, MAX_GAUSS_HERMITE_ORDER};

/// n equally spaced points from a to b inclusive, like `numpy.linspace`:
/// xᵢ = a + i (b − a)/(n − 1), with the last point exactly b (a single point is a).
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::linspace;
/// assert_eq!(linspace(-1.0, 1.0, 5), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
/// ```
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![a],
        _ => {
            let step = (b - a) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| a + i as f64 * step).collect();
            v[n - 1] = b;
            v
        }
    }
}
