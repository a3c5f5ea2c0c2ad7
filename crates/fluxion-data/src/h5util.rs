//! An opened HDF5 file that remembers its path, so every error names the file and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdf5::types::{FloatSize, TypeDescriptor};
use hdf5::{Dataset, Group, Location, SliceOrIndex};

use crate::error::{Error, Result};

/// An HDF5 file opened for reading, with its path kept for error messages.
#[derive(Debug, Clone)]
pub struct H5File {
    path: PathBuf,
    file: hdf5::File,
}

/// A float dataset checked on open: its key, shape and handle.
#[derive(Debug, Clone)]
pub(crate) struct FloatDataset {
    pub(crate) key: String,
    pub(crate) shape: Vec<usize>,
    pub(crate) ds: Dataset,
    /// Byte offset of the data when it can be read directly (contiguous native f32).
    pub(crate) direct: Option<u64>,
}

impl H5File {
    /// Opens `path` read-only.
    ///
    /// # Errors
    /// [`Error::FileNotFound`] when the path does not exist, [`Error::Open`] when it is not a
    /// readable HDF5 file (wrong format, truncated).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(Error::FileNotFound { path });
        }
        let file = hdf5::File::open(&path).map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path, file })
    }

    /// The path the file was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying `hdf5` file handle.
    pub fn handle(&self) -> &hdf5::File {
        &self.file
    }

    /// The names directly under the group `parent` ("" or "/" for the root), sorted.
    ///
    /// # Errors
    /// [`Error::MissingKey`] when `parent` is not a group.
    pub fn member_names(&self, parent: &str) -> Result<Vec<String>> {
        let g = self.group(parent)?;
        let mut names = g
            .member_names()
            .map_err(|e| Error::at(&self.path, parent, e))?;
        names.sort();
        Ok(names)
    }

    /// Whether a link (dataset or group) exists at the slash-separated `key`.
    pub fn exists(&self, key: &str) -> bool {
        let mut prefix = String::new();
        for part in key.split('/').filter(|p| !p.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if !self.file.link_exists(&prefix) {
                return false;
            }
        }
        true
    }

    fn missing(&self, key: &str, kind: &'static str) -> Error {
        let parent = key.rsplit_once('/').map_or("", |(p, _)| p);
        let found = if self.exists(parent) {
            self.file
                .group(if parent.is_empty() { "/" } else { parent })
                .and_then(|g| g.member_names())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Error::MissingKey {
            path: self.path.clone(),
            key: key.to_string(),
            kind,
            found,
        }
    }

    /// The group at `key` ("" or "/" for the root).
    ///
    /// # Errors
    /// [`Error::MissingKey`] when there is no group there.
    pub fn group(&self, key: &str) -> Result<Group> {
        let k = if key.is_empty() { "/" } else { key };
        if k != "/" && !self.exists(k) {
            return Err(self.missing(k, "group"));
        }
        self.file.group(k).map_err(|_| self.missing(k, "group"))
    }

    /// The dataset at `key`.
    ///
    /// # Errors
    /// [`Error::MissingKey`] when there is no dataset there.
    pub fn dataset(&self, key: &str) -> Result<Dataset> {
        if !self.exists(key) {
            return Err(self.missing(key, "dataset"));
        }
        self.file
            .dataset(key)
            .map_err(|_| self.missing(key, "dataset"))
    }

    /// The absolute byte offset of the dataset at `key` when Fluxion reads its values directly,
    /// with parallel `pread`s instead of through HDF5: a contiguous native-f32 dataset whose
    /// data is allocated in this file. `None` when HDF5 reads it (chunked or compressed, another
    /// byte order or float type, not allocated, external storage).
    ///
    /// # Errors
    /// [`Error::MissingKey`] when there is no dataset at `key`; HDF5 errors reading its type.
    pub fn direct_offset(&self, key: &str) -> Result<Option<u64>> {
        let ds = self.dataset(key)?;
        crate::h5read::direct_offset(&ds).map_err(|e| Error::at(&self.path, key, e))
    }

    /// The float dataset at `key`, checked to have `rank` dimensions (any rank when `None`).
    pub(crate) fn float_dataset(
        &self,
        key: &str,
        rank: Option<usize>,
        layout: &str,
    ) -> Result<FloatDataset> {
        let ds = self.dataset(key)?;
        let shape = ds.shape();
        if let Some(r) = rank {
            if shape.len() != r {
                return Err(Error::Rank {
                    path: self.path.clone(),
                    key: key.to_string(),
                    expected: format!("{r} ({layout})"),
                    found: shape,
                });
            }
        }
        self.check_float(&ds, key)?;
        let direct =
            crate::h5read::direct_offset(&ds).map_err(|e| Error::at(&self.path, key, e))?;
        Ok(FloatDataset {
            key: key.to_string(),
            shape,
            ds,
            direct,
        })
    }

    /// Fails unless `ds` holds f32 or f64 numbers.
    pub(crate) fn check_float(&self, ds: &Dataset, key: &str) -> Result<()> {
        let td = ds
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| Error::at(&self.path, key, e))?;
        match td {
            TypeDescriptor::Float(FloatSize::U4 | FloatSize::U8) => Ok(()),
            other => Err(Error::DType {
                path: self.path.clone(),
                key: key.to_string(),
                expected: "float32 or float64",
                found: other.to_string(),
            }),
        }
    }

    /// Reads the hyperslab `sel` of `d` as f32 values in row-major order.
    pub(crate) fn read_f32(&self, d: &FloatDataset, sel: Vec<SliceOrIndex>) -> Result<Vec<f32>> {
        crate::h5read::read_f32(&self.path, &d.ds, d.direct, &d.shape, sel)
            .map_err(|e| Error::at(&self.path, &d.key, e))
    }

    /// Reads the whole 1-D float dataset at `key` with stride `step` as f32.
    pub(crate) fn read_coordinate(&self, key: &str, step: usize) -> Result<Vec<f32>> {
        let d = self.float_dataset(key, Some(1), "a 1-D coordinate array")?;
        self.read_f32(&d, vec![strided(0, d.shape[0], step)])
    }

    /// The numeric scalar attributes of the object at `key` ("" or "/" for the file), as f64.
    ///
    /// Non-numeric and non-scalar attributes (strings, arrays) are skipped.
    ///
    /// # Errors
    /// [`Error::MissingKey`] when `key` does not exist.
    pub fn numeric_attrs(&self, key: &str) -> Result<BTreeMap<String, f64>> {
        if !(key.is_empty() || key == "/" || self.exists(key)) {
            return Err(self.missing(key, "object"));
        }
        let loc = location(&self.file, key).map_err(|e| Error::at(&self.path, key, e))?;
        let mut out = BTreeMap::new();
        for name in loc
            .attr_names()
            .map_err(|e| Error::at(&self.path, key, e))?
        {
            let Ok(attr) = loc.attr(&name) else { continue };
            let numeric = matches!(
                attr.dtype().and_then(|t| t.to_descriptor()),
                Ok(TypeDescriptor::Float(_)
                    | TypeDescriptor::Integer(_)
                    | TypeDescriptor::Unsigned(_))
            );
            if numeric && attr.size() == 1 {
                if let Ok(v) = attr.read_raw::<f64>() {
                    out.insert(name, v[0]);
                }
            }
        }
        Ok(out)
    }
}

/// The object (file root, group or dataset) at `key`, as a location that can hold attributes.
pub(crate) fn location(file: &hdf5::File, key: &str) -> hdf5::Result<Location> {
    if key.is_empty() || key == "/" {
        Ok((***file).clone())
    } else if let Ok(ds) = file.dataset(key) {
        Ok((**ds).clone())
    } else {
        Ok((*file.group(key)?).clone())
    }
}

/// A strided slice `start..end` with step `step` (an empty slice when `start >= end`).
pub(crate) fn strided(start: usize, end: usize, step: usize) -> SliceOrIndex {
    let count = if end > start {
        (end - start).div_ceil(step)
    } else {
        0
    };
    SliceOrIndex::SliceCount {
        start,
        step,
        count,
        block: 1,
    }
}

/// The number of elements `0..len` with step `step` keeps: `ceil(len / step)`.
pub(crate) fn strided_len(len: usize, step: usize) -> usize {
    len.div_ceil(step)
}

/// The row-major elements of an ndarray, without a copy when it is already standard layout.
pub(crate) fn into_vec<D: ndarray::Dimension>(arr: ndarray::Array<f32, D>) -> Vec<f32> {
    if arr.is_standard_layout() {
        arr.into_raw_vec_and_offset().0
    } else {
        arr.iter().copied().collect()
    }
}
