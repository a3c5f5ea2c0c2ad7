//! The affine layer y = x Wᵀ + b.

use fluxion_autodiff::Var;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

use crate::{Error, Module, Result};

/// y = x Wᵀ + b with W of shape `[out, in]` and b of shape `[out]` — PyTorch's `nn.Linear`
/// layout, so parameters named `weight` and `bias` load into it unchanged. Applies to the
/// last axis of an input of any rank ≥ 1.
///
/// ```
/// use fluxion_autodiff::Var;
/// use fluxion_nn::{Linear, Module};
/// use fluxion_tensor::{random::Generator, DType, Device, Tensor};
/// let layer = Linear::new(3, 2, true, DType::F32, &Device::Cpu, &mut Generator::new(0))?;
/// let x = Var::constant(Tensor::ones([5, 3], DType::F32, &Device::Cpu)?);
/// assert_eq!(layer.forward(&x)?.dims(), vec![5, 2]);
/// # Ok::<(), fluxion_nn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Var,
    bias: Option<Var>,
}

impl Linear {
    /// A layer with PyTorch's default initialisation: W and b uniform in ±1/√in
    /// (`kaiming_uniform_(a = √5)` for W works out to exactly this bound).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero width; tensor errors.
    pub fn new(
        in_features: usize,
        out_features: usize,
        bias: bool,
        dtype: DType,
        device: &Device,
        gen: &mut Generator,
    ) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(Error::InvalidArgument {
                what: "Linear::new",
                reason: format!("widths must be positive, got {in_features} → {out_features}"),
            });
        }
        let bound = 1.0 / (in_features as f64).sqrt();
        let w = Tensor::rand(
            -bound,
            bound,
            [out_features, in_features],
            dtype,
            device,
            gen,
        )?;
        let b = if bias {
            Some(Tensor::rand(
                -bound,
                bound,
                [out_features],
                dtype,
                device,
                gen,
            )?)
        } else {
            None
        };
        Linear::from_tensors(w, b)
    }

    /// A layer over given values: `weight` `[out, in]`, `bias` `[out]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the shapes do not fit.
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>) -> Result<Self> {
        if weight.rank() != 2 {
            return Err(Error::InvalidArgument {
                what: "Linear::from_tensors",
                reason: format!("weight must be [out, in], got {}", weight.shape()),
            });
        }
        if let Some(b) = &bias {
            if b.dims() != [weight.dims()[0]] || b.dtype() != weight.dtype() {
                return Err(Error::InvalidArgument {
                    what: "Linear::from_tensors",
                    reason: format!(
                        "bias must be [{}] {}, got {} {}",
                        weight.dims()[0],
                        weight.dtype(),
                        b.shape(),
                        b.dtype()
                    ),
                });
            }
        }
        Ok(Linear {
            weight: Var::leaf(weight),
            bias: bias.map(Var::leaf),
        })
    }

    /// W, `[out, in]`.
    pub fn weight(&self) -> &Var {
        &self.weight
    }

    /// b, `[out]`, if the layer has one.
    pub fn bias(&self) -> Option<&Var> {
        self.bias.as_ref()
    }

    /// Input width.
    pub fn in_features(&self) -> usize {
        self.weight.dims()[1]
    }

    /// Output width.
    pub fn out_features(&self) -> usize {
        self.weight.dims()[0]
    }
}

impl Module for Linear {
    fn forward(&self, x: &Var) -> Result<Var> {
        let y = x.matmul(&self.weight.t()?)?;
        match &self.bias {
            Some(b) => Ok(y.add(b)?),
            None => Ok(y),
        }
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        visitor("weight", &self.weight);
        if let Some(b) = &self.bias {
            visitor("bias", b);
        }
    }
}
