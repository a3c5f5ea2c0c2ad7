//! Views: new layouts over the same storage, plus `contiguous` and `reshape` (which copy only
//! when the data is not already row-major).

use crate::{invalid, Error, Layout, Result, Shape, Tensor};

impl Tensor {
    /// The same elements with another shape of equal element count. Shares storage when the
    /// tensor is contiguous; copies otherwise.
    ///
    /// # Errors
    /// [`Error::ElementCount`] when the counts differ.
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.elem_count() != self.elem_count() {
            return Err(Error::ElementCount {
                op: "reshape",
                len: self.elem_count(),
                expected: shape.elem_count(),
                shape,
            });
        }
        match self.layout().reshape_contiguous(&shape) {
            Some(l) => Ok(self.with_layout(l)),
            None => self.contiguous()?.reshape(shape),
        }
    }

    /// All elements as one axis.
    ///
    /// # Errors
    /// Never for valid tensors; kept fallible for a uniform API.
    pub fn flatten_all(&self) -> Result<Tensor> {
        self.reshape(self.elem_count())
    }

    /// A row-major copy, or this tensor itself when already contiguous.
    ///
    /// # Errors
    /// Device errors.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        let s = self.storage().copy_strided(self.layout())?;
        Ok(Tensor::from_storage(s, self.shape().clone()))
    }

    /// Axes `a` and `b` swapped (negative axes count from the end).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`].
    pub fn transpose(&self, a: isize, b: isize) -> Result<Tensor> {
        let (a, b) = (self.axis(a, "transpose")?, self.axis(b, "transpose")?);
        Ok(self.with_layout(self.layout().transpose(a, b)))
    }

    /// The last two axes swapped (matrix transpose, batched).
    ///
    /// # Errors
    /// When the rank is below 2.
    pub fn t(&self) -> Result<Tensor> {
        if self.rank() < 2 {
            return Err(Error::ShapeMismatch {
                op: "t",
                expected: "rank >= 2".into(),
                got: self.shape().clone(),
            });
        }
        self.transpose(-2, -1)
    }

    /// Axes reordered: new axis `i` is old axis `perm[i]`.
    ///
    /// # Errors
    /// When `perm` is not a permutation of the axes.
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout().permute(perm)?))
    }

    /// Elements `start..start + len` along `axis`.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], or when the range exceeds the axis.
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Tensor> {
        let a = self.axis(axis, "narrow")?;
        Ok(self.with_layout(self.layout().narrow(a, start, len)?))
    }

    /// Elements `range` along `axis` (Python's `x[..., a:b]`).
    ///
    /// # Errors
    /// As [`Tensor::narrow`]; also when the range is reversed.
    pub fn slice(&self, axis: isize, range: std::ops::Range<usize>) -> Result<Tensor> {
        if range.end < range.start {
            return Err(invalid("slice", format!("reversed range {range:?}")));
        }
        self.narrow(axis, range.start, range.end - range.start)
    }

    /// This tensor broadcast to `shape` (NumPy rules), sharing storage.
    ///
    /// # Errors
    /// [`Error::BroadcastIncompatible`].
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        let layout = self.layout().broadcast_as(&shape)?;
        Ok(self.with_layout(layout))
    }

    /// An axis of extent 1 inserted at `axis` (in `-(rank+1)..=rank`).
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`].
    pub fn unsqueeze(&self, axis: isize) -> Result<Tensor> {
        let r = self.rank() as isize + 1;
        let a = if axis < 0 { axis + r } else { axis };
        if a < 0 || a >= r {
            return Err(Error::AxisOutOfRange {
                op: "unsqueeze",
                axis,
                rank: self.rank(),
                shape: self.shape().clone(),
            });
        }
        Ok(self.with_layout(self.layout().unsqueeze(a as usize)))
    }

    /// Axis `axis`, which must have extent 1, removed.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`], or when the axis has another extent.
    pub fn squeeze(&self, axis: isize) -> Result<Tensor> {
        let a = self.axis(axis, "squeeze")?;
        if self.dims()[a] != 1 {
            return Err(invalid(
                "squeeze",
                format!(
                    "axis {a} of shape {} has extent {}, not 1",
                    self.shape(),
                    self.dims()[a]
                ),
            ));
        }
        Ok(self.with_layout(self.layout().squeeze(a)))
    }

    /// A view with an explicit layout over this tensor's storage (advanced use: the layout must
    /// stay inside the storage).
    ///
    /// # Errors
    /// When the layout reaches beyond the storage.
    pub fn as_strided(&self, layout: Layout) -> Result<Tensor> {
        let len = self.storage_len();
        if layout.storage_extent() > len {
            return Err(invalid(
                "as_strided",
                format!(
                    "layout {layout:?} reaches offset {} beyond storage of {len} elements",
                    layout.storage_extent()
                ),
            ));
        }
        Ok(self.with_layout(layout))
    }

    fn storage_len(&self) -> usize {
        self.storage().len()
    }
}
