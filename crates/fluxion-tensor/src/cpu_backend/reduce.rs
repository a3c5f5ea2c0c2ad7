//! Reductions over any set of axes: sum (accumulated in f64), max, min, argmax, argmin.
//!
//! The layout is split into kept axes (one output each) and reduced axes (walked as strided
//! rows). Work runs in parallel over outputs when there are many, and over pieces of the
//! reduced range (merged in order, so "first index" ties stay first) when there are few.

use rayon::prelude::*;

use super::strided::{offsets, Rows, PAR_THRESHOLD};
use super::{float_only, CpuStorage};
use crate::backend::BackendStorage;
use crate::{Error, Layout, ReduceOp, Result, WithDType};

/// Reduced elements per parallel piece when there are few outputs.
const PIECE: usize = 1 << 16;

pub(super) fn reduce(
    s: &CpuStorage,
    layout: &Layout,
    op: ReduceOp,
    axes: &[usize],
) -> Result<CpuStorage> {
    let reduced: usize = axes.iter().map(|&a| layout.dims()[a]).product();
    if reduced == 0 && op != ReduceOp::Sum && kept_count(layout, axes) > 0 {
        return Err(Error::EmptyReduction {
            op: op.name(),
            shape: layout.shape().clone(),
        });
    }
    match op {
        ReduceOp::Sum => match s {
            CpuStorage::F16(v) => Ok(CpuStorage::F16(sum(v, layout, axes))),
            CpuStorage::BF16(v) => Ok(CpuStorage::BF16(sum(v, layout, axes))),
            CpuStorage::F32(v) => Ok(CpuStorage::F32(sum(v, layout, axes))),
            CpuStorage::F64(v) => Ok(CpuStorage::F64(sum(v, layout, axes))),
            CpuStorage::U8(_) | CpuStorage::I64(_) => Err(float_only("sum", s.dtype())),
        },
        ReduceOp::Max | ReduceOp::Min => Ok(
            super::map_storage!(s, v => WithDType::into_storage(extremum(v, layout, axes, op == ReduceOp::Max))),
        ),
        ReduceOp::ArgMax | ReduceOp::ArgMin => Ok(CpuStorage::I64(
            super::map_storage!(s, v => arg_extremum(v, layout, axes, op == ReduceOp::ArgMax)),
        )),
    }
}

fn kept_count(layout: &Layout, axes: &[usize]) -> usize {
    (0..layout.dims().len())
        .filter(|a| !axes.contains(a))
        .map(|a| layout.dims()[a])
        .product()
}

/// Accumulator state of one reduction.
trait Acc<T>: Copy + Send + Sync {
    /// Folds the run `src[off], src[off + stride], …` (`len` elements) whose first element has
    /// linear index `first` within the reduced space.
    fn run(self, src: &[T], off: usize, len: usize, stride: usize, first: usize) -> Self;
    /// Combines with the state of a later piece.
    fn merge(self, later: Self) -> Self;
}

/// The generic driver: one output per kept position, each folding its reduced elements.
fn reduce_with<T: Copy + Sync, A: Acc<T>, O: Send>(
    src: &[T],
    layout: &Layout,
    axes: &[usize],
    init: A,
    finish: impl Fn(A) -> O + Sync,
) -> Vec<O> {
    let rank = layout.dims().len();
    let kept: Vec<usize> = (0..rank).filter(|a| !axes.contains(a)).collect();
    let pick = |ax: &[usize]| -> (Vec<usize>, Vec<usize>) {
        (
            ax.iter().map(|&a| layout.dims()[a]).collect(),
            ax.iter().map(|&a| layout.strides()[a]).collect(),
        )
    };
    let (kd, ks) = pick(&kept);
    let (rd, rs) = pick(axes);
    let bases = offsets(&kd, &ks, layout.start_offset());
    let rows = Rows::new(&rd, [(&rs, 0)]);
    let total: usize = rd.iter().product();
    let len = rows.inner_len;
    let stride = rows.inner_stride[0];

    // Fold reduced elements with linear indices in `range` for the output at `base`.
    let fold = |base: usize, range: std::ops::Range<usize>| -> A {
        let mut acc = init;
        if range.is_empty() || len == 0 {
            return acc;
        }
        let (r0, r1) = (range.start / len, (range.end - 1) / len + 1);
        rows.for_rows(r0..r1, |r, [o]| {
            let j0 = range.start.saturating_sub(r * len).min(len);
            let j1 = (range.end - r * len).min(len);
            acc = acc.run(src, base + o + j0 * stride, j1 - j0, stride, r * len + j0);
        });
        acc
    };

    let work = bases.len() * total;
    if work < PAR_THRESHOLD {
        return bases.iter().map(|&b| finish(fold(b, 0..total))).collect();
    }
    if bases.len() >= 2 * rayon::current_num_threads() {
        return bases
            .par_iter()
            .map(|&b| finish(fold(b, 0..total)))
            .collect();
    }
    bases
        .iter()
        .map(|&b| {
            let pieces = total.div_ceil(PIECE);
            let acc = (0..pieces)
                .into_par_iter()
                .map(|p| fold(b, p * PIECE..((p + 1) * PIECE).min(total)))
                .reduce(|| init, A::merge);
            finish(acc)
        })
        .collect()
}

#[derive(Clone, Copy)]
struct SumAcc(f64);

impl<T: WithDType> Acc<T> for SumAcc {
    #[inline]
    fn run(self, src: &[T], off: usize, len: usize, stride: usize, _first: usize) -> Self {
        if stride == 1 {
            // Eight independent lanes let the loop vectorise and shorten the dependency chain.
            let s = &src[off..off + len];
            let mut lanes = [0.0f64; 8];
            let mut chunks = s.chunks_exact(8);
            for c in &mut chunks {
                for k in 0..8 {
                    lanes[k] += c[k].to_f64();
                }
            }
            let tail: f64 = chunks.remainder().iter().map(|x| x.to_f64()).sum();
            let l4 = [
                lanes[0] + lanes[4],
                lanes[1] + lanes[5],
                lanes[2] + lanes[6],
                lanes[3] + lanes[7],
            ];
            SumAcc(self.0 + ((l4[0] + l4[2]) + (l4[1] + l4[3])) + tail)
        } else {
            SumAcc(
                self.0
                    + (0..len)
                        .map(|j| src[off + j * stride].to_f64())
                        .sum::<f64>(),
            )
        }
    }
    fn merge(self, later: Self) -> Self {
        SumAcc(self.0 + later.0)
    }
}

fn sum<T: WithDType>(v: &[T], layout: &Layout, axes: &[usize]) -> Vec<T> {
    sum_columns(v, layout, axes)
        .unwrap_or_else(|| reduce_with(v, layout, axes, SumAcc(0.0), |a| T::from_f64(a.0)))
}

/// Sums when the last axis is kept and contiguous (e.g. a column sum `x.sum(&[0])` of a
/// row-major matrix): whole contiguous rows are added into f64 column accumulators, which
/// vectorises, instead of walking each output's reduced elements with a large stride.
/// Returns `None` when the layout does not have that shape.
fn sum_columns<T: WithDType>(v: &[T], layout: &Layout, axes: &[usize]) -> Option<Vec<T>> {
    let rank = layout.dims().len();
    let last = rank.checked_sub(1)?;
    let c = layout.dims()[last];
    if axes.is_empty() || axes.contains(&last) || layout.strides()[last] != 1 || c < 8 {
        return None;
    }
    let pick = |ax: &[usize]| -> (Vec<usize>, Vec<usize>) {
        (
            ax.iter().map(|&a| layout.dims()[a]).collect(),
            ax.iter().map(|&a| layout.strides()[a]).collect(),
        )
    };
    let outer: Vec<usize> = (0..last).filter(|a| !axes.contains(a)).collect();
    let (od, os) = pick(&outer);
    let (rd, rs) = pick(axes);
    let bases = offsets(&od, &os, layout.start_offset());
    let rows = Rows::new(&rd, [(&rs, 0)]);
    // Adds columns `cols` of every reduced row at `base` into `acc`.
    let accumulate = |base: usize, cols: std::ops::Range<usize>, acc: &mut [f64]| {
        rows.for_rows(0..rows.n_rows, |_, [o]| {
            for j in 0..rows.inner_len {
                let start = base + o + j * rows.inner_stride[0];
                for (a, x) in acc.iter_mut().zip(&v[start + cols.start..start + cols.end]) {
                    *a += x.to_f64();
                }
            }
        });
    };
    let mut out = vec![T::ZERO; bases.len() * c];
    let work = out.len() * rows.n_rows * rows.inner_len;
    let threads = rayon::current_num_threads();
    if work >= PAR_THRESHOLD && bases.len() < 2 * threads {
        // Few outputs rows: split the columns among threads.
        let block = c.div_ceil(4 * threads).max(64);
        for (row, &base) in out.chunks_mut(c).zip(&bases) {
            row.par_chunks_mut(block).enumerate().for_each(|(i, dst)| {
                let cols = i * block..i * block + dst.len();
                let mut acc = vec![0.0; dst.len()];
                accumulate(base, cols, &mut acc);
                dst.iter_mut()
                    .zip(&acc)
                    .for_each(|(d, a)| *d = T::from_f64(*a));
            });
        }
    } else {
        let one = |(row, &base): (&mut [T], &usize)| {
            let mut acc = vec![0.0; c];
            accumulate(base, 0..c, &mut acc);
            row.iter_mut()
                .zip(&acc)
                .for_each(|(d, a)| *d = T::from_f64(*a));
        };
        if work >= PAR_THRESHOLD {
            out.par_chunks_mut(c).zip(bases.par_iter()).for_each(one);
        } else {
            out.chunks_mut(c).zip(bases.iter()).for_each(one);
        }
    }
    Some(out)
}

/// Whether `x` should replace `best` (NaN wins and stays).
#[inline(always)]
fn beats<T: PartialOrd>(x: T, best: T, max: bool) -> bool {
    #[allow(clippy::eq_op)]
    let (x_nan, best_nan) = (x != x, best != best);
    if best_nan {
        false
    } else if x_nan {
        true
    } else if max {
        x > best
    } else {
        x < best
    }
}

#[derive(Clone, Copy)]
struct ExtAcc<T> {
    best: Option<(T, usize)>,
    max: bool,
}

impl<T: WithDType> Acc<T> for ExtAcc<T> {
    #[inline]
    fn run(self, src: &[T], off: usize, len: usize, stride: usize, first: usize) -> Self {
        let mut best = self.best;
        for j in 0..len {
            let x = src[off + j * stride];
            match best {
                Some((b, _)) if !beats(x, b, self.max) => {}
                _ => best = Some((x, first + j)),
            }
        }
        ExtAcc {
            best,
            max: self.max,
        }
    }
    fn merge(self, later: Self) -> Self {
        match (self.best, later.best) {
            (Some((a, _)), Some((b, _))) if beats(b, a, self.max) => later,
            (None, _) => later,
            _ => self,
        }
    }
}

fn extremum<T: WithDType>(v: &[T], layout: &Layout, axes: &[usize], max: bool) -> Vec<T> {
    reduce_with(v, layout, axes, ExtAcc { best: None, max }, |a| {
        a.best.map(|(x, _)| x).unwrap_or(T::ZERO)
    })
}

fn arg_extremum<T: WithDType>(v: &[T], layout: &Layout, axes: &[usize], max: bool) -> Vec<i64> {
    reduce_with(v, layout, axes, ExtAcc { best: None, max }, |a| {
        a.best.map(|(_, i)| i as i64).unwrap_or(0)
    })
}
