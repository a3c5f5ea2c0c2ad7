//! SDE problems: noise and calculus types, the [`SdeSystem`] trait the schemes call, the
//! closure-based [`Sde`], and the schemes ([`SdeMethod`]) with the combinations each supports.

use std::fmt;

use super::state::SdeState;
use crate::error::{Error, Result};

/// The structure of the diffusion `g(t, y)` (torchsde's `noise_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseType {
    /// `m = d` and `g` is diagonal: component `i` is driven by `Wᵢ` alone.
    Diagonal,
    /// `g(t)` does not depend on `y` (any `m`).
    Additive,
    /// `m = 1`: one Brownian motion per path drives every component.
    Scalar,
    /// A full `[d, m]` matrix `g(t, y)`.
    General,
}

impl fmt::Display for NoiseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoiseType::Diagonal => "diagonal",
            NoiseType::Additive => "additive",
            NoiseType::Scalar => "scalar",
            NoiseType::General => "general",
        })
    }
}

/// Which stochastic integral `∫ g dW` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdeType {
    /// Itô (left-point) integral.
    Ito,
    /// Stratonovich (midpoint) integral.
    Stratonovich,
}

impl fmt::Display for SdeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SdeType::Ito => "Itô",
            SdeType::Stratonovich => "Stratonovich",
        })
    }
}

/// Fixed-step SDE schemes. Strong orders from Kloeden & Platen (1992), Rößler (2010) and
/// Kidger et al. (2021).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdeMethod {
    /// Euler–Maruyama, Itô: `y + f h + g ΔW`. Strong 0.5 (1.0 for additive noise), weak 1.0.
    EulerMaruyama,
    /// Milstein (Kloeden & Platen §10.3), Itô or Stratonovich, diagonal / scalar / additive
    /// noise: `y + f h + g ΔW + ½ (g′g)(ΔW² − h)` (no `− h` for Stratonovich). With
    /// `grad_free` the term `g′g` is `(g(Υ) − g(y))/√h`, `Υ = y + f h + g√h` (Kloeden & Platen
    /// 11.1.5, torchsde's `grad_free`); otherwise the problem supplies it
    /// ([`SdeSystem::milstein_term`]). Strong 1.0.
    Milstein {
        /// Use the derivative-free form.
        grad_free: bool,
    },
    /// SRA1 (Rößler 2010, "Runge–Kutta methods for the strong approximation of solutions of
    /// stochastic differential equations", SIAM J. Numer. Anal. 48) for additive noise, with
    /// the space-time Lévy area; torchsde's `srk` tableau. Strong 1.5.
    Sra1,
    /// Euler–Heun, Stratonovich: `y + f h + ½(g(y) + g(y + gΔW))ΔW`. Strong 0.5 (1.0 for
    /// commutative noise).
    EulerHeun,
    /// Heun, Stratonovich: the trapezoidal predictor–corrector in both `f` and `g`.
    Heun,
    /// Explicit midpoint, Stratonovich.
    Midpoint,
    /// Reversible Heun (Kidger, Foster, Li & Lyons 2021, "Efficient and accurate gradients for
    /// neural SDEs", NeurIPS), Stratonovich, one drift evaluation per step and an algebraically
    /// exact inverse (see [`ReversibleHeunAdjoint`](super::ReversibleHeunAdjoint)).
    ReversibleHeun,
}

impl SdeMethod {
    /// The scheme's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            SdeMethod::EulerMaruyama => "Euler–Maruyama",
            SdeMethod::Milstein { grad_free: true } => "Milstein (gradient-free)",
            SdeMethod::Milstein { grad_free: false } => "Milstein",
            SdeMethod::Sra1 => "SRA1",
            SdeMethod::EulerHeun => "Euler–Heun",
            SdeMethod::Heun => "Heun",
            SdeMethod::Midpoint => "midpoint",
            SdeMethod::ReversibleHeun => "reversible Heun",
        }
    }

    /// `Ok` when the scheme supports this noise and calculus, otherwise
    /// [`Error::UnsupportedSde`] naming all three and what the scheme supports.
    ///
    /// For additive noise Itô and Stratonovich coincide, so every scheme accepts both.
    ///
    /// # Errors
    /// [`Error::UnsupportedSde`].
    pub fn check(&self, noise: NoiseType, sde_type: SdeType) -> Result<()> {
        use NoiseType::*;
        let additive = noise == Additive;
        let (ok, supported) = match self {
            SdeMethod::EulerMaruyama => (
                sde_type == SdeType::Ito || additive,
                "Itô SDEs with any noise (Stratonovich only with additive noise)",
            ),
            SdeMethod::Milstein { .. } => (
                matches!(noise, Diagonal | Scalar | Additive),
                "diagonal, scalar or additive noise, Itô or Stratonovich",
            ),
            SdeMethod::Sra1 => (additive, "additive noise only"),
            SdeMethod::EulerHeun
            | SdeMethod::Heun
            | SdeMethod::Midpoint
            | SdeMethod::ReversibleHeun => (
                sde_type == SdeType::Stratonovich || additive,
                "Stratonovich SDEs with any noise (Itô only with additive noise)",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::UnsupportedSde {
                scheme: self.name(),
                noise: noise.to_string(),
                sde_type: sde_type.to_string(),
                supported,
            })
        }
    }
}

/// An SDE `dy = f(t, y) dt + g(t, y) ∘dW` over a batch of paths, as the schemes see it.
///
/// The diffusion enters only through the product `g(t, y)·v` with a noise-shaped `v`
/// (`[paths, m]`): for diagonal noise that is `g ⊙ v`, for scalar noise `g·v` with `v` one
/// number per path, for general noise the matrix–vector product per path (torchsde's
/// `g_prod`). Milstein obtains `g` itself as `g(t, y)·1` (diagonal and scalar noise).
pub trait SdeSystem<S: SdeState> {
    /// The noise structure.
    fn noise_type(&self) -> NoiseType;

    /// Itô or Stratonovich.
    fn sde_type(&self) -> SdeType;

    /// Brownian dimensions per path (`m`); `None` to take the Brownian source's.
    fn brownian_dim(&self) -> Option<usize> {
        None
    }

    /// `out = f(t, y)`.
    ///
    /// # Errors
    /// Whatever the model raises.
    fn drift(&self, t: f64, y: &S, out: &mut S) -> Result<()>;

    /// `out = g(t, y)·v` with `v` of shape `[paths, m]`.
    ///
    /// # Errors
    /// Whatever the model raises.
    fn diffusion_prod(&self, t: f64, y: &S, v: &S, out: &mut S) -> Result<()>;

    /// `out = (∂g/∂y)·g` (per component for diagonal noise, the directional derivative along
    /// `g` for scalar noise), for [`SdeMethod::Milstein`] without `grad_free`. Returns
    /// `Ok(false)` when the problem does not supply it.
    ///
    /// # Errors
    /// Whatever the model raises.
    fn milstein_term(&self, _t: f64, _y: &S, _out: &mut S) -> Result<bool> {
        Ok(false)
    }
}

/// No Milstein term supplied (see [`Sde::with_milstein_term`]).
#[derive(Debug, Clone, Copy)]
pub struct NoTerm;

/// A supplied Milstein term `(∂g/∂y)·g`.
#[derive(Debug, Clone, Copy)]
pub struct WithTerm<D>(pub D);

/// Closure-based SDE: drift `f(t, y, out)`, diffusion product `g(t, y, v, out)` and the
/// noise and calculus types.
///
/// ```
/// use fluxion_diffeq::sde::{solve_sde, BrownianIncrements, NoiseType, Sde, SdeMethod, SdeOptions, SdeType};
/// // Geometric Brownian motion dX = 0.5 X dt + 0.3 X dW, 100 paths × 1 dim.
/// let sde = Sde::new(NoiseType::Diagonal, SdeType::Ito,
///     |_t, y: &Vec<f64>, out: &mut Vec<f64>| { for (o, x) in out.iter_mut().zip(y) { *o = 0.5 * x; } Ok(()) },
///     |_t, y: &Vec<f64>, v: &Vec<f64>, out: &mut Vec<f64>| {
///         for ((o, x), w) in out.iter_mut().zip(y).zip(v) { *o = 0.3 * x * w; } Ok(()) });
/// let bm = BrownianIncrements::new(0, 100, 1);
/// let sol = solve_sde(SdeMethod::EulerMaruyama, &sde, (0.0, 1.0), &vec![1.0; 100], &bm, &SdeOptions::fixed(0.01))?;
/// let mean = sol.ys[0].iter().sum::<f64>() / 100.0;
/// assert!((mean - 0.5f64.exp()).abs() < 0.15);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sde<F, G, D = NoTerm> {
    noise: NoiseType,
    sde_type: SdeType,
    drift: F,
    diffusion: G,
    term: D,
}

impl<F, G> Sde<F, G, NoTerm> {
    /// The SDE with drift `f` and diffusion product `g`.
    pub fn new(noise: NoiseType, sde_type: SdeType, drift: F, diffusion: G) -> Self {
        Sde {
            noise,
            sde_type,
            drift,
            diffusion,
            term: NoTerm,
        }
    }

    /// Supplies the Milstein term `out = (∂g/∂y)·g` (e.g. `σ² y` for GBM's `g = σ y`).
    pub fn with_milstein_term<D>(self, term: D) -> Sde<F, G, WithTerm<D>> {
        Sde {
            noise: self.noise,
            sde_type: self.sde_type,
            drift: self.drift,
            diffusion: self.diffusion,
            term: WithTerm(term),
        }
    }
}

/// How an [`Sde`] answers [`SdeSystem::milstein_term`].
pub trait MilsteinTerm<S> {
    /// `out = (∂g/∂y)·g`, or `Ok(false)` when not supplied.
    ///
    /// # Errors
    /// Whatever the closure raises.
    fn eval(&self, t: f64, y: &S, out: &mut S) -> Result<bool>;
}

impl<S> MilsteinTerm<S> for NoTerm {
    fn eval(&self, _t: f64, _y: &S, _out: &mut S) -> Result<bool> {
        Ok(false)
    }
}

impl<S, D: Fn(f64, &S, &mut S) -> Result<()>> MilsteinTerm<S> for WithTerm<D> {
    fn eval(&self, t: f64, y: &S, out: &mut S) -> Result<bool> {
        (self.0)(t, y, out)?;
        Ok(true)
    }
}

impl<S, F, G, D> SdeSystem<S> for Sde<F, G, D>
where
    S: SdeState,
    F: Fn(f64, &S, &mut S) -> Result<()>,
    G: Fn(f64, &S, &S, &mut S) -> Result<()>,
    D: MilsteinTerm<S>,
{
    fn noise_type(&self) -> NoiseType {
        self.noise
    }

    fn sde_type(&self) -> SdeType {
        self.sde_type
    }

    #[inline]
    fn drift(&self, t: f64, y: &S, out: &mut S) -> Result<()> {
        (self.drift)(t, y, out)
    }

    #[inline]
    fn diffusion_prod(&self, t: f64, y: &S, v: &S, out: &mut S) -> Result<()> {
        (self.diffusion)(t, y, v, out)
    }

    fn milstein_term(&self, t: f64, y: &S, out: &mut S) -> Result<bool> {
        self.term.eval(t, y, out)
    }
}

/// Geometric Brownian motion `dX = μ X dt + σ X dW` (Itô, diagonal noise) on `Vec<f64>` paths,
/// with its Milstein term `σ² X` supplied; exact solution `X₀ exp((μ − σ²/2)t + σ W(t))`.
/// The benchmarks' workload (μ = 0.5, σ = 0.3, as `../shared/anchors/sde_torchsde.py`).
///
/// ```
/// use fluxion_diffeq::sde::{geometric_brownian_motion, solve_sde, BrownianIncrements, SdeMethod, SdeOptions};
/// let gbm = geometric_brownian_motion(0.5, 0.3);
/// let bm = BrownianIncrements::new(0, 1000, 1);
/// let sol = solve_sde(SdeMethod::EulerMaruyama, &gbm, (0.0, 1.0), &vec![1.0; 1000], &bm, &SdeOptions::fixed(0.01))?;
/// let mean = sol.ys[0].iter().sum::<f64>() / 1000.0;
/// assert!((mean - 0.5f64.exp()).abs() < 0.1);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
pub fn geometric_brownian_motion(
    mu: f64,
    sigma: f64,
) -> impl SdeSystem<Vec<f64>> + Send + Sync + Clone + 'static {
    Sde::new(
        NoiseType::Diagonal,
        SdeType::Ito,
        move |_t: f64, y: &Vec<f64>, out: &mut Vec<f64>| -> Result<()> {
            out.iter_mut().zip(y).for_each(|(o, x)| *o = mu * x);
            Ok(())
        },
        move |_t: f64, y: &Vec<f64>, v: &Vec<f64>, out: &mut Vec<f64>| -> Result<()> {
            for ((o, x), w) in out.iter_mut().zip(y).zip(v) {
                *o = sigma * x * w;
            }
            Ok(())
        },
    )
    .with_milstein_term(
        move |_t: f64, y: &Vec<f64>, out: &mut Vec<f64>| -> Result<()> {
            let s2 = sigma * sigma;
            out.iter_mut().zip(y).for_each(|(o, x)| *o = s2 * x);
            Ok(())
        },
    )
}
