//! PDEBench compressible Navier–Stokes: `density`, `pressure`, `Vx` (`Vy`, `Vz`) each f32
//! `[N, T, X(, Y, Z)]`, coordinates `x-coordinate` (`y-`, `z-`), `t-coordinate`, file attributes
//! `eta` (shear viscosity), `zeta` (bulk viscosity), `M` (Mach number).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use fluxion_tensor::Tensor;

use super::{batched, tensor, Summary};
use crate::error::{Error, Result};
use crate::h5util::H5File;
use crate::sampling::{Resolution, Split, PDEBENCH_TEST_RATIO};
use crate::stacked::{Role, Stacked};
use crate::write::{Hdf5Writer, WriteOptions};

/// The field datasets in channel order; `density`, `pressure` and `Vx` are required, then one
/// velocity component per spatial dimension.
pub const FIELDS: [&str; 5] = ["density", "pressure", "Vx", "Vy", "Vz"];

/// A lazily read PDEBench compressible-NS file in 1, 2 or 3 space dimensions.
///
/// Samples come back channel-last, `[T', X', …, C]` with channels in [`FIELDS`] order, like the
/// `data` arrays of PDEBench's per-seed files.
#[derive(Debug, Clone)]
pub struct PdeBenchCfd {
    file: H5File,
    fields: Vec<Stacked>,
    res: Resolution,
}

impl PdeBenchCfd {
    /// Opens `path`; checks that `density`, `pressure` and one velocity per spatial dimension
    /// exist with the same shape `[N, T, X(, Y, Z)]`.
    ///
    /// # Errors
    /// Missing or non-HDF5 file, missing field, wrong rank, shape or dtype, zero stride.
    pub fn open(path: impl AsRef<Path>, res: Resolution) -> Result<Self> {
        let res = res.check()?;
        let file = H5File::open(path)?;
        let first = file.dataset(FIELDS[0])?;
        let rank = first.ndim();
        if !(3..=5).contains(&rank) {
            return Err(Error::Rank {
                path: file.path().to_path_buf(),
                key: FIELDS[0].into(),
                expected: "3, 4 or 5 ([N, T, X(, Y, Z)])".into(),
                found: first.shape(),
            });
        }
        let mut roles = vec![Role::Sample, Role::Time];
        roles.resize(rank, Role::Space);
        let n_fields = 2 + (rank - 2);
        let mut fields = Vec::with_capacity(n_fields);
        for key in &FIELDS[..n_fields] {
            let f = Stacked::open(&file, key, &roles, "[N, T, X(, Y, Z)]")?;
            if !fields.is_empty() && f.shape() != fields_shape(&fields) {
                return Err(Error::Shape {
                    path: file.path().to_path_buf(),
                    key: (*key).into(),
                    expected: format!("{:?} like `{}`", fields_shape(&fields), FIELDS[0]),
                    found: f.shape().to_vec(),
                });
            }
            fields.push(f);
        }
        Ok(Self { file, fields, res })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Number of samples `N`.
    pub fn len(&self) -> usize {
        self.fields[0].len()
    }

    /// Whether the file holds no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of spatial dimensions (1, 2 or 3).
    pub fn space_dims(&self) -> usize {
        self.fields[0].shape().len() - 2
    }

    /// The field names read, in channel order.
    pub fn field_names(&self) -> &[&'static str] {
        &FIELDS[..self.fields.len()]
    }

    /// `[T', X', …, C]`: the shape of one sample after striding.
    pub fn sample_shape(&self) -> Vec<usize> {
        let mut s = self.fields[0].sample_shape(self.res);
        s.push(self.fields.len());
        s
    }

    /// The sample indices of `split` with PDEBench's test ratio 0.1.
    pub fn split(&self, split: Split) -> Range<usize> {
        split.range(self.len(), PDEBENCH_TEST_RATIO)
    }

    /// One field of sample `i`, `field[i, ::time, ::space, …]`, as `[T', X', …]`.
    ///
    /// # Errors
    /// Unknown field name, [`Error::IndexOutOfRange`], or an HDF5 read error.
    pub fn field(&self, name: &str, i: usize) -> Result<Tensor> {
        let k = self
            .field_names()
            .iter()
            .position(|f| *f == name)
            .ok_or_else(|| Error::MissingKey {
                path: self.path().to_path_buf(),
                key: name.into(),
                kind: "field",
                found: self.field_names().iter().map(|s| s.to_string()).collect(),
            })?;
        let f = &self.fields[k];
        tensor(
            f.read_indices(&self.file, &[i], self.res)?,
            f.sample_shape(self.res),
        )
    }

    /// Sample `i` as `[T', X', …, C]`.
    ///
    /// # Errors
    /// As [`PdeBenchCfd::field`].
    pub fn sample(&self, i: usize) -> Result<Tensor> {
        let v = self.interleaved(&[i])?;
        tensor(v, self.sample_shape())
    }

    /// Samples `indices` as `[B, T', X', …, C]`.
    ///
    /// # Errors
    /// As [`PdeBenchCfd::field`].
    pub fn batch(&self, indices: &[usize]) -> Result<Tensor> {
        let v = self.interleaved(indices)?;
        tensor(v, batched(indices.len(), &self.sample_shape()))
    }

    fn interleaved(&self, indices: &[usize]) -> Result<Vec<f32>> {
        let c = self.fields.len();
        let parts = self
            .fields
            .iter()
            .map(|f| f.read_indices(&self.file, indices, self.res))
            .collect::<Result<Vec<_>>>()?;
        let m = parts[0].len();
        let mut out = vec![0.0f32; m * c];
        for (k, p) in parts.iter().enumerate() {
            for (o, &v) in out.chunks_exact_mut(c).zip(p) {
                o[k] = v;
            }
        }
        Ok(out)
    }

    /// The coordinate dataset `key` (`x-coordinate`, `y-coordinate`, `z-coordinate` strided by
    /// space, `t-coordinate` by time).
    ///
    /// # Errors
    /// Missing, non-1-D or non-float coordinate.
    pub fn coordinate(&self, key: &str) -> Result<Tensor> {
        let step = if key.starts_with('t') {
            self.res.time
        } else {
            self.res.space
        };
        let v = self.file.read_coordinate(key, step)?;
        let n = v.len();
        tensor(v, vec![n])
    }

    /// Numeric scalar file attributes (`eta`, `zeta`, `M`).
    ///
    /// # Errors
    /// HDF5 errors reading attribute names.
    pub fn attrs(&self) -> Result<BTreeMap<String, f64>> {
        self.file.numeric_attrs("/")
    }

    /// The layout found on open.
    ///
    /// # Errors
    /// As [`PdeBenchCfd::attrs`].
    pub fn summary(&self) -> Result<Summary> {
        Ok(Summary {
            path: self.path().to_path_buf(),
            samples: self.len(),
            stored: self
                .field_names()
                .iter()
                .zip(&self.fields)
                .map(|(n, f)| (n.to_string(), f.shape().to_vec()))
                .collect(),
            sample_shape: self.sample_shape(),
            attrs: self.attrs()?,
        })
    }
}

fn fields_shape(fields: &[Stacked]) -> &[usize] {
    fields[0].shape()
}

/// Writes a PDEBench compressible-NS file: each `(name, [N, T, X, …])` field, each
/// `(name, [len])` coordinate, and scalar file attributes (`eta`, `zeta`, `M`).
///
/// # Errors
/// Fields of different shapes, or HDF5 / file-system errors.
pub fn write_cfd(
    path: impl AsRef<Path>,
    fields: &[(&str, &Tensor)],
    coordinates: &[(&str, &Tensor)],
    attrs: &[(&str, f64)],
    opts: WriteOptions,
) -> Result<PathBuf> {
    if let Some((_, first)) = fields.first() {
        if let Some((name, t)) = fields.iter().find(|(_, t)| t.dims() != first.dims()) {
            return Err(Error::invalid(format!(
                "field `{name}` has shape {:?}, expected {:?}",
                t.dims(),
                first.dims()
            )));
        }
    }
    let w = Hdf5Writer::create(path, opts)?;
    for (name, t) in fields.iter().chain(coordinates) {
        w.write_tensor(name, t)?;
    }
    for (name, v) in attrs {
        w.set_attr("/", name, *v)?;
    }
    w.finish()
}
