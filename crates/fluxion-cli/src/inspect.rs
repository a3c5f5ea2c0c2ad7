//! `fluxion data inspect`: what a data file holds, without reading all of it.
//!
//! The layout is detected from the keys present (PDEBench 1-D, Darcy, compressible NS, per-seed
//! groups, FNO's Burgers `a`/`u`) and checked by the matching `fluxion_data` reader; MAT files are
//! recognised by extension or header. Value ranges come from a bounded read: the first sample of a
//! sample-stacked dataset, otherwise leading indices fixed at 0 until at most [`READ_CAP`] values
//! remain. Each range says which selection it covers.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, bail};
use fluxion_data::hdf5::{self, Hyperslab, SliceOrIndex};
use fluxion_data::mat::{MatFile, MatVersion};
use fluxion_data::pdebench::{
    cfd::PdeBenchCfd, darcy::PdeBenchDarcy, one_d::PdeBench1d, seeded::PdeBenchSeeded, Summary,
};
use fluxion_data::{H5File, Resolution};
use serde_json::{json, Value};

/// The most values read from one dataset for its range.
const READ_CAP: usize = 1 << 20;
/// The most datasets listed.
const LIST_CAP: usize = 64;
const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// min / max / mean of the finite values of a selection.
#[derive(Debug)]
struct Range {
    min: f64,
    max: f64,
    mean: f64,
    count: usize,
    non_finite: usize,
    selection: String,
}

impl Range {
    fn of(values: &[f64], selection: String) -> Self {
        let (mut min, mut max, mut sum, mut count) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0);
        for &v in values.iter().filter(|v| v.is_finite()) {
            min = min.min(v);
            max = max.max(v);
            sum += v;
            count += 1;
        }
        Self {
            min,
            max,
            mean: if count > 0 {
                sum / count as f64
            } else {
                f64::NAN
            },
            count,
            non_finite: values.len() - count,
            selection,
        }
    }

    fn json(&self) -> Value {
        let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        json!({
            "min": num(self.min), "max": num(self.max), "mean": num(self.mean),
            "count": self.count, "non_finite": self.non_finite, "selection": self.selection,
        })
    }
}

#[derive(Debug)]
struct DatasetInfo {
    key: String,
    shape: Vec<usize>,
    dtype: String,
    range: Result<Range, String>,
}

#[derive(Debug)]
struct Report {
    format: &'static str,
    layout: String,
    layout_error: Option<String>,
    samples: Option<usize>,
    sample_shape: Option<Vec<usize>>,
    groups: Option<usize>,
    datasets: Vec<DatasetInfo>,
    unlisted: usize,
    attributes: BTreeMap<String, f64>,
}

/// Prints the report on `path` as text or JSON.
pub fn run(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let report = inspect(path)?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).ok();
    if as_json {
        print_json(path, bytes, &report)
    } else {
        print_text(path, bytes, &report);
        Ok(())
    }
}

enum Format {
    Hdf5,
    Mat,
}

/// Reads the first bytes: HDF5 at 0, or a MAT file (`.mat`, `MATLAB` header, HDF5 at 512).
fn sniff(path: &Path) -> anyhow::Result<Format> {
    if !path.exists() {
        bail!("{}: no such file", path.display());
    }
    let mut head = Vec::with_capacity(520);
    std::fs::File::open(path)
        .and_then(|f| f.take(520).read_to_end(&mut head))
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    let hdf5_at = |o: usize| head.get(o..o + 8) == Some(&HDF5_SIGNATURE[..]);
    let is_mat_ext = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mat"));
    if is_mat_ext || head.starts_with(b"MATLAB") || (!hdf5_at(0) && hdf5_at(512)) {
        Ok(Format::Mat)
    } else if hdf5_at(0) {
        Ok(Format::Hdf5)
    } else {
        bail!(
            "{}: not an HDF5 or MAT file (no HDF5 signature, no MATLAB header)",
            path.display()
        )
    }
}

fn inspect(path: &Path) -> anyhow::Result<Report> {
    match sniff(path)? {
        Format::Hdf5 => inspect_hdf5(path),
        Format::Mat => inspect_mat(path),
    }
}

/// The layout name and the reader's summary (or its complaint).
fn detect(file: &H5File) -> anyhow::Result<(String, Option<fluxion_data::Result<Summary>>)> {
    let h = file.handle();
    let is_ds = |k: &str| h.dataset(k).is_ok();
    let path = file.path();
    let names = file.member_names("/")?;
    let res = Resolution::FULL;
    Ok(if is_ds("tensor") && is_ds("nu") {
        let s = PdeBenchDarcy::open(path, res).and_then(|r| r.summary());
        (
            "PDEBench 2-D Darcy (nu [N, H, W], tensor [N, 1, H, W])".into(),
            Some(s),
        )
    } else if is_ds("tensor")
        && is_ds("y-coordinate")
        && h.dataset("tensor").map(|d| d.ndim()).ok() == Some(4)
    {
        // Written by the Navier–Stokes generator; no dedicated reader, the shape says it all.
        let dims = h.dataset("tensor")?.shape();
        let s = Summary {
            path: path.to_path_buf(),
            samples: dims[0],
            stored: [("tensor".to_string(), dims.clone())].into_iter().collect(),
            sample_shape: dims[1..].to_vec(),
            attrs: file.numeric_attrs("/")?,
        };
        (
            "2-D time series (tensor [N, T, X, Y], x-/y-/t-coordinate)".into(),
            Some(Ok(s)),
        )
    } else if is_ds("tensor") {
        let s = PdeBench1d::open(path, res).and_then(|r| r.summary());
        (
            "PDEBench 1-D (tensor [N, T, X], x-/t-coordinate)".into(),
            Some(s),
        )
    } else if is_ds("density") {
        let s = PdeBenchCfd::open(path, res).and_then(|r| r.summary());
        (
            "PDEBench compressible NS (density, pressure, Vx… [N, T, X…])".into(),
            Some(s),
        )
    } else if is_ds("a") && is_ds("u") {
        (
            "FNO Burgers (a [N, S] initial condition, u [N, S] solution)".into(),
            None,
        )
    } else if !names.is_empty() && names.iter().all(|n| h.group(n).is_ok()) {
        let s = PdeBenchSeeded::open(path, res).and_then(|r| r.summary());
        (
            "PDEBench per-seed groups (<seed>/data [T, X(, Y), C], <seed>/grid)".into(),
            Some(s),
        )
    } else {
        ("unrecognised HDF5 layout".into(), None)
    })
}

fn inspect_hdf5(path: &Path) -> anyhow::Result<Report> {
    let file = H5File::open(path)?;
    let (layout, summary) = detect(&file)?;
    let (mut samples, mut sample_shape, mut layout_error) = (None, None, None);
    match summary {
        Some(Ok(s)) => {
            samples = Some(s.samples);
            sample_shape = Some(s.sample_shape);
        }
        Some(Err(e)) => layout_error = Some(e.to_string()),
        None => {}
    }
    let roots = file.member_names("/")?;
    let seeded = layout.starts_with("PDEBench per-seed");
    let (groups, start) = if seeded {
        (
            Some(roots.len()),
            roots.first().cloned().unwrap_or_default(),
        )
    } else {
        (None, String::new())
    };
    if layout.starts_with("FNO Burgers") {
        samples = file
            .dataset("a")
            .ok()
            .and_then(|d| d.shape().first().copied());
        sample_shape = file.dataset("a").ok().map(|d| d.shape()[1..].to_vec());
    }
    let mut keys = Vec::new();
    let mut unlisted = 0;
    walk(&file, &start, &mut keys, &mut unlisted)?;
    let datasets = keys
        .into_iter()
        .map(|key| {
            let ds = file.dataset(&key)?;
            let shape = ds.shape();
            let dtype = ds
                .dtype()
                .and_then(|t| t.to_descriptor())
                .map_or_else(|e| format!("<{e}>"), |t| t.to_string());
            let stacked = samples.is_some_and(|n| shape.len() >= 2 && shape[0] == n && !seeded);
            let range = bounded_range(&ds, &key, &shape, stacked);
            Ok(DatasetInfo {
                key,
                shape,
                dtype,
                range,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Report {
        format: "HDF5",
        layout,
        layout_error,
        samples: if seeded { groups } else { samples },
        sample_shape,
        groups,
        datasets,
        unlisted,
        attributes: file.numeric_attrs("/")?,
    })
}

/// Collects dataset keys under `prefix`, depth first, at most [`LIST_CAP`]; counts the rest.
fn walk(
    file: &H5File,
    prefix: &str,
    out: &mut Vec<String>,
    unlisted: &mut usize,
) -> anyhow::Result<()> {
    for name in file.member_names(prefix)? {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if file.handle().dataset(&key).is_ok() {
            if out.len() < LIST_CAP {
                out.push(key);
            } else {
                *unlisted += 1;
            }
        } else if file.handle().group(&key).is_ok() {
            walk(file, &key, out, unlisted)?;
        }
    }
    Ok(())
}

/// The range of a bounded selection of `ds`: index 0 of axis 0 when `stacked` (the first
/// sample), then further leading indices fixed at 0 until at most [`READ_CAP`] values remain.
fn bounded_range(
    ds: &hdf5::Dataset,
    key: &str,
    shape: &[usize],
    stacked: bool,
) -> Result<Range, String> {
    let mut fixed = usize::from(stacked);
    while fixed < shape.len() && shape[fixed..].iter().product::<usize>() > READ_CAP {
        fixed += 1;
    }
    let values: Vec<f64> = if fixed == 0 {
        ds.read_raw::<f64>().map_err(|e| e.to_string())?
    } else {
        let sel: Vec<SliceOrIndex> = shape
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                if i < fixed {
                    SliceOrIndex::Index(0)
                } else {
                    SliceOrIndex::SliceCount {
                        start: 0,
                        step: 1,
                        count: n,
                        block: 1,
                    }
                }
            })
            .collect();
        ds.read_slice::<f64, _, ndarray::IxDyn>(Hyperslab::from(sel))
            .map_err(|e| e.to_string())?
            .iter()
            .copied()
            .collect()
    };
    let selection = if fixed == 0 {
        format!("all {} values", values.len())
    } else {
        let idx: Vec<&str> = (0..shape.len())
            .map(|i| if i < fixed { "0" } else { ":" })
            .collect();
        let what = if stacked { " (first sample)" } else { "" };
        format!("{key}[{}]{what}", idx.join(", "))
    };
    Ok(Range::of(&values, selection))
}

fn inspect_mat(path: &Path) -> anyhow::Result<Report> {
    let m = MatFile::open(path)?;
    let v73 = m.version() == MatVersion::V73;
    let h5 = if v73 { Some(H5File::open(path)?) } else { None };
    let mut datasets = Vec::new();
    for name in m.variables()? {
        let shape = m.shape(&name)?;
        let (dtype, range) = match &h5 {
            // v7.3: read a bounded HDF5 selection (HDF5 axis order, MATLAB's reversed).
            Some(f) => {
                let ds = f.dataset(&name)?;
                let dtype = ds
                    .dtype()
                    .and_then(|t| t.to_descriptor())
                    .map_or_else(|e| format!("<{e}>"), |t| t.to_string());
                let stored = ds.shape();
                let range = bounded_range(&ds, &name, &stored, false).map(|mut r| {
                    r.selection
                        .push_str(" in HDF5 axis order (MATLAB's reversed)");
                    r
                });
                (dtype, range)
            }
            // v5: the whole file is parsed on open, so every variable is in memory already.
            None => {
                let range = m
                    .read(&name)
                    .and_then(|t| Ok(t.to_vec::<f32>()?))
                    .map(|v| {
                        let v: Vec<f64> = v.into_iter().map(f64::from).collect();
                        let n = v.len();
                        Range::of(&v, format!("all {n} values"))
                    })
                    .map_err(|e| e.to_string());
                ("numeric (MAT v5)".to_string(), range)
            }
        };
        datasets.push(DatasetInfo {
            key: name,
            shape,
            dtype,
            range,
        });
    }
    Ok(Report {
        format: if v73 { "MAT v7.3 (HDF5)" } else { "MAT v5" },
        layout: "FNO MAT file (variables in MATLAB axis order)".into(),
        layout_error: None,
        samples: None,
        sample_shape: None,
        groups: None,
        datasets,
        unlisted: 0,
        attributes: BTreeMap::new(),
    })
}

fn print_json(path: &Path, bytes: Option<u64>, r: &Report) -> anyhow::Result<()> {
    let datasets: Vec<Value> = r
        .datasets
        .iter()
        .map(|d| {
            json!({
                "key": d.key,
                "shape": d.shape,
                "dtype": d.dtype,
                "range": d.range.as_ref().map_or_else(|e| json!({ "error": e }), Range::json),
            })
        })
        .collect();
    let v = json!({
        "path": path.display().to_string(),
        "bytes": bytes,
        "format": r.format,
        "layout": r.layout,
        "layout_error": r.layout_error,
        "n": r.samples,
        "sample_shape": r.sample_shape,
        "groups": r.groups,
        "datasets": datasets,
        "unlisted_datasets": r.unlisted,
        "attributes": r.attributes,
    });
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

fn print_text(path: &Path, bytes: Option<u64>, r: &Report) {
    let size = bytes.map_or(String::new(), |b| {
        format!(" ({:.1} KiB)", b as f64 / 1024.0)
    });
    println!("file:     {}{size}", path.display());
    println!("format:   {}", r.format);
    println!("layout:   {}", r.layout);
    if let Some(e) = &r.layout_error {
        println!("          does not fit: {e}");
    }
    if let Some(n) = r.samples {
        let shape = r
            .sample_shape
            .as_ref()
            .map_or(String::new(), |s| format!(" of shape {s:?}"));
        println!("samples:  {n}{shape}");
    }
    if let Some(g) = r.groups {
        println!("groups:   {g} (datasets below are the first group's)");
    }
    println!("datasets:");
    let width = r.datasets.iter().map(|d| d.key.len()).max().unwrap_or(0);
    for d in &r.datasets {
        let range = match &d.range {
            Ok(x) if x.count > 0 => {
                let nf = if x.non_finite > 0 {
                    format!(", {} non-finite", x.non_finite)
                } else {
                    String::new()
                };
                format!(
                    "min {}  max {}  mean {}  over {}{nf}",
                    num(x.min),
                    num(x.max),
                    num(x.mean),
                    x.selection
                )
            }
            Ok(x) => format!("no finite values in {}", x.selection),
            Err(e) => format!("range not read: {e}"),
        };
        println!(
            "  {:width$}  {:<18} {:<8} {range}",
            d.key,
            format!("{:?}", d.shape),
            d.dtype
        );
    }
    if r.unlisted > 0 {
        println!("  … and {} more datasets", r.unlisted);
    }
    if !r.attributes.is_empty() {
        println!("attributes:");
        for (k, v) in &r.attributes {
            println!("  {k} = {}", num(*v));
        }
    }
}

/// `v` with 6 significant-ish digits: fixed point for moderate magnitudes, scientific otherwise.
fn num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.5e}")
    }
}
