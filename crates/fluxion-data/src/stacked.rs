//! Lazy strided reads of one float dataset whose axes have roles (sample, time, space, kept).

use hdf5::SliceOrIndex;

use crate::error::{Error, Result};
use crate::h5util::{strided, strided_len, FloatDataset, H5File};
use crate::sampling::Resolution;

/// What an axis of a stored array is, which decides the stride applied when reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The leading sample axis `N`: indexed, never strided.
    Sample,
    /// Time: strided by `Resolution::time`.
    Time,
    /// Space: strided by `Resolution::space`.
    Space,
    /// Kept whole (channels, a singleton axis).
    Keep,
}

/// A float dataset read through hyperslab selections only, never whole.
#[derive(Debug, Clone)]
pub(crate) struct Stacked {
    pub(crate) data: FloatDataset,
    roles: Vec<Role>,
}

impl Stacked {
    /// Opens `key` in `file`, checking that its rank is `roles.len()`.
    pub(crate) fn open(file: &H5File, key: &str, roles: &[Role], layout: &str) -> Result<Self> {
        let data = file.float_dataset(key, Some(roles.len()), layout)?;
        Ok(Self {
            data,
            roles: roles.to_vec(),
        })
    }

    /// The stored shape.
    pub(crate) fn shape(&self) -> &[usize] {
        &self.data.shape
    }

    /// Number of samples (the length of the `Sample` axis; 1 when there is none).
    pub(crate) fn len(&self) -> usize {
        self.roles
            .iter()
            .position(|r| *r == Role::Sample)
            .map_or(1, |a| self.data.shape[a])
    }

    /// The shape of one sample after striding (the sample axis dropped).
    pub(crate) fn sample_shape(&self, res: Resolution) -> Vec<usize> {
        self.roles
            .iter()
            .zip(&self.data.shape)
            .filter_map(|(role, &len)| match role {
                Role::Sample => None,
                Role::Time => Some(strided_len(len, res.time)),
                Role::Space => Some(strided_len(len, res.space)),
                Role::Keep => Some(len),
            })
            .collect()
    }

    fn selection(&self, samples: SliceOrIndex, res: Resolution) -> Vec<SliceOrIndex> {
        self.roles
            .iter()
            .zip(&self.data.shape)
            .map(|(role, &len)| match role {
                Role::Sample => samples,
                Role::Time => strided(0, len, res.time),
                Role::Space => strided(0, len, res.space),
                Role::Keep => strided(0, len, 1),
            })
            .collect()
    }

    pub(crate) fn check_index(&self, file: &H5File, index: usize) -> Result<()> {
        let len = self.len();
        if index >= len {
            return Err(Error::IndexOutOfRange {
                path: file.path().to_path_buf(),
                key: self.data.key.clone(),
                index,
                len,
            });
        }
        Ok(())
    }

    /// Reads samples `start, start + step, …` (`count` of them) in one hyperslab, row-major
    /// `[count, sample_shape…]`; without a sample axis, reads the whole (strided) array.
    pub(crate) fn read_run(
        &self,
        file: &H5File,
        start: usize,
        count: usize,
        step: usize,
        res: Resolution,
    ) -> Result<Vec<f32>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        self.check_index(file, start + (count - 1) * step)?;
        let sel = self.selection(
            SliceOrIndex::SliceCount {
                start,
                step,
                count,
                block: 1,
            },
            res,
        );
        file.read_f32(&self.data, sel)
    }

    /// Reads the whole array with strides applied (for datasets without a sample axis).
    pub(crate) fn read_whole(&self, file: &H5File, res: Resolution) -> Result<Vec<f32>> {
        file.read_f32(&self.data, self.selection(SliceOrIndex::Index(0), res))
    }

    /// Reads the samples `indices` (any order, repeats allowed) into `[B, sample_shape…]`, with
    /// one hyperslab read per run of consecutive indices.
    pub(crate) fn read_indices(
        &self,
        file: &H5File,
        indices: &[usize],
        res: Resolution,
    ) -> Result<Vec<f32>> {
        for &i in indices {
            self.check_index(file, i)?;
        }
        let per: usize = self.sample_shape(res).iter().product();
        let mut out = Vec::with_capacity(per * indices.len());
        let mut k = 0;
        while k < indices.len() {
            let mut run = 1;
            while k + run < indices.len() && indices[k + run] == indices[k] + run {
                run += 1;
            }
            let part = self.read_run(file, indices[k], run, 1, res)?;
            if out.is_empty() && run == indices.len() {
                return Ok(part);
            }
            out.extend_from_slice(&part);
            k += run;
        }
        Ok(out)
    }
}
