//! `fluxion quickstart`: the embedded default job.
//!
//! For now it tours the tensor engine: each row runs one kernel family on seeded random data,
//! checks it against an independent reference and reports the time. Later issues grow this
//! into the FNO / PINN / Neural ODE quickstart.

use std::time::Instant;

use anyhow::Context;
use fluxion_device::{DType, Device, DeviceLocation};
use fluxion_tensor::random::{philox4x32_10, Generator};
use fluxion_tensor::{FftNorm, Tensor};
use serde_json::json;

/// One line of the result table.
struct Row {
    task: &'static str,
    metric: &'static str,
    ours: f64,
    reference: String,
    /// `Some(passed)` for rows checked against a reference, `None` for measurements.
    pass: Option<bool>,
    seconds: f64,
}

fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, f64)> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed().as_secs_f64()))
}

/// The fastest of `reps` timed runs (after the caller's warm-up), in seconds.
fn best_of(reps: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Largest |a − b| / (1 + |b|).
fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
        .fold(0.0, f64::max)
}

/// How large the quickstart runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// A few minutes on a 2-core CPU.
    Default,
    /// Seconds; for tests.
    Tiny,
}

/// What `fluxion quickstart` was asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The device (None: a GPU when one is present, else the CPU).
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

pub fn run(req: Request) -> anyhow::Result<()> {
    tour(
        req.device.unwrap_or(DeviceLocation::Cpu),
        req.seed,
        req.json,
    )
}

fn tour(location: DeviceLocation, seed: u64, as_json: bool) -> anyhow::Result<()> {
    let dev = Device::new(location).with_context(|| format!("cannot open device {location}"))?;
    let mut g = Generator::new(seed);
    let mut rows = Vec::new();

    // Philox known answer (Random123).
    let kat = philox4x32_10(
        [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
        [0xa4093822, 0x299f31d0],
    );
    rows.push(Row {
        task: "philox4x32-10 known answer",
        metric: "words matching",
        ours: kat
            .iter()
            .zip([0xd16cfe09u32, 0x94fdcceb, 0x5001e420, 0x24126ea1])
            .filter(|(a, b)| *a == b)
            .count() as f64,
        reference: "4 (Random123)".into(),
        pass: Some(kat == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]),
        seconds: 0.0,
    });

    // Matmul f64 against a naive triple loop.
    let n = 192;
    let a = Tensor::randn(0.0, 1.0, [n, n], DType::F64, &dev, &mut g)?;
    let b = Tensor::randn(0.0, 1.0, [n, n], DType::F64, &dev, &mut g)?;
    let (c, secs) = timed(|| Ok(a.matmul(&b.t()?)?))?;
    let (av, bv, cv) = (a.to_vec::<f64>()?, b.to_vec::<f64>()?, c.to_vec::<f64>()?);
    let naive: Vec<f64> = (0..n * n)
        .map(|ij| {
            (0..n)
                .map(|k| av[(ij / n) * n + k] * bv[(ij % n) * n + k])
                .sum()
        })
        .collect();
    let err = max_rel(&cv, &naive);
    rows.push(Row {
        task: "matmul f64 192x192 (A·Bᵀ)",
        metric: "max rel. error",
        ours: err,
        reference: "naive loop, < 1e-12".into(),
        pass: Some(err < 1e-12),
        seconds: secs,
    });

    // sgemm throughput.
    let m = 1024;
    let x = Tensor::rand(0.0, 1.0, [m, m], DType::F32, &dev, &mut g)?;
    let y = Tensor::rand(0.0, 1.0, [m, m], DType::F32, &dev, &mut g)?;
    x.matmul(&y)?;
    let secs = best_of(5, || {
        x.matmul(&y)?;
        Ok(())
    })?;
    rows.push(Row {
        task: "sgemm 1024³",
        metric: "GFLOP/s",
        ours: 2.0 * (m * m * m) as f64 / secs / 1e9,
        reference: "NumPy 140-166 here (docs/BENCHMARKS.md)".into(),
        pass: None,
        seconds: secs,
    });

    // FFT round trip.
    let s = Tensor::randn(0.0, 1.0, [1280, 1024], DType::F32, &dev, &mut g)?;
    s.rfft(FftNorm::Backward)?
        .irfft(Some(1024), FftNorm::Backward)?;
    let (back, secs) = timed(|| {
        Ok(s.rfft(FftNorm::Backward)?
            .irfft(Some(1024), FftNorm::Backward)?)
    })?;
    let err = back.sub(&s)?.abs()?.max_all()?.to_scalar::<f32>()? as f64;
    rows.push(Row {
        task: "rfft+irfft 1280×1024 f32",
        metric: "max abs. round-trip error",
        ours: err,
        reference: "< 1e-5 (PyTorch 2.8-3.3 ms here)".into(),
        pass: Some(err < 1e-5),
        seconds: secs,
    });

    // Reduction accuracy: f32 sum accumulated in f64.
    let big = Tensor::rand(0.0, 1.0, [1 << 22], DType::F32, &dev, &mut g)?;
    let (sum, secs) = timed(|| Ok(big.sum_all()?.to_scalar::<f32>()? as f64))?;
    let exact: f64 = big.to_vec::<f32>()?.iter().map(|&v| v as f64).sum();
    let err = (sum - exact).abs() / exact;
    rows.push(Row {
        task: "sum of 2²² f32",
        metric: "rel. error",
        ours: err,
        reference: "f64 sum, < 1e-7".into(),
        pass: Some(err < 1e-7),
        seconds: secs,
    });

    // Elementwise throughput.
    big.gelu_erf()?;
    let secs = best_of(3, || {
        big.gelu_erf()?;
        Ok(())
    })?;
    rows.push(Row {
        task: "gelu (erf) on 2²² f32",
        metric: "GB/s (read + write)",
        ours: 2.0 * 4.0 * (1u64 << 22) as f64 / secs / 1e9,
        reference: "erf-bound (libm erff per element)".into(),
        pass: None,
        seconds: secs,
    });

    let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
    if as_json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| json!({"task": r.task, "metric": r.metric, "ours": r.ours, "reference": r.reference, "pass": r.pass, "seconds": r.seconds, "device": dev.to_string()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "rows": items, "failed": failed }))?
        );
    } else {
        println!(
            "fluxion quickstart — tensor engine on {dev} ({} threads), seed {seed}",
            rayon::current_num_threads()
        );
        println!(
            "{:<30} {:<26} {:>12}  {:<40} {:>9}  check",
            "task", "metric", "ours", "reference", "time"
        );
        for r in &rows {
            println!(
                "{:<30} {:<26} {:>12.4e}  {:<40} {:>7.2}ms  {}",
                r.task,
                r.metric,
                r.ours,
                r.reference,
                r.seconds * 1e3,
                match r.pass {
                    Some(true) => "ok",
                    Some(false) => "FAILED",
                    None => "(timing)",
                }
            );
        }
    }
    anyhow::ensure!(failed == 0, "{failed} quickstart check(s) failed");
    Ok(())
}
