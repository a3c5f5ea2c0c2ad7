//! Real FFTs over the trailing axes, with NumPy's conventions. Complex values are a trailing
//! axis of 2 (re, im).
//!
//! X_k = Σ_j x_j e^{−2πi jk/n}; the inverse uses e^{+2πi jk/n}; [`FftNorm`] says which
//! direction carries 1/n (or both 1/√n).

use crate::{invalid, Error, FftNorm, Result, Tensor};

impl Tensor {
    /// Real-to-complex FFT along the last axis: `[…, n] → […, n/2 + 1, 2]`.
    ///
    /// ```
    /// use fluxion_tensor::{DType, Device, FftNorm, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 0.0], [4], &Device::Cpu)?;
    /// let y = x.rfft(FftNorm::Backward)?;
    /// assert_eq!(y.dims(), &[3, 2]);
    /// assert_eq!(y.to_vec::<f64>()?, vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
    /// # Ok::<(), fluxion_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// For rank 0, an empty last axis, or integer dtypes.
    pub fn rfft(&self, norm: FftNorm) -> Result<Tensor> {
        self.rfftn(1, norm)
    }

    /// Inverse of [`Tensor::rfft`]: `[…, m, 2] → […, n]` with `n = 2(m − 1)` by default; the
    /// input is truncated or zero-padded to n/2 + 1 bins, and the imaginary parts of the DC and
    /// Nyquist bins are ignored, as in NumPy.
    ///
    /// # Errors
    /// When the last axis is not 2, there are no bins, `n` is 0, or the dtype is an integer.
    pub fn irfft(&self, n: Option<usize>, norm: FftNorm) -> Result<Tensor> {
        self.irfftn(1, n, norm)
    }

    /// Real-to-complex FFT over the last `ndim` axes (1 ≤ ndim ≤ 3, NumPy's `rfftn` over
    /// `axes = (−ndim, …, −1)`): `[…, n₁, …, n] → […, n₁, …, n/2 + 1, 2]`.
    ///
    /// # Errors
    /// When `ndim` is not in 1..=3 or exceeds the rank, an axis is empty, or the dtype is an
    /// integer.
    pub fn rfftn(&self, ndim: usize, norm: FftNorm) -> Result<Tensor> {
        if !(1..=3).contains(&ndim) || ndim > self.rank() {
            return Err(invalid(
                "rfftn",
                format!(
                    "ndim must be 1..=3 and at most the rank, got {ndim} for shape {}",
                    self.shape()
                ),
            ));
        }
        if let Some(a) = self.dims()[self.rank() - ndim..]
            .iter()
            .position(|&d| d == 0)
        {
            return Err(invalid(
                "rfftn",
                format!(
                    "transformed axis {} of shape {} is empty",
                    self.rank() - ndim + a,
                    self.shape()
                ),
            ));
        }
        let s = self.storage().rfftn(self.layout(), ndim, norm)?;
        let mut dims = self.dims().to_vec();
        let last = dims.len() - 1;
        dims[last] = dims[last] / 2 + 1;
        dims.push(2);
        Ok(Tensor::from_storage(s, dims))
    }

    /// Inverse of [`Tensor::rfftn`] over the last `ndim` complex axes: `[…, n₁, …, m, 2] →
    /// […, n₁, …, last_len]`, `last_len` defaulting to 2(m − 1).
    ///
    /// # Errors
    /// As [`Tensor::irfft`] and [`Tensor::rfftn`].
    pub fn irfftn(&self, ndim: usize, last_len: Option<usize>, norm: FftNorm) -> Result<Tensor> {
        let r = self.rank();
        if r < ndim + 1 || self.dims()[r - 1] != 2 {
            return Err(Error::ShapeMismatch {
                op: "irfftn",
                expected: format!(
                    "complex values [..., {}, 2] with {ndim} transformed axes",
                    "m"
                ),
                got: self.shape().clone(),
            });
        }
        if !(1..=3).contains(&ndim) {
            return Err(invalid("irfftn", format!("ndim must be 1..=3, got {ndim}")));
        }
        let m = self.dims()[r - 2];
        let n = last_len.unwrap_or(2 * m.saturating_sub(1));
        if m == 0 || n == 0 {
            return Err(invalid("irfftn", format!("needs at least one input bin and output point, got {m} bins for n = {n} (shape {})", self.shape())));
        }
        if let Some(a) = self.dims()[r - 1 - ndim..r - 2]
            .iter()
            .position(|&d| d == 0)
        {
            return Err(invalid(
                "irfftn",
                format!(
                    "transformed axis {} of shape {} is empty",
                    r - 1 - ndim + a,
                    self.shape()
                ),
            ));
        }
        let s = self.storage().irfftn(self.layout(), ndim, n, norm)?;
        let mut dims = self.dims()[..r - 1].to_vec();
        dims[r - 2] = n;
        Ok(Tensor::from_storage(s, dims))
    }
}
