//! Mini-batches for training: seeded epoch-dependent shuffling ([`BatchSampler`]), a background
//! prefetcher ([`Prefetch`]) and FNO's unit-Gaussian normalisers ([`UnitGaussianNormalizer`]).

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use fluxion_tensor::{DType, Device, Tensor};

use crate::error::{Error, Result};
use crate::generate::SampleRng;

/// Splits `0..len` into mini-batches, shuffled per epoch.
///
/// Epoch `e` uses the Fisher–Yates permutation drawn from `SampleRng::new(seed, e)`, so the order
/// depends only on `(seed, epoch)`: a resumed run sees the same batches.
///
/// ```
/// use fluxion_data::loader::BatchSampler;
/// let s = BatchSampler { len: 10, batch_size: 4, shuffle: true, drop_last: false, seed: 1 };
/// let b = s.epoch(0);
/// assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
/// assert_eq!(b, s.epoch(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSampler {
    /// Number of samples.
    pub len: usize,
    /// Samples per batch.
    pub batch_size: usize,
    /// Shuffle each epoch (otherwise `0..len` in order).
    pub shuffle: bool,
    /// Drop a last, incomplete batch.
    pub drop_last: bool,
    /// The seed.
    pub seed: u64,
}

impl BatchSampler {
    /// The order of the samples in epoch `epoch`.
    pub fn permutation(&self, epoch: u64) -> Vec<usize> {
        let mut p: Vec<usize> = (0..self.len).collect();
        if self.shuffle {
            let mut rng = SampleRng::new(self.seed, epoch);
            for i in (1..p.len()).rev() {
                let j = rng.integer(0, i as i64) as usize;
                p.swap(i, j);
            }
        }
        p
    }

    /// The batches of epoch `epoch`.
    ///
    /// # Panics
    /// When `batch_size` is 0.
    pub fn epoch(&self, epoch: u64) -> Vec<Vec<usize>> {
        assert!(self.batch_size > 0, "BatchSampler: batch_size is 0");
        self.permutation(epoch)
            .chunks(self.batch_size)
            .filter(|c| !self.drop_last || c.len() == self.batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }
}

/// Loads batches on a background thread, one batch ahead of the consumer.
///
/// `fetch(indices)` runs on a spawned thread; the bounded channel (capacity 1) holds the next
/// batch while the caller works on the current one. Iteration ends after the last batch or after
/// the first error (which it yields). Dropping the iterator early stops the thread at its next
/// send.
///
/// ```
/// use fluxion_data::loader::Prefetch;
/// let batches = vec![vec![0, 1], vec![2]];
/// let sums: Vec<usize> = Prefetch::new(batches, |ix: &[usize]| Ok(ix.iter().sum()))
///     .collect::<fluxion_data::Result<_>>()?;
/// assert_eq!(sums, [1, 2]);
/// # Ok::<(), fluxion_data::Error>(())
/// ```
#[derive(Debug)]
pub struct Prefetch<T> {
    rx: Option<Receiver<Result<T>>>,
    handle: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Prefetch<T> {
    /// Starts fetching `batches` in order.
    pub fn new<F>(batches: Vec<Vec<usize>>, mut fetch: F) -> Self
    where
        F: FnMut(&[usize]) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = sync_channel(1);
        let handle = std::thread::spawn(move || {
            for b in batches {
                let item = fetch(&b);
                let failed = item.is_err();
                if tx.send(item).is_err() || failed {
                    return;
                }
            }
        });
        Self {
            rx: Some(rx),
            handle: Some(handle),
        }
    }
}

impl<T> Iterator for Prefetch<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let item = self.rx.as_ref()?.recv().ok();
        if item.is_none() {
            self.rx = None;
            if let Some(h) = self.handle.take() {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
        item
    }
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        // Closing the receiver makes the worker's next send fail, so it returns.
        self.rx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// FNO's `UnitGaussianNormalizer` (per point) and `GaussianNormalizer` (global):
/// `encode(x) = (x − μ)/(σ + ε)`, `decode(y) = y(σ + ε) + μ`, `ε = 1e-5`.
///
/// Statistics come from a training tensor `[N, ...]`: per point, `μ` and `σ` have the shape of one
/// sample (mean and standard deviation over the `N` axis); globally they are scalars over all
/// elements. `σ` is the unbiased (`N − 1`) standard deviation, as `torch.std`. Encoding works on
/// any tensor whose trailing shape is the statistics' shape (a batch `[B, ...]`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitGaussianNormalizer {
    mean: Vec<f32>,
    std: Vec<f32>,
    shape: Vec<usize>,
    eps: f32,
}

impl UnitGaussianNormalizer {
    /// FNO's `eps`.
    pub const EPS: f32 = 1e-5;

    fn data(x: &Tensor) -> Result<(Vec<f64>, Vec<usize>)> {
        let v = x.to_dtype(DType::F64)?.to_vec::<f64>()?;
        Ok((v, x.dims().to_vec()))
    }

    /// Per-point statistics over axis 0 of `x` (`[N, ...]`, `N ≥ 2`).
    ///
    /// # Errors
    /// Rank 0 or fewer than 2 samples; a non-float dtype.
    pub fn fit_pointwise(x: &Tensor) -> Result<Self> {
        let (v, dims) = Self::data(x)?;
        if dims.is_empty() || dims[0] < 2 {
            return Err(Error::invalid(format!(
                "UnitGaussianNormalizer: need [N >= 2, ...], got {dims:?}"
            )));
        }
        let n = dims[0];
        let per = v.len() / n;
        let mut mean = vec![0.0f64; per];
        for row in v.chunks(per) {
            mean.iter_mut().zip(row).for_each(|(m, x)| *m += x);
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0f64; per];
        for row in v.chunks(per) {
            for ((s, x), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (x - m).powi(2);
            }
        }
        Ok(Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std: var
                .iter()
                .map(|&s| (s / (n - 1) as f64).sqrt() as f32)
                .collect(),
            shape: dims[1..].to_vec(),
            eps: Self::EPS,
        })
    }

    /// Global (scalar) statistics over every element of `x` (at least 2).
    ///
    /// # Errors
    /// Fewer than 2 elements; a non-float dtype.
    pub fn fit_global(x: &Tensor) -> Result<Self> {
        let (v, _) = Self::data(x)?;
        if v.len() < 2 {
            return Err(Error::invalid("GaussianNormalizer: need at least 2 values"));
        }
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        Ok(Self {
            mean: vec![m as f32],
            std: vec![s as f32],
            shape: vec![],
            eps: Self::EPS,
        })
    }

    /// The mean `μ` (shape [`UnitGaussianNormalizer::shape`]).
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The standard deviation `σ`.
    pub fn std(&self) -> &[f32] {
        &self.std
    }

    /// The statistics' shape: one sample's shape, or `[]` for global statistics.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn map(&self, x: &Tensor, f: impl Fn(f32, f32, f32) -> f32) -> Result<Tensor> {
        let dims = x.dims();
        let k = self.shape.len();
        if dims.len() < k || dims[dims.len() - k..] != self.shape[..] {
            return Err(Error::invalid(format!(
                "UnitGaussianNormalizer: tensor shape {dims:?} does not end with {:?}",
                self.shape
            )));
        }
        let v = x.to_dtype(DType::F32)?.to_vec::<f32>()?;
        let per = self.mean.len();
        let out: Vec<f32> = v
            .iter()
            .enumerate()
            .map(|(i, &xi)| f(xi, self.mean[i % per], self.std[i % per] + self.eps))
            .collect();
        let t = Tensor::from_vec(out, dims.to_vec(), &Device::Cpu)?;
        Ok(t.to_dtype(x.dtype())?)
    }

    /// `(x − μ)/(σ + ε)` (on the CPU; the result has `x`'s dtype).
    ///
    /// # Errors
    /// When `x`'s trailing shape is not the statistics' shape.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        self.map(x, |x, m, s| (x - m) / s)
    }

    /// `y(σ + ε) + μ`.
    ///
    /// # Errors
    /// As [`UnitGaussianNormalizer::encode`].
    pub fn decode(&self, y: &Tensor) -> Result<Tensor> {
        self.map(y, |y, m, s| y * s + m)
    }

    /// Named f32 tensors `{prefix}.mean`, `{prefix}.std` (shape [`Self::shape`], `[1]` if global)
    /// and `{prefix}.eps` (`[1]`), for a safetensors file next to the model's weights.
    ///
    /// # Errors
    /// Tensor construction errors.
    pub fn to_tensors(&self, prefix: &str) -> Result<Vec<(String, Tensor)>> {
        let shape = if self.shape.is_empty() {
            vec![1]
        } else {
            self.shape.clone()
        };
        let cpu = Device::Cpu;
        Ok(vec![
            (
                format!("{prefix}.mean"),
                Tensor::from_vec(self.mean.clone(), shape.clone(), &cpu)?,
            ),
            (
                format!("{prefix}.std"),
                Tensor::from_vec(self.std.clone(), shape, &cpu)?,
            ),
            (
                format!("{prefix}.eps"),
                Tensor::from_vec(vec![self.eps], vec![1], &cpu)?,
            ),
        ])
    }

    /// Rebuilds a normaliser from [`Self::to_tensors`]'s names; a `[1]`-shaped mean is global.
    ///
    /// # Errors
    /// A missing name or mismatched shapes.
    pub fn from_tensors(prefix: &str, tensors: &HashMap<String, Tensor>) -> Result<Self> {
        let get = |name: &str| {
            let key = format!("{prefix}.{name}");
            tensors
                .get(&key)
                .ok_or_else(|| Error::invalid(format!("normaliser: no tensor `{key}`")))
        };
        let (m, s, e) = (get("mean")?, get("std")?, get("eps")?);
        if m.dims() != s.dims() || e.elem_count() != 1 {
            return Err(Error::invalid(format!(
                "normaliser `{prefix}`: mean {:?}, std {:?}, eps {:?}",
                m.dims(),
                s.dims(),
                e.dims()
            )));
        }
        let f32s = |t: &Tensor| -> Result<Vec<f32>> { Ok(t.to_dtype(DType::F32)?.to_vec()?) };
        let shape = if m.dims() == [1] {
            vec![]
        } else {
            m.dims().to_vec()
        };
        Ok(Self {
            mean: f32s(m)?,
            std: f32s(s)?,
            shape,
            eps: f32s(e)?[0],
        })
    }
}
