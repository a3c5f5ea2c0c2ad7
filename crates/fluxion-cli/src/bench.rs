//! `fluxion bench`: throughput of ops and model steps per device, with speed-ups against the
//! first device and the fraction of each device's measured peak.
//!
//! Each row is one workload on one device. The workloads and their full sizes are those
//! `docs/BENCHMARKS.md` and `../shared/anchors/README.md` quote, so the figures compare with
//! the criterion benches and the peer scripts:
//!
//! | suite | workload | full size | throughput |
//! |---|---|---|---|
//! | ops | sgemm | f32 1024 × 1024 × 1024 | GFLOP/s = 2n³ / t |
//! | ops | rfft+irfft | f32 [1280, 1024], last axis | GFLOP/s = rows · 2 · 2.5 N log₂ N / t |
//! | ops | add | two f32 tensors of 2²⁴ elements | GB/s = 3 · 4 bytes · n / t |
//! | ops | sum | 2²⁴ f32 | GB/s = 4 bytes · n / t |
//! | ops | spectral_conv1d fwd+bwd | B = 20, n = 1024, C = 64, 16 modes | samples/s = B / t |
//! | ops | mode mix complex_matmul | 16 modes of [20 × 64] · [64 × 64] complex, weight in place | GFLOP/s = 8 · M·B·C² / t |
//! | ops | mode mix real block gemm | the same as one real [20 × 128] · [128 × 128] GEMM per mode | GFLOP/s, same count |
//! | models | fno1d train step | s = 1024, B = 20, width 64, 16 modes, Adam | samples/s |
//! | models | pinn decay epoch | 1-50-50-50-1 LeakyReLU, 501 points, SGD | epochs/s |
//! | models | neural ode spiral iter | 20 windows × 10 steps, Dopri5, backprop | steps/s |
//! | models | sde gbm euler-maruyama | 10 000 paths × 4 dims × 1000 steps, f64 | paths·steps/s |
//!
//! The time of a row is the median over timed repeats after untimed warm-up iterations
//! ([`timing`]); GB/s are 10⁹ bytes per second. The peaks the fractions refer to are measured
//! once per device at the start of the run ([`peak`]). Workloads whose ops the CUDA backend does
//! not provide yet are reported as unavailable on that device, with the reason.

mod models;
mod ops;
mod peak;
mod report;
mod timing;

use std::io::Write;

use fluxion_device::{Device, DeviceLocation};

use crate::UsageError;

/// Which rows `fluxion bench` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// Tensor ops: matmul, FFT, elementwise, reductions, spectral convolution.
    Ops,
    /// Model steps: FNO train step, PINN epoch, Neural ODE iteration, SDE paths.
    Models,
    /// Both.
    All,
}

/// Problem sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// The sizes docs/BENCHMARKS.md quotes.
    Full,
    /// Seconds in all; for tests.
    Tiny,
}

impl Size {
    fn name(self) -> &'static str {
        match self {
            Size::Full => "full",
            Size::Tiny => "tiny",
        }
    }
}

/// What `fluxion bench` was asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// Devices to measure, in order; the first is the baseline of the speed-up column.
    pub devices: Vec<DeviceLocation>,
    /// Which rows.
    pub suite: Suite,
    /// Problem sizes.
    pub size: Size,
    /// Print JSON instead of a table.
    pub json: bool,
    /// No progress output.
    pub quiet: bool,
}

/// The unit a workload's throughput is reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// 10⁹ floating-point operations per second.
    Gflops,
    /// 10⁹ bytes per second.
    Gbps,
    /// Samples (batch elements) per second.
    SamplesPerS,
    /// Training epochs per second.
    EpochsPerS,
    /// Training steps (iterations) per second.
    StepsPerS,
    /// Paths times solver steps per second.
    PathStepsPerS,
}

impl Unit {
    /// How the unit is written in the table and the JSON.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Unit::Gflops => "GFLOP/s",
            Unit::Gbps => "GB/s",
            Unit::SamplesPerS => "samples/s",
            Unit::EpochsPerS => "epochs/s",
            Unit::StepsPerS => "steps/s",
            Unit::PathStepsPerS => "paths·steps/s",
        }
    }

    /// Work units per reported unit: a workload's work is counted in flops or bytes, reported
    /// in 10⁹ of them.
    fn scale(self) -> f64 {
        match self {
            Unit::Gflops | Unit::Gbps => 1e9,
            _ => 1.0,
        }
    }

    /// Throughput from the work of one iteration and its time in seconds.
    pub(crate) fn throughput(self, work_per_iter: f64, seconds: f64) -> f64 {
        work_per_iter / seconds / self.scale()
    }
}

/// What a workload is, independent of the device: its name, size and how much work one
/// iteration does.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// `ops` or `models`.
    pub suite: &'static str,
    /// The workload's name.
    pub name: &'static str,
    /// Its size, as the table shows it.
    pub size: String,
    /// The throughput unit.
    pub unit: Unit,
    /// Work of one iteration: flops, bytes, samples, steps or path·steps.
    pub work: f64,
    /// Untimed iterations before timing at full size (one at tiny size).
    pub warmup: usize,
}

/// One timed iteration of a workload, with its inputs already built on the device.
pub(crate) type Step = Box<dyn FnMut() -> anyhow::Result<()>>;

/// A workload: its description and how to build its step on a device.
pub(crate) struct Entry {
    /// The description at a size.
    pub spec: fn(Size) -> Spec,
    /// Builds the inputs on the device and returns the step.
    pub build: fn(&Device, Size) -> anyhow::Result<Step>,
}

/// Runs the requested rows and prints the table or the JSON.
///
/// # Errors
/// [`UsageError`] when a device cannot be opened (before anything is measured); any error of a
/// CPU workload (an error on a CUDA device makes that row unavailable instead).
pub fn run(req: Request) -> anyhow::Result<()> {
    if req.devices.is_empty() {
        return Err(UsageError("--device: name at least one device".into()).into());
    }
    let mut devices = Vec::with_capacity(req.devices.len());
    for &loc in &req.devices {
        if devices.iter().any(|d: &Device| d.location() == loc) {
            return Err(UsageError(format!("--device: {loc} is listed twice")).into());
        }
        devices.push(open(loc)?);
    }
    let progress = |line: String| {
        if !req.quiet {
            eprintln!("bench: {line}");
            let _ = std::io::stderr().flush();
        }
    };

    let mut peaks = Vec::with_capacity(devices.len());
    for dev in &devices {
        let p = peak::measure(dev, req.size)?;
        progress(format!("peak {dev}: {}", report::peak_text(&p)));
        peaks.push(p);
    }

    let mut entries = Vec::new();
    if matches!(req.suite, Suite::Ops | Suite::All) {
        entries.extend(ops::entries());
    }
    if matches!(req.suite, Suite::Models | Suite::All) {
        entries.extend(models::entries());
    }

    let mut rows = Vec::new();
    for entry in &entries {
        let spec = (entry.spec)(req.size);
        for (dev, p) in devices.iter().zip(&peaks) {
            let row = measure_row(entry, &spec, dev, p, req.size)?;
            progress(report::progress_text(&row));
            rows.push(row);
        }
    }
    report::fill_speedups(&mut rows, &devices[0].location().to_string());

    let machine = report::Machine::probe();
    if req.json {
        println!("{}", report::json(&machine, &devices, &peaks, &rows));
    } else {
        report::print(&machine, &devices, &peaks, &rows, req.size);
    }
    Ok(())
}

/// Opens a device, turning a failure into a one-line usage error (exit code 2).
fn open(loc: DeviceLocation) -> anyhow::Result<Device> {
    Device::new(loc).map_err(|e| {
        let what = match loc {
            DeviceLocation::Cuda(n) => format!("no CUDA device {n}"),
            DeviceLocation::Cpu => "cannot use the CPU".to_string(),
        };
        UsageError(format!("{what}: {e}; run `fluxion info`")).into()
    })
}

/// Builds and times one workload on one device. On a CUDA device any error (an op the backend
/// lacks) makes the row unavailable; on the CPU it is returned.
fn measure_row(
    entry: &Entry,
    spec: &Spec,
    dev: &Device,
    peak: &peak::Peak,
    size: Size,
) -> anyhow::Result<report::Row> {
    let policy = timing::Policy::for_size(size);
    let warmup = match size {
        Size::Full => spec.warmup,
        Size::Tiny => 1,
    };
    let timed = (entry.build)(dev, size)
        .and_then(|mut step| timing::measure(&mut step, dev, warmup, &policy));
    let mut row = report::Row::new(spec, dev);
    match timed {
        Ok(times) => {
            let median = timing::median(&times);
            let throughput = spec.unit.throughput(spec.work, median);
            row.median_ms = Some(median * 1e3);
            row.throughput = Some(throughput);
            row.reps = times.len();
            row.peak_fraction = match spec.unit {
                Unit::Gflops => peak.gflops.map(|p| throughput / p),
                Unit::Gbps => peak.gbps.map(|p| throughput / p),
                _ => None,
            };
        }
        Err(e) if dev.is_cuda() => row.note = Some(format!("unavailable: {e:#}")),
        Err(e) => return Err(e.context(format!("bench {} {} on {dev}", spec.name, size.name()))),
    }
    Ok(row)
}
