//! The `fluxion` command line.

mod generate;
mod info;
mod inspect;
mod quickstart;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fluxion_device::DeviceLocation;

/// mimalloc keeps freed large blocks for reuse. glibc's malloc returns every block of 32 MiB or
/// more to the OS, so each fresh tensor of that size page-faults and zeroes again: elementwise
/// ops on 2^24 f32 run 5-6x slower than memory bandwidth allows (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Fluxion: scientific machine learning with differential equations.
#[derive(Debug, Parser)]
#[command(name = "fluxion", version, about, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show devices, CUDA library availability, threads and versions.
    Info,
    /// Run the embedded default job: a tour of the tensor engine checked against references.
    Quickstart {
        /// Device to run on: cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: DeviceLocation,
        /// Seed for the random inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Generate a seeded PDE data set (HDF5, written to a temporary file and renamed).
    Generate {
        /// The PDE.
        #[arg(value_enum)]
        pde: generate::Pde,
        /// Number of samples (default: the library's, e.g. 10000 for advection).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        n: Option<u64>,
        /// Grid points per axis (default: the library's, e.g. 1024 for advection).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        resolution: Option<u64>,
        /// Seed: sample i of seed s is the same whatever the thread count.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output file (.hdf5 or .h5).
        #[arg(long)]
        out: PathBuf,
        /// Override a configuration field, e.g. `--param beta=0.4`; repeatable. An unknown key
        /// lists the valid ones.
        #[arg(long = "param", value_name = "KEY=VALUE", value_parser = generate::parse_param)]
        params: Vec<(String, String)>,
    },
    /// Work with data files.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Detect a file's layout and show its datasets, attributes and value ranges.
    Inspect {
        /// An HDF5 (PDEBench, Fluxion) or MAT (FNO) file.
        file: PathBuf,
    },
}

/// A mistake in the command's arguments: reported with exit code 2, like clap's own errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info::run(cli.json),
        Command::Quickstart { device, seed } => quickstart::run(device, seed, cli.json),
        Command::Generate {
            pde,
            n,
            resolution,
            seed,
            out,
            params,
        } => generate::run(
            generate::Request {
                pde,
                n: n.map(|v| v as usize),
                resolution: resolution.map(|v| v as usize),
                seed,
                out,
                params,
            },
            cli.json,
        ),
        Command::Data {
            command: DataCommand::Inspect { file },
        } => inspect::run(&file, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<UsageError>() => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
