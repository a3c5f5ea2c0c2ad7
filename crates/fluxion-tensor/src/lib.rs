//! Fluxion's tensor: an n-dimensional array with shared storage and strided views, one backend
//! trait with CPU (rayon, gemm, rustfft/realfft) and CUDA (NVRTC-compiled kernels, cuBLAS,
//! cuFFT; feature `cuda`) implementations, and counter-based Philox random numbers.
//!
//! ```
//! use fluxion_tensor::{DType, Device, FftNorm, Tensor};
//! let dev = Device::Cpu;
//! let x = Tensor::linspace(0.0, 1.0, 5, DType::F64, &dev)?;
//! let y = x.sin()?.add_scalar(1.0)?;            // elementwise
//! let m = y.reshape([5, 1])?.matmul(&y.reshape([1, 5])?)?; // outer product
//! assert_eq!(m.dims(), &[5, 5]);
//! let spectrum = x.rfft(FftNorm::Backward)?;    // [3, 2]: complex as a trailing (re, im) axis
//! assert_eq!(spectrum.dims(), &[3, 2]);
//! # Ok::<(), fluxion_tensor::Error>(())
//! ```
#![warn(missing_docs)]

pub mod backend;
mod cpu_backend;
#[cfg(feature = "cuda")]
mod cuda_backend;
mod error;
pub mod fused;
mod layout;
mod op;
pub mod random;
mod shape;
mod storage;
mod tensor;
mod tensor_complex;
mod tensor_create;
mod tensor_elementwise;
mod tensor_fft;
mod tensor_linalg;
mod tensor_reduce;
mod tensor_views;
pub mod testing;
pub mod threads;
mod with_dtype;

pub use cpu_backend::CpuStorage;
#[cfg(feature = "cuda")]
pub use cuda_backend::CudaStorage;
pub(crate) use error::invalid;
pub use error::{Error, Result};
pub use fluxion_device::{DType, Device, DeviceLocation};
pub use layout::Layout;
pub use op::{BinaryOp, CmpOp, FftNorm, ReduceOp, UnaryOp};
pub use shape::Shape;
pub use storage::Storage;
pub use tensor::Tensor;
pub use with_dtype::WithDType;
