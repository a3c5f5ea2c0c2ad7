//! Plain FFT helpers on `Vec<Complex64>` / `Vec<f64>` (RustFFT, RealFFT), shared by the
//! generators and the metrics. Forward transforms are unnormalised (NumPy's `norm="backward"`);
//! the inverse helpers divide by the number of points, so `ifft(fft(x)) == x`.

use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

/// A forward complex FFT of one length.
pub(crate) struct Fft1 {
    fwd: Arc<dyn Fft<f64>>,
}

impl Fft1 {
    pub(crate) fn new(n: usize) -> Self {
        let mut p = FftPlanner::<f64>::new();
        Self {
            fwd: p.plan_fft_forward(n),
        }
    }

    /// In place, unnormalised: `X_k = Σ_j x_j e^{−2πijk/n}` for each length-`n` run of `x`.
    pub(crate) fn forward(&self, x: &mut [Complex64]) {
        self.fwd.process(x);
    }
}

/// 2-D FFT of a row-major `[nx, ny]` array, in place: rows, then columns.
pub(crate) struct Fft2 {
    rows: Fft1,
    cols: Fft1,
    nx: usize,
    ny: usize,
}

impl Fft2 {
    pub(crate) fn new(nx: usize, ny: usize) -> Self {
        Self {
            rows: Fft1::new(ny),
            cols: Fft1::new(nx),
            nx,
            ny,
        }
    }

    fn columns(&self, x: &mut [Complex64]) {
        let mut col = vec![Complex64::default(); self.nx];
        for j in 0..self.ny {
            for (i, c) in col.iter_mut().enumerate() {
                *c = x[i * self.ny + j];
            }
            self.cols.forward(&mut col);
            for (i, c) in col.iter().enumerate() {
                x[i * self.ny + j] = *c;
            }
        }
    }

    /// Unnormalised forward transform.
    pub(crate) fn forward(&self, x: &mut [Complex64]) {
        self.rows.forward(x);
        self.columns(x);
    }
}

/// Real-to-complex and complex-to-real transforms of one length `n` (`n/2 + 1` coefficients).
pub(crate) struct RealFft1 {
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    n: usize,
}

impl RealFft1 {
    pub(crate) fn new(n: usize) -> Self {
        let mut p = RealFftPlanner::<f64>::new();
        Self {
            r2c: p.plan_fft_forward(n),
            c2r: p.plan_fft_inverse(n),
            n,
        }
    }

    /// Unnormalised `rfft`; `x` is used as scratch.
    pub(crate) fn forward(&self, x: &mut [f64], out: &mut [Complex64]) {
        self.forward_with(x, out, &mut Vec::new());
    }

    /// [`RealFft1::forward`] with the transform's work space in `scratch` (grown once, then
    /// reused: time steppers call this thousands of times per sample).
    pub(crate) fn forward_with(
        &self,
        x: &mut [f64],
        out: &mut [Complex64],
        scratch: &mut Vec<Complex64>,
    ) {
        scratch.resize(self.r2c.get_scratch_len(), Complex64::default());
        self.r2c
            .process_with_scratch(x, out, scratch)
            .expect("lengths fixed by construction");
    }

    /// `irfft` with the `1/n` factor; `spec` is used as scratch (its imaginary parts at 0 and
    /// the Nyquist index are ignored).
    pub(crate) fn inverse(&self, spec: &mut [Complex64], out: &mut [f64]) {
        self.inverse_with(spec, out, &mut Vec::new());
    }

    /// [`RealFft1::inverse`] with the transform's work space in `scratch`.
    pub(crate) fn inverse_with(
        &self,
        spec: &mut [Complex64],
        out: &mut [f64],
        scratch: &mut Vec<Complex64>,
    ) {
        spec[0].im = 0.0;
        if self.n.is_multiple_of(2) {
            spec[self.n / 2].im = 0.0;
        }
        scratch.resize(self.c2r.get_scratch_len(), Complex64::default());
        self.c2r
            .process_with_scratch(spec, out, scratch)
            .expect("lengths fixed by construction");
        let s = 1.0 / self.n as f64;
        out.iter_mut().for_each(|v| *v *= s);
    }
}

/// The signed integer frequency of FFT index `i` of `n` (NumPy's `fftfreq(n) * n`).
pub(crate) fn freq(i: usize, n: usize) -> f64 {
    if i < n.div_ceil(2) {
        i as f64
    } else {
        i as f64 - n as f64
    }
}
