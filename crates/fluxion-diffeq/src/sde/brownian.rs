//! Counter-based Brownian increments: the [`BrownianSource`] trait, the sequential fast path
//! [`BrownianIncrements`] (no tree, keyed by step index) and the stored fine path
//! [`BrownianGrid`] (exact sums of increments and of space-time Lévy areas over grid intervals).
//!
//! Every normal comes from Philox4x32-10 (Salmon et al. 2011,
//! [`philox4x32_10`](fluxion_tensor::random::philox4x32_10)) under the key
//! (seed mod 2³², seed >> 32) with the counter (lo32 p, hi32 p, lo32 i, hi32 i | tag << 30):
//! `p` numbers the normal pair inside one draw, `i` is the step or node index and the two-bit
//! `tag` separates the streams (0 increments, 1 Lévy areas, 2 tree nodes, 3 tree leaf bridges),
//! so any increment can be regenerated on its own, on the CPU or a GPU, in any order. Pairs
//! follow `fluxion_tensor::random::normal_f64`'s Box–Muller on 53-bit uniforms: with the words
//! `(w₀, w₁, w₂, w₃)` of pair `p`, `u₁ = (((w₀·2³² + w₁) >> 11) + 1)·2⁻⁵³ ∈ (0, 1]`,
//! `u₂ = ((w₂·2³² + w₃) >> 11)·2⁻⁵³ ∈ [0, 1)`, `r = √(−2 ln u₁)`, `θ = fl(2π·u₂)` and the pair is
//! `(std·r·cos θ, std·r·sin θ)`.
//!
//! On the CPU the words and uniforms are computed for sixteen counters at once (AVX-512, AVX2
//! or portable code chosen at run time, all giving the same bits), with branch-free `ln` and
//! `sin_cos` within 1 ulp of libm's (`normals.rs`): a normal may differ from one computed with
//! libm in its last bits, never more. The stream definition above is unchanged.

use super::normals;
use crate::error::{invalid, Result};

/// Stream tags of the Philox counter's top two bits.
pub(crate) const TAG_DW: u64 = 0;
pub(crate) const TAG_DH: u64 = 1;
pub(crate) const TAG_NODE: u64 = 2;
pub(crate) const TAG_LEAF: u64 = 3;

/// Fills `out` with independent N(0, std²) values from the stream (seed, tag, index).
///
/// Index must be below 2⁶²; pair `p` of the draw uses the counter (p, index | tag << 62).
pub(crate) fn fill_normals(seed: u64, tag: u64, index: u64, std: f64, out: &mut [f64]) {
    // Each pair depends only on its counter, so chunks fill in parallel with the same values
    // as a sequential fill, whatever the thread count.
    const PAR_PAIRS: usize = 2048;
    if out.len() >= 4 * PAR_PAIRS {
        use rayon::prelude::*;
        out.par_chunks_mut(2 * PAR_PAIRS)
            .enumerate()
            .for_each(|(c, chunk)| fill_pairs(seed, tag, index, std, c * PAR_PAIRS, chunk));
    } else {
        fill_pairs(seed, tag, index, std, 0, out);
    }
}

/// Fills `out` with the normals of pairs `first_pair, first_pair + 1, …` of the stream.
fn fill_pairs(seed: u64, tag: u64, index: u64, std: f64, first_pair: usize, out: &mut [f64]) {
    let hi = (index & ((1 << 62) - 1)) | (tag << 62);
    normals::fill_pairs(seed, hi, std, first_pair as u64, out);
}

/// One draw of the counter-based normal stream, `N(0, std²)` values of (seed, tag, index), that
/// any thread can compute any part of: see [`BrownianSource::increment_draw`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncrementDraw {
    seed: u64,
    tag: u64,
    index: u64,
    std: f64,
}

impl IncrementDraw {
    /// Writes values `offset .. offset + out.len()` of the draw into `out`: the same values a
    /// whole fill puts there.
    ///
    /// # Panics
    /// If `offset` is odd (values come in Box–Muller pairs).
    pub fn fill_at(&self, offset: usize, out: &mut [f64]) {
        assert!(
            offset.is_multiple_of(2),
            "offset {offset} splits a normal pair"
        );
        fill_pairs(self.seed, self.tag, self.index, self.std, offset / 2, out);
    }
}

/// A Brownian motion of `paths × m` independent components that a solver can query.
///
/// Values are row-major `[paths, m]`. `step` is the solver's step index (used by the sequential
/// source; ignored by sources that answer for any interval).
pub trait BrownianSource {
    /// `(paths, m)`: independent paths and Brownian dimensions per path.
    fn shape(&self) -> (usize, usize);

    /// Whether [`BrownianSource::increment`] answers any `s < t` inside the span consistently
    /// (one Brownian path, independent of `step`), which adaptive steps need (a rejected step
    /// is retried on the same path). `false` by default; `true` for
    /// [`BrownianTree`](super::BrownianTree).
    fn answers_any_interval(&self) -> bool {
        false
    }

    /// The counter-based draw behind [`BrownianSource::increment`]`(step, s, t, ·)`, when the
    /// increment depends on `(step, s, t)` alone and any thread can compute any part of it:
    /// the fixed-step solver then draws step `k + 1` on another thread while it computes
    /// step `k` (for `Vec<f64>` states). `None` (the default) for other sources.
    fn increment_draw(&self, _step: usize, _s: f64, _t: f64) -> Option<IncrementDraw> {
        None
    }

    /// `dw = W(t) − W(s)` for step `step` over `[s, t]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the interval is outside
    /// what the source can answer, or `dw` has the wrong length.
    fn increment(&self, step: usize, s: f64, t: f64, dw: &mut [f64]) -> Result<()>;

    /// `dw` as [`BrownianSource::increment`] and the space-time Lévy area
    /// `dh = H_{s,t} = (1/h)∫ₛᵗ (W_{s,r} − (r−s)/h·W_{s,t}) dr ~ N(0, h/12)`, independent of
    /// `dw` (Foster, Lyons & Oberhauser 2020).
    ///
    /// # Errors
    /// As [`BrownianSource::increment`]; sources without Lévy area return
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    fn increment_with_area(
        &self,
        step: usize,
        s: f64,
        t: f64,
        dw: &mut [f64],
        dh: &mut [f64],
    ) -> Result<()>;
}

pub(super) fn check_len(name: &'static str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(invalid(
            name,
            format!("has {got} values, the Brownian motion has {want}"),
        ));
    }
    Ok(())
}

/// Sequential Brownian increments for fixed-step forward solves: `ΔW_k ~ N(0, h)` drawn from
/// Philox keyed by (seed, step index k), with no tree and no stored state.
///
/// Step `k`'s increment depends only on (seed, k, h), so it is the same on any device and in
/// any order; the path therefore depends on the step grid (use [`BrownianTree`](super::BrownianTree)
/// for a path independent of the grid).
///
/// ```
/// use fluxion_diffeq::sde::{BrownianIncrements, BrownianSource};
/// let bm = BrownianIncrements::new(7, 3, 2);
/// let (mut a, mut b) = (vec![0.0; 6], vec![0.0; 6]);
/// bm.increment(5, 0.5, 0.6, &mut a)?;
/// bm.increment(5, 0.5, 0.6, &mut b)?;
/// assert_eq!(a, b);
/// # Ok::<(), fluxion_diffeq::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrownianIncrements {
    seed: u64,
    paths: usize,
    m: usize,
}

impl BrownianIncrements {
    /// Increments of `paths × m` components from `seed`.
    pub fn new(seed: u64, paths: usize, m: usize) -> Self {
        BrownianIncrements { seed, paths, m }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl BrownianSource for BrownianIncrements {
    fn shape(&self) -> (usize, usize) {
        (self.paths, self.m)
    }

    fn increment_draw(&self, step: usize, s: f64, t: f64) -> Option<IncrementDraw> {
        (t >= s).then(|| IncrementDraw {
            seed: self.seed,
            tag: TAG_DW,
            index: step as u64,
            std: (t - s).sqrt(),
        })
    }

    fn increment(&self, step: usize, s: f64, t: f64, dw: &mut [f64]) -> Result<()> {
        check_len("dw", dw.len(), self.paths * self.m)?;
        if t.is_nan() || s.is_nan() || t < s {
            return Err(invalid("t", format!("needs t ≥ s, got s = {s}, t = {t}")));
        }
        fill_normals(self.seed, TAG_DW, step as u64, (t - s).sqrt(), dw);
        Ok(())
    }

    fn increment_with_area(
        &self,
        step: usize,
        s: f64,
        t: f64,
        dw: &mut [f64],
        dh: &mut [f64],
    ) -> Result<()> {
        self.increment(step, s, t, dw)?;
        check_len("dh", dh.len(), self.paths * self.m)?;
        fill_normals(self.seed, TAG_DH, step as u64, ((t - s) / 12.0).sqrt(), dh);
        Ok(())
    }
}

/// A Brownian path stored on a uniform fine grid `t₀ + k·dt`, `k = 0..=n`, with its
/// space-time Lévy areas: answers `(W_{s,t}, H_{s,t})` exactly for any grid-aligned `s < t`.
///
/// Built from the sequential stream of [`BrownianIncrements`] (fine increments `(ΔWₖ, ΔHₖ)`).
/// It stores `W(tₖ)` and the time integral `J(tₖ) = ∫_{t₀}^{tₖ} W dr`; then
/// `W_{s,t} = W(t) − W(s)`, `∫ₛᵗ W_{s,r} dr = J(t) − J(s) − h·W(s)` and
/// `H_{s,t} = (∫ₛᵗ W_{s,r} dr)/h − W_{s,t}/2` (on one fine step `∫ W_{s,r} dr = h(ΔW/2 + ΔH)`).
/// Coarse solves driven by it see exactly the fine path, which is what strong-order tests need.
#[derive(Debug, Clone)]
pub struct BrownianGrid {
    t0: f64,
    dt: f64,
    n: usize,
    paths: usize,
    m: usize,
    w: Vec<f64>,
    j: Vec<f64>,
    fine_dw: Vec<f64>,
    fine_dh: Vec<f64>,
}

impl BrownianGrid {
    /// Samples `n` fine steps of size `dt` from `t0` for `paths × m` components from `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for `dt ≤ 0` or `n = 0`.
    pub fn sample(seed: u64, t0: f64, dt: f64, n: usize, paths: usize, m: usize) -> Result<Self> {
        if dt.is_nan() || dt <= 0.0 || n == 0 {
            return Err(invalid(
                "dt",
                format!("needs dt > 0 and n > 0, got dt = {dt}, n = {n}"),
            ));
        }
        let pm = paths * m;
        let src = BrownianIncrements::new(seed, paths, m);
        let mut w = vec![0.0; (n + 1) * pm];
        let mut j = vec![0.0; (n + 1) * pm];
        let mut fine_dw = vec![0.0; n * pm];
        let mut fine_dh = vec![0.0; n * pm];
        for k in 0..n {
            let (s, t) = (t0 + k as f64 * dt, t0 + (k + 1) as f64 * dt);
            let (dw, dh) = (
                &mut fine_dw[k * pm..(k + 1) * pm],
                &mut fine_dh[k * pm..(k + 1) * pm],
            );
            src.increment_with_area(k, s, t, dw, dh)?;
            for i in 0..pm {
                let (w0, j0) = (w[k * pm + i], j[k * pm + i]);
                w[(k + 1) * pm + i] = w0 + dw[i];
                j[(k + 1) * pm + i] = j0 + dt * w0 + dt * (0.5 * dw[i] + dh[i]);
            }
        }
        Ok(BrownianGrid {
            t0,
            dt,
            n,
            paths,
            m,
            w,
            j,
            fine_dw,
            fine_dh,
        })
    }

    /// The fine step size.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Number of fine steps.
    pub fn n_steps(&self) -> usize {
        self.n
    }

    /// Fine step `k`'s `(ΔW, ΔH)`, each `[paths, m]` row-major.
    ///
    /// # Panics
    /// If `k ≥ n_steps()`.
    pub fn fine_step(&self, k: usize) -> (&[f64], &[f64]) {
        let pm = self.paths * self.m;
        (
            &self.fine_dw[k * pm..(k + 1) * pm],
            &self.fine_dh[k * pm..(k + 1) * pm],
        )
    }

    fn index(&self, t: f64) -> Result<usize> {
        let x = (t - self.t0) / self.dt;
        let k = x.round();
        if (x - k).abs() > 1e-6 || k < 0.0 || k > self.n as f64 {
            return Err(invalid(
                "t",
                format!(
                    "t = {t} is not on the Brownian grid t0 = {} + k·{} (k ≤ {})",
                    self.t0, self.dt, self.n
                ),
            ));
        }
        Ok(k as usize)
    }
}

impl BrownianSource for BrownianGrid {
    fn shape(&self) -> (usize, usize) {
        (self.paths, self.m)
    }

    fn increment(&self, _step: usize, s: f64, t: f64, dw: &mut [f64]) -> Result<()> {
        let pm = self.paths * self.m;
        check_len("dw", dw.len(), pm)?;
        let (a, b) = (self.index(s)?, self.index(t)?);
        for (i, d) in dw.iter_mut().enumerate() {
            *d = self.w[b * pm + i] - self.w[a * pm + i];
        }
        Ok(())
    }

    fn increment_with_area(
        &self,
        step: usize,
        s: f64,
        t: f64,
        dw: &mut [f64],
        dh: &mut [f64],
    ) -> Result<()> {
        self.increment(step, s, t, dw)?;
        let pm = self.paths * self.m;
        check_len("dh", dh.len(), pm)?;
        let (a, b) = (self.index(s)?, self.index(t)?);
        let h = (b - a) as f64 * self.dt;
        for i in 0..pm {
            let ws = self.w[a * pm + i];
            let integral = self.j[b * pm + i] - self.j[a * pm + i] - h * ws;
            dh[i] = integral / h - 0.5 * dw[i];
        }
        Ok(())
    }
}
