//! The virtual Brownian tree: `W(s, t)` for any `s < t`, in any order, with the same values,
//! regenerated from a seed by recursive bisection (Gaines & Lyons 1997, "Variable step size
//! control in the numerical solution of stochastic differential equations"; Li, Wong, Chen &
//! Duvenaud 2020, "Scalable gradients for stochastic differential equations", torchsde's
//! `BrownianTree`; Kidger, Foster, Li & Lyons 2021, the Brownian interval).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::brownian::{check_len, fill_normals, BrownianSource, TAG_LEAF, TAG_NODE};
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
/// [`BrownianTree::with_levy_area`] makes the tree carry the time integral `I(t) = ∫W` beside
/// `W` (the pair is a Gaussian Markov process, so bisection works as for `W` alone), and then
/// [`BrownianSource::increment_with_area`] answers the space-time Lévy area of any interval,
/// which SRA1 needs: see there.
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
    /// Whether node values also hold `I(t) = ∫_{t0}^t W(r) dr` (after the `paths·m` values of W).
    area: bool,
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
            area: false,
            capacity: ((1usize << 22) / per).max(256),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The same tree carrying the space-time Lévy area (Foster, Lyons & Oberhauser 2020): every
    /// node holds `W(t)` and `I(t) = ∫_{t0}^t W(r) dr`, and a midpoint (or a leaf point) is
    /// drawn from the exact conditional law of `(W_{a,m}, H_{a,m})` given `(W_{a,b}, H_{a,b})`
    /// of its interval `[a, b]` (two normals per component), so that
    /// [`BrownianSource::increment_with_area`] answers `(W_{s,t}, H_{s,t})` for any `s < t`,
    /// consistently across intervals: `H_{s,u}` and `H_{u,t}` combine into `H_{s,t}` as
    /// Chen's relation says, `H_{s,t} = (h₁H_{s,u} + h₂H_{u,t})/h + (h₂W_{s,u} − h₁W_{u,t})/(2h)`.
    /// This is what SRA1 needs for adaptive steps or for step grids that are not fixed in advance.
    ///
    /// `W` has the same law as without the area but other values for the same seed (its
    /// midpoints are conditioned on the area too). `I` is not rounded: `H_{s,t}` is computed as
    /// `(I(t) − I(s) − h·W(s))/h − W_{s,t}/2`, whose rounding error is about `ε·|I|/h`,
    /// 10⁻⁷ relative to `H`'s size `√(h/12)` at the default leaf width on `[0, 1]`.
    ///
    /// ```
    /// use fluxion_diffeq::sde::{BrownianSource, BrownianTree};
    /// let bm = BrownianTree::new(3, 0.0, 1.0, 2, 1)?.with_levy_area();
    /// let (mut w, mut h) = (vec![0.0; 2], vec![0.0; 2]);
    /// bm.increment_with_area(0, 0.25, 0.6, &mut w, &mut h)?;
    /// # Ok::<(), fluxion_diffeq::Error>(())
    /// ```
    pub fn with_levy_area(mut self) -> Self {
        self.area = true;
        self.capacity = (self.capacity / 2).max(256);
        self.lock().clear();
        self
    }

    /// Whether the tree carries the space-time Lévy area ([`BrownianTree::with_levy_area`]).
    pub fn has_levy_area(&self) -> bool {
        self.area
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

    /// Values per node: W, then I when the tree carries the area.
    fn width(&self) -> usize {
        self.paths * self.m * if self.area { 2 } else { 1 }
    }

    /// Cached or freshly drawn value of node `key` (0 = W(t1), i ≥ 1 = midpoint of node i).
    fn node(&self, key: u64, make: impl FnOnce(&mut Vec<f64>)) -> Arc<Vec<f64>> {
        if let Some(v) = self.lock().get(&key) {
            return v.clone();
        }
        let mut v = vec![0.0; self.width()];
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
        let p = self.point(t)?;
        let n = self.paths * self.m;
        Ok(if self.area {
            Arc::new(p[..n].to_vec())
        } else {
            p
        })
    }

    /// The node value at `t`: `W(t) − W(t0)`, then `I(t)` when the tree carries the area.
    fn point(&self, t: f64) -> Result<Arc<Vec<f64>>> {
        let (seed, n, area) = (self.seed, self.paths * self.m, self.area);
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
            return Ok(Arc::new(vec![0.0; self.width()]));
        }
        let span = self.t1 - self.t0;
        let mut wb = self.node(0, |v| {
            fill_normals(seed, TAG_NODE, 0, if area { 1.0 } else { span.sqrt() }, v);
            if area {
                // W(t1) ~ N(0, T) and H ~ N(0, T/12) independent; I(t1) = T·(H + W(t1)/2).
                let (w, i) = v.split_at_mut(n);
                for (w, i) in w.iter_mut().zip(i) {
                    *w = quantize(span.sqrt() * *w);
                    *i = span * ((span / 12.0).sqrt() * *i + 0.5 * *w);
                }
            } else {
                v.iter_mut().for_each(|x| *x = quantize(*x));
            }
        });
        if t == self.t1 {
            return Ok(wb);
        }
        let mut wa = Arc::new(vec![0.0; self.width()]);
        let (mut a, mut b, mut node, mut depth) = (self.t0, self.t1, 1u64, 0u32);
        loop {
            if b - a <= self.tol || depth >= MAX_DEPTH {
                let mut z = vec![0.0; self.width()];
                let idx = (t.to_bits() ^ node.wrapping_mul(0x9E37_79B9_7F4A_7C15)).rotate_left(17);
                fill_normals(seed, TAG_LEAF, idx >> 2, 1.0, &mut z);
                if area {
                    bridge_with_area(t - a, b - t, &wa, &wb, &mut z);
                } else {
                    let (r, sd) = ((t - a) / (b - a), ((t - a) * (b - t) / (b - a)).sqrt());
                    for i in 0..n {
                        z[i] = quantize(wa[i] + r * (wb[i] - wa[i]) + sd * z[i]);
                    }
                }
                return Ok(Arc::new(z));
            }
            let mid = a + 0.5 * (b - a);
            let (pa, pb) = (wa.clone(), wb.clone());
            let wm = self.node(node, |v| {
                if area {
                    fill_normals(seed, TAG_NODE, node, 1.0, v);
                    bridge_with_area(mid - a, b - mid, &pa, &pb, v);
                } else {
                    fill_normals(seed, TAG_NODE, node, (0.25 * (b - a)).sqrt(), v);
                    for i in 0..n {
                        v[i] = quantize(0.5 * (pa[i] + pb[i]) + v[i]);
                    }
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

/// Draws the point `m = a + h₁` inside `[a, b]` (`h₂ = b − m`) of the pair `(W, I = ∫W)` given
/// its values at `a` and `b` (`wa`, `wb`: W then I), turning the standard normals `z`
/// (`z₁` then `z₂`, as many as `wa`) into the value at `m` in place.
///
/// With `h = h₁ + h₂`, the interval's `W = W_{a,b}` and `H = H_{a,b}`, the sub-interval's
/// `(W₁, H₁) = (W_{a,m}, H_{a,m})` is Gaussian given `(W, H)` (Chen's relation is linear) with
/// mean `(h₁/h·W + 6h₁h₂/h²·H, (h₁/h)²·H)` and covariance
/// `[[h₁h₂/h·(1 − 3h₁h₂/h²), −h₁³h₂/(2h³)], [·, h₁/12·(1 − (h₁/h)³)]]`; at the midpoint
/// `W₁ = W/2 + 3H/2 + √h/4·z₁` as in Foster's thesis (2020) and diffrax's tree.
fn bridge_with_area(h1: f64, h2: f64, wa: &[f64], wb: &[f64], z: &mut [f64]) {
    let n = z.len() / 2;
    let h = h1 + h2;
    let (r, q) = (h1 / h, h2 / h);
    let var_w = h1 * q * (1.0 - 3.0 * r * q);
    let var_h = h1 / 12.0 * (1.0 - r * r * r);
    let cov = -0.5 * h1 * r * r * q;
    let l11 = var_w.sqrt();
    let l21 = if l11 > 0.0 { cov / l11 } else { 0.0 };
    let l22 = (var_h - l21 * l21).max(0.0).sqrt();
    let (z1, z2) = z.split_at_mut(n);
    for i in 0..n {
        let (w_a, i_a) = (wa[i], wa[n + i]);
        let w = wb[i] - w_a;
        let big_h = (wb[n + i] - i_a - h * w_a) / h - 0.5 * w;
        let w1 = r * w + 6.0 * r * q * big_h + l11 * z1[i];
        let h1_area = r * r * big_h + l21 * z1[i] + l22 * z2[i];
        let w_m = quantize(w_a + w1);
        let w1 = w_m - w_a;
        z1[i] = w_m;
        z2[i] = i_a + h1 * w_a + h1 * (h1_area + 0.5 * w1);
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
        let n = self.paths * self.m;
        check_len("dw", dw.len(), n)?;
        let (ws, wt) = (self.point(s)?, self.point(t)?);
        for ((d, a), b) in dw.iter_mut().zip(&ws[..n]).zip(&wt[..n]) {
            *d = b - a;
        }
        Ok(())
    }

    /// `(W_{s,t}, H_{s,t})` from the point values: `H = (I(t) − I(s) − h·W(s))/h − W_{s,t}/2`.
    /// Only a tree built [`with_levy_area`](BrownianTree::with_levy_area) has it.
    fn increment_with_area(
        &self,
        _step: usize,
        s: f64,
        t: f64,
        dw: &mut [f64],
        dh: &mut [f64],
    ) -> Result<()> {
        if !self.area {
            return Err(invalid(
                "brownian",
                "this BrownianTree has no space-time Lévy area (SRA1 needs it): build it with \
                 BrownianTree::new(..)?.with_levy_area(), or use BrownianIncrements or BrownianGrid",
            ));
        }
        let n = self.paths * self.m;
        check_len("dw", dw.len(), n)?;
        check_len("dh", dh.len(), n)?;
        if s >= t {
            return Err(invalid(
                "t",
                format!("the Lévy area needs s < t, got [{s}, {t}]"),
            ));
        }
        let (ps, pt) = (self.point(s)?, self.point(t)?);
        let h = t - s;
        for i in 0..n {
            let w = pt[i] - ps[i];
            dw[i] = w;
            dh[i] = (pt[n + i] - ps[n + i] - h * ps[i]) / h - 0.5 * w;
        }
        Ok(())
    }
}
