//! Storage on any device, dispatching to the device's [`BackendStorage`].
//!
//! Every `match` here lists each device explicitly (no catch-all arm), so a new backend must
//! handle every op, and mixed-device operands are an error naming the op.

use fluxion_device::{DType, Device};

use crate::backend::BackendStorage;
#[cfg(feature = "cuda")]
use crate::Error;
use crate::{BinaryOp, CmpOp, CpuStorage, FftNorm, Layout, ReduceOp, Result, UnaryOp};

/// A tensor's elements on one device.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Host memory.
    Cpu(CpuStorage),
}

impl Storage {
    /// Places host data on `device`.
    ///
    /// # Errors
    /// [`Error::BackendUnavailable`] for CUDA devices until the CUDA backend lands.
    pub fn from_cpu(cpu: CpuStorage, device: &Device, op: &'static str) -> Result<Self> {
        #[cfg(not(feature = "cuda"))]
        let _ = op;
        match device {
            Device::Cpu => Ok(Storage::Cpu(cpu)),
            #[cfg(feature = "cuda")]
            Device::Cuda(_) => Err(Error::BackendUnavailable {
                op,
                device: device.to_string(),
            }),
        }
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
        }
    }

    /// The device.
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(s) => s.device(),
        }
    }

    pub(crate) fn to_cpu(&self, l: &Layout) -> Result<CpuStorage> {
        match self {
            Storage::Cpu(s) => s.to_cpu(l),
        }
    }

    pub(crate) fn copy_strided(&self, l: &Layout) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.copy_strided(l)?)),
        }
    }

    pub(crate) fn to_dtype(&self, l: &Layout, dtype: DType) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.to_dtype(l, dtype)?)),
        }
    }

    pub(crate) fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.unary(l, op)?)),
        }
    }

    pub(crate) fn binary(&self, l: &Layout, rhs: &Self, rl: &Layout, op: BinaryOp) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.binary(l, b, rl, op)?)),
        }
    }

    pub(crate) fn cmp(&self, l: &Layout, rhs: &Self, rl: &Layout, op: CmpOp) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.cmp(l, b, rl, op)?)),
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
        }
    }

    pub(crate) fn reduce(&self, l: &Layout, op: ReduceOp, axes: &[usize]) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.reduce(l, op, axes)?)),
        }
    }

    pub(crate) fn matmul(&self, l: &Layout, rhs: &Self, rl: &Layout) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(a.matmul(l, b, rl)?)),
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
        }
    }

    pub(crate) fn gather(&self, l: &Layout, ids: &Self, il: &Layout, axis: usize) -> Result<Self> {
        match (self, ids) {
            (Storage::Cpu(s), Storage::Cpu(i)) => Ok(Storage::Cpu(s.gather(l, i, il, axis)?)),
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
        }
    }

    pub(crate) fn concat(parts: &[(&Self, &Layout)], axis: usize) -> Result<Self> {
        match parts[0].0 {
            Storage::Cpu(_) => {
                let cpu = parts
                    .iter()
                    .map(|(s, l)| match s {
                        Storage::Cpu(c) => (c, *l),
                    })
                    .collect::<Vec<_>>();
                Ok(Storage::Cpu(CpuStorage::concat(&cpu, axis)?))
            }
        }
    }

    pub(crate) fn rfftn(&self, l: &Layout, ndim: usize, norm: FftNorm) -> Result<Self> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.rfftn(l, ndim, norm)?)),
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
        }
    }
}
