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
use fluxion_pinn::EpochRecord;
use fluxion_tensor::Tensor;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::json;

use crate::output::{print_table, write_atomic};
use crate::plot::{heat_map, line_plot, HeatMap, LinePlot, Mark, Series};
use crate::UsageError;

mod fno;
mod pinn;
mod spiral;

use fno::{burgers_data, fno, fno_experiment};
use pinn::pinn_decay;
use spiral::node_spiral;

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
    /// The device (None: cuda:0 when visible and it passes the self-check, else the CPU).
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

/// The device to run on: `--device` when given (a missing GPU is a usage error); else cuda:0
/// when one is visible and passes the self-check (`crate::gpu_check`: small versions of these
/// jobs on both devices must agree), else the CPU. A failed self-check is always reported (it
/// means a kernel or library bug), with the first check that differed.
fn choose_device(location: Option<DeviceLocation>, progress: &Progress) -> anyhow::Result<Device> {
    match location {
        Some(loc) => Device::new(loc).map_err(|e| {
            let why = e.to_string().replace('\n', " ");
            UsageError(format!("cannot open device {loc}: {why}")).into()
        }),
        None => {
            let Ok(gpu) = Device::cuda(0) else {
                return Ok(Device::Cpu);
            };
            progress.note("checking the visible GPU (cuda:0) against the CPU first ...");
            let outcome = crate::gpu_check::run(&gpu);
            let line = outcome.describe();
            if outcome.failure.is_none() {
                progress.note(&format!("self-check: {line}; running on cuda:0"));
                Ok(gpu)
            } else {
                eprintln!(
                    "warning: self-check: {line}; running on the CPU (--device cuda forces the \
                     GPU; please report this)"
                );
                Ok(Device::Cpu)
            }
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

/// A tensor's elements as f64 (on the CPU).
fn to_f64(t: &Tensor) -> anyhow::Result<Vec<f64>> {
    Ok(t.to_dtype(DType::F64)?.to_vec::<f64>()?)
}
