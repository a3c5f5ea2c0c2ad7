//! Element types.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The element type of a tensor.
///
/// Floating types compute natively in f32/f64; f16 and bf16 are stored as such and computed
/// through f32 on the CPU. `U8` holds booleans (comparison results, masks) and `I64` holds
/// indices (argmax results, index_select/gather/scatter indices), as in PyTorch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// IEEE 754 binary16.
    F16,
    /// bfloat16 (8-bit exponent, 7-bit mantissa).
    BF16,
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary64.
    F64,
    /// Unsigned byte; booleans are 0 and 1.
    U8,
    /// Signed 64-bit integer, used for indices.
    I64,
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 6] = [
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::U8,
        DType::I64,
    ];

    /// Bytes per element.
    pub const fn size_in_bytes(self) -> usize {
        match self {
            DType::F16 | DType::BF16 => 2,
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::U8 => 1,
        }
    }

    /// Whether this is a floating-point type.
    pub const fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// The short name used in kernel symbols and on the command line (`f32`, `bf16`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::U8 => "u8",
            DType::I64 => "i64",
        }
    }

    /// Machine epsilon of the type (1 for integer types).
    pub fn epsilon(self) -> f64 {
        match self {
            DType::F16 => f64::from(half::f16::EPSILON),
            DType::BF16 => f64::from(half::bf16::EPSILON),
            DType::F32 => f64::from(f32::EPSILON),
            DType::F64 => f64::EPSILON,
            DType::U8 | DType::I64 => 1.0,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DType::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::ParseDType {
                input: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_dtype() {
        for d in DType::ALL {
            assert_eq!(d.as_str().parse::<DType>().unwrap(), d);
        }
        assert!("float".parse::<DType>().is_err());
    }

    #[test]
    fn sizes_and_float_subset() {
        assert_eq!(DType::BF16.size_in_bytes(), 2);
        assert_eq!(DType::I64.size_in_bytes(), 8);
        assert!(DType::F16.is_float() && !DType::U8.is_float());
    }
}
