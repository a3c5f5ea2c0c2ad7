//! Shapes, axis resolution and broadcasting.

use std::fmt;

use crate::{Error, Result};

/// The extent of each axis of a tensor, outermost first (row-major).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// A shape from its dims.
    pub fn new(dims: impl Into<Vec<usize>>) -> Self {
        Shape(dims.into())
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar, 0 if any dim is 0).
    pub fn elem_count(&self) -> usize {
        self.0.iter().product()
    }

    /// Row-major (C-contiguous) strides in elements.
    pub fn contiguous_strides(&self) -> Vec<usize> {
        let mut strides = vec![0; self.rank()];
        let mut acc = 1;
        for (s, &d) in strides.iter_mut().zip(&self.0).rev() {
            *s = acc;
            acc *= d;
        }
        strides
    }

    /// Resolves a possibly negative axis (−1 is the last) against this shape.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`] when `axis` is not in `-rank..rank`.
    pub fn axis(&self, axis: isize, op: &'static str) -> Result<usize> {
        resolve_axis(axis, self.rank(), op, self)
    }

    /// Resolves a list of axes, rejecting duplicates; returns them sorted.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`] or [`Error::DuplicateAxis`].
    pub fn axes(&self, axes: &[isize], op: &'static str) -> Result<Vec<usize>> {
        let mut out = axes
            .iter()
            .map(|&a| self.axis(a, op))
            .collect::<Result<Vec<_>>>()?;
        out.sort_unstable();
        for w in out.windows(2) {
            if w[0] == w[1] {
                return Err(Error::DuplicateAxis { op, axis: w[0] });
            }
        }
        Ok(out)
    }

    /// The NumPy broadcast of two shapes: dims are aligned from the right, and each pair must be
    /// equal or contain a 1.
    ///
    /// # Errors
    /// [`Error::BroadcastIncompatible`].
    pub fn broadcast(&self, other: &Shape, op: &'static str) -> Result<Shape> {
        let rank = self.rank().max(other.rank());
        let mut dims = vec![0; rank];
        for (i, d) in dims.iter_mut().enumerate() {
            let a = dim_from_right(self, rank - 1 - i);
            let b = dim_from_right(other, rank - 1 - i);
            *d = match (a, b) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => {
                    return Err(Error::BroadcastIncompatible {
                        op,
                        lhs: self.clone(),
                        rhs: other.clone(),
                    })
                }
            };
        }
        Ok(Shape(dims))
    }
}

fn dim_from_right(s: &Shape, k: usize) -> usize {
    if k < s.rank() {
        s.0[s.rank() - 1 - k]
    } else {
        1
    }
}

/// Resolves `axis` in `-rank..rank` to `0..rank`.
pub(crate) fn resolve_axis(
    axis: isize,
    rank: usize,
    op: &'static str,
    shape: &Shape,
) -> Result<usize> {
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(Error::AxisOutOfRange {
            op,
            axis,
            rank,
            shape: shape.clone(),
        });
    }
    Ok(a as usize)
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl From<Vec<usize>> for Shape {
    fn from(v: Vec<usize>) -> Self {
        Shape(v)
    }
}

impl From<&[usize]> for Shape {
    fn from(v: &[usize]) -> Self {
        Shape(v.to_vec())
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(v: [usize; N]) -> Self {
        Shape(v.to_vec())
    }
}

impl From<()> for Shape {
    fn from(_: ()) -> Self {
        Shape(Vec::new())
    }
}

impl From<usize> for Shape {
    fn from(n: usize) -> Self {
        Shape(vec![n])
    }
}

impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        let s = |d: &[usize]| Shape::from(d);
        assert_eq!(s(&[3, 1]).broadcast(&s(&[4]), "t").unwrap(), s(&[3, 4]));
        assert_eq!(s(&[]).broadcast(&s(&[2, 3]), "t").unwrap(), s(&[2, 3]));
        assert_eq!(
            s(&[5, 1, 3]).broadcast(&s(&[2, 1]), "t").unwrap(),
            s(&[5, 2, 3])
        );
        assert_eq!(s(&[0, 1]).broadcast(&s(&[1, 4]), "t").unwrap(), s(&[0, 4]));
        let e = s(&[3]).broadcast(&s(&[4]), "add").unwrap_err().to_string();
        assert!(
            e.contains("add") && e.contains("[3]") && e.contains("[4]"),
            "{e}"
        );
    }

    #[test]
    fn axes_resolve_and_reject() {
        let s = Shape::from([2, 3, 4]);
        assert_eq!(s.axis(-1, "t").unwrap(), 2);
        assert_eq!(s.axes(&[-1, 0], "t").unwrap(), vec![0, 2]);
        assert!(matches!(s.axis(3, "t"), Err(Error::AxisOutOfRange { .. })));
        assert!(matches!(s.axis(-4, "t"), Err(Error::AxisOutOfRange { .. })));
        assert!(matches!(
            s.axes(&[1, -2], "t"),
            Err(Error::DuplicateAxis { .. })
        ));
        assert_eq!(s.contiguous_strides(), vec![12, 4, 1]);
    }
}
