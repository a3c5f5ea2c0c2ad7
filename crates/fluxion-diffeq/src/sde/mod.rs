//! Stochastic differential equations `dy = f(t, y) dt + g(t, y) dW` (Itô) or `∘dW`
//! (Stratonovich), over batches of paths.
//!
//! - Brownian motion from counter-based Philox, reproducible on any device and in any query
//!   order: the virtual [`BrownianTree`] (Gaines & Lyons 1997; Li et al. 2020; Kidger et al.
//!   2021), whose adjacent increments add up exactly and which carries the space-time Lévy
//!   area on request ([`BrownianTree::with_levy_area`]); the sequential [`BrownianIncrements`]
//!   for fixed-step solves, with space-time Lévy area (Foster, Lyons & Oberhauser 2020); and
//!   the stored fine path [`BrownianGrid`].
//! - Schemes ([`SdeMethod`]): Euler–Maruyama, Milstein (with the derivative term or
//!   gradient-free), SRA1 (Rößler 2010), Euler–Heun, Heun, midpoint and reversible Heun
//!   (Kidger et al. 2021); [`SdeMethod::check`] rejects unsupported noise / calculus pairs
//!   with [`Error::UnsupportedSde`](crate::Error::UnsupportedSde).
//! - [`solve_sde`]: fixed steps, or adaptive steps by step doubling on a [`BrownianTree`]
//!   ([`SdeOptions::adaptive`], [`SdeAdaptive`]), with save times, on `Vec<f64>`
//!   (`[paths × d]`, the fast path), `Tensor` (`[paths, d]`, any device) and `Var`
//!   (backpropagation) through [`SdeState`].
//! - [`ReversibleHeunAdjoint`]: exact gradients in O(1) memory; [`NeuralSde`].

mod adaptive;
mod brownian;
mod kernels;
mod neural;
mod normals;
mod problem;
mod reversible;
mod solve;
mod state;
mod stepper;
mod tree;

pub use brownian::{BrownianGrid, BrownianIncrements, BrownianSource, IncrementDraw};
pub use neural::NeuralSde;
pub use problem::{
    geometric_brownian_motion, MilsteinTerm, NoTerm, NoiseType, Sde, SdeMethod, SdeSystem, SdeType,
    WithTerm,
};
pub use reversible::{ReversibleGrads, ReversibleHeunAdjoint};
pub use solve::{solve_sde, SdeAdaptive, SdeOptions, SdeSolution, SdeStats};
pub use state::SdeState;
pub use tree::BrownianTree;
