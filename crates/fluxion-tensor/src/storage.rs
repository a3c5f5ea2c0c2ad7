//! Storage on any device, dispatching to the device's [`BackendStorage`].
//!
//! Every `match` here lists each device explicitly (no catch-all arm), so a new backend must
//! handle every op, and mixed-device operands are an error naming the op.

use fluxion_device::{DType, Device};

use crate::backend::BackendStorage;
#[cfg(feature = "cuda")]
use crate::CudaStorage;
use crate::{BinaryOp, CmpOp, CpuStorage, Error, FftNorm, Layout, ReduceOp, Result, UnaryOp};

/// A tensor's elements on one device.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Host memory.
    Cpu(CpuStorage),
    /// CUDA device memory.
    #[cfg(feature = "cuda")]
    Cuda(CudaStorage),
}

/// The error for operands on different devices.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
fn mismatch(op: &'static str, a: &Storage, b: &Storage) -> Error {
    Error::DeviceMismatch {
        op,
        lhs: a.device().to_string(),
        rhs: b.device().to_string(),
    }
}

impl Storage {
    /// Places host data on `device` (an upload for CUDA).
    ///
    /// # Errors
    /// [`Error::Cuda`] naming `op` when the upload fails.
    pub fn from_cpu(cpu: CpuStorage, device: &Device, op: &'static str) -> Result<Self> {
        #[cfg(not(feature = "cuda"))]
        let _ = op;
        match device {
            Device::Cpu => Ok(Storage::Cpu(cpu)),
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => {
                CudaStorage::from_cpu(&cpu, d)
                    .map(Storage::Cuda)
                    .map_err(|e| match e {
                        Error::Cuda { detail, source, .. } => Error::Cuda { op, detail, source },
                        other => other,
                    })
            }
        }
    }

    /// `n` copies of `value` converted to `dtype`, made on `device` (on a GPU by a fill kernel,
    /// with no host buffer).
    ///
    /// # Errors
    /// [`Error::Cuda`] when the device fails.
    pub fn full(value: f64, n: usize, dtype: DType, device: &Device) -> Result<Self> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage::full(value, n, dtype))),
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => Ok(Storage::Cuda(CudaStorage::full(value, n, dtype, d)?)),
        }
    }

    /// Number of stored elements (what a layout may address).
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.len(),
        }
    }

    /// Whether no elements are stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.dtype(),
        }
    }

    /// The device.
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(s) => s.device(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.device(),
        }
    }

    pub(crate) fn to_cpu(&self, l: &Layout) -> Result<CpuStorage> {
        match self {
            Storage::Cpu(s) => s.to_cpu(l),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.to_cpu(l),
        }
    }

    pub(crate) fn copy_strided(&self, l: &Layout) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.copy_strided(l)?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(Storage::Cuda(s.copy_strided(l)?)),
        }
    }

    pub(crate) fn to_dtype(&self, l: &Layout, dtype: DType) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.to_dtype(l, dtype)?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(Storage::Cuda(s.to_dtype(l, dtype)?)),
        }
    }

    pub(crate) fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.unary(l, op)?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(Storage::Cuda(s.unary(l, op)?)),
        }
    }

    pub(crate) fn binary(&self, l: &Layout, rhs: &Self, rl: &Layout, op: BinaryOp) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.binary(l, b, rl, op)?)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.binary(l, b, rl, op)?)),
            #[cfg(feature = "cuda")]
            (
                a @ (Storage::Cpu(_) | Storage::Cuda(_)),
                b @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(mismatch(op.name(), a, b)),
        }
    }

    pub(crate) fn cmp(&self, l: &Layout, rhs: &Self, rl: &Layout, op: CmpOp) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.cmp(l, b, rl, op)?)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.cmp(l, b, rl, op)?)),
            #[cfg(feature = "cuda")]
            (
                a @ (Storage::Cpu(_) | Storage::Cuda(_)),
                b @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(mismatch(op.name(), a, b)),
        }
    }

    pub(crate) fn where_cond(
        &self,
        l: &Layout,
        t: &Self,
        tl: &Layout,
        f: &Self,
        fl: &Layout,
    ) -> Result<Self> {
        match (self, t, f) {
            (Storage::Cpu(c), Storage::Cpu(t), Storage::Cpu(f)) => {
                Ok(Storage::Cpu(c.where_cond(l, t, tl, f, fl)?))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(c), Storage::Cuda(t), Storage::Cuda(f)) => {
                Ok(Storage::Cuda(c.where_cond(l, t, tl, f, fl)?))
            }
            #[cfg(feature = "cuda")]
            (
                c @ (Storage::Cpu(_) | Storage::Cuda(_)),
                t @ (Storage::Cpu(_) | Storage::Cuda(_)),
                f @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(first_mismatch("where", c, &[t, f])),
        }
    }

    pub(crate) fn reduce(&self, l: &Layout, op: ReduceOp, axes: &[usize]) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.reduce(l, op, axes)?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(Storage::Cuda(s.reduce(l, op, axes)?)),
        }
    }

    pub(crate) fn matmul(&self, l: &Layout, rhs: &Self, rl: &Layout) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.matmul(l, b, rl)?)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.matmul(l, b, rl)?)),
            #[cfg(feature = "cuda")]
            (
                a @ (Storage::Cpu(_) | Storage::Cuda(_)),
                b @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(mismatch("matmul", a, b)),
        }
    }

    pub(crate) fn complex_matmul(
        &self,
        l: &Layout,
        rhs: &Self,
        rl: &Layout,
        conj: [bool; 2],
    ) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                Ok(Storage::Cpu(a.complex_matmul(l, b, rl, conj)?))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(a), Storage::Cuda(b)) => {
                Ok(Storage::Cuda(a.complex_matmul(l, b, rl, conj)?))
            }
            #[cfg(feature = "cuda")]
            (
                a @ (Storage::Cpu(_) | Storage::Cuda(_)),
                b @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(mismatch("complex_matmul", a, b)),
        }
    }

    pub(crate) fn index_select(
        &self,
        l: &Layout,
        ids: &Self,
        il: &Layout,
        axis: usize,
    ) -> Result<Self> {
        match (self, ids) {
            (Storage::Cpu(s), Storage::Cpu(i)) => Ok(Storage::Cpu(s.index_select(l, i, il, axis)?)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(s), Storage::Cuda(i)) => {
                Ok(Storage::Cuda(s.index_select(l, i, il, axis)?))
            }
            #[cfg(feature = "cuda")]
            (
                a @ (Storage::Cpu(_) | Storage::Cuda(_)),
                b @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(mismatch("index_select", a, b)),
        }
    }

    pub(crate) fn gather(&self, l: &Layout, ids: &Self, il: &Layout, axis: usize) -> Result<Self> {
        match (self, ids) {
            (Storage::Cpu(s), Storage::Cpu(i)) => Ok(Storage::Cpu(s.gather(l, i, il, axis)?)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(s), Storage::Cuda(i)) => Ok(Storage::Cuda(s.gather(l, i, il, axis)?)),
            #[cfg(feature = "cuda")]
            (
                a @ (Storage::Cpu(_) | Storage::Cuda(_)),
                b @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(mismatch("gather", a, b)),
        }
    }

    pub(crate) fn scatter_add(
        &self,
        l: &Layout,
        ids: &Self,
        il: &Layout,
        src: &Self,
        sl: &Layout,
        axis: usize,
    ) -> Result<Self> {
        match (self, ids, src) {
            (Storage::Cpu(s), Storage::Cpu(i), Storage::Cpu(v)) => {
                Ok(Storage::Cpu(s.scatter_add(l, i, il, v, sl, axis)?))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(s), Storage::Cuda(i), Storage::Cuda(v)) => {
                Ok(Storage::Cuda(s.scatter_add(l, i, il, v, sl, axis)?))
            }
            #[cfg(feature = "cuda")]
            (
                s @ (Storage::Cpu(_) | Storage::Cuda(_)),
                i @ (Storage::Cpu(_) | Storage::Cuda(_)),
                v @ (Storage::Cpu(_) | Storage::Cuda(_)),
            ) => Err(first_mismatch("scatter_add", s, &[i, v])),
        }
    }

    pub(crate) fn concat(parts: &[(&Self, &Layout)], axis: usize) -> Result<Self> {
        let first = parts[0].0;
        match first {
            Storage::Cpu(_) => {
                let cpu = parts
                    .iter()
                    .map(|(s, l)| match s {
                        Storage::Cpu(c) => Ok((c, *l)),
                        #[cfg(feature = "cuda")]
                        other @ Storage::Cuda(_) => Err(mismatch("concat", first, other)),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Storage::Cpu(CpuStorage::concat(&cpu, axis)?))
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                let cuda = parts
                    .iter()
                    .map(|(s, l)| match s {
                        Storage::Cuda(c) if s.device().same_device(&first.device()) => Ok((c, *l)),
                        other @ (Storage::Cuda(_) | Storage::Cpu(_)) => {
                            Err(mismatch("concat", first, other))
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Storage::Cuda(CudaStorage::concat(&cuda, axis)?))
            }
        }
    }

    pub(crate) fn rfftn(&self, l: &Layout, ndim: usize, norm: FftNorm) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.rfftn(l, ndim, norm)?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(Storage::Cuda(s.rfftn(l, ndim, norm)?)),
        }
    }

    pub(crate) fn irfftn(
        &self,
        l: &Layout,
        ndim: usize,
        last_len: usize,
        norm: FftNorm,
    ) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.irfftn(l, ndim, last_len, norm)?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(Storage::Cuda(s.irfftn(l, ndim, last_len, norm)?)),
        }
    }
}

/// The device error for the first of `others` not on `first`'s device.
#[cfg(feature = "cuda")]
fn first_mismatch(op: &'static str, first: &Storage, others: &[&Storage]) -> Error {
    let other = others
        .iter()
        .find(|o| !o.device().same_device(&first.device()))
        .unwrap_or(&others[0]);
    mismatch(op, first, other)
}
