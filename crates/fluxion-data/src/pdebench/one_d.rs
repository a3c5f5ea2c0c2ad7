//! PDEBench 1-D scalar PDEs: advection, Burgers, reaction–diffusion.
//!
//! Layout: `tensor` f32 `[N, T, X]`, `x-coordinate` `[X]` (cell centres), `t-coordinate` `[T + 1]`,
//! scalar file attributes such as `beta` (advection), `Nu` (Burgers), `Nu` and `rho`
//! (reaction–diffusion).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use fluxion_tensor::Tensor;

use super::{batched, check_rank, tensor, Summary};
use crate::error::{Error, Result};
use crate::h5util::H5File;
use crate::sampling::{Resolution, Split, PDEBENCH_TEST_RATIO};
use crate::stacked::{Role, Stacked};
use crate::write::{Hdf5Writer, WriteOptions};

/// The solution dataset.
pub const TENSOR: &str = "tensor";
/// The spatial grid dataset.
pub const X_COORDINATE: &str = "x-coordinate";
/// The time grid dataset.
pub const T_COORDINATE: &str = "t-coordinate";

const LAYOUT: &str = "[N, T, X]";

/// A lazily read PDEBench 1-D file.
///
/// ```no_run
/// use fluxion_data::{pdebench::one_d::PdeBench1d, Resolution, Split};
/// # fn main() -> fluxion_data::Result<()> {
/// let f = PdeBench1d::open("1D_Advection_Sols_beta0.1.hdf5", Resolution::new(4, 5))?;
/// let train = f.split(Split::Train);
/// let u = f.batch(&[train.start, train.start + 1])?; // [2, 41, 256]
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PdeBench1d {
    file: H5File,
    tensor: Stacked,
    res: Resolution,
}

impl PdeBench1d {
    /// Opens `path` and checks the layout; reads no sample data.
    ///
    /// # Errors
    /// Missing or non-HDF5 file, missing `tensor`, rank other than 3, non-float dtype, zero stride.
    pub fn open(path: impl AsRef<Path>, res: Resolution) -> Result<Self> {
        let res = res.check()?;
        let file = H5File::open(path)?;
        let tensor = Stacked::open(
            &file,
            TENSOR,
            &[Role::Sample, Role::Time, Role::Space],
            LAYOUT,
        )?;
        Ok(Self { file, tensor, res })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Number of samples `N`.
    pub fn len(&self) -> usize {
        self.tensor.len()
    }

    /// Whether the file holds no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The resolution strides in use.
    pub fn resolution(&self) -> Resolution {
        self.res
    }

    /// `[T', X']`: the shape of one sample after striding.
    pub fn sample_shape(&self) -> Vec<usize> {
        self.tensor.sample_shape(self.res)
    }

    /// The sample indices of `split` with PDEBench's test ratio 0.1.
    pub fn split(&self, split: Split) -> Range<usize> {
        split.range(self.len(), PDEBENCH_TEST_RATIO)
    }

    /// Sample `i` as `[T', X']`, i.e. `tensor[i, ::time, ::space]`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`], or an HDF5 read error naming the file and key.
    pub fn sample(&self, i: usize) -> Result<Tensor> {
        let v = self.tensor.read_indices(&self.file, &[i], self.res)?;
        tensor(v, self.sample_shape())
    }

    /// Samples `indices` as `[B, T', X']`, one hyperslab read per run of consecutive indices.
    ///
    /// # Errors
    /// As [`PdeBench1d::sample`].
    pub fn batch(&self, indices: &[usize]) -> Result<Tensor> {
        let v = self.tensor.read_indices(&self.file, indices, self.res)?;
        tensor(v, batched(indices.len(), &self.sample_shape()))
    }

    /// Samples `range` with step `step` in a single hyperslab read, `[B, T', X']`
    /// (PDEBench's `reduced_batch` is `step`).
    ///
    /// # Errors
    /// As [`PdeBench1d::sample`]; zero `step`.
    pub fn range(&self, range: Range<usize>, step: usize) -> Result<Tensor> {
        if step == 0 {
            return Err(Error::invalid("range step must be at least 1"));
        }
        let count = range.len().div_ceil(step);
        let v = self
            .tensor
            .read_run(&self.file, range.start, count, step, self.res)?;
        tensor(v, batched(count, &self.sample_shape()))
    }

    /// `x-coordinate[::space]`.
    ///
    /// # Errors
    /// Missing, non-1-D or non-float `x-coordinate`.
    pub fn x_coordinate(&self) -> Result<Tensor> {
        let v = self.file.read_coordinate(X_COORDINATE, self.res.space)?;
        let n = v.len();
        tensor(v, vec![n])
    }

    /// `t-coordinate[::time]` (stored with `T + 1` entries in PDEBench's files).
    ///
    /// # Errors
    /// Missing, non-1-D or non-float `t-coordinate`.
    pub fn t_coordinate(&self) -> Result<Tensor> {
        let v = self.file.read_coordinate(T_COORDINATE, self.res.time)?;
        let n = v.len();
        tensor(v, vec![n])
    }

    /// Numeric scalar attributes of the file and of `tensor` (the file's win on a clash).
    ///
    /// # Errors
    /// HDF5 errors reading attribute names.
    pub fn attrs(&self) -> Result<BTreeMap<String, f64>> {
        let mut a = self.file.numeric_attrs(TENSOR)?;
        a.extend(self.file.numeric_attrs("/")?);
        Ok(a)
    }

    /// The layout found on open.
    ///
    /// # Errors
    /// As [`PdeBench1d::attrs`].
    pub fn summary(&self) -> Result<Summary> {
        Ok(Summary {
            path: self.path().to_path_buf(),
            samples: self.len(),
            stored: [(TENSOR.to_string(), self.tensor.shape().to_vec())].into(),
            sample_shape: self.sample_shape(),
            attrs: self.attrs()?,
        })
    }
}

/// Writes a PDEBench 1-D file: `tensor` `[N, T, X]`, `x-coordinate`, `t-coordinate` and scalar
/// file attributes, chunked one sample per chunk, through a temporary file renamed at the end.
///
/// # Errors
/// Wrong tensor ranks, or HDF5 / file-system errors.
pub fn write_1d(
    path: impl AsRef<Path>,
    u: &Tensor,
    x: &Tensor,
    t: &Tensor,
    attrs: &[(&str, f64)],
    opts: WriteOptions,
) -> Result<PathBuf> {
    check_rank(u, TENSOR, 3)?;
    check_rank(x, X_COORDINATE, 1)?;
    check_rank(t, T_COORDINATE, 1)?;
    let w = Hdf5Writer::create(path, opts)?;
    w.write_tensor(TENSOR, u)?;
    w.write_tensor(X_COORDINATE, x)?;
    w.write_tensor(T_COORDINATE, t)?;
    for (name, v) in attrs {
        w.set_attr("/", name, *v)?;
    }
    w.finish()
}
