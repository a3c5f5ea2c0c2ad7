//! `fluxion quickstart`: the embedded default job, with no data and no GPU needed.
//!
//! 1. Generates a small Burgers data set (`<out>/burgers.h5`) with the generator behind
//!    `fluxion reproduce fno-burgers`.
//! 2. Trains an FNO-1d on it and reports the test relative L2 error (the smoke target is
//!    < 0.05; Li et al. 2021 report 0.0160 at s = 1024 with 1000 samples and 500 epochs).
//! 3. Solves the PINN decay problem dy/dt + y = 0 (`decay_adam` of the zoo) and reports the
//!    relative L2 error against e^{−t} (target < 1e-3).
//! 4. Trains torchdiffeq's Neural ODE spiral and reports the trajectory's mean L1 error before
//!    and after training.
//!
//! One table (or one JSON object with `--json`), `<out>/report.json` and PNG plots; a missed
//! target is marked ✗ and makes the command exit with code 1 after printing. At the
//! `default` size it takes about a minute on a 2-core CPU; `tiny` takes seconds (for tests), and
//! its targets are "better than untrained" only. Every seed derives from `--seed`, so two runs
//! with the same seed and thread count print the same numbers.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use fluxion_autodiff::{no_grad, Var};
use fluxion_device::{DType, Device, DeviceLocation};
use fluxion_diffeq::spiral::{spiral_data, SpiralConfig, SpiralTrainer};
use fluxion_operator::experiment::{FnoExperiment, Problem, Scale as FnoScale};
use fluxion_operator::train::{Normalization, TrainConfig, TrainEvent, Trainer};
use fluxion_operator::{Fno, FnoConfig};
use fluxion_pinn::zoo::{PinnExperiment, ProblemKind, Scale as ZooScale};
use fluxion_pinn::{EpochRecord, PointSet};
use fluxion_tensor::Tensor;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::json;

use crate::output::{print_table, write_atomic};
use crate::plot::{heat_map, line_plot, HeatMap, LinePlot, Mark, Series};
use crate::UsageError;

/// How large the quickstart runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// About a minute on a 2-core CPU (release build).
    Default,
    /// Seconds; for tests.
    Tiny,
}

/// What `fluxion quickstart` was asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The device (None: the CPU; a visible GPU is reported but not used).
    pub device: Option<DeviceLocation>,
    /// Seed.
    pub seed: u64,
    /// Size.
    pub size: Size,
    /// Output directory.
    pub out: std::path::PathBuf,
    /// Print JSON instead of a table.
    pub json: bool,
    /// No progress output.
    pub quiet: bool,
}

/// Number of stages, for the `[k/N]` prefixes.
const STAGES: usize = 4;

/// The FNO smoke target: the mean relative L2 test error a working pipeline reaches.
const FNO_TARGET: f64 = 0.05;
/// The FNO paper's Burgers error at s = 1024 (Li et al. 2021, Table 1).
const FNO_PAPER: f64 = 0.0160;
/// The relative L2 error the `decay_adam` preset is tuned to beat.
const PINN_TARGET: f64 = 1e-3;
/// torchdiffeq's trajectory L1 after the demo's 2000 iterations (its seed 0; docs/BENCHMARKS.md).
const TORCHDIFFEQ_L1: f64 = 0.244;

/// One line of the result table and of `report.json`.
#[derive(Debug, Clone, Serialize)]
struct Row {
    task: &'static str,
    metric: String,
    ours: f64,
    /// The value before training, where the task trains a model.
    untrained: Option<f64>,
    reference: String,
    /// `Some(passed)` where a target applies.
    pass: Option<bool>,
    seconds: f64,
    device: String,
}

/// Stage progress on stderr: a bar or spinner while a stage runs (on a terminal), and one
/// summary line when it ends; nothing under `--quiet`.
#[derive(Debug, Clone, Copy)]
struct Progress {
    quiet: bool,
}

impl Progress {
    /// A bar over `len` steps (a spinner when `None`) for stage `k`.
    fn stage(&self, k: usize, name: &str, len: Option<u64>) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        }
        let (bar, template) = match len {
            Some(n) => (
                ProgressBar::new(n),
                "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} (ETA {eta}) {msg}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{spinner} {prefix} [{elapsed_precise}] {msg}",
            ),
        };
        bar.set_style(ProgressStyle::with_template(template).expect("the template is valid"));
        bar.set_prefix(format!("[{k}/{STAGES}] {name}"));
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    /// Clears `bar` and prints `line` for stage `k`.
    fn done(&self, bar: &ProgressBar, k: usize, line: &str) {
        bar.finish_and_clear();
        if !self.quiet {
            eprintln!("[{k}/{STAGES}] {line}");
        }
    }

    fn note(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// `fluxion quickstart`.
pub fn run(req: Request) -> anyhow::Result<()> {
    let progress = Progress { quiet: req.quiet };
    let device = choose_device(req.device, &progress)?;
    let out = &req.out;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;
    let start = Instant::now();
    let exp = fno_experiment(req.size, req.seed);
    let (data_row, data_path) =
        burgers_data(&exp, out, &progress).context("quickstart stage 1/4 (Burgers data)")?;
    let (fno_row, fno_plots) = fno(&exp, &data_path, out, &device, req.size, &progress)
        .with_context(|| format!("quickstart stage 2/4 (FNO-1d on {})", data_path.display()))?;
    let (pinn_row, pinn_plot) = pinn_decay(req.size, req.seed, out, &device, &progress)
        .context("quickstart stage 3/4 (PINN decay)")?;
    let (node_row, node_plot) = node_spiral(req.size, req.seed, out, &progress)
        .context("quickstart stage 4/4 (Neural ODE spiral)")?;
    let rows = [data_row, fno_row, pinn_row, node_row];
    let plots: Vec<String> = fno_plots
        .iter()
        .chain([&pinn_plot, &node_plot])
        .map(|p| p.display().to_string())
        .collect();
    let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
    let report = json!({
        "rows": rows,
        "failed": failed,
        "device": device.to_string(),
        "out": out.display().to_string(),
        "size": format!("{:?}", req.size).to_lowercase(),
        "seed": req.seed,
        "data": data_path.display().to_string(),
        "plots": plots,
        "seconds": start.elapsed().as_secs_f64(),
    });
    let text = serde_json::to_string_pretty(&report)?;
    let report_path = out.join("report.json");
    write_atomic(&report_path, text.as_bytes())?;
    if req.json {
        println!("{text}");
        return checks_passed(failed);
    }
    let mut table = vec![[
        "task",
        "metric",
        "ours",
        "reference/paper",
        "time (s)",
        "device",
    ]
    .map(String::from)
    .to_vec()];
    for r in &rows {
        let mark = match r.pass {
            Some(true) => "✓ ",
            Some(false) => "✗ ",
            None => "",
        };
        table.push(vec![
            r.task.to_string(),
            r.metric.clone(),
            format_value(r.task, r.ours),
            format!("{mark}{}", r.reference),
            format!("{:.1}", r.seconds),
            r.device.clone(),
        ]);
    }
    print_table(&table);
    println!(
        "total {:.1} s; wrote {} and {} plots under {}",
        start.elapsed().as_secs_f64(),
        report_path.display(),
        plots.len(),
        out.display()
    );
    checks_passed(failed)
}

/// An error (exit code 1) when `failed` rows missed their targets.
fn checks_passed(failed: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        failed == 0,
        "{failed} check(s) missed their target (the rows marked ✗)"
    );
    Ok(())
}

/// The device to run on: `--device` when given (a missing GPU is a usage error), else the
/// CPU, with a notice when a GPU is visible.
fn choose_device(location: Option<DeviceLocation>, progress: &Progress) -> anyhow::Result<Device> {
    match location {
        Some(loc) => Device::new(loc).map_err(|e| {
            let why = e.to_string().replace('\n', " ");
            UsageError(format!("cannot open device {loc}: {why}")).into()
        }),
        None => {
            if Device::cuda(0).is_ok() {
                progress.note(
                    "note: a GPU (cuda:0) is visible but not used: the CUDA backend does not run \
                     these models yet; running on the CPU (--device cuda to try it anyway)",
                );
            }
            Ok(Device::Cpu)
        }
    }
}

/// `ours` as the table prints it.
fn format_value(task: &str, v: f64) -> String {
    match task {
        "burgers-data" => format!("{v:.0}"),
        "pinn-decay" => format!("{v:.2e}"),
        _ => format!("{v:.4}"),
    }
}

/// Burgers at smoke scale (`default`), or a few samples on a coarse grid (`tiny`); every
/// seed is `seed`.
fn fno_experiment(size: Size, seed: u64) -> FnoExperiment {
    let mut exp = FnoExperiment::burgers(FnoScale::Smoke);
    if size == Size::Tiny {
        exp.problem = Problem::Burgers {
            ntrain: 16,
            ntest: 4,
            s: 64,
            generate_s: 128,
            generate_dt: 5e-3,
            seed,
        };
        exp.model = FnoConfig::fno1d(8, 16);
        exp.train = TrainConfig {
            epochs: 6,
            batch_size: 8,
            lr: 3e-3,
            step_size: 3,
            normalize: Normalization::Global,
            ..TrainConfig::default()
        };
    }
    if let Problem::Burgers { seed: s, .. } = &mut exp.problem {
        *s = seed;
    }
    exp.model.seed = seed;
    exp.train.seed = seed;
    exp
}

/// Stage 1: generates the data set and moves it to `<out>/burgers.h5`.
fn burgers_data(
    exp: &FnoExperiment,
    out: &Path,
    progress: &Progress,
) -> anyhow::Result<(Row, PathBuf)> {
    let Problem::Burgers {
        ntrain,
        ntest,
        generate_s,
        ..
    } = exp.problem
    else {
        unreachable!("fno_experiment builds a Burgers problem")
    };
    let bar = progress.stage(1, "Burgers data", None);
    bar.set_message(format!("{} samples at s = {generate_s}", ntrain + ntest));
    let start = Instant::now();
    let generated = exp
        .generate(out)
        .with_context(|| format!("cannot generate the data set into {}", out.display()))?;
    let path = out.join("burgers.h5");
    std::fs::rename(&generated, &path).with_context(|| {
        format!(
            "cannot rename {} to {}",
            generated.display(),
            path.display()
        )
    })?;
    let seconds = start.elapsed().as_secs_f64();
    progress.done(
        &bar,
        1,
        &format!(
            "Burgers data: {} samples at s = {generate_s} in {seconds:.1} s → {}",
            ntrain + ntest,
            path.display()
        ),
    );
    let row = Row {
        task: "burgers-data",
        metric: format!("samples (train {ntrain} + test {ntest}, s = {generate_s})"),
        ours: (ntrain + ntest) as f64,
        untrained: None,
        reference: "paper: 1000 + 100 of 2048, s = 8192".into(),
        pass: None,
        seconds,
        device: "cpu".into(),
    };
    Ok((row, path))
}

/// Stage 2: trains the FNO-1d and plots its loss curves and one test prediction.
fn fno(
    exp: &FnoExperiment,
    data_path: &Path,
    out: &Path,
    device: &Device,
    size: Size,
    progress: &Progress,
) -> anyhow::Result<(Row, Vec<PathBuf>)> {
    let data = exp
        .load(data_path)
        .with_context(|| format!("cannot read {}", data_path.display()))?;
    let model = Fno::new(&exp.model, device).context("cannot build the FNO")?;
    let mut trainer = Trainer::new(model, &data, exp.train.clone())?;
    let untrained = trainer.evaluate(&data.x_test, &data.y_test)?;
    let batches = data.ntrain().div_ceil(exp.train.batch_size);
    let bar = progress.stage(2, "FNO-1d", Some((exp.train.epochs * batches) as u64));
    let mut test_note = String::new();
    let mut observer = |e: &TrainEvent| {
        bar.set_position(((e.epoch - 1) * e.batches + e.batch) as u64);
        if let Some(t) = e.test_error {
            test_note = format!(", test rel L2 {t:.4}");
        }
        bar.set_message(format!(
            "epoch {}/{} loss {:.4}{test_note}",
            e.epoch, e.epochs, e.running_loss
        ));
    };
    let start = Instant::now();
    let report = trainer.fit(&mut observer)?;
    let seconds = start.elapsed().as_secs_f64();
    let err = report.final_test_error;
    let s = data.x_test.dims()[1];
    progress.done(
        &bar,
        2,
        &format!(
            "FNO-1d: test rel L2 {err:.4} (untrained {untrained:.3}) after {} epochs in {seconds:.1} s",
            report.epochs.len()
        ),
    );

    let epochs = &report.epochs;
    let loss_plot = out.join("fno_loss.png");
    line_plot(
        &loss_plot,
        &LinePlot::new(
            format!("FNO-1d on Burgers (s = {s}): relative L2 per epoch"),
            "epoch",
            "relative L2",
        )
        .log_y()
        .with(Series::new(
            "train loss",
            epochs
                .iter()
                .map(|r| (r.epoch as f64, r.train_loss))
                .collect(),
            Mark::Line,
        ))
        .with(Series::new(
            "test error",
            epochs
                .iter()
                .map(|r| (r.epoch as f64, r.test_error))
                .collect(),
            Mark::Dashed,
        )),
    )?;
    let ntest = data.ntest();
    let pred_all = to_f64(&trainer.predict(&data.x_test)?)?;
    let truth_all = to_f64(&data.y_test)?;
    let (pred, truth) = (&pred_all[..s], &truth_all[..s]);
    let grid = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(j, &u)| (j as f64 / v.len() as f64, u))
            .collect()
    };
    let pred_plot = out.join("fno_prediction.png");
    line_plot(
        &pred_plot,
        &LinePlot::new("FNO-1d: u(x, t = 1) for test sample 0", "x", "u(x, 1)")
            .with(Series::new("truth", grid(truth), Mark::Line))
            .with(Series::new("FNO prediction", grid(pred), Mark::Dashed)),
    )?;
    let abs_err: Vec<f64> = pred_all
        .iter()
        .zip(&truth_all)
        .map(|(p, t)| (p - t).abs())
        .collect();
    let error_plot = out.join("fno_error.png");
    heat_map(
        &error_plot,
        &HeatMap {
            title: "FNO-1d: |prediction − truth| at t = 1, every test sample".into(),
            x_label: "x".into(),
            y_label: "test sample".into(),
            values: &abs_err,
            rows: ntest,
            cols: s,
            x_range: (0.0, 1.0),
            y_range: (0.0, ntest as f64),
        },
    )?;

    let (reference, pass) = match size {
        Size::Default => (
            format!("target < {FNO_TARGET}; paper {FNO_PAPER:.4} (s = 1024)"),
            err < FNO_TARGET,
        ),
        Size::Tiny => (
            format!("untrained {untrained:.3}; paper {FNO_PAPER:.4} (s = 1024)"),
            err < untrained,
        ),
    };
    let row = Row {
        task: "fno-burgers",
        metric: format!("test rel L2 (s = {s})"),
        ours: err,
        untrained: Some(untrained),
        reference,
        pass: Some(pass),
        seconds,
        device: device.to_string(),
    };
    Ok((row, vec![loss_plot, pred_plot, error_plot]))
}

/// A tensor's elements as f64 (on the CPU).
fn to_f64(t: &Tensor) -> anyhow::Result<Vec<f64>> {
    Ok(t.to_dtype(DType::F64)?.to_vec::<f64>()?)
}

/// The zoo's `decay_adam` (4000 Adam epochs) then up to 500 L-BFGS iterations, or 200 Adam
/// epochs for `tiny`; its seeds offset by `seed`. Adam alone reaches < 1e-3 with the preset's
/// seeds (seed 0: 7.3e-4) but not with every seed (seed 1: 2.4e-3); the L-BFGS polish, about
/// a second here, makes the target independent of the seed.
fn pinn_experiment(size: Size, seed: u64) -> PinnExperiment {
    let mut exp = PinnExperiment::defaults(ProblemKind::DecayAdam, ZooScale::Smoke);
    match size {
        Size::Default => exp.lbfgs_iterations = 500,
        Size::Tiny => {
            exp.epochs = 200;
            exp.residual_points = 64;
            exp.lr_decay_every = 100;
        }
    }
    exp.net_seed = exp.net_seed.wrapping_add(seed);
    exp.seed = exp.seed.wrapping_add(seed);
    exp
}

/// Stage 3: trains the decay PINN and plots it against e^{−t}.
fn pinn_decay(
    size: Size,
    seed: u64,
    out: &Path,
    device: &Device,
    progress: &Progress,
) -> anyhow::Result<(Row, PathBuf)> {
    let exp = pinn_experiment(size, seed);
    let zoo = exp
        .build_with(None, device)
        .with_context(|| format!("cannot build {}", exp.problem.name()))?;
    let lbfgs_steps = zoo.train.lbfgs.map_or(0, |l| l.steps);
    let (trainer, reference) = zoo.into_trainer()?;
    let bar = progress.stage(3, "PINN decay", Some((exp.epochs + lbfgs_steps) as u64));
    let observer_bar = bar.clone();
    let mut trainer = trainer.with_observer(move |r: &EpochRecord| {
        observer_bar.inc(1);
        if r.epoch.is_multiple_of(50) {
            observer_bar.set_message(format!("loss {:.3e}", r.loss));
        }
    });
    let untrained = trainer
        .evaluate(&reference.target, &reference.eval_counts)?
        .rel_l2;
    let start = Instant::now();
    trainer.train()?;
    let seconds = start.elapsed().as_secs_f64();
    let eval = trainer.evaluate(&reference.target, &reference.eval_counts)?;
    let err = eval.rel_l2;
    progress.done(
        &bar,
        3,
        &format!(
            "PINN decay: rel L2 {err:.2e} vs e^(-t) (untrained {untrained:.3}) after {} Adam \
             epochs and {} L-BFGS iterations in {seconds:.1} s",
            exp.epochs,
            trainer.lbfgs_counts().0
        ),
    );

    let n = 201;
    let ts: Vec<f64> = (0..n).map(|i| 5.0 * i as f64 / (n - 1) as f64).collect();
    let points = PointSet::new(1, ts.clone(), None)?;
    let u = trainer
        .problem()
        .predict(trainer.net(), &points, exp.precision.dtype(), device)?;
    let plot = out.join("pinn_decay.png");
    line_plot(
        &plot,
        &LinePlot::new("PINN: dy/dt + y = 0, y(0) = 1", "t", "y(t)")
            .with(Series::new(
                "exact e^(-t)",
                ts.iter().map(|&t| (t, (-t).exp())).collect(),
                Mark::Line,
            ))
            .with(Series::new(
                "PINN",
                ts.iter()
                    .copied()
                    .zip(u.iter().copied())
                    .step_by(5)
                    .collect(),
                Mark::Markers,
            )),
    )?;
    let (reference_text, pass) = match size {
        Size::Default => (format!("target < {PINN_TARGET:.0e}"), err < PINN_TARGET),
        Size::Tiny => (format!("untrained {untrained:.3}"), err < untrained),
    };
    let row = Row {
        task: "pinn-decay",
        metric: "rel L2 vs e^(-t)".into(),
        ours: err,
        untrained: Some(untrained),
        reference: reference_text,
        pass: Some(pass),
        seconds,
        device: device.to_string(),
    };
    Ok((row, plot))
}

/// torchdiffeq's demo settings: 2000 iterations at `default` (seconds here), 20 at `tiny`.
fn spiral_config(size: Size, seed: u64) -> SpiralConfig {
    SpiralConfig {
        iters: match size {
            Size::Default => 2000,
            Size::Tiny => 20,
        },
        seed,
        ..SpiralConfig::default()
    }
}

/// Stage 4: trains the Neural ODE spiral and plots the learned trajectory over the true one.
fn node_spiral(
    size: Size,
    seed: u64,
    out: &Path,
    progress: &Progress,
) -> anyhow::Result<(Row, PathBuf)> {
    let cfg = spiral_config(size, seed);
    let mut trainer = SpiralTrainer::new(&cfg)?;
    let untrained = trainer.trajectory_l1()?;
    let bar = progress.stage(4, "Neural ODE spiral", Some(cfg.iters as u64));
    let start = Instant::now();
    for it in 0..cfg.iters {
        let loss = trainer.step()?;
        bar.inc(1);
        if it % 20 == 0 {
            bar.set_message(format!("batch L1 {loss:.4}"));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let l1 = trainer.trajectory_l1()?;
    progress.done(
        &bar,
        4,
        &format!(
            "Neural ODE spiral: trajectory L1 {untrained:.3} → {l1:.3} after {} iterations in {seconds:.1} s",
            cfg.iters
        ),
    );

    let data = spiral_data(&cfg)?;
    let y0 = Var::constant(data.ys.narrow(0, 0, 1)?.contiguous()?);
    let pred = no_grad(|| trainer.model().forward(&y0, &data.ts))?;
    let xy = |v: Vec<f64>| -> Vec<(f64, f64)> { v.chunks_exact(2).map(|p| (p[0], p[1])).collect() };
    let plot = out.join("node_spiral.png");
    line_plot(
        &plot,
        &LinePlot::new(
            format!("Neural ODE spiral after {} iterations", cfg.iters),
            "y1",
            "y2",
        )
        .equal_aspect()
        .with(Series::new(
            "true trajectory",
            xy(to_f64(&data.ys)?),
            Mark::Line,
        ))
        .with(Series::new(
            "learned trajectory",
            xy(to_f64(&pred.tensor())?),
            Mark::Dashed,
        )),
    )?;
    let row = Row {
        task: "node-spiral",
        metric: format!("trajectory mean L1 ({} it)", cfg.iters),
        ours: l1,
        untrained: Some(untrained),
        reference: format!("untrained {untrained:.3}; torchdiffeq {TORCHDIFFEQ_L1} (2000 it)"),
        pass: Some(l1 < untrained),
        seconds,
        device: "cpu".into(),
    };
    Ok((row, plot))
}
