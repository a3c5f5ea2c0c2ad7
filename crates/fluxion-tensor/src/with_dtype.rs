//! Rust element types and their [`DType`]s.

use fluxion_device::DType;
use half::{bf16, f16};

use crate::CpuStorage;

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that can be a tensor element: f16, bf16, f32, f64, u8, i64.
pub trait WithDType:
    Copy + Send + Sync + PartialOrd + PartialEq + std::fmt::Debug + 'static + sealed::Sealed
{
    /// The matching dtype.
    const DTYPE: DType;
    /// Zero.
    const ZERO: Self;
    /// Conversion from f64 (rounding to nearest; saturating for integers, NaN → 0).
    fn from_f64(v: f64) -> Self;
    /// Conversion to f64 (exact for every type but i64 beyond 2⁵³).
    fn to_f64(self) -> f64;
    /// Conversion from f32.
    fn from_f32(v: f32) -> Self;
    /// Conversion to f32.
    fn to_f32(self) -> f32;
    /// Wraps a vector as CPU storage.
    fn into_storage(v: Vec<Self>) -> CpuStorage;
    /// The storage's elements if it holds this type.
    fn slice(s: &CpuStorage) -> Option<&[Self]>;
    /// The storage's elements if it holds this type, mutably.
    fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]>;
}

macro_rules! with_dtype {
    ($ty:ty, $variant:ident, $zero:expr, $from_f64:expr, $to_f64:expr, $from_f32:expr, $to_f32:expr) => {
        impl sealed::Sealed for $ty {}
        impl WithDType for $ty {
            const DTYPE: DType = DType::$variant;
            const ZERO: Self = $zero;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                $from_f64(v)
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                $to_f64(self)
            }
            #[inline(always)]
            fn from_f32(v: f32) -> Self {
                $from_f32(v)
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                $to_f32(self)
            }
            fn into_storage(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$variant(v)
            }
            fn slice(s: &CpuStorage) -> Option<&[Self]> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}

/// `v` rounded to f32 with round-to-odd: exact values stay, inexact ones become the neighbour
/// (toward or away from zero) whose last significand bit is 1. Rounding that result to nearest
/// in any format at least two bits narrower gives the correctly rounded value of `v` (Boldo &
/// Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to
/// odd", IEEE Trans. Computers 57(4), 2008). f16 has 11 and bf16 8 significand bits against
/// f32's 24.
fn f64_to_f32_round_odd(v: f64) -> f32 {
    let f = v as f32;
    if v.is_nan() || f64::from(f) == v {
        return f;
    }
    to_odd(f, f64::from(f).abs() > v.abs())
}

/// `x` rounded to f32 with round-to-odd, as [`f64_to_f32_round_odd`] (an i64 beyond 2²⁴ is not
/// exact in f32, and going through f64 would round twice beyond 2⁵³).
pub(crate) fn i64_to_f32_round_odd(x: i64) -> f32 {
    let f = x as f32;
    let back = f as i128; // exact: |f| ≤ 2⁶³
    if back == i128::from(x) {
        return f;
    }
    to_odd(f, back.abs() > i128::from(x).abs())
}

/// The round-to-odd result from `f`, the value rounded to nearest, when it was inexact: the
/// neighbour toward zero (stepping back when `f` overshot in magnitude; an overflow to ±∞ steps
/// back to ±f32::MAX) with its last significand bit set. Magnitudes order like bit patterns.
fn to_odd(f: f32, overshot: bool) -> f32 {
    let bits = f.to_bits();
    f32::from_bits(if overshot { bits - 1 } else { bits } | 1)
}

/// `v` correctly rounded to f16. `half`'s `f16::from_f64` is not: it rounds through f32 on
/// F16C hardware (double rounding) and otherwise ignores the low 32 significand bits.
fn f16_from_f64(v: f64) -> f16 {
    f16::from_f32(f64_to_f32_round_odd(v))
}

/// `v` correctly rounded to bf16 (`half`'s `bf16::from_f64` ignores the low 32 significand bits,
/// so values just above a tie round down).
fn bf16_from_f64(v: f64) -> bf16 {
    bf16::from_f32(f64_to_f32_round_odd(v))
}

with_dtype!(
    f16,
    F16,
    f16::ZERO,
    f16_from_f64,
    f64::from,
    f16::from_f32,
    f32::from
);
with_dtype!(
    bf16,
    BF16,
    bf16::ZERO,
    bf16_from_f64,
    f64::from,
    bf16::from_f32,
    f32::from
);
with_dtype!(f32, F32, 0.0, |v| v as f32, f64::from, |v| v, |v| v);
with_dtype!(f64, F64, 0.0, |v| v, |v| v, f64::from, |v| v as f32);
with_dtype!(
    u8,
    U8,
    0,
    |v: f64| v as u8,
    f64::from,
    |v: f32| v as u8,
    f32::from
);
with_dtype!(
    i64,
    I64,
    0,
    |v: f64| v as i64,
    |v| v as f64,
    |v: f32| v as i64,
    |v| v as f32
);
