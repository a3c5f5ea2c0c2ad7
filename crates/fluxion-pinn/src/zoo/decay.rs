//! The tutorial ODE dy/dt + k y = 0, y(0) = 1, k = 1 on t ∈ [0, 5]; exact y = e^{−t}.
//!
//! - `decay` follows the tutorial (and `shared/anchors/pinn_decay_torch.py`): MLP 1-50-50-50-1
//!   LeakyReLU, PyTorch's default init, f32, loss MSE(residual) + MSE(y(0) − 1), 501 points
//!   t = 0, 0.01, …, 5 with N(0, 0.1²) jitter redrawn every epoch, SGD lr 8e-3, 10 000 epochs
//!   (smoke: 2 000).
//! - `decay_adam`: 1-32-32-1 tanh, Xavier normal, f64, inputs scaled to [−1, 1], 201 Latin
//!   hypercube points redrawn every epoch, Adam lr 1e-2 decayed ×0.4 every 1 000 epochs,
//!   4 000 epochs at both scales; relative L2 below 1e-3.
//!
//! The error is measured on 501 evenly spaced points of [0, 5].

use crate::condition::{Condition, Target};
use crate::config::LbfgsCurvature;
use crate::geometry::{Domain, Side};
use crate::problem::PinnProblem;
use crate::reference::exponential_decay;
use crate::Result;

use super::{
    describe, ActivationKind, Built, InitKind, OptimizerKind, PinnExperiment, Precision,
    ProblemKind, SamplerKind, Scale,
};

/// The decay rate k.
const K: f64 = 1.0;

/// The tutorial's settings.
pub(super) fn tutorial_defaults(scale: Scale) -> PinnExperiment {
    PinnExperiment {
        problem: ProblemKind::Decay,
        scale,
        precision: Precision::F32,
        hidden: vec![50, 50, 50],
        activation: ActivationKind::LeakyRelu,
        init: InitKind::TorchDefault,
        net_seed: 0,
        scale_inputs: false,
        residual_points: 501,
        sampler: SamplerKind::JitteredGrid,
        jitter_sigma: 0.1,
        boundary_points: 1,
        epochs: match scale {
            Scale::Smoke => 2_000,
            Scale::Paper => 10_000,
        },
        optimizer: OptimizerKind::Sgd,
        lr: 8e-3,
        lr_decay_every: 0,
        lr_decay_gamma: 1.0,
        lbfgs_iterations: 0,
        lbfgs_iterations_per_step: 100,
        lbfgs_history: 50,
        lbfgs_tolerance_grad: 1e-9,
        lbfgs_tolerance_change: 1e-12,
        lbfgs_curvature: LbfgsCurvature::Relative,
        resample_every: 1,
        max_chunks: 8,
        checkpoint_every: 1_000,
        seed: 0,
        eval_points: vec![501],
    }
}

/// tanh + Adam settings that reach a relative L2 error below 1e-3.
pub(super) fn adam_defaults(scale: Scale) -> PinnExperiment {
    PinnExperiment {
        problem: ProblemKind::DecayAdam,
        precision: Precision::F64,
        hidden: vec![32, 32],
        activation: ActivationKind::Tanh,
        init: InitKind::XavierNormal,
        net_seed: 1,
        scale_inputs: true,
        residual_points: 201,
        sampler: SamplerKind::LatinHypercube,
        jitter_sigma: 0.0,
        epochs: 4_000,
        optimizer: OptimizerKind::Adam,
        lr: 1e-2,
        lr_decay_every: 1_000,
        lr_decay_gamma: 0.4,
        seed: 3,
        ..tutorial_defaults(scale)
    }
}

pub(super) fn build(e: &PinnExperiment) -> Result<Built> {
    let domain = Domain::interval("t", 0.0, 5.0)?;
    let y0 = domain.face("t", Side::Lo)?;
    let problem = PinnProblem::builder(domain, 1)
        .residual(e.residual_points, e.sampler_config(), |ctx| {
            Ok(vec![ctx.d_name("t")?.add(&ctx.u().mul_scalar(K)?)?])
        })
        .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(e.boundary_points))
        .scale_inputs(e.scale_inputs)
        .build()?;
    let reference = Target::scalar(|x| exponential_decay(x[0], 1.0, K));
    let setup = format!("dy/dt + y = 0 on [0, 5], {}", describe(e));
    Ok((problem, reference, None, setup))
}
