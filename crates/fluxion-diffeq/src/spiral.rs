//! torchdiffeq's spiral demo (`examples/ode_demo.py`, Chen et al. 2018): fit a neural ODE to a
//! cubic spiral.
//!
//! True dynamics `y' = (y³) A`, `A = [[−0.1, 2], [−2, −0.1]]`, `y₀ = (2, 0)`, 1000 points on
//! `[0, 25]` solved with Dopri5 (rtol 1e-7, atol 1e-9). The model is
//! `Linear(2, 50)–tanh–Linear(50, 2)` applied to `y³`, weights `N(0, 0.1)`, zero biases; each
//! iteration fits 20 random windows of 10 steps with the L1 loss and RMSprop (lr 1e-3).
//!
//! ```no_run
//! use fluxion_diffeq::spiral::{train_spiral, SpiralConfig};
//! let report = train_spiral(&SpiralConfig::default())?;
//! println!("L1 {:.4}, {:.2} ms/iter", report.final_l1, report.ms_per_iter);
//! # Ok::<(), fluxion_diffeq::Error>(())
//! ```

use std::time::Instant;

use fluxion_autodiff::{no_grad, Var};
use fluxion_nn::loss::l1_loss;
use fluxion_nn::optim::{RmsProp, RmsPropConfig};
use fluxion_nn::{init, Activation, Mlp, Optimizer};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::neural_ode::{GradientMode, NeuralOde};
use crate::options::{Options, SaveAt};
use crate::solve::solve;
use crate::tableau::Method;

/// `A` of the true dynamics `y' = (y³) A` (row vector times matrix).
pub const SPIRAL_A: [[f64; 2]; 2] = [[-0.1, 2.0], [-2.0, -0.1]];

/// Settings of the spiral demo; [`Default`] is the reference workload.
///
/// Serialises as a flat TOML/JSON table; a table may name only what differs from the
/// defaults, and an unknown key is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SpiralConfig {
    /// Number of points of the true trajectory (1000).
    pub data_size: usize,
    /// End of the time span `[0, t_end]` (25).
    pub t_end: f64,
    /// Steps per training window (10).
    pub batch_time: usize,
    /// Windows per batch (20).
    pub batch_size: usize,
    /// Training iterations (2000).
    pub iters: usize,
    /// RMSprop learning rate (1e-3).
    pub lr: f64,
    /// Seed of the weights and of the batch sampler (0).
    pub seed: u64,
    /// How gradients are obtained: backpropagation through the solver's operations
    /// (`backprop`, torchdiffeq's `odeint`) or the continuous adjoint (`adjoint`).
    pub mode: GradientMode,
    /// Floating-point type of the model and the data (`f64`).
    #[serde(with = "float_dtype")]
    #[schemars(schema_with = "float_dtype::schema")]
    pub dtype: DType,
    /// Relative tolerance of the training solves (1e-7, torchdiffeq's default).
    pub rtol: f64,
    /// Absolute tolerance of the training solves (1e-9, torchdiffeq's default).
    pub atol: f64,
}

/// Serde of a floating [`DType`] by its short name (`f32`, `f64`).
mod float_dtype {
    use fluxion_tensor::DType;
    use serde::{de, Deserialize, Deserializer, Serializer};

    const NAMES: [&str; 2] = ["f32", "f64"];

    pub fn serialize<S: Serializer>(d: &DType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(d.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DType, D::Error> {
        let name = String::deserialize(d)?;
        match name.parse::<DType>() {
            Ok(dt @ (DType::F32 | DType::F64)) => Ok(dt),
            _ => Err(de::Error::invalid_value(
                de::Unexpected::Str(&name),
                &"a floating dtype: f32 or f64",
            )),
        }
    }

    pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": NAMES })
    }
}

impl Default for SpiralConfig {
    fn default() -> Self {
        SpiralConfig {
            data_size: 1000,
            t_end: 25.0,
            batch_time: 10,
            batch_size: 20,
            iters: 2000,
            lr: 1e-3,
            seed: 0,
            mode: GradientMode::Backprop,
            dtype: DType::F64,
            rtol: 1e-7,
            atol: 1e-9,
        }
    }
}

/// The true trajectory.
#[derive(Debug, Clone)]
pub struct SpiralData {
    /// `data_size` evenly spaced times on `[0, t_end]`.
    pub ts: Vec<f64>,
    /// `y(ts)`, shape `[data_size, 2]`.
    pub ys: Tensor,
}

/// The result of [`train_spiral`].
#[derive(Debug, Clone)]
pub struct SpiralReport {
    /// Batch loss of every iteration.
    pub losses: Vec<f64>,
    /// Mean |prediction − truth| over the whole trajectory before training.
    pub initial_l1: f64,
    /// The same after training.
    pub final_l1: f64,
    /// Wall-clock milliseconds per training iteration (iterations after the 50th when there
    /// are more than 100, as the torchdiffeq anchor script measures).
    pub ms_per_iter: f64,
}

/// Solves the true dynamics with Dopri5 (rtol 1e-7, atol 1e-9) at `data_size` points.
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for fewer than two points;
/// solver and tensor errors.
pub fn spiral_data(cfg: &SpiralConfig) -> Result<SpiralData> {
    if cfg.data_size < 2 {
        return Err(invalid("data_size", "needs at least two points"));
    }
    let n = cfg.data_size;
    let ts: Vec<f64> = (0..n)
        .map(|i| cfg.t_end * i as f64 / (n - 1) as f64)
        .collect();
    let a = SPIRAL_A;
    let sol = solve(
        Method::Dopri5,
        |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
            let (u0, u1) = (y[0].powi(3), y[1].powi(3));
            dy[0] = u0 * a[0][0] + u1 * a[1][0];
            dy[1] = u0 * a[0][1] + u1 * a[1][1];
            Ok(())
        },
        (ts[0], ts[n - 1]),
        &vec![2.0, 0.0],
        &Options::adaptive(1e-7, 1e-9).save(SaveAt::Times(ts.clone())),
    )?;
    let flat: Vec<f64> = sol.ys.iter().flatten().copied().collect();
    let ys = Tensor::from_vec(flat, [n, 2], &Device::Cpu)?.to_dtype(cfg.dtype)?;
    Ok(SpiralData { ts, ys })
}

/// The demo's model: `Linear(2, 50)–tanh–Linear(50, 2)` on `y³`, weights `N(0, 0.1)`, zero
/// biases, solved by Dopri5 at the configured tolerances and gradient mode.
///
/// # Errors
/// Network construction errors.
pub fn spiral_model(cfg: &SpiralConfig) -> Result<NeuralOde<Mlp>> {
    let net = Mlp::builder(&[2, 50, 2])
        .activation(Activation::Tanh)
        .dtype(cfg.dtype)
        .seed(cfg.seed)
        .build()?;
    let mut gen = Generator::new(cfg.seed);
    for layer in net.layers() {
        let w = layer.weight();
        w.set_value(init::normal(
            0.0,
            0.1,
            w.dims(),
            cfg.dtype,
            &Device::Cpu,
            &mut gen,
        )?)?;
        if let Some(b) = layer.bias() {
            b.set_value(b.tensor().zeros_like()?)?;
        }
    }
    Ok(NeuralOde::new(net)
        .cube_input(true)
        .tolerances(cfg.rtol, cfg.atol)
        .gradient_mode(cfg.mode))
}

/// Mean |prediction − truth| over the whole trajectory from `y₀ = (2, 0)`.
///
/// # Errors
/// Solver and tensor errors.
pub fn trajectory_l1(model: &NeuralOde<Mlp>, data: &SpiralData) -> Result<f64> {
    let y0 = Var::constant(data.ys.narrow(0, 0, 1)?);
    let pred = no_grad(|| model.forward(&y0, &data.ts))?;
    let n = data.ts.len();
    let err = pred
        .tensor()
        .reshape([n, 2])?
        .sub(&data.ys)?
        .abs()?
        .mean_all()?;
    Ok(err.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator for batch sampling.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `k` distinct values of `0..n` (partial Fisher–Yates), like NumPy's
    /// `choice(n, k, replace=False)`.
    fn choose(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + (self.next() % (n - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(k.min(n));
        pool
    }
}

/// A batch: initial states `[B, 2]`, window times, targets `[T, B, 2]`.
fn get_batch(
    data: &SpiralData,
    cfg: &SpiralConfig,
    rng: &mut SplitMix64,
) -> Result<(Var, Vec<f64>, Var)> {
    let starts = rng.choose(data.ts.len() - cfg.batch_time, cfg.batch_size);
    let ids = |off: usize| -> Result<Tensor> {
        let v: Vec<i64> = starts.iter().map(|&s| (s + off) as i64).collect();
        Ok(Tensor::from_vec(v, [starts.len()], &Device::Cpu)?)
    };
    let y0 = data.ys.index_select(&ids(0)?, 0)?;
    let targets = (0..cfg.batch_time)
        .map(|i| Ok(data.ys.index_select(&ids(i)?, 0)?))
        .collect::<Result<Vec<Tensor>>>()?;
    let by = Tensor::stack(&targets.iter().collect::<Vec<_>>(), 0)?;
    Ok((
        Var::constant(y0),
        data.ts[..cfg.batch_time].to_vec(),
        Var::constant(by),
    ))
}

/// The demo's training state: data, model, optimizer and batch sampler, one
/// [`SpiralTrainer::step`] per iteration (used by [`train_spiral`] and the benches).
#[derive(Debug)]
pub struct SpiralTrainer {
    cfg: SpiralConfig,
    data: SpiralData,
    model: NeuralOde<Mlp>,
    opt: RmsProp,
    rng: SplitMix64,
}

impl SpiralTrainer {
    /// The true trajectory, the initialised model and RMSprop.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when a window does not fit
    /// the data; solver, network and optimizer errors.
    pub fn new(cfg: &SpiralConfig) -> Result<Self> {
        if cfg.batch_time < 2 || cfg.batch_time >= cfg.data_size {
            return Err(invalid("batch_time", "needs 2 ≤ batch_time < data_size"));
        }
        if cfg.batch_size == 0 {
            return Err(invalid("batch_size", "needs at least one window"));
        }
        let data = spiral_data(cfg)?;
        let model = spiral_model(cfg)?;
        let rms = RmsPropConfig {
            lr: cfg.lr,
            ..RmsPropConfig::default()
        };
        let opt = RmsProp::new(model.parameters(), rms)?;
        Ok(SpiralTrainer {
            cfg: cfg.clone(),
            data,
            model,
            opt,
            rng: SplitMix64(cfg.seed),
        })
    }

    /// One iteration: sample a batch, solve, L1 loss, gradients, RMSprop step. Returns the
    /// batch loss.
    ///
    /// # Errors
    /// Solver, network and optimizer errors.
    pub fn step(&mut self) -> Result<f64> {
        self.opt.zero_grad();
        let (y0, ts, target) = get_batch(&self.data, &self.cfg, &mut self.rng)?;
        let loss = self
            .model
            .loss_backward(&y0, &ts, |pred| Ok(l1_loss(pred, &target)?))?;
        self.opt.step()?;
        Ok(loss)
    }

    /// Mean |prediction − truth| over the whole trajectory (see [`trajectory_l1`]).
    ///
    /// # Errors
    /// Solver and tensor errors.
    pub fn trajectory_l1(&self) -> Result<f64> {
        trajectory_l1(&self.model, &self.data)
    }

    /// The model being trained.
    pub fn model(&self) -> &NeuralOde<Mlp> {
        &self.model
    }
}

/// Trains the spiral model and reports the loss curve, the full-trajectory L1 error before and
/// after, and the time per iteration.
///
/// # Errors
/// As [`SpiralTrainer::new`] and [`SpiralTrainer::step`].
pub fn train_spiral(cfg: &SpiralConfig) -> Result<SpiralReport> {
    train_spiral_observed(cfg, |_, _| {})
}

/// [`train_spiral`], calling `observe(iteration, batch_loss)` after every iteration (progress
/// bars, logs).
///
/// # Errors
/// As [`train_spiral`].
pub fn train_spiral_observed(
    cfg: &SpiralConfig,
    mut observe: impl FnMut(usize, f64),
) -> Result<SpiralReport> {
    let mut trainer = SpiralTrainer::new(cfg)?;
    let initial_l1 = trainer.trajectory_l1()?;
    let mut losses = Vec::with_capacity(cfg.iters);
    let warmup = if cfg.iters > 100 { 50 } else { 0 };
    let mut start = Instant::now();
    for it in 0..cfg.iters {
        if it == warmup {
            start = Instant::now();
        }
        let loss = trainer.step()?;
        observe(it, loss);
        losses.push(loss);
    }
    let timed = (cfg.iters - warmup).max(1);
    let ms_per_iter = start.elapsed().as_secs_f64() * 1e3 / timed as f64;
    let final_l1 = trainer.trajectory_l1()?;
    Ok(SpiralReport {
        losses,
        initial_l1,
        final_l1,
        ms_per_iter,
    })
}
