//! Error metrics of PDEBench (Takamoto et al., NeurIPS 2022, `pdebench/models/metrics.py`,
//! `metric_func`) and FNO's relative L2 loss (Li et al., ICLR 2021, `LpLoss(p=2)`).
//!
//! Layout: `pred` and `target` are `[B, C, T, X]` (1-D) or `[B, C, T, X, Y]` (2-D) tensors of any
//! float dtype (computed in f64). PDEBench stores `[B, X(, Y), T, C]`; permute before calling.
//!
//! Every metric is first computed per sample `b`, channel `c` and time `t` over the spatial
//! cells (`n` of them), then reduced over the batch to a `[C, T]` table ([`PdeBenchMetrics`]),
//! then averaged over channels and times ([`PdeBenchMetrics::mean`]), as `metric_func` does with
//! `if_mean=True`. With `e = pred − target`:
//!
//! - RMSE: `mean_b √(Σ_x e² / n)`.
//! - nRMSE: `mean_b ‖e‖₂ / ‖target‖₂` (per time slice).
//! - cRMSE: `√(mean_b (Σ_x e)²) / n` — the error of the spatial sum (a conserved quantity) divided
//!   by the number of cells; note the root-mean-square over the batch.
//! - max error: `max_b max_x |e|`.
//! - bRMSE: `mean_b √(Σ_{∂} e² / m)` over the boundary cells: in 1-D the first and last cell
//!   (m = 2); in 2-D the rows `x = 0, X−1` and columns `y = 0, Y−1`, corners counted twice as in
//!   PDEBench (m = 2X + 2Y).
//! - fRMSE: with `ê` the unnormalised DFT of `e` over space, in 1-D (rfft, `k = 0..X/2`)
//!   `E_k = √(mean_b |ê_k|²) · L_x / X`; in 2-D `E_k = √(mean_b Σ_{⌊√(i²+j²)⌋ = k} |ê_ij|²) ·
//!   L_x L_y / (X Y)` over `0 ≤ i < X/2`, `0 ≤ j < Y/2` and `k < min(X/2, Y/2)` (PDEBench sums the
//!   non-negative quadrant only). The three bands are the means of `E_k` over `k < 4`,
//!   `4 ≤ k < 12` and `k ≥ 12`; an empty band (too few cells) is NaN, as `torch.mean` of nothing.

use fluxion_tensor::{DType, Tensor};
use rustfft::num_complex::Complex64;

use crate::error::{Error, Result};
use crate::generate::fft::{Fft2, RealFft1};

/// Options of [`pdebench_metrics`]: domain lengths and fRMSE band edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricOptions {
    /// Domain lengths `(L_x, L_y)` (PDEBench's `Lx`, `Ly`; 1 by default). `L_y` is unused in 1-D.
    pub lengths: (f64, f64),
    /// Band edges `(iLow, iHigh)` in wavenumber bins: low `k < iLow`, mid `iLow ≤ k < iHigh`,
    /// high `k ≥ iHigh` (PDEBench: 4 and 12).
    pub bands: (usize, usize),
}

impl Default for MetricOptions {
    fn default() -> Self {
        Self {
            lengths: (1.0, 1.0),
            bands: (4, 12),
        }
    }
}

/// PDEBench's metrics per channel and time step, each a row-major `[C, T]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PdeBenchMetrics {
    /// Number of channels `C`.
    pub channels: usize,
    /// Number of time steps `T`.
    pub times: usize,
    /// RMSE, `[C, T]`.
    pub rmse: Vec<f64>,
    /// nRMSE, `[C, T]`.
    pub nrmse: Vec<f64>,
    /// cRMSE, `[C, T]`.
    pub crmse: Vec<f64>,
    /// Maximum absolute error, `[C, T]`.
    pub max_error: Vec<f64>,
    /// bRMSE, `[C, T]`.
    pub brmse: Vec<f64>,
    /// fRMSE in the low, mid and high bands, each `[C, T]`.
    pub frmse: [Vec<f64>; 3],
}

/// [`PdeBenchMetrics`] averaged over channels and time steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSummary {
    /// RMSE.
    pub rmse: f64,
    /// nRMSE.
    pub nrmse: f64,
    /// cRMSE.
    pub crmse: f64,
    /// Maximum error (mean over channels and times of the per-`[c, t]` maxima, as PDEBench).
    pub max_error: f64,
    /// bRMSE.
    pub brmse: f64,
    /// fRMSE low / mid / high.
    pub frmse: [f64; 3],
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

impl PdeBenchMetrics {
    /// The mean of every table over channels and times (`metric_func(..., if_mean=True)`).
    pub fn mean(&self) -> MetricSummary {
        MetricSummary {
            rmse: mean(&self.rmse),
            nrmse: mean(&self.nrmse),
            crmse: mean(&self.crmse),
            max_error: mean(&self.max_error),
            brmse: mean(&self.brmse),
            frmse: [
                mean(&self.frmse[0]),
                mean(&self.frmse[1]),
                mean(&self.frmse[2]),
            ],
        }
    }
}

fn values(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.to_dtype(DType::F64)?.to_vec::<f64>()?)
}

fn same_shape(pred: &Tensor, target: &Tensor, what: &str) -> Result<()> {
    if pred.dims() != target.dims() {
        return Err(Error::invalid(format!(
            "{what}: pred shape {:?} differs from target shape {:?}",
            pred.dims(),
            target.dims()
        )));
    }
    Ok(())
}

/// PDEBench's metrics of `pred` against `target`, both `[B, C, T, X]` or `[B, C, T, X, Y]`.
///
/// See the [module docs](self) for the formulas.
///
/// ```
/// use fluxion_data::metrics::{pdebench_metrics, MetricOptions};
/// use fluxion_tensor::{Device, Tensor};
/// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], vec![1, 1, 1, 4], &Device::Cpu)?;
/// let p = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 6.0], vec![1, 1, 1, 4], &Device::Cpu)?;
/// let m = pdebench_metrics(&p, &t, &MetricOptions::default())?.mean();
/// assert!((m.rmse - 1.0).abs() < 1e-12); // √(4/4)
/// assert!((m.max_error - 2.0).abs() < 1e-12);
/// # Ok::<(), fluxion_data::Error>(())
/// ```
///
/// # Errors
/// Different shapes, a rank other than 4 or 5, an empty axis, or a non-float dtype.
pub fn pdebench_metrics(
    pred: &Tensor,
    target: &Tensor,
    opts: &MetricOptions,
) -> Result<PdeBenchMetrics> {
    same_shape(pred, target, "pdebench_metrics")?;
    let dims = target.dims().to_vec();
    if !(4..=5).contains(&dims.len()) || dims.contains(&0) {
        return Err(Error::invalid(format!(
            "pdebench_metrics: expected a non-empty [B, C, T, X] or [B, C, T, X, Y] tensor, got \
             shape {dims:?}"
        )));
    }
    let (nb, nc, nt) = (dims[0], dims[1], dims[2]);
    let (nx, ny) = (dims[3], dims.get(4).copied().unwrap_or(1));
    let two_d = dims.len() == 5;
    let n = nx * ny;
    let p = values(pred)?;
    let q = values(target)?;
    let (lo, hi) = opts.bands;
    let (lx, ly) = opts.lengths;

    let nbins = if two_d {
        (nx / 2).min(ny / 2)
    } else {
        nx / 2 + 1
    };
    let rfft = (!two_d).then(|| RealFft1::new(nx));
    let fft2 = two_d.then(|| Fft2::new(nx, ny));
    let mut spec = vec![Complex64::default(); if two_d { n } else { nx / 2 + 1 }];
    let mut scratch = vec![0.0; nx];

    let ct = nc * nt;
    let mut m = PdeBenchMetrics {
        channels: nc,
        times: nt,
        rmse: vec![0.0; ct],
        nrmse: vec![0.0; ct],
        crmse: vec![0.0; ct],
        max_error: vec![0.0; ct],
        brmse: vec![0.0; ct],
        frmse: [vec![0.0; ct], vec![0.0; ct], vec![0.0; ct]],
    };
    let mut e = vec![0.0; n];
    for c in 0..nc {
        for t in 0..nt {
            let k = c * nt + t;
            let (mut rmse, mut nrmse, mut csum2, mut maxe, mut brmse) =
                (0.0, 0.0, 0.0, 0.0f64, 0.0);
            let mut power = vec![0.0; nbins];
            for b in 0..nb {
                let off = ((b * nc + c) * nt + t) * n;
                let (ps, qs) = (&p[off..off + n], &q[off..off + n]);
                for ((ei, pi), qi) in e.iter_mut().zip(ps).zip(qs) {
                    *ei = pi - qi;
                }
                let se: f64 = e.iter().map(|v| v * v).sum();
                let st: f64 = qs.iter().map(|v| v * v).sum();
                rmse += (se / n as f64).sqrt();
                nrmse += (se / st).sqrt();
                let sum: f64 = e.iter().sum();
                csum2 += sum * sum;
                maxe = e.iter().fold(maxe, |a, v| a.max(v.abs()));
                let bd = if two_d {
                    let mut s = 0.0;
                    for j in 0..ny {
                        s += e[j].powi(2) + e[(nx - 1) * ny + j].powi(2);
                    }
                    for i in 0..nx {
                        s += e[i * ny].powi(2) + e[i * ny + ny - 1].powi(2);
                    }
                    s / (2 * nx + 2 * ny) as f64
                } else {
                    (e[0].powi(2) + e[nx - 1].powi(2)) / 2.0
                };
                brmse += bd.sqrt();
                if let Some(f) = &rfft {
                    scratch.copy_from_slice(&e);
                    f.forward(&mut scratch, &mut spec);
                    for (pw, s) in power.iter_mut().zip(&spec) {
                        *pw += s.norm_sqr();
                    }
                } else if let Some(f) = &fft2 {
                    for (s, v) in spec.iter_mut().zip(&e) {
                        *s = Complex64::new(*v, 0.0);
                    }
                    f.forward(&mut spec);
                    for i in 0..nx / 2 {
                        for j in 0..ny / 2 {
                            let bin = ((i * i + j * j) as f64).sqrt().floor() as usize;
                            if bin < nbins {
                                power[bin] += spec[i * ny + j].norm_sqr();
                            }
                        }
                    }
                }
            }
            let fb = nb as f64;
            m.rmse[k] = rmse / fb;
            m.nrmse[k] = nrmse / fb;
            m.crmse[k] = (csum2 / fb).sqrt() / n as f64;
            m.max_error[k] = maxe;
            m.brmse[k] = brmse / fb;
            let scale = if two_d {
                lx * ly / n as f64
            } else {
                lx / nx as f64
            };
            let ek: Vec<f64> = power.iter().map(|pw| (pw / fb).sqrt() * scale).collect();
            let band = |a: usize, z: usize| {
                let (a, z) = (a.min(nbins), z.min(nbins));
                if a >= z {
                    f64::NAN
                } else {
                    mean(&ek[a..z])
                }
            };
            m.frmse[0][k] = band(0, lo);
            m.frmse[1][k] = band(lo, hi);
            m.frmse[2][k] = band(hi, nbins);
        }
    }
    Ok(m)
}

/// FNO's relative L2 error: `mean_b ‖pred_b − target_b‖₂ / ‖target_b‖₂`, the norms taken over
/// all axes but the first (`LpLoss(d, p=2, size_average=True).rel`).
///
/// ```
/// use fluxion_data::metrics::relative_l2;
/// use fluxion_tensor::{Device, Tensor};
/// let t = Tensor::from_vec(vec![3.0f32, 4.0], vec![1, 2], &Device::Cpu)?;
/// let p = Tensor::from_vec(vec![3.0f32, 5.0], vec![1, 2], &Device::Cpu)?;
/// assert!((relative_l2(&p, &t)? - 0.2).abs() < 1e-7);
/// # Ok::<(), fluxion_data::Error>(())
/// ```
///
/// # Errors
/// Different shapes, rank 0, no samples, or a non-float dtype.
pub fn relative_l2(pred: &Tensor, target: &Tensor) -> Result<f64> {
    same_shape(pred, target, "relative_l2")?;
    let dims = target.dims();
    if dims.is_empty() || dims[0] == 0 {
        return Err(Error::invalid(format!(
            "relative_l2: expected a [B, ...] tensor with B > 0, got shape {dims:?}"
        )));
    }
    let nb = dims[0];
    let per = target.elem_count() / nb;
    let (p, q) = (values(pred)?, values(target)?);
    let mut total = 0.0;
    for b in 0..nb {
        let r = b * per..(b + 1) * per;
        let diff: f64 = p[r.clone()]
            .iter()
            .zip(&q[r.clone()])
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        let norm: f64 = q[r].iter().map(|v| v * v).sum();
        total += (diff / norm).sqrt();
    }
    Ok(total / nb as f64)
}
