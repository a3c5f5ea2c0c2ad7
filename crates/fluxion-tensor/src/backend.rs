//! The backend trait every device's storage implements.
//!
//! It has **no default methods**: an op that one backend lacks does not compile. Layouts passed
//! in are already validated and, for binary ops, already broadcast to the output shape; every
//! method returns new contiguous storage holding `layout.elem_count()` (or the op's output)
//! elements in row-major order.

use fluxion_device::{DType, Device};

use crate::{BinaryOp, CmpOp, CpuStorage, FftNorm, Layout, ReduceOp, Result, UnaryOp};

/// Operations a device's storage provides.
pub trait BackendStorage: Sized {
    /// Element type.
    fn dtype(&self) -> DType;

    /// The device holding the data.
    fn device(&self) -> Device;

    /// A host copy of the elements of `layout`, contiguous.
    fn to_cpu(&self, layout: &Layout) -> Result<CpuStorage>;

    /// The elements of `layout` copied into new contiguous storage.
    fn copy_strided(&self, layout: &Layout) -> Result<Self>;

    /// The elements of `layout` converted to `dtype`.
    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self>;

    /// `op` applied to each element.
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self>;

    /// `op` applied elementwise; both layouts have the output's shape (broadcast already).
    fn binary(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self>;

    /// Elementwise comparison giving `U8` 0/1; layouts broadcast already.
    fn cmp(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout, op: CmpOp) -> Result<Self>;

    /// `cond ? on_true : on_false` elementwise, `self` being the `U8` condition; layouts
    /// broadcast already.
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: &Self,
        true_layout: &Layout,
        on_false: &Self,
        false_layout: &Layout,
    ) -> Result<Self>;

    /// `op` over `axes` (sorted, distinct), keeping them as extent-1 axes in the output.
    fn reduce(&self, layout: &Layout, op: ReduceOp, axes: &[usize]) -> Result<Self>;

    /// Batched matrix product: `lhs` is `[B…, m, k]`, `rhs` is `[B…, k, n]` with the same
    /// batch dims (broadcast already); the output is contiguous `[B…, m, n]`.
    fn matmul(&self, lhs: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self>;

    /// Batched complex matrix product of (re, im) pairs: `lhs` is `[B…, m, k, 2]`, `rhs` is
    /// `[B…, k, n, 2]` with the same batch dims (broadcast already), `conj[0]` / `conj[1]`
    /// conjugate lhs / rhs; f32 or f64 only. The output is contiguous `[B…, m, n, 2]`.
    fn complex_matmul(
        &self,
        lhs: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
        conj: [bool; 2],
    ) -> Result<Self>;

    /// Slices along `axis` picked by the `I64` indices `ids` (1-D).
    fn index_select(
        &self,
        layout: &Layout,
        ids: &Self,
        ids_layout: &Layout,
        axis: usize,
    ) -> Result<Self>;

    /// `out[i…, j, k…] = self[i…, ids[i…, j, k…], k…]` along `axis`; output has `ids`' shape.
    fn gather(&self, layout: &Layout, ids: &Self, ids_layout: &Layout, axis: usize)
        -> Result<Self>;

    /// A copy of `self` with `src[i…, j, k…]` added at `[i…, ids[i…, j, k…], k…]` along `axis`.
    fn scatter_add(
        &self,
        layout: &Layout,
        ids: &Self,
        ids_layout: &Layout,
        src: &Self,
        src_layout: &Layout,
        axis: usize,
    ) -> Result<Self>;

    /// The parts joined along `axis` (shapes already checked to agree elsewhere).
    fn concat(parts: &[(&Self, &Layout)], axis: usize) -> Result<Self>;

    /// Real-to-complex FFT over the last `ndim` axes: output `[…, n₁, …, n_last/2 + 1, 2]`.
    fn rfftn(&self, layout: &Layout, ndim: usize, norm: FftNorm) -> Result<Self>;

    /// Inverse of [`BackendStorage::rfftn`]: input `[…, n₁, …, m, 2]`, output
    /// `[…, n₁, …, last_len]`, with the last axis truncated or zero-padded to `last_len/2 + 1`.
    fn irfftn(&self, layout: &Layout, ndim: usize, last_len: usize, norm: FftNorm) -> Result<Self>;
}
