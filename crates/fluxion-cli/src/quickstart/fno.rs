//! Quickstart stages 1 and 2: the Burgers data set and the FNO-1d trained on it.

use super::*;

/// Burgers at smoke scale (`default`), or a few samples on a coarse grid (`tiny`); every
/// seed is `seed`.
pub(super) fn fno_experiment(size: Size, seed: u64) -> FnoExperiment {
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
pub(super) fn burgers_data(
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
pub(super) fn fno(
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

    let loss_plot = out.join("fno_loss.png");
    crate::fno_cmd::loss_curve(
        &loss_plot,
        &format!("FNO-1d on Burgers (s = {s}): relative L2 per epoch"),
        &report.epochs,
    )?;
    let ntest = data.ntest();
    let pred_all = to_f64(&trainer.predict(&data.x_test)?)?;
    let truth_all = to_f64(&data.y_test)?;
    let pred_plot = out.join("fno_prediction.png");
    crate::prediction_plots::fno_sample(
        &pred_plot,
        "FNO-1d on Burgers, u(x, t = 1)",
        &trainer.predict_sample(0)?,
        None,
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
