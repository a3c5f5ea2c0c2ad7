//! The CPU backend: contiguous `Vec`s of each element type, rayon for large work,
//! gemm for products and rustfft/realfft for transforms.

mod cmatmul;
mod elementwise;
mod fast_math;
pub(crate) mod fft;
mod fft_nd;
mod index;
mod matmul;
mod reduce;
pub(crate) mod strided;

use fluxion_device::{DType, Device};
use half::{bf16, f16};

use crate::backend::BackendStorage;
use crate::{BinaryOp, CmpOp, Error, FftNorm, Layout, ReduceOp, Result, UnaryOp, WithDType};

/// Host memory holding one contiguous vector of elements.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuStorage {
    /// f16 elements.
    F16(Vec<f16>),
    /// bf16 elements.
    BF16(Vec<bf16>),
    /// f32 elements.
    F32(Vec<f32>),
    /// f64 elements.
    F64(Vec<f64>),
    /// u8 elements (booleans are 0/1).
    U8(Vec<u8>),
    /// i64 elements (indices).
    I64(Vec<i64>),
}

/// Runs `$body` with `$v` bound to the storage's vector, whatever its type.
macro_rules! map_storage {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F16($v) => $body,
            CpuStorage::BF16($v) => $body,
            CpuStorage::F32($v) => $body,
            CpuStorage::F64($v) => $body,
            CpuStorage::U8($v) => $body,
            CpuStorage::I64($v) => $body,
        }
    };
}
pub(crate) use map_storage;

impl CpuStorage {
    /// Number of stored elements.
    pub fn len(&self) -> usize {
        map_storage!(self, v => v.len())
    }

    /// Whether no elements are stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` copies of `value` converted to `dtype`.
    pub fn full(value: f64, n: usize, dtype: DType) -> Self {
        fn fill<T: WithDType>(value: f64, n: usize) -> CpuStorage {
            T::into_storage(vec![T::from_f64(value); n])
        }
        match dtype {
            DType::F16 => fill::<f16>(value, n),
            DType::BF16 => fill::<bf16>(value, n),
            DType::F32 => fill::<f32>(value, n),
            DType::F64 => fill::<f64>(value, n),
            DType::U8 => fill::<u8>(value, n),
            DType::I64 => fill::<i64>(value, n),
        }
    }

    /// Values given as f64, converted to `dtype`.
    pub fn from_f64s(values: &[f64], dtype: DType) -> Self {
        fn conv<T: WithDType>(values: &[f64]) -> CpuStorage {
            T::into_storage(values.iter().map(|&v| T::from_f64(v)).collect())
        }
        match dtype {
            DType::F16 => conv::<f16>(values),
            DType::BF16 => conv::<bf16>(values),
            DType::F32 => conv::<f32>(values),
            DType::F64 => conv::<f64>(values),
            DType::U8 => conv::<u8>(values),
            DType::I64 => conv::<i64>(values),
        }
    }

    /// The elements as `T`, or a dtype error naming `op`.
    pub(crate) fn as_slice<T: WithDType>(&self, op: &'static str) -> Result<&[T]> {
        T::slice(self).ok_or(Error::DTypeMismatch {
            op,
            lhs: T::DTYPE,
            rhs: self.dtype(),
        })
    }
}

/// An error for an op that needs a floating dtype.
pub(crate) fn float_only(op: &'static str, dtype: DType) -> Error {
    Error::UnsupportedDType {
        op,
        dtype,
        supported: "f16, bf16, f32, f64",
    }
}

impl BackendStorage for CpuStorage {
    fn dtype(&self) -> DType {
        match self {
            CpuStorage::F16(_) => DType::F16,
            CpuStorage::BF16(_) => DType::BF16,
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
            CpuStorage::U8(_) => DType::U8,
            CpuStorage::I64(_) => DType::I64,
        }
    }

    fn device(&self) -> Device {
        Device::Cpu
    }

    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        self.copy_strided(layout)
    }

    fn copy_strided(&self, layout: &Layout) -> Result<Self> {
        Ok(map_storage!(self, v => WithDType::into_storage(elementwise::gather_layout(v, layout))))
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        Ok(elementwise::cast(self, layout, dtype))
    }

    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self> {
        elementwise::unary(self, layout, op)
    }

    fn binary(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self> {
        elementwise::binary(self, lhs, rhs, rhs_layout, op)
    }

    fn cmp(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self> {
        elementwise::cmp(self, lhs, rhs, rhs_layout, op)
    }

    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &Self,
        true_layout: &Layout,
        on_false: &Self,
        false_layout: &Layout,
    ) -> Result<Self> {
        elementwise::where_cond(self, layout, on_true, true_layout, on_false, false_layout)
    }

    fn reduce(&self, layout: &Layout, op: ReduceOp, axes: &[usize]) -> Result<Self> {
        reduce::reduce(self, layout, op, axes)
    }

    fn matmul(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        matmul::matmul(self, lhs, rhs, rhs_layout)
    }

    fn complex_matmul(
        &self,
        lhs: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        conj: [bool; 2],
    ) -> Result<Self> {
        cmatmul::complex_matmul(self, lhs, rhs, rhs_layout, conj)
    }

    fn index_select(
        &self,
        layout: &Layout,
        ids: &Self,
        ids_layout: &Layout,
        axis: usize,
    ) -> Result<Self> {
        index::index_select(self, layout, ids, ids_layout, axis)
    }

    fn gather(
        &self,
        layout: &Layout,
        ids: &Self,
        ids_layout: &Layout,
        axis: usize,
    ) -> Result<Self> {
        index::gather(self, layout, ids, ids_layout, axis)
    }

    fn scatter_add(
        &self,
        layout: &Layout,
        ids: &Self,
        ids_layout: &Layout,
        src: &Self,
        src_layout: &Layout,
        axis: usize,
    ) -> Result<Self> {
        index::scatter_add(self, layout, ids, ids_layout, src, src_layout, axis)
    }

    fn concat(parts: &[(&Self, &Layout)], axis: usize) -> Result<Self> {
        index::concat(parts, axis)
    }

    fn rfftn(&self, layout: &Layout, ndim: usize, norm: FftNorm) -> Result<Self> {
        fft_nd::rfftn(self, layout, ndim, norm)
    }

    fn irfftn(&self, layout: &Layout, ndim: usize, last_len: usize, norm: FftNorm) -> Result<Self> {
        fft_nd::irfftn(self, layout, ndim, last_len, norm)
    }
}
