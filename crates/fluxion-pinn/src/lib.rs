//! Physics-informed neural networks (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378,
//! 2019): a network u_θ(x) is trained so that a PDE residual vanishes at collocation points
//! and the initial, boundary and data conditions hold, all through one loss Σᵢ wᵢ·MSEᵢ whose
//! derivatives come from reverse-mode autodiff with `create_graph`.
//!
//! - [`Domain`], [`Region`]: boxes with named axes, optionally space × time ([`geometry`]).
//! - [`SamplerConfig`]: grid, random, jittered grid, Latin hypercube, scrambled Sobol
//!   ([`sampler`]); [`refine`]: RAR and RAR-D residual-based refinement.
//! - [`derivatives`]: ∂u/∂xᵢ, ∂²u/∂xᵢ∂xⱼ, Laplacians, and the caching [`Derivatives`].
//! - [`PinnProblem`]: residual closure over a [`ResidualContext`], [`Condition`]s
//!   (initial, Dirichlet, Neumann, periodic, data), input scaling and hard constraints.
//! - [`weighting`]: static weights, learning-rate annealing, ReLoBRaLo.
//! - [`PinnTrainer`]: Adam (optionally with a step decay) or SGD, then L-BFGS with a
//!   strong-Wolfe line search; checkpoints that resume bit for bit; evaluation reports.
//!
//! ```
//! use fluxion_nn::{Activation, Mlp};
//! use fluxion_pinn::{Condition, Domain, FirstOrder, PinnProblem, PinnTrainer, SamplerConfig,
//!     Side, Target, TrainConfig};
//! // The tutorial problem dy/dt + y = 0, y(0) = 1 on [0, 5].
//! let domain = Domain::interval("t", 0.0, 5.0)?;
//! let y0 = domain.face("t", Side::Lo)?;
//! let problem = PinnProblem::builder(domain, 1)
//!     .residual(501, SamplerConfig::JitteredGrid { sigma: 0.1, counts: None }, |ctx| {
//!         Ok(vec![ctx.d_name("t")?.add(ctx.u())?])
//!     })
//!     .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(1))
//!     .build()?;
//! let net = Mlp::builder(&[1, 50, 50, 50, 1]).activation(Activation::LeakyRelu(0.01)).build()?;
//! let config = TrainConfig { epochs: 5, optimizer: FirstOrder::sgd(8e-3), ..Default::default() };
//! let mut trainer = PinnTrainer::new(problem, net, config)?;
//! let report = trainer.train()?;
//! assert_eq!(report.history.len(), 5);
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```
#![warn(missing_docs)]

mod checkpoint;
mod chunks;
mod condition;
mod config;
pub mod derivatives;
mod error;
pub mod geometry;
mod loss;
mod problem;
pub mod reference;
pub mod refine;
pub mod sampler;
mod train;
pub mod weighting;
pub mod zoo;

pub use checkpoint::latest_checkpoint;
pub use chunks::{chunk_ranges, CHUNK_ROWS};
pub use condition::{Condition, ConditionKind, Target};
pub use config::{
    EpochRecord, EvalReport, FirstOrder, LbfgsCurvature, LbfgsPhase, Phase, StepLrConfig,
    TrainConfig, TrainReport,
};
pub use derivatives::{jacobian, laplacian, partial, partial2, Derivatives};
pub use error::{Error, Result};
pub use geometry::{Axis, Domain, Region, Side};
pub use problem::{OutputTransform, PinnProblem, PinnProblemBuilder, ResidualContext, ResidualFn};
pub use refine::Refinement;
pub use sampler::{PointSet, SamplerConfig};
pub use train::{evaluate, Observer, PinnTrainer};
pub use weighting::{LossWeighting, WeightingConfig};
