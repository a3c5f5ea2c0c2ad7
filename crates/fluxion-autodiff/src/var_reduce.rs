//! Reductions on `Var` and their backward rules.

use fluxion_tensor::{ReduceOp, Shape};

use crate::op::Op;
use crate::{Result, Var};

impl Var {
    fn all_axes(&self) -> Vec<isize> {
        (0..self.rank() as isize).collect()
    }

    /// Σ over `axes`; the gradient is broadcast back.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::sum`].
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        let t = self.tensor();
        let value = t.sum(axes, keepdim)?;
        let axes = t.shape().axes(axes, "sum")?;
        Ok(Var::record(
            value,
            Op::Sum { axes, keepdim },
            vec![self.clone()],
        ))
    }

    /// Σ of every element (0-d).
    ///
    /// # Errors
    /// As [`Var::sum`].
    pub fn sum_all(&self) -> Result<Var> {
        self.sum(&self.all_axes(), false)
    }

    /// Mean over `axes`.
    ///
    /// # Errors
    /// As [`Var::sum`].
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        let t = self.tensor();
        let n: usize = t
            .shape()
            .axes(axes, "mean")?
            .iter()
            .map(|&a| t.dims()[a])
            .product();
        self.sum(axes, keepdim)?.div_scalar(n as f64)
    }

    /// Mean of every element (0-d).
    ///
    /// # Errors
    /// As [`Var::sum`].
    pub fn mean_all(&self) -> Result<Var> {
        self.mean(&self.all_axes(), false)
    }

    fn extremum(&self, op: ReduceOp, axes: &[isize], keepdim: bool) -> Result<Var> {
        let t = self.tensor();
        let value = t.reduce(op, axes, keepdim)?;
        let axes = t.shape().axes(axes, op.name())?;
        Ok(Var::record(
            value,
            Op::Extremum { op, axes, keepdim },
            vec![self.clone()],
        ))
    }

    /// Maximum over `axes`; the gradient is shared equally among tied maxima (PyTorch's
    /// `amax`).
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::max`].
    pub fn max(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        self.extremum(ReduceOp::Max, axes, keepdim)
    }

    /// Minimum over `axes`; ties share the gradient as in [`Var::max`].
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::min`].
    pub fn min(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        self.extremum(ReduceOp::Min, axes, keepdim)
    }

    /// Maximum of every element (0-d).
    ///
    /// # Errors
    /// As [`Var::max`].
    pub fn max_all(&self) -> Result<Var> {
        self.max(&self.all_axes(), false)
    }

    /// Minimum of every element (0-d).
    ///
    /// # Errors
    /// As [`Var::min`].
    pub fn min_all(&self) -> Result<Var> {
        self.min(&self.all_axes(), false)
    }

    /// Variance Σ(x − x̄)² / (n − `correction`) over `axes`.
    ///
    /// # Errors
    /// As [`Var::sum`].
    pub fn var(&self, axes: &[isize], correction: f64, keepdim: bool) -> Result<Var> {
        let t = self.tensor();
        let n: usize = t
            .shape()
            .axes(axes, "var")?
            .iter()
            .map(|&a| t.dims()[a])
            .product();
        let centred = self.sub(&self.mean(axes, true)?)?;
        centred
            .square()?
            .sum(axes, keepdim)?
            .div_scalar((n as f64 - correction).max(0.0))
    }

    /// Euclidean norm √(Σx²) over `axes`. Its gradient x/‖x‖ is NaN where the norm is 0.
    ///
    /// # Errors
    /// As [`Var::sum`].
    pub fn norm(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        self.square()?.sum(axes, keepdim)?.sqrt()
    }

    /// Euclidean norm of every element (0-d).
    ///
    /// # Errors
    /// As [`Var::sum`].
    pub fn norm_all(&self) -> Result<Var> {
        self.norm(&self.all_axes(), false)
    }

    /// Sums a broadcast value back to `shape` (the adjoint of [`Var::broadcast_to`]): leading
    /// axes are summed away and axes where `shape` has 1 are summed with the axis kept.
    ///
    /// # Errors
    /// When `shape` does not broadcast to this variable's shape.
    pub fn sum_to(&self, shape: &Shape) -> Result<Var> {
        let dims = self.dims();
        if dims.as_slice() == shape.dims() {
            return Ok(self.clone());
        }
        shape.broadcast(&self.shape(), "sum_to")?;
        let lead = dims.len() - shape.rank();
        let mut axes: Vec<isize> = (0..lead as isize).collect();
        for (i, &d) in shape.dims().iter().enumerate() {
            if d == 1 && dims[lead + i] != 1 {
                axes.push((lead + i) as isize);
            }
        }
        self.sum(&axes, true)?.reshape(shape.clone())
    }
}

/// The gradient of a sum: `g` with the reduced axes restored, broadcast to the input.
pub(crate) fn sum_backward(x: &Var, axes: &[usize], keepdim: bool, g: &Var) -> Result<Var> {
    let xt = x.tensor();
    let g = if keepdim {
        g.clone()
    } else {
        g.reshape(xt.reduced_shape(axes, true))?
    };
    g.broadcast_to(xt.shape().clone())
}

/// The gradient of max/min: `g` shared equally among the elements equal to the extremum.
pub(crate) fn extremum_backward(
    x: &Var,
    y: &Var,
    axes: &[usize],
    keepdim: bool,
    g: &Var,
) -> Result<Var> {
    let xt = x.tensor();
    let kept = xt.reduced_shape(axes, true);
    let yk = y.tensor().reshape(kept.clone())?;
    let hits = xt.eq(&yk)?.to_dtype(xt.dtype())?;
    let axes_i: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
    let share = hits.div(&hits.sum(&axes_i, true)?)?;
    let g = if keepdim { g.clone() } else { g.reshape(kept)? };
    g.mul(&Var::constant(share))
}
