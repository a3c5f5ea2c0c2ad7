//! `fluxion train fno` and `fluxion reproduce fno-*`: an [`FnoExperiment`] from its built-in
//! defaults (reproduce) or a TOML file (train), `--set` overrides, a progress bar, checkpoints
//! every epoch, `report.json`, `loss.png` and `prediction.png` (the first test sample) in the
//! output directory, and one result table with the published numbers beside ours.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use fluxion_device::{Device, DeviceLocation};
use fluxion_operator::experiment::{self, FnoExperiment, Problem, Scale as FnoScale};
use fluxion_operator::train::TrainEvent;
use serde_json::json;

use crate::{
    config, output, plot, prediction_plots, Experiment, ReproduceRequest, Scale, UsageError,
};

/// `fluxion train fno --config <toml>`: the TOML file is an [`FnoExperiment`] (write one with
/// `fluxion reproduce fno-burgers`, which saves the configuration it ran as `config.toml`).
pub fn train(
    config: &Path,
    set: &[String],
    out: Option<PathBuf>,
    resume: bool,
    data: Option<PathBuf>,
    json: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let exp: FnoExperiment = config::load(config, set)?;
    let label = format!("fno-{}", exp.name);
    let out = out.unwrap_or_else(|| PathBuf::from(format!("outputs/train-{label}")));
    run(
        &exp,
        &label,
        data.as_deref(),
        &out,
        resume,
        DeviceLocation::Cpu,
        json,
        quiet,
        !set.is_empty(),
    )
}

/// `fluxion reproduce fno-burgers | fno-darcy | fno-ns`.
pub fn reproduce(req: ReproduceRequest) -> anyhow::Result<()> {
    let (name, label) = match req.experiment {
        Experiment::FnoBurgers => ("burgers", "fno-burgers"),
        Experiment::FnoDarcy => ("darcy", "fno-darcy"),
        Experiment::FnoNs => ("navier-stokes", "fno-ns"),
        other => anyhow::bail!("{other:?} is not an FNO experiment"),
    };
    let scale = match req.scale {
        Scale::Smoke => FnoScale::Smoke,
        Scale::Paper => FnoScale::Paper,
    };
    let defaults = FnoExperiment::by_name(name, scale)?;
    let exp: FnoExperiment = config::with_overrides(&defaults, &req.set)?;
    let scale_name = match scale {
        FnoScale::Smoke => "smoke",
        FnoScale::Paper => "paper",
    };
    let out = req
        .out
        .unwrap_or_else(|| PathBuf::from(format!("outputs/{label}-{scale_name}")));
    run(
        &exp,
        label,
        req.data.as_deref(),
        &out,
        req.resume,
        req.device,
        req.json,
        req.quiet,
        !req.set.is_empty(),
    )
}

#[allow(clippy::too_many_arguments)]
fn run(
    exp: &FnoExperiment,
    label: &str,
    data: Option<&Path>,
    out: &Path,
    resume: bool,
    location: DeviceLocation,
    as_json: bool,
    quiet: bool,
    overridden: bool,
) -> anyhow::Result<()> {
    // Progress and commentary go to stderr unless the caller asked for JSON or quiet.
    let silent = as_json || quiet;
    if let Some(d) = data {
        if !d.is_file() {
            return Err(UsageError(format!("--data {}: no such file", d.display())).into());
        }
    }
    let device = Device::new(location).with_context(|| format!("cannot open device {location}"))?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;
    let config_path = out.join("config.toml");
    output::write_atomic(&config_path, config::to_toml(exp)?.as_bytes())?;
    if data.is_none() && !silent {
        eprintln!(
            "no --data given: generating the data set into {} (reused on later runs)",
            out.join("data").display()
        );
    }
    tracing::info!(experiment = label, out = %out.display(), resume, device = %device, "training");
    let bar = crate::output::progress_bar(None, "batches", silent);
    let mut last_epoch = String::new();
    let mut observer = |e: &TrainEvent| {
        bar.set_length((e.epochs * e.batches) as u64);
        bar.set_position(((e.epoch - 1) * e.batches + e.batch) as u64);
        if let Some(t) = e.test_error {
            last_epoch = format!(" | epoch {} test rel L2 {t:.4}", e.epoch);
        }
        bar.set_message(format!(
            "epoch {}/{} loss {:.4} {:.0} samples/s lr {:.1e}{last_epoch}",
            e.epoch, e.epochs, e.running_loss, e.samples_per_sec, e.lr
        ));
    };
    let start = Instant::now();
    let result = experiment::run_on(exp, data, out, resume, &mut observer, &device);
    bar.finish_and_clear();
    let report = result.with_context(|| format!("{label} failed"))?;
    let seconds = start.elapsed().as_secs_f64();
    let last = report.train.epochs.last();
    let loss_plot = out.join("loss.png");
    loss_curve(
        &loss_plot,
        &format!("{label}: relative L2 per epoch"),
        &report.train.epochs,
    )?;
    let mut plots = vec![loss_plot.display().to_string()];
    if let Some(sample) = &report.sample {
        let t_in = match exp.problem {
            Problem::NavierStokes { t_in, .. } => Some(t_in),
            _ => None,
        };
        let path = out.join("prediction.png");
        if prediction_plots::fno_sample(&path, label, sample, t_in)? {
            plots.push(path.display().to_string());
        }
    }
    // The library's report.json, with the figures drawn from it.
    let mut report_json = serde_json::to_value(&report)?;
    report_json["plots"] = json!(plots);
    output::write_atomic(
        &out.join("report.json"),
        serde_json::to_string_pretty(&report_json)?.as_bytes(),
    )?;
    let summary = json!({
        "experiment": label,
        "scale": format!("{:?}", exp.scale).to_lowercase(),
        "metric": "rel_l2",
        "ours": report.test_error,
        "published": report.published.iter().map(|(p, ratio)| json!({
            "value": p.test_error, "source": p.source, "ours_over_published": ratio,
        })).collect::<Vec<_>>(),
        "epochs": report.train.epochs.len(),
        "final_train_loss": last.map(|r| r.train_loss),
        "samples_per_sec": report.train.samples_per_sec,
        "train_seconds": report.train.train_seconds,
        "pdebench": report.train.metrics,
        "seconds": seconds,
        "device": device.to_string(),
        "data": report.data_path.display().to_string(),
        "overridden": overridden,
        "resumed": resume,
        "out": out.display().to_string(),
        "plots": plots,
    });
    if as_json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let setup = format!(
        "{:?} scale{}",
        exp.scale,
        if overridden { " + --set" } else { "" }
    )
    .to_lowercase();
    let mut rows = vec![vec![
        "experiment".to_string(),
        "metric".into(),
        "ours".into(),
        "published".into(),
        "source".into(),
        "setup".into(),
        "time".into(),
        "device".into(),
    ]];
    let published: Vec<(String, String)> = if report.published.is_empty() {
        vec![("—".into(), "—".into())]
    } else {
        report
            .published
            .iter()
            .map(|(p, _)| (format!("{:.4}", p.test_error), p.source.clone()))
            .collect()
    };
    for (i, (value, source)) in published.into_iter().enumerate() {
        let first = i == 0;
        let cell = |s: String| if first { s } else { String::new() };
        rows.push(vec![
            cell(label.to_string()),
            cell("rel L2".into()),
            cell(format!("{:.4}", report.test_error)),
            value,
            source,
            cell(setup.clone()),
            cell(format!("{seconds:.1} s")),
            cell(device.to_string()),
        ]);
    }
    output::print_table(&rows);
    if let Some(r) = last {
        println!(
            "{} epochs; last epoch: train loss {:.4}, {:.1} samples/s, lr {:.2e}",
            report.train.epochs.len(),
            r.train_loss,
            r.samples_per_sec,
            r.lr
        );
    }
    println!(
        "data {}; wrote {} and {}",
        report.data_path.display(),
        config_path.display(),
        out.join("report.json").display()
    );
    Ok(())
}

/// The FNO loss curve: training loss and test error per epoch, log scale (`reproduce`, `train`
/// and the quickstart).
pub(crate) fn loss_curve(
    path: &Path,
    title: &str,
    epochs: &[fluxion_operator::train::EpochRecord],
) -> anyhow::Result<()> {
    let series = |name: &str, value: fn(&fluxion_operator::train::EpochRecord) -> f64, mark| {
        plot::Series::new(
            name,
            epochs.iter().map(|r| (r.epoch as f64, value(r))).collect(),
            mark,
        )
    };
    plot::line_plot(
        path,
        &plot::LinePlot::new(title, "epoch", "relative L2")
            .log_y()
            .with(series("train loss", |r| r.train_loss, plot::Mark::Line))
            .with(series("test error", |r| r.test_error, plot::Mark::Dashed)),
    )
}
