//! The Allen–Cahn equation of Raissi et al. (2019): u_t − 10⁻⁴ u_xx + 5u³ − 5u = 0 on
//! x ∈ [−1, 1] (periodic), t ∈ [0, 1], u(0, x) = x² cos πx, solved by a continuous-time PINN.
//!
//! Reference: [`allen_cahn_etdrk4`] with 512 Fourier modes and step 5·10⁻⁴, interpolated
//! trigonometrically in x, at the evaluation grid's times (201 x × 101 t).
//!
//! No published number is attached: Raissi et al. report 6.99·10⁻³ for their *discrete-time*
//! Runge–Kutta PINN (q = 100 stages, one step from t = 0.1 to 0.9), not for the continuous-time
//! formulation here, which is known to be hard for plain PINNs (the sharp interfaces that form
//! by t ≈ 0.5; Wight & Zhao 2020, Wang, Sankaran & Perdikaris 2022 "causality").
//!
//! **Status:** the problem, its conditions and the reference are tested; the plain PINN below does
//! *not* learn it at smoke scale (relative L2 1.11 → 0.99 after 1 000 Adam epochs and L-BFGS,
//! the loss falling 1.17 → 0.16 towards a smooth wrong solution). Periodic input embeddings and
//! causal weighting, the usual remedies, are not implemented yet; the paper-scale settings have
//! not been run.
//!
//! Defaults: tanh, Xavier normal, f64, inputs scaled to [−1, 1]; periodicity of u and u_x in x;
//! N_f Latin hypercube points redrawn every 100 epochs; static loss weights; Adam
//! 1e-3 then L-BFGS. Smoke: 2-32×3-1, N_f 2 000, 100 initial and 100 periodic points, 1 000
//! Adam epochs, 200 L-BFGS iterations. Paper scale (the usual continuous-time baseline sizes):
//! 2-128×4-1, N_f 20 000, 512 initial and 200 periodic points, 10 000 epochs, 5 000 iterations.

use std::f64::consts::PI;

use crate::condition::{Condition, Target};
use crate::config::LbfgsCurvature;
use crate::geometry::Domain;
use crate::problem::PinnProblem;
use crate::reference::{allen_cahn_etdrk4, ALLEN_CAHN_EPS};
use crate::Result;

use super::{
    describe, ActivationKind, Built, InitKind, OptimizerKind, PinnExperiment, Precision,
    ProblemKind, SamplerKind, Scale,
};

/// Fourier modes and time step of the reference solve.
const REFERENCE_MODES: usize = 512;
const REFERENCE_DT: f64 = 5e-4;

pub(super) fn defaults(scale: Scale) -> PinnExperiment {
    let paper = scale == Scale::Paper;
    PinnExperiment {
        problem: ProblemKind::AllenCahn,
        scale,
        precision: Precision::F64,
        hidden: if paper { vec![128; 4] } else { vec![32; 3] },
        activation: ActivationKind::Tanh,
        init: InitKind::XavierNormal,
        net_seed: 0,
        scale_inputs: true,
        residual_points: if paper { 20_000 } else { 2_000 },
        sampler: SamplerKind::LatinHypercube,
        jitter_sigma: 0.0,
        boundary_points: if paper { 512 } else { 100 },
        epochs: if paper { 10_000 } else { 1_000 },
        optimizer: OptimizerKind::Adam,
        lr: 1e-3,
        lr_decay_every: 0,
        lr_decay_gamma: 1.0,
        lbfgs_iterations: if paper { 5_000 } else { 200 },
        lbfgs_iterations_per_step: 50,
        lbfgs_history: 50,
        lbfgs_tolerance_grad: 1e-9,
        lbfgs_tolerance_change: f64::EPSILON,
        lbfgs_curvature: LbfgsCurvature::Relative,
        resample_every: 100,
        max_chunks: 8,
        checkpoint_every: 1_000,
        seed: 0,
        eval_points: vec![201, 101],
    }
}

/// The spectral reference as a [`Target`] on (x, t), at the times of an evaluation grid of
/// `nt` points on [0, 1] (NaN elsewhere, which then shows in the error).
///
/// # Errors
/// Reference errors (none for these settings).
pub fn allen_cahn_reference_target(nt: usize) -> Result<Target> {
    let nt = nt.max(2);
    let times: Vec<f64> = (0..nt).map(|i| i as f64 / (nt - 1) as f64).collect();
    let sol = allen_cahn_etdrk4(REFERENCE_MODES, REFERENCE_DT, &times)?;
    Ok(Target::scalar(move |p| {
        let (x, t) = (p[0], p[1]);
        let i = (t * (nt - 1) as f64).round();
        if (0.0..nt as f64).contains(&i) && (sol.t[i as usize] - t).abs() <= 1e-12 {
            sol.interpolate(i as usize, x)
        } else {
            f64::NAN
        }
    }))
}

pub(super) fn build(e: &PinnExperiment) -> Result<Built> {
    let domain = Domain::interval("x", -1.0, 1.0)?.with_time("t", 0.0, 1.0)?;
    let problem = PinnProblem::builder(domain, 1)
        .residual(e.residual_points, e.sampler_config(), |ctx| {
            let u = ctx.u();
            let u_xx = ctx.d2_name("x", "x")?;
            let cubic = u.mul(u)?.mul(u)?.sub(u)?.mul_scalar(5.0)?;
            Ok(vec![ctx
                .d_name("t")?
                .sub(&u_xx.mul_scalar(ALLEN_CAHN_EPS)?)?
                .add(&cubic)?])
        })
        .condition(
            Condition::initial("ic", Target::scalar(|x| x[0] * x[0] * (PI * x[0]).cos()))
                .points(e.boundary_points),
        )
        .condition(Condition::periodic("periodic_u", "x", false).points(e.boundary_points))
        .condition(Condition::periodic("periodic_u_x", "x", true).points(e.boundary_points))
        .scale_inputs(e.scale_inputs)
        .build()?;
    let nt = e.eval_points.get(1).copied().unwrap_or(101);
    let setup = format!(
        "Allen–Cahn u_t = 1e-4 u_xx − 5u³ + 5u, periodic, continuous-time PINN, {}",
        describe(e)
    );
    Ok((problem, allen_cahn_reference_target(nt)?, None, setup))
}
