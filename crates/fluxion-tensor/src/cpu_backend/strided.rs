//! Walking strided layouts as rows of equally strided elements.
//!
//! Several operands of the same logical shape are walked together: adjacent axes that are
//! jointly contiguous in every operand are merged (as NumPy's iterator does), the last merged
//! axis becomes the inner row, and the remaining outer axes are walked with an odometer. Rows are
//! numbered in row-major order, so a contiguous output is written row by row, and a range of rows
//! can be handed to each rayon task.

use std::ops::Range;

/// Operands with this many elements or more are processed in parallel.
pub(crate) const PAR_THRESHOLD: usize = 1 << 15;

/// N operands of one logical shape, decomposed into rows.
#[derive(Debug, Clone)]
pub(crate) struct Rows<const N: usize> {
    outer_dims: Vec<usize>,
    outer_strides: [Vec<usize>; N],
    base: [usize; N],
    /// Elements per row.
    pub(crate) inner_len: usize,
    /// Stride between consecutive elements of a row, per operand.
    pub(crate) inner_stride: [usize; N],
    /// Number of rows.
    pub(crate) n_rows: usize,
}

impl<const N: usize> Rows<N> {
    /// Decomposes `dims` walked with each operand's `(strides, start_offset)`.
    pub(crate) fn new(dims: &[usize], operands: [(&[usize], usize); N]) -> Self {
        // Merge axes from the innermost outwards where every operand stays contiguous across
        // the boundary; drop axes of extent 1.
        let mut mdims: Vec<usize> = Vec::new();
        let mut mstrides: [Vec<usize>; N] = std::array::from_fn(|_| Vec::new());
        for ax in 0..dims.len() {
            let d = dims[ax];
            if d == 1 {
                continue;
            }
            let can_merge = !mdims.is_empty()
                && (0..N).all(|k| {
                    let prev = *mstrides[k].last().expect("non-empty");
                    prev == operands[k].0[ax] * d
                });
            if can_merge {
                *mdims.last_mut().expect("non-empty") *= d;
                for k in 0..N {
                    *mstrides[k].last_mut().expect("non-empty") = operands[k].0[ax];
                }
            } else {
                mdims.push(d);
                for k in 0..N {
                    mstrides[k].push(operands[k].0[ax]);
                }
            }
        }
        let base = std::array::from_fn(|k| operands[k].1);
        if dims.contains(&0) {
            return Self {
                outer_dims: Vec::new(),
                outer_strides: std::array::from_fn(|_| Vec::new()),
                base,
                inner_len: 0,
                inner_stride: [0; N],
                n_rows: 0,
            };
        }
        let (inner_len, inner_stride) = match mdims.pop() {
            Some(d) => (
                d,
                std::array::from_fn(|k| mstrides[k].pop().expect("same rank")),
            ),
            None => (1, [0; N]),
        };
        let n_rows = mdims.iter().product();
        Self {
            outer_dims: mdims,
            outer_strides: mstrides,
            base,
            inner_len,
            inner_stride,
            n_rows,
        }
    }

    /// Calls `f(row, offsets)` for each row in `rows`, with the storage offset of the row's
    /// first element in each operand.
    pub(crate) fn for_rows(&self, rows: Range<usize>, mut f: impl FnMut(usize, [usize; N])) {
        if rows.is_empty() {
            return;
        }
        let nd = self.outer_dims.len();
        let mut idx = vec![0usize; nd];
        let mut rem = rows.start;
        for ax in (0..nd).rev() {
            idx[ax] = rem % self.outer_dims[ax];
            rem /= self.outer_dims[ax];
        }
        let mut off: [usize; N] = std::array::from_fn(|k| {
            self.base[k]
                + idx
                    .iter()
                    .zip(&self.outer_strides[k])
                    .map(|(i, s)| i * s)
                    .sum::<usize>()
        });
        for r in rows {
            f(r, off);
            // Advance the odometer.
            for ax in (0..nd).rev() {
                idx[ax] += 1;
                for k in 0..N {
                    off[k] += self.outer_strides[k][ax];
                }
                if idx[ax] < self.outer_dims[ax] {
                    break;
                }
                for k in 0..N {
                    off[k] -= self.outer_strides[k][ax] * self.outer_dims[ax];
                }
                idx[ax] = 0;
            }
        }
    }
}

/// Storage offsets of every element of a layout, in row-major logical order.
pub(crate) fn offsets(dims: &[usize], strides: &[usize], start: usize) -> Vec<usize> {
    let rows = Rows::new(dims, [(strides, start)]);
    let mut out = Vec::with_capacity(rows.n_rows * rows.inner_len);
    rows.for_rows(0..rows.n_rows, |_, [o]| {
        out.extend((0..rows.inner_len).map(|j| o + j * rows.inner_stride[0]));
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Layout;

    fn naive(l: &Layout) -> Vec<usize> {
        let dims = l.dims();
        let n = l.elem_count();
        (0..n)
            .map(|mut lin| {
                let mut off = l.start_offset();
                for ax in (0..dims.len()).rev() {
                    off += (lin % dims[ax]) * l.strides()[ax];
                    lin /= dims[ax];
                }
                off
            })
            .collect()
    }

    #[test]
    fn offsets_match_naive_for_views() {
        let base = Layout::contiguous([3, 4, 5]);
        let cases = [
            base.clone(),
            base.transpose(0, 2),
            base.narrow(1, 1, 2).unwrap(),
            base.permute(&[1, 2, 0]).unwrap().narrow(2, 1, 2).unwrap(),
            Layout::contiguous([4, 1])
                .broadcast_as(&[2, 4, 3].into())
                .unwrap(),
            Layout::contiguous([1]),
            Layout::contiguous(()),
            Layout::contiguous([0, 3]),
        ];
        for l in &cases {
            assert_eq!(
                offsets(l.dims(), l.strides(), l.start_offset()),
                naive(l),
                "{l:?}"
            );
        }
    }

    #[test]
    fn row_ranges_resume_mid_way() {
        let l = Layout::contiguous([3, 4, 5]).transpose(0, 1);
        let rows = Rows::new(l.dims(), [(l.strides(), l.start_offset())]);
        let mut all = Vec::new();
        rows.for_rows(0..rows.n_rows, |_, [o]| all.push(o));
        for start in 0..rows.n_rows {
            let mut part = Vec::new();
            rows.for_rows(start..rows.n_rows, |_, [o]| part.push(o));
            assert_eq!(part, all[start..]);
        }
    }
}
