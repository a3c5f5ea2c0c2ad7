//! The FNO paper's experiments (Li et al., ICLR 2021, Table 1–4 and the reference scripts) at
//! two scales: `paper` (the published settings) and `smoke` (minutes on a laptop CPU), each
//! from data on disk or generated on the spot.
//!
//! | experiment | data | model | training | published |
//! |---|---|---|---|---|
//! | `burgers` | `a`→`u`, 1000/100, s = 1024 | FNO-1d, 16 modes, width 64 | batch 20, 500 epochs, Adam 1e-3, wd 1e-4, StepLR(50, ½) | 0.0160 (paper), ≈ 0.0025 (released code) |
//! | `darcy` | `coeff`→`sol`, 1000/100, r = 5 (s = 85) | FNO-2d, 12 modes, width 32, padding 9, unit-Gaussian | batch 20, 500 epochs, StepLR(100, ½) | 0.0108 |
//! | `navier-stokes` | ν = 1e-3, 10 steps → next 40, 1000/200, 64² | FNO-2D, 12 modes, width 20, rollout of 1 step | batch 20, 500 epochs, StepLR(100, ½) | 0.0128 |

use std::fs;
use std::path::{Path, PathBuf};

use fluxion_data::generate::burgers::{BurgersConfig, BurgersLayout};
use fluxion_data::generate::darcy::DarcyConfig;
use fluxion_data::generate::navier_stokes::NavierStokesConfig;
use fluxion_data::generate::no_progress;
use fluxion_data::WriteOptions;
use fluxion_tensor::Device;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::data::{load_burgers, load_darcy, load_navier_stokes, OperatorData};
use crate::train::{
    latest_checkpoint, Normalization, SamplePrediction, TrainConfig, TrainObserver, TrainReport,
    Trainer,
};
use crate::{Error, Fno, FnoConfig, Result};

/// Which settings: the paper's, or a few-minute CPU run of the same pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Small data, few epochs: minutes on two CPU cores.
    Smoke,
    /// The paper's settings (hours on a GPU).
    Paper,
}

/// The data of an experiment: what to read, and how to generate it when no file is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Problem {
    /// 1-D viscous Burgers, initial condition → solution at t = 1 (`fourier_1d.py`).
    Burgers {
        /// Training samples (the file's first).
        ntrain: usize,
        /// Test samples (the file's last).
        ntest: usize,
        /// Training resolution (a divisor of the file's).
        s: usize,
        /// Resolution of generated data (FNO: 8192).
        generate_s: usize,
        /// Largest time step of the generator.
        generate_dt: f64,
        /// Seed of generated data.
        seed: u64,
    },
    /// 2-D Darcy flow, coefficient → pressure (`fourier_2d.py`).
    Darcy {
        /// Training samples (the file's first).
        ntrain: usize,
        /// Test samples (the file's last).
        ntest: usize,
        /// Subsampling stride r: s = (n − 1)/r + 1.
        r: usize,
        /// Nodes per side of generated data (FNO: 421).
        generate_s: usize,
        /// Seed of generated data.
        seed: u64,
    },
    /// 2-D Navier–Stokes vorticity, 10 steps → the next ones (`fourier_2d_time.py`).
    NavierStokes {
        /// Training samples (the file's first).
        ntrain: usize,
        /// Test samples (the file's last).
        ntest: usize,
        /// Input steps.
        t_in: usize,
        /// Predicted steps.
        t_out: usize,
        /// Viscosity of generated data.
        nu: f64,
        /// Solver grid of generated data (FNO: 256).
        generate_s: usize,
        /// Stored grid of generated data (FNO: 64).
        generate_s_out: usize,
        /// Largest time step of the generator (FNO: 1e-4).
        generate_dt: f64,
        /// Seed of generated data.
        seed: u64,
    },
}

/// A published test error to compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// Mean relative L2 test error.
    pub test_error: f64,
    /// Where the number comes from.
    pub source: String,
}

/// One experiment: data, model, training and the number to compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FnoExperiment {
    /// Name (`burgers`, `darcy`, `navier-stokes`).
    pub name: String,
    /// The scale the settings were made for.
    pub scale: Scale,
    /// Data.
    pub problem: Problem,
    /// Model.
    pub model: FnoConfig,
    /// Training.
    pub train: TrainConfig,
    /// Published results at these settings (empty at smoke scale only when none applies).
    #[serde(default)]
    pub published: Vec<Published>,
}

impl FnoExperiment {
    /// Burgers (`fourier_1d.py`). Smoke: 250 / 50 samples generated at s = 512, trained at
    /// s = 256 for 20 epochs with StepLR(5, ½) and a global Gaussian normaliser (the paper's
    /// script has none; see the comment in the code).
    pub fn burgers(scale: Scale) -> Self {
        let published = vec![
            Published {
                test_error: 0.0160,
                source: "Li et al. 2021, Table 1, FNO, s = 1024".into(),
            },
            Published {
                test_error: 0.0025,
                source: "released fourier_1d.py (GELU, no BatchNorm), s = 1024".into(),
            },
        ];
        match scale {
            Scale::Paper => FnoExperiment {
                name: "burgers".into(),
                scale,
                problem: Problem::Burgers {
                    ntrain: 1000,
                    ntest: 100,
                    s: 1024,
                    generate_s: 8192,
                    generate_dt: 1e-4,
                    seed: 0,
                },
                model: FnoConfig::burgers(),
                train: TrainConfig::default(),
                published,
            },
            Scale::Smoke => FnoExperiment {
                name: "burgers".into(),
                scale,
                problem: Problem::Burgers {
                    ntrain: 250,
                    ntest: 50,
                    s: 256,
                    generate_s: 512,
                    generate_dt: 5e-4,
                    seed: 0,
                },
                model: FnoConfig::burgers(),
                // Our generator's u(t = 1) is small (ν = 0.1 damps mode 1 by e^{−4π²ν} ≈ 0.02:
                // RMS ≈ 0.01 against 0.5 for u₀), so Adam's fixed step of 1e-3 is coarse on
                // the raw scale and the loss stalls near 0.1; a global (scalar, so resolution
                // free) Gaussian normaliser puts the output at unit scale.
                train: TrainConfig {
                    epochs: 20,
                    step_size: 5,
                    normalize: Normalization::Global,
                    ..TrainConfig::default()
                },
                published: vec![Published {
                    test_error: 0.0149,
                    source: "Li et al. 2021, Table 1, FNO, s = 256 (1000 samples, 500 epochs)"
                        .into(),
                }],
            },
        }
    }

    /// Darcy (`fourier_2d.py`). Smoke: 200 / 50 samples generated at 61² (r = 2, s = 31),
    /// width 16, 8 modes, 30 epochs.
    pub fn darcy(scale: Scale) -> Self {
        let published = vec![Published {
            test_error: 0.0108,
            source: "Li et al. 2021, Table 2, FNO, s = 85".into(),
        }];
        let train = TrainConfig {
            step_size: 100,
            normalize: Normalization::Pointwise,
            ..TrainConfig::default()
        };
        match scale {
            Scale::Paper => FnoExperiment {
                name: "darcy".into(),
                scale,
                problem: Problem::Darcy {
                    ntrain: 1000,
                    ntest: 100,
                    r: 5,
                    generate_s: 421,
                    seed: 0,
                },
                model: FnoConfig::darcy(),
                train,
                published,
            },
            Scale::Smoke => FnoExperiment {
                name: "darcy".into(),
                scale,
                problem: Problem::Darcy {
                    ntrain: 200,
                    ntest: 50,
                    r: 2,
                    generate_s: 61,
                    seed: 0,
                },
                model: FnoConfig {
                    padding: 9,
                    ..FnoConfig::fno2d(8, 16)
                },
                train: TrainConfig {
                    epochs: 30,
                    step_size: 10,
                    ..train
                },
                published,
            },
        }
    }

    /// Navier–Stokes ν = 1e-3 (`fourier_2d_time.py`, FNO-2D). Smoke: 64 / 16 samples solved
    /// on 32², 10 steps → 10, width 16, 8 modes, 20 epochs.
    pub fn navier_stokes(scale: Scale) -> Self {
        let published = vec![Published {
            test_error: 0.0128,
            source: "Li et al. 2021, Table 3, FNO-2D, ν = 1e-3, T = 50, N = 1000".into(),
        }];
        let train = TrainConfig {
            step_size: 100,
            rollout: Some(1),
            ..TrainConfig::default()
        };
        match scale {
            Scale::Paper => FnoExperiment {
                name: "navier-stokes".into(),
                scale,
                problem: Problem::NavierStokes {
                    ntrain: 1000,
                    ntest: 200,
                    t_in: 10,
                    t_out: 40,
                    nu: 1e-3,
                    generate_s: 256,
                    generate_s_out: 64,
                    generate_dt: 1e-4,
                    seed: 0,
                },
                model: FnoConfig::navier_stokes_2d(10),
                train,
                published,
            },
            Scale::Smoke => FnoExperiment {
                name: "navier-stokes".into(),
                scale,
                problem: Problem::NavierStokes {
                    ntrain: 64,
                    ntest: 16,
                    t_in: 10,
                    t_out: 10,
                    nu: 1e-3,
                    generate_s: 32,
                    generate_s_out: 32,
                    generate_dt: 1e-3,
                    seed: 0,
                },
                model: FnoConfig {
                    in_channels: 10,
                    ..FnoConfig::fno2d(8, 16)
                },
                train: TrainConfig {
                    epochs: 20,
                    step_size: 10,
                    ..train
                },
                published,
            },
        }
    }

    /// The experiment called `name` (`burgers`, `darcy`, `navier-stokes` or `ns`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing the known names.
    pub fn by_name(name: &str, scale: Scale) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "burgers" => Ok(Self::burgers(scale)),
            "darcy" => Ok(Self::darcy(scale)),
            "navier-stokes" | "navier_stokes" | "ns" => Ok(Self::navier_stokes(scale)),
            other => Err(Error::invalid(
                "FnoExperiment::by_name",
                format!("unknown experiment `{other}`; expected burgers, darcy or navier-stokes"),
            )),
        }
    }

    /// The file name generated data is written to.
    pub fn generated_file_name(&self) -> String {
        match &self.problem {
            Problem::Burgers {
                ntrain,
                ntest,
                generate_s,
                seed,
                ..
            } => format!("burgers_s{generate_s}_n{}_seed{seed}.h5", ntrain + ntest),
            Problem::Darcy {
                ntrain,
                ntest,
                generate_s,
                seed,
                ..
            } => format!("darcy_s{generate_s}_n{}_seed{seed}.h5", ntrain + ntest),
            Problem::NavierStokes {
                ntrain,
                ntest,
                t_in,
                t_out,
                generate_s,
                generate_s_out,
                seed,
                ..
            } => format!(
                "navier_stokes_s{generate_s}_{generate_s_out}_t{}_n{}_seed{seed}.h5",
                t_in + t_out,
                ntrain + ntest
            ),
        }
    }

    /// Generates this experiment's data set into `dir` (reusing a complete file already
    /// there; generators write through a temporary file renamed at the end).
    ///
    /// # Errors
    /// Generator and file-system errors.
    pub fn generate(&self, dir: &Path) -> Result<PathBuf> {
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(self.generated_file_name());
        if path.is_file() {
            tracing::info!(path = %path.display(), "reusing generated data");
            return Ok(path);
        }
        tracing::info!(problem = ?self.problem, path = %path.display(), "generating data");
        let start = std::time::Instant::now();
        let opts = WriteOptions::default();
        match self.problem {
            Problem::Burgers {
                ntrain,
                ntest,
                generate_s,
                generate_dt,
                seed,
                ..
            } => BurgersConfig {
                samples: ntrain + ntest,
                s: generate_s,
                dt: generate_dt,
                layout: BurgersLayout::Fno,
                seed,
                ..BurgersConfig::default()
            }
            .generate(&path, opts, &no_progress)?,
            Problem::Darcy {
                ntrain,
                ntest,
                generate_s,
                seed,
                ..
            } => DarcyConfig {
                samples: ntrain + ntest,
                s: generate_s,
                modes: generate_s,
                seed,
                ..DarcyConfig::default()
            }
            .generate(&path, opts, &no_progress)?,
            Problem::NavierStokes {
                ntrain,
                ntest,
                t_in,
                t_out,
                nu,
                generate_s,
                generate_s_out,
                generate_dt,
                seed,
            } => NavierStokesConfig {
                samples: ntrain + ntest,
                s: generate_s,
                s_out: generate_s_out,
                nu,
                t_final: (t_in + t_out) as f64,
                dt: generate_dt,
                record_steps: t_in + t_out,
                seed,
                ..NavierStokesConfig::default()
            }
            .generate(&path, opts, &no_progress)?,
        };
        tracing::info!(
            path = %path.display(),
            seconds = start.elapsed().as_secs_f64(),
            "generated data"
        );
        Ok(path)
    }

    /// Reads the train/test tensors from `path`.
    ///
    /// # Errors
    /// As [`load_burgers`], [`load_darcy`], [`load_navier_stokes`].
    pub fn load(&self, path: &Path) -> Result<OperatorData> {
        match self.problem {
            Problem::Burgers {
                ntrain, ntest, s, ..
            } => load_burgers(path, ntrain, ntest, s),
            Problem::Darcy {
                ntrain, ntest, r, ..
            } => load_darcy(path, None, ntrain, ntest, r),
            Problem::NavierStokes {
                ntrain,
                ntest,
                t_in,
                t_out,
                ..
            } => load_navier_stokes(path, ntrain, ntest, t_in, t_out),
        }
    }
}

/// What [`run`] returns: our numbers next to the published ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// The experiment as run.
    pub experiment: FnoExperiment,
    /// The data file used.
    pub data_path: PathBuf,
    /// Training history and final metrics.
    pub train: TrainReport,
    /// Our mean relative L2 test error.
    pub test_error: f64,
    /// Published numbers, with our error divided by each.
    pub published: Vec<(Published, f64)>,
    /// The first test sample with the final model's prediction, for plots (`None` without
    /// test samples; not serialised, so `report.json` stays small).
    #[serde(skip)]
    pub sample: Option<SamplePrediction>,
}

impl ExperimentReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises")
    }
}

/// Runs `experiment` on the CPU: see [`run_on`].
///
/// # Errors
/// As [`run_on`].
pub fn run(
    experiment: &FnoExperiment,
    data_path: Option<&Path>,
    out_dir: &Path,
    resume: bool,
    observer: &mut dyn TrainObserver,
) -> Result<ExperimentReport> {
    run_on(
        experiment,
        data_path,
        out_dir,
        resume,
        observer,
        &Device::Cpu,
    )
}

/// Runs `experiment` end to end on `device`: reads `data_path`, or generates the data set into
/// `out_dir/data/` when none is given; trains with checkpoints in `out_dir/checkpoints/`
/// (continuing from the latest when `resume`); writes `out_dir/report.json` (temporary file +
/// rename) and returns the report, with the first test sample's prediction.
///
/// # Errors
/// An existing checkpoint in `out_dir` without `resume` (so nothing is overwritten by
/// accident); data, model, training and file-system errors, each naming what was wrong.
pub fn run_on(
    experiment: &FnoExperiment,
    data_path: Option<&Path>,
    out_dir: &Path,
    resume: bool,
    observer: &mut dyn TrainObserver,
    device: &Device,
) -> Result<ExperimentReport> {
    fs::create_dir_all(out_dir).map_err(|source| Error::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let ckpt_dir = out_dir.join("checkpoints");
    if !resume && latest_checkpoint(&ckpt_dir)?.is_some() {
        return Err(Error::invalid(
            "run",
            format!(
                "{} already holds a checkpoint: resume it, or choose another output directory",
                ckpt_dir.display()
            ),
        ));
    }
    let data_path = match data_path {
        Some(p) => p.to_path_buf(),
        None => experiment.generate(&out_dir.join("data"))?,
    };
    let data = experiment.load(&data_path)?;
    let model = Fno::new(&experiment.model, device)?;
    let mut trainer =
        Trainer::new(model, &data, experiment.train.clone())?.with_checkpoints(&ckpt_dir);
    if resume {
        trainer.resume()?;
    }
    let train = trainer.fit(observer)?;
    let test_error = train.final_test_error;
    let sample = if train.ntest > 0 {
        Some(trainer.predict_sample(0)?)
    } else {
        None
    };
    let report = ExperimentReport {
        experiment: experiment.clone(),
        data_path,
        published: experiment
            .published
            .iter()
            .map(|p| (p.clone(), test_error / p.test_error))
            .collect(),
        test_error,
        train,
        sample,
    };
    crate::train::write_atomic(&out_dir.join("report.json"), report.to_json().as_bytes())?;
    Ok(report)
}
