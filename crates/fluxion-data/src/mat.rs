//! FNO's MAT files (Li et al. 2021): MAT v7.3 through HDF5, classic MAT v5 through `matfile`.
//!
//! MATLAB stores arrays column-major, so HDF5 (and h5py) see a v7.3 array's axes reversed: an array
//! MATLAB calls 5000×64×64×50 appears as (50, 64, 64, 5000). Both readers return arrays in
//! MATLAB's (and the FNO scripts' PyTorch) axis order, `[5000, 64, 64, 50]`, as row-major f32.
//! Variables in FNO's files: `a`, `u`, `coeff`, `sol`, `t`.

use std::io::Read;
use std::path::{Path, PathBuf};

use fluxion_tensor::{Device, Tensor};

use crate::error::{Error, Result};
use crate::h5util::H5File;

/// Which MAT format a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatVersion {
    /// Classic Level 5 MAT file (MATLAB's `save -v7` and earlier, SciPy's `savemat`).
    V5,
    /// MAT v7.3: an HDF5 file (with a 512-byte MATLAB header block, or plain HDF5).
    V73,
}

#[derive(Debug)]
enum Inner {
    V5(matfile::MatFile),
    V73(H5File),
}

/// An opened MAT file.
///
/// ```no_run
/// # fn main() -> fluxion_data::Result<()> {
/// let m = fluxion_data::mat::MatFile::open("ns_V1e-3_N5000_T50.mat")?;
/// assert_eq!(m.shape("u")?, vec![5000, 64, 64, 50]);
/// let u = m.read("u")?; // f32 [5000, 64, 64, 50]
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MatFile {
    path: PathBuf,
    inner: Inner,
}

const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

impl MatFile {
    /// Opens `path`, detecting v7.3 (HDF5 signature at byte 0 or 512) or v5 (`MATLAB` text
    /// header). A v5 file is parsed whole on open; a v7.3 file is read per variable.
    ///
    /// # Errors
    /// [`Error::FileNotFound`], [`Error::Io`], [`Error::Open`] for a bad v7.3 file,
    /// [`Error::Mat`] for a bad or unrecognised v5 file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(Error::FileNotFound { path });
        }
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut head = Vec::with_capacity(520);
        std::fs::File::open(&path)
            .map_err(io)?
            .take(520)
            .read_to_end(&mut head)
            .map_err(io)?;
        let hdf5_at = |o: usize| head.get(o..o + 8) == Some(&HDF5_SIGNATURE[..]);
        let inner = if hdf5_at(0) || hdf5_at(512) {
            Inner::V73(H5File::open(&path)?)
        } else {
            let file = std::fs::File::open(&path).map_err(io)?;
            let parsed =
                matfile::MatFile::parse(std::io::BufReader::new(file)).map_err(|source| {
                    Error::Mat {
                        path: path.clone(),
                        source,
                    }
                })?;
            Inner::V5(parsed)
        };
        Ok(Self { path, inner })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's format.
    pub fn version(&self) -> MatVersion {
        match self.inner {
            Inner::V5(_) => MatVersion::V5,
            Inner::V73(_) => MatVersion::V73,
        }
    }

    /// The numeric variables' names, sorted.
    ///
    /// # Errors
    /// HDF5 errors listing a v7.3 file.
    pub fn variables(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = match &self.inner {
            Inner::V5(m) => m.arrays().iter().map(|a| a.name().to_string()).collect(),
            Inner::V73(f) => f
                .member_names("/")?
                .into_iter()
                .filter(|n| f.handle().dataset(n).is_ok())
                .collect(),
        };
        names.sort();
        Ok(names)
    }

    fn missing(&self, name: &str) -> Error {
        Error::MissingKey {
            path: self.path.clone(),
            key: name.into(),
            kind: "variable",
            found: self.variables().unwrap_or_default(),
        }
    }

    /// The shape of variable `name` in MATLAB order.
    ///
    /// # Errors
    /// [`Error::MissingKey`] naming the file and variable.
    pub fn shape(&self, name: &str) -> Result<Vec<usize>> {
        let mut s = match &self.inner {
            Inner::V5(m) => {
                return m
                    .find_by_name(name)
                    .map(|a| a.size().clone())
                    .ok_or(self.missing(name))
            }
            Inner::V73(f) => f.dataset(name).map_err(|_| self.missing(name))?.shape(),
        };
        s.reverse();
        Ok(s)
    }

    /// Variable `name` as an f32 tensor in MATLAB axis order (converted from double, single or
    /// integer storage).
    ///
    /// # Errors
    /// [`Error::MissingKey`], [`Error::DType`] for complex, logical, char or struct data, HDF5
    /// read errors naming the file and variable.
    pub fn read(&self, name: &str) -> Result<Tensor> {
        let (stored, raw) = match &self.inner {
            Inner::V5(m) => {
                let a = m.find_by_name(name).ok_or_else(|| self.missing(name))?;
                let mut s = a.size().clone();
                s.reverse();
                (s, v5_values(&self.path, name, a.data())?)
            }
            Inner::V73(f) => {
                let d = f.float_dataset(name, None, "")?;
                let sel = d
                    .shape
                    .iter()
                    .map(|&n| crate::h5util::strided(0, n, 1))
                    .collect();
                (d.shape.clone(), f.read_f32(&d, sel)?)
            }
        };
        // `raw` is row-major over `stored` (MATLAB's axes reversed): reverse the axes back.
        let arr = ndarray::ArrayD::from_shape_vec(stored, raw)
            .map_err(|e| Error::invalid(format!("{}: `{name}`: {e}", self.path.display())))?;
        let rev = arr.reversed_axes();
        let shape = rev.shape().to_vec();
        let values = if rev.is_standard_layout() {
            rev.into_raw_vec_and_offset().0
        } else {
            rev.as_standard_layout().iter().copied().collect()
        };
        Ok(Tensor::from_vec(values, shape, &Device::Cpu)?)
    }
}

fn v5_values(path: &Path, name: &str, data: &matfile::NumericData) -> Result<Vec<f32>> {
    use matfile::NumericData as N;
    let dtype = |found: &str| Error::DType {
        path: path.to_path_buf(),
        key: name.into(),
        expected: "real numeric",
        found: found.into(),
    };
    macro_rules! real {
        ($real:expr, $imag:expr, $t:literal) => {{
            if $imag.is_some() {
                return Err(dtype(concat!("complex ", $t)));
            }
            $real.iter().map(|&v| v as f32).collect()
        }};
    }
    Ok(match data {
        N::Double { real, imag } => real!(real, imag, "double"),
        N::Single { real, imag } => real!(real, imag, "single"),
        N::Int8 { real, imag } => real!(real, imag, "int8"),
        N::UInt8 { real, imag } => real!(real, imag, "uint8"),
        N::Int16 { real, imag } => real!(real, imag, "int16"),
        N::UInt16 { real, imag } => real!(real, imag, "uint16"),
        N::Int32 { real, imag } => real!(real, imag, "int32"),
        N::UInt32 { real, imag } => real!(real, imag, "uint32"),
        N::Int64 { real, imag } => real!(real, imag, "int64"),
        N::UInt64 { real, imag } => real!(real, imag, "uint64"),
    })
}
