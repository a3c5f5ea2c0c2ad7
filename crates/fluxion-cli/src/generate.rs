//! `fluxion generate`: seeded PDE data sets written through `fluxion_data::generate`.
//!
//! Each PDE is a [`Generator`]: a `fluxion_data` configuration whose documented fields can be
//! overridden with `--param key=value`. Adding a PDE takes a [`Pde`] variant, one arm in
//! [`Pde::generator`] and a `Generator` impl for its configuration.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::ValueEnum;
use fluxion_data::generate::advection::AdvectionConfig;
use fluxion_data::generate::burgers::{BurgersConfig, BurgersLayout};
use fluxion_data::generate::darcy::{DarcyConfig, FaceAverage};
use fluxion_data::generate::diffusion_reaction::DiffusionReactionConfig;
use fluxion_data::generate::navier_stokes::NavierStokesConfig;
use fluxion_data::generate::Progress;
use fluxion_data::{H5File, WriteOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::UsageError;

/// The PDEs `fluxion generate` can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pde {
    /// 1-D linear advection, PDEBench layout (`tensor` [N, steps + 1, X]).
    Advection,
    /// 1-D viscous Burgers (FNO: `a`, `u` [N, S]; `--param frames=K` for PDEBench's `tensor`).
    Burgers,
    /// 2-D Darcy flow, PDEBench layout (`nu` [N, S, S], `tensor` [N, 1, S, S]).
    Darcy,
    /// 2-D Navier–Stokes vorticity as in the FNO paper (`tensor` [N, T + 1, S, S], S the
    /// stored resolution; solved on `--param s` points, 256 by default).
    NavierStokes,
    /// 1-D diffusion–reaction, PDEBench layout (`tensor` [N, frames + 1, X]).
    DiffusionReaction,
}

impl Pde {
    /// The generator for this PDE with the library's defaults, then `n`, `resolution`, `seed`
    /// where given.
    fn generator(self, n: Option<usize>, res: Option<usize>, seed: u64) -> Box<dyn Generator> {
        match self {
            Pde::Advection => {
                let d = AdvectionConfig::default();
                Box::new(AdvectionConfig {
                    samples: n.unwrap_or(d.samples),
                    nx: res.unwrap_or(d.nx),
                    seed,
                    ..d
                })
            }
            Pde::Burgers => {
                let d = BurgersConfig::default();
                Box::new(BurgersConfig {
                    samples: n.unwrap_or(d.samples),
                    s: res.unwrap_or(d.s),
                    seed,
                    ..d
                })
            }
            Pde::Darcy => {
                let d = DarcyConfig::default();
                let s = res.unwrap_or(d.s);
                Box::new(DarcyConfig {
                    samples: n.unwrap_or(d.samples),
                    s,
                    modes: s,
                    seed,
                    ..d
                })
            }
            Pde::NavierStokes => {
                let d = NavierStokesConfig::default();
                let s_out = res.unwrap_or(d.s_out);
                // Solve on the default grid when the stored resolution divides it, else on the
                // stored grid itself.
                let s = if s_out <= d.s && d.s % s_out == 0 {
                    d.s
                } else {
                    s_out
                };
                Box::new(NavierStokesConfig {
                    samples: n.unwrap_or(d.samples),
                    s,
                    s_out,
                    seed,
                    ..d
                })
            }
            Pde::DiffusionReaction => {
                let d = DiffusionReactionConfig::default();
                Box::new(DiffusionReactionConfig {
                    samples: n.unwrap_or(d.samples),
                    nx: res.unwrap_or(d.nx),
                    seed,
                    ..d
                })
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Pde::Advection => "advection",
            Pde::Burgers => "burgers",
            Pde::Darcy => "darcy",
            Pde::NavierStokes => "navier-stokes",
            Pde::DiffusionReaction => "diffusion-reaction",
        }
    }
}

/// A data-set configuration the command line can adjust and run.
trait Generator {
    /// The `--param` keys, each with a short description.
    fn keys(&self) -> &'static [(&'static str, &'static str)];
    /// Sets `key` to `value`; `Ok(false)` when the key is unknown.
    fn set(&mut self, key: &str, value: &str) -> Result<bool, UsageError>;
    /// Samples and resolution as configured.
    fn size(&self) -> (usize, usize);
    /// Writes the data set to `path`.
    fn generate(&self, path: &Path, progress: Progress<'_>) -> fluxion_data::Result<PathBuf>;
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, UsageError> {
    value.parse().map_err(|_| {
        UsageError(format!(
            "--param {key}={value}: `{value}` is not a valid {}",
            std::any::type_name::<T>()
        ))
    })
}

impl Generator for AdvectionConfig {
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("beta", "advection speed (0.1)"),
            ("t_final", "final time (2)"),
            ("steps", "time intervals; steps + 1 frames (200)"),
            ("waves", "sine waves per initial condition (2)"),
            ("max_mode", "largest wavenumber (8)"),
        ]
    }
    fn set(&mut self, key: &str, v: &str) -> Result<bool, UsageError> {
        match key {
            "beta" => self.beta = parse(key, v)?,
            "t_final" => self.t_final = parse(key, v)?,
            "steps" => self.steps = parse(key, v)?,
            "waves" => self.waves = parse(key, v)?,
            "max_mode" => self.max_mode = parse(key, v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn size(&self) -> (usize, usize) {
        (self.samples, self.nx)
    }
    fn generate(&self, path: &Path, progress: Progress<'_>) -> fluxion_data::Result<PathBuf> {
        AdvectionConfig::generate(self, path, WriteOptions::default(), progress)
    }
}

impl Generator for BurgersConfig {
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("nu", "viscosity (0.1)"),
            ("t_final", "final time (1)"),
            ("dt", "largest time step (1e-4)"),
            ("sigma2", "initial-condition GRF scale (625)"),
            ("tau", "initial-condition GRF shift (5)"),
            ("alpha", "initial-condition GRF exponent (2)"),
            (
                "frames",
                "0: FNO layout a/u; K > 0: PDEBench tensor with K + 1 frames (0)",
            ),
        ]
    }
    fn set(&mut self, key: &str, v: &str) -> Result<bool, UsageError> {
        match key {
            "nu" => self.nu = parse(key, v)?,
            "t_final" => self.t_final = parse(key, v)?,
            "dt" => self.dt = parse(key, v)?,
            "sigma2" => self.grf.sigma2 = parse(key, v)?,
            "tau" => self.grf.tau = parse(key, v)?,
            "alpha" => self.grf.alpha = parse(key, v)?,
            "frames" => {
                self.layout = match parse::<usize>(key, v)? {
                    0 => BurgersLayout::Fno,
                    frames => BurgersLayout::PdeBench { frames },
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn size(&self) -> (usize, usize) {
        (self.samples, self.s)
    }
    fn generate(&self, path: &Path, progress: Progress<'_>) -> fluxion_data::Result<PathBuf> {
        BurgersConfig::generate(self, path, WriteOptions::default(), progress)
    }
}

impl Generator for DarcyConfig {
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("beta", "constant forcing f (1)"),
            (
                "modes",
                "cosine modes per axis of the coefficient field (resolution)",
            ),
            ("sigma2", "coefficient GRF scale (9)"),
            ("tau", "coefficient GRF shift (3)"),
            ("alpha", "coefficient GRF exponent (2)"),
            ("high", "coefficient where the field is >= 0 (12)"),
            ("low", "coefficient where the field is < 0 (3)"),
            ("tol", "CG relative residual tolerance (1e-10)"),
            ("average", "face average: harmonic or arithmetic (harmonic)"),
        ]
    }
    fn set(&mut self, key: &str, v: &str) -> Result<bool, UsageError> {
        match key {
            "beta" => self.forcing = parse(key, v)?,
            "modes" => self.modes = parse(key, v)?,
            "sigma2" => self.grf.sigma2 = parse(key, v)?,
            "tau" => self.grf.tau = parse(key, v)?,
            "alpha" => self.grf.alpha = parse(key, v)?,
            "high" => self.high = parse(key, v)?,
            "low" => self.low = parse(key, v)?,
            "tol" => self.tol = parse(key, v)?,
            "average" => {
                self.average = match v {
                    "harmonic" => FaceAverage::Harmonic,
                    "arithmetic" => FaceAverage::Arithmetic,
                    _ => {
                        return Err(UsageError(format!(
                            "--param average={v}: use harmonic or arithmetic"
                        )))
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn size(&self) -> (usize, usize) {
        (self.samples, self.s)
    }
    fn generate(&self, path: &Path, progress: Progress<'_>) -> fluxion_data::Result<PathBuf> {
        DarcyConfig::generate(self, path, WriteOptions::default(), progress)
    }
}

/// Splits `key=value` (clap value parser for `--param`).
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("`{s}` is not key=value (e.g. beta=0.4)")),
    }
}

/// What `fluxion generate` was asked to do.
#[derive(Debug)]
pub struct Request {
    /// The PDE.
    pub pde: Pde,
    /// Samples, or the library default.
    pub n: Option<usize>,
    /// Grid points per axis, or the library default.
    pub resolution: Option<usize>,
    /// The seed.
    pub seed: u64,
    /// Target file.
    pub out: PathBuf,
    /// `--param` overrides in order.
    pub params: Vec<(String, String)>,
}

/// A progress bar with rate and ETA on stderr, hidden under `--json` or off a terminal.
fn progress_bar(total: usize, hidden: bool) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} samples ({per_sec}, ETA {eta})",
    )
    .expect("the template is valid");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs the request and prints a summary line or JSON.
pub fn run(req: Request, as_json: bool) -> anyhow::Result<()> {
    let mut g = req.pde.generator(req.n, req.resolution, req.seed);
    for (key, value) in &req.params {
        if !g.set(key, value)? {
            let valid: Vec<&str> = g.keys().iter().map(|(k, _)| *k).collect();
            return Err(UsageError(format!(
                "unknown --param `{key}` for {}: valid keys are {}",
                req.pde.name(),
                valid.join(", ")
            ))
            .into());
        }
    }
    if let Some(dir) = req.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            anyhow::bail!(
                "cannot write {}: directory {} does not exist",
                req.out.display(),
                dir.display()
            );
        }
    }
    let (n, resolution) = g.size();
    let bar = progress_bar(n, as_json);
    let start = Instant::now();
    let progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let written = g.generate(&req.out, &progress);
    bar.finish_and_clear();
    let path = match written {
        Ok(p) => p,
        Err(e @ fluxion_data::Error::InvalidArgument { .. }) => {
            return Err(UsageError(format!("{e}; change --n, --resolution or --param")).into())
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot write {}", req.out.display()));
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let file = H5File::open(&path)?;
    let attrs = file.numeric_attrs("/")?;
    let datasets: Vec<(String, Vec<usize>)> = file
        .member_names("/")?
        .into_iter()
        .filter_map(|k| file.dataset(&k).ok().map(|d| (k, d.shape())))
        .collect();
    if as_json {
        let report = json!({
            "pde": req.pde.name(),
            "n": n,
            "resolution": resolution,
            "seed": req.seed,
            "path": path.display().to_string(),
            "seconds": seconds,
            "bytes": std::fs::metadata(&path).map(|m| m.len()).ok(),
            "datasets": datasets.iter().map(|(k, s)| (k.clone(), json!(s))).collect::<serde_json::Map<_, _>>(),
            "attributes": attrs,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let shapes: Vec<String> = datasets.iter().map(|(k, s)| format!("{k} {s:?}")).collect();
        println!(
            "wrote {n} {} samples (resolution {resolution}, seed {}) to {} in {seconds:.2} s: {}",
            req.pde.name(),
            req.seed,
            path.display(),
            shapes.join(", ")
        );
    }
    Ok(())
}

impl Generator for NavierStokesConfig {
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("nu", "viscosity (1e-3)"),
            ("t_final", "final time (50)"),
            ("dt", "time step (1e-4)"),
            ("record_steps", "snapshots after the initial one (50)"),
            ("forcing", "forcing amplitude (0.1)"),
            (
                "s",
                "solver grid; a multiple of the stored resolution (256)",
            ),
        ]
    }
    fn set(&mut self, key: &str, v: &str) -> Result<bool, UsageError> {
        match key {
            "nu" => self.nu = parse(key, v)?,
            "t_final" => self.t_final = parse(key, v)?,
            "dt" => self.dt = parse(key, v)?,
            "record_steps" => self.record_steps = parse(key, v)?,
            "forcing" => self.forcing = parse(key, v)?,
            "s" => self.s = parse(key, v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn size(&self) -> (usize, usize) {
        (self.samples, self.s_out)
    }
    fn generate(&self, path: &Path, progress: Progress<'_>) -> fluxion_data::Result<PathBuf> {
        NavierStokesConfig::generate(self, path, WriteOptions::default(), progress)
    }
}

impl Generator for DiffusionReactionConfig {
    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("nu", "diffusion coefficient (0.5)"),
            ("rho", "reaction rate (1)"),
            ("t_final", "final time (1)"),
            ("frames", "frames after the initial one (100)"),
            ("dt", "largest time step"),
        ]
    }
    fn set(&mut self, key: &str, v: &str) -> Result<bool, UsageError> {
        match key {
            "nu" => self.nu = parse(key, v)?,
            "rho" => self.rho = parse(key, v)?,
            "t_final" => self.t_final = parse(key, v)?,
            "frames" => self.frames = parse(key, v)?,
            "dt" => self.dt = parse(key, v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn size(&self) -> (usize, usize) {
        (self.samples, self.nx)
    }
    fn generate(&self, path: &Path, progress: Progress<'_>) -> fluxion_data::Result<PathBuf> {
        DiffusionReactionConfig::generate(self, path, WriteOptions::default(), progress)
    }
}
