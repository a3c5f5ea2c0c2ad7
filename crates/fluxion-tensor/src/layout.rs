//! Layouts: a shape, per-axis strides and a start offset into shared storage.
//!
//! Views (transpose, permute, narrow, broadcast, reshape of contiguous data) only change the
//! layout; the storage is shared. Strides are in elements and never negative; a broadcast axis
//! has stride 0.

use crate::{invalid, Error, Result, Shape};

/// How a tensor's logical elements map onto its storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    shape: Shape,
    strides: Vec<usize>,
    start_offset: usize,
}

impl Layout {
    /// The row-major layout of `shape` starting at offset 0.
    pub fn contiguous(shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        let strides = shape.contiguous_strides();
        Self {
            shape,
            strides,
            start_offset: 0,
        }
    }

    /// A layout from parts.
    ///
    /// # Panics
    /// If `strides` and `shape` differ in length (an internal invariant).
    pub fn new(shape: Shape, strides: Vec<usize>, start_offset: usize) -> Self {
        assert_eq!(shape.rank(), strides.len(), "layout rank mismatch");
        Self {
            shape,
            strides,
            start_offset,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Strides in elements.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Offset of the first element in the storage.
    pub fn start_offset(&self) -> usize {
        self.start_offset
    }

    /// Number of logical elements.
    pub fn elem_count(&self) -> usize {
        self.shape.elem_count()
    }

    /// Whether the elements are row-major and gap-free (axes of extent 1 may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut acc = 1;
        for (&d, &s) in self.dims().iter().zip(&self.strides).rev() {
            if d != 1 && s != acc {
                return false;
            }
            acc *= d;
        }
        true
    }

    /// The storage range `start..start + len` when contiguous.
    pub fn contiguous_offsets(&self) -> Option<(usize, usize)> {
        self.is_contiguous()
            .then(|| (self.start_offset, self.start_offset + self.elem_count()))
    }

    /// One past the largest storage offset this layout touches (0 when empty).
    pub fn storage_extent(&self) -> usize {
        if self.elem_count() == 0 {
            return 0;
        }
        self.start_offset
            + self
                .dims()
                .iter()
                .zip(&self.strides)
                .map(|(&d, &s)| (d - 1) * s)
                .sum::<usize>()
            + 1
    }

    /// Axes `a` and `b` swapped.
    pub fn transpose(&self, a: usize, b: usize) -> Self {
        let mut dims = self.dims().to_vec();
        let mut strides = self.strides.clone();
        dims.swap(a, b);
        strides.swap(a, b);
        Self::new(Shape::new(dims), strides, self.start_offset)
    }

    /// Axes reordered: new axis `i` is old axis `perm[i]`.
    ///
    /// # Errors
    /// When `perm` is not a permutation of `0..rank`.
    pub fn permute(&self, perm: &[usize]) -> Result<Self> {
        let rank = self.shape.rank();
        let mut seen = vec![false; rank];
        if perm.len() != rank
            || perm
                .iter()
                .any(|&p| p >= rank || std::mem::replace(&mut seen[p], true))
        {
            return Err(invalid(
                "permute",
                format!(
                    "{perm:?} is not a permutation of the {rank} axes of shape {}",
                    self.shape
                ),
            ));
        }
        let dims = perm.iter().map(|&p| self.dims()[p]).collect::<Vec<_>>();
        let strides = perm.iter().map(|&p| self.strides[p]).collect();
        Ok(Self::new(Shape::new(dims), strides, self.start_offset))
    }

    /// Elements `start..start + len` along `axis`.
    ///
    /// # Errors
    /// When the range exceeds the axis.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Self> {
        let size = self.dims()[axis];
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(invalid(
                "narrow",
                format!(
                    "range {start}..{} exceeds axis {axis} of size {size} (shape {})",
                    start.saturating_add(len),
                    self.shape
                ),
            ));
        }
        let mut dims = self.dims().to_vec();
        dims[axis] = len;
        Ok(Self::new(
            Shape::new(dims),
            self.strides.clone(),
            self.start_offset
                + if len == 0 {
                    0
                } else {
                    start * self.strides[axis]
                },
        ))
    }

    /// This layout broadcast to `shape` (new leading axes and size-1 axes get stride 0).
    ///
    /// # Errors
    /// [`Error::BroadcastIncompatible`] when the shapes do not broadcast this way.
    pub fn broadcast_as(&self, shape: &Shape) -> Result<Self> {
        let rank = shape.rank();
        let own = self.shape.rank();
        let err = || Error::BroadcastIncompatible {
            op: "broadcast_to",
            lhs: self.shape.clone(),
            rhs: shape.clone(),
        };
        if own > rank {
            return Err(err());
        }
        let mut strides = vec![0; rank];
        for i in 0..own {
            let (d, s) = (self.dims()[i], self.strides[i]);
            let target = shape.dims()[rank - own + i];
            strides[rank - own + i] = if d == target {
                s
            } else if d == 1 {
                0
            } else {
                return Err(err());
            };
        }
        Ok(Self::new(shape.clone(), strides, self.start_offset))
    }

    /// Reinterprets contiguous data with a new shape of the same element count.
    /// Returns `None` when the layout is not contiguous (the caller copies first).
    pub fn reshape_contiguous(&self, shape: &Shape) -> Option<Self> {
        self.is_contiguous().then(|| Self {
            shape: shape.clone(),
            strides: shape.contiguous_strides(),
            start_offset: self.start_offset,
        })
    }

    /// Inserts an axis of extent 1 at `axis`.
    pub fn unsqueeze(&self, axis: usize) -> Self {
        let mut dims = self.dims().to_vec();
        let mut strides = self.strides.clone();
        let s = if axis < dims.len() {
            strides[axis] * dims[axis]
        } else {
            1
        };
        dims.insert(axis, 1);
        strides.insert(axis, s);
        Self::new(Shape::new(dims), strides, self.start_offset)
    }

    /// Removes axis `axis`, which must have extent 1.
    pub fn squeeze(&self, axis: usize) -> Self {
        let mut dims = self.dims().to_vec();
        let mut strides = self.strides.clone();
        dims.remove(axis);
        strides.remove(axis);
        Self::new(Shape::new(dims), strides, self.start_offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_compute_strides() {
        let l = Layout::contiguous([2, 3, 4]);
        assert!(l.is_contiguous());
        let t = l.transpose(0, 2);
        assert_eq!(t.dims(), &[4, 3, 2]);
        assert_eq!(t.strides(), &[1, 4, 12]);
        assert!(!t.is_contiguous());
        let n = l.narrow(1, 1, 2).unwrap();
        assert_eq!((n.start_offset(), n.dims()), (4, &[2, 2, 4][..]));
        assert!(l.narrow(1, 2, 2).is_err());
        let b = Layout::contiguous([3, 1])
            .broadcast_as(&Shape::from([2, 3, 5]))
            .unwrap();
        assert_eq!(b.strides(), &[0, 1, 0]);
        assert!(Layout::contiguous([3])
            .broadcast_as(&Shape::from([4]))
            .is_err());
        assert!(l.permute(&[0, 0, 1]).is_err());
        assert_eq!(l.storage_extent(), 24);
        assert_eq!(n.storage_extent(), 4 + 12 + 4 + 3 + 1);
    }
}
