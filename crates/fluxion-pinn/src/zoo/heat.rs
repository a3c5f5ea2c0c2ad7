//! The heat equation u_t = α u_xx on x ∈ [0, 1], t ∈ [0, 1], α = 0.1, u(0, x) = sin πx,
//! u(t, 0) = u(t, 1) = 0; exact u = e^{−απ²t} sin πx ([`heat_sine_mode`]).
//!
//! Defaults: 2-32-32-32-1 tanh, Xavier normal, f64, inputs scaled to [−1, 1]; N_f Latin
//! hypercube points (smoke 1 000, paper 4 000) redrawn every 100 epochs; 100 points for the
//! initial condition and 100 on the boundary; Adam lr 2e-3 (smoke 1 000 epochs, paper 5 000),
//! then L-BFGS (smoke 300 iterations, paper 5 000). Error on a 101 × 101 grid.

use std::f64::consts::PI;

use crate::condition::{Condition, Target};
use crate::config::LbfgsCurvature;
use crate::geometry::{Domain, Region};
use crate::problem::PinnProblem;
use crate::reference::heat_sine_mode;
use crate::Result;

use super::{
    describe, ActivationKind, Built, InitKind, OptimizerKind, PinnExperiment, Precision,
    ProblemKind, SamplerKind, Scale,
};

/// The diffusivity α.
pub const HEAT_ALPHA: f64 = 0.1;

pub(super) fn defaults(scale: Scale) -> PinnExperiment {
    let paper = scale == Scale::Paper;
    PinnExperiment {
        problem: ProblemKind::Heat,
        scale,
        precision: Precision::F64,
        hidden: vec![32, 32, 32],
        activation: ActivationKind::Tanh,
        init: InitKind::XavierNormal,
        net_seed: 0,
        scale_inputs: true,
        residual_points: if paper { 4_000 } else { 1_000 },
        sampler: SamplerKind::LatinHypercube,
        jitter_sigma: 0.0,
        boundary_points: 100,
        epochs: if paper { 5_000 } else { 1_000 },
        optimizer: OptimizerKind::Adam,
        lr: 2e-3,
        lr_decay_every: 0,
        lr_decay_gamma: 1.0,
        lbfgs_iterations: if paper { 5_000 } else { 300 },
        lbfgs_iterations_per_step: 50,
        lbfgs_history: 50,
        lbfgs_tolerance_grad: 1e-9,
        lbfgs_tolerance_change: f64::EPSILON,
        lbfgs_curvature: LbfgsCurvature::Relative,
        resample_every: 100,
        max_chunks: 8,
        checkpoint_every: 1_000,
        seed: 0,
        eval_points: vec![101, 101],
    }
}

pub(super) fn build(e: &PinnExperiment) -> Result<Built> {
    let domain = Domain::interval("x", 0.0, 1.0)?.with_time("t", 0.0, 1.0)?;
    let problem = PinnProblem::builder(domain, 1)
        .residual(e.residual_points, e.sampler_config(), |ctx| {
            let u_xx = ctx.d2_name("x", "x")?;
            Ok(vec![ctx.d_name("t")?.sub(&u_xx.mul_scalar(HEAT_ALPHA)?)?])
        })
        .condition(
            Condition::initial("ic", Target::scalar(|x| (PI * x[0]).sin()))
                .points(e.boundary_points),
        )
        .condition(
            Condition::dirichlet("bc", Region::SpatialBoundary, Target::constant(0.0))
                .points(e.boundary_points),
        )
        .scale_inputs(e.scale_inputs)
        .build()?;
    let reference =
        Target::scalar(|x| heat_sine_mode(x[1], x[0], HEAT_ALPHA, 1.0, 1).unwrap_or(f64::NAN));
    let setup = format!("u_t = 0.1 u_xx, u = e^(-0.1π²t) sin πx, {}", describe(e));
    Ok((problem, reference, None, setup))
}
