//! Quickstart stage 4: torchdiffeq's Neural ODE spiral.

use super::*;

/// torchdiffeq's demo settings: 2000 iterations at `default` (seconds here), 20 at `tiny`.
pub(super) fn spiral_config(size: Size, seed: u64) -> SpiralConfig {
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
pub(super) fn node_spiral(
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
