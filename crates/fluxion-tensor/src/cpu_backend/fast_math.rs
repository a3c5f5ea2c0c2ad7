//! Branch-free f32 `exp` and `erf` that the compiler vectorises inside elementwise loops.
//!
//! libm's `expf`/`erff` are scalar calls: a loop over them runs one element at a time, which made
//! the exact GELU and its derivative a tenth of an FNO training step. These versions use only
//! multiply-adds, compares-as-selects and integer bit tricks, so `map1` loops over them vectorise.
//! Accuracy (checked against f64 libm in this module's tests over dense grids): `exp` within
//! 2 ulp on [−87, 88] and right through the subnormal range, `erf` within 1e-7 absolute everywhere (about 1.5 ulp of 1). NaN propagates; ±∞ give the limits.

// The constants are written with the digits of their sources (Cephes, Eigen); f32 rounds them.
#![allow(clippy::excessive_precision)]

/// eˣ for f32. Cephes' `expf` reduction: x = n·ln 2 + r with |r| ≤ ½ ln 2 (ln 2 split in two
/// parts so that n·ln 2 is exact), a degree-7 polynomial for eʳ, then 2ⁿ applied as two normal
/// powers of two so that the result is right through the subnormal range and overflows to +∞.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_375;
    const LN2_LO: f32 = -2.121_944_400_546_905_827_679e-4;
    // 1.5·2²³: adding and subtracting it rounds |t| < 2²² to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    // `clamp` keeps NaN, which then passes through the polynomial.
    // Beyond the clamp eˣ is 0 or +∞ in f32, which the scaling below produces by itself.
    let xc = x.clamp(-104.0, 89.0);
    let n = (xc * LOG2E + ROUND) - ROUND;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_150_0e-4_f32;
    let p = p * r + 1.398_199_950_7e-3;
    let p = p * r + 8.333_451_907_3e-3;
    let p = p * r + 4.166_579_589_4e-2;
    let p = p * r + 1.666_666_545_9e-1;
    let p = p * r + 5.000_000_120_1e-1;
    let y = p * r * r + r + 1.0;
    // n ∈ [−150, 128] splits into n₁ + n₂ with both in [−75, 64]: normal exponents.
    let ni = n as i32;
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    y * s1 * s2
}

/// erf x for f32: Eigen's rational approximation x·P(x²)/Q(x²) on [−4, 4] (|erf| rounds to 1
/// in f32 beyond it), evaluated in f64. The approximation itself is within 6.5e-8 of erf; in
/// f32 arithmetic its rounding errors reached 4.4e-7, in f64 they vanish and the loop still
/// vectorises (two lanes instead of four).
#[inline(always)]
pub(crate) fn erf_f32(x: f32) -> f32 {
    let x = x as f64;
    let xc = x.clamp(-4.0, 4.0);
    let x2 = xc * xc;
    let p = -2.726_142_258_013_06e-10;
    let p = p * x2 + 2.770_681_424_959_02e-8;
    let p = p * x2 + -2.101_024_020_825_08e-6;
    let p = p * x2 + -5.692_506_394_623_46e-5;
    let p = p * x2 + -7.349_906_303_268_55e-4;
    let p = p * x2 + -2.954_599_808_540_25e-3;
    let p = p * x2 + -1.609_603_332_624_15e-2;
    let q = -1.456_607_184_649_96e-5;
    let q = q * x2 + -2.133_740_552_789_05e-4;
    let q = q * x2 + -1.682_826_974_382_03e-3;
    let q = q * x2 + -7.373_329_167_204_68e-3;
    let q = q * x2 + -1.426_473_905_141_89e-2;
    (xc * p / q) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units of the last place of the f32 nearest to `exact`.
    fn ulps(got: f32, exact: f64) -> f64 {
        let e = exact as f32;
        let ulp = (f32::from_bits(e.abs().to_bits() + 1) - e.abs()) as f64;
        (got as f64 - exact).abs() / ulp
    }

    #[test]
    fn exp_within_two_ulp() {
        let mut worst = 0.0f64;
        let n = 2_000_000;
        for i in 0..=n {
            let x = -87.0 + 175.0 * i as f32 / n as f32;
            worst = worst.max(ulps(exp_f32(x), (x as f64).exp()));
        }
        assert!(worst <= 2.0, "exp_f32 worst error {worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(1.0), std::f32::consts::E);
    }

    #[test]
    fn exp_limits_and_nan() {
        assert_eq!(exp_f32(100.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(-110.0), 0.0);
        // Subnormal results, to within rounding of the last subnormal step.
        for &x in &[-88.0f32, -95.0, -100.0, -103.0] {
            let d = (exp_f32(x) as f64 - (x as f64).exp()).abs();
            assert!(d <= 1.5e-45, "exp_f32({x}) off by {d}");
        }
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(88.7).is_finite());
    }

    #[test]
    fn erf_within_1e7_absolute() {
        let mut worst = 0.0f64;
        let n = 2_000_000;
        for i in 0..=n {
            let x = -6.0 + 12.0 * i as f32 / n as f32;
            worst = worst.max((erf_f32(x) as f64 - libm::erf(x as f64)).abs());
        }
        assert!(worst <= 1e-7, "erf_f32 worst absolute error {worst}");
        // Relative accuracy near 0, where erf x ≈ 2x/√π.
        for &x in &[1e-30f32, 1e-10, 1e-5, 1e-3, 0.1] {
            let rel = (erf_f32(x) as f64 / libm::erf(x as f64) - 1.0).abs();
            assert!(rel < 4e-7, "erf_f32({x}) relative error {rel}");
        }
        assert_eq!(erf_f32(0.0), 0.0);
        assert_eq!(erf_f32(f32::INFINITY), 1.0);
        assert_eq!(erf_f32(f32::NEG_INFINITY), -1.0);
        assert!(erf_f32(f32::NAN).is_nan());
        assert_eq!(erf_f32(-2.5), -erf_f32(2.5));
    }
}
