//! Training: the decay ODE to 1e-3 with Adam, the tutorial's SGD setup, loss weighting and
//! bit-for-bit checkpoint resume.

use std::collections::BTreeMap;

use fluxion_nn::{Activation, Mlp, Module};
use fluxion_pinn::weighting::LossWeighting;
use fluxion_pinn::{
    Condition, Domain, FirstOrder, PinnProblem, PinnTrainer, SamplerConfig, Side, StepLrConfig,
    Target, TrainConfig, WeightingConfig,
};
use fluxion_tensor::DType;

/// dy/dt + k·y = 0 on [0, 5], y(0) = 1 (residual scaled by `scale` to unbalance the terms).
fn decay(
    k: f64,
    points: usize,
    sampler: SamplerConfig,
    scale_inputs: bool,
    scale: f64,
) -> PinnProblem {
    let domain = Domain::interval("t", 0.0, 5.0).unwrap();
    let y0 = domain.face("t", Side::Lo).unwrap();
    PinnProblem::builder(domain, 1)
        .residual(points, sampler, move |ctx| {
            let r = ctx.d_name("t")?.add(&ctx.u().mul_scalar(k)?)?;
            Ok(vec![if scale == 1.0 {
                r
            } else {
                r.mul_scalar(scale)?
            }])
        })
        .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(1))
        .scale_inputs(scale_inputs)
        .build()
        .unwrap()
}

fn exact() -> Target {
    Target::scalar(|x| (-x[0]).exp())
}

#[test]
fn decay_ode_with_adam_and_tanh_reaches_1e_3() {
    let problem = decay(1.0, 201, SamplerConfig::LatinHypercube, true, 1.0);
    let net = Mlp::builder(&[1, 32, 32, 1])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .init(fluxion_nn::WeightInit::XavierNormal)
        .seed(1)
        .build()
        .unwrap();
    let config = TrainConfig {
        epochs: 4000,
        optimizer: FirstOrder::adam(1e-2),
        step_lr: Some(StepLrConfig {
            step_size: 1000,
            gamma: 0.4,
        }),
        seed: 3,
        ..Default::default()
    };
    let mut trainer = PinnTrainer::new(problem, net, config).unwrap();
    let before = trainer.evaluate(&exact(), &[501]).unwrap();
    let report = trainer.train().unwrap();
    let after = trainer.evaluate(&exact(), &[501]).unwrap();
    println!(
        "decay/Adam: rel L2 {:.3e} -> {:.3e}, max {:.3e}, loss {:.3e}, {:.3} ms/epoch",
        before.rel_l2, after.rel_l2, after.max_abs, report.final_loss, report.ms_per_epoch
    );
    assert_eq!(after.points, 501);
    assert!(after.rel_l2 < 1e-3, "relative L2 {:e}", after.rel_l2);
}

fn tutorial_net() -> Mlp {
    Mlp::builder(&[1, 50, 50, 50, 1])
        .activation(Activation::LeakyRelu(0.01))
        .seed(0)
        .build()
        .unwrap()
}

fn tutorial_problem() -> PinnProblem {
    decay(
        1.0,
        501,
        SamplerConfig::JitteredGrid {
            sigma: 0.1,
            counts: None,
        },
        false,
        1.0,
    )
}

#[test]
fn tutorial_sgd_setup_trains() {
    let epochs = 3000;
    let config = TrainConfig {
        epochs,
        optimizer: FirstOrder::sgd(8e-3),
        ..Default::default()
    };
    let mut trainer = PinnTrainer::new(tutorial_problem(), tutorial_net(), config).unwrap();
    let before = trainer.evaluate(&exact(), &[501]).unwrap();
    let report = trainer.train().unwrap();
    let after = trainer.evaluate(&exact(), &[501]).unwrap();
    let mean =
        |r: &[fluxion_pinn::EpochRecord]| r.iter().map(|e| e.loss).sum::<f64>() / r.len() as f64;
    let (first, last) = (
        mean(&report.history[..50]),
        mean(&report.history[epochs - 50..]),
    );
    println!(
        "tutorial/SGD {epochs} epochs: loss {first:.3e} -> {last:.3e}, rel L2 {:.3e} -> {:.3e}, {:.3} ms/epoch",
        before.rel_l2, after.rel_l2, report.ms_per_epoch
    );
    assert!(last < first / 10.0, "loss {first} -> {last}");
    assert!(
        after.rel_l2 < 0.5 * before.rel_l2,
        "rel L2 {} -> {}",
        before.rel_l2,
        after.rel_l2
    );
}

#[test]
fn static_weighting_is_identity() {
    let problem = decay(1.0, 64, SamplerConfig::Random, true, 1.0);
    let problem = PinnProblem::builder(problem.domain().clone(), 1)
        .residual(64, SamplerConfig::Random, |ctx| {
            Ok(vec![ctx.d(0)?.add(ctx.u())?])
        })
        .residual_weight(2.5)
        .condition(problem.conditions()[0].clone().weight(7.0))
        .build()
        .unwrap();
    let net = Mlp::builder(&[1, 8, 1]).seed(0).build().unwrap();
    let config = TrainConfig {
        epochs: 30,
        ..Default::default()
    };
    let mut t = PinnTrainer::new(problem, net, config).unwrap();
    let report = t.train().unwrap();
    assert!(report.history.iter().all(|r| r.weights == [2.5, 7.0]));
}

#[test]
fn annealing_raises_the_weight_of_the_starved_term() {
    // The residual is scaled by 100, so its gradients dwarf the initial condition's:
    // λ̂ = max|∇L_r| / mean|∇L_ic| ≫ 1 and the initial condition's weight must grow.
    let problem = decay(1.0, 128, SamplerConfig::Random, true, 100.0);
    let net = Mlp::builder(&[1, 16, 16, 1]).seed(0).build().unwrap();
    let config = TrainConfig {
        epochs: 50,
        weighting: WeightingConfig::Annealing {
            alpha: 0.1,
            every: 5,
        },
        ..Default::default()
    };
    let mut t = PinnTrainer::new(problem, net, config).unwrap();
    let report = t.train().unwrap();
    let w: Vec<f64> = report.history.iter().map(|r| r.weights[1]).collect();
    println!(
        "annealing λ_ic: {:.3} -> {:.3} -> {:.3}",
        w[0], w[25], w[49]
    );
    assert_eq!(
        report.history[49].weights[0], 1.0,
        "the residual is the reference"
    );
    assert!(
        w[0] > 1.0 && w[49] > 10.0,
        "λ_ic should grow well above 1: {w:?}"
    );
    // Monotone growth toward λ̂ while λ < λ̂ (every update moves 10 % of the way).
    assert!(w[49] > w[0]);
}

#[test]
fn relobralo_favours_the_slow_term_and_keeps_the_sum() {
    // Term 0 halves every step, term 1 stays: term 1 must gain weight; Σλ stays m = 2
    // (each update is a convex combination of vectors that sum to m).
    let mut w = LossWeighting::new(WeightingConfig::relobralo(), vec![1.0, 1.0], 1, 0).unwrap();
    let mut l0 = 1.0;
    for step in 0..200u64 {
        w.update_losses(&[l0, 1.0], step).unwrap();
        l0 *= 0.5f64.max(1e-300);
        let s: f64 = w.lambdas().iter().sum();
        assert!((s - 2.0).abs() < 1e-12, "sum {s} at step {step}");
    }
    let l = w.lambdas();
    println!("relobralo λ after 200 steps: {l:?}");
    assert!(l[1] > l[0], "{l:?}");
    // With alpha = 0 only the last-step balance counts: bal = 2·softmax([0.5, 1]/T).
    let cfg = WeightingConfig::Relobralo {
        alpha: 0.0,
        rho: 1.0,
        temperature: 0.1,
    };
    let mut w = LossWeighting::new(cfg, vec![1.0, 1.0], 1, 0).unwrap();
    w.update_losses(&[1.0, 1.0], 0).unwrap();
    w.update_losses(&[0.5, 1.0], 1).unwrap();
    let want1 = 2.0 / (1.0 + (-5.0f64).exp());
    assert!(
        (w.lambdas()[1] - want1).abs() < 1e-12,
        "{:?} vs {want1}",
        w.lambdas()
    );
    // Integrated: the trainer's weights move away from 1.
    let problem = decay(1.0, 64, SamplerConfig::Random, true, 100.0);
    let net = Mlp::builder(&[1, 16, 1]).seed(0).build().unwrap();
    let config = TrainConfig {
        epochs: 40,
        weighting: WeightingConfig::relobralo(),
        ..Default::default()
    };
    let mut t = PinnTrainer::new(problem, net, config).unwrap();
    let r = t.train().unwrap();
    let last = &r.history.last().unwrap().weights;
    assert!(
        (last[0] + last[1] - 2.0).abs() < 1e-9 && last[0] != 1.0,
        "{last:?}"
    );
}

fn params(net: &Mlp) -> BTreeMap<String, Vec<u32>> {
    net.named_parameters()
        .into_iter()
        .map(|(n, p)| {
            (
                n,
                p.tensor()
                    .to_vec::<f32>()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn checkpoint_resume_is_bitwise_identical() {
    let dir = std::env::temp_dir().join(format!("fluxion_pinn_resume_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let make_config = |epochs: usize, ckpt: bool| TrainConfig {
        epochs,
        optimizer: FirstOrder::adam(3e-3),
        step_lr: Some(StepLrConfig {
            step_size: 7,
            gamma: 0.5,
        }),
        weighting: WeightingConfig::relobralo(),
        refinement: Some(fluxion_pinn::Refinement::Rar {
            every: 6,
            candidates: 50,
            add: 5,
        }),
        checkpoint_every: if ckpt { 10 } else { 0 },
        checkpoint_dir: ckpt.then(|| dir.clone()),
        seed: 42,
        ..Default::default()
    };
    // 601 points: three chunks (see `chunk_ranges`), so resume is checked through the
    // data-parallel path too.
    let problem = || {
        decay(
            1.0,
            601,
            SamplerConfig::JitteredGrid {
                sigma: 0.05,
                counts: None,
            },
            true,
            1.0,
        )
    };
    let net = || {
        Mlp::builder(&[1, 20, 20, 1])
            .activation(Activation::Tanh)
            .seed(5)
            .build()
            .unwrap()
    };

    let mut straight = PinnTrainer::new(problem(), net(), make_config(20, false)).unwrap();
    straight.train().unwrap();

    let mut first = PinnTrainer::new(problem(), net(), make_config(10, true)).unwrap();
    first.train().unwrap();
    assert!(dir.join("latest").join("model.safetensors").is_file());
    let mut second = PinnTrainer::new(problem(), net(), make_config(20, true)).unwrap();
    second.resume(&dir).unwrap();
    assert_eq!(second.epoch(), 10);
    second.train().unwrap();

    assert_eq!(
        params(straight.net()),
        params(second.net()),
        "parameters differ after resume"
    );
    assert_eq!(straight.weights(), second.weights());
    assert_eq!(
        straight.refined_points().map(|p| p.coords().to_vec()),
        second.refined_points().map(|p| p.coords().to_vec())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn adam_then_lbfgs_improves_and_observer_sees_every_step() {
    use std::sync::{Arc, Mutex};
    let problem = decay(1.0, 64, SamplerConfig::Grid { counts: None }, true, 1.0);
    let net = Mlp::builder(&[1, 16, 16, 1])
        .dtype(DType::F64)
        .seed(2)
        .build()
        .unwrap();
    let config = TrainConfig {
        epochs: 200,
        optimizer: FirstOrder::adam(1e-2),
        lbfgs: Some(fluxion_pinn::LbfgsPhase {
            steps: 3,
            max_iter: 100,
            ..Default::default()
        }),
        ..Default::default()
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = Arc::clone(&seen);
    let mut t = PinnTrainer::new(problem, net, config)
        .unwrap()
        .with_observer(move |r| s2.lock().unwrap().push((r.phase, r.loss)));
    let report = t.train().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 203);
    let adam_end = report.history[199].loss;
    let end = report.final_loss;
    println!("Adam 200 epochs loss {adam_end:.3e}; after L-BFGS {end:.3e}");
    assert!(
        end < adam_end * 0.1,
        "L-BFGS should cut the loss: {adam_end} -> {end}"
    );
    let json_ok = report.history.iter().all(|r| r.terms.len() == 2);
    assert!(json_ok);
}

#[test]
fn bad_problems_are_errors() {
    let d = Domain::interval("t", 0.0, 1.0).unwrap();
    assert!(
        PinnProblem::builder(d.clone(), 1).build().is_err(),
        "no residual"
    );
    let res = |b: fluxion_pinn::PinnProblemBuilder| {
        b.residual(10, SamplerConfig::Random, |ctx| Ok(vec![ctx.d(0)?]))
    };
    let face = d.face("t", Side::Lo).unwrap();
    let dup = res(PinnProblem::builder(d.clone(), 1)).condition(Condition::dirichlet(
        "pde",
        face.clone(),
        Target::constant(0.0),
    ));
    assert!(dup.build().is_err(), "duplicate name");
    let ic = res(PinnProblem::builder(d.clone(), 1))
        .condition(Condition::initial("ic", Target::constant(0.0)));
    assert!(ic.build().is_err(), "no time axis");
    let comp = res(PinnProblem::builder(d.clone(), 1))
        .condition(Condition::dirichlet("b", face.clone(), Target::constant(0.0)).component(1));
    assert!(comp.build().is_err(), "component out of range");
    let neu = res(PinnProblem::builder(d.clone(), 1)).condition(Condition::neumann(
        "n",
        fluxion_pinn::Region::Interior,
        Target::constant(0.0),
    ));
    assert!(neu.build().is_err(), "Neumann in the interior");
    let w = res(PinnProblem::builder(d, 1)).residual_weight(f64::NAN);
    assert!(w.build().is_err(), "NaN weight");
}

#[test]
fn fixed_residual_points_join_every_draw() {
    use std::sync::{Arc, Mutex};
    // 300 re-drawn points (two chunks) plus 7 fixed ones: each epoch's residual must see
    // 307 rows, the fixed ones among them every time.
    let fixed: Vec<f64> = (0..7).map(|k| 0.0625 + 0.125 * k as f64).collect();
    let seen: Arc<Mutex<Vec<f64>>> = Arc::default();
    let log = Arc::clone(&seen);
    let domain = Domain::interval("t", 0.0, 1.0).unwrap();
    let problem = PinnProblem::builder(domain, 1)
        .residual(300, SamplerConfig::Random, move |ctx| {
            log.lock()
                .unwrap()
                .extend(ctx.x().tensor().to_vec::<f64>()?);
            Ok(vec![ctx.d(0)?])
        })
        .residual_fixed_points(fluxion_pinn::PointSet::new(1, fixed.clone(), None).unwrap())
        .build()
        .unwrap();
    let net = Mlp::builder(&[1, 8, 1])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .seed(1)
        .build()
        .unwrap();
    let config = TrainConfig {
        epochs: 2,
        optimizer: FirstOrder::sgd(1e-3),
        resample_every: 1,
        ..Default::default()
    };
    let mut trainer = PinnTrainer::new(problem, net, config).unwrap();
    let mut draws = Vec::new();
    for _ in 0..2 {
        seen.lock().unwrap().clear();
        trainer.epoch_step().unwrap();
        let mut rows = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(rows.len(), 307);
        for f in &fixed {
            assert!(rows.contains(f), "fixed point {f} missing");
        }
        rows.sort_by(f64::total_cmp);
        draws.push(rows);
    }
    assert_ne!(draws[0], draws[1], "the sampled points are re-drawn");

    let bad = PinnProblem::builder(Domain::interval("t", 0.0, 1.0).unwrap(), 1)
        .residual(10, SamplerConfig::Random, |ctx| Ok(vec![ctx.d(0)?]))
        .residual_fixed_points(fluxion_pinn::PointSet::new(2, vec![0.5, 0.5], None).unwrap())
        .build()
        .unwrap_err();
    assert!(bad.to_string().contains("fixed points have 2"), "{bad}");
}
