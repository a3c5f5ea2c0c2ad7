//! The `fluxion` command line.

mod bench;
mod config;
mod config_docs;
mod config_show;
mod fno_cmd;
mod generate;
mod gpu_check;
mod info;
mod inspect;
mod node_cmd;
mod output;
mod pinn_cmd;
mod plot;
mod prediction_plots;
mod quickstart;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fluxion_device::DeviceLocation;

/// mimalloc keeps freed large blocks for reuse. glibc's malloc returns every block of 32 MiB or
/// more to the OS, so each fresh tensor of that size page-faults and zeroes again: elementwise
/// ops on 2^24 f32 run 5-6x slower than memory bandwidth allows (docs/BENCHMARKS.md). `main`
/// also tells mimalloc to keep freed pages rather than return them after a delay.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Fluxion: scientific machine learning with differential equations.
#[derive(Debug, Parser)]
#[command(name = "fluxion", version, about, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars or running commentary: only the result (table or JSON) and errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show devices, CUDA library availability, threads and versions; with a GPU, the self-check
    /// of it against the CPU that `quickstart` runs before using it.
    Info,
    /// Run the embedded default job: generate a small Burgers data set, train an FNO-1d, solve
    /// the PINN decay problem, train the Neural ODE spiral; one table, outputs and plots.
    /// Exits 1 when a result misses its target.
    Quickstart {
        /// Device to run on: cpu, cuda or cuda:N (default: cuda:0 when one is visible and
        /// agrees with the CPU on a self-check of these jobs in small, else the CPU).
        #[arg(long)]
        device: Option<DeviceLocation>,
        /// Seed for data, initialisation and sampling.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// `default` (a few minutes on a 2-core CPU) or `tiny` (seconds; for tests).
        #[arg(long, value_enum, default_value = "default")]
        size: quickstart::Size,
        /// Output directory.
        #[arg(long, default_value = "outputs/quickstart")]
        out: PathBuf,
    },
    /// Throughput of ops and model steps per device, with speed-ups and the fraction of the
    /// device's measured peak.
    Bench {
        /// Devices, comma-separated: cpu, cuda, cuda:N.
        #[arg(long, value_delimiter = ',', default_value = "cpu")]
        device: Vec<DeviceLocation>,
        /// Which rows: ops, models or all.
        #[arg(long, value_enum, default_value = "all")]
        suite: bench::Suite,
        /// `full` (the sizes docs/BENCHMARKS.md quotes) or `tiny` (seconds; for tests).
        #[arg(long, value_enum, default_value = "full")]
        size: bench::Size,
    },
    /// Experiment configurations.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
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
    /// Train a model from a TOML configuration (checkpoints every epoch; `--resume` continues).
    Train {
        /// What to train.
        #[arg(value_enum)]
        model: TrainModel,
        /// The TOML configuration (`fluxion reproduce` writes the one it used next to its outputs).
        #[arg(long)]
        config: PathBuf,
        /// Override a configuration field by its dotted path in the TOML, e.g.
        /// `--set train.epochs=10` (FNO) or `--set epochs=10` (PINN); repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Output directory (checkpoints, metrics, the configuration used).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Continue from the checkpoint in the output directory.
        #[arg(long)]
        resume: bool,
        /// An existing data file (FNO: the original .mat or an HDF5 from `fluxion generate`)
        /// instead of generating one.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Reproduce a published experiment, printing the paper's number beside ours.
    Reproduce {
        /// The experiment.
        #[arg(value_enum)]
        experiment: Experiment,
        /// `smoke` runs in minutes on a laptop CPU; `paper` uses the paper's sizes.
        #[arg(long, value_enum, default_value = "smoke")]
        scale: Scale,
        /// Output directory (default `outputs/<experiment>-<scale>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a configuration field by its dotted path in the TOML, e.g.
        /// `--set train.epochs=10` (FNO) or `--set epochs=10` (PINN); repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Continue from the checkpoint in the output directory.
        #[arg(long)]
        resume: bool,
        /// Device to run on: cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: DeviceLocation,
        /// An existing data file (FNO: the original .mat or an HDF5 from `fluxion generate`)
        /// instead of generating one.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Work with data files.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print an experiment's configuration as TOML, every field with its documentation; edit it
    /// and pass it to `fluxion train --config`.
    Show {
        /// The experiment.
        #[arg(value_enum)]
        experiment: Experiment,
        /// Smoke or paper scale.
        #[arg(long, value_enum, default_value = "smoke")]
        scale: Scale,
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

/// A model `fluxion train` builds.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TrainModel {
    /// A Fourier neural operator (`fluxion_operator`).
    Fno,
    /// A physics-informed neural network (`fluxion_pinn`).
    Pinn,
}

/// A published experiment `fluxion reproduce` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Experiment {
    /// FNO-1d on Burgers (Li et al. 2021, Table 1).
    FnoBurgers,
    /// FNO-2d on Darcy flow (Li et al. 2021, Table 2).
    FnoDarcy,
    /// FNO-2d on Navier–Stokes ν = 1e-3 (Li et al. 2021, Table 3).
    FnoNs,
    /// The tutorial PINN for dy/dt + ky = 0.
    PinnDecay,
    /// Raissi et al.'s Burgers PINN (L-BFGS, Cole–Hopf reference).
    PinnBurgers,
    /// torchdiffeq's Neural ODE spiral demo (Chen et al. 2018).
    NodeSpiral,
}

/// How large a reproduction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Minutes on a laptop CPU (what CI runs).
    Smoke,
    /// The paper's sizes and hyper-parameters.
    Paper,
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

/// What `fluxion reproduce` was asked for.
#[derive(Debug, Clone)]
pub struct ReproduceRequest {
    /// The experiment.
    pub experiment: Experiment,
    /// Smoke or paper scale.
    pub scale: Scale,
    /// Output directory, when given.
    pub out: Option<PathBuf>,
    /// `key=value` overrides of the experiment's configuration.
    pub set: Vec<String>,
    /// Continue from the checkpoint in the output directory.
    pub resume: bool,
    /// The device.
    pub device: DeviceLocation,
    /// An existing data file, when given.
    pub data: Option<PathBuf>,
    /// Print JSON instead of tables.
    pub json: bool,
    /// No progress bars or commentary.
    pub quiet: bool,
}

/// Restores the default action for SIGPIPE, so `fluxion … | head` ends quietly when the reader
/// closes the pipe, as other Unix tools do; Rust ignores SIGPIPE, and `println!` then panics.
#[cfg(unix)]
fn default_sigpipe() {
    // SAFETY: called once at the start of main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Structured logs on stderr through `tracing`, filtered by `FLUXION_LOG` (`EnvFilter` syntax:
/// `info`, `debug`, `fluxion=debug`, …). Off unless asked for, so that the default output is the
/// progress display and the result; an unreadable filter is reported and ignored.
fn init_logging() {
    let filter = match std::env::var("FLUXION_LOG") {
        Ok(spec) => tracing_subscriber::EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("warning: FLUXION_LOG={spec:?} is not a valid filter ({e}); logging off");
            tracing_subscriber::EnvFilter::new("off")
        }),
        Err(_) => tracing_subscriber::EnvFilter::new("off"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .init();
}

fn main() -> ExitCode {
    #[cfg(unix)]
    default_sigpipe();
    // This thread works in rayon's pool (fluxion_tensor::threads), before anything uses rayon.
    let joined = fluxion_tensor::threads::join_global_pool();
    init_logging();
    tracing::debug!(?joined, "main thread joins the CPU pool");
    // Keep freed tensor memory mapped for the next step (fluxion_device::host).
    let purge_delay_ms = fluxion_device::host::retain_freed_memory();
    tracing::debug!(purge_delay_ms, "mimalloc purge delay");
    let cli = Cli::parse();
    tracing::debug!(?cli, "command line");
    let result = match cli.command {
        Command::Info => info::run(cli.json),
        Command::Quickstart {
            device,
            seed,
            size,
            out,
        } => quickstart::run(quickstart::Request {
            device,
            seed,
            size,
            out,
            json: cli.json,
            quiet: cli.quiet,
        }),
        Command::Bench {
            device,
            suite,
            size,
        } => bench::run(bench::Request {
            devices: device,
            suite,
            size,
            json: cli.json,
            quiet: cli.quiet,
        }),
        Command::Config {
            command: ConfigCommand::Show { experiment, scale },
        } => config_show::run(experiment, scale),
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
        Command::Train {
            model,
            config,
            set,
            out,
            resume,
            data,
        } => match model {
            TrainModel::Fno => {
                fno_cmd::train(&config, &set, out, resume, data, cli.json, cli.quiet)
            }
            TrainModel::Pinn if data.is_some() => Err(UsageError(
                "--data: PINN problems sample their own points; it applies to `train fno`".into(),
            )
            .into()),
            TrainModel::Pinn => pinn_cmd::train(&config, &set, out, resume, cli.json, cli.quiet),
        },
        Command::Reproduce {
            experiment,
            scale,
            out,
            set,
            resume,
            device,
            data,
        } => {
            let req = ReproduceRequest {
                experiment,
                scale,
                out,
                set,
                resume,
                device,
                data,
                json: cli.json,
                quiet: cli.quiet,
            };
            match experiment {
                Experiment::FnoBurgers | Experiment::FnoDarcy | Experiment::FnoNs => {
                    fno_cmd::reproduce(req)
                }
                Experiment::PinnDecay | Experiment::PinnBurgers => pinn_cmd::reproduce(req),
                Experiment::NodeSpiral => node_cmd::reproduce(req),
            }
        }
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
