//! The Poisson equation −Δu = f on [0, 1]² with u = 0 on the boundary and the manufactured
//! solution u = sin πx sin πy, f = 2π² sin πx sin πy ([`PoissonManufactured::SineSine`]).
//!
//! Defaults: 2-32-32-32-1 tanh, Xavier normal, f64, inputs scaled to [−1, 1]; N_f Latin
//! hypercube points (smoke 1 000, paper 4 000) redrawn every 100 epochs; 200 boundary points;
//! Adam lr 2e-3 (smoke 500 epochs, paper 5 000), then L-BFGS (smoke 700 iterations, paper
//! 5 000): the source 2π² makes the residual stiff, and L-BFGS does most of the work. Error
//! on a 101 × 101 grid.

use fluxion_autodiff::Var;
use fluxion_tensor::{DType, Tensor};

use crate::condition::{Condition, Target};
use crate::geometry::{Domain, Region};
use crate::problem::PinnProblem;
use crate::reference::PoissonManufactured;
use crate::Result;

use super::{describe, Built, PinnExperiment, ProblemKind, Scale};

const CASE: PoissonManufactured = PoissonManufactured::SineSine;

pub(super) fn defaults(scale: Scale) -> PinnExperiment {
    let paper = scale == Scale::Paper;
    PinnExperiment {
        problem: ProblemKind::Poisson,
        boundary_points: 200,
        epochs: if paper { 5_000 } else { 500 },
        lbfgs_iterations: if paper { 5_000 } else { 700 },
        ..super::heat::defaults(scale)
    }
}

pub(super) fn build(e: &PinnExperiment) -> Result<Built> {
    let domain = Domain::rectangle(("x", 0.0, 1.0), ("y", 0.0, 1.0))?;
    let problem = PinnProblem::builder(domain, 1)
        .residual(e.residual_points, e.sampler_config(), |ctx| {
            // Δu + f = 0, with f evaluated in f64 at the points and held constant.
            let x = ctx.x();
            let (dtype, device) = (x.dtype(), x.device());
            let xs = x.tensor().to_dtype(DType::F64)?.to_vec::<f64>()?;
            let f: Vec<f64> = xs
                .chunks_exact(2)
                .map(|p| CASE.source(p[0], p[1]))
                .collect();
            let n = f.len();
            let f = Var::constant(Tensor::from_vec(f, [n, 1], &device)?.to_dtype(dtype)?);
            Ok(vec![ctx.laplacian()?.add(&f)?])
        })
        .condition(
            Condition::dirichlet("bc", Region::SpatialBoundary, Target::constant(0.0))
                .points(e.boundary_points),
        )
        .scale_inputs(e.scale_inputs)
        .build()?;
    let reference = Target::scalar(|x| CASE.solution(x[0], x[1]));
    let setup = format!(
        "-Δu = 2π² sin πx sin πy on [0,1]², u = 0 on ∂Ω, {}",
        describe(e)
    );
    Ok((problem, reference, None, setup))
}
