//! The `fluxion` command line.

mod info;
mod quickstart;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info::run(cli.json),
        Command::Quickstart { device, seed } => quickstart::run(device, seed, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
