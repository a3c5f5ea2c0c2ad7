//! Data-parallel loss evaluation: each term's points split into row chunks whose losses and
//! gradients are built on rayon's threads, one graph per chunk.
//!
//! A PINN epoch is a long chain of small ops (the tutorial's is ~150 ops on 501 × 50 tensors).
//! Splitting each op over the cores costs a thread wake-up per op, more than the op itself; splitting
//! the *points* costs one fork-join per phase. Chunk `c` of term `k` (nₖc of the term's Nₖ
//! points) contributes Sₖc = (nₖc/Nₖ)·MSE over its rows, so Σ_c Sₖc is the term's mean square;
//! the gradient is Σ_c ∇(Σₖ wₖ Sₖc), summed in chunk order.
//!
//! The split depends only on the point counts and [`TrainConfig::max_chunks`] — never on the
//! thread count — so a run gives the same numbers on any machine. It changes the summation order
//! (last bits) relative to `max_chunks = 1`, which evaluates each term as one graph.
//!
//! [`TrainConfig::max_chunks`]: crate::TrainConfig::max_chunks

use std::ops::Range;

use fluxion_autodiff::{grad_with, GradOptions, Var};
use fluxion_tensor::Tensor;
use rayon::prelude::*;

use crate::problem::TermBatch;
use crate::Result;

/// Target rows per chunk: a term is split into ⌈N / `CHUNK_ROWS`⌉ chunks (at most
/// `max_chunks`), so the tutorial's 501 points make two chunks of 250 and 251.
pub const CHUNK_ROWS: usize = 256;

/// How long the pool's threads stay awake after a chunked region (see
/// [`fluxion_tensor::threads::keep_warm`]): a few epochs of the tutorial, so back-to-back
/// epochs and L-BFGS evaluations never wait for a wake-up, and the cores go quiet within a
/// millisecond of the last one.
const KEEP_WARM: std::time::Duration = std::time::Duration::from_millis(1);

/// The row ranges a term of `n` points is split into: ⌈n / [`CHUNK_ROWS`]⌉ chunks, at most
/// `max_chunks` (and at least one), sizes differing by at most one, in order.
///
/// ```
/// use fluxion_pinn::chunk_ranges;
/// assert_eq!(chunk_ranges(501, 8), vec![0..250, 250..501]);
/// assert_eq!(chunk_ranges(256, 8), vec![0..256]);
/// assert_eq!(chunk_ranges(10_000, 8).len(), 8);
/// assert_eq!(chunk_ranges(501, 1), vec![0..501]);
/// ```
pub fn chunk_ranges(n: usize, max_chunks: usize) -> Vec<Range<usize>> {
    let p = n.div_ceil(CHUNK_ROWS).clamp(1, max_chunks.max(1));
    (0..p).map(|c| (c * n / p)..((c + 1) * n / p)).collect()
}

impl TermBatch {
    /// The batch restricted to rows `r` (views; no copy).
    pub(crate) fn rows(&self, r: &Range<usize>) -> Result<TermBatch> {
        let len = r.end - r.start;
        let t = |x: &Tensor| x.narrow(0, r.start, len);
        Ok(TermBatch {
            x: t(&self.x)?,
            x_hi: self.x_hi.as_ref().map(t).transpose()?,
            normals: self.normals.as_ref().map(t).transpose()?,
            target: self
                .target
                .as_ref()
                .map(|v| v.narrow(0, r.start, len))
                .transpose()?,
        })
    }
}

/// One chunk's share of every term: `terms[k]` is Sₖc, or `None` when term `k` has no rows in
/// this chunk.
pub(crate) struct ChunkLosses {
    pub(crate) terms: Vec<Option<Var>>,
}

/// Builds every chunk's term losses in parallel. `eval(g, batch)` gives the mean squares of the
/// terms of group `g` (the residual's components share one batch, a condition is a group of one)
/// on `batch`, and `sizes[g]` says how many terms it gives; chunk `c` takes the `c`-th row range
/// of every group split into at least `c + 1` chunks.
pub(crate) fn chunk_losses(
    batches: &[&TermBatch],
    sizes: &[usize],
    max_chunks: usize,
    eval: &(dyn Fn(usize, &TermBatch) -> Result<Vec<Var>> + Sync),
) -> Result<Vec<ChunkLosses>> {
    let splits: Vec<Vec<Range<usize>>> = batches
        .iter()
        .map(|b| chunk_ranges(b.x.dims()[0], max_chunks))
        .collect();
    let slots = splits.iter().map(Vec::len).max().unwrap_or(1);
    let build = |c: usize| -> Result<ChunkLosses> {
        let mut terms = Vec::with_capacity(sizes.iter().sum());
        for (g, (batch, ranges)) in batches.iter().zip(&splits).enumerate() {
            let Some(r) = ranges.get(c) else {
                terms.extend(std::iter::repeat_n(None, sizes[g]));
                continue;
            };
            let parts = if ranges.len() == 1 {
                eval(g, batch)?
            } else {
                let share = (r.end - r.start) as f64 / batch.x.dims()[0] as f64;
                eval(g, &batch.rows(r)?)?
                    .iter()
                    .map(|l| l.mul_scalar(share))
                    .collect::<std::result::Result<_, _>>()?
            };
            debug_assert_eq!(parts.len(), sizes[g]);
            terms.extend(parts.into_iter().map(Some));
        }
        Ok(ChunkLosses { terms })
    };
    if slots == 1 {
        return Ok(vec![build(0)?]);
    }
    fluxion_tensor::threads::keep_warm(KEEP_WARM);
    (0..slots).into_par_iter().map(build).collect()
}

/// Each term's loss value, Σ_c Sₖc in f64 (chunk order).
pub(crate) fn term_values(chunks: &[ChunkLosses]) -> Result<Vec<f64>> {
    let n = chunks.first().map_or(0, |c| c.terms.len());
    let mut values = vec![0.0; n];
    for chunk in chunks {
        for (v, s) in values.iter_mut().zip(&chunk.terms) {
            if let Some(s) = s {
                *v += crate::train::scalar(s)?;
            }
        }
    }
    Ok(values)
}

/// Σ_c ∇ₚ(Σₖ wₖ Sₖc) for each parameter, chunks evaluated in parallel and summed in order.
/// `weights[k] = None` leaves term `k` out (used for one term's gradient alone). With
/// `retain_graph` the chunks' graphs survive for another gradient.
pub(crate) fn weighted_gradient(
    chunks: &[ChunkLosses],
    weights: &[Option<f64>],
    params: &[Var],
    retain_graph: bool,
) -> Result<Vec<Tensor>> {
    let opts = GradOptions {
        create_graph: false,
        retain_graph: Some(retain_graph),
    };
    let one = |chunk: &ChunkLosses| -> Result<Option<Vec<Tensor>>> {
        let mut total: Option<Var> = None;
        for (s, w) in chunk.terms.iter().zip(weights) {
            let (Some(s), Some(w)) = (s, w) else { continue };
            let t = if *w == 1.0 {
                s.clone()
            } else {
                s.mul_scalar(*w)?
            };
            total = Some(match total {
                Some(acc) => acc.add(&t)?,
                None => t,
            });
        }
        let Some(total) = total else { return Ok(None) };
        let gs = grad_with(&[total], params, None, opts)?;
        Ok(Some(gs.iter().map(Var::tensor).collect()))
    };
    let parts: Vec<Option<Vec<Tensor>>> = if chunks.len() == 1 {
        vec![one(&chunks[0])?]
    } else {
        fluxion_tensor::threads::keep_warm(KEEP_WARM);
        chunks.par_iter().map(one).collect::<Result<_>>()?
    };
    let mut sum: Option<Vec<Tensor>> = None;
    for part in parts.into_iter().flatten() {
        sum = Some(match sum {
            None => part,
            Some(acc) => acc
                .iter()
                .zip(&part)
                .map(|(a, b)| a.add(b))
                .collect::<std::result::Result<_, _>>()?,
        });
    }
    match sum {
        Some(s) => Ok(s),
        None => params
            .iter()
            .map(|p| Ok(p.tensor().zeros_like()?))
            .collect(),
    }
}
