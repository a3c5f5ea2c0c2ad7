//! Views on `Var` (reshape, permute, narrow, broadcast, squeeze/unsqueeze) and their
//! backward rules. The values share storage with the input, as the tensor views do.

use fluxion_tensor::Shape;

use crate::op::Op;
use crate::{Result, Var};

impl Var {
    /// The same elements in another shape.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::reshape`].
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Var> {
        let shape = shape.into();
        let value = self.tensor_ref().reshape(shape)?;
        Ok(Var::record(value, Op::Reshape, vec![self.clone()]))
    }

    /// All elements as one axis.
    ///
    /// # Errors
    /// As [`Var::reshape`].
    pub fn flatten_all(&self) -> Result<Var> {
        self.reshape([self.elem_count()])
    }

    /// A contiguous copy (or the variable itself when already contiguous).
    ///
    /// # Errors
    /// Device errors.
    pub fn contiguous(&self) -> Result<Var> {
        let t = self.tensor();
        if t.is_contiguous() {
            return Ok(self.clone());
        }
        Ok(Var::record(
            t.contiguous()?,
            Op::Reshape,
            vec![self.clone()],
        ))
    }

    /// Axes reordered: axis i of the result is axis `perm[i]` of the input.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::permute`].
    pub fn permute(&self, perm: &[usize]) -> Result<Var> {
        let value = self.tensor_ref().permute(perm)?;
        Ok(Var::record(
            value,
            Op::Permute(perm.to_vec()),
            vec![self.clone()],
        ))
    }

    /// Axes `a` and `b` swapped.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::transpose`].
    pub fn transpose(&self, a: isize, b: isize) -> Result<Var> {
        let t = self.tensor();
        let (a, b) = (t.axis(a, "transpose")?, t.axis(b, "transpose")?);
        let mut perm: Vec<usize> = (0..t.rank()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// The last two axes swapped.
    ///
    /// # Errors
    /// For rank below 2.
    pub fn t(&self) -> Result<Var> {
        self.transpose(-2, -1)
    }

    /// `len` entries of `axis` from `start`.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::narrow`].
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Var> {
        let t = self.tensor();
        let value = t.narrow(axis, start, len)?;
        let axis = t.axis(axis, "narrow")?;
        Ok(Var::record(
            value,
            Op::Narrow { axis, start },
            vec![self.clone()],
        ))
    }

    /// The entries `range` of `axis`.
    ///
    /// # Errors
    /// As [`Var::narrow`].
    pub fn slice(&self, axis: isize, range: std::ops::Range<usize>) -> Result<Var> {
        self.narrow(axis, range.start, range.end.saturating_sub(range.start))
    }

    /// A broadcast view; the gradient is summed back with [`Var::sum_to`].
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::broadcast_to`].
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Var> {
        let shape = shape.into();
        if self.dims().as_slice() == shape.dims() {
            return Ok(self.clone());
        }
        let value = self.tensor_ref().broadcast_to(shape)?;
        Ok(Var::record(value, Op::BroadcastTo, vec![self.clone()]))
    }

    /// A new axis of length 1 at `axis`.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::unsqueeze`].
    pub fn unsqueeze(&self, axis: isize) -> Result<Var> {
        let value = self.tensor_ref().unsqueeze(axis)?;
        Ok(Var::record(value, Op::Reshape, vec![self.clone()]))
    }

    /// Removes `axis`, which must have length 1.
    ///
    /// # Errors
    /// As [`fluxion_tensor::Tensor::squeeze`].
    pub fn squeeze(&self, axis: isize) -> Result<Var> {
        let value = self.tensor_ref().squeeze(axis)?;
        Ok(Var::record(value, Op::Reshape, vec![self.clone()]))
    }
}

/// The gradient of a permutation: `g` permuted by the inverse.
pub(crate) fn permute_backward(perm: &[usize], g: &Var) -> Result<Var> {
    let mut inverse = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    g.permute(&inverse)
}

/// The gradient of a narrow: `g` placed at `start` along `axis` between zeros.
pub(crate) fn narrow_backward(x: &Var, axis: usize, start: usize, g: &Var) -> Result<Var> {
    let dims = x.dims();
    let len = g.dims()[axis];
    let after = dims[axis] - start - len;
    let zeros = |n: usize| {
        let mut d = dims.clone();
        d[axis] = n;
        g.full_const(&Shape::from(d), 0.0)
    };
    let mut parts = Vec::with_capacity(3);
    if start > 0 {
        parts.push(zeros(start)?);
    }
    parts.push(g.clone());
    if after > 0 {
        parts.push(zeros(after)?);
    }
    if parts.len() == 1 {
        return Ok(g.clone());
    }
    let refs: Vec<&Var> = parts.iter().collect();
    Var::concat(&refs, axis as isize)
}
