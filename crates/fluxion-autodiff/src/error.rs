//! The autodiff crate's error type.

use fluxion_tensor::{DType, Shape};

/// Errors from building or differentiating a graph.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the tensor op being recorded or differentiated.
    #[error(transparent)]
    Tensor(#[from] fluxion_tensor::Error),
    /// Backward reached a node whose saved inputs were already freed by an earlier backward.
    #[error(
        "{op}: the graph through this op was freed by an earlier backward; \
         pass retain_graph = true to the first backward to differentiate it again"
    )]
    GraphFreed {
        /// The op whose node was freed.
        op: &'static str,
    },
    /// An implicit gradient (`grad_outputs = None`, or `backward()`) of a non-scalar output.
    #[error(
        "grad of output {index} with shape {shape}: an implicit gradient needs a scalar \
         output; pass grad_outputs of the output's shape"
    )]
    NotScalar {
        /// Which output.
        index: usize,
        /// Its shape.
        shape: Shape,
    },
    /// A `grad_outputs` entry whose shape or dtype differs from its output.
    #[error(
        "grad_outputs[{index}] is {got_shape} {got_dtype} but output {index} is \
         {shape} {dtype}"
    )]
    GradOutputMismatch {
        /// Which output.
        index: usize,
        /// The output's shape.
        shape: Shape,
        /// The output's dtype.
        dtype: DType,
        /// The given gradient's shape.
        got_shape: Shape,
        /// The given gradient's dtype.
        got_dtype: DType,
    },
    /// A list argument of the wrong length.
    #[error("{what}: expected {expected} entries, got {got}")]
    Arity {
        /// Which argument.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// `set_value` on a variable that is not a leaf, or with another shape or dtype.
    #[error("set_value: {reason}")]
    SetValue {
        /// What was wrong.
        reason: String,
    },
    /// gradcheck found an analytic derivative that differs from central differences.
    #[error(
        "gradcheck ({order} order): d output[{output}][{out_index}] / d input[{input}][{in_index}] \
         is {analytic:e} by autodiff but {numeric:e} by central differences \
         (|diff| = {diff:e} > atol + rtol·|numeric| = {bound:e})"
    )]
    Gradcheck {
        /// "first" or "second".
        order: &'static str,
        /// Output number.
        output: usize,
        /// Flat element of that output.
        out_index: usize,
        /// Input number.
        input: usize,
        /// Flat element of that input.
        in_index: usize,
        /// Autodiff's value.
        analytic: f64,
        /// Central differences' value.
        numeric: f64,
        /// |analytic − numeric|.
        diff: f64,
        /// The bound it exceeded.
        bound: f64,
    },
    /// gradcheck's inputs must be f64 so central differences are accurate.
    #[error("gradcheck: input {index} is {dtype}; central differences need f64 inputs")]
    GradcheckDType {
        /// Input number.
        index: usize,
        /// Its dtype.
        dtype: DType,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
