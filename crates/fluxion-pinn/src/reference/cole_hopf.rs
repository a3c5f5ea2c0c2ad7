//! The Cole–Hopf exact solution of the viscous Burgers equation with u(0, x) = −sin πx.
//!
//! The problem of Raissi, Perdikaris & Karniadakis (J. Comput. Phys. 378, 2019, §3.1):
//!
//! u_t + u u_x = ν u_xx,  x ∈ [−1, 1],  u(0, x) = −sin πx,  u(t, ±1) = 0,  ν = 0.01/π.
//!
//! The Cole–Hopf transform u = −2ν φ_x / φ turns it into the heat equation φ_t = ν φ_xx, whose
//! solution on the line, with the periodic (and odd) initial data continued from [−1, 1], gives
//! (Basdevant et al., Computers & Fluids 14, 1986)
//!
//! u(t, x) = −∫ sin π(x−η) f(x−η) e^{−η²/4νt} dη / ∫ f(x−η) e^{−η²/4νt} dη,
//! f(y) = exp(−cos πy / (2πν)).
//!
//! Substituting η = √(4νt) z turns both integrals into Gauss–Hermite integrals against e^{−z²}:
//!
//! u(t, x) = −Σₖ wₖ sin π yₖ f(yₖ) / Σₖ wₖ f(yₖ),  yₖ = x − √(4νt) zₖ.
//!
//! f reaches e^{±1/(2πν)} = e^{±50} at ν = 0.01/π and the weights span hundreds of orders of
//! magnitude, so each term is formed as exp(aₖ − max a) with aₖ = ln wₖ − cos π yₖ / (2πν)
//! (log-sum-exp); the common factor cancels in the ratio, so nothing overflows or underflows
//! into a wrong answer. The integrand's mass sits where −z² − cos π yₖ/(2πν) is largest, at
//! |z| ≤ 1/√(πν) (= 10 at ν = 0.01/π), so the rule needs nodes out past that:
//! [`cole_hopf_order`] picks n = max(200, ⌈2.5/(πν)⌉), which reaches |z| ≈ √(2n).

use std::f64::consts::PI;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::gauss_hermite::{GaussHermite, MAX_GAUSS_HERMITE_ORDER};
use super::linspace;
use crate::{Error, Result};

/// Raissi's viscosity, ν = 0.01/π.
pub const BURGERS_NU: f64 = 0.01 / PI;

/// Number of x points of Raissi's reference grid (linspace(−1, 1, 256)).
pub const RAISSI_NX: usize = 256;

/// Number of t points of Raissi's reference grid (linspace(0, 0.99, 100)).
pub const RAISSI_NT: usize = 100;

/// The Gauss–Hermite order [`burgers_cole_hopf`] uses for viscosity ν: max(200, ⌈2.5/(πν)⌉).
///
/// At ν = 0.01/π this is 250; doubling it changes u by less than 1e-13 (see the tests).
///
/// # Errors
///
/// [`Error::InvalidArgument`] if ν is not finite and positive, or so small that the order
/// would exceed [`MAX_GAUSS_HERMITE_ORDER`].
pub fn cole_hopf_order(nu: f64) -> Result<usize> {
    check_nu("cole_hopf_order", nu)?;
    let n = (2.5 / (PI * nu)).ceil().max(200.0);
    if n > MAX_GAUSS_HERMITE_ORDER as f64 {
        return Err(Error::invalid(
            "cole_hopf_order",
            format!("ν = {nu} needs {n} Gauss–Hermite nodes, more than {MAX_GAUSS_HERMITE_ORDER}"),
        ));
    }
    Ok(n as usize)
}

fn check_nu(what: &'static str, nu: f64) -> Result<()> {
    if !(nu.is_finite() && nu > 0.0) {
        return Err(Error::invalid(
            what,
            format!("viscosity ν = {nu} must be finite and > 0"),
        ));
    }
    Ok(())
}

fn check_point(what: &'static str, t: f64, x: f64) -> Result<()> {
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
    Ok(())
}

/// The rule for Raissi's ν, built once.
fn raissi_rule() -> &'static GaussHermite {
    static RULE: OnceLock<GaussHermite> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = cole_hopf_order(BURGERS_NU).expect("ν = 0.01/π is valid");
        GaussHermite::new(n).expect("order within range")
    })
}

fn rule_for(nu: f64) -> Result<std::borrow::Cow<'static, GaussHermite>> {
    let n = cole_hopf_order(nu)?;
    let raissi = raissi_rule();
    if n == raissi.order() {
        Ok(std::borrow::Cow::Borrowed(raissi))
    } else {
        Ok(std::borrow::Cow::Owned(GaussHermite::new(n)?))
    }
}

/// u(t, x) from the Cole–Hopf formula with a given Gauss–Hermite rule (no argument checks).
fn cole_hopf_unchecked(rule: &GaussHermite, t: f64, x: f64, nu: f64) -> f64 {
    if t == 0.0 {
        return -(PI * x).sin();
    }
    let c = (4.0 * nu * t).sqrt();
    let inv = 1.0 / (2.0 * PI * nu);
    let exponent = |z: f64, lw: f64| lw - (PI * (x - c * z)).cos() * inv;
    let nodes = rule.nodes();
    let lws = rule.ln_weights();
    let a_max = nodes
        .iter()
        .zip(lws)
        .map(|(&z, &lw)| exponent(z, lw))
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut num, mut den) = (0.0, 0.0);
    for (&z, &lw) in nodes.iter().zip(lws) {
        let (s, co) = (PI * (x - c * z)).sin_cos();
        let e = (lw - co * inv - a_max).exp();
        num += s * e;
        den += e;
    }
    -num / den
}

/// The Cole–Hopf solution u(t, x) of u_t + u u_x = ν u_xx, u(0, x) = −sin πx, with a given rule.
///
/// u(t, x) = −Σₖ wₖ sin π yₖ f(yₖ) / Σₖ wₖ f(yₖ), yₖ = x − √(4νt) zₖ, f(y) = e^{−cos πy/(2πν)},
/// summed in log-sum-exp form; u(0, x) = −sin πx exactly. Use this to study convergence in the
/// number of nodes; [`burgers_cole_hopf`] picks the rule itself.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if t < 0 or is not finite, x is not finite, or ν is not finite
/// and positive.
pub fn burgers_cole_hopf_with(rule: &GaussHermite, t: f64, x: f64, nu: f64) -> Result<f64> {
    check_nu("burgers_cole_hopf_with", nu)?;
    check_point("burgers_cole_hopf_with", t, x)?;
    Ok(cole_hopf_unchecked(rule, t, x, nu))
}

/// The Cole–Hopf solution u(t, x) of the Burgers problem u_t + u u_x = ν u_xx,
/// u(0, x) = −sin πx, u(t, ±1) = 0 — Raissi et al.'s reference solution at ν = [`BURGERS_NU`].
///
/// Accurate to ~1e-13 (Gauss–Hermite with [`cole_hopf_order`] nodes; see the module docs).
/// Defined for every real x (the solution is 2-periodic and odd in x).
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::{burgers_cole_hopf, BURGERS_NU};
/// let u = burgers_cole_hopf(0.5, 0.5, BURGERS_NU).unwrap();
/// assert!(u < 0.0 && u > -1.0);
/// assert!(burgers_cole_hopf(0.5, 0.0, BURGERS_NU).unwrap().abs() < 1e-14);
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] if t < 0 or is not finite, x is not finite, or ν is not valid for
/// [`cole_hopf_order`].
pub fn burgers_cole_hopf(t: f64, x: f64, nu: f64) -> Result<f64> {
    let rule = rule_for(nu)?;
    check_point("burgers_cole_hopf", t, x)?;
    Ok(cole_hopf_unchecked(&rule, t, x, nu))
}

/// The Cole–Hopf solution on a tensor grid, row-major `[ts.len(), xs.len()]`:
/// `u[i * xs.len() + j] = u(ts[i], xs[j])`, evaluated in parallel with rayon.
///
/// # Errors
///
/// As [`burgers_cole_hopf`], for any grid value.
pub fn burgers_cole_hopf_grid(ts: &[f64], xs: &[f64], nu: f64) -> Result<Vec<f64>> {
    let rule = rule_for(nu)?;
    for &t in ts {
        check_point("burgers_cole_hopf_grid", t, 0.0)?;
    }
    for &x in xs {
        check_point("burgers_cole_hopf_grid", 0.0, x)?;
    }
    let nx = xs.len();
    let mut u = vec![0.0; ts.len() * nx];
    if nx == 0 {
        return Ok(u);
    }
    u.par_chunks_mut(nx)
        .zip(ts.par_iter())
        .for_each(|(row, &t)| {
            for (uj, &x) in row.iter_mut().zip(xs) {
                *uj = cole_hopf_unchecked(&rule, t, x, nu);
            }
        });
    Ok(u)
}

/// Raissi et al.'s Burgers reference data: the Cole–Hopf solution on their 100 × 256 grid.
#[derive(Debug, Clone)]
pub struct BurgersReference {
    /// Viscosity ν (= [`BURGERS_NU`]).
    pub nu: f64,
    /// Times, linspace(0, 0.99, 100).
    pub t: Vec<f64>,
    /// Positions, linspace(−1, 1, 256).
    pub x: Vec<f64>,
    /// Solution, row-major `[t.len(), x.len()]`: `u[i * x.len() + j] = u(t[i], x[j])`.
    pub u: Vec<f64>,
}

impl BurgersReference {
    /// u(t[i], x[j]).
    ///
    /// # Panics
    ///
    /// If i ≥ t.len() or j ≥ x.len().
    pub fn at(&self, i: usize, j: usize) -> f64 {
        assert!(
            i < self.t.len() && j < self.x.len(),
            "grid index out of range"
        );
        self.u[i * self.x.len() + j]
    }

    /// The row u(t[i], ·).
    ///
    /// # Panics
    ///
    /// If i ≥ t.len().
    pub fn row(&self, i: usize) -> &[f64] {
        let nx = self.x.len();
        &self.u[i * nx..(i + 1) * nx]
    }
}

/// The Burgers reference on Raissi's grid: t = linspace(0, 0.99, 100), x = linspace(−1, 1, 256),
/// ν = 0.01/π, u row-major `[100, 256]` (the transpose of the `usol` array in `burgers_shock.mat`,
/// which is `[256, 100]`).
///
/// # Example
///
/// ```
/// use fluxion_pinn::reference::raissi_burgers_reference;
/// let r = raissi_burgers_reference().unwrap();
/// assert_eq!((r.t.len(), r.x.len(), r.u.len()), (100, 256, 25_600));
/// assert!((r.at(0, 64) + (std::f64::consts::PI * r.x[64]).sin()).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// None in practice; the signature follows [`burgers_cole_hopf_grid`].
pub fn raissi_burgers_reference() -> Result<BurgersReference> {
    let t = linspace(0.0, 0.99, RAISSI_NT);
    let x = linspace(-1.0, 1.0, RAISSI_NX);
    let u = burgers_cole_hopf_grid(&t, &x, BURGERS_NU)?;
    Ok(BurgersReference {
        nu: BURGERS_NU,
        t,
        x,
        u,
    })
}
