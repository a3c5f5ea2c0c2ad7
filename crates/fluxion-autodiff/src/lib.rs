//! Reverse-mode automatic differentiation over Fluxion tensors, differentiable to any order.
//!
//! A [`Var`] wraps a [`Tensor`](fluxion_tensor::Tensor) and, when it is the result of an op on
//! variables that require gradients, the node that made it. Every backward rule is written in
//! `Var` ops, so with `create_graph = true` a gradient is itself a recorded function of the
//! inputs and can be differentiated again — second derivatives for PINN residuals,
//! Hessian–vector products, Hutchinson traces for continuous normalizing flows.
//!
//! - [`grad`] / [`grad_with`]: gradients of outputs with respect to any variables.
//! - [`Var::backward`]: accumulate into the `.grad` of leaves, as PyTorch's `backward`.
//! - [`vjp`], [`jvp`], [`hvp`]: function transforms over tensors.
//! - [`no_grad`], [`Var::detach`]: stop recording.
//! - [`gradcheck`], [`gradgradcheck`]: derivatives against central differences in f64.
//!
//! ```
//! use fluxion_autodiff::{grad, Var};
//! use fluxion_tensor::{DType, Device, Tensor};
//! // u(x) = sin(x); u'' = −sin(x), through two nested grads.
//! let x = Var::leaf(Tensor::linspace(0.0, 3.0, 7, DType::F64, &Device::Cpu)?);
//! let u = x.sin()?;
//! let ones = Var::constant(Tensor::ones([7], DType::F64, &Device::Cpu)?);
//! let ux = grad(&[u], &[x.clone()], Some(&[ones.clone()]), true)?;
//! let uxx = grad(&ux, &[x.clone()], Some(&[ones]), false)?;
//! let expected = x.tensor().sin()?.neg()?;
//! let err = uxx[0].tensor().sub(&expected)?.abs()?.max_all()?.to_scalar::<f64>()?;
//! assert!(err < 1e-15);
//! # Ok::<(), fluxion_autodiff::Error>(())
//! ```
#![warn(missing_docs)]

mod backward;
mod error;
mod functional;
mod gradcheck;
mod op;
mod var;
mod var_elementwise;
mod var_fft;
mod var_linalg;
mod var_reduce;
mod var_views;

pub use backward::{grad, grad_with, GradOptions};
pub use error::{Error, Result};
pub use functional::{hvp, jvp, vjp};
pub use gradcheck::{gradcheck, gradgradcheck, GradcheckOptions};
pub use var::{is_grad_enabled, no_grad, GradModeGuard, Var, WeakVar};
