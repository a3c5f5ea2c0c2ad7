//! What a training run reports: per-epoch records, progress events and the final report.

use fluxion_data::metrics::MetricSummary;
use serde::{Deserialize, Serialize};

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Training loss per sample: Σ over the epoch's batches of the summed relative L2, divided
    /// by `ntrain` (the reference's `train_l2 / ntrain`; for a rollout also divided by the
    /// number of steps, as `train_l2_step / ntrain / (T / step)`).
    pub train_loss: f64,
    /// Mean relative L2 error over the test samples after the epoch (a rollout: of the whole
    /// predicted trajectory, the reference's `test_l2_full / ntest`).
    pub test_error: f64,
    /// Learning rate used during the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the epoch's training (evaluation excluded).
    pub seconds: f64,
    /// Training throughput.
    pub samples_per_sec: f64,
}

/// A progress event for a progress bar: sent after every batch (`test_error` `None`) and once
/// more at the end of each epoch (`test_error` set).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainEvent {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Total epochs of the run.
    pub epochs: usize,
    /// Batches done in this epoch.
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// Mean training loss per sample so far in this epoch.
    pub running_loss: f64,
    /// Training samples per second so far in this epoch.
    pub samples_per_sec: f64,
    /// Current learning rate.
    pub lr: f64,
    /// The epoch's test error, in the end-of-epoch event.
    pub test_error: Option<f64>,
}

/// Receives [`TrainEvent`]s; any `FnMut(&TrainEvent)` closure is one.
pub trait TrainObserver {
    /// Called from the training thread after each batch and each epoch.
    fn observe(&mut self, event: &TrainEvent);
}

impl<F: FnMut(&TrainEvent)> TrainObserver for F {
    fn observe(&mut self, event: &TrainEvent) {
        self(event)
    }
}

/// An observer that ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl TrainObserver for NoObserver {
    fn observe(&mut self, _: &TrainEvent) {}
}

/// PDEBench's metrics averaged over channels and time ([`MetricSummary`], serialisable).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PdeBenchSummary {
    /// RMSE.
    pub rmse: f64,
    /// nRMSE.
    pub nrmse: f64,
    /// cRMSE.
    pub crmse: f64,
    /// Maximum error.
    pub max_error: f64,
    /// bRMSE.
    pub brmse: f64,
    /// fRMSE in the low, mid and high bands.
    pub frmse: [f64; 3],
}

impl From<MetricSummary> for PdeBenchSummary {
    fn from(m: MetricSummary) -> Self {
        PdeBenchSummary {
            rmse: m.rmse,
            nrmse: m.nrmse,
            crmse: m.crmse,
            max_error: m.max_error,
            brmse: m.brmse,
            frmse: m.frmse,
        }
    }
}

/// The result of [`crate::Trainer::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Every epoch, including those done before a resume.
    pub epochs: Vec<EpochRecord>,
    /// Mean relative L2 test error of the final model.
    pub final_test_error: f64,
    /// PDEBench's metrics of the final model on the test set (1-D and 2-D problems).
    pub metrics: Option<PdeBenchSummary>,
    /// Training samples.
    pub ntrain: usize,
    /// Test samples.
    pub ntest: usize,
    /// Trainable scalars (complex weights counted as two).
    pub parameters: usize,
    /// Seconds of training over all epochs (evaluation excluded).
    pub train_seconds: f64,
    /// Mean training throughput over all epochs.
    pub samples_per_sec: f64,
    /// The epoch the run resumed after (0 for a fresh run).
    pub resumed_from: usize,
}

impl TrainReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises")
    }
}

/// One test sample, its target and the model's prediction as plain row-major values, for plots
/// and inspection ([`crate::Trainer::predict_sample`]): `input` is `[n…, C_in]`, `truth` and
/// `prediction` are `[n…, C_y]` on the physical scale (a rollout: C_y is its predicted time
/// steps, in order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplePrediction {
    /// Index in the test set.
    pub index: usize,
    /// Grid points per spatial axis, `n…`.
    pub grid: Vec<usize>,
    /// Input channels C_in.
    pub in_channels: usize,
    /// Output channels C_y.
    pub out_channels: usize,
    /// The input, `[n…, C_in]`.
    pub input: Vec<f64>,
    /// The target, `[n…, C_y]`.
    pub truth: Vec<f64>,
    /// The model's prediction, `[n…, C_y]`.
    pub prediction: Vec<f64>,
    /// ‖prediction − truth‖₂ / ‖truth‖₂ over the sample (the test error's summand).
    pub rel_l2: f64,
}

impl SamplePrediction {
    /// Input channel `c` on the grid, row-major `[n…]`.
    ///
    /// # Panics
    /// `c ≥ in_channels`.
    pub fn input_channel(&self, c: usize) -> Vec<f64> {
        channel(&self.input, self.in_channels, c)
    }

    /// Target channel `c` on the grid, row-major `[n…]`.
    ///
    /// # Panics
    /// `c ≥ out_channels`.
    pub fn truth_channel(&self, c: usize) -> Vec<f64> {
        channel(&self.truth, self.out_channels, c)
    }

    /// Predicted channel `c` on the grid, row-major `[n…]`.
    ///
    /// # Panics
    /// `c ≥ out_channels`.
    pub fn prediction_channel(&self, c: usize) -> Vec<f64> {
        channel(&self.prediction, self.out_channels, c)
    }
}

/// Channel `c` of channel-last `values` with `channels` channels.
fn channel(values: &[f64], channels: usize, c: usize) -> Vec<f64> {
    assert!(c < channels, "channel {c} of {channels}");
    values.iter().skip(c).step_by(channels).copied().collect()
}
