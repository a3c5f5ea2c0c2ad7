//! The crate's error type: every variant that concerns a file names the file and the key.

use std::path::PathBuf;

/// Errors from reading and writing HDF5 and MAT datasets.
///
/// Variants about a file carry its path and the dataset, group or attribute key, and say what was
/// expected and what was found, so a message alone tells the user which file to look at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file does not exist.
    #[error("{}: no such file", path.display())]
    FileNotFound {
        /// The path that was opened.
        path: PathBuf,
    },
    /// The file exists but HDF5 cannot open it (not HDF5, truncated, or unreadable).
    #[error("{}: cannot open as HDF5 (not an HDF5 file, or truncated): {source}", path.display())]
    Open {
        /// The path that was opened.
        path: PathBuf,
        /// The HDF5 library's error.
        #[source]
        source: hdf5::Error,
    },
    /// A dataset, group or attribute is missing.
    #[error("{}: no {kind} `{key}`{}", path.display(), found_list(found))]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The missing key (full path inside the file).
        key: String,
        /// What was looked for: "dataset", "group", "attribute", "variable".
        kind: &'static str,
        /// The names that exist at that level, to help spot a typo.
        found: Vec<String>,
    },
    /// A dataset has the wrong number of dimensions.
    #[error("{}: `{key}` has rank {} (shape {found:?}), expected {expected}", path.display(), found.len())]
    Rank {
        /// The file.
        path: PathBuf,
        /// The dataset.
        key: String,
        /// The expected rank or layout, in words, e.g. "3 ([N, T, X])".
        expected: String,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A dataset has the right rank but a wrong extent.
    #[error("{}: `{key}` has shape {found:?}, expected {expected}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// The dataset.
        key: String,
        /// The expected shape, in words, e.g. "[N=10, 128, 128] to match `tensor`".
        expected: String,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A dataset or attribute has an element type we cannot read as the requested one.
    #[error("{}: `{key}` has dtype {found}, expected {expected}", path.display())]
    DType {
        /// The file.
        path: PathBuf,
        /// The dataset or attribute.
        key: String,
        /// The expected element type, e.g. "f32".
        expected: &'static str,
        /// The element type found, as HDF5 describes it.
        found: String,
    },
    /// A sample index beyond the dataset.
    #[error("{}: sample {index} out of range for `{key}` with {len} samples", path.display())]
    IndexOutOfRange {
        /// The file.
        path: PathBuf,
        /// The dataset or group list.
        key: String,
        /// The index asked for.
        index: usize,
        /// The number of samples.
        len: usize,
    },
    /// An argument the caller gave is invalid (zero stride, empty batch, wrong tensor shape, …).
    #[error("{what}")]
    InvalidArgument {
        /// What is wrong, in words.
        what: String,
    },
    /// An HDF5 call on a known file and key failed (e.g. a corrupted chunk).
    #[error("{}: `{key}`: {source}", path.display())]
    Hdf5At {
        /// The file.
        path: PathBuf,
        /// The dataset, group or attribute.
        key: String,
        /// The HDF5 library's error.
        #[source]
        source: hdf5::Error,
    },
    /// An HDF5 error with no file context.
    #[error(transparent)]
    Hdf5(#[from] hdf5::Error),
    /// A classic (v5) MAT file could not be parsed.
    #[error("{}: cannot parse as a MAT v5 file: {source}", path.display())]
    Mat {
        /// The file.
        path: PathBuf,
        /// The MAT reader's error.
        #[source]
        source: matfile::Error,
    },
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An iterative solver stopped before reaching its tolerance.
    #[error("{solver}: no convergence after {iterations} iterations (relative residual {residual:e}, tolerance {tolerance:e})")]
    NotConverged {
        /// The solver, e.g. "Darcy PCG".
        solver: &'static str,
        /// Iterations done.
        iterations: usize,
        /// The relative residual reached.
        residual: f64,
        /// The relative residual asked for.
        tolerance: f64,
    },
    /// Building the result tensor failed.
    #[error(transparent)]
    Tensor(#[from] fluxion_tensor::Error),
}

fn found_list(found: &[String]) -> String {
    if found.is_empty() {
        String::new()
    } else {
        const MAX: usize = 12;
        let mut names: Vec<&str> = found.iter().take(MAX).map(String::as_str).collect();
        if found.len() > MAX {
            names.push("…");
        }
        format!(" (found: {})", names.join(", "))
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Attaches a file and key to an HDF5 error.
    pub(crate) fn at(path: &std::path::Path, key: &str, source: hdf5::Error) -> Self {
        Self::Hdf5At {
            path: path.to_path_buf(),
            key: key.to_string(),
            source,
        }
    }

    /// An [`Error::InvalidArgument`] with the given message.
    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Self::InvalidArgument { what: what.into() }
    }
}
