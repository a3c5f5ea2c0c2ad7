//! PNG figures for commands' outputs, drawn with `plotters` on its bitmap backend.
//!
//! - [`line_plot`]: several named series on shared axes (lines, dashed lines or markers), with
//!   a legend and an optional logarithmic y axis (loss curves).
//! - [`heat_map`]: a field on a regular 2-D grid with a colour bar (2-D FNO outputs: input,
//!   truth, prediction, error).
//! - [`figure`]: several such [`Panel`]s on a grid under one title, heat maps on a shared
//!   colour scale where asked (prediction beside truth).
//!
//! Text is set in DejaVu Sans, embedded in the binary (the `dejavu` crate) and handed to
//! plotters' pure-Rust `ab_glyph` renderer, so drawing needs no system font library.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// Pixel size of every figure.
const SIZE: (u32, u32) = (900, 600);

/// Colours of successive series (matplotlib's `tab10`).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A solid line through the points.
    Line,
    /// A dashed line through the points.
    Dashed,
}

/// One named series of a [`LinePlot`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// `(x, y)` points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Line, dashed line or markers.
    pub mark: Mark,
}

impl Series {
    /// A series drawn as `mark`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, mark: Mark) -> Self {
        Series {
            name: name.into(),
            points,
            mark,
        }
    }
}

/// A figure of [`Series`] on shared axes.
#[derive(Debug, Clone)]
pub struct LinePlot {
    /// Caption above the axes.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Logarithmic y axis (points with y ≤ 0 or non-finite values are left out).
    pub log_y: bool,
    /// Equal scales on both axes (trajectories in a plane).
    pub equal_aspect: bool,
    /// The series, coloured in order.
    pub series: Vec<Series>,
}

impl LinePlot {
    /// An empty figure with linear axes.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LinePlot {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_y: false,
            equal_aspect: false,
            series: Vec::new(),
        }
    }

    /// With a logarithmic y axis.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// With equal scales on both axes.
    pub fn equal_aspect(mut self) -> Self {
        self.equal_aspect = true;
        self
    }

    /// With one more series.
    pub fn with(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }
}

/// Registers the embedded DejaVu Sans as plotters' `sans-serif` (once per process).
fn ensure_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    anyhow::ensure!(ok, "the embedded DejaVu Sans font could not be parsed");
    Ok(())
}

/// `[lo, hi]` of the finite values, widened by 5 % (or to a unit interval around a constant).
fn padded_range(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        return Some(lo - 0.5..hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    Some(lo - pad..hi + pad)
}

/// Draws `plot` to the PNG file `path`.
///
/// # Errors
/// A plot without any drawable point; font, drawing and file errors, naming `path`.
pub fn line_plot(path: &Path, plot: &LinePlot) -> anyhow::Result<()> {
    ensure_font()?;
    tracing::info!(path = %path.display(), title = %plot.title, "plot");
    let draw = || -> anyhow::Result<()> {
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        draw_lines(&root, plot)?;
        root.present()?;
        Ok(())
    };
    draw().with_context(|| format!("cannot draw {}", path.display()))
}

/// [`line_plot`] on one drawing area (a whole figure, or a panel of one).
fn draw_lines<DB>(area: &DrawingArea<DB, Shift>, plot: &LinePlot) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let keep = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!plot.log_y || y > 0.0);
    let points = || {
        plot.series
            .iter()
            .flat_map(|s| s.points.iter().filter(|p| keep(p)))
    };
    let mut xr = padded_range(points().map(|p| p.0))
        .with_context(|| format!("{:?}: no finite point to plot", plot.title))?;
    let mut yr = if plot.log_y {
        let (lo, hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        // A decade margin keeps flat curves off the frame.
        lo / 1.5..(hi * 1.5).max(lo * 10.0)
    } else {
        padded_range(points().map(|p| p.1)).expect("x had a finite point, so y has one")
    };
    if plot.equal_aspect && !plot.log_y {
        // Widen the shorter side so one unit takes the same pixels on both axes (the plotting
        // area is about the area less the label areas).
        let (aw, ah) = area.dim_in_pixel();
        let (w, h) = (f64::from(aw.max(200) - 100), f64::from(ah.max(200) - 110));
        let per_px = ((xr.end - xr.start) / w).max((yr.end - yr.start) / h);
        let (cx, cy) = ((xr.start + xr.end) / 2.0, (yr.start + yr.end) / 2.0);
        xr = cx - per_px * w / 2.0..cx + per_px * w / 2.0;
        yr = cy - per_px * h / 2.0..cy + per_px * h / 2.0;
    }
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&plot.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(75);
    if plot.log_y {
        let mut chart = builder.build_cartesian_2d(xr, yr.log_scale())?;
        draw_series(&mut chart, plot, &keep)?;
    } else {
        let mut chart = builder.build_cartesian_2d(xr, yr)?;
        draw_series(&mut chart, plot, &keep)?;
    }
    Ok(())
}

/// Mesh, series and legend of [`line_plot`] on either kind of y axis.
fn draw_series<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    plot: &LinePlot,
    keep: &dyn Fn(&(f64, f64)) -> bool,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(plot.x_label.as_str())
        .y_desc(plot.y_label.as_str())
        .label_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, s) in plot.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|p| keep(p)).collect();
        let style = ShapeStyle::from(&color).stroke_width(2);
        let name = s.name.as_str();
        let line_key = move |(x, y): (i32, i32)| {
            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
        };
        match s.mark {
            Mark::Line => {
                chart
                    .draw_series(LineSeries::new(pts, style))?
                    .label(name)
                    .legend(line_key);
            }
            Mark::Dashed => {
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, style))?
                    .label(name)
                    .legend(line_key);
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// A field on a regular grid for [`heat_map`]: `values[i * cols + j]` is the cell in row `i`
/// (y from `y_range.0` upwards) and column `j` (x from `x_range.0` rightwards).
#[derive(Debug, Clone)]
pub struct HeatMap<'a> {
    /// Caption above the axes.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Row-major values, `rows × cols`.
    pub values: &'a [f64],
    /// Grid rows (along y).
    pub rows: usize,
    /// Grid columns (along x).
    pub cols: usize,
    /// Extent of the x axis.
    pub x_range: (f64, f64),
    /// Extent of the y axis.
    pub y_range: (f64, f64),
}

/// Viridis at `t ∈ [0, 1]`, linearly interpolated between nine of its samples.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Draws `map` to the PNG file `path` in the viridis colour map, with a colour bar; cells with
/// non-finite values are grey.
///
/// # Errors
/// `values.len() ≠ rows · cols`, an empty grid, a degenerate extent; font, drawing and file
/// errors, naming `path`.
pub fn heat_map(path: &Path, map: &HeatMap<'_>) -> anyhow::Result<()> {
    ensure_font()?;
    tracing::info!(path = %path.display(), title = %map.title, "heat map");
    let draw = || -> anyhow::Result<()> {
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        draw_heat(&root, map, None)?;
        root.present()?;
        Ok(())
    };
    draw().with_context(|| format!("cannot draw {}", path.display()))
}

/// [`heat_map`] on one drawing area, its colours spanning `scale` (default: the finite values).
fn draw_heat<DB>(
    area: &DrawingArea<DB, Shift>,
    map: &HeatMap<'_>,
    scale: Option<(f64, f64)>,
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (rows, cols) = (map.rows, map.cols);
    if rows == 0 || cols == 0 || map.values.len() != rows * cols {
        anyhow::bail!(
            "{:?}: a {rows} × {cols} heat map needs {} values, got {}",
            map.title,
            rows * cols,
            map.values.len()
        );
    }
    let ((x0, x1), (y0, y1)) = (map.x_range, map.y_range);
    if !(x1 > x0 && y1 > y0) {
        anyhow::bail!(
            "{:?}: empty extent {:?} × {:?}",
            map.title,
            map.x_range,
            map.y_range
        );
    }
    let (vmin, vmax) = match scale {
        Some((lo, hi)) if lo < hi && lo.is_finite() && hi.is_finite() => (lo, hi),
        _ => colour_range(map.values),
    };
    let (dx, dy) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    let (main, bar) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(120));
    let mut chart = ChartBuilder::on(&main)
        .caption(&map.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(map.x_label.as_str())
        .y_desc(map.y_label.as_str())
        .label_style(("sans-serif", 15))
        .draw()?;
    chart.draw_series((0..rows).flat_map(|i| {
        (0..cols).map(move |j| {
            let v = map.values[i * cols + j];
            let color = if v.is_finite() {
                viridis((v - vmin) / (vmax - vmin))
            } else {
                RGBColor(160, 160, 160)
            };
            let (cx, cy) = (x0 + j as f64 * dx, y0 + i as f64 * dy);
            Rectangle::new([(cx, cy), (cx + dx, cy + dy)], color.filled())
        })
    }))?;
    let mut colour_bar = ChartBuilder::on(&bar)
        .margin_top(46)
        .margin_bottom(57)
        .margin_left(8)
        .margin_right(4)
        .set_label_area_size(LabelAreaPosition::Right, 80)
        .build_cartesian_2d(0.0..1.0, vmin..vmax)?;
    colour_bar
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(("sans-serif", 13))
        .draw()?;
    let steps = 128;
    let h = (vmax - vmin) / steps as f64;
    colour_bar.draw_series((0..steps).map(|k| {
        let v = vmin + k as f64 * h;
        Rectangle::new(
            [(0.0, v), (1.0, v + h)],
            viridis((k as f64 + 0.5) / steps as f64).filled(),
        )
    }))?;
    Ok(())
}

/// `(min, max)` of the finite values, or a unit interval around a constant (or empty) field.
pub fn colour_range(values: &[f64]) -> (f64, f64) {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if lo < hi {
        return (lo, hi);
    }
    let r = padded_range(values.iter().copied()).unwrap_or(0.0..1.0);
    (r.start, r.end)
}

/// One panel of a [`figure`].
#[derive(Debug, Clone, Copy)]
pub enum Panel<'a> {
    /// A [`LinePlot`].
    Lines(&'a LinePlot),
    /// A [`HeatMap`] whose colours span `scale` (`None`: its own finite values; give panels
    /// that should be compared, such as truth and prediction, one shared scale).
    Heat {
        /// The field.
        map: &'a HeatMap<'a>,
        /// The values at the two ends of the colour map.
        scale: Option<(f64, f64)>,
    },
}

/// Pixel size of one panel of a [`figure`].
const PANEL: (u32, u32) = (720, 520);

/// Height of a [`figure`]'s title band.
const TITLE_BAND: u32 = 50;

/// Draws `panels` to the PNG file `path` as one figure: `cols` panels per row, filled row by
/// row, under `title`.
///
/// # Errors
/// No panels or `cols = 0`; a panel that [`line_plot`] or [`heat_map`] would refuse; font,
/// drawing and file errors, naming `path`.
pub fn figure(path: &Path, title: &str, cols: usize, panels: &[Panel<'_>]) -> anyhow::Result<()> {
    ensure_font()?;
    tracing::info!(path = %path.display(), title, panels = panels.len(), "figure");
    if panels.is_empty() || cols == 0 {
        anyhow::bail!(
            "{}: a figure needs panels and at least one column",
            path.display()
        );
    }
    let cols = cols.min(panels.len());
    let rows = panels.len().div_ceil(cols);
    let size = (cols as u32 * PANEL.0, rows as u32 * PANEL.1 + TITLE_BAND);
    let draw = || -> anyhow::Result<()> {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        root.fill(&WHITE)?;
        // `titled` takes the title's height (about half the band) and leaves the rest.
        let body = root.titled(title, ("sans-serif", 26))?;
        for (area, panel) in body.split_evenly((rows, cols)).iter().zip(panels) {
            match *panel {
                Panel::Lines(plot) => draw_lines(area, plot)?,
                Panel::Heat { map, scale } => draw_heat(area, map, scale)?,
            }
        }
        root.present()?;
        Ok(())
    };
    draw().with_context(|| format!("cannot draw {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_png(path: &Path) -> bool {
        std::fs::read(path).is_ok_and(|b| b.len() > 1000 && b.starts_with(b"\x89PNG\r\n\x1a\n"))
    }

    #[test]
    fn line_plot_and_heat_map_write_pngs() {
        let dir = std::env::temp_dir().join(format!("fluxion-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let xs: Vec<f64> = (0..50).map(|i| i as f64 / 10.0).collect();
        let plot = LinePlot::new("decay", "t", "y")
            .log_y()
            .with(Series::new(
                "exact",
                xs.iter().map(|&x| (x, (-x).exp())).collect(),
                Mark::Line,
            ))
            .with(Series::new(
                "with a zero",
                xs.iter().map(|&x| (x, x)).collect(),
                Mark::Dashed,
            ));
        let lines = dir.join("lines.png");
        line_plot(&lines, &plot).unwrap();
        assert!(is_png(&lines));

        let values: Vec<f64> = (0..12).map(|k| (k as f64).sin()).collect();
        let map = HeatMap {
            title: "field".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            values: &values,
            rows: 3,
            cols: 4,
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
        };
        let heat = dir.join("heat.png");
        heat_map(&heat, &map).unwrap();
        assert!(is_png(&heat));
        let bad = HeatMap { rows: 5, ..map };
        assert!(heat_map(&dir.join("bad.png"), &bad).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The PNG's width and height, from its IHDR chunk.
    fn png_size(path: &Path) -> (u32, u32) {
        let b = std::fs::read(path).unwrap();
        let be = |k: usize| u32::from_be_bytes(b[k..k + 4].try_into().unwrap());
        (be(16), be(20))
    }

    #[test]
    fn figure_lays_out_panels_and_refuses_bad_ones() {
        let dir = std::env::temp_dir().join(format!("fluxion-figure-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lines = LinePlot::new("sine", "x", "y").with(Series::new(
            "sin",
            (0..40)
                .map(|i| (i as f64 / 10.0, (i as f64 / 10.0).sin()))
                .collect(),
            Mark::Line,
        ));
        let values: Vec<f64> = (0..20).map(|k| k as f64).collect();
        let map = HeatMap {
            title: "ramp".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            values: &values,
            rows: 4,
            cols: 5,
            x_range: (0.0, 1.0),
            y_range: (0.0, 2.0),
        };
        let panels = [
            Panel::Lines(&lines),
            Panel::Heat {
                map: &map,
                scale: None,
            },
            Panel::Heat {
                map: &map,
                scale: Some((-10.0, 30.0)),
            },
        ];
        // Three panels, two per row: a 2 × 2 grid with one empty cell.
        let path = dir.join("figure.png");
        figure(&path, "three panels", 2, &panels).unwrap();
        assert!(is_png(&path));
        assert_eq!(png_size(&path), (2 * PANEL.0, 2 * PANEL.1 + TITLE_BAND));
        // More columns than panels: one row.
        figure(&path, "one row", 5, &panels).unwrap();
        assert_eq!(png_size(&path), (3 * PANEL.0, PANEL.1 + TITLE_BAND));

        assert!(figure(&path, "none", 2, &[]).is_err());
        assert!(figure(&path, "no columns", 0, &panels).is_err());
        let bad = HeatMap { cols: 3, ..map };
        let err = figure(
            &dir.join("bad.png"),
            "bad",
            1,
            &[Panel::Heat {
                map: &bad,
                scale: None,
            }],
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("needs 12 values, got 20"),
            "{err:#}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn colour_range_spans_finite_values() {
        assert_eq!(colour_range(&[2.0, f64::NAN, -1.0, 0.5]), (-1.0, 2.0));
        // A constant field gets a unit interval around it, an empty one [0, 1].
        assert_eq!(colour_range(&[3.0, 3.0]), (2.5, 3.5));
        assert_eq!(colour_range(&[f64::INFINITY]), (0.0, 1.0));
    }
}
