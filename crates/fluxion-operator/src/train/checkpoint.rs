//! The trainer's checkpoint directory.
//!
//! ```text
//! dir/LATEST                      "epoch-000012" (replaced by temporary file + rename)
//! dir/epoch-000012/model.safetensors      parameters; metadata: epoch, configs (JSON)
//! dir/epoch-000012/optimizer.safetensors  Adam's moments and step counts
//! dir/epoch-000012/state.safetensors      normalisers, history (f64), scheduler in metadata
//! ```
//!
//! A folder is complete before `LATEST` names it, and older folders are removed only after,
//! so a crash at any point leaves a loadable checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use fluxion_nn::optim::LrScheduler;
use fluxion_nn::{load_checkpoint, load_tensors, save_checkpoint, save_tensors};
use fluxion_tensor::{DType, Device, Tensor};

use super::{epoch_dir, EpochRecord, Trainer};
use crate::{Error, Result, VarNormalizer};

/// The file in a checkpoint directory naming the latest complete epoch folder.
pub const LATEST_FILE: &str = "LATEST";
const STATE_FILE: &str = "state.safetensors";
const HISTORY: [&str; 5] = [
    "train_loss",
    "test_error",
    "lr",
    "seconds",
    "samples_per_sec",
];

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, synced, renamed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io(path, e));
    }
    Ok(())
}

/// The latest complete checkpoint folder in `dir` (`None` when `dir` or its `LATEST` file does
/// not exist).
///
/// # Errors
/// An unreadable `LATEST`, or one naming a folder that does not exist.
pub fn latest_checkpoint(dir: &Path) -> Result<Option<PathBuf>> {
    let latest = dir.join(LATEST_FILE);
    let name = match fs::read_to_string(&latest) {
        Ok(s) => s.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&latest, e)),
    };
    let folder = dir.join(&name);
    if name.is_empty() || name.contains('/') || !folder.is_dir() {
        return Err(Error::invalid(
            "checkpoint",
            format!(
                "{} names `{name}`, which is not a checkpoint folder in {}",
                latest.display(),
                dir.display()
            ),
        ));
    }
    Ok(Some(folder))
}

fn f64_text(v: f64) -> String {
    format!("0x{:016x}", v.to_bits())
}

fn parse_f64(path: &Path, key: &str, s: &str) -> Result<f64> {
    s.strip_prefix("0x")
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .map(f64::from_bits)
        .ok_or_else(|| {
            Error::invalid(
                "checkpoint",
                format!(
                    "{}: metadata `{key}` = `{s}` is not a number",
                    path.display()
                ),
            )
        })
}

impl Trainer {
    /// The configurations a checkpoint must match to resume (epochs may differ).
    fn fingerprint(&self) -> (String, String) {
        let mut train = self.config.clone();
        train.epochs = 0;
        (
            serde_json::to_string(self.model.config()).expect("plain data"),
            serde_json::to_string(&train).expect("plain data"),
        )
    }

    /// Saves the state after the current epoch into `dir` (see the module docs).
    pub(super) fn save_checkpoint(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let folder = epoch_dir(dir, self.epoch);
        let (model_cfg, train_cfg) = self.fingerprint();
        let mut meta = BTreeMap::new();
        meta.insert("epoch".to_string(), self.epoch.to_string());
        meta.insert("model_config".to_string(), model_cfg);
        meta.insert("train_config".to_string(), train_cfg);
        save_checkpoint(&folder, &self.model, Some(&self.opt), &meta)?;

        let mut tensors: Vec<(String, Tensor)> = Vec::new();
        if let Some(n) = &self.x_norm {
            tensors.extend(n.to_tensors("x_normalizer")?);
        }
        if let Some(n) = &self.y_norm {
            tensors.extend(n.to_tensors("y_normalizer")?);
        }
        let cols: [fn(&EpochRecord) -> f64; 5] = [
            |r| r.train_loss,
            |r| r.test_error,
            |r| r.lr,
            |r| r.seconds,
            |r| r.samples_per_sec,
        ];
        for (name, col) in HISTORY.iter().zip(cols) {
            let v: Vec<f64> = self.history.iter().map(col).collect();
            let len = v.len();
            tensors.push((
                format!("history.{name}"),
                Tensor::from_vec(v, [len], &Device::Cpu)?,
            ));
        }
        let mut state_meta = BTreeMap::new();
        state_meta.insert("epoch".to_string(), self.epoch.to_string());
        for (k, v) in self.sched.state() {
            state_meta.insert(format!("scheduler.{k}"), f64_text(v));
        }
        save_tensors(folder.join(STATE_FILE), &tensors, &state_meta)?;

        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        write_atomic(&dir.join(LATEST_FILE), name.as_bytes())?;
        tracing::info!(epoch = self.epoch, path = %folder.display(), "checkpoint written");
        // Older folders go only after LATEST points at the new one.
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                let stale = p.is_dir()
                    && p != folder
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("epoch-"));
                if stale {
                    let _ = fs::remove_dir_all(&p);
                }
            }
        }
        Ok(())
    }

    /// Restores everything [`Trainer::save_checkpoint`] wrote into this trainer.
    pub(super) fn load_checkpoint(&mut self, folder: &Path) -> Result<()> {
        let state_path = folder.join(STATE_FILE);
        let (tensors, meta) = load_tensors(&state_path)?;
        let model_path = folder.join(fluxion_nn::MODEL_FILE);
        // Check the configuration before touching the model.
        let (_, model_meta) = load_tensors(&model_path)?;
        let (model_cfg, train_cfg) = self.fingerprint();
        for (key, want) in [("model_config", &model_cfg), ("train_config", &train_cfg)] {
            let found = model_meta.get(key).map(String::as_str).unwrap_or("(none)");
            if found != want {
                return Err(Error::invalid(
                    "Trainer::resume",
                    format!(
                        "{} was written with a different {key}: found {found}, this run has \
                         {want}; use a fresh checkpoint directory",
                        model_path.display()
                    ),
                ));
            }
        }
        let epoch_of = |m: &BTreeMap<String, String>, p: &Path| -> Result<usize> {
            m.get("epoch").and_then(|s| s.parse().ok()).ok_or_else(|| {
                Error::invalid(
                    "Trainer::resume",
                    format!("{}: no `epoch` in the metadata", p.display()),
                )
            })
        };
        let epoch = epoch_of(&meta, &state_path)?;
        if epoch_of(&model_meta, &model_path)? != epoch {
            return Err(Error::invalid(
                "Trainer::resume",
                format!(
                    "{}: model and state files disagree on the epoch",
                    folder.display()
                ),
            ));
        }
        let map: HashMap<String, Tensor> = tensors.into_iter().collect();
        let mut columns = Vec::new();
        for name in HISTORY {
            let key = format!("history.{name}");
            let t = map.get(&key).ok_or_else(|| {
                Error::invalid(
                    "Trainer::resume",
                    format!("{}: no tensor `{key}`", state_path.display()),
                )
            })?;
            let v = t.to_dtype(DType::F64)?.to_vec::<f64>()?;
            if v.len() != epoch {
                return Err(Error::invalid(
                    "Trainer::resume",
                    format!(
                        "{}: `{key}` has {} entries for {epoch} epochs",
                        state_path.display(),
                        v.len()
                    ),
                ));
            }
            columns.push(v);
        }
        let mut sched_state = BTreeMap::new();
        for (k, v) in &meta {
            if let Some(name) = k.strip_prefix("scheduler.") {
                sched_state.insert(name.to_string(), parse_f64(&state_path, k, v)?);
            }
        }
        let (dtype, device) = (self.model.config().dtype, self.model.device().clone());
        let norm = |prefix: &str, present: bool| -> Result<Option<VarNormalizer>> {
            if !present {
                return Ok(None);
            }
            Ok(Some(VarNormalizer::from_tensors(
                prefix, &map, dtype, &device,
            )?))
        };
        let x_norm = norm("x_normalizer", self.x_norm.is_some())?;
        let y_norm = norm("y_normalizer", self.y_norm.is_some())?;

        load_checkpoint(folder, &self.model, Some(&mut self.opt))?;
        self.sched.load_state(&sched_state)?;
        if let (Some(n), Some(old)) = (&x_norm, &self.x_norm) {
            // Training inputs were encoded with the fitted statistics: re-encode with the
            // saved ones so a resumed run sees exactly the same tensors.
            if n.inner() != old.inner() {
                let raw = old.inner().decode(&self.x_train)?;
                self.x_train = n.inner().encode(&raw)?;
            }
        }
        self.x_norm = x_norm;
        self.y_norm = y_norm;
        self.history = (0..epoch)
            .map(|i| EpochRecord {
                epoch: i + 1,
                train_loss: columns[0][i],
                test_error: columns[1][i],
                lr: columns[2][i],
                seconds: columns[3][i],
                samples_per_sec: columns[4][i],
            })
            .collect();
        self.epoch = epoch;
        Ok(())
    }
}
