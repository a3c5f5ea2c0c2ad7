//! Truncated discrete Fourier transforms as matrix products on [`Var`].
//!
//! FNO keeps only a few low frequencies per axis, so instead of a full FFT followed by a
//! truncation, the kept coefficients can be computed directly by multiplying with a small
//! constant matrix. On a channels-last tensor `[B, n₁, …, n_d, C]` a transform along spatial
//! axis a is the product of a `[k, n_a]` matrix with the tensor viewed as
//! `[Π(axes before a), n_a, Π(axes after a)]` — a contiguous reshape, no permutation of the large
//! tensor. Every step is a `Var` op, so gradients (of any order) come from the matmul rule.
//!
//! Conventions (NumPy's, as [`fluxion_tensor::Tensor::rfftn`] with `FftNorm::Backward`):
//!
//! - last axis, real → complex: `X_k = Σ_s x_s e^{−2πi ks/n}` for k = 0, …, m − 1;
//! - every other axis, complex → complex: the same sum for the frequencies
//!   `f_j = 0, …, m − 1, −m, …, −1` (rows `0..m` and `n−m..n` of the full transform);
//! - inverse, other axes: `z_s = (1/n) Σ_j Y_j e^{+2πi f_j s/n}` (absent frequencies are zero);
//! - inverse, last axis, complex → real, exactly as `irfft`:
//!   `y_s = (1/n) Σ_k c_k Re(Y_k e^{+2πi ks/n})` with `c_0 = 1`, `c_k = 2` for `0 < k < n/2`,
//!   `c_{n/2} = 1`; the imaginary parts of the DC and Nyquist bins drop out because
//!   `sin(2π·0·s/n) = sin(πs) = 0`.
//!
//! Complex intermediates are carried as two real `Var`s (re, im). A complex matrix
//! `F = F_r + iF_i` is stored stacked as `[F_r; F_i]` (`[2k, n]`), so `F·(x_r + ix_i)` costs two
//! real products: `[F_r; F_i]·x_r` and `[F_r; F_i]·x_i`, recombined as
//! `(F_r x_r − F_i x_i) + i(F_i x_r + F_r x_i)`.
//!
//! The matrices are built in f64 with the phase reduced exactly (`ks mod n` in integers), then
//! cast; [`DftMatrices`] caches them per (kind, n, m, dtype, device).

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::Mutex;

use fluxion_autodiff::{Result, Var};
use fluxion_tensor::{DType, Device, DeviceLocation, Tensor};

/// Which truncated transform a matrix performs along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DftKind {
    /// Real → complex, bins `0..m`: `[2m, n]`, rows `[cos; −sin]`.
    RealForward,
    /// Complex → complex, frequencies `0..m, −m..−1`: `[4m, n]`, rows `[F_r; F_i]`.
    ComplexForward,
    /// Inverse of [`DftKind::ComplexForward`] with `1/n`: `[2n, 2m]`, rows `[G_r; G_i]`.
    ComplexInverse,
    /// Complex → real as `irfft` from bins `0..m`: `[n, 2m]`, columns `[re | im]`.
    RealInverse,
}

/// The signed frequency of kept index `j` on a non-last axis with `m` kept per sign.
fn signed_frequency(j: usize, m: usize) -> i64 {
    if j < m {
        j as i64
    } else {
        j as i64 - 2 * m as i64
    }
}

/// `2π (f·s mod n) / n`, with the product reduced exactly in integers.
fn phase(f: i64, s: usize, n: usize) -> f64 {
    let r = (f * s as i64).rem_euclid(n as i64);
    2.0 * PI * r as f64 / n as f64
}

/// The row-major f64 entries and dimensions of the `kind` matrix for length `n`, `m` modes.
///
/// Callers guarantee `m ≤ n/2 + 1` ([`DftKind::RealForward`], [`DftKind::RealInverse`]) or
/// `2m ≤ n` (the complex kinds); the formulas hold for any `m` regardless.
pub fn dft_matrix(kind: DftKind, n: usize, m: usize) -> (Vec<f64>, [usize; 2]) {
    match kind {
        DftKind::RealForward => {
            let mut a = vec![0.0; 2 * m * n];
            for k in 0..m {
                for s in 0..n {
                    let t = phase(k as i64, s, n);
                    a[k * n + s] = t.cos();
                    a[(m + k) * n + s] = -t.sin();
                }
            }
            (a, [2 * m, n])
        }
        DftKind::ComplexForward => {
            let k2 = 2 * m;
            let mut a = vec![0.0; 2 * k2 * n];
            for j in 0..k2 {
                let f = signed_frequency(j, m);
                for s in 0..n {
                    let t = phase(f, s, n);
                    a[j * n + s] = t.cos();
                    a[(k2 + j) * n + s] = -t.sin();
                }
            }
            (a, [2 * k2, n])
        }
        DftKind::ComplexInverse => {
            let k2 = 2 * m;
            let inv = 1.0 / n as f64;
            let mut a = vec![0.0; 2 * n * k2];
            for s in 0..n {
                for j in 0..k2 {
                    let t = phase(signed_frequency(j, m), s, n);
                    a[s * k2 + j] = inv * t.cos();
                    a[(n + s) * k2 + j] = inv * t.sin();
                }
            }
            (a, [2 * n, k2])
        }
        DftKind::RealInverse => {
            let inv = 1.0 / n as f64;
            let mut a = vec![0.0; n * 2 * m];
            for s in 0..n {
                for k in 0..m {
                    let c = if k == 0 || 2 * k == n { 1.0 } else { 2.0 };
                    let t = phase(k as i64, s, n);
                    a[s * 2 * m + k] = c * inv * t.cos();
                    a[s * 2 * m + m + k] = -c * inv * t.sin();
                }
            }
            (a, [n, 2 * m])
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    kind: DftKind,
    n: usize,
    m: usize,
    dtype: DType,
    device: DeviceLocation,
}

/// A cache of constant DFT matrices per (kind, axis length, modes, dtype, device).
#[derive(Debug, Default)]
pub struct DftMatrices {
    cache: Mutex<HashMap<Key, Tensor>>,
}

impl DftMatrices {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `kind` matrix for length `n` and `m` modes as a constant, built on first use.
    ///
    /// # Errors
    /// Tensor creation or dtype conversion errors.
    pub fn get(
        &self,
        kind: DftKind,
        n: usize,
        m: usize,
        dtype: DType,
        device: &Device,
    ) -> Result<Var> {
        let key = Key {
            kind,
            n,
            m,
            dtype,
            device: device.location(),
        };
        // A poisoned lock only means another thread panicked while inserting; the map itself
        // holds complete entries, so keep using it.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = cache.get(&key) {
            return Ok(Var::constant(t.clone()));
        }
        let (data, dims) = dft_matrix(kind, n, m);
        let t = Tensor::from_vec(data, dims, device)?.to_dtype(dtype)?;
        cache.insert(key, t.clone());
        Ok(Var::constant(t))
    }

    /// Number of cached matrices.
    pub fn len(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no matrix is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `mat [k, n]` applied along `axis` of `x` (`x.dims()[axis] = n`): the result has `k` there.
///
/// # Errors
/// Shape errors from the reshape or the product.
pub fn apply_along(x: &Var, axis: usize, mat: &Var) -> Result<Var> {
    let dims = x.dims();
    let before: usize = dims[..axis].iter().product();
    let after: usize = dims[axis + 1..].iter().product();
    let y = mat.matmul(&x.reshape([before, dims[axis], after])?)?;
    let mut out = dims;
    out[axis] = mat.dims()[0];
    y.reshape(out)
}

/// The complex matrix stacked as `[M_r; M_i]` (`[2k, n]`) applied along `axis` to `xr + i·xi`.
fn apply_complex(xr: &Var, xi: &Var, axis: usize, stacked: &Var) -> Result<(Var, Var)> {
    let k = stacked.dims()[0] / 2;
    let a = apply_along(xr, axis, stacked)?;
    let b = apply_along(xi, axis, stacked)?;
    let ax = axis as isize;
    let re = a.narrow(ax, 0, k)?.sub(&b.narrow(ax, k, k)?)?;
    let im = a.narrow(ax, k, k)?.add(&b.narrow(ax, 0, k)?)?;
    Ok((re, im))
}

/// Truncated forward transform of channels-last `x [B, n₁, …, n_d, C]` keeping `modes[a]`
/// frequencies on axis a (both signs on the non-last axes): `(re, im)`, each
/// `[B, 2m₁, …, 2m_{d−1}, m_d, C]`.
///
/// # Errors
/// Shape errors when `x` does not have rank `modes.len() + 2`; tensor errors.
pub fn truncated_rfftn(x: &Var, modes: &[usize], mats: &DftMatrices) -> Result<(Var, Var)> {
    let d = modes.len();
    let dims = x.dims();
    let (dtype, device) = (x.dtype(), x.device());
    let (n, m) = (dims[d], modes[d - 1]);
    let r = mats.get(DftKind::RealForward, n, m, dtype, &device)?;
    let t = apply_along(x, d, &r)?;
    let ax = d as isize;
    let (mut re, mut im) = (t.narrow(ax, 0, m)?, t.narrow(ax, m, m)?);
    for a in (1..d).rev() {
        let f = mats.get(
            DftKind::ComplexForward,
            dims[a],
            modes[a - 1],
            dtype,
            &device,
        )?;
        (re, im) = apply_complex(&re, &im, a, &f)?;
    }
    Ok((re, im))
}

/// Inverse of [`truncated_rfftn`] with every absent frequency zero: `(re, im)`
/// `[B, 2m₁, …, 2m_{d−1}, m_d, C]` → real `[B, n₁, …, n_d, C]` with `sizes = [n₁, …, n_d]`.
///
/// # Errors
/// Shape errors for inconsistent inputs; tensor errors.
pub fn truncated_irfftn(
    re: &Var,
    im: &Var,
    sizes: &[usize],
    modes: &[usize],
    mats: &DftMatrices,
) -> Result<Var> {
    let d = modes.len();
    let (dtype, device) = (re.dtype(), re.device());
    let (mut re, mut im) = (re.clone(), im.clone());
    for a in 1..d {
        let g = mats.get(
            DftKind::ComplexInverse,
            sizes[a - 1],
            modes[a - 1],
            dtype,
            &device,
        )?;
        (re, im) = apply_complex(&re, &im, a, &g)?;
    }
    let c = mats.get(
        DftKind::RealInverse,
        sizes[d - 1],
        modes[d - 1],
        dtype,
        &device,
    )?;
    apply_along(&Var::concat(&[&re, &im], d as isize)?, d, &c)
}

/// Multiply–adds per (batch, channel) of the truncated forward plus inverse transforms of an
/// input with spatial `sizes` and `modes` (the cost model behind `SpectralMethod::Auto`).
pub fn dft_cost(sizes: &[usize], modes: &[usize]) -> f64 {
    let d = sizes.len();
    let total: f64 = sizes.iter().map(|&n| n as f64).product();
    // Real elements per (batch, channel) before each step, forward then inverse.
    let mut e = total;
    let mut cost = e * 2.0 * modes[d - 1] as f64;
    e = e / sizes[d - 1] as f64 * 2.0 * modes[d - 1] as f64;
    for a in (0..d - 1).rev() {
        let k = 2.0 * modes[a] as f64;
        cost += 2.0 * e * k;
        e = e / sizes[a] as f64 * k;
    }
    for a in 0..d - 1 {
        let n = sizes[a] as f64;
        cost += 2.0 * e * n;
        e = e / (2.0 * modes[a] as f64) * n;
    }
    cost + total * 2.0 * modes[d - 1] as f64
}
