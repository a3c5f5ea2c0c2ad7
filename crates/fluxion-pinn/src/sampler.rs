//! Collocation samplers: grid, uniform random, jittered grid, Latin hypercube and scrambled
//! Sobol points on any [`Region`] of a [`Domain`], reproducible from (seed, epoch).
//!
//! Every draw is keyed by the pair (seed, epoch) through the counter-based Philox generator
//! of [`fluxion_tensor::random`], so epoch e's points are the same in a run that resumed at e
//! as in one that did not. Points are computed in f64 and cast to the training dtype only when
//! they become a tensor ([`PointSet::to_tensor`]).
//!
//! A region made of several faces (the spatial boundary) gets its points split over the faces
//! in proportion to their measure; each face is sampled with its own stream.
//!
//! ```
//! use fluxion_pinn::{Domain, Region, SamplerConfig};
//! let d = Domain::rectangle(("x", 0.0, 1.0), ("y", 0.0, 2.0))?;
//! let pts = SamplerConfig::LatinHypercube.sample(&d, &Region::Interior, 100, 7, 0)?;
//! assert_eq!((pts.len(), pts.dim()), (100, 2));
//! assert!(pts.rows().all(|p| d.contains(p)));
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

use fluxion_tensor::random::{normal_f64, uniform_f64};
use fluxion_tensor::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::geometry::{split_counts, BoxPiece, Domain, Region};
use crate::{Error, Result};

/// Points as rows of an `[N, d]` matrix in f64, with the outward unit normal of each point's
/// face when the points lie on faces.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSet {
    dim: usize,
    coords: Vec<f64>,
    normals: Option<Vec<f64>>,
}

impl PointSet {
    /// Points from row-major coordinates (`coords.len()` a multiple of `dim`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `dim` 0, a length that is not a multiple of `dim`, a
    /// non-finite coordinate or normals of another length.
    pub fn new(dim: usize, coords: Vec<f64>, normals: Option<Vec<f64>>) -> Result<PointSet> {
        if dim == 0 || !coords.len().is_multiple_of(dim) {
            return Err(Error::invalid(
                "PointSet::new",
                format!("{} coordinates do not make rows of {dim}", coords.len()),
            ));
        }
        if coords.iter().any(|c| !c.is_finite()) {
            return Err(Error::invalid(
                "PointSet::new",
                "a coordinate is not finite",
            ));
        }
        if let Some(n) = &normals {
            if n.len() != coords.len() {
                return Err(Error::invalid(
                    "PointSet::new",
                    format!(
                        "{} normal entries for {} coordinates",
                        n.len(),
                        coords.len()
                    ),
                ));
            }
        }
        Ok(PointSet {
            dim,
            coords,
            normals,
        })
    }

    /// Number of points N.
    pub fn len(&self) -> usize {
        self.coords.len() / self.dim
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }

    /// Columns d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row-major coordinates.
    pub fn coords(&self) -> &[f64] {
        &self.coords
    }

    /// Row-major outward normals, for points on faces.
    pub fn normals(&self) -> Option<&[f64]> {
        self.normals.as_deref()
    }

    /// Point `i`.
    ///
    /// # Panics
    /// When `i ≥ len()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.coords[i * self.dim..(i + 1) * self.dim]
    }

    /// Every point.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.coords.chunks_exact(self.dim)
    }

    /// The points as an `[N, d]` tensor of `dtype` on `device`.
    ///
    /// # Errors
    /// Tensor errors (device).
    pub fn to_tensor(&self, dtype: DType, device: &Device) -> Result<Tensor> {
        Ok(
            Tensor::from_vec(self.coords.clone(), [self.len(), self.dim], device)?
                .to_dtype(dtype)?,
        )
    }

    /// The normals as an `[N, d]` tensor, if any.
    ///
    /// # Errors
    /// Tensor errors (device).
    pub fn normals_tensor(&self, dtype: DType, device: &Device) -> Result<Option<Tensor>> {
        self.normals
            .as_ref()
            .map(|n| {
                Ok(Tensor::from_vec(n.clone(), [self.len(), self.dim], device)?.to_dtype(dtype)?)
            })
            .transpose()
    }

    /// The rows at `indices`, in that order.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index out of range.
    pub fn select(&self, indices: &[usize]) -> Result<PointSet> {
        let n = self.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(Error::invalid(
                "PointSet::select",
                format!("index {bad} out of range for {n} points"),
            ));
        }
        let pick = |v: &[f64]| -> Vec<f64> {
            indices
                .iter()
                .flat_map(|&i| v[i * self.dim..(i + 1) * self.dim].iter().copied())
                .collect()
        };
        Ok(PointSet {
            dim: self.dim,
            coords: pick(&self.coords),
            normals: self.normals.as_deref().map(pick),
        })
    }

    /// These points followed by `other`'s (normals kept only when both have them).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the dimensions differ.
    pub fn concat(&self, other: &PointSet) -> Result<PointSet> {
        if self.dim != other.dim {
            return Err(Error::invalid(
                "PointSet::concat",
                format!("dimensions {} and {} differ", self.dim, other.dim),
            ));
        }
        let mut coords = self.coords.clone();
        coords.extend_from_slice(&other.coords);
        let normals = match (&self.normals, &other.normals) {
            (Some(a), Some(b)) => Some([a.as_slice(), b].concat()),
            _ => None,
        };
        Ok(PointSet {
            dim: self.dim,
            coords,
            normals,
        })
    }
}

/// How a term's collocation points are drawn (serialisable for configs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SamplerConfig {
    /// A tensor grid including both ends of every free axis (an axis with one point takes its
    /// midpoint). `counts`: points per free axis; `None` splits N over the axes in proportion
    /// to their extents, so the grid holds about N points (exactly Π counts).
    Grid {
        /// Points per free axis of the region, in column order.
        counts: Option<Vec<usize>>,
    },
    /// Independent uniform points, redrawn each epoch (the default).
    #[default]
    Random,
    /// The grid plus independent N(0, σ²) noise on every free coordinate, redrawn each epoch
    /// (the PINN tutorial's sampler). The points are **not clipped**: near the ends some fall
    /// outside the domain, exactly as in the tutorial, which trains the residual slightly
    /// beyond the interval.
    JitteredGrid {
        /// Standard deviation σ of the noise, in the axes' units.
        sigma: f64,
        /// As [`SamplerConfig::Grid`].
        counts: Option<Vec<usize>>,
    },
    /// Latin hypercube sampling (McKay, Beckman & Conover 1979): each free axis is cut into N
    /// equal strata, each stratum holds exactly one point, and the strata are matched across
    /// axes by independent random permutations; redrawn each epoch.
    LatinHypercube,
    /// Owen-scrambled Sobol points (Burley 2020, the `sobol_burley` crate), seeded; epoch e
    /// takes the points e·N … e·N + N − 1 of the sequence (skip-ahead). The sequence has 2¹⁶
    /// points: past its end the index wraps and the scramble seed changes. At most 256 free
    /// axes.
    Sobol,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream seed for (seed, epoch, piece).
pub(crate) fn stream_seed(seed: u64, epoch: u64, piece: u64) -> u64 {
    mix64(mix64(mix64(seed) ^ epoch) ^ piece.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

/// Grid counts per free axis for about `n` points, proportional to the extents.
fn even_counts(extents: &[f64], n: usize) -> Vec<usize> {
    let k = extents.len();
    if k == 0 {
        return Vec::new();
    }
    let vol: f64 = extents.iter().product();
    let s = (n as f64 / vol).powf(1.0 / k as f64);
    extents
        .iter()
        .map(|e| ((e * s).round() as usize).max(1))
        .collect()
}

/// A uniform random permutation of 0..n (Fisher–Yates) from the stream `seed`.
pub(crate) fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let u = uniform_f64(n, seed, 0, 0.0, 1.0);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((u[i] * (i + 1) as f64) as usize).min(i);
        p.swap(i, j);
    }
    p
}

impl SamplerConfig {
    /// Whether the points change from epoch to epoch (all but [`SamplerConfig::Grid`]).
    pub fn is_stochastic(&self) -> bool {
        !matches!(self, SamplerConfig::Grid { .. })
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a negative or non-finite σ or a zero grid count.
    pub fn validate(&self) -> Result<()> {
        let counts = match self {
            SamplerConfig::Grid { counts } => counts,
            SamplerConfig::JitteredGrid { sigma, counts } => {
                if !(sigma.is_finite() && *sigma >= 0.0) {
                    return Err(Error::invalid(
                        "SamplerConfig::JitteredGrid",
                        format!("sigma must be finite and ≥ 0, got {sigma}"),
                    ));
                }
                counts
            }
            _ => &None,
        };
        if counts.as_ref().is_some_and(|c| c.contains(&0)) {
            return Err(Error::invalid("SamplerConfig", "grid counts must be ≥ 1"));
        }
        Ok(())
    }

    /// About `n` points on `region` of `domain` for `epoch` of the stream `seed`.
    ///
    /// Exactly `n` points except for the grid samplers, which return Π counts per piece.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `n` = 0, a bad region or setting, explicit grid counts
    /// that do not match the region's free axes, more than 256 free axes for Sobol.
    pub fn sample(
        &self,
        domain: &Domain,
        region: &Region,
        n: usize,
        seed: u64,
        epoch: u64,
    ) -> Result<PointSet> {
        self.validate()?;
        if n == 0 {
            return Err(Error::invalid(
                "SamplerConfig::sample",
                "needs n ≥ 1 points",
            ));
        }
        let pieces = domain.pieces(region)?;
        let counts = split_counts(&pieces, n);
        let d = domain.dim();
        let mut coords = Vec::new();
        let mut normals = Vec::new();
        let mut has_normals = true;
        for (p, (piece, &np)) in pieces.iter().zip(&counts).enumerate() {
            if np == 0 {
                continue;
            }
            // Sobol keeps one scrambled sequence over the epochs and skips ahead in it; the
            // other samplers draw afresh from the (seed, epoch) stream.
            let stream_epoch = if matches!(self, SamplerConfig::Sobol) {
                0
            } else {
                epoch
            };
            let stream = stream_seed(seed, stream_epoch, p as u64);
            let rows = self.sample_piece(piece, np, stream, epoch, pieces.len())?;
            let m = rows.len() / d;
            coords.extend(rows);
            match &piece.normal {
                Some(nv) => (0..m).for_each(|_| normals.extend_from_slice(nv)),
                None => has_normals = false,
            }
        }
        PointSet::new(d, coords, has_normals.then_some(normals))
    }

    /// Row-major points of one piece.
    fn sample_piece(
        &self,
        piece: &BoxPiece,
        n: usize,
        seed: u64,
        epoch: u64,
        n_pieces: usize,
    ) -> Result<Vec<f64>> {
        let k = piece.free.len();
        let extents: Vec<f64> = piece
            .free
            .iter()
            .map(|&a| piece.hi[a] - piece.lo[a])
            .collect();
        // Unit coordinates of the free axes, row-major [m, k].
        let (unit, m) = match self {
            SamplerConfig::Grid { counts } | SamplerConfig::JitteredGrid { counts, .. } => {
                let c = match counts {
                    Some(c) if n_pieces > 1 => {
                        return Err(Error::invalid(
                            "SamplerConfig::Grid",
                            format!(
                                "explicit counts {c:?} need a single-piece region, this one has \
                                 {n_pieces} faces; give None to split N"
                            ),
                        ))
                    }
                    Some(c) if c.len() != k => {
                        return Err(Error::invalid(
                            "SamplerConfig::Grid",
                            format!("{} counts for a region with {k} free axes", c.len()),
                        ))
                    }
                    Some(c) => c.clone(),
                    None => even_counts(&extents, n),
                };
                grid_unit(&c, if k == 0 { n } else { 1 })
            }
            SamplerConfig::Random => (uniform_f64(n * k, seed, 0, 0.0, 1.0), n),
            SamplerConfig::LatinHypercube => {
                let u = uniform_f64(n * k, seed, 0, 0.0, 1.0);
                let mut out = vec![0.0; n * k];
                for j in 0..k {
                    let perm = permutation(n, mix64(seed ^ (j as u64 + 1)));
                    for i in 0..n {
                        out[i * k + j] = (perm[i] as f64 + u[i * k + j]) / n as f64;
                    }
                }
                (out, n)
            }
            SamplerConfig::Sobol => {
                if k > sobol_burley::NUM_DIMENSIONS as usize {
                    return Err(Error::invalid(
                        "SamplerConfig::Sobol",
                        format!(
                            "{k} free axes; the sequence has {}",
                            sobol_burley::NUM_DIMENSIONS
                        ),
                    ));
                }
                (sobol_unit(n, k, seed, epoch), n)
            }
        };
        let d = piece.lo.len();
        let noise = match self {
            SamplerConfig::JitteredGrid { sigma, .. } if *sigma > 0.0 => {
                Some(normal_f64(m * k, seed, 0, 0.0, *sigma))
            }
            _ => None,
        };
        let mut out = Vec::with_capacity(m * d);
        for i in 0..m {
            let start = out.len();
            out.extend_from_slice(&piece.lo);
            for (j, &a) in piece.free.iter().enumerate() {
                let mut v = piece.lo[a] + extents[j] * unit[i * k + j];
                if let Some(z) = &noise {
                    v += z[i * k + j];
                }
                out[start + a] = v;
            }
        }
        Ok(out)
    }
}

/// Unit grid coordinates for per-axis `counts` (`reps` copies when there are no free axes).
fn grid_unit(counts: &[usize], reps: usize) -> (Vec<f64>, usize) {
    let k = counts.len();
    if k == 0 {
        return (Vec::new(), reps);
    }
    let m: usize = counts.iter().product();
    let mut out = Vec::with_capacity(m * k);
    let mut idx = vec![0usize; k];
    for _ in 0..m {
        for j in 0..k {
            let c = counts[j];
            out.push(if c == 1 {
                0.5
            } else {
                idx[j] as f64 / (c - 1) as f64
            });
        }
        // Last axis fastest (row-major, as numpy.meshgrid(indexing="ij")).
        for j in (0..k).rev() {
            idx[j] += 1;
            if idx[j] < counts[j] {
                break;
            }
            idx[j] = 0;
        }
    }
    (out, m)
}

/// Points epoch·n … epoch·n + n − 1 of the Owen-scrambled Sobol sequence, `k` dimensions.
fn sobol_unit(n: usize, k: usize, seed: u64, epoch: u64) -> Vec<f64> {
    const LEN: u64 = 1 << 16;
    let mut out = Vec::with_capacity(n * k);
    for i in 0..n as u64 {
        let global = epoch.wrapping_mul(n as u64).wrapping_add(i);
        let (wrap, idx) = (global / LEN, (global % LEN) as u32);
        let s = sobol_scramble(seed, wrap);
        for j in 0..k {
            out.push(f64::from(sobol_burley::sample(idx, j as u32, s)));
        }
    }
    out
}

fn sobol_scramble(stream: u64, wrap: u64) -> u32 {
    (mix64(stream ^ wrap.wrapping_mul(0x9E37_79B9)) & 0xFFFF_FFFF) as u32
}

/// The scramble seed that [`SamplerConfig::Sobol`] passes to `sobol_burley::sample` for a
/// single-piece region (the interior, a face) sampled with `seed`, before the sequence first
/// wraps — so the points can be checked against the crate's own API.
pub fn sobol_seed(seed: u64) -> u32 {
    sobol_scramble(stream_seed(seed, 0, 0), 0)
}
