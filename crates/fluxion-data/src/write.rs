//! Crash-safe HDF5 writing: a temporary file next to the target, renamed into place at the end.

use std::path::{Path, PathBuf};

use fluxion_tensor::Tensor;
use hdf5::SliceOrIndex;

use crate::error::{Error, Result};

/// How datasets are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// gzip (deflate) level 0–9, or `None` for no compression.
    pub gzip: Option<u8>,
}

/// An HDF5 file being written to `<target>.tmp-<pid>` in the target's directory.
///
/// [`Hdf5Writer::finish`] closes it and renames it onto the target, so an interrupted run leaves
/// either the old target or none, never a half-written file; dropping an unfinished writer
/// deletes the temporary file.
///
/// Datasets are chunked one sample (one leading index) per chunk, so a reader of one sample
/// touches one chunk.
#[derive(Debug)]
pub struct Hdf5Writer {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<hdf5::File>,
    opts: WriteOptions,
}

impl Hdf5Writer {
    /// Starts writing `target`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a gzip level above 9; [`Error::Open`] when the temporary
    /// file cannot be created.
    pub fn create(target: impl AsRef<Path>, opts: WriteOptions) -> Result<Self> {
        if let Some(level) = opts.gzip {
            if level > 9 {
                return Err(Error::invalid(format!("gzip level {level} is above 9")));
            }
        }
        let target = target.as_ref().to_path_buf();
        let name = target
            .file_name()
            .ok_or_else(|| Error::invalid(format!("{}: not a file path", target.display())))?;
        let mut tmp_name = name.to_os_string();
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = target.with_file_name(tmp_name);
        let file = hdf5::File::create(&tmp).map_err(|source| Error::Open {
            path: tmp.clone(),
            source,
        })?;
        Ok(Self {
            target,
            tmp,
            file: Some(file),
            opts,
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn file(&self) -> &hdf5::File {
        self.file.as_ref().expect("file is open until finish")
    }

    fn at(&self, key: &str, e: hdf5::Error) -> Error {
        Error::at(&self.tmp, key, e)
    }

    /// Creates the groups on the way to `key` (e.g. `0001/grid` for `0001/grid/x`).
    fn parent_group(&self, key: &str) -> Result<hdf5::Group> {
        let mut g: hdf5::Group = (**self.file()).clone();
        let mut parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
        parts.pop();
        for part in parts {
            g = if g.link_exists(part) {
                g.group(part).map_err(|e| self.at(key, e))?
            } else {
                g.create_group(part).map_err(|e| self.at(key, e))?
            };
        }
        Ok(g)
    }

    /// Creates the f32 dataset `key` of `shape`, chunked by one leading index and compressed as
    /// the options say.
    ///
    /// # Errors
    /// When `key` exists or HDF5 fails.
    pub fn create_dataset(&self, key: &str, shape: &[usize]) -> Result<()> {
        let g = self.parent_group(key)?;
        let name = key.rsplit('/').next().unwrap_or(key);
        let mut chunk = shape.to_vec();
        if let Some(c) = chunk.first_mut() {
            *c = 1;
        }
        let chunk: Vec<usize> = chunk.into_iter().map(|c| c.max(1)).collect();
        let mut b = g.new_dataset::<f32>().shape(shape.to_vec());
        if !shape.is_empty() && shape.iter().all(|&s| s > 0) {
            b = b.chunk(chunk);
            if let Some(level) = self.opts.gzip {
                b = b.deflate(level);
            }
        }
        b.create(name).map_err(|e| self.at(key, e))?;
        Ok(())
    }

    /// Writes `values` (row-major, shape `shape[1..]` repeated) at leading indices
    /// `start..start + values.len() / prod(shape[1..])` of dataset `key`.
    ///
    /// # Errors
    /// When `key` is missing, the length does not fit, or HDF5 fails.
    pub fn write_rows(&self, key: &str, start: usize, values: &[f32]) -> Result<()> {
        let ds = self.file().dataset(key).map_err(|e| self.at(key, e))?;
        let shape = ds.shape();
        let per: usize = shape.iter().skip(1).product();
        if shape.is_empty() || per == 0 || !values.len().is_multiple_of(per) {
            return Err(Error::invalid(format!(
                "{}: `{key}` has shape {shape:?}; {} values are not whole rows",
                self.target.display(),
                values.len()
            )));
        }
        let rows = values.len() / per;
        if start + rows > shape[0] {
            return Err(Error::invalid(format!(
                "{}: `{key}` has {} rows; cannot write rows {start}..{}",
                self.target.display(),
                shape[0],
                start + rows
            )));
        }
        let mut mshape = shape.clone();
        mshape[0] = rows;
        let view = ndarray::ArrayViewD::from_shape(mshape, values)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let mut sel = vec![SliceOrIndex::SliceCount {
            start,
            step: 1,
            count: rows,
            block: 1,
        }];
        sel.extend(shape[1..].iter().map(|&n| SliceOrIndex::SliceCount {
            start: 0,
            step: 1,
            count: n,
            block: 1,
        }));
        ds.write_slice(&view, hdf5::Hyperslab::from(sel))
            .map_err(|e| self.at(key, e))?;
        Ok(())
    }

    /// Creates dataset `key` with the shape of `t` and writes its values.
    ///
    /// # Errors
    /// When `t` is not f32 or HDF5 fails.
    pub fn write_tensor(&self, key: &str, t: &Tensor) -> Result<()> {
        let values = t.to_vec::<f32>()?;
        let shape = t.dims().to_vec();
        if shape.is_empty() {
            return Err(Error::invalid(format!(
                "`{key}`: cannot write a scalar tensor"
            )));
        }
        self.create_dataset(key, &shape)?;
        if values.is_empty() {
            return Ok(());
        }
        self.write_rows(key, 0, &values)
    }

    /// Writes the scalar f64 attribute `name` on the object at `key` ("" or "/" for the file).
    ///
    /// # Errors
    /// When `key` is missing or HDF5 fails.
    pub fn set_attr(&self, key: &str, name: &str, value: f64) -> Result<()> {
        let loc = crate::h5util::location(self.file(), key).map_err(|e| self.at(key, e))?;
        let attr = loc
            .new_attr::<f64>()
            .create(name)
            .map_err(|e| self.at(name, e))?;
        attr.write_scalar(&value).map_err(|e| self.at(name, e))?;
        Ok(())
    }

    /// Flushes, closes and renames the file onto the target.
    ///
    /// # Errors
    /// When flushing or renaming fails (the temporary file is then removed).
    pub fn finish(mut self) -> Result<PathBuf> {
        let file = self.file.take().expect("file is open until finish");
        let flushed = file.flush().map_err(|e| Error::at(&self.tmp, "/", e));
        drop(file);
        flushed?;
        if let Err(source) = std::fs::rename(&self.tmp, &self.target) {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(Error::Io {
                path: self.target.clone(),
                source,
            });
        }
        Ok(self.target.clone())
    }
}

impl Drop for Hdf5Writer {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            drop(file);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
