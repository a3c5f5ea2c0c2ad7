//! `fluxion train pinn` and `fluxion reproduce pinn-*`: a zoo problem of `fluxion_pinn::zoo`
//! from its built-in defaults (reproduce) or a TOML file (train), `--set` overrides, a
//! progress bar, checkpoints, `report.json`, `loss.png` and `prediction.png` (the network
//! against the reference on the evaluation grid) in the output directory, and one result table.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use fluxion_device::{Device, DeviceLocation};
use fluxion_pinn::zoo::{PinnExperiment, ProblemKind, Scale as ZooScale};
use fluxion_pinn::{latest_checkpoint, EpochRecord, Phase};
use serde_json::json;

use crate::{config, plot, prediction_plots, Experiment, ReproduceRequest, Scale, UsageError};

/// `fluxion train pinn --config <toml>`.
pub fn train(
    config: &Path,
    set: &[String],
    out: Option<PathBuf>,
    resume: bool,
    json: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let exp: PinnExperiment = config::load(config, set)?;
    let label = format!("pinn-{}", exp.problem.name().replace('_', "-"));
    let out = out.unwrap_or_else(|| {
        PathBuf::from(format!("outputs/train-{label}-{}", scale_name(exp.scale)))
    });
    let overridden = !set.is_empty();
    run(
        exp,
        &label,
        &out,
        resume,
        DeviceLocation::Cpu,
        json,
        quiet,
        overridden,
    )
}

/// `fluxion reproduce pinn-*`.
pub fn reproduce(req: ReproduceRequest) -> anyhow::Result<()> {
    let (label, allowed): (&str, &[ProblemKind]) = match req.experiment {
        Experiment::PinnDecay => ("pinn-decay", &[ProblemKind::Decay, ProblemKind::DecayAdam]),
        Experiment::PinnBurgers => ("pinn-burgers", &[ProblemKind::Burgers]),
        other => anyhow::bail!("{other:?} is not a PINN experiment"),
    };
    let scale = match req.scale {
        Scale::Smoke => ZooScale::Smoke,
        Scale::Paper => ZooScale::Paper,
    };
    let defaults = PinnExperiment::defaults(allowed[0], scale);
    let exp: PinnExperiment = config::with_overrides(&defaults, &req.set)?;
    if !allowed.contains(&exp.problem) {
        return Err(UsageError(format!(
            "--set problem={}: {label} runs {}",
            exp.problem.name(),
            allowed
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(" or ")
        ))
        .into());
    }
    let out = req
        .out
        .unwrap_or_else(|| PathBuf::from(format!("outputs/{label}-{}", scale_name(scale))));
    let overridden = !req.set.is_empty();
    run(
        exp, label, &out, req.resume, req.device, req.json, req.quiet, overridden,
    )
}

fn scale_name(s: ZooScale) -> &'static str {
    match s {
        ZooScale::Smoke => "smoke",
        ZooScale::Paper => "paper",
    }
}

/// Trains, evaluates, writes `config.toml` and `report.json` into `out` and prints the result.
fn run(
    exp: PinnExperiment,
    label: &str,
    out: &Path,
    resume: bool,
    location: DeviceLocation,
    as_json: bool,
    quiet: bool,
    overridden: bool,
) -> anyhow::Result<()> {
    // Progress and commentary go to stderr unless the caller asked for JSON or quiet.
    let silent = as_json || quiet;
    exp.validate()
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let device = Device::new(location).with_context(|| format!("cannot open device {location}"))?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;
    let config_path = out.join("config.toml");
    crate::output::write_atomic(&config_path, config::to_toml(&exp)?.as_bytes())?;
    let ckpt_dir = out.join("checkpoints");
    let zoo = exp
        .build_with(Some(ckpt_dir.clone()), &device)
        .map_err(|e| UsageError(format!("cannot build {}: {e}", exp.problem.name())))?;
    let lbfgs_steps = zoo.train.lbfgs.map_or(0, |l| l.steps as u64);
    let total = zoo.train.epochs as u64 + lbfgs_steps;
    let (trainer, reference) = zoo.into_trainer()?;
    tracing::info!(experiment = label, out = %out.display(), resume, device = %device, "training");
    let bar = crate::output::progress_bar(Some(total), "steps", silent);
    let observer_bar = bar.clone();
    // Off a terminal (a log file) a plain line every 1% of the steps stands in for the bar.
    let log_lines = !silent && !std::io::stderr().is_terminal();
    let every = (total / 100).max(1);
    let (mut done, clock) = (0u64, Instant::now());
    let mut trainer = trainer.with_observer(move |r: &EpochRecord| {
        observer_bar.inc(1);
        done += 1;
        let phase = if r.phase == Phase::Lbfgs {
            "L-BFGS"
        } else {
            "first-order"
        };
        observer_bar.set_message(format!("{phase} loss {:.3e}", r.loss));
        if log_lines && done % every == 0 {
            eprintln!(
                "[{:.0} s] step {done}/{total} {phase} {} loss {:.6e}",
                clock.elapsed().as_secs_f64(),
                r.epoch,
                r.loss
            );
        }
    });
    if resume {
        if latest_checkpoint(&ckpt_dir).is_some() {
            trainer
                .resume(&ckpt_dir)
                .with_context(|| format!("cannot resume from {}", ckpt_dir.display()))?;
            bar.set_position(trainer.epoch());
        } else if !silent {
            eprintln!(
                "note: no checkpoint under {}; starting from scratch",
                ckpt_dir.display()
            );
        }
    }
    let initial = trainer.evaluate(&reference.target, &reference.eval_counts)?;
    let start = Instant::now();
    let trained = trainer.train();
    bar.finish_and_clear();
    let report = trained.with_context(|| format!("training {label} failed"))?;
    let seconds = start.elapsed().as_secs_f64();
    let eval = trainer.evaluate(&reference.target, &reference.eval_counts)?;
    let (lbfgs_iterations, lbfgs_evaluations) = trainer.lbfgs_counts();
    let first_order_epochs = report
        .history
        .iter()
        .filter(|r| r.phase != Phase::Lbfgs)
        .count();
    let lbfgs_steps_done = report.history.len() - first_order_epochs;
    let loss_plot = out.join("loss.png");
    let mut plot = plot::LinePlot::new(
        format!("{label}: training loss"),
        "step (epoch, or L-BFGS step)",
        "loss",
    )
    .log_y();
    for (name, lbfgs, mark) in [
        ("first-order", false, plot::Mark::Line),
        ("L-BFGS", true, plot::Mark::Dashed),
    ] {
        let points: Vec<(f64, f64)> = report
            .history
            .iter()
            .enumerate()
            .filter(|(_, r)| (r.phase == Phase::Lbfgs) == lbfgs)
            .map(|(i, r)| ((i + 1) as f64, r.loss))
            .collect();
        if !points.is_empty() {
            plot = plot.with(plot::Series::new(name, points, mark));
        }
    }
    let mut plots = Vec::new();
    if !plot.series.is_empty() {
        plot::line_plot(&loss_plot, &plot)?;
        plots.push(loss_plot.display().to_string());
    }
    let prediction_plot = out.join("prediction.png");
    if prediction_plots::pinn_grid(
        &prediction_plot,
        label,
        &trainer,
        &reference.target,
        &reference.eval_counts,
    )? {
        plots.push(prediction_plot.display().to_string());
    }
    let device_name = device.to_string();
    let summary = json!({
        "experiment": label,
        "problem": exp.problem.name(),
        "scale": scale_name(exp.scale),
        "metric": "rel_l2",
        "ours": eval.rel_l2,
        "max_abs": eval.max_abs,
        "eval_points": eval.points,
        "initial_rel_l2": initial.rel_l2,
        "paper": reference.published.as_ref().map(|p| p.value),
        "paper_source": reference.published.as_ref().map(|p| p.source.clone()),
        "setup": reference.setup,
        "final_loss": report.final_loss,
        "first_order_epochs": first_order_epochs,
        "ms_per_epoch": report.ms_per_epoch,
        "lbfgs_steps": lbfgs_steps_done,
        "lbfgs_iterations": lbfgs_iterations,
        "lbfgs_evaluations": lbfgs_evaluations,
        "first_order_seconds": report.first_order_seconds,
        "lbfgs_seconds": report.lbfgs_seconds,
        "seconds": seconds,
        "device": device_name,
        "resumed": resume,
        "overridden": overridden,
        "out": out.display().to_string(),
        "plots": plots,
    });
    let report_path = out.join("report.json");
    crate::output::write_atomic(
        &report_path,
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let paper = reference
        .published
        .as_ref()
        .map_or("—".to_string(), |p| format!("{:.2e}", p.value));
    let setup_short = format!(
        "{} scale{}",
        scale_name(exp.scale),
        if overridden { " + --set" } else { "" }
    );
    let row = |cells: [&str; 7]| cells.map(str::to_string).to_vec();
    crate::output::print_table(&[
        row(crate::output::RESULT_COLUMNS),
        row([
            label,
            "rel L2",
            &format!("{:.3e}", eval.rel_l2),
            &paper,
            &setup_short,
            &format!("{seconds:.1} s"),
            &device_name,
        ]),
    ]);
    println!("setup: {}", reference.setup);
    let mut detail = format!(
        "max |u − u*| {:.3e} on {} points (initially rel L2 {:.3e})",
        eval.max_abs, eval.points, initial.rel_l2
    );
    if report.final_loss.is_finite() {
        detail += &format!("; final loss {:.3e}", report.final_loss);
    }
    if first_order_epochs > 0 {
        detail += &format!(
            "; {first_order_epochs} epochs at {:.3} ms/epoch",
            report.ms_per_epoch
        );
    }
    if lbfgs_steps_done > 0 {
        detail += &format!(
            "; L-BFGS {lbfgs_iterations} iterations, {lbfgs_evaluations} evaluations in {:.1} s",
            report.lbfgs_seconds
        );
    }
    println!("{detail}");
    println!(
        "wrote {} and {}",
        config_path.display(),
        report_path.display()
    );
    Ok(())
}
