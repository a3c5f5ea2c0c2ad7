//! `SpectralConv`: FNO's Fourier layer over 1, 2 or 3 trailing spatial axes.
//!
//! For input `x [B, n₁, …, n_d, C_in]` and every kept mode k (frequencies `0..m` and `−m..−1`
//! on each non-last axis, bins `0..m_d` on the last):
//! `ŷ[b, k, o] = Σ_i x̂[b, k, i] W[i, o, k]` (complex), all other modes zero, then
//! `y = irfftn(ŷ)` at the input's resolution — `SpectralConv{1,2,3}d.forward` of the
//! reference code (Li et al. 2021, `fourier_{1,2,3}d.py`), channels-last.
//!
//! Two methods compute the same map (to rounding):
//!
//! - [`SpectralMethod::Dft`]: truncated DFTs as small constant matrix products along each
//!   axis ([`crate::dft`]), cost ≈ [`dft::dft_cost`] multiply–adds per (batch, channel);
//! - [`SpectralMethod::Fft`]: channels-first permute, full `rfftn`, keep, mix, zero-fill,
//!   `irfftn`, permute back.
//!
//! Both mix the modes with one batched complex product over the M kept modes,
//! `[M, B, C_in] · [M, C_in, C_out]` ([`fluxion_autodiff::Var::complex_matmul`]: gemm's complex
//! kernels on the CPU, the hand-written `kernels/cmatmul.cu` on CUDA), reading the weight in
//! place.
//!
//! # The `Auto` rule
//!
//! [`SpectralMethod::Auto`] takes the DFT path when
//! `dft_cost(sizes, modes) < 8 · N · log₂ N` ([`AUTO_FFT_FACTOR`], N = Π n_a), the FFT path
//! otherwise. Calibration (`cargo bench --bench cpu_spectral`, forward + backward, f32, CPU
//! with 2 shared cores, medians; ratio = dft_cost / (N log₂ N)):
//!
//! | case | ratio | DFT | FFT |
//! |---|---|---|---|
//! | 1-d B=20 n=1024 C=64 m=16 | 6.4 | 4.2 ms | 14.0 ms |
//! | 2-d B=20 94² C=32 m=12 | 5.5 | 35 ms | 160 ms |
//! | 2-d B=20 64² C=20 m=12 | 7.0 | 15 ms | 24 ms |
//! | 2-d B=20 64² C=20 m=32 | 32 | 78 ms | 52 ms |
//! | 1-d B=20 n=1024 C=64 m=128 | 51 | 25 ms | 23 ms |
//!
//! (2026-12-06, 2-core Xeon, after the mixing became one complex product; the earlier real
//! block-matrix mixing was 5–40 % slower in every row, the FFT rows gaining most.)
//!
//! The crossover lies between ratios 7 and 32 (8 is kept), so every FNO configuration of the
//! paper (m = 12 or 16 at n ≥ 64) runs the DFT path, and layers keeping a large fraction of the
//! spectrum run the FFT path.

use fluxion_autodiff::Var;
use fluxion_nn::Module;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

use crate::dft::{self, DftMatrices};
use crate::{spectral_fft, Error, Result};

/// How [`SpectralConv`] computes the truncated forward and inverse transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpectralMethod {
    /// Pick per input shape whichever is faster (see the module docs for the rule).
    #[default]
    Auto,
    /// Truncated DFT as matrix products: only the kept modes are computed.
    Dft,
    /// Full rfftn / irfftn, then keep the modes.
    Fft,
}

/// FNO's spectral convolution on channels-last input `[B, n₁, …, n_d, C_in] → [B, n₁, …, n_d,
/// C_out]`, d = `modes.len()` ∈ {1, 2, 3}.
///
/// Weights: one complex tensor stored as real `weight` `[C_in, C_out, 2m₁, …, 2m_{d−1}, m_d, 2]`
/// (last axis re, im); along each non-last spatial axis the kept frequencies are
/// `0, …, m−1` followed by `−m, …, −1`, so the reference code's `weights1`, `weights2`, … are
/// this tensor's blocks. Initialised as the reference: `scale · U[0, 1)` for both parts with
/// `scale = 1 / (C_in · C_out)`.
#[derive(Debug)]
pub struct SpectralConv {
    in_channels: usize,
    out_channels: usize,
    modes: Vec<usize>,
    method: SpectralMethod,
    weight: Var,
    mats: DftMatrices,
}

impl SpectralConv {
    /// A layer with `modes[i]` retained frequencies on spatial axis i, weights drawn from
    /// `seed`.
    ///
    /// # Errors
    /// `modes` empty or longer than 3, a zero mode count or channel count, an integer dtype.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        modes: &[usize],
        dtype: DType,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        const WHAT: &str = "SpectralConv::new";
        if modes.is_empty() || modes.len() > 3 {
            return Err(Error::invalid(
                WHAT,
                format!("needs 1, 2 or 3 spatial axes of modes, got modes {modes:?}"),
            ));
        }
        if let Some(a) = modes.iter().position(|&m| m == 0) {
            return Err(Error::invalid(
                WHAT,
                format!(
                    "spatial axis {a} keeps 0 modes (modes {modes:?}); every axis needs at least 1"
                ),
            ));
        }
        if in_channels == 0 || out_channels == 0 {
            return Err(Error::invalid(
                WHAT,
                format!(
                    "channel counts must be positive, got in {in_channels}, out {out_channels}"
                ),
            ));
        }
        if !matches!(dtype, DType::F32 | DType::F64) {
            return Err(Error::invalid(
                WHAT,
                format!("weights must be f32 or f64, got {dtype}"),
            ));
        }
        let scale = 1.0 / (in_channels as f64 * out_channels as f64);
        let dims = weight_dims(in_channels, out_channels, modes);
        let mut gen = Generator::new(seed);
        let w = Tensor::rand(0.0, scale, dims, dtype, device, &mut gen)?;
        Ok(SpectralConv {
            in_channels,
            out_channels,
            modes: modes.to_vec(),
            method: SpectralMethod::Auto,
            weight: Var::leaf(w),
            mats: DftMatrices::new(),
        })
    }

    /// The method [`Module::forward`] uses for an input with spatial `sizes`: the configured
    /// one, or for [`SpectralMethod::Auto`] the cheaper one by the rule in the module docs.
    pub fn method_for(&self, sizes: &[usize]) -> SpectralMethod {
        match self.method {
            SpectralMethod::Auto => auto_method(sizes, &self.modes),
            m => m,
        }
    }

    /// Chooses the transform method.
    pub fn with_method(mut self, method: SpectralMethod) -> Self {
        self.method = method;
        self
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// Retained modes per spatial axis.
    pub fn modes(&self) -> &[usize] {
        &self.modes
    }

    /// The complex weight as a real tensor (see the type docs for its layout).
    pub fn weight(&self) -> &Var {
        &self.weight
    }
}

impl Module for SpectralConv {
    fn forward(&self, x: &Var) -> fluxion_nn::Result<Var> {
        self.forward_with_weight(x, &self.weight)
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        visitor("weight", &self.weight);
    }
}

impl SpectralConv {
    /// The layer applied with another `weight` of the same layout (a functional form: the
    /// gradient flows into `weight`, e.g. for gradient checks or hypernetworks).
    ///
    /// # Errors
    /// As [`Module::forward`], and when `weight` does not have the layer's weight shape.
    pub fn forward_with_weight(&self, x: &Var, weight: &Var) -> fluxion_nn::Result<Var> {
        let expected = weight_dims(self.in_channels, self.out_channels, &self.modes);
        if weight.dims() != expected {
            return Err(fluxion_nn::Error::InvalidArgument {
                what: self.name(),
                reason: format!(
                    "weight must have shape {:?} ([C_in, C_out, kept modes…, 2]), got {}",
                    expected,
                    weight.shape()
                ),
            });
        }
        let sizes = self.check_input(x, weight.dtype())?;
        let b = x.dims()[0];
        let (cin, cout) = (self.in_channels, self.out_channels);
        let kept: Vec<usize> = kept_modes(&self.modes);
        let total: usize = kept.iter().product();
        if self.method_for(&sizes) == SpectralMethod::Fft {
            return Ok(spectral_fft::forward(x, weight, &sizes, &self.modes, cout)?);
        }
        let (re, im) = dft::truncated_rfftn(x, &self.modes, &self.mats)?;
        // [B, kept…, C_in] twice → pairs [B, M, C_in, 2] → [M, B, C_in, 2] (a view): one
        // batched complex product over the M kept modes.
        let xs = Var::stack(&[&re, &im], -1)?
            .reshape([b, total, cin, 2])?
            .permute(&[1, 0, 2, 3])?;
        let ys = mix_modes(&xs, weight, cin, cout, total)?;
        // [M, B, C_out, 2] → planes [B, 2, M, C_out], contiguous, so re and im are free views.
        let mut plane_dims = vec![b, 2];
        plane_dims.extend_from_slice(&kept);
        plane_dims.push(cout);
        let planes = ys
            .permute(&[1, 3, 0, 2])?
            .contiguous()?
            .reshape(plane_dims)?;
        let yr = planes.narrow(1, 0, 1)?.squeeze(1)?;
        let yi = planes.narrow(1, 1, 1)?.squeeze(1)?;
        Ok(dft::truncated_irfftn(
            &yr,
            &yi,
            &sizes,
            &self.modes,
            &self.mats,
        )?)
    }

    /// The layer's name in messages: `SpectralConv1d`, `SpectralConv2d` or `SpectralConv3d`.
    fn name(&self) -> &'static str {
        match self.modes.len() {
            1 => "SpectralConv1d",
            2 => "SpectralConv2d",
            _ => "SpectralConv3d",
        }
    }

    /// The spatial sizes of a valid input, or an error naming what does not fit.
    fn check_input(&self, x: &Var, dtype: DType) -> fluxion_nn::Result<Vec<usize>> {
        let what = self.name();
        let invalid = |reason: String| fluxion_nn::Error::InvalidArgument { what, reason };
        let (dims, d) = (x.dims(), self.modes.len());
        let shape = x.shape();
        if dims.len() != d + 2 {
            return Err(invalid(format!(
                "expects channels-last input [batch, {d} spatial axes, channels] of rank {}, got shape {shape}",
                d + 2
            )));
        }
        if dims[d + 1] != self.in_channels {
            return Err(invalid(format!(
                "expects {} input channels (last axis), got {} in shape {shape}",
                self.in_channels,
                dims[d + 1]
            )));
        }
        if x.dtype() != dtype {
            return Err(invalid(format!(
                "input dtype {} differs from the weight dtype {} (shape {shape})",
                x.dtype(),
                dtype
            )));
        }
        let sizes = dims[1..=d].to_vec();
        for (a, (&n, &m)) in sizes.iter().zip(&self.modes).enumerate() {
            if n == 0 {
                return Err(invalid(format!(
                    "spatial axis {a} is empty in shape {shape}"
                )));
            }
            if a + 1 < d && 2 * m > n {
                return Err(invalid(format!(
                    "spatial axis {a} has n = {n} points but keeps m = {m} frequencies of each sign, which needs n >= 2m = {} (input shape {shape})",
                    2 * m
                )));
            }
            if a + 1 == d && m > n / 2 + 1 {
                return Err(invalid(format!(
                    "last spatial axis {a} has n = {n} points, so at most n/2 + 1 = {} real-FFT bins, but keeps m = {m} modes (input shape {shape})",
                    n / 2 + 1
                )));
            }
        }
        Ok(sizes)
    }
}

/// `[C_in, C_out, 2m₁, …, 2m_{d−1}, m_d, 2]`.
fn weight_dims(cin: usize, cout: usize, modes: &[usize]) -> Vec<usize> {
    let mut dims = vec![cin, cout];
    dims.extend(kept_modes(modes));
    dims.push(2);
    dims
}

/// Kept coefficients per spatial axis: `2m` on the non-last axes, `m` on the last.
pub(crate) fn kept_modes(modes: &[usize]) -> Vec<usize> {
    let d = modes.len();
    modes
        .iter()
        .enumerate()
        .map(|(a, &m)| if a + 1 < d { 2 * m } else { m })
        .collect()
}

/// The complex product per kept mode, `ŷ[k] = x̂[k] · W[k]`, as one batched
/// [`Var::complex_matmul`]: `xs [M, B, C_in, 2] → [M, B, C_out, 2]` with
/// `weight [C_in, C_out, …modes…, 2]` read as the view `[M, C_in, C_out, 2]` (no copy; the CUDA
/// kernel reads it through its strides, the CPU's gemm likewise).
pub(crate) fn mix_modes(
    xs: &Var,
    weight: &Var,
    cin: usize,
    cout: usize,
    total: usize,
) -> fluxion_autodiff::Result<Var> {
    let w = weight
        .reshape([cin, cout, total, 2])?
        .permute(&[2, 0, 1, 3])?;
    xs.complex_matmul(&w, false, false)
}

/// Flop-model constant of [`SpectralMethod::Auto`]: the DFT path is chosen when
/// [`dft::dft_cost`] `< AUTO_FFT_FACTOR · N · log₂ N` (N points per channel).
pub const AUTO_FFT_FACTOR: f64 = 8.0;

/// [`SpectralMethod::Auto`]'s choice for spatial `sizes` and `modes` (see the module docs).
pub fn auto_method(sizes: &[usize], modes: &[usize]) -> SpectralMethod {
    let n: f64 = sizes.iter().map(|&n| n as f64).product();
    let fft = AUTO_FFT_FACTOR * n * n.log2().max(1.0);
    if dft::dft_cost(sizes, modes) < fft {
        SpectralMethod::Dft
    } else {
        SpectralMethod::Fft
    }
}
