//! Reductions over any set of axes, with or without the reduced axes kept.

use crate::{Error, ReduceOp, Result, Shape, Tensor};

impl Tensor {
    /// `op` over `axes` (negative axes count from the end; an empty list reduces nothing).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], [`Error::DuplicateAxis`], [`Error::EmptyReduction`] for
    /// max/min/argmax/argmin over an empty axis, [`Error::UnsupportedDType`] for integer sums.
    pub fn reduce(&self, op: ReduceOp, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let axes = self.shape().axes(axes, op.name())?;
        if axes.iter().any(|&a| self.dims()[a] == 0) && op != ReduceOp::Sum {
            return Err(Error::EmptyReduction {
                op: op.name(),
                shape: self.shape().clone(),
            });
        }
        let s = self.storage().reduce(self.layout(), op, &axes)?;
        let t = Tensor::from_storage(s, self.reduced_shape(&axes, true));
        if keepdim {
            Ok(t)
        } else {
            t.reshape(self.reduced_shape(&axes, false))
        }
    }

    fn all_axes(&self) -> Vec<isize> {
        (0..self.rank() as isize).collect()
    }

    /// Σ over `axes`, accumulated in f64.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, axes, keepdim)
    }

    /// Σ of every element, as a 0-d tensor.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(&self.all_axes(), false)
    }

    /// Mean over `axes` (NaN over an empty axis).
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let n = self.reduced_count(axes, "mean")?;
        self.sum(axes, keepdim)?.div_scalar(n as f64)
    }

    /// Mean of every element, as a 0-d tensor.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn mean_all(&self) -> Result<Tensor> {
        self.mean(&self.all_axes(), false)
    }

    /// Maximum over `axes`; NaN if any element is NaN.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn max(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::Max, axes, keepdim)
    }

    /// Minimum over `axes`; NaN if any element is NaN.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn min(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::Min, axes, keepdim)
    }

    /// Maximum of every element.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn max_all(&self) -> Result<Tensor> {
        self.max(&self.all_axes(), false)
    }

    /// Minimum of every element.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn min_all(&self) -> Result<Tensor> {
        self.min(&self.all_axes(), false)
    }

    /// Index (`I64`) of the first maximum along `axis`; a NaN counts as the maximum.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn argmax(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::ArgMax, &[axis], keepdim)
    }

    /// Index (`I64`) of the first minimum along `axis`; a NaN counts as the minimum.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn argmin(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::ArgMin, &[axis], keepdim)
    }

    /// Variance over `axes`: Σ(x − x̄)² / max(n − `correction`, 0), computed in two passes.
    /// `correction = 1` is the unbiased estimator (PyTorch's default), 0 the population one.
    /// With no degrees of freedom left (n ≤ `correction`, e.g. an empty axis) the result is NaN
    /// (or +∞ for spread data), as NumPy's `var` gives.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn var(&self, axes: &[isize], correction: f64, keepdim: bool) -> Result<Tensor> {
        let n = self.reduced_count(axes, "var")? as f64;
        let mean = self.mean(axes, true)?;
        self.sub(&mean)?
            .square()?
            .sum(axes, keepdim)?
            .div_scalar((n - correction).max(0.0))
    }

    /// Euclidean norm √(Σx²) over `axes`.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn norm(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.shape().axes(axes, "norm")?;
        self.square()?.sum(axes, keepdim)?.sqrt()
    }

    /// Euclidean norm of every element.
    ///
    /// # Errors
    /// As [`Tensor::reduce`].
    pub fn norm_all(&self) -> Result<Tensor> {
        self.norm(&self.all_axes(), false)
    }

    fn reduced_count(&self, axes: &[isize], op: &'static str) -> Result<usize> {
        let axes = self.shape().axes(axes, op)?;
        Ok(axes.iter().map(|&a| self.dims()[a]).product())
    }

    /// The shape of a reduction's result (for callers sizing buffers).
    pub fn reduced_shape(&self, axes: &[usize], keepdim: bool) -> Shape {
        let dims: Vec<usize> = (0..self.rank())
            .filter_map(|a| match (axes.contains(&a), keepdim) {
                (true, true) => Some(1),
                (true, false) => None,
                (false, _) => Some(self.dims()[a]),
            })
            .collect();
        Shape::from(dims)
    }
}
