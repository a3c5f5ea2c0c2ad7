//! The CUDA backend: typed device buffers, with each op a kernel from `kernels/*.cu` (compiled by
//! NVRTC for the device on first use), cuBLAS for products and cuFFT for transforms.
//!
//! The CPU backend (`cpu_backend/`) is the reference for every op's semantics; the files here
//! mirror it: `launch.rs` (launch configurations, the strided `info` array, error mapping),
//! `copy.rs` (host transfers, strided copies, fill), `cast.rs`, `elementwise.rs`, `reduce.rs`,
//! `index.rs`, `matmul.rs` and `fft.rs`. All work is queued on the device's one stream; host
//! copies (`to_cpu`) wait for it.
//!
//! f16 and bf16 are stored as their raw bits (`u16`): the kernels take them that way, and cudarc's
//! `half` support is not enabled.

pub(crate) mod adam;
mod cast;
mod cmatmul;
mod copy;
mod elementwise;
#[cfg(all(test, feature = "host-emulation"))]
mod emulated_tests;
mod fft;
mod index;
pub(crate) mod launch;
mod matmul;
mod random;
mod reduce;

use std::sync::Arc;

use cudarc::driver::{CudaSlice, DeviceRepr, ValidAsZeroBits};
use fluxion_device::{CudaDevice, DType, Device};

use crate::backend::BackendStorage;
use crate::{BinaryOp, CmpOp, CpuStorage, Error, FftNorm, Layout, ReduceOp, Result, UnaryOp};

/// A device buffer of one element type.
#[derive(Debug)]
pub(crate) enum CudaData {
    /// f16 bits.
    F16(CudaSlice<u16>),
    /// bf16 bits.
    BF16(CudaSlice<u16>),
    /// f32.
    F32(CudaSlice<f32>),
    /// f64.
    F64(CudaSlice<f64>),
    /// u8.
    U8(CudaSlice<u8>),
    /// i64.
    I64(CudaSlice<i64>),
}

/// Runs `$body` with `$s` bound to the buffer (`&CudaSlice<T>`), whatever its type.
macro_rules! map_data {
    ($d:expr, $s:ident => $body:expr) => {
        match $d {
            CudaData::F16($s) | CudaData::BF16($s) => $body,
            CudaData::F32($s) => $body,
            CudaData::F64($s) => $body,
            CudaData::U8($s) => $body,
            CudaData::I64($s) => $body,
        }
    };
}
pub(crate) use map_data;

impl Drop for CudaData {
    /// Makes the buffer's context current on this thread before cudarc frees the buffer.
    ///
    /// cudarc's `CudaSlice` frees itself with `cuMemFreeAsync` on its stream without binding
    /// its context, and the device's stream is the legacy default stream (the null handle),
    /// which the driver resolves against the calling thread's current context. A storage
    /// dropped on a thread that never made a CUDA call (or whose last call was for another
    /// device) would otherwise fail that free: the buffer would leak and cudarc would report
    /// the stored error from the next, unrelated call on this context. Unlike
    /// `CudaContext::bind_to_thread`, this leaves cudarc's stored error state alone.
    fn drop(&mut self) {
        use cudarc::driver::result::ctx;
        let want = map_data!(self, s => s.context().cu_ctx());
        if !matches!(ctx::get_current(), Ok(Some(cur)) if cur == want) {
            // SAFETY: `want` is the context that owns this buffer; the slice holds an `Arc` to
            // it, so it is alive. Making a live context current has no other precondition.
            let _ = unsafe { ctx::set_current(want) };
        }
    }
}

/// Elements on a CUDA device: one contiguous buffer, its dtype and the device.
///
/// Cloning shares the buffer (ops never write into an existing storage; each returns a new one).
#[derive(Debug, Clone)]
pub struct CudaStorage {
    data: Arc<CudaData>,
    /// Logical number of elements (buffers hold at least one element, so an empty tensor never
    /// asks the driver for a zero-byte allocation).
    len: usize,
    device: CudaDevice,
}

/// Element types of device buffers.
pub(crate) trait DevElem:
    DeviceRepr + ValidAsZeroBits + Copy + Default + Send + Sync + std::fmt::Debug + 'static
{
    /// Wraps a buffer holding `dtype` elements of this type.
    fn wrap(s: CudaSlice<Self>, dtype: DType) -> CudaData;
    /// The buffer if it holds this type.
    fn unwrap(d: &CudaData) -> Option<&CudaSlice<Self>>;
}

macro_rules! dev_elem {
    ($t:ty, $($dtype:ident => $variant:ident),+) => {
        impl DevElem for $t {
            fn wrap(s: CudaSlice<Self>, dtype: DType) -> CudaData {
                match dtype {
                    $(DType::$dtype => CudaData::$variant(s),)+
                    other => unreachable!("{other} is not stored as {}", stringify!($t)),
                }
            }
            fn unwrap(d: &CudaData) -> Option<&CudaSlice<Self>> {
                match d {
                    $(CudaData::$variant(s) => Some(s),)+
                    _ => None,
                }
            }
        }
    };
}
dev_elem!(u16, F16 => F16, BF16 => BF16);
dev_elem!(f32, F32 => F32);
dev_elem!(f64, F64 => F64);
dev_elem!(u8, U8 => U8);
dev_elem!(i64, I64 => I64);

impl CudaStorage {
    /// Wraps a buffer whose first `len` elements are the data.
    pub(crate) fn from_slice<T: DevElem>(
        s: CudaSlice<T>,
        len: usize,
        dtype: DType,
        device: &CudaDevice,
    ) -> Self {
        Self {
            data: Arc::new(T::wrap(s, dtype)),
            len,
            device: device.clone(),
        }
    }

    /// The buffer as `T`, or a dtype error naming `op`.
    pub(crate) fn slice<T: DevElem>(&self, op: &'static str, want: DType) -> Result<&CudaSlice<T>> {
        T::unwrap(&self.data)
            .filter(|_| self.dtype() == want)
            .ok_or(Error::DTypeMismatch {
                op,
                lhs: want,
                rhs: self.dtype(),
            })
    }

    /// The buffer.
    pub(crate) fn data(&self) -> &CudaData {
        &self.data
    }

    /// The CUDA device.
    pub(crate) fn cuda_device(&self) -> &CudaDevice {
        &self.device
    }

    /// Number of elements stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no elements are stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Host data uploaded to `device`.
    ///
    /// # Errors
    /// [`Error::Cuda`] when allocation or the copy fails.
    pub fn from_cpu(cpu: &CpuStorage, device: &CudaDevice) -> Result<Self> {
        copy::upload(cpu, device)
    }

    /// `n` copies of `value` converted to `dtype` (as [`CpuStorage::full`]), written by the
    /// `fill` kernel: no host buffer, no transfer.
    ///
    /// # Errors
    /// [`Error::Cuda`] when allocation or the kernel fails.
    pub fn full(value: f64, n: usize, dtype: DType, device: &CudaDevice) -> Result<Self> {
        copy::full(value, n, dtype, device)
    }
}

/// Checks that two operands share a dtype, as the CPU backend does.
fn same_dtype(op: &'static str, a: &CudaStorage, b: &CudaStorage) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op,
            lhs: a.dtype(),
            rhs: b.dtype(),
        });
    }
    Ok(())
}

impl BackendStorage for CudaStorage {
    fn dtype(&self) -> DType {
        match &*self.data {
            CudaData::F16(_) => DType::F16,
            CudaData::BF16(_) => DType::BF16,
            CudaData::F32(_) => DType::F32,
            CudaData::F64(_) => DType::F64,
            CudaData::U8(_) => DType::U8,
            CudaData::I64(_) => DType::I64,
        }
    }

    fn device(&self) -> Device {
        Device::Cuda(self.device.clone())
    }

    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage> {
        copy::download(self, layout)
    }

    fn copy_strided(&self, layout: &Layout) -> Result<Self> {
        copy::copy_strided(self, layout)
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        cast::to_dtype(self, layout, dtype)
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
        fft::rfftn(self, layout, ndim, norm)
    }

    fn irfftn(&self, layout: &Layout, ndim: usize, last_len: usize, norm: FftNorm) -> Result<Self> {
        fft::irfftn(self, layout, ndim, last_len, norm)
    }
}
