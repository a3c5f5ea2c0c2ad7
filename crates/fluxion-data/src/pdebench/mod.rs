//! PDEBench's HDF5 layouts (Takamoto et al., NeurIPS 2022): lazy readers and writers.
//!
//! Every reader opens its file once, checks the layout, and then reads one sample or one batch at a
//! time through HDF5 hyperslab selections with PDEBench's `reduced_resolution` (space) and
//! `reduced_resolution_t` (time) strides applied inside the selection, so only the selected
//! elements are read from disk (and only the chunks that hold them are decompressed).
//! Split with [`crate::Split`]: PDEBench's **first** 10 % of samples are the test set.

pub mod cfd;
pub mod darcy;
pub mod one_d;
pub mod seeded;

use std::collections::BTreeMap;
use std::path::PathBuf;

use fluxion_tensor::{Device, Tensor};

use crate::error::Result;

/// What a reader found when it opened a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The file.
    pub path: PathBuf,
    /// Number of samples `N`.
    pub samples: usize,
    /// The stored shape of each data array, by key.
    pub stored: BTreeMap<String, Vec<usize>>,
    /// The shape one sample is returned in, after the resolution strides.
    pub sample_shape: Vec<usize>,
    /// Numeric scalar attributes (`beta`, `Nu`, `rho`, `eta`, `zeta`, `M`, …).
    pub attrs: BTreeMap<String, f64>,
}

/// A CPU f32 tensor from row-major values.
pub(crate) fn tensor(values: Vec<f32>, shape: Vec<usize>) -> Result<Tensor> {
    Ok(Tensor::from_vec(values, shape, &Device::Cpu)?)
}

/// `shape` with `b` prepended.
pub(crate) fn batched(b: usize, shape: &[usize]) -> Vec<usize> {
    let mut s = Vec::with_capacity(shape.len() + 1);
    s.push(b);
    s.extend_from_slice(shape);
    s
}

/// Fails unless `t` has rank `rank`.
pub(crate) fn check_rank(t: &Tensor, what: &str, rank: usize) -> Result<()> {
    if t.dims().len() != rank {
        return Err(crate::Error::invalid(format!(
            "{what}: expected a rank-{rank} tensor, got shape {:?}",
            t.dims()
        )));
    }
    Ok(())
}
