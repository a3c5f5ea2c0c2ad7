//! A minimal in-place radix-2 complex FFT for the spectral references (power-of-two sizes).
//!
//! Iterative Cooley–Tukey with bit-reversal permutation; twiddles are computed directly as
//! e^{∓2πi k/n} per stage (no recurrence, so no accumulated rounding).

use std::f64::consts::PI;

/// A complex number (re, im).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct C64 {
    pub re: f64,
    pub im: f64,
}

impl C64 {
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }
    pub fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
    pub fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
    pub fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    pub fn div(self, o: Self) -> Self {
        let d = o.re * o.re + o.im * o.im;
        Self::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
    pub fn scale(self, s: f64) -> Self {
        Self::new(self.re * s, self.im * s)
    }
    pub fn exp(self) -> Self {
        let m = self.re.exp();
        let (s, c) = self.im.sin_cos();
        Self::new(m * c, m * s)
    }
}

/// In-place FFT of a power-of-two-length buffer: X_k = Σ_j x_j e^{∓2πi jk/n} (− forward,
/// + inverse); the inverse also divides by n.
pub(crate) fn fft_in_place(data: &mut [C64], inverse: bool) {
    let n = data.len();
    debug_assert!(n.is_power_of_two());
    if n <= 1 {
        return;
    }
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            data.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let twiddles: Vec<C64> = (0..half)
            .map(|k| C64::new(0.0, sign * 2.0 * PI * k as f64 / len as f64).exp())
            .collect();
        for start in (0..n).step_by(len) {
            for k in 0..half {
                let a = data[start + k];
                let b = data[start + k + half].mul(twiddles[k]);
                data[start + k] = a.add(b);
                data[start + k + half] = a.sub(b);
            }
        }
        len *= 2;
    }
    if inverse {
        let s = 1.0 / n as f64;
        for v in data.iter_mut() {
            *v = v.scale(s);
        }
    }
}
