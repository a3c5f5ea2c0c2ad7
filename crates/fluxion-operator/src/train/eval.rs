//! Prediction, the training loss and evaluation: one model call, or an autoregressive
//! rollout (`fourier_2d_time.py`), decoded to the physical scale.

use fluxion_autodiff::{no_grad, Var};
use fluxion_data::metrics::{pdebench_metrics, MetricOptions};
use fluxion_nn::Module;
use fluxion_tensor::{DType, Tensor};

use super::{PdeBenchSummary, SamplePrediction, Trainer};
use crate::data::to_device;
use crate::loss::{relative_l2, relative_lp_per_sample, Reduction};
use crate::Result;

impl Trainer {
    /// Model calls per sample: target channels / rollout step (1 without a rollout).
    pub(super) fn steps_per_sample(&self) -> usize {
        match self.config.rollout {
            Some(step) => self.y_train.dims().last().copied().unwrap_or(step) / step,
            None => 1,
        }
    }

    pub(super) fn to_model(&self, t: &Tensor) -> Result<Tensor> {
        to_device(&t.to_dtype(self.model.config().dtype)?, self.model.device())
    }

    /// The model's prediction on encoded inputs `x`, decoded: `[B, n…, C_y]` (a rollout
    /// concatenates its steps), and the summed training loss against raw `y` (summed over
    /// rollout steps, as `fourier_2d_time.py`).
    pub(super) fn batch_loss(&self, x: &Var, y: &Var) -> Result<(Var, Var)> {
        let predict = |x: &Var| -> Result<Var> {
            let out = self.model.forward(x)?;
            Ok(match &self.y_norm {
                Some(nrm) => nrm.decode(&out)?,
                None => out,
            })
        };
        match self.config.rollout {
            None => {
                let pred = predict(x)?;
                Ok((relative_l2(&pred, y, Reduction::Sum)?, pred))
            }
            Some(step) => {
                let t_total = *y.dims().last().expect("validated rank");
                let c_in = *x.dims().last().expect("validated rank");
                let mut xx = x.clone();
                let mut loss: Option<Var> = None;
                let mut preds = Vec::new();
                for t in (0..t_total).step_by(step) {
                    let im = predict(&xx)?;
                    let yt = y.narrow(-1, t, step)?;
                    let l = relative_l2(&im, &yt, Reduction::Sum)?;
                    loss = Some(match loss {
                        Some(acc) => acc.add(&l)?,
                        None => l,
                    });
                    xx = Var::concat(&[&xx.narrow(-1, step, c_in - step)?, &im], -1)?;
                    preds.push(im);
                }
                let refs: Vec<&Var> = preds.iter().collect();
                Ok((loss.expect("t_total ≥ step"), Var::concat(&refs, -1)?))
            }
        }
    }

    /// Decoded predictions for raw inputs `x` `[N, n…, C_in]` (encoded here when the trainer
    /// normalises), in batches under `no_grad`; CPU f32 `[N, n…, C_y]`.
    ///
    /// # Errors
    /// Shape errors; op errors.
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        let x = match &self.x_norm {
            Some(n) => n.inner().encode(x)?,
            None => x.clone(),
        };
        let n = x.dims()[0];
        let mut outs = Vec::new();
        let mut start = 0;
        while start < n {
            let len = self.config.eval_batch_size.min(n - start);
            let xb = Var::constant(self.to_model(&x.narrow(0, start, len)?.contiguous()?)?);
            let pred = no_grad(|| -> Result<Tensor> {
                let mut ydims = xb.dims();
                let c_y = match self.config.rollout {
                    Some(_) => *self.y_train.dims().last().expect("rank ≥ 3"),
                    None => self.model.config().out_channels,
                };
                *ydims.last_mut().expect("rank ≥ 3") = c_y;
                // Only the prediction is used; the loss against a ones target is discarded.
                let dummy = Var::constant(Tensor::ones(ydims, xb.dtype(), &xb.device())?);
                Ok(self.batch_loss(&xb, &dummy)?.1.tensor())
            })?;
            outs.push(to_device(
                &pred.to_dtype(DType::F32)?,
                &fluxion_tensor::Device::Cpu,
            )?);
            start += len;
        }
        let refs: Vec<&Tensor> = outs.iter().collect();
        Ok(Tensor::concat(&refs, 0)?)
    }

    /// Test sample `index`, its target and the model's decoded prediction (for plots).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for an index past the test set; op errors.
    pub fn predict_sample(&self, index: usize) -> Result<SamplePrediction> {
        let ntest = self.x_test.dims()[0];
        if index >= ntest {
            return Err(crate::Error::invalid(
                "Trainer::predict_sample",
                format!("test sample {index} of {ntest}"),
            ));
        }
        let x = self.x_test.narrow(0, index, 1)?.contiguous()?;
        let y = self.y_test.narrow(0, index, 1)?.contiguous()?;
        let pred = self.predict(&x)?;
        let rel_l2 = mean_relative_l2(&pred, &y)?;
        let values = |t: &Tensor| -> Result<Vec<f64>> { Ok(t.to_dtype(DType::F64)?.to_vec()?) };
        let (xd, yd) = (x.dims(), y.dims());
        Ok(SamplePrediction {
            index,
            grid: xd[1..xd.len() - 1].to_vec(),
            in_channels: xd[xd.len() - 1],
            out_channels: yd[yd.len() - 1],
            input: values(&x)?,
            truth: values(&y)?,
            prediction: values(&pred)?,
            rel_l2,
        })
    }

    /// Mean over samples of `‖pred − y‖₂ / ‖y‖₂` for raw inputs `x` and raw targets `y`.
    ///
    /// # Errors
    /// Shape errors; op errors.
    pub fn evaluate(&self, x: &Tensor, y: &Tensor) -> Result<f64> {
        mean_relative_l2(&self.predict(x)?, y)
    }

    /// PDEBench metrics of `pred` against the test targets, for 1-D and 2-D problems: channels
    /// become PDEBench's C (one time step), or its T for a rollout.
    pub(super) fn metrics(&self, pred: &Tensor) -> Result<Option<PdeBenchSummary>> {
        let d = self.y_test.rank() - 2;
        if d > 2 {
            return Ok(None);
        }
        let to_pdebench = |t: &Tensor| -> Result<Tensor> {
            let mut perm = vec![0, d + 1];
            perm.extend(1..=d);
            let t = t.permute(&perm)?.contiguous()?; // [B, C, n…]
            let mut dims = t.dims().to_vec();
            let extra = if self.config.rollout.is_some() { 1 } else { 2 };
            dims.insert(extra, 1); // rollout: [B, 1, T, n…]; else [B, C, 1, n…]
            Ok(t.reshape(dims)?)
        };
        let m = pdebench_metrics(
            &to_pdebench(pred)?,
            &to_pdebench(&self.y_test)?,
            &MetricOptions::default(),
        )?;
        Ok(Some(m.mean().into()))
    }
}

/// Mean over samples of the relative L2 error, computed in f64.
pub(super) fn mean_relative_l2(pred: &Tensor, y: &Tensor) -> Result<f64> {
    let p = Var::constant(pred.to_dtype(DType::F64)?);
    let y = Var::constant(y.to_dtype(DType::F64)?);
    let per = no_grad(|| relative_lp_per_sample(&p, &y, 2.0))?;
    let v = per.tensor().to_vec::<f64>()?;
    Ok(v.iter().sum::<f64>() / v.len() as f64)
}
