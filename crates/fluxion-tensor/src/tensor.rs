//! The tensor type: shared storage plus a layout.

use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use fluxion_device::{DType, Device};

use crate::{CpuStorage, Error, Layout, Result, Shape, Storage, WithDType};

/// An n-dimensional array on a device.
///
/// Cloning is cheap: clones share storage. Views (reshape of contiguous data, transpose,
/// permute, narrow, broadcast, squeeze/unsqueeze) share storage too; every other op returns a
/// new contiguous tensor.
///
/// ```
/// use fluxion_tensor::{Tensor, Device, DType};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2], &Device::Cpu)?;
/// let b = a.t()?.matmul(&a)?;
/// assert_eq!(b.to_vec2::<f32>()?, vec![vec![10.0, 14.0], vec![14.0, 20.0]]);
/// # Ok::<(), fluxion_tensor::Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor(Arc<Inner>);

struct Inner {
    storage: Arc<RwLock<Storage>>,
    layout: Layout,
    dtype: DType,
    device: Device,
}

impl Tensor {
    /// A tensor over fresh contiguous storage of `shape`.
    pub(crate) fn from_storage(storage: Storage, shape: impl Into<Shape>) -> Self {
        let dtype = storage.dtype();
        let device = storage.device();
        Tensor(Arc::new(Inner {
            storage: Arc::new(RwLock::new(storage)),
            layout: Layout::contiguous(shape),
            dtype,
            device,
        }))
    }

    /// A view: same storage, another layout.
    pub(crate) fn with_layout(&self, layout: Layout) -> Self {
        Tensor(Arc::new(Inner {
            storage: self.0.storage.clone(),
            layout,
            dtype: self.0.dtype,
            device: self.0.device.clone(),
        }))
    }

    /// Read access to the storage.
    pub(crate) fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        // A poisoned lock only means another thread panicked while holding it; tensor
        // storage is never left half-written by a panic, so the data is still valid.
        self.0.storage.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        self.0.layout.shape()
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        self.shape().dims()
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.shape().rank()
    }

    /// Number of elements.
    pub fn elem_count(&self) -> usize {
        self.shape().elem_count()
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Device.
    pub fn device(&self) -> &Device {
        &self.0.device
    }

    /// Whether the layout is row-major and gap-free.
    pub fn is_contiguous(&self) -> bool {
        self.layout().is_contiguous()
    }

    /// Whether two tensors share storage.
    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    /// Resolves a possibly negative axis.
    ///
    /// # Errors
    /// [`Error::AxisOutOfRange`] naming `op`.
    pub fn axis(&self, axis: isize, op: &'static str) -> Result<usize> {
        self.shape().axis(axis, op)
    }

    /// A host copy of the elements, contiguous, in row-major order.
    ///
    /// # Errors
    /// Device errors when copying from a GPU.
    pub fn to_cpu_storage(&self) -> Result<CpuStorage> {
        self.storage().to_cpu(self.layout())
    }

    /// The elements in row-major order.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] when `T` is not the tensor's dtype.
    pub fn to_vec<T: WithDType>(&self) -> Result<Vec<T>> {
        self.check_dtype::<T>("to_vec")?;
        let cpu = self.to_cpu_storage()?;
        Ok(T::slice(&cpu).expect("dtype checked").to_vec())
    }

    /// The elements of a rank-1 tensor.
    ///
    /// # Errors
    /// On dtype or rank mismatch.
    pub fn to_vec1<T: WithDType>(&self) -> Result<Vec<T>> {
        self.check_rank(1, "to_vec1")?;
        self.to_vec()
    }

    /// The rows of a rank-2 tensor.
    ///
    /// # Errors
    /// On dtype or rank mismatch.
    pub fn to_vec2<T: WithDType>(&self) -> Result<Vec<Vec<T>>> {
        self.check_rank(2, "to_vec2")?;
        let v = self.to_vec::<T>()?;
        let n = self.dims()[1];
        if n == 0 {
            return Ok(vec![Vec::new(); self.dims()[0]]);
        }
        Ok(v.chunks(n).map(|c| c.to_vec()).collect())
    }

    /// The value of a tensor with one element (any rank).
    ///
    /// # Errors
    /// On dtype mismatch or when the tensor does not hold exactly one element.
    pub fn to_scalar<T: WithDType>(&self) -> Result<T> {
        if self.elem_count() != 1 {
            return Err(Error::ShapeMismatch {
                op: "to_scalar",
                expected: "a single element".into(),
                got: self.shape().clone(),
            });
        }
        Ok(self.to_vec::<T>()?[0])
    }

    pub(crate) fn check_dtype<T: WithDType>(&self, op: &'static str) -> Result<()> {
        if self.dtype() != T::DTYPE {
            return Err(Error::DTypeMismatch {
                op,
                lhs: self.dtype(),
                rhs: T::DTYPE,
            });
        }
        Ok(())
    }

    pub(crate) fn check_rank(&self, rank: usize, op: &'static str) -> Result<()> {
        if self.rank() != rank {
            return Err(Error::ShapeMismatch {
                op,
                expected: format!("rank {rank}"),
                got: self.shape().clone(),
            });
        }
        Ok(())
    }

    /// Errors unless both tensors are on one device and (when `same_dtype`) of one dtype.
    pub(crate) fn check_pair(
        &self,
        rhs: &Tensor,
        op: &'static str,
        same_dtype: bool,
    ) -> Result<()> {
        if !self.device().same_device(rhs.device()) {
            return Err(Error::DeviceMismatch {
                op,
                lhs: self.device().to_string(),
                rhs: rhs.device().to_string(),
            });
        }
        if same_dtype && self.dtype() != rhs.dtype() {
            return Err(Error::DTypeMismatch {
                op,
                lhs: self.dtype(),
                rhs: rhs.dtype(),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor[{}, {}, {}]",
            self.shape(),
            self.dtype(),
            self.device()
        )
    }
}

impl fmt::Display for Tensor {
    /// Shape, dtype, device and up to the first 8 elements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self
            .to_dtype(DType::F64)
            .and_then(|t| t.flatten_all())
            .and_then(|t| {
                let n = t.elem_count().min(8);
                t.narrow(0, 0, n)?.to_vec::<f64>()
            });
        match head {
            Ok(v) => {
                let more = if self.elem_count() > v.len() {
                    ", …"
                } else {
                    ""
                };
                let items: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
                write!(f, "{self:?} [{}{more}]", items.join(", "))
            }
            Err(e) => write!(f, "{self:?} <unreadable: {e}>"),
        }
    }
}
