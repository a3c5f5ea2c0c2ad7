//! Training: exact resume, the Burgers smoke reproduction, resolution invariance, rollouts and
//! the experiment runner.

use std::path::PathBuf;
use std::time::Instant;

use fluxion_data::generate::burgers::{BurgersConfig, BurgersLayout};
use fluxion_data::generate::no_progress;
use fluxion_data::WriteOptions;
use fluxion_nn::Module;
use fluxion_operator::data::load_burgers;
use fluxion_operator::experiment::{run, FnoExperiment, Problem, Scale};
use fluxion_operator::train::{NoObserver, Normalization, TrainEvent};
use fluxion_operator::{Fno, FnoConfig, OperatorData, TrainConfig, Trainer};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

type R = Result<(), Box<dyn std::error::Error>>;

const CPU: Device = Device::Cpu;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluxion-op-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A smooth 1-D operator: y = x + 0.5·sin(2πk) shifted field, channels-last `[n, s, 1]`.
fn synthetic(n: usize, s: usize, seed: u64) -> (Tensor, Tensor) {
    let mut g = Generator::new(seed);
    let c = Tensor::randn(0.0, 1.0, [n, 3], DType::F64, &CPU, &mut g)
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..s {
            let t = std::f64::consts::TAU * j as f64 / s as f64;
            let (a, b, d) = (c[3 * i], c[3 * i + 1], c[3 * i + 2]);
            let u = a * t.sin() + b * (2.0 * t).cos() + 0.3 * d;
            x.push(u as f32);
            y.push((a * (t - 0.3).sin() + 0.5 * b * (2.0 * t).cos() + d + 1.5) as f32);
        }
    }
    (
        Tensor::from_vec(x, [n, s, 1], &CPU).unwrap(),
        Tensor::from_vec(y, [n, s, 1], &CPU).unwrap(),
    )
}

fn small_data() -> OperatorData {
    let (x_train, y_train) = synthetic(24, 32, 1);
    let (x_test, y_test) = synthetic(8, 32, 2);
    OperatorData {
        x_train,
        y_train,
        x_test,
        y_test,
    }
}

fn bits(m: &Fno) -> Vec<(String, Vec<u32>)> {
    m.named_parameters()
        .into_iter()
        .map(|(n, p)| {
            let v = p.tensor().to_vec::<f32>().unwrap();
            (n, v.into_iter().map(f32::to_bits).collect())
        })
        .collect()
}

#[test]
fn resume_continues_bit_for_bit() -> R {
    let data = small_data();
    let model_cfg = FnoConfig::fno1d(4, 8);
    let cfg = TrainConfig {
        epochs: 4,
        batch_size: 5,
        step_size: 1,
        gamma: 0.7,
        seed: 3,
        normalize: Normalization::Pointwise,
        ..TrainConfig::default()
    };
    let (dir_a, dir_b) = (tmp_dir("resume-a"), tmp_dir("resume-b"));
    let mut straight =
        Trainer::new(Fno::new(&model_cfg, &CPU)?, &data, cfg.clone())?.with_checkpoints(&dir_a);
    let report_a = straight.fit(&mut NoObserver)?;

    let mut first = Trainer::new(
        Fno::new(&model_cfg, &CPU)?,
        &data,
        TrainConfig {
            epochs: 2,
            ..cfg.clone()
        },
    )?
    .with_checkpoints(&dir_b);
    first.fit(&mut NoObserver)?;
    drop(first);
    // A fresh process: new model (same seed), new optimizer, state from disk only.
    let mut resumed =
        Trainer::new(Fno::new(&model_cfg, &CPU)?, &data, cfg.clone())?.with_checkpoints(&dir_b);
    assert_eq!(resumed.resume()?, Some(2));
    let report_b = resumed.fit(&mut NoObserver)?;

    assert_eq!(report_b.resumed_from, 2);
    assert_eq!(bits(straight.model()), bits(resumed.model()));
    let losses = |r: &fluxion_operator::TrainReport| -> Vec<(u64, u64, u64)> {
        r.epochs
            .iter()
            .map(|e| {
                (
                    e.train_loss.to_bits(),
                    e.test_error.to_bits(),
                    e.lr.to_bits(),
                )
            })
            .collect()
    };
    assert_eq!(losses(&report_a), losses(&report_b));
    assert_eq!(report_a.epochs.len(), 4);
    // StepLR(1, 0.7): 1e-3, 7e-4, 4.9e-4, 3.43e-4.
    assert!((report_a.epochs[3].lr - 1e-3 * 0.7f64.powi(3)).abs() < 1e-15);
    // Training did something.
    assert!(report_a.epochs[3].train_loss < report_a.epochs[0].train_loss);

    // A checkpoint from another configuration is refused, naming what differs.
    let other = TrainConfig {
        batch_size: 6,
        ..cfg
    };
    let mut wrong =
        Trainer::new(Fno::new(&model_cfg, &CPU)?, &data, other)?.with_checkpoints(&dir_b);
    let e = wrong.resume().unwrap_err().to_string();
    assert!(
        e.contains("train_config") && e.contains("\"batch_size\":6"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir_a).ok();
    std::fs::remove_dir_all(&dir_b).ok();
    Ok(())
}

/// FNO Burgers at smoke scale: 250 train / 50 test samples generated at s = 512 (ν = 0.1, t = 1,
/// FNO's initial-condition law), trained at s = 256 with the paper's model and optimiser
/// (FNO-1d, 16 modes, width 64, Adam 1e-3, wd 1e-4, batch 20) for 20 epochs with StepLR(5, ½)
/// and a global Gaussian normaliser ([`FnoExperiment::burgers`] says why). The paper reaches
/// 0.0149 at s = 256 with 1000 samples and 500 epochs; a quarter of the data and a 25th of the
/// epochs must still get below 5 %.
///
/// The same model then predicts the same test functions at s = 512 (zero-shot super-resolution):
/// FNO's claim is that its error stays close to the training-resolution error.
#[test]
fn burgers_smoke_reproduction_and_resolution_invariance() -> R {
    let dir = tmp_dir("burgers");
    let path = dir.join("burgers.h5");
    let t0 = Instant::now();
    BurgersConfig {
        samples: 300,
        s: 512,
        dt: 5e-4,
        layout: BurgersLayout::Fno,
        seed: 0,
        ..BurgersConfig::default()
    }
    .generate(&path, WriteOptions::default(), &no_progress)?;
    let gen_secs = t0.elapsed().as_secs_f64();

    let data = load_burgers(&path, 250, 50, 256)?;
    let exp = FnoExperiment::burgers(Scale::Smoke);
    let model = Fno::new(&exp.model, &CPU)?;
    let mut events = 0usize;
    let mut observer = |e: &TrainEvent| {
        events += 1;
        assert!(e.running_loss.is_finite() && e.lr > 0.0);
    };
    let t1 = Instant::now();
    let mut trainer = Trainer::new(model, &data, exp.train.clone())?;
    let report = trainer.fit(&mut observer)?;
    let train_secs = t1.elapsed().as_secs_f64();
    // 13 batches + 1 end-of-epoch event per epoch.
    assert_eq!(events, 20 * 14);
    let err256 = report.final_test_error;
    let metrics = report.metrics.expect("1-D problems get PDEBench metrics");

    let fine = load_burgers(&path, 250, 50, 512)?;
    let err512 = trainer.evaluate(&fine.x_test, &fine.y_test)?;
    eprintln!(
        "burgers smoke: generate {gen_secs:.1} s, train {train_secs:.1} s \
         ({:.0} samples/s), rel L2 s=256 {err256:.4}, s=512 {err512:.4} (ratio {:.3}), \
         nRMSE {:.4}, first/last train loss {:.4}/{:.4}",
        report.samples_per_sec,
        err512 / err256,
        metrics.nrmse,
        report.epochs[0].train_loss,
        report.epochs.last().unwrap().train_loss,
    );
    assert!(err256 < 0.05, "test relative L2 at s = 256: {err256}");
    assert!(
        err512 < 2.0 * err256,
        "s = 512: {err512} vs s = 256: {err256}"
    );
    // nRMSE with one time step and one channel is the same mean relative L2.
    assert!(
        (metrics.nrmse - err256).abs() < 1e-4 * (1.0 + err256),
        "{metrics:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn rollout_trains_on_stepwise_loss_and_predicts_every_step() -> R {
    // A 2-D "time series": channel t of sample i is a field advanced by t steps; 3 in, 4 out.
    let (n, s, t_in, t_out) = (12, 8, 3, 4);
    let mut g = Generator::new(5);
    let base = Tensor::randn(0.0, 1.0, [n, 2], DType::F64, &CPU, &mut g)?.to_vec::<f64>()?;
    let field = |i: usize, t: usize| -> Vec<f32> {
        let mut v = Vec::with_capacity(s * s);
        for a in 0..s {
            for b in 0..s {
                let ph = std::f64::consts::TAU * (a as f64 + b as f64 + t as f64) / s as f64;
                v.push((base[2 * i] * ph.sin() + base[2 * i + 1] * ph.cos() + 2.0) as f32);
            }
        }
        v
    };
    let build = |range: std::ops::Range<usize>, t0: usize, nt: usize| -> Tensor {
        let m = range.len();
        let mut v = vec![0f32; m * s * s * nt];
        for (k, i) in range.enumerate() {
            for t in 0..nt {
                for (p, val) in field(i, t0 + t).into_iter().enumerate() {
                    v[(k * s * s + p) * nt + t] = val;
                }
            }
        }
        Tensor::from_vec(v, [m, s, s, nt], &CPU).unwrap()
    };
    let data = OperatorData {
        x_train: build(0..9, 0, t_in),
        y_train: build(0..9, t_in, t_out),
        x_test: build(9..12, 0, t_in),
        y_test: build(9..12, t_in, t_out),
    };
    let model = Fno::new(
        &FnoConfig {
            in_channels: t_in,
            ..FnoConfig::fno2d(3, 8)
        },
        &CPU,
    )?;
    let cfg = TrainConfig {
        epochs: 6,
        batch_size: 3,
        rollout: Some(1),
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(model, &data, cfg)?;
    let report = trainer.fit(&mut NoObserver)?;
    assert_eq!(trainer.predict(&data.x_test)?.dims(), &[3, s, s, t_out]);
    let (first, last) = (&report.epochs[0], report.epochs.last().unwrap());
    assert!(last.train_loss < first.train_loss, "{report:?}");
    assert!(report.metrics.is_some());
    // Channels that do not fit the rollout are refused.
    let bad = TrainConfig {
        rollout: Some(3),
        ..TrainConfig::default()
    };
    let model = Fno::new(&FnoConfig::fno2d(3, 8), &CPU)?;
    assert!(Trainer::new(model, &data, bad).is_err());
    Ok(())
}

#[test]
fn run_generates_trains_reports_and_refuses_to_overwrite() -> R {
    let dir = tmp_dir("run");
    let mut exp = FnoExperiment::burgers(Scale::Smoke);
    exp.problem = Problem::Burgers {
        ntrain: 16,
        ntest: 4,
        s: 32,
        generate_s: 64,
        generate_dt: 1e-3,
        seed: 1,
    };
    exp.model = FnoConfig::fno1d(4, 8);
    exp.train.epochs = 2;
    exp.train.batch_size = 4;
    let report = run(&exp, None, &dir, false, &mut NoObserver)?;
    assert!(report.data_path.starts_with(dir.join("data")));
    assert_eq!(report.train.epochs.len(), 2);
    assert!(report.test_error.is_finite());
    assert_eq!(report.published.len(), exp.published.len());
    let json = std::fs::read_to_string(dir.join("report.json"))?;
    assert!(json.contains("\"test_error\""));
    let e = run(&exp, None, &dir, false, &mut NoObserver)
        .unwrap_err()
        .to_string();
    assert!(e.contains("already holds a checkpoint"), "{e}");
    // Resuming a finished run with more epochs continues from epoch 2.
    exp.train.epochs = 3;
    let more = run(&exp, None, &dir, true, &mut NoObserver)?;
    assert_eq!(more.train.resumed_from, 2);
    assert_eq!(more.train.epochs.len(), 3);
    assert_eq!(more.train.epochs[..2], report.train.epochs[..]);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
