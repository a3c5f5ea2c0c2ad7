//! `fluxion bench`: throughput of ops and model steps per device. (Being built.)

use fluxion_device::DeviceLocation;

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

pub fn run(req: Request) -> anyhow::Result<()> {
    anyhow::bail!("fluxion bench is not built yet ({req:?})")
}
