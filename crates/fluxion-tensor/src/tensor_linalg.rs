//! Matrix products and index ops: matmul, concat, stack, index_select, gather, scatter_add.

use fluxion_device::DType;

use crate::{invalid, Error, Layout, Result, Shape, Storage, Tensor};

impl Tensor {
    /// Matrix product with batch broadcasting: `[…, m, k] · […, k, n] → […, m, n]`.
    /// A rank-1 operand is treated as a row (lhs) or column (rhs) vector and that axis is
    /// removed from the result, as in NumPy's `matmul`.
    ///
    /// # Errors
    /// [`Error::MatmulShape`] when inner dims differ; [`Error::BroadcastIncompatible`] for batch
    /// dims; dtype and device errors.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.check_pair(rhs, "matmul", true)?;
        if self.rank() == 0 || rhs.rank() == 0 {
            return Err(invalid(
                "matmul",
                format!(
                    "operands must have rank >= 1, got {} and {}",
                    self.shape(),
                    rhs.shape()
                ),
            ));
        }
        let a = if self.rank() == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if rhs.rank() == 1 {
            rhs.unsqueeze(1)?
        } else {
            rhs.clone()
        };
        let (ra, rb) = (a.rank(), b.rank());
        let (m, k) = (a.dims()[ra - 2], a.dims()[ra - 1]);
        let (k2, n) = (b.dims()[rb - 2], b.dims()[rb - 1]);
        if k != k2 {
            return Err(Error::MatmulShape {
                lhs: self.shape().clone(),
                rhs: rhs.shape().clone(),
            });
        }
        let batch = Shape::from(&a.dims()[..ra - 2])
            .broadcast(&Shape::from(&b.dims()[..rb - 2]), "matmul")?;
        let with = |extra: [usize; 2]| Shape::from([batch.dims(), &extra[..]].concat());
        let a = a.broadcast_to(with([m, k]))?;
        let b = b.broadcast_to(with([k, n]))?;
        let s = a.storage().matmul(a.layout(), &b.storage(), b.layout())?;
        let mut out = Tensor::from_storage(s, with([m, n]));
        // Drop the promoted axes: m (second to last) first, so that for two vectors the n axis
        // is still last when it goes.
        if self.rank() == 1 {
            out = out.squeeze(-2)?;
        }
        if rhs.rank() == 1 {
            out = out.squeeze(-1)?;
        }
        Ok(out)
    }

    /// Tensors joined along `axis`; all other dims must agree.
    ///
    /// # Errors
    /// When the list is empty, shapes disagree off `axis`, or dtypes/devices differ.
    pub fn concat(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| invalid("concat", "needs at least one tensor"))?;
        let a = first.axis(axis, "concat")?;
        let mut dims = first.dims().to_vec();
        dims[a] = 0;
        for t in tensors {
            first.check_pair(t, "concat", true)?;
            let ok = t.rank() == first.rank()
                && t.dims()
                    .iter()
                    .zip(first.dims())
                    .enumerate()
                    .all(|(i, (x, y))| i == a || x == y);
            if !ok {
                return Err(Error::ShapeMismatch {
                    op: "concat",
                    expected: format!("{} off axis {a}", first.shape()),
                    got: t.shape().clone(),
                });
            }
            dims[a] += t.dims()[a];
        }
        let guards: Vec<_> = tensors.iter().map(|t| t.storage()).collect();
        let parts: Vec<(&Storage, &Layout)> = guards
            .iter()
            .zip(tensors)
            .map(|(g, t)| (&**g, t.layout()))
            .collect();
        let s = Storage::concat(&parts, a)?;
        Ok(Tensor::from_storage(s, dims))
    }

    /// Tensors of one shape stacked along a new axis `axis`.
    ///
    /// # Errors
    /// As [`Tensor::concat`]; shapes must be equal.
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| invalid("stack", "needs at least one tensor"))?;
        for t in tensors {
            if t.shape() != first.shape() {
                return Err(Error::ShapeMismatch {
                    op: "stack",
                    expected: first.shape().to_string(),
                    got: t.shape().clone(),
                });
            }
        }
        // The new axis may sit at any of rank + 1 positions.
        let r = first.rank() as isize + 1;
        if !(-r..r).contains(&axis) {
            return Err(Error::AxisOutOfRange {
                op: "stack",
                axis,
                rank: first.rank(),
                shape: first.shape().clone(),
            });
        }
        let expanded = tensors
            .iter()
            .map(|t| t.unsqueeze(axis))
            .collect::<Result<Vec<_>>>()?;
        Tensor::concat(&expanded.iter().collect::<Vec<_>>(), axis)
    }

    fn check_ids(ids: &Tensor, op: &'static str) -> Result<()> {
        if ids.dtype() != DType::I64 {
            return Err(Error::DTypeMismatch {
                op,
                lhs: ids.dtype(),
                rhs: DType::I64,
            });
        }
        Ok(())
    }

    /// Slices along `axis` chosen by the rank-1 `I64` tensor `ids` (repeats allowed).
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`]; `ids` not rank-1 `I64`; axis and device errors.
    pub fn index_select(&self, ids: &Tensor, axis: isize) -> Result<Tensor> {
        let a = self.axis(axis, "index_select")?;
        self.check_pair(ids, "index_select", false)?;
        Self::check_ids(ids, "index_select (ids must be i64)")?;
        ids.check_rank(1, "index_select (ids)")?;
        let s = self
            .storage()
            .index_select(self.layout(), &ids.storage(), ids.layout(), a)?;
        let mut dims = self.dims().to_vec();
        dims[a] = ids.elem_count();
        Ok(Tensor::from_storage(s, dims))
    }

    /// `out[i…, j, k…] = self[i…, ids[i…, j, k…], k…]` along `axis` (PyTorch's `gather`);
    /// `ids` has this tensor's rank and no larger extent on any other axis.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`]; shape, dtype, axis and device errors.
    pub fn gather(&self, ids: &Tensor, axis: isize) -> Result<Tensor> {
        let a = self.axis(axis, "gather")?;
        self.check_pair(ids, "gather", false)?;
        Self::check_ids(ids, "gather (ids must be i64)")?;
        self.check_index_shape(ids, a, "gather")?;
        let s = self
            .storage()
            .gather(self.layout(), &ids.storage(), ids.layout(), a)?;
        Ok(Tensor::from_storage(s, ids.shape().clone()))
    }

    /// A copy of this tensor with `src[i…, j, k…]` added at `[i…, ids[i…, j, k…], k…]` along
    /// `axis` (PyTorch's `scatter_add`); repeated indices accumulate.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`]; `src` smaller than `ids`; shape, dtype and device errors.
    pub fn scatter_add(&self, ids: &Tensor, src: &Tensor, axis: isize) -> Result<Tensor> {
        let a = self.axis(axis, "scatter_add")?;
        self.check_pair(ids, "scatter_add", false)?;
        self.check_pair(src, "scatter_add", true)?;
        Self::check_ids(ids, "scatter_add (ids must be i64)")?;
        self.check_index_shape(ids, a, "scatter_add")?;
        if src.rank() != ids.rank() || src.dims().iter().zip(ids.dims()).any(|(s, i)| s < i) {
            return Err(Error::ShapeMismatch {
                op: "scatter_add",
                expected: format!("src at least as large as ids {}", ids.shape()),
                got: src.shape().clone(),
            });
        }
        // Walk src by the ids' shape.
        let src_view = src.as_strided(Layout::new(
            ids.shape().clone(),
            src.layout().strides().to_vec(),
            src.layout().start_offset(),
        ))?;
        let s = self.storage().scatter_add(
            self.layout(),
            &ids.storage(),
            ids.layout(),
            &src_view.storage(),
            src_view.layout(),
            a,
        )?;
        Ok(Tensor::from_storage(s, self.shape().clone()))
    }

    fn check_index_shape(&self, ids: &Tensor, axis: usize, op: &'static str) -> Result<()> {
        let ok = ids.rank() == self.rank()
            && ids
                .dims()
                .iter()
                .zip(self.dims())
                .enumerate()
                .all(|(i, (x, y))| i == axis || x <= y);
        if !ok {
            return Err(Error::ShapeMismatch {
                op,
                expected: format!(
                    "ids of rank {} no larger than {} off axis {axis}",
                    self.rank(),
                    self.shape()
                ),
                got: ids.shape().clone(),
            });
        }
        Ok(())
    }
}
