//! Training an [`Fno`] as the reference scripts do (`fourier_1d.py`, `fourier_2d.py`,
//! `fourier_2d_time.py`), with checkpoints that resume exactly.
//!
//! Each epoch: the training samples in the order of
//! [`BatchSampler`]`{ seed, shuffle }.epoch(e)` (a function of `(seed, e)` only), one Adam
//! step per batch on the summed relative L2 loss (`LpLoss(size_average=False)`), then one
//! `StepLR` step, then the mean relative L2 error on the test set under `no_grad`. With
//! normalisers (Darcy), inputs are encoded and the model's output is decoded *inside the graph*
//! before the loss, so the loss and the test error are on the physical scale.
//!
//! With a checkpoint directory, every epoch writes model, optimizer, scheduler, normalisers and
//! history to a fresh `epoch-NNNNNN/` folder and then points `LATEST` at it (temporary file +
//! rename), so an interrupted run resumes from the last complete epoch and continues
//! bit-for-bit as if it had never stopped.

mod checkpoint;
mod eval;
mod report;

use std::path::{Path, PathBuf};
use std::time::Instant;

use fluxion_autodiff::Var;
use fluxion_data::loader::BatchSampler;

use fluxion_nn::optim::{Adam, AdamConfig, LrScheduler, Optimizer, StepLr};
use fluxion_nn::Module;
use fluxion_tensor::{DType, Tensor};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) use checkpoint::write_atomic;
pub use checkpoint::{latest_checkpoint, LATEST_FILE};
pub use report::{
    EpochRecord, NoObserver, PdeBenchSummary, SamplePrediction, TrainEvent, TrainObserver,
    TrainReport,
};

use crate::data::OperatorData;
use crate::{Error, Fno, Result, VarNormalizer};
use eval::mean_relative_l2;

/// Which unit-Gaussian normalisation to fit on the training data (inputs and targets alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// None (Burgers, Navier–Stokes).
    #[default]
    None,
    /// Per grid point (`UnitGaussianNormalizer`, Darcy).
    Pointwise,
    /// One mean and deviation over everything (`GaussianNormalizer`).
    Global,
}

/// Settings of [`Trainer`]; defaults are `fourier_1d.py`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Epochs (default 500).
    pub epochs: usize,
    /// Samples per batch (default 20).
    pub batch_size: usize,
    /// Adam learning rate (default 1e-3).
    pub lr: f64,
    /// Adam L2 weight decay, added to the gradient as `torch.optim.Adam` (default 1e-4).
    pub weight_decay: f64,
    /// StepLR period in epochs (default 50; the first release of `fourier_1d.py` used 100).
    pub step_size: usize,
    /// StepLR factor (default 0.5).
    pub gamma: f64,
    /// Seed of the per-epoch shuffling (default 0).
    pub seed: u64,
    /// Normalisation of inputs and targets (default none).
    pub normalize: Normalization,
    /// Samples per evaluation batch (default 100).
    pub eval_batch_size: usize,
    /// Autoregressive rollout (`fourier_2d_time.py`): the model maps the last `in_channels`
    /// steps to the next `rollout` steps, repeated until the targets' channels are covered,
    /// with the loss summed over the steps. `None` (default): one call maps x to y.
    pub rollout: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 500,
            batch_size: 20,
            lr: 1e-3,
            weight_decay: 1e-4,
            step_size: 50,
            gamma: 0.5,
            seed: 0,
            normalize: Normalization::None,
            eval_batch_size: 100,
            rollout: None,
        }
    }
}

impl TrainConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero batch sizes, step size or rollout, or a learning
    /// rate, decay or factor that is negative or not finite.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::invalid("TrainConfig", reason));
        for (name, v) in [
            ("batch_size", self.batch_size),
            ("eval_batch_size", self.eval_batch_size),
            ("step_size", self.step_size),
        ] {
            if v == 0 {
                return bad(format!("{name} must be ≥ 1, got 0"));
            }
        }
        if self.rollout == Some(0) {
            return bad("rollout must be ≥ 1 step".into());
        }
        for (name, v) in [
            ("lr", self.lr),
            ("weight_decay", self.weight_decay),
            ("gamma", self.gamma),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return bad(format!("{name} must be finite and ≥ 0, got {v}"));
            }
        }
        Ok(())
    }
}

/// Trains an [`Fno`] on an [`OperatorData`] set (see the [module docs](self)).
///
/// ```no_run
/// use fluxion_operator::train::{NoObserver, TrainConfig, Trainer};
/// use fluxion_operator::{data, Fno, FnoConfig};
/// use fluxion_tensor::Device;
/// let data = data::load_burgers("burgers.h5".as_ref(), 1000, 100, 1024)?;
/// let model = Fno::new(&FnoConfig::burgers(), &Device::Cpu)?;
/// let mut t = Trainer::new(model, &data, TrainConfig::default())?.with_checkpoints("run/ckpt");
/// t.resume()?; // no-op on a fresh directory
/// let report = t.fit(&mut NoObserver)?;
/// println!("{}", report.to_json());
/// # Ok::<(), fluxion_operator::Error>(())
/// ```
#[derive(Debug)]
pub struct Trainer {
    model: Fno,
    config: TrainConfig,
    opt: Adam,
    sched: StepLr,
    x_norm: Option<VarNormalizer>,
    y_norm: Option<VarNormalizer>,
    /// Encoded training inputs and raw targets (CPU).
    x_train: Tensor,
    y_train: Tensor,
    /// Raw test inputs and targets (CPU).
    x_test: Tensor,
    y_test: Tensor,
    epoch: usize,
    resumed_from: usize,
    history: Vec<EpochRecord>,
    checkpoint_dir: Option<PathBuf>,
}

impl Trainer {
    /// A trainer at epoch 0: Adam and StepLR over `model`'s parameters, normalisers fitted on
    /// `data`'s training set as `config.normalize` says.
    ///
    /// # Errors
    /// Invalid `config`; `data` whose channels do not fit the model
    /// (`x`: `in_channels`; `y`: `out_channels`, or a multiple of `rollout` with
    /// `out_channels = rollout ≤ in_channels`); normaliser fitting errors.
    pub fn new(model: Fno, data: &OperatorData, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        data.validate()?;
        check_fit(&model, data, &config)?;
        let opt = Adam::new(
            model.parameters(),
            AdamConfig {
                lr: config.lr,
                weight_decay: config.weight_decay,
                ..AdamConfig::default()
            },
        )?;
        let sched = StepLr::new(&opt, config.step_size, config.gamma)?;
        let (dtype, device) = (model.config().dtype, model.device().clone());
        let fit = |t: &Tensor| -> Result<Option<VarNormalizer>> {
            Ok(match config.normalize {
                Normalization::None => None,
                Normalization::Pointwise => Some(VarNormalizer::fit_pointwise(t, dtype, &device)?),
                Normalization::Global => Some(VarNormalizer::fit_global(t, dtype, &device)?),
            })
        };
        let x_norm = fit(&data.x_train)?;
        let y_norm = fit(&data.y_train)?;
        let x_train = match &x_norm {
            Some(n) => n.inner().encode(&data.x_train)?,
            None => data.x_train.clone(),
        };
        Ok(Trainer {
            model,
            config,
            opt,
            sched,
            x_norm,
            y_norm,
            x_train,
            y_train: data.y_train.clone(),
            x_test: data.x_test.clone(),
            y_test: data.y_test.clone(),
            epoch: 0,
            resumed_from: 0,
            history: Vec::new(),
            checkpoint_dir: None,
        })
    }

    /// Writes a checkpoint into `dir` after every epoch (see the [module docs](self)).
    pub fn with_checkpoints(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// The model.
    pub fn model(&self) -> &Fno {
        &self.model
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Changes the number of epochs [`Trainer::fit`] runs to (e.g. to extend a finished run).
    pub fn set_epochs(&mut self, epochs: usize) {
        self.config.epochs = epochs;
    }

    /// Epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Records of the completed epochs.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// The input and target normalisers, if any.
    pub fn normalizers(&self) -> (Option<&VarNormalizer>, Option<&VarNormalizer>) {
        (self.x_norm.as_ref(), self.y_norm.as_ref())
    }

    /// Loads the latest checkpoint of the checkpoint directory, if there is one, and returns
    /// the epoch it was written after (`None`: nothing to resume, the trainer is unchanged).
    ///
    /// # Errors
    /// No checkpoint directory set; a checkpoint written by a different model or training
    /// configuration (named in the message); unreadable or inconsistent files.
    pub fn resume(&mut self) -> Result<Option<usize>> {
        let dir = self.checkpoint_dir.clone().ok_or_else(|| {
            Error::invalid(
                "Trainer::resume",
                "no checkpoint directory (with_checkpoints)",
            )
        })?;
        let Some(ckpt) = latest_checkpoint(&dir)? else {
            return Ok(None);
        };
        self.load_checkpoint(&ckpt)?;
        self.resumed_from = self.epoch;
        tracing::info!(epoch = self.epoch, path = %ckpt.display(), "resumed from checkpoint");
        Ok(Some(self.epoch))
    }

    /// Trains until [`TrainConfig::epochs`] epochs are done, then evaluates, and returns the
    /// report (history including epochs before a resume).
    ///
    /// # Errors
    /// Op errors; checkpoint write errors.
    pub fn fit(&mut self, observer: &mut dyn TrainObserver) -> Result<TrainReport> {
        tracing::info!(
            from_epoch = self.epoch,
            epochs = self.config.epochs,
            ntrain = self.x_train.dims()[0],
            ntest = self.x_test.dims()[0],
            parameters = self.model.parameter_count(),
            "training starts"
        );
        while self.epoch < self.config.epochs {
            self.train_epoch(observer)?;
        }
        let report = self.report()?;
        tracing::info!(
            epochs = report.epochs.len(),
            test_error = report.final_test_error,
            train_seconds = report.train_seconds,
            "training finished"
        );
        Ok(report)
    }

    /// The report of the epochs done so far, with the final test error and PDEBench metrics.
    ///
    /// # Errors
    /// Op errors.
    pub fn report(&self) -> Result<TrainReport> {
        let pred = self.predict(&self.x_test)?;
        let final_test_error = mean_relative_l2(&pred, &self.y_test)?;
        let metrics = self.metrics(&pred)?;
        let train_seconds: f64 = self.history.iter().map(|r| r.seconds).sum();
        let n = self.x_train.dims()[0];
        Ok(TrainReport {
            epochs: self.history.clone(),
            final_test_error,
            metrics,
            ntrain: n,
            ntest: self.x_test.dims()[0],
            parameters: self.model.parameter_count(),
            train_seconds,
            samples_per_sec: if train_seconds > 0.0 {
                (n * self.history.len()) as f64 / train_seconds
            } else {
                0.0
            },
            resumed_from: self.resumed_from,
        })
    }

    /// One epoch: shuffled batches, Adam steps, a StepLR step, evaluation, checkpoint.
    ///
    /// # Errors
    /// Op errors; checkpoint write errors.
    pub fn train_epoch(&mut self, observer: &mut dyn TrainObserver) -> Result<EpochRecord> {
        let e = self.epoch;
        let n = self.x_train.dims()[0];
        let sampler = BatchSampler {
            len: n,
            batch_size: self.config.batch_size,
            shuffle: true,
            drop_last: false,
            seed: self.config.seed,
        };
        let batches = sampler.epoch(e as u64);
        let lr = self.opt.learning_rate();
        let start = Instant::now();
        let (mut total, mut seen) = (0.0f64, 0usize);
        for (bi, idx) in batches.iter().enumerate() {
            let ids = Tensor::from_vec(
                idx.iter().map(|&i| i as i64).collect::<Vec<_>>(),
                [idx.len()],
                self.x_train.device(),
            )?;
            let xb = self.to_model(&self.x_train.index_select(&ids, 0)?)?;
            let yb = self.to_model(&self.y_train.index_select(&ids, 0)?)?;
            self.opt.zero_grad();
            let (loss, _) = self.batch_loss(&Var::constant(xb), &Var::constant(yb))?;
            loss.backward()?;
            self.opt.step()?;
            let batch_loss = loss.tensor().to_dtype(DType::F64)?.to_scalar::<f64>()?;
            total += batch_loss;
            seen += idx.len();
            let secs = start.elapsed().as_secs_f64();
            tracing::trace!(
                epoch = e + 1,
                batch = bi + 1,
                batches = batches.len(),
                samples = idx.len(),
                loss = batch_loss / idx.len() as f64 / self.steps_per_sample() as f64,
                "batch"
            );
            observer.observe(&TrainEvent {
                epoch: e + 1,
                epochs: self.config.epochs,
                batch: bi + 1,
                batches: batches.len(),
                running_loss: total / seen as f64 / self.steps_per_sample() as f64,
                samples_per_sec: seen as f64 / secs.max(1e-12),
                lr,
                test_error: None,
            });
        }
        let seconds = start.elapsed().as_secs_f64();
        self.sched.step(&mut self.opt);
        let test_error = self.evaluate(&self.x_test, &self.y_test)?;
        let record = EpochRecord {
            epoch: e + 1,
            train_loss: total / n as f64 / self.steps_per_sample() as f64,
            test_error,
            lr,
            seconds,
            samples_per_sec: n as f64 / seconds.max(1e-12),
        };
        tracing::info!(
            epoch = record.epoch,
            epochs = self.config.epochs,
            train_loss = record.train_loss,
            test_error,
            lr,
            samples_per_sec = record.samples_per_sec,
            seconds,
            "epoch"
        );
        self.history.push(record.clone());
        self.epoch += 1;
        if let Some(dir) = self.checkpoint_dir.clone() {
            self.save_checkpoint(&dir)?;
        }
        observer.observe(&TrainEvent {
            epoch: e + 1,
            epochs: self.config.epochs,
            batch: batches.len(),
            batches: batches.len(),
            running_loss: record.train_loss,
            samples_per_sec: record.samples_per_sec,
            lr,
            test_error: Some(test_error),
        });
        Ok(record)
    }
}

/// Checks that `data`'s channels fit `model` under `config`.
fn check_fit(model: &Fno, data: &OperatorData, config: &TrainConfig) -> Result<()> {
    let c = model.config();
    let d = c.spatial_dims();
    let xd = data.x_train.dims();
    let yc = *data.y_train.dims().last().expect("validated");
    let ok_x = xd.len() == d + 2 && xd[d + 1] == c.in_channels;
    let ok_y = match config.rollout {
        None => yc == c.out_channels,
        Some(step) => c.out_channels == step && step <= c.in_channels && yc.is_multiple_of(step),
    };
    if ok_x && ok_y {
        return Ok(());
    }
    Err(Error::invalid(
        "Trainer::new",
        format!(
            "data x {xd:?}, y {:?} do not fit the model (d = {d}, in_channels {}, \
             out_channels {}, rollout {:?})",
            data.y_train.dims(),
            c.in_channels,
            c.out_channels,
            config.rollout
        ),
    ))
}

/// Points at `Path` for the checkpoint module.
pub(crate) fn epoch_dir(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("epoch-{epoch:06}"))
}
