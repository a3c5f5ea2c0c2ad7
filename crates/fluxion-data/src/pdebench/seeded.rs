//! PDEBench per-seed group files (`2D_rdb_NA_NA.h5` shallow water, `2D_diff-react_NA_NA.h5`):
//! groups `0000`, `0001`, … each holding `data` f32 `[T, X(, Y), C]` and `grid/x`, `grid/y`,
//! `grid/t`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use fluxion_tensor::Tensor;

use super::{batched, check_rank, tensor, Summary};
use crate::error::{Error, Result};
use crate::h5util::H5File;
use crate::sampling::{Resolution, Split, PDEBENCH_TEST_RATIO};
use crate::stacked::{Role, Stacked};
use crate::write::{Hdf5Writer, WriteOptions};

/// The dataset inside each seed group.
pub const DATA: &str = "data";

/// A lazily read per-seed file; the seed groups are the root's members in sorted order.
#[derive(Debug, Clone)]
pub struct PdeBenchSeeded {
    file: H5File,
    seeds: Vec<String>,
    roles: Vec<Role>,
    stored: Vec<usize>,
    res: Resolution,
}

impl PdeBenchSeeded {
    /// Opens `path`, lists the seed groups and checks the first group's `data` (rank 3 or 4).
    ///
    /// # Errors
    /// Missing or non-HDF5 file, no groups, missing `data`, wrong rank or dtype, zero stride.
    pub fn open(path: impl AsRef<Path>, res: Resolution) -> Result<Self> {
        let res = res.check()?;
        let file = H5File::open(path)?;
        let seeds: Vec<String> = file
            .member_names("/")?
            .into_iter()
            .filter(|n| file.handle().group(n).is_ok())
            .collect();
        let Some(first) = seeds.first() else {
            return Err(Error::MissingKey {
                path: file.path().to_path_buf(),
                key: "0000".into(),
                kind: "seed group",
                found: file.member_names("/")?,
            });
        };
        let key = format!("{first}/{DATA}");
        let d = file.float_dataset(&key, None, "[T, X(, Y), C]")?;
        let rank = d.shape.len();
        if !(3..=4).contains(&rank) {
            return Err(Error::Rank {
                path: file.path().to_path_buf(),
                key,
                expected: "3 or 4 ([T, X(, Y), C])".into(),
                found: d.shape,
            });
        }
        let mut roles = vec![Role::Time];
        roles.resize(rank - 1, Role::Space);
        roles.push(Role::Keep);
        Ok(Self {
            file,
            seeds,
            roles,
            stored: d.shape,
            res,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Number of seed groups.
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    /// Whether the file holds no seed groups (never true for an opened file).
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    /// The seed group names in sample order.
    pub fn seeds(&self) -> &[String] {
        &self.seeds
    }

    /// `[T', X', (Y',) C]`: the shape of one sample after striding.
    pub fn sample_shape(&self) -> Vec<usize> {
        self.stored
            .iter()
            .zip(&self.roles)
            .map(|(&n, r)| match r {
                Role::Time => n.div_ceil(self.res.time),
                Role::Space => n.div_ceil(self.res.space),
                _ => n,
            })
            .collect()
    }

    /// The sample indices of `split` with PDEBench's test ratio 0.1.
    pub fn split(&self, split: Split) -> Range<usize> {
        split.range(self.len(), PDEBENCH_TEST_RATIO)
    }

    fn seed(&self, i: usize) -> Result<&str> {
        self.seeds
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| Error::IndexOutOfRange {
                path: self.path().to_path_buf(),
                key: "/ (seed groups)".into(),
                index: i,
                len: self.len(),
            })
    }

    /// Sample `i`: `<seed>/data[::time, ::space, (::space,) :]` as `[T', X', (Y',) C]`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`]; [`Error::Shape`] when this seed's `data` differs from the
    /// first seed's; HDF5 read errors naming the file and key.
    pub fn sample(&self, i: usize) -> Result<Tensor> {
        let key = format!("{}/{DATA}", self.seed(i)?);
        let s = Stacked::open(&self.file, &key, &self.roles, "[T, X(, Y), C]")?;
        if s.shape() != self.stored {
            return Err(Error::Shape {
                path: self.path().to_path_buf(),
                key,
                expected: format!("{:?} like `{}/{DATA}`", self.stored, self.seeds[0]),
                found: s.shape().to_vec(),
            });
        }
        tensor(s.read_whole(&self.file, self.res)?, self.sample_shape())
    }

    /// Samples `indices` as `[B, T', X', (Y',) C]`.
    ///
    /// # Errors
    /// As [`PdeBenchSeeded::sample`].
    pub fn batch(&self, indices: &[usize]) -> Result<Tensor> {
        let per: usize = self.sample_shape().iter().product();
        let mut out = Vec::with_capacity(per * indices.len());
        for &i in indices {
            out.extend_from_slice(&self.sample(i)?.to_vec::<f32>()?);
        }
        tensor(out, batched(indices.len(), &self.sample_shape()))
    }

    /// `<seed>/grid/<axis>` of sample `i` (`axis` is `x`, `y` or `t`), strided like the data.
    ///
    /// # Errors
    /// Missing, non-1-D or non-float grid.
    pub fn grid(&self, i: usize, axis: &str) -> Result<Tensor> {
        let step = if axis == "t" {
            self.res.time
        } else {
            self.res.space
        };
        let v = self
            .file
            .read_coordinate(&format!("{}/grid/{axis}", self.seed(i)?), step)?;
        let n = v.len();
        tensor(v, vec![n])
    }

    /// The layout found on open (attributes of the root).
    ///
    /// # Errors
    /// HDF5 errors reading attribute names.
    pub fn summary(&self) -> Result<Summary> {
        Ok(Summary {
            path: self.path().to_path_buf(),
            samples: self.len(),
            stored: [(format!("{}/{DATA}", self.seeds[0]), self.stored.clone())].into(),
            sample_shape: self.sample_shape(),
            attrs: self.file.numeric_attrs("/")?,
        })
    }
}

/// Writes a per-seed file: sample `i` of `data` (`[N, T, X(, Y), C]`) to group `{i:04}/data`,
/// and the same `grid` (`(axis, [len])` pairs, e.g. `("x", x)`) to every `{i:04}/grid/<axis>`.
///
/// # Errors
/// Wrong rank, or HDF5 / file-system errors.
pub fn write_seeded(
    path: impl AsRef<Path>,
    data: &Tensor,
    grid: &[(&str, &Tensor)],
    opts: WriteOptions,
) -> Result<PathBuf> {
    let rank = data.dims().len();
    if !(4..=5).contains(&rank) {
        check_rank(data, DATA, 5)?;
    }
    let n = data.dims()[0];
    let per_shape = data.dims()[1..].to_vec();
    let values = data.to_vec::<f32>()?;
    let per: usize = per_shape.iter().product();
    let w = Hdf5Writer::create(path, opts)?;
    for i in 0..n {
        let key = format!("{i:04}/{DATA}");
        w.create_dataset(&key, &per_shape)?;
        w.write_rows(&key, 0, &values[i * per..(i + 1) * per])?;
        for (axis, t) in grid {
            w.write_tensor(&format!("{i:04}/grid/{axis}"), t)?;
        }
    }
    w.finish()
}
