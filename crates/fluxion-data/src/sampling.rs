//! PDEBench's subsampling (`reduced_resolution`, `reduced_resolution_t`) and train/test split.

use std::ops::Range;

use crate::error::{Error, Result};

/// Strides applied inside the HDF5 selection, as PDEBench's data loaders do.
///
/// A sample `u[i]` of shape `[T, X]` is read as `u[i, ::time, ::space]` (numpy notation), so the
/// kept lengths are `ceil(T / time)` and `ceil(X / space)`; every spatial axis gets the same stride.
///
/// ```
/// let r = fluxion_data::Resolution { space: 4, time: 5 };
/// assert_eq!(r, fluxion_data::Resolution::new(4, 5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// PDEBench's `reduced_resolution`: stride along every spatial axis.
    pub space: usize,
    /// PDEBench's `reduced_resolution_t`: stride along time.
    pub time: usize,
}

impl Default for Resolution {
    fn default() -> Self {
        Self::FULL
    }
}

impl Resolution {
    /// Every point: strides 1.
    pub const FULL: Self = Self { space: 1, time: 1 };

    /// Strides `space` and `time`.
    pub fn new(space: usize, time: usize) -> Self {
        Self { space, time }
    }

    pub(crate) fn check(self) -> Result<Self> {
        if self.space == 0 || self.time == 0 {
            return Err(Error::invalid(format!(
                "resolution strides must be at least 1, got space {} time {}",
                self.space, self.time
            )));
        }
        Ok(self)
    }
}

/// Which part of a PDEBench file: the **first** `test_ratio` of the samples are the test set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Samples `floor(N · test_ratio)..N`.
    Train,
    /// Samples `0..floor(N · test_ratio)`.
    Test,
    /// All samples.
    All,
}

/// PDEBench's default test ratio.
pub const PDEBENCH_TEST_RATIO: f64 = 0.1;

impl Split {
    /// The sample indices of this split of `n` samples, with `test_idx = floor(n · test_ratio)`
    /// computed in f64 as PDEBench's `int(num_samples_max * test_ratio)`.
    ///
    /// ```
    /// use fluxion_data::Split;
    /// assert_eq!(Split::Test.range(10000, 0.1), 0..1000);
    /// assert_eq!(Split::Train.range(10000, 0.1), 1000..10000);
    /// assert_eq!(Split::Train.range(15, 0.1), 1..15);
    /// ```
    ///
    /// # Panics
    /// When `test_ratio` is not in `[0, 1]`.
    pub fn range(self, n: usize, test_ratio: f64) -> Range<usize> {
        assert!(
            (0.0..=1.0).contains(&test_ratio),
            "test_ratio {test_ratio} outside [0, 1]"
        );
        let test_idx = ((n as f64) * test_ratio).floor() as usize;
        match self {
            Split::Train => test_idx..n,
            Split::Test => 0..test_idx,
            Split::All => 0..n,
        }
    }
}
