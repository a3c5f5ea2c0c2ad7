//! Complex matrix products on complex tensors stored as real (re, im) pairs.

use fluxion_device::DType;

use crate::{invalid, Result, Shape, Tensor};

impl Tensor {
    /// Batched complex matrix product of complex tensors stored as real pairs (a trailing axis
    /// of 2: re, im — the layout of [`Tensor::rfftn`]'s output):
    /// `[…, m, k, 2] · […, k, n, 2] → […, m, n, 2]`, with the batch axes broadcast, and with
    /// `conj_lhs` / `conj_rhs` conjugating that operand first. So
    /// `C[…, r, c] = Σ_k op(A[…, r, k]) · op(B[…, k, c])` in complex arithmetic.
    ///
    /// Operands may be any strided views (transposes, permuted batches, broadcasts): the CPU
    /// multiplies them in place through the `gemm` crate's complex kernels when the pair axis
    /// is contiguous, and the CUDA backend runs `kernels/cmatmul.cu`, which reads any strides.
    /// This is FNO's mode mixing: with `x̂ [M, B, C_in, 2]` and `W [M, C_in, C_out, 2]` per
    /// mode, `ŷ = x̂ · W`; its gradients are `ĝ · conj(W)ᵀ` and `conj(x̂)ᵀ · ĝ`, the same op
    /// on transposed views.
    ///
    /// # Errors
    /// Either operand of rank < 3 or without a trailing axis of 2; inner dims that differ;
    /// batch dims that do not broadcast; dtypes other than f32/f64 or that differ; devices
    /// that differ.
    pub fn complex_matmul(&self, rhs: &Tensor, conj_lhs: bool, conj_rhs: bool) -> Result<Tensor> {
        const OP: &str = "complex_matmul";
        self.check_pair(rhs, OP, true)?;
        if !matches!(self.dtype(), DType::F32 | DType::F64) {
            return Err(invalid(
                OP,
                format!(
                    "complex values need f32 or f64 (re, im) pairs, got {} (lhs {}, rhs {})",
                    self.dtype(),
                    self.shape(),
                    rhs.shape()
                ),
            ));
        }
        for (t, side) in [(self, "lhs"), (rhs, "rhs")] {
            if t.rank() < 3 || t.dims()[t.rank() - 1] != 2 {
                return Err(invalid(
                    OP,
                    format!(
                        "{side} must be a complex matrix batch [..., rows, cols, 2] (last axis: re, im), got shape {}",
                        t.shape()
                    ),
                ));
            }
        }
        let (ra, rb) = (self.rank(), rhs.rank());
        let (m, k) = (self.dims()[ra - 3], self.dims()[ra - 2]);
        let (k2, n) = (rhs.dims()[rb - 3], rhs.dims()[rb - 2]);
        if k != k2 {
            return Err(invalid(
                OP,
                format!(
                    "inner dims differ: lhs {} has {k} columns, rhs {} has {k2} rows",
                    self.shape(),
                    rhs.shape()
                ),
            ));
        }
        let batch = Shape::from(&self.dims()[..ra - 3])
            .broadcast(&Shape::from(&rhs.dims()[..rb - 3]), OP)?;
        let with = |extra: [usize; 3]| Shape::from([batch.dims(), &extra[..]].concat());
        let a = self.broadcast_to(with([m, k, 2]))?;
        let b = rhs.broadcast_to(with([k, n, 2]))?;
        let s = a.storage().complex_matmul(
            a.layout(),
            &b.storage(),
            b.layout(),
            [conj_lhs, conj_rhs],
        )?;
        Ok(Tensor::from_storage(s, with([m, n, 2])))
    }
}
