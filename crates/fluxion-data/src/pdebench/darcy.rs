//! PDEBench 2-D Darcy flow: `tensor` f32 `[N, 1, H, W]` (solution), `nu` `[N, H, W]`
//! (coefficient), `x-coordinate` `[W]`, `y-coordinate` `[H]`, file attribute `beta` (forcing).

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

/// The solution dataset `[N, 1, H, W]`.
pub const TENSOR: &str = "tensor";
/// The coefficient dataset `[N, H, W]`.
pub const NU: &str = "nu";
/// The x grid.
pub const X_COORDINATE: &str = "x-coordinate";
/// The y grid.
pub const Y_COORDINATE: &str = "y-coordinate";

/// A lazily read PDEBench Darcy file; space strides apply to `H` and `W` (time stride unused).
#[derive(Debug, Clone)]
pub struct PdeBenchDarcy {
    file: H5File,
    solution: Stacked,
    coefficient: Stacked,
    res: Resolution,
}

impl PdeBenchDarcy {
    /// Opens `path` and checks that `tensor` is `[N, 1, H, W]` and `nu` is `[N, H, W]`.
    ///
    /// # Errors
    /// Missing or non-HDF5 file, missing key, wrong rank, shape or dtype, zero stride.
    pub fn open(path: impl AsRef<Path>, res: Resolution) -> Result<Self> {
        let res = res.check()?;
        let file = H5File::open(path)?;
        let sol = [Role::Sample, Role::Keep, Role::Space, Role::Space];
        let solution = Stacked::open(&file, TENSOR, &sol, "[N, 1, H, W]")?;
        let coef = [Role::Sample, Role::Space, Role::Space];
        let coefficient = Stacked::open(&file, NU, &coef, "[N, H, W]")?;
        let (s, c) = (solution.shape(), coefficient.shape());
        if s[1] != 1 {
            return Err(Error::Shape {
                path: file.path().to_path_buf(),
                key: TENSOR.into(),
                expected: "[N, 1, H, W]".into(),
                found: s.to_vec(),
            });
        }
        if c != [s[0], s[2], s[3]] {
            return Err(Error::Shape {
                path: file.path().to_path_buf(),
                key: NU.into(),
                expected: format!("[{}, {}, {}] to match `{TENSOR}` {s:?}", s[0], s[2], s[3]),
                found: c.to_vec(),
            });
        }
        Ok(Self {
            file,
            solution,
            coefficient,
            res,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Number of samples `N`.
    pub fn len(&self) -> usize {
        self.solution.len()
    }

    /// Whether the file holds no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[H', W']`: the shape of one coefficient after striding (a solution is `[1, H', W']`).
    pub fn sample_shape(&self) -> Vec<usize> {
        self.coefficient.sample_shape(self.res)
    }

    /// The sample indices of `split` with PDEBench's test ratio 0.1.
    pub fn split(&self, split: Split) -> Range<usize> {
        split.range(self.len(), PDEBENCH_TEST_RATIO)
    }

    /// The coefficient `nu[i, ::s, ::s]` as `[H', W']`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`], or an HDF5 read error naming the file and key.
    pub fn coefficient(&self, i: usize) -> Result<Tensor> {
        let v = self.coefficient.read_indices(&self.file, &[i], self.res)?;
        tensor(v, self.sample_shape())
    }

    /// The solution `tensor[i, :, ::s, ::s]` as `[1, H', W']`.
    ///
    /// # Errors
    /// As [`PdeBenchDarcy::coefficient`].
    pub fn solution(&self, i: usize) -> Result<Tensor> {
        let v = self.solution.read_indices(&self.file, &[i], self.res)?;
        tensor(v, self.solution.sample_shape(self.res))
    }

    /// Coefficients `[B, H', W']` and solutions `[B, 1, H', W']` of samples `indices`.
    ///
    /// # Errors
    /// As [`PdeBenchDarcy::coefficient`].
    pub fn batch(&self, indices: &[usize]) -> Result<(Tensor, Tensor)> {
        let b = indices.len();
        let a = self
            .coefficient
            .read_indices(&self.file, indices, self.res)?;
        let u = self.solution.read_indices(&self.file, indices, self.res)?;
        Ok((
            tensor(a, batched(b, &self.sample_shape()))?,
            tensor(u, batched(b, &self.solution.sample_shape(self.res)))?,
        ))
    }

    /// `x-coordinate[::space]`.
    ///
    /// # Errors
    /// Missing, non-1-D or non-float coordinate.
    pub fn x_coordinate(&self) -> Result<Tensor> {
        let v = self.file.read_coordinate(X_COORDINATE, self.res.space)?;
        let n = v.len();
        tensor(v, vec![n])
    }

    /// `y-coordinate[::space]`.
    ///
    /// # Errors
    /// Missing, non-1-D or non-float coordinate.
    pub fn y_coordinate(&self) -> Result<Tensor> {
        let v = self.file.read_coordinate(Y_COORDINATE, self.res.space)?;
        let n = v.len();
        tensor(v, vec![n])
    }

    /// Numeric scalar file attributes (`beta`).
    ///
    /// # Errors
    /// HDF5 errors reading attribute names.
    pub fn attrs(&self) -> Result<BTreeMap<String, f64>> {
        self.file.numeric_attrs("/")
    }

    /// The layout found on open.
    ///
    /// # Errors
    /// As [`PdeBenchDarcy::attrs`].
    pub fn summary(&self) -> Result<Summary> {
        Ok(Summary {
            path: self.path().to_path_buf(),
            samples: self.len(),
            stored: [
                (TENSOR.to_string(), self.solution.shape().to_vec()),
                (NU.to_string(), self.coefficient.shape().to_vec()),
            ]
            .into(),
            sample_shape: self.sample_shape(),
            attrs: self.attrs()?,
        })
    }
}

/// Writes a PDEBench Darcy file: `nu` `[N, H, W]`, `tensor` `[N, 1, H, W]`, the coordinates and
/// scalar file attributes, through a temporary file renamed at the end.
///
/// # Errors
/// Wrong ranks, or HDF5 / file-system errors.
pub fn write_darcy(
    path: impl AsRef<Path>,
    nu: &Tensor,
    solution: &Tensor,
    x: &Tensor,
    y: &Tensor,
    attrs: &[(&str, f64)],
    opts: WriteOptions,
) -> Result<PathBuf> {
    check_rank(nu, NU, 3)?;
    check_rank(solution, TENSOR, 4)?;
    check_rank(x, X_COORDINATE, 1)?;
    check_rank(y, Y_COORDINATE, 1)?;
    let w = Hdf5Writer::create(path, opts)?;
    w.write_tensor(TENSOR, solution)?;
    w.write_tensor(NU, nu)?;
    w.write_tensor(X_COORDINATE, x)?;
    w.write_tensor(Y_COORDINATE, y)?;
    for (name, v) in attrs {
        w.set_attr("/", name, *v)?;
    }
    w.finish()
}
