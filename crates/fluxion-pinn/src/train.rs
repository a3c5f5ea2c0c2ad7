//! The PINN trainer: a first-order phase (Adam, optionally with a step decay, or SGD) and an
//! optional L-BFGS phase with a strong-Wolfe line search, over the loss Σᵢ wᵢ·MSEᵢ.
//!
//! Each epoch re-draws the points of stochastic samplers (every `resample_every` epochs, from
//! the (seed, epoch) stream), updates adaptive weights, takes one optimizer step, reports to
//! the observer, checkpoints every `checkpoint_every` epochs and refines the residual's points
//! every `refinement.every()` epochs. The L-BFGS phase keeps the last points fixed (as
//! Raissi et al. and DeepXDE do).
//!
//! ```
//! use fluxion_nn::{Activation, Mlp};
//! use fluxion_pinn::{Condition, Domain, FirstOrder, PinnProblem, PinnTrainer, SamplerConfig,
//!     Side, Target, TrainConfig};
//! let domain = Domain::interval("t", 0.0, 1.0)?;
//! let y0 = domain.face("t", Side::Lo)?;
//! let problem = PinnProblem::builder(domain, 1)
//!     .residual(32, SamplerConfig::Grid { counts: None }, |ctx| Ok(vec![ctx.d(0)?.add(ctx.u())?]))
//!     .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(1))
//!     .build()?;
//! let net = Mlp::builder(&[1, 16, 1]).activation(Activation::Tanh).seed(0).build()?;
//! let config = TrainConfig { epochs: 20, optimizer: FirstOrder::adam(1e-2), ..Default::default() };
//! let mut trainer = PinnTrainer::new(problem, net, config)?;
//! let report = trainer.train()?;
//! assert!(report.history.last().unwrap().loss < report.history[0].loss);
//! let err = trainer.evaluate(&Target::scalar(|x| (-x[0]).exp()), &[101])?;
//! assert!(err.rel_l2.is_finite());
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

use std::time::Instant;

use fluxion_autodiff::Var;
use fluxion_nn::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use fluxion_nn::{Lbfgs, LbfgsConfig, LrScheduler, Module, Optimizer, StepLr, StrongWolfe};
use fluxion_tensor::{DType, Device};

use crate::chunks::{self, ChunkLosses};
use crate::condition::Target;
use crate::config::{
    EpochRecord, EvalReport, FirstOrder, LbfgsPhase, Phase, TrainConfig, TrainReport,
};
use crate::geometry::Region;
use crate::problem::{PinnProblem, TermBatch};
use crate::sampler::{mix64, PointSet, SamplerConfig};
use crate::weighting::{gradient_stats, LossWeighting};
use crate::{Error, Result};

/// Observer of every optimizer step (progress bars, logging).
pub type Observer = Box<dyn FnMut(&EpochRecord) + Send>;

/// First-order epochs between two `debug` events of the loss (the others are `trace`).
const LOG_EVERY: u64 = 100;

/// Trains a network on a [`PinnProblem`]; see the module docs.
pub struct PinnTrainer<M: Module> {
    pub(crate) problem: PinnProblem,
    pub(crate) net: M,
    pub(crate) config: TrainConfig,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
    pub(crate) opt: Box<dyn Optimizer>,
    pub(crate) scheduler: Option<StepLr>,
    pub(crate) weighting: LossWeighting,
    /// First-order epochs done.
    pub(crate) epoch: u64,
    /// L-BFGS steps done.
    pub(crate) lbfgs_steps: u64,
    /// Points added by refinement.
    pub(crate) extra: Option<PointSet>,
    /// Residual batch, then one per condition, with the epoch they were drawn for.
    pub(crate) batches: Vec<Option<(u64, TermBatch)>>,
    pub(crate) observer: Option<Observer>,
    pub(crate) history: Vec<EpochRecord>,
    pub(crate) lbfgs_resume: Option<std::path::PathBuf>,
    /// L-BFGS iterations and loss evaluations so far (cumulative over resumes).
    pub(crate) lbfgs_counts: (u64, u64),
}

impl<M: Module> std::fmt::Debug for PinnTrainer<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnTrainer")
            .field("problem", &self.problem)
            .field("config", &self.config)
            .field("epoch", &self.epoch)
            .field("lbfgs_steps", &self.lbfgs_steps)
            .finish()
    }
}

fn first_order(params: Vec<Var>, cfg: &FirstOrder) -> Result<Box<dyn Optimizer>> {
    Ok(match *cfg {
        FirstOrder::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => Box::new(Adam::new(
            params,
            AdamConfig {
                lr,
                betas: (beta1, beta2),
                eps,
                ..Default::default()
            },
        )?),
        FirstOrder::Sgd { lr, momentum } => Box::new(Sgd::new(
            params,
            SgdConfig {
                lr,
                momentum,
                ..Default::default()
            },
        )?),
    })
}

/// A scalar tensor's value as f64.
pub(crate) fn scalar(v: &Var) -> Result<f64> {
    Ok(v.tensor().to_dtype(DType::F64)?.to_scalar::<f64>()?)
}

impl<M: Module> PinnTrainer<M> {
    /// A trainer for `net` (whose parameters fix the dtype and device of the points).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a network without parameters or a bad config;
    /// optimizer errors for bad learning rates.
    pub fn new(problem: PinnProblem, net: M, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let params = net.parameters();
        let Some(p0) = params.first() else {
            return Err(Error::invalid(
                "PinnTrainer::new",
                "the network has no parameters",
            ));
        };
        let (dtype, device) = (p0.dtype(), p0.device());
        let opt = first_order(params, &config.optimizer)?;
        let scheduler = match &config.step_lr {
            Some(s) => Some(StepLr::new(opt.as_ref(), s.step_size, s.gamma)?),
            None => None,
        };
        let weighting = LossWeighting::new(
            config.weighting.clone(),
            problem.static_weights(),
            problem.residual_names.len(),
            config.seed,
        )?;
        let batches = vec![None; 1 + problem.conditions.len()];
        Ok(PinnTrainer {
            problem,
            net,
            config,
            dtype,
            device,
            opt,
            scheduler,
            weighting,
            epoch: 0,
            lbfgs_steps: 0,
            extra: None,
            batches,
            observer: None,
            history: Vec::new(),
            lbfgs_resume: None,
            lbfgs_counts: (0, 0),
        })
    }

    /// Calls `f` after every optimizer step.
    pub fn with_observer(mut self, f: impl FnMut(&EpochRecord) + Send + 'static) -> Self {
        self.observer = Some(Box::new(f));
        self
    }

    /// The network.
    pub fn net(&self) -> &M {
        &self.net
    }

    /// The problem.
    pub fn problem(&self) -> &PinnProblem {
        &self.problem
    }

    /// First-order epochs done so far.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The weights applied now.
    pub fn weights(&self) -> Vec<f64> {
        self.weighting.weights()
    }

    /// L-BFGS iterations and loss evaluations done so far (counted by the optimizer, so
    /// they carry over a resume).
    pub fn lbfgs_counts(&self) -> (u64, u64) {
        self.lbfgs_counts
    }

    /// The history so far.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// Points added by residual-based refinement so far.
    pub fn refined_points(&self) -> Option<&PointSet> {
        self.extra.as_ref()
    }

    /// The stream seed of term `k` (0 the residual, 1.. the conditions).
    fn term_seed(&self, k: usize) -> u64 {
        mix64(self.config.seed ^ mix64(k as u64 + 1))
    }

    /// The epoch whose points term `k` uses at `epoch`.
    fn draw_epoch(&self, stochastic: bool, epoch: u64) -> u64 {
        match self.config.resample_every {
            0 => 0,
            _ if !stochastic => 0,
            r => epoch / r as u64 * r as u64,
        }
    }

    /// Makes sure every term has its points for `epoch`.
    fn refresh(&mut self, epoch: u64) -> Result<()> {
        let p = &self.problem;
        let e = self.draw_epoch(p.residual_sampler.is_stochastic(), epoch);
        if !matches!(&self.batches[0], Some((de, _)) if *de == e) {
            let mut pts = p.residual_sampler.sample(
                &p.domain,
                &Region::Interior,
                p.residual_points,
                self.term_seed(0),
                e,
            )?;
            if let Some(fixed) = &p.residual_fixed {
                pts = pts.concat(fixed)?;
            }
            if let Some(extra) = &self.extra {
                pts = PointSet::new(pts.dim(), pts.coords().to_vec(), None)?.concat(extra)?;
            }
            let batch = TermBatch {
                x: pts.to_tensor(self.dtype, &self.device)?,
                x_hi: None,
                normals: None,
                target: None,
            };
            self.batches[0] = Some((e, batch));
        }
        for k in 0..p.conditions.len() {
            let e = self.draw_epoch(p.conditions[k].sampler.is_stochastic(), epoch);
            if matches!(&self.batches[k + 1], Some((de, _)) if *de == e) {
                continue;
            }
            let pts = p.condition_points(k, self.term_seed(k + 1), e)?;
            let batch = p.condition_batch(k, pts, self.dtype, &self.device)?;
            self.batches[k + 1] = Some((e, batch));
        }
        Ok(())
    }

    /// Every term's loss on the current batches, split into row chunks built in parallel
    /// (see the `chunks` module).
    fn chunk_losses(&self) -> Result<Vec<ChunkLosses>> {
        let batches = self
            .batches
            .iter()
            .map(|b| {
                b.as_ref()
                    .map(|(_, b)| b)
                    .ok_or_else(|| Error::invalid("PinnTrainer", "points not drawn"))
            })
            .collect::<Result<Vec<_>>>()?;
        let p = &self.problem;
        let net: &dyn Module = &self.net;
        let eval = |g: usize, batch: &TermBatch| -> Result<Vec<Var>> {
            if g == 0 {
                p.residual_losses(net, batch)
            } else {
                Ok(vec![p.condition_loss(net, g - 1, batch)?])
            }
        };
        let mut sizes = vec![p.residual_names.len()];
        sizes.extend(std::iter::repeat_n(1, p.conditions.len()));
        // On a GPU one graph per term is best: the kernels already use the whole device, and
        // CPU threads feeding one stream would only add launches.
        let max_chunks = if self.device.is_cpu() {
            self.config.max_chunks
        } else {
            1
        };
        chunks::chunk_losses(&batches, &sizes, max_chunks, &eval)
    }

    fn phase(&self) -> Phase {
        match self.config.optimizer {
            FirstOrder::Adam { .. } => Phase::Adam,
            FirstOrder::Sgd { .. } => Phase::Sgd,
        }
    }

    /// One first-order epoch: points, weights, one optimizer step, observer, checkpoint,
    /// refinement. Returns the epoch's record.
    ///
    /// # Errors
    /// Errors of the residual, the network, the optimizer or the checkpoint.
    pub fn epoch_step(&mut self) -> Result<EpochRecord> {
        let start = Instant::now();
        let epoch = self.epoch;
        self.refresh(epoch)?;
        let chunks = self.chunk_losses()?;
        let params = self.net.parameters();
        if self.weighting.needs_gradients(epoch) {
            let n = chunks[0].terms.len();
            let stats = (0..n)
                .map(|k| {
                    let only: Vec<Option<f64>> = (0..n).map(|j| (j == k).then_some(1.0)).collect();
                    gradient_stats(&chunks::weighted_gradient(&chunks, &only, &params, true)?)
                })
                .collect::<Result<Vec<_>>>()?;
            self.weighting.update_gradients(&stats)?;
        }
        let values = chunks::term_values(&chunks)?;
        self.weighting.update_losses(&values, epoch)?;
        let weights = self.weighting.weights();
        let lr = self.opt.learning_rate();
        let all: Vec<Option<f64>> = weights.iter().copied().map(Some).collect();
        let grads = chunks::weighted_gradient(&chunks, &all, &params, false)?;
        drop(chunks);
        for (p, g) in params.iter().zip(grads) {
            p.set_grad(Some(g));
        }
        self.opt.step()?;
        if let Some(s) = &mut self.scheduler {
            s.step(self.opt.as_mut());
        }
        let loss = values.iter().zip(&weights).map(|(l, w)| l * w).sum();
        self.epoch += 1;
        let record = EpochRecord {
            epoch,
            phase: self.phase(),
            loss,
            terms: values,
            weights,
            lr,
            ms: start.elapsed().as_secs_f64() * 1e3,
        };
        self.after_step(&record)?;
        let e = self.epoch;
        if e.is_multiple_of(LOG_EVERY) || e == self.config.epochs as u64 {
            tracing::debug!(phase = ?record.phase, epoch = e, loss, lr, ms = record.ms, "epoch");
        } else {
            tracing::trace!(phase = ?record.phase, epoch = e, loss, lr, ms = record.ms, "epoch");
        }
        if self.config.checkpoint_every > 0 && e.is_multiple_of(self.config.checkpoint_every as u64)
        {
            self.save_checkpoint(Phase::Adam)?;
            self.log_checkpoint(record.phase);
        }
        if let Some(r) = self.config.refinement.clone() {
            if e.is_multiple_of(r.every() as u64) {
                self.refine(&r, e)?;
            }
        }
        Ok(record)
    }

    /// The `info` event of a checkpoint just written (nothing without a checkpoint directory).
    fn log_checkpoint(&self, phase: Phase) {
        if let Some(dir) = &self.config.checkpoint_dir {
            tracing::info!(
                ?phase,
                epoch = self.epoch,
                lbfgs_steps = self.lbfgs_steps,
                dir = %dir.display(),
                "checkpoint written"
            );
        }
    }

    fn after_step(&mut self, record: &EpochRecord) -> Result<()> {
        if !record.loss.is_finite() {
            return Err(Error::invalid(
                "PinnTrainer",
                format!(
                    "the loss became {} at {:?} step {} (terms {:?}); lower the learning rate",
                    record.loss, record.phase, record.epoch, record.terms
                ),
            ));
        }
        if let Some(obs) = &mut self.observer {
            obs(record);
        }
        self.history.push(record.clone());
        Ok(())
    }

    /// Adds points chosen by `r` from a uniform pool to the residual's set.
    fn refine(&mut self, r: &crate::refine::Refinement, epoch: u64) -> Result<()> {
        let seed = mix64(self.config.seed ^ 0xA11C_E5ED);
        let pool = SamplerConfig::Random.sample(
            &self.problem.domain,
            &Region::Interior,
            r.candidates(),
            seed,
            epoch,
        )?;
        let mags = self
            .problem
            .residual_magnitude(&self.net, &pool, self.dtype, &self.device)?;
        let idx = r.select(&mags, mix64(seed ^ epoch))?;
        let chosen = pool.select(&idx)?;
        self.extra = Some(match &self.extra {
            Some(e) => e.concat(&chosen)?,
            None => chosen,
        });
        self.batches[0] = None;
        Ok(())
    }

    /// Runs the remaining first-order epochs, then the L-BFGS phase if configured.
    ///
    /// # Errors
    /// As [`PinnTrainer::epoch_step`] and [`PinnTrainer::run_lbfgs`].
    pub fn train(&mut self) -> Result<TrainReport> {
        // A resumed trainer starts past epoch 0 (or into the L-BFGS phase).
        tracing::info!(
            phase = ?self.phase(),
            epoch = self.epoch,
            epochs = self.config.epochs,
            lbfgs_steps = self.lbfgs_steps,
            lbfgs_phase_steps = self.config.lbfgs.map_or(0, |l| l.steps),
            "training starts"
        );
        let t0 = Instant::now();
        while self.epoch < self.config.epochs as u64 {
            self.epoch_step()?;
        }
        let first_order_seconds = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        if let Some(lb) = self.config.lbfgs {
            tracing::info!(
                from = ?self.phase(),
                to = ?Phase::Lbfgs,
                epoch = self.epoch,
                loss = self.history.last().map_or(f64::NAN, |r| r.loss),
                "phase change"
            );
            self.run_lbfgs(lb)?;
        }
        let lbfgs_seconds = t1.elapsed().as_secs_f64();
        let fo: Vec<f64> = self
            .history
            .iter()
            .filter(|r| r.phase != Phase::Lbfgs)
            .map(|r| r.ms)
            .collect();
        Ok(TrainReport {
            term_names: self.problem.term_names(),
            final_loss: self.history.last().map_or(f64::NAN, |r| r.loss),
            history: self.history.clone(),
            first_order_seconds,
            lbfgs_seconds,
            ms_per_epoch: if fo.is_empty() {
                0.0
            } else {
                fo.iter().sum::<f64>() / fo.len() as f64
            },
        })
    }

    /// The L-BFGS phase on the current points with frozen weights: `phase.steps` calls of
    /// [`Optimizer::step_with`], each up to `max_iter` iterations with a strong-Wolfe search.
    /// With `stop_when_converged` the phase ends when a call stops before its iteration
    /// and evaluation budgets, i.e. on a tolerance (gradient, step or loss change).
    ///
    /// # Errors
    /// Errors of the loss evaluation or the optimizer.
    pub fn run_lbfgs(&mut self, phase: LbfgsPhase) -> Result<()> {
        let cfg = LbfgsConfig {
            lr: phase.lr,
            max_iter: phase.max_iter,
            max_eval: None,
            tolerance_grad: phase.tolerance_grad,
            tolerance_change: phase.tolerance_change,
            history_size: phase.history_size,
            line_search: Some(StrongWolfe::default()),
            curvature: phase.curvature.test(),
        };
        let mut lbfgs = Lbfgs::new(self.net.parameters(), cfg)?;
        if let Some(path) = self.lbfgs_resume.take() {
            fluxion_nn::load_optimizer(path, &mut lbfgs)?;
        }
        self.refresh(self.epoch)?;
        let weights = self.weighting.weights();
        let max_eval = cfg.max_eval() as u64;
        let mut reason = "step budget spent";
        while self.lbfgs_steps < phase.steps as u64 {
            let start = Instant::now();
            let (iter0, eval0) = (lbfgs.n_iter(), lbfgs.func_evals());
            let mut first: Option<Vec<f64>> = None;
            let mut failure: Option<Error> = None;
            let this = &*self;
            let all: Vec<Option<f64>> = weights.iter().copied().map(Some).collect();
            let mut eval = || -> Result<f64> {
                let chunks = this.chunk_losses()?;
                let params = this.net.parameters();
                let grads = chunks::weighted_gradient(&chunks, &all, &params, false)?;
                for (p, g) in params.iter().zip(grads) {
                    p.set_grad(Some(g));
                }
                let values = chunks::term_values(&chunks)?;
                let total = values.iter().zip(&weights).map(|(l, w)| l * w).sum();
                if first.is_none() {
                    first = Some(values);
                }
                Ok(total)
            };
            // The optimizer's closure speaks fluxion_nn's error type: keep ours aside and
            // hand it a placeholder, then report ours.
            let loss = lbfgs.step_with(&mut || {
                eval().map_err(|e| {
                    let reason = e.to_string();
                    failure = Some(e);
                    fluxion_nn::Error::InvalidArgument {
                        what: "PinnTrainer::run_lbfgs",
                        reason,
                    }
                })
            });
            if let Some(e) = failure {
                return Err(e);
            }
            let loss = loss?;
            self.lbfgs_counts = (lbfgs.n_iter(), lbfgs.func_evals());
            let converged = lbfgs.n_iter() - iter0 < phase.max_iter as u64
                && lbfgs.func_evals() - eval0 < max_eval;
            let record = EpochRecord {
                epoch: self.lbfgs_steps,
                phase: Phase::Lbfgs,
                loss,
                terms: first.unwrap_or_default(),
                weights: weights.clone(),
                lr: phase.lr,
                ms: start.elapsed().as_secs_f64() * 1e3,
            };
            self.lbfgs_steps += 1;
            tracing::debug!(
                step = self.lbfgs_steps,
                loss,
                iterations = lbfgs.n_iter() - iter0,
                evaluations = lbfgs.func_evals() - eval0,
                ms = record.ms,
                "L-BFGS step"
            );
            self.after_step(&record)?;
            if self.config.checkpoint_every > 0 {
                self.save_checkpoint_with(Phase::Lbfgs, &lbfgs)?;
                self.log_checkpoint(Phase::Lbfgs);
            }
            if converged && phase.stop_when_converged {
                reason = "converged (a step stopped on a tolerance)";
                break;
            }
        }
        tracing::info!(
            reason,
            steps = self.lbfgs_steps,
            iterations = self.lbfgs_counts.0,
            evaluations = self.lbfgs_counts.1,
            loss = self.history.last().map_or(f64::NAN, |r| r.loss),
            "L-BFGS finished"
        );
        Ok(())
    }

    /// Relative L2 and max error of the network against `reference` on a grid of `counts`
    /// points per axis over the whole domain (ends included).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for counts that do not match the domain or a reference whose
    /// norm is zero; network errors.
    pub fn evaluate(&self, reference: &Target, counts: &[usize]) -> Result<EvalReport> {
        evaluate(&self.problem, &self.net, reference, counts)
    }

    /// The grid [`PinnTrainer::evaluate`] scores on (`counts` points per axis over the whole
    /// domain, ends included, the last axis fastest) and the network's outputs there,
    /// row-major `[points, outputs]`: for plots of the prediction against the reference.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for counts that do not match the domain; network errors.
    pub fn predict_grid(&self, counts: &[usize]) -> Result<(PointSet, Vec<f64>)> {
        predict_grid(&self.problem, &self.net, counts)
    }
}

/// [`PinnTrainer::predict_grid`] for any network.
fn predict_grid(
    problem: &PinnProblem,
    net: &dyn Module,
    counts: &[usize],
) -> Result<(PointSet, Vec<f64>)> {
    let params = net.parameters();
    let (dtype, device) = params
        .first()
        .map_or((DType::F64, Device::Cpu), |p| (p.dtype(), p.device()));
    let grid = SamplerConfig::Grid {
        counts: Some(counts.to_vec()),
    }
    .sample(&problem.domain, &Region::Interior, 1, 0, 0)?;
    let u = problem.predict(net, &grid, dtype, &device)?;
    Ok((grid, u))
}

/// [`PinnTrainer::evaluate`] for any network.
///
/// # Errors
/// As [`PinnTrainer::evaluate`].
pub fn evaluate(
    problem: &PinnProblem,
    net: &dyn Module,
    reference: &Target,
    counts: &[usize],
) -> Result<EvalReport> {
    let (grid, u) = predict_grid(problem, net, counts)?;
    let m = problem.outputs;
    let truth = reference.eval_all(&grid, m);
    let (mut num, mut den, mut max) = (0.0f64, 0.0f64, 0.0f64);
    for (a, b) in u.iter().zip(&truth) {
        num += (a - b) * (a - b);
        den += b * b;
        max = max.max((a - b).abs());
    }
    if den == 0.0 {
        return Err(Error::invalid(
            "evaluate",
            "the reference is zero on the grid",
        ));
    }
    Ok(EvalReport {
        rel_l2: (num / den).sqrt(),
        max_abs: max,
        points: grid.len(),
    })
}
