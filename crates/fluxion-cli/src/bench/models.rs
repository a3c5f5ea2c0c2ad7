//! The models suite: one training step of each model family, the workloads of the criterion
//! benches and the peer scripts in `../shared/anchors/`:
//!
//! - FNO-1d train step: `crates/fluxion-operator/benches/fno.rs`, `fno1d_torch.py`;
//! - PINN decay epoch: `crates/fluxion-pinn/benches/pinn.rs`, `pinn_decay_torch.py` (built
//!   from the zoo's `decay` experiment, the same problem, network and optimizer);
//! - Neural ODE spiral iteration: `benches/cpu_neural_ode.rs`, `neural_ode_spiral_torch.py`;
//! - SDE: geometric Brownian motion, Euler–Maruyama, `benches/cpu_sde.rs`, `sde_torchsde.py`.
//!
//! The spiral and SDE solvers work on host vectors (`Vec<f64>` states, an f64 model), so those
//! rows are CPU-only; on a CUDA device they are reported as unavailable.

use std::hint::black_box;

use fluxion_autodiff::Var;
use fluxion_device::Device;
use fluxion_diffeq::sde::{
    geometric_brownian_motion, solve_sde, BrownianIncrements, SdeMethod, SdeOptions,
};
use fluxion_diffeq::spiral::{SpiralConfig, SpiralTrainer};
use fluxion_nn::optim::{Adam, AdamConfig, Optimizer};
use fluxion_nn::Module;
use fluxion_operator::loss::mse;
use fluxion_operator::{Fno, FnoConfig};
use fluxion_pinn::zoo::{PinnExperiment, ProblemKind, Scale};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Tensor};

use super::{Entry, Size, Spec, Step, Unit};

/// The suite's workloads, in table order.
pub(crate) fn entries() -> Vec<Entry> {
    vec![
        Entry {
            spec: fno_spec,
            build: fno,
        },
        Entry {
            spec: pinn_spec,
            build: pinn,
        },
        Entry {
            spec: spiral_spec,
            build: spiral,
        },
        Entry {
            spec: sde_spec,
            build: sde,
        },
    ]
}

fn models(name: &'static str, size: String, unit: Unit, work: f64, warmup: usize) -> Spec {
    Spec {
        suite: "models",
        name,
        size,
        unit,
        work,
        warmup,
    }
}

/// Grid size, batch, width and modes of the FNO row.
fn fno_dims(size: Size) -> (usize, usize, usize, usize) {
    match size {
        Size::Full => (1024, 20, 64, 16),
        Size::Tiny => (64, 2, 8, 4),
    }
}

fn fno_spec(size: Size) -> Spec {
    let (s, b, w, m) = fno_dims(size);
    let label = format!("s{s} B{b} w{w} m{m} Adam");
    // Warm-up as the anchor, which times steps 11..60: plan caches, allocator.
    models("fno1d train step", label, Unit::SamplesPerS, b as f64, 3)
}

/// FNO-1d (four Fourier layers, grid feature, GELU), MSE on random data, one Adam step.
fn fno(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (s, b, w, m) = fno_dims(size);
    let model = Fno::new(&FnoConfig::fno1d(m, w), dev)?;
    let mut g = Generator::new(0);
    // The anchor feeds [b, s, 2] (value + grid); the model appends the grid itself.
    let x = Var::constant(Tensor::randn(0.0, 1.0, [b, s, 1], DType::F32, dev, &mut g)?);
    let y = Var::constant(Tensor::randn(0.0, 1.0, [b, s, 1], DType::F32, dev, &mut g)?);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default())?;
    Ok(Box::new(move || {
        opt.zero_grad();
        let loss = mse(&model.forward(&x)?, &y)?;
        loss.backward()?;
        opt.step()?;
        black_box(loss);
        Ok(())
    }))
}

fn pinn_points(size: Size) -> usize {
    match size {
        Size::Full => 501,
        Size::Tiny => 51,
    }
}

fn pinn_spec(size: Size) -> Spec {
    let label = format!("1-50-50-50-1 {} pts SGD", pinn_points(size));
    // As the criterion bench: past the first epochs' allocations.
    models("pinn decay epoch", label, Unit::EpochsPerS, 1.0, 200)
}

/// The tutorial PINN for dy/dt + y = 0: jittered points, residual and initial-value loss,
/// backward, SGD step, through `PinnTrainer::epoch_step`.
fn pinn(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let mut exp = PinnExperiment::defaults(ProblemKind::Decay, Scale::Paper);
    exp.residual_points = pinn_points(size);
    exp.checkpoint_every = 0;
    let (mut trainer, _reference) = exp.build_with(None, dev)?.into_trainer()?;
    Ok(Box::new(move || {
        black_box(trainer.epoch_step()?.loss);
        Ok(())
    }))
}

fn spiral_config(size: Size) -> SpiralConfig {
    match size {
        Size::Full => SpiralConfig::default(),
        Size::Tiny => SpiralConfig {
            data_size: 50,
            batch_time: 4,
            batch_size: 2,
            ..SpiralConfig::default()
        },
    }
}

fn spiral_spec(size: Size) -> Spec {
    let c = spiral_config(size);
    let label = format!(
        "{}x{} steps dopri5 backprop f64",
        c.batch_size, c.batch_time
    );
    // The anchor times iterations 51..300.
    models("neural ode spiral iter", label, Unit::StepsPerS, 1.0, 50)
}

/// torchdiffeq's spiral demo: one RMSprop iteration, backprop through Dopri5.
fn spiral(dev: &Device, size: Size) -> anyhow::Result<Step> {
    cpu_only(dev, "SpiralTrainer")?;
    let mut trainer = SpiralTrainer::new(&spiral_config(size))?;
    Ok(Box::new(move || {
        black_box(trainer.step()?);
        Ok(())
    }))
}

/// Paths, dimensions and steps of the SDE row.
fn sde_dims(size: Size) -> (usize, usize, usize) {
    match size {
        Size::Full => (10_000, 4, 1000),
        Size::Tiny => (100, 4, 10),
    }
}

fn sde_spec(size: Size) -> Spec {
    let (paths, d, steps) = sde_dims(size);
    let label = format!("{paths} paths x{d} x{steps} steps f64");
    let work = (paths * steps) as f64;
    models(
        "sde gbm euler-maruyama",
        label,
        Unit::PathStepsPerS,
        work,
        1,
    )
}

/// dX = 0.5 X dt + 0.3 X dW (Itô, diagonal noise), X0 = 1, t ∈ [0, 1], fixed steps,
/// Euler–Maruyama, a new Brownian seed per repeat; the end state only is saved.
fn sde(dev: &Device, size: Size) -> anyhow::Result<Step> {
    cpu_only(dev, "solve_sde")?;
    let (paths, d, steps) = sde_dims(size);
    let gbm = geometric_brownian_motion(0.5, 0.3);
    let y0 = vec![1.0; paths * d];
    let opts = SdeOptions::fixed(1.0 / steps as f64);
    let mut seed = 0;
    Ok(Box::new(move || {
        seed += 1;
        let bm = BrownianIncrements::new(seed, paths, d);
        let sol = solve_sde(SdeMethod::EulerMaruyama, &gbm, (0.0, 1.0), &y0, &bm, &opts)?;
        black_box(sol.ys[0][0]);
        Ok(())
    }))
}

/// Refuses non-CPU devices for workloads whose solver runs on host vectors.
fn cpu_only(dev: &Device, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        dev.is_cpu(),
        "{what} runs on host vectors (CPU only); no {dev} path yet"
    );
    Ok(())
}
