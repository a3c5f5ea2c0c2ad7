//! HDF5 datasets (in progress).
#![warn(missing_docs)]
