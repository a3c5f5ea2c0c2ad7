//! Fluxion: scientific machine learning with differential equations.
//!
//! This facade re-exports the workspace crates; most users import the [`prelude`].
//!
//! ```
//! use fluxion::prelude::*;
//! let x = Tensor::arange(0.0, 4.0, 1.0, DType::F32, &Device::Cpu).unwrap();
//! assert_eq!(x.sum_all().unwrap().to_scalar::<f32>().unwrap(), 6.0);
//! ```
#![warn(missing_docs)]

pub use fluxion_autodiff as autodiff;
pub use fluxion_data as data;
pub use fluxion_device as device;
pub use fluxion_diffeq as diffeq;
pub use fluxion_nn as nn;
pub use fluxion_tensor as tensor;

/// The names most programs need.
pub mod prelude {
    pub use fluxion_autodiff::{grad, no_grad, Var};
    pub use fluxion_device::{DType, Device, DeviceLocation};
    pub use fluxion_nn::{Activation, Linear, Mlp, Module, Optimizer, Sequential};
    pub use fluxion_tensor::random::Generator;
    pub use fluxion_tensor::{FftNorm, Shape, Tensor};
}
