//! Neural-network building blocks: modules with named parameters, initialisers, losses,
//! optimizers, learning-rate schedulers and safetensors checkpoints.
//!
//! - [`Module`]: `forward` plus a parameter visitor with PyTorch-style dotted names;
//!   [`Linear`], [`Mlp`], [`Sequential`], [`Activation`].
//! - [`init`]: `torch.nn.init`'s initialisers (uniform, normal, Xavier, Kaiming, orthogonal).
//! - [`optim`]: SGD, Adam, AdamW, RMSprop and L-BFGS with a strong-Wolfe line search, with
//!   PyTorch's arithmetic; step, exponential, cosine and plateau schedulers; gradient clipping.
//! - Checkpoints: [`save_checkpoint`] / [`load_checkpoint`] write `model.safetensors` (loadable by
//!   `safetensors.torch.load_file`) and `optimizer.safetensors`, each through a temporary file
//!   and a rename.
//!
//! One training step of a PINN for u' + u = 0 — the derivative is taken with
//! `create_graph`, so the loss backpropagates through it:
//!
//! ```
//! use fluxion_autodiff::{grad, Var};
//! use fluxion_nn::loss::mse_loss;
//! use fluxion_nn::optim::{Adam, AdamConfig};
//! use fluxion_nn::{Activation, Mlp, Module, Optimizer};
//! use fluxion_tensor::{DType, Device, Tensor};
//!
//! let net = Mlp::builder(&[1, 32, 32, 1]).activation(Activation::Tanh).seed(0).build()?;
//! let mut opt = Adam::new(net.parameters(), AdamConfig { lr: 1e-3, ..Default::default() })?;
//! let t = Var::leaf(Tensor::linspace(0.0, 2.0, 64, DType::F32, &Device::Cpu)?.reshape([64, 1])?);
//! let u = net.forward(&t)?;
//! let du = grad(&[u.clone()], &[t.clone()], None, true);
//! assert!(du.is_err(), "u is not a scalar: an explicit output gradient is needed");
//! let ones = Var::constant(Tensor::ones([64, 1], DType::F32, &Device::Cpu)?);
//! let du = grad(&[u.clone()], &[t.clone()], Some(&[ones]), true)?.remove(0);
//! let zero = Var::constant(Tensor::zeros([64, 1], DType::F32, &Device::Cpu)?);
//! let loss = mse_loss(&du.add(&u)?, &zero)?;
//! opt.zero_grad();
//! loss.backward()?;
//! opt.step()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod activation;
mod checkpoint;
mod error;
pub mod init;
mod linear;
pub mod loss;
mod mlp;
mod module;
pub mod optim;
mod sequential;

pub use activation::Activation;
pub use checkpoint::{
    load_checkpoint, load_module, load_optimizer, load_tensors, save_checkpoint, save_module,
    save_optimizer, save_tensors, MODEL_FILE, OPTIMIZER_FILE,
};
pub use error::{Error, Result};
pub use linear::Linear;
pub use mlp::{Mlp, MlpBuilder, WeightInit};
pub use module::{visit_child, Module};
pub use optim::{
    clip_grad_norm, clip_grad_value, Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLr,
    CurvatureTest, ExponentialLr, Lbfgs, LbfgsConfig, LrScheduler, Optimizer, OptimizerState,
    PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauConfig, RmsProp, RmsPropConfig, Sgd,
    SgdConfig, StepLr, StrongWolfe, ThresholdMode,
};
pub use sequential::Sequential;
