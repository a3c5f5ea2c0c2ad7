//! Trainer checkpoints: the model, the optimizer and the trainer's own state (epoch, phase,
//! adaptive weights, scheduler, refined points) in `dir/latest/`, replaced atomically.
//!
//! A checkpoint is written into `dir/latest.tmp/` through [`fluxion_nn::save_checkpoint`]
//! (model + optimizer safetensors; the trainer state as exact f64 text in the model file's
//! metadata), then swapped in by renames: `latest` → `latest.old`, `latest.tmp` → `latest`,
//! remove `latest.old`. A crash at any point leaves either `latest` or `latest.old` complete,
//! and [`PinnTrainer::resume`] reads whichever exists.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fluxion_nn::{LrScheduler, Module, Optimizer};

use crate::config::Phase;
use crate::sampler::PointSet;
use crate::train::PinnTrainer;
use crate::{Error, Result};

const LATEST: &str = "latest";
const TMP: &str = "latest.tmp";
const OLD: &str = "latest.old";

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn remove_dir(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path, e)),
        _ => Ok(()),
    }
}

/// The newest complete checkpoint directory under `dir`, if any.
pub fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    [LATEST, OLD]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.join(fluxion_nn::MODEL_FILE).is_file())
}

fn parse_f64(key: &str, v: &str) -> Result<f64> {
    v.parse::<f64>().map_err(|_| {
        Error::invalid(
            "PinnTrainer::resume",
            format!("checkpoint entry {key} = {v:?} is not a number"),
        )
    })
}

impl<M: Module> PinnTrainer<M> {
    fn metadata(&self, phase: Phase) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let tag = if phase == Phase::Lbfgs {
            "lbfgs"
        } else {
            "first_order"
        };
        m.insert("pinn.phase".into(), tag.into());
        m.insert("pinn.epoch".into(), self.epoch.to_string());
        m.insert("pinn.lbfgs_steps".into(), self.lbfgs_steps.to_string());
        m.insert("pinn.seed".into(), self.config.seed.to_string());
        m.insert("pinn.terms".into(), self.problem.term_names().join(","));
        for (k, v) in self.weighting.state() {
            m.insert(format!("pinn.weight.{k}"), format!("{v:?}"));
        }
        if let Some(s) = &self.scheduler {
            for (k, v) in s.state() {
                m.insert(format!("pinn.sched.{k}"), format!("{v:?}"));
            }
        }
        if let Some(e) = &self.extra {
            m.insert("pinn.extra.dim".into(), e.dim().to_string());
            let text: Vec<String> = e.coords().iter().map(|c| format!("{c:?}")).collect();
            m.insert("pinn.extra.coords".into(), text.join(","));
        }
        m
    }

    fn write_checkpoint(&self, phase: Phase, opt: &dyn Optimizer) -> Result<()> {
        let Some(dir) = &self.config.checkpoint_dir else {
            return Ok(());
        };
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let (tmp, latest, old) = (dir.join(TMP), dir.join(LATEST), dir.join(OLD));
        remove_dir(&tmp)?;
        fluxion_nn::save_checkpoint(&tmp, &self.net, Some(opt), &self.metadata(phase))?;
        remove_dir(&old)?;
        if latest.exists() {
            fs::rename(&latest, &old).map_err(|e| io(&latest, e))?;
        }
        fs::rename(&tmp, &latest).map_err(|e| io(&tmp, e))?;
        remove_dir(&old)
    }

    /// Saves a first-order checkpoint now (into `checkpoint_dir`; nothing without one).
    pub(crate) fn save_checkpoint(&self, phase: Phase) -> Result<()> {
        self.write_checkpoint(phase, self.opt.as_ref())
    }

    /// Saves an L-BFGS-phase checkpoint.
    pub(crate) fn save_checkpoint_with(&self, phase: Phase, opt: &dyn Optimizer) -> Result<()> {
        self.write_checkpoint(phase, opt)
    }

    /// Saves a checkpoint of the first-order phase into `checkpoint_dir` now.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without a `checkpoint_dir`; I/O and checkpoint errors.
    pub fn checkpoint(&self) -> Result<()> {
        if self.config.checkpoint_dir.is_none() {
            return Err(Error::invalid(
                "PinnTrainer::checkpoint",
                "no checkpoint_dir set",
            ));
        }
        self.save_checkpoint(Phase::Adam)
    }

    /// Restores the newest checkpoint under `dir` (written by a trainer with the same
    /// problem, network and config): parameters, optimizer state, epoch, weights, scheduler
    /// and refined points. Training then continues exactly where it stopped: the points of
    /// epoch e come from the (seed, e) stream either way.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when there is no checkpoint or it was written for other
    /// terms or seed; checkpoint errors (shapes, optimizer kind).
    pub fn resume(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let what = "PinnTrainer::resume";
        let path = latest_checkpoint(dir).ok_or_else(|| {
            Error::invalid(what, format!("no checkpoint under {}", dir.display()))
        })?;
        let model_meta = fluxion_nn::load_tensors(path.join(fluxion_nn::MODEL_FILE))?.1;
        let get = |k: &str| {
            model_meta
                .get(k)
                .ok_or_else(|| Error::invalid(what, format!("checkpoint lacks {k}")))
        };
        let terms = self.problem.term_names().join(",");
        if get("pinn.terms")? != &terms || get("pinn.seed")? != &self.config.seed.to_string() {
            return Err(Error::invalid(
                what,
                format!(
                    "the checkpoint is for terms {:?} and seed {}, this trainer has {terms:?} and {}",
                    get("pinn.terms")?,
                    get("pinn.seed")?,
                    self.config.seed
                ),
            ));
        }
        let lbfgs = get("pinn.phase")? == "lbfgs";
        if lbfgs {
            fluxion_nn::load_checkpoint(&path, &self.net, None)?;
            self.lbfgs_resume = Some(path.join(fluxion_nn::OPTIMIZER_FILE));
        } else {
            fluxion_nn::load_checkpoint(&path, &self.net, Some(self.opt.as_mut()))?;
        }
        let int = |k: &str| -> Result<u64> {
            let v = get(k)?;
            v.parse::<u64>()
                .map_err(|_| Error::invalid(what, format!("{k} = {v:?} is not a count")))
        };
        self.epoch = int("pinn.epoch")?;
        self.lbfgs_steps = int("pinn.lbfgs_steps")?;
        let section = |prefix: &str| -> Result<BTreeMap<String, f64>> {
            model_meta
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), k, v)))
                .map(|(s, k, v)| Ok((s, parse_f64(k, v)?)))
                .collect()
        };
        self.weighting.load_state(&section("pinn.weight.")?)?;
        if let Some(s) = &mut self.scheduler {
            s.load_state(&section("pinn.sched.")?)?;
        }
        self.extra = match model_meta.get("pinn.extra.coords") {
            Some(text) => {
                let dim = int("pinn.extra.dim")? as usize;
                let coords = text
                    .split(',')
                    .map(|c| parse_f64("pinn.extra.coords", c))
                    .collect::<Result<Vec<_>>>()?;
                Some(PointSet::new(dim, coords, None)?)
            }
            None => None,
        };
        self.batches.iter_mut().for_each(|b| *b = None);
        tracing::info!(
            epoch = self.epoch,
            lbfgs_steps = self.lbfgs_steps,
            phase = if lbfgs { "lbfgs" } else { "adam" },
            path = %path.display(),
            "resumed from checkpoint"
        );
        Ok(())
    }
}
