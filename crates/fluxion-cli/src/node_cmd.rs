//! `fluxion reproduce node-spiral`: torchdiffeq's Neural ODE spiral demo
//! (`examples/ode_demo.py`, Chen et al. 2018) through [`fluxion_diffeq::spiral`], with
//! `--set` overrides of its [`SpiralConfig`], a progress bar, `config.toml` and `report.json`
//! in the output directory, and one result table.
//!
//! There is no paper number for the demo. What it shows is that the trajectory's mean L1 error
//! falls well below its value at initialisation; beside our time per iteration the table puts
//! torchdiffeq's on the same machine class (`shared/anchors/neural_ode_spiral_torch.py`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use fluxion_device::DeviceLocation;
use fluxion_diffeq::spiral::{train_spiral_observed, SpiralConfig};
use serde_json::json;

use crate::{config, output, ReproduceRequest, Scale, UsageError};

/// torchdiffeq's time per iteration of the reference workload (dopri5, backprop) on the 2-core
/// AMD EPYC machine class, measured by `shared/anchors/neural_ode_spiral_torch.py`.
const TORCHDIFFEQ_MS_PER_ITER: f64 = 52.4;

/// Where [`TORCHDIFFEQ_MS_PER_ITER`] comes from.
const TORCHDIFFEQ_SOURCE: &str =
    "torchdiffeq ode_demo.py, dopri5 backprop, 2-core AMD EPYC (shared/anchors)";

/// The spiral's configuration at `scale`: `paper` is the reference workload
/// ([`SpiralConfig::default`]: 1000 points, 2000 iterations); `smoke` the same problem with
/// 200 iterations, which takes seconds in a release build.
pub(crate) fn defaults(scale: Scale) -> SpiralConfig {
    match scale {
        Scale::Paper => SpiralConfig::default(),
        Scale::Smoke => SpiralConfig {
            iters: 200,
            ..SpiralConfig::default()
        },
    }
}

fn scale_name(scale: Scale) -> &'static str {
    match scale {
        Scale::Smoke => "smoke",
        Scale::Paper => "paper",
    }
}

/// `fluxion reproduce node-spiral`.
pub fn reproduce(req: ReproduceRequest) -> anyhow::Result<()> {
    if req.resume {
        return Err(UsageError(
            "--resume: the spiral demo keeps no checkpoints (the reference run takes minutes); \
             run it again without --resume"
                .into(),
        )
        .into());
    }
    if let Some(d) = &req.data {
        return Err(UsageError(format!(
            "--data {}: the spiral demo solves its own true trajectory",
            d.display()
        ))
        .into());
    }
    if req.device != DeviceLocation::Cpu {
        return Err(UsageError(format!(
            "--device {}: the spiral demo runs on the CPU only",
            req.device
        ))
        .into());
    }
    let cfg: SpiralConfig = config::with_overrides(&defaults(req.scale), &req.set)?;
    let out = req
        .out
        .unwrap_or_else(|| PathBuf::from(format!("outputs/node-spiral-{}", scale_name(req.scale))));
    run(
        &cfg,
        req.scale,
        &out,
        req.json,
        req.quiet,
        !req.set.is_empty(),
    )
}

/// Trains, writes `config.toml` and `report.json` into `out` and prints the result.
fn run(
    cfg: &SpiralConfig,
    scale: Scale,
    out: &Path,
    as_json: bool,
    quiet: bool,
    overridden: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;
    let config_path = out.join("config.toml");
    output::write_atomic(&config_path, config::to_toml(cfg)?.as_bytes())?;
    let total = cfg.iters as u64;
    let bar = crate::output::progress_bar(Some(total), "iterations", as_json || quiet);
    // Off a terminal (a log file) a plain line every 10% of the iterations stands in for the bar.
    let log_lines = !as_json && !quiet && !std::io::stderr().is_terminal();
    let every = (total / 10).max(1);
    let clock = Instant::now();
    let observer_bar = bar.clone();
    let trained = train_spiral_observed(cfg, |it, loss| {
        observer_bar.inc(1);
        observer_bar.set_message(format!("batch L1 {loss:.3e}"));
        let done = it as u64 + 1;
        if log_lines && done.is_multiple_of(every) {
            eprintln!(
                "[{:.0} s] iteration {done}/{total} batch L1 {loss:.6e}",
                clock.elapsed().as_secs_f64()
            );
        }
    });
    bar.finish_and_clear();
    let report = trained.map_err(|e| match e {
        fluxion_diffeq::Error::InvalidArgument { .. } => {
            anyhow::Error::from(UsageError(format!("invalid configuration: {e}")))
        }
        e => anyhow::Error::from(e).context("training node-spiral failed"),
    })?;
    let seconds = clock.elapsed().as_secs_f64();
    let ratio = report.final_l1 / report.initial_l1;
    let summary = json!({
        "experiment": "node-spiral",
        "scale": scale_name(scale),
        "metric": "trajectory_l1",
        "initial_l1": report.initial_l1,
        "final_l1": report.final_l1,
        "l1_ratio": ratio,
        "final_batch_loss": report.losses.last().copied(),
        "iters": cfg.iters,
        "ms_per_iter": report.ms_per_iter,
        "reference": "torchdiffeq examples/ode_demo.py (Chen et al. 2018): no published number; \
                      the trajectory L1 falls well below its initial value",
        "reference_ms_per_iter": TORCHDIFFEQ_MS_PER_ITER,
        "reference_ms_source": TORCHDIFFEQ_SOURCE,
        "seconds": seconds,
        "device": "cpu",
        "overridden": overridden,
        "out": out.display().to_string(),
    });
    let report_path = out.join("report.json");
    output::write_atomic(
        &report_path,
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let setup = format!(
        "{} scale{}",
        scale_name(scale),
        if overridden { " + --set" } else { "" }
    );
    let row = |cells: [&str; 7]| cells.map(str::to_string).to_vec();
    output::print_table(&[
        row(output::RESULT_COLUMNS),
        row([
            "node-spiral",
            "trajectory L1",
            &format!(
                "{:.3e} → {:.3e} (×{ratio:.3})",
                report.initial_l1, report.final_l1
            ),
            "falls well below initial",
            &setup,
            &format!("{seconds:.1} s"),
            "cpu",
        ]),
        row([
            "",
            "ms / iteration",
            &format!("{:.2}", report.ms_per_iter),
            &format!("{TORCHDIFFEQ_MS_PER_ITER} (torchdiffeq)"),
            "",
            "",
            "",
        ]),
    ]);
    println!(
        "setup: torchdiffeq ode_demo.py: {} points on [0, {}], {} iterations of {} windows × {} \
         steps, RMSprop lr {:e}, dopri5 rtol {:e} atol {:e}, {:?} gradients, {}",
        cfg.data_size,
        cfg.t_end,
        cfg.iters,
        cfg.batch_size,
        cfg.batch_time,
        cfg.lr,
        cfg.rtol,
        cfg.atol,
        cfg.mode,
        cfg.dtype
    );
    println!("reference time: {TORCHDIFFEQ_SOURCE}; ratios of runs on one machine are what count");
    println!(
        "wrote {} and {}",
        config_path.display(),
        report_path.display()
    );
    Ok(())
}
