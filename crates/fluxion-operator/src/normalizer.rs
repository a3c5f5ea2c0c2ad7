//! Unit-Gaussian normalisers as differentiable `Var` maps, around
//! [`fluxion_data::loader::UnitGaussianNormalizer`] (FNO's `UnitGaussianNormalizer` and
//! `GaussianNormalizer`).
//!
//! `encode(x) = (x − μ)/(σ + ε)`, `decode(y) = y·(σ + ε) + μ` with μ, σ broadcast over the
//! leading (batch) axes. `fourier_2d.py` decodes the model output inside the graph and takes
//! the loss on the physical scale; [`VarNormalizer::decode`] records the same ops.
//!
//! ```
//! use fluxion_autodiff::Var;
//! use fluxion_data::loader::UnitGaussianNormalizer;
//! use fluxion_operator::VarNormalizer;
//! use fluxion_tensor::{DType, Device, Tensor};
//! let train = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 5.0], vec![2, 2], &Device::Cpu)?;
//! let n = VarNormalizer::new(UnitGaussianNormalizer::fit_pointwise(&train)?, DType::F32, &Device::Cpu)?;
//! let x = Var::constant(train.clone());
//! let back = n.decode(&n.encode(&x)?)?;
//! let err = back.sub(&x)?.abs()?.max_all()?.tensor().to_scalar::<f32>()?;
//! assert!(err < 1e-6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use fluxion_autodiff::Var;
use fluxion_data::loader::UnitGaussianNormalizer;
use fluxion_tensor::{DType, Device, Tensor};

use crate::Result;

/// A fitted unit-Gaussian normaliser whose statistics live on a device as tensors, so encoding
/// and decoding are graph ops.
#[derive(Debug, Clone)]
pub struct VarNormalizer {
    inner: UnitGaussianNormalizer,
    mean: Var,
    scale: Var,
}

impl VarNormalizer {
    /// Moves `inner`'s μ and σ + ε to `device` in `dtype`.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn new(inner: UnitGaussianNormalizer, dtype: DType, device: &Device) -> Result<Self> {
        let shape = if inner.shape().is_empty() {
            vec![1]
        } else {
            inner.shape().to_vec()
        };
        let eps = UnitGaussianNormalizer::EPS;
        let tensors = inner.to_tensors("n")?;
        let eps = tensors
            .iter()
            .find(|(k, _)| k == "n.eps")
            .map_or(Ok(eps), |(_, t)| t.to_scalar_any())?;
        let to = |v: Vec<f32>| -> Result<Var> {
            let t = Tensor::from_vec(v, shape.clone(), &Device::Cpu)?.to_dtype(dtype)?;
            Ok(Var::constant(crate::data::to_device(&t, device)?))
        };
        let scale: Vec<f32> = inner.std().iter().map(|s| s + eps).collect();
        Ok(VarNormalizer {
            mean: to(inner.mean().to_vec())?,
            scale: to(scale)?,
            inner,
        })
    }

    /// Per-point statistics of `train` (`[N, …]`), FNO's `UnitGaussianNormalizer`.
    ///
    /// # Errors
    /// Fewer than 2 samples; tensor errors.
    pub fn fit_pointwise(train: &Tensor, dtype: DType, device: &Device) -> Result<Self> {
        Self::new(UnitGaussianNormalizer::fit_pointwise(train)?, dtype, device)
    }

    /// Scalar statistics of `train`, FNO's `GaussianNormalizer`.
    ///
    /// # Errors
    /// Fewer than 2 values; tensor errors.
    pub fn fit_global(train: &Tensor, dtype: DType, device: &Device) -> Result<Self> {
        Self::new(UnitGaussianNormalizer::fit_global(train)?, dtype, device)
    }

    /// The wrapped statistics.
    pub fn inner(&self) -> &UnitGaussianNormalizer {
        &self.inner
    }

    /// `(x − μ)/(σ + ε)`.
    ///
    /// # Errors
    /// When `x`'s trailing shape does not broadcast with the statistics'.
    pub fn encode(&self, x: &Var) -> Result<Var> {
        Ok(x.sub(&self.mean)?.div(&self.scale)?)
    }

    /// `y·(σ + ε) + μ`.
    ///
    /// # Errors
    /// As [`VarNormalizer::encode`].
    pub fn decode(&self, y: &Var) -> Result<Var> {
        Ok(y.mul(&self.scale)?.add(&self.mean)?)
    }

    /// [`VarNormalizer::encode`] of a plain tensor (no graph).
    ///
    /// # Errors
    /// As [`VarNormalizer::encode`].
    pub fn encode_tensor(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.encode(&Var::constant(x.clone()))?.tensor())
    }

    /// Named tensors `{prefix}.mean`, `{prefix}.std`, `{prefix}.eps` for a checkpoint.
    ///
    /// # Errors
    /// Tensor errors.
    pub fn to_tensors(&self, prefix: &str) -> Result<Vec<(String, Tensor)>> {
        Ok(self.inner.to_tensors(prefix)?)
    }

    /// Rebuilds a normaliser saved by [`VarNormalizer::to_tensors`].
    ///
    /// # Errors
    /// Missing names or mismatched shapes; tensor errors.
    pub fn from_tensors(
        prefix: &str,
        tensors: &HashMap<String, Tensor>,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        Self::new(
            UnitGaussianNormalizer::from_tensors(prefix, tensors)?,
            dtype,
            device,
        )
    }
}

/// A scalar from a one-element f32 tensor.
trait ScalarAny {
    fn to_scalar_any(&self) -> Result<f32>;
}

impl ScalarAny for Tensor {
    fn to_scalar_any(&self) -> Result<f32> {
        Ok(self.to_dtype(DType::F32)?.to_vec::<f32>()?[0])
    }
}
