//! A PINN trained on a GPU against the same training on the CPU: the decay ODE with a Dirichlet
//! condition (first derivatives through `grad(create_graph = true)`, then their gradients) and
//! the 1D heat equation (second derivatives), Adam in f64. Differences come only from
//! summation orders (cuBLAS vs gemm): per-epoch losses agree to 1e-9 relative and parameters to
//! 1e-9 absolute after the run.
//!
//! Without a GPU every test prints `skipping …` and passes; with `FLUXION_REQUIRE_CUDA=1` a
//! missing GPU fails instead.

use fluxion_nn::{Activation, Mlp, Module};
use fluxion_pinn::{
    Condition, Domain, FirstOrder, PinnProblem, PinnTrainer, SamplerConfig, Side, Target,
    TrainConfig,
};
use fluxion_tensor::testing::cuda_device;
use fluxion_tensor::{DType, Device};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn decay() -> R<PinnProblem> {
    let domain = Domain::interval("t", 0.0, 5.0)?;
    let y0 = domain.face("t", Side::Lo)?;
    Ok(PinnProblem::builder(domain, 1)
        .residual(300, SamplerConfig::Random, |ctx| {
            Ok(vec![ctx.d_name("t")?.add(&ctx.u().mul_scalar(1.0)?)?])
        })
        .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(1))
        .build()?)
}

fn heat() -> R<PinnProblem> {
    let domain = Domain::interval("x", 0.0, 1.0)?.with_time("t", 0.0, 0.5)?;
    Ok(PinnProblem::builder(domain, 1)
        .residual(400, SamplerConfig::LatinHypercube, |ctx| {
            Ok(vec![ctx
                .d_name("t")?
                .sub(&ctx.d2_name("x", "x")?.mul_scalar(0.1)?)?])
        })
        .condition(
            Condition::initial(
                "ic",
                Target::scalar(|p| (std::f64::consts::PI * p[0]).sin()),
            )
            .points(64),
        )
        .build()?)
}

/// (per-epoch losses, final parameters) of 30 Adam epochs on `dev`.
fn train(problem: PinnProblem, inputs: usize, dev: &Device) -> R<(Vec<f64>, Vec<Vec<f64>>)> {
    let net = Mlp::builder(&[inputs, 20, 20, 1])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .device(dev)
        .seed(9)
        .build()?;
    let config = TrainConfig {
        epochs: 30,
        optimizer: FirstOrder::adam(1e-3),
        seed: 4,
        ..Default::default()
    };
    let mut trainer = PinnTrainer::new(problem, net, config)?;
    let report = trainer.train()?;
    let losses = report.history.iter().map(|e| e.loss).collect();
    let params = trainer
        .net()
        .parameters()
        .iter()
        .map(|p| {
            assert_eq!(p.tensor().device(), dev, "a parameter left {dev}");
            p.tensor().to_device(&Device::Cpu)?.to_vec::<f64>()
        })
        .collect::<fluxion_tensor::Result<_>>()?;
    Ok((losses, params))
}

#[test]
fn pinn_training_matches_the_cpu() -> R {
    let Some(gpu) = cuda_device("pinn_training_matches_the_cpu") else {
        return Ok(());
    };
    for (name, make, inputs) in [
        ("decay", decay as fn() -> R<PinnProblem>, 1),
        ("heat", heat, 2),
    ] {
        let (lc, pc) = train(make()?, inputs, &Device::Cpu)?;
        let (lg, pg) = train(make()?, inputs, &gpu)?;
        for (e, (g, c)) in lg.iter().zip(&lc).enumerate() {
            assert!(
                (g - c).abs() <= 1e-9 * c.abs(),
                "{name}: epoch {e} loss {g} on the GPU, {c} on the CPU"
            );
        }
        for (k, (g, c)) in pg.iter().zip(&pc).enumerate() {
            let err = g
                .iter()
                .zip(c)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(err <= 1e-9, "{name}: parameter {k} differs by {err:.3e}");
        }
    }
    Ok(())
}
