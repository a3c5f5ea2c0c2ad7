//! The virtual Brownian tree: `W(s, t)` for any `s < t`, in any order, with the same values,
//! regenerated from a seed by recursive bisection (Gaines & Lyons 1997, "Variable step size
//! control in the numerical solution of stochastic differential equations"; Li, Wong, Chen &
//! Duvenaud 2020, "Scalable gradients for stochastic differential equations", torchsde's
//! `BrownianTree`; Kidger, Foster, Li & Lyons 2021, the Brownian interval).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::brownian::{fill_normals, BrownianSource, TAG_LEAF, TAG_NODE};
use crate::error::{invalid, Result};

/// Point values are rounded to multiples of 2⁻⁴⁰: then `W(t) − W(s)` and sums of such
/// differences are exact in f64 while |W| < 2¹², so adjacent increments add up bit for bit.
const QUANTUM: f64 = (1u64 << 40) as f64;
const MAX_DEPTH: u32 = 60;

#[inline]
fn quantize(x: f64) -> f64 {
    (x * QUANTUM).round() / QUANTUM
}

/// A Brownian motion on `[t0, t1]` with `paths × m` components, defined by a seed.
///
/// `W(t1)` is `N(0, t1 − t0)`; the value at the midpoint of a dyadic interval `[a, b]` (heap
/// node `i`, root 1, children `2i`, `2i + 1`) is drawn from the Brownian bridge,
/// `W(mid) = (W(a) + W(b))/2 + √((b − a)/4)·Zᵢ`, with `Zᵢ` from Philox keyed by (seed, i).
/// A query descends the tree to the point; once an interval is shorter than `tol` a
/// non-dyadic `t` takes the bridge value `W(a) + (t−a)/(b−a)·(W(b)−W(a)) + √((t−a)(b−t)/(b−a))·Z`
/// with `Z` keyed by (seed, leaf, bits of t). The joint law is exact on dyadic points (fixed
/// steps `(t1 − t0)/2ᵏ` hit only those); two non-dyadic points inside one leaf are
/// conditionally independent given its ends, an error of the order of `tol`.
///
/// Increments are `W(t) − W(s)` of point values rounded to multiples of 2⁻⁴⁰, so
/// `W(a, b) + W(b, c) == W(a, c)` exactly in f64 (for |W| < 4096). Midpoint values are kept in
/// a small cache (cleared when full), which makes sequential queries cost O(1) new nodes each.
///
/// ```
/// use fluxion_diffeq::sde::{BrownianSource, BrownianTree};
/// let bm = BrownianTree::new(0, 0.0, 1.0, 4, 2)?;
/// let (mut ab, mut bc, mut ac) = (vec![0.0; 8], vec![0.0; 8], vec![0.0; 8]);
/// bm.increment(0, 0.1, 0.37, &mut ab)?;
/// bm.increment(0, 0.37, 0.9, &mut bc)?;
/// bm.increment(0, 0.1, 0.9, &mut ac)?;
/// for i in 0..8 { assert_eq!(ab[i] + bc[i], ac[i]); }
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
#[derive(Debug)]
pub struct BrownianTree {
    seed: u64,
    t0: f64,
    t1: f64,
    paths: usize,
    m: usize,
    tol: f64,
    capacity: usize,
    cache: Mutex<HashMap<u64, Arc<Vec<f64>>>>,
}

impl BrownianTree {
    /// A tree on `[t0, t1]` for `paths × m` components with `tol = (t1 − t0)·2⁻²⁰`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) unless `t0 < t1` (finite).
    pub fn new(seed: u64, t0: f64, t1: f64, paths: usize, m: usize) -> Result<Self> {
        Self::with_tol(seed, t0, t1, paths, m, (t1 - t0) * 2f64.powi(-20))
    }

    /// As [`BrownianTree::new`] with the leaf width `tol` (bisection stops below it; at most
    /// 60 levels).
    ///
    /// # Errors
    /// As [`BrownianTree::new`], and for `tol ≤ 0`.
    pub fn with_tol(seed: u64, t0: f64, t1: f64, paths: usize, m: usize, tol: f64) -> Result<Self> {
        if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
            return Err(invalid(
                "t1",
                format!("needs finite t0 < t1, got [{t0}, {t1}]"),
            ));
        }
        if tol.is_nan() || tol <= 0.0 {
            return Err(invalid("tol", format!("must be > 0, got {tol}")));
        }
        let per = (paths * m).max(1);
        Ok(BrownianTree {
            seed,
            t0,
            t1,
            paths,
            m,
            tol,
            capacity: ((1usize << 22) / per).max(256),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The span `[t0, t1]`.
    pub fn span(&self) -> (f64, f64) {
        (self.t0, self.t1)
    }

    /// Drops the cached midpoint values (results do not change).
    pub fn clear_cache(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Vec<f64>>>> {
        // A poisoned cache holds only values that are recomputed identically: keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cached or freshly drawn value of node `key` (0 = W(t1), i ≥ 1 = midpoint of node i).
    fn node(&self, key: u64, make: impl FnOnce(&mut Vec<f64>)) -> Arc<Vec<f64>> {
        if let Some(v) = self.lock().get(&key) {
            return v.clone();
        }
        let mut v = vec![0.0; self.paths * self.m];
        make(&mut v);
        let v = Arc::new(v);
        let mut cache = self.lock();
        if cache.len() >= self.capacity {
            cache.clear();
        }
        cache.insert(key, v.clone());
        v
    }

    /// `W(t) − W(t0)` at one point, rounded to a multiple of 2⁻⁴⁰.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for `t` outside `[t0, t1]`.
    pub fn value(&self, t: f64) -> Result<Arc<Vec<f64>>> {
        let (seed, n) = (self.seed, self.paths * self.m);
        if !(t >= self.t0 && t <= self.t1) {
            return Err(invalid(
                "t",
                format!(
                    "t = {t} is outside the Brownian tree's span [{}, {}]",
                    self.t0, self.t1
                ),
            ));
        }
        if t == self.t0 {
            return Ok(Arc::new(vec![0.0; n]));
        }
        let span = self.t1 - self.t0;
        let mut wb = self.node(0, |v| {
            fill_normals(seed, TAG_NODE, 0, span.sqrt(), v);
            v.iter_mut().for_each(|x| *x = quantize(*x));
        });
        if t == self.t1 {
            return Ok(wb);
        }
        let mut wa = Arc::new(vec![0.0; n]);
        let (mut a, mut b, mut node, mut depth) = (self.t0, self.t1, 1u64, 0u32);
        loop {
            if b - a <= self.tol || depth >= MAX_DEPTH {
                let mut z = vec![0.0; n];
                let idx = (t.to_bits() ^ node.wrapping_mul(0x9E37_79B9_7F4A_7C15)).rotate_left(17);
                fill_normals(seed, TAG_LEAF, idx >> 2, 1.0, &mut z);
                let (r, sd) = ((t - a) / (b - a), ((t - a) * (b - t) / (b - a)).sqrt());
                for i in 0..n {
                    z[i] = quantize(wa[i] + r * (wb[i] - wa[i]) + sd * z[i]);
                }
                return Ok(Arc::new(z));
            }
            let mid = a + 0.5 * (b - a);
            let sd = (0.25 * (b - a)).sqrt();
            let (pa, pb) = (wa.clone(), wb.clone());
            let wm = self.node(node, |v| {
                fill_normals(seed, TAG_NODE, node, sd, v);
                for i in 0..n {
                    v[i] = quantize(0.5 * (pa[i] + pb[i]) + v[i]);
                }
            });
            if t == mid {
                return Ok(wm);
            }
            if t < mid {
                (b, wb, node) = (mid, wm, 2 * node);
            } else {
                (a, wa, node) = (mid, wm, 2 * node + 1);
            }
            depth += 1;
        }
    }
}

impl BrownianSource for BrownianTree {
    fn shape(&self) -> (usize, usize) {
        (self.paths, self.m)
    }

    fn answers_any_interval(&self) -> bool {
        true
    }

    fn increment(&self, _step: usize, s: f64, t: f64, dw: &mut [f64]) -> Result<()> {
        if dw.len() != self.paths * self.m {
            return Err(invalid(
                "dw",
                format!(
                    "has {} values, the tree has {}",
                    dw.len(),
                    self.paths * self.m
                ),
            ));
        }
        let (ws, wt) = (self.value(s)?, self.value(t)?);
        for ((d, a), b) in dw.iter_mut().zip(ws.iter()).zip(wt.iter()) {
            *d = b - a;
        }
        Ok(())
    }

    fn increment_with_area(
        &self,
        _step: usize,
        _s: f64,
        _t: f64,
        _dw: &mut [f64],
        _dh: &mut [f64],
    ) -> Result<()> {
        Err(invalid(
            "brownian",
            "BrownianTree has no space-time Lévy area; use BrownianIncrements or BrownianGrid",
        ))
    }
}
