//! `SpectralConv`: FNO's Fourier layer over 1, 2 or 3 trailing spatial axes.

use fluxion_autodiff::Var;
use fluxion_nn::Module;
use fluxion_tensor::{DType, Device};

use crate::Result;

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
        let _ = (in_channels, out_channels, modes, dtype, device, seed);
        todo!("SpectralConv::new")
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
        let _ = x;
        todo!("SpectralConv::forward")
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        visitor("weight", &self.weight);
    }
}
