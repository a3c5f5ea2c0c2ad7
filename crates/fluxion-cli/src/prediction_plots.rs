//! Prediction-against-truth figures of trained models, drawn with [`crate::plot`]:
//!
//! - [`fno_sample`]: one FNO test sample; on a 1-D grid the input above the truth and the
//!   prediction, on a 2-D grid heat maps of the input, truth, prediction and |error|.
//! - [`pinn_grid`]: a PINN on its evaluation grid; on an interval the network and the
//!   reference as lines, on a 2-D domain heat maps of the prediction, reference and |error|.
//!
//! Truth and prediction share one colour scale, so equal colours mean equal values.

use std::path::Path;

use fluxion_nn::Module;
use fluxion_operator::train::SamplePrediction;
use fluxion_pinn::{Domain, PinnTrainer, Target};

use crate::plot::{self, HeatMap, LinePlot, Mark, Panel, Series};

/// Draws FNO test sample `sample` to `path` (see the [module docs](self)), titled with `label`
/// and the sample's relative L2 error. With several channels the last is shown: for a
/// time-stepping problem (`t_in`: the input's steps, `1..=t_in`; the outputs follow) the last
/// input step and the last predicted step, named in the titles.
///
/// Returns `false`, drawing nothing, for grids of three or more dimensions.
///
/// # Errors
/// Drawing and file errors.
pub(crate) fn fno_sample(
    path: &Path,
    label: &str,
    sample: &SamplePrediction,
    t_in: Option<usize>,
) -> anyhow::Result<bool> {
    let (c_in, c_out) = (sample.in_channels - 1, sample.out_channels - 1);
    let (input, truth, pred) = (
        sample.input_channel(c_in),
        sample.truth_channel(c_out),
        sample.prediction_channel(c_out),
    );
    let name = |what: &str, c: usize, channels: usize, first_step: usize| match t_in {
        Some(_) => format!("{what} at t = {}", first_step + c),
        None if channels > 1 => format!("{what}, channel {} of {channels}", c + 1),
        None => what.to_string(),
    };
    let t0 = t_in.unwrap_or(0);
    let input_name = name("input", c_in, sample.in_channels, 1);
    let output_name = name("output", c_out, sample.out_channels, t0 + 1);
    let mut title = format!(
        "{label}: test sample {}, relative L2 {:.3e}",
        sample.index, sample.rel_l2
    );
    if sample.out_channels > 1 {
        title += &format!(
            " over {} steps; shown: the last, rel. L2 {:.3e}",
            sample.out_channels,
            relative_l2(&pred, &truth)
        );
    }
    match *sample.grid.as_slice() {
        [n] => {
            let on_grid = |v: &[f64]| -> Vec<(f64, f64)> {
                v.iter()
                    .enumerate()
                    .map(|(j, &u)| (j as f64 / n as f64, u))
                    .collect()
            };
            let top = LinePlot::new(input_name, "x", "a(x)").with(Series::new(
                "input a(x)",
                on_grid(&input),
                Mark::Line,
            ));
            let bottom = LinePlot::new(output_name, "x", "u(x)")
                .with(Series::new("truth u(x)", on_grid(&truth), Mark::Line))
                .with(Series::new("FNO prediction", on_grid(&pred), Mark::Dashed));
            plot::figure(
                path,
                &title,
                1,
                &[Panel::Lines(&top), Panel::Lines(&bottom)],
            )?;
        }
        [rows, cols] => {
            let error = abs_diff(&pred, &truth);
            let map = |title: String, values| HeatMap {
                title,
                x_label: "x".into(),
                y_label: "y".into(),
                values,
                rows,
                cols,
                x_range: (0.0, 1.0),
                y_range: (0.0, 1.0),
            };
            let maps = [
                map(input_name, &input),
                map(format!("truth: {output_name}"), &truth),
                map(format!("prediction: {output_name}"), &pred),
                map("|prediction − truth|".into(), &error),
            ];
            heat_panels(path, &title, 2, &maps)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Draws `trainer`'s network against `reference` on the evaluation grid of `counts` points per
/// axis to `path` (see the [module docs](self)), titled with `label` and the relative L2 error
/// over the grid. A time axis runs horizontally (Raissi et al.'s figures); otherwise the
/// domain's first axis does. Problems with several outputs show the first.
///
/// Returns `false`, drawing nothing, for domains of three or more dimensions.
///
/// # Errors
/// Prediction errors; drawing and file errors.
pub(crate) fn pinn_grid<M: Module>(
    path: &Path,
    label: &str,
    trainer: &PinnTrainer<M>,
    reference: &Target,
    counts: &[usize],
) -> anyhow::Result<bool> {
    let problem = trainer.problem();
    let (domain, m) = (problem.domain(), problem.outputs());
    if domain.dim() > 2 {
        return Ok(false);
    }
    let (grid, u) = trainer.predict_grid(counts)?;
    let mut exact = vec![0.0; m];
    let (mut pred, mut truth) = (
        Vec::with_capacity(grid.len()),
        Vec::with_capacity(grid.len()),
    );
    for (row, out) in grid.rows().zip(u.chunks_exact(m)) {
        reference.eval(row, &mut exact);
        pred.push(out[0]);
        truth.push(exact[0]);
    }
    let component = if m > 1 { " (first output)" } else { "" };
    let title = format!(
        "{label}: network vs reference{component}, relative L2 {:.3e}",
        relative_l2(&pred, &truth)
    );
    let axes = domain.axes();
    if let [t] = axes {
        let coords: Vec<f64> = grid.rows().map(|r| r[0]).collect();
        let line = |v: &[f64]| coords.iter().copied().zip(v.iter().copied()).collect();
        return plot::line_plot(
            path,
            &LinePlot::new(title, t.name.as_str(), "u")
                .with(Series::new("reference", line(&truth), Mark::Line))
                .with(Series::new("PINN", line(&pred), Mark::Dashed)),
        )
        .map(|()| true);
    }
    // Grid values are row-major over (axis 0, axis 1); heat map rows run up the vertical axis.
    let horizontal = domain.time_axis().unwrap_or(0);
    let vertical = 1 - horizontal;
    let layout = |v: &[f64]| -> Vec<f64> {
        if horizontal == 1 {
            return v.to_vec();
        }
        let (n0, n1) = (counts[0], counts[1]);
        (0..n1)
            .flat_map(|i1| (0..n0).map(move |i0| v[i0 * n1 + i1]))
            .collect()
    };
    let (pred, truth) = (layout(&pred), layout(&truth));
    let error = abs_diff(&pred, &truth);
    let map = |title: &str, values| HeatMap {
        title: title.into(),
        x_label: axes[horizontal].name.clone(),
        y_label: axes[vertical].name.clone(),
        values,
        rows: counts[vertical],
        cols: counts[horizontal],
        x_range: cell_extent(domain, horizontal, counts[horizontal]),
        y_range: cell_extent(domain, vertical, counts[vertical]),
    };
    let maps = [
        map("PINN prediction", &pred),
        map("reference", &truth),
        map("|prediction − reference|", &error),
    ];
    heat_panels(path, &title, 3, &maps)?;
    Ok(true)
}

/// A figure of `[input…, truth, prediction, error]` heat maps (the last three, or the only
/// three, when there is no input), `cols` per row, truth and prediction on one colour scale.
fn heat_panels(path: &Path, title: &str, cols: usize, maps: &[HeatMap<'_>]) -> anyhow::Result<()> {
    let n = maps.len();
    let (truth, pred) = (maps[n - 3].values, maps[n - 2].values);
    let (lo_t, hi_t) = plot::colour_range(truth);
    let (lo_p, hi_p) = plot::colour_range(pred);
    let shared = Some((lo_t.min(lo_p), hi_t.max(hi_p)));
    let panels: Vec<Panel<'_>> = maps
        .iter()
        .enumerate()
        .map(|(k, map)| Panel::Heat {
            map,
            scale: if k + 3 == n || k + 2 == n {
                shared
            } else {
                None
            },
        })
        .collect();
    plot::figure(path, title, cols, &panels)
}

/// The extent of axis `a` covered by `n` cells centred on grid points that include the ends.
fn cell_extent(domain: &Domain, a: usize, n: usize) -> (f64, f64) {
    let ax = &domain.axes()[a];
    let half = if n > 1 {
        0.5 * ax.extent() / (n - 1) as f64
    } else {
        0.0
    };
    (ax.lo - half, ax.hi + half)
}

/// `|a − b|` elementwise.
fn abs_diff(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(p, t)| (p - t).abs()).collect()
}

/// `‖p − t‖₂ / ‖t‖₂` (NaN for a zero `t`).
fn relative_l2(p: &[f64], t: &[f64]) -> f64 {
    let num: f64 = p.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum();
    let den: f64 = t.iter().map(|b| b * b).sum();
    (num / den).sqrt()
}
