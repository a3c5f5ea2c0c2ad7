//! The tensor crate's error type.

use fluxion_device::DType;

use crate::Shape;

/// Errors from tensor operations. Each names the op and the shapes or dtypes involved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two shapes that cannot be broadcast together (NumPy rules).
    #[error("{op}: shapes {lhs} and {rhs} cannot be broadcast together")]
    BroadcastIncompatible {
        /// The op.
        op: &'static str,
        /// Left shape.
        lhs: Shape,
        /// Right shape.
        rhs: Shape,
    },
    /// A shape that does not match what the op needs.
    #[error("{op}: shape mismatch, expected {expected} but got {got}")]
    ShapeMismatch {
        /// The op.
        op: &'static str,
        /// What was needed (as text, may describe a pattern).
        expected: String,
        /// The shape given.
        got: Shape,
    },
    /// Inner dimensions of a matrix product that differ.
    #[error("matmul: inner dimensions differ, lhs {lhs} and rhs {rhs} (need lhs[-1] == rhs[-2])")]
    MatmulShape {
        /// Left shape.
        lhs: Shape,
        /// Right shape.
        rhs: Shape,
    },
    /// Operands with different dtypes.
    #[error("{op}: dtype mismatch, lhs is {lhs} and rhs is {rhs} (cast one with to_dtype)")]
    DTypeMismatch {
        /// The op.
        op: &'static str,
        /// Left dtype.
        lhs: DType,
        /// Right dtype.
        rhs: DType,
    },
    /// A dtype the op does not support.
    #[error("{op}: dtype {dtype} is not supported (supported: {supported})")]
    UnsupportedDType {
        /// The op.
        op: &'static str,
        /// The dtype given.
        dtype: DType,
        /// The dtypes that work.
        supported: &'static str,
    },
    /// Operands on different devices.
    #[error("{op}: tensors are on different devices, {lhs} and {rhs}")]
    DeviceMismatch {
        /// The op.
        op: &'static str,
        /// Left device.
        lhs: String,
        /// Right device.
        rhs: String,
    },
    /// An axis beyond the tensor's rank.
    #[error("{op}: axis {axis} is out of range for a tensor of rank {rank} (shape {shape})")]
    AxisOutOfRange {
        /// The op.
        op: &'static str,
        /// The axis given (may be negative).
        axis: isize,
        /// The tensor's rank.
        rank: usize,
        /// The tensor's shape.
        shape: Shape,
    },
    /// The same axis named twice.
    #[error("{op}: axis {axis} appears more than once")]
    DuplicateAxis {
        /// The op.
        op: &'static str,
        /// The repeated axis.
        axis: usize,
    },
    /// An index beyond the size of the axis it indexes.
    #[error("{op}: index {index} is out of range for axis {axis} of size {size}")]
    IndexOutOfRange {
        /// The op.
        op: &'static str,
        /// The index given.
        index: i64,
        /// The axis it indexes.
        axis: usize,
        /// The axis size.
        size: usize,
    },
    /// A reduction with no identity over an empty axis.
    #[error("{op}: cannot reduce an empty axis of shape {shape} (the op has no identity)")]
    EmptyReduction {
        /// The op.
        op: &'static str,
        /// The input shape.
        shape: Shape,
    },
    /// Data whose length does not match the shape.
    #[error("{op}: {len} elements cannot fill shape {shape} ({expected} elements)")]
    ElementCount {
        /// The op.
        op: &'static str,
        /// Elements given.
        len: usize,
        /// The shape asked for.
        shape: Shape,
        /// Elements the shape holds.
        expected: usize,
    },
    /// Any other invalid argument, with the op and a reason.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The op.
        op: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// An op the device's backend does not have (every op exists on the CPU and, with the `cuda`
    /// feature, on CUDA; kept for backends that lack one).
    #[error("{op}: not available on {device}; use --device cpu")]
    BackendUnavailable {
        /// The op.
        op: &'static str,
        /// The device.
        device: String,
    },
    /// A CUDA failure inside an op (driver, kernel compilation, cuBLAS or cuFFT), naming the op
    /// and its operands.
    #[error("{op} on CUDA ({detail}): {source}")]
    Cuda {
        /// The op.
        op: &'static str,
        /// The operands: shapes, dtypes, the kernel or library call.
        detail: String,
        /// What CUDA reported (boxed: it carries NVRTC logs, and keeping this enum small keeps
        /// every `Result` in the workspace small).
        #[source]
        source: Box<fluxion_device::Error>,
    },
    /// A device error (parsing, no GPU, driver failure).
    #[error(transparent)]
    Device(#[from] fluxion_device::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for [`Error::InvalidArgument`].
pub(crate) fn invalid(op: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op,
        reason: reason.into(),
    }
}
