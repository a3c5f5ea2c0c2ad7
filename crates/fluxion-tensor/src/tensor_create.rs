//! Constructors: constant fills, ranges, identity, host data, ndarray, random draws.

use fluxion_device::{DType, Device};
use half::{bf16, f16};

use crate::random::{self, Generator};
use crate::{invalid, CpuStorage, Error, Result, Shape, Storage, Tensor, WithDType};

/// f32 draws in [lo, hi) rounded to `T`, with any that round up to `hi` replaced by the
/// largest `T` below `hi` (but not below `lo`).
fn round_below<T: WithDType>(
    v: Vec<f32>,
    lo: f64,
    hi: f64,
    next_down: impl Fn(T) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let (t_lo, t_hi) = (T::from_f64(lo), T::from_f64(hi));
    let below_hi = if t_hi.to_f64() >= hi {
        next_down(t_hi)
    } else {
        t_hi
    };
    let below_hi = if below_hi.to_f64() < lo {
        t_lo
    } else {
        below_hi
    };
    v.into_par_iter()
        .map(|x| {
            let r = T::from_f32(x);
            if r.to_f64() >= hi {
                below_hi
            } else {
                r
            }
        })
        .collect()
}

/// A distribution the device can draw itself (`kernels/philox.cu`).
#[derive(Debug, Clone, Copy)]
enum Philox {
    /// Uniform in [lo, hi).
    Uniform(f64, f64),
    /// Normal with (mean, std).
    Normal(f64, f64),
}

impl Philox {
    #[cfg_attr(not(feature = "cuda"), allow(dead_code))]
    fn params(self) -> (f64, f64) {
        match self {
            Philox::Uniform(a, b) | Philox::Normal(a, b) => (a, b),
        }
    }
}

impl Tensor {
    fn from_cpu(cpu: CpuStorage, shape: Shape, device: &Device, op: &'static str) -> Result<Self> {
        Ok(Tensor::from_storage(
            Storage::from_cpu(cpu, device, op)?,
            shape,
        ))
    }

    /// A tensor of `shape` filled with `value` (converted to `dtype`).
    ///
    /// # Errors
    /// When `device` cannot hold tensors.
    pub fn full(
        value: f64,
        shape: impl Into<Shape>,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let shape = shape.into();
        Ok(Tensor::from_storage(
            Storage::full(value, shape.elem_count(), dtype, device)?,
            shape,
        ))
    }

    /// A copy of this tensor on `device` (contiguous, same dtype and values bit for bit), or the
    /// tensor itself when it is already there.
    ///
    /// ```
    /// use fluxion_tensor::{DType, Device, Tensor};
    /// let x = Tensor::ones([2, 3], DType::F32, &Device::Cpu)?;
    /// let y = x.to_device(&Device::Cpu)?;
    /// assert!(y.same_storage(&x));
    /// # Ok::<(), fluxion_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// When a copy to or from a GPU fails.
    pub fn to_device(&self, device: &Device) -> Result<Self> {
        if self.device().same_device(device) {
            return Ok(self.clone());
        }
        let host = self.storage().to_cpu(self.layout())?;
        Self::from_cpu(host, self.shape().clone(), device, "to_device")
    }

    /// Zeros.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn zeros(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Self> {
        Self::full(0.0, shape, dtype, device)
    }

    /// Ones.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn ones(shape: impl Into<Shape>, dtype: DType, device: &Device) -> Result<Self> {
        Self::full(1.0, shape, dtype, device)
    }

    /// Zeros with this tensor's shape, dtype and device.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn zeros_like(&self) -> Result<Self> {
        Self::zeros(self.shape().clone(), self.dtype(), self.device())
    }

    /// Ones with this tensor's shape, dtype and device.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn ones_like(&self) -> Result<Self> {
        Self::ones(self.shape().clone(), self.dtype(), self.device())
    }

    /// `value` with this tensor's shape, dtype and device.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn full_like(&self, value: f64) -> Result<Self> {
        Self::full(value, self.shape().clone(), self.dtype(), self.device())
    }

    /// A 0-d tensor holding `value`.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn scalar(value: f64, dtype: DType, device: &Device) -> Result<Self> {
        Self::full(value, (), dtype, device)
    }

    /// `start, start + step, …` up to but excluding `end` (NumPy's `arange`): ⌈(end − start)/step⌉
    /// elements, element i computed as `start + i·step` in f64.
    ///
    /// # Errors
    /// When `step` is zero or any argument is not finite.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType, device: &Device) -> Result<Self> {
        if step == 0.0 || !(start.is_finite() && end.is_finite() && step.is_finite()) {
            return Err(invalid(
                "arange",
                format!("needs finite start, end and a non-zero step, got start={start} end={end} step={step}"),
            ));
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        let v: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        Self::from_cpu(
            CpuStorage::from_f64s(&v, dtype),
            Shape::from(n),
            device,
            "arange",
        )
    }

    /// `n` evenly spaced points from `start` to `end` inclusive (NumPy's `linspace`); the last
    /// point is exactly `end`.
    ///
    /// # Errors
    /// When `start` or `end` is not finite.
    pub fn linspace(start: f64, end: f64, n: usize, dtype: DType, device: &Device) -> Result<Self> {
        if !(start.is_finite() && end.is_finite()) {
            return Err(invalid(
                "linspace",
                format!("needs finite ends, got {start} and {end}"),
            ));
        }
        let v: Vec<f64> = match n {
            0 => Vec::new(),
            1 => vec![start],
            _ => {
                let step = (end - start) / (n - 1) as f64;
                (0..n)
                    .map(|i| {
                        if i == n - 1 {
                            end
                        } else {
                            start + i as f64 * step
                        }
                    })
                    .collect()
            }
        };
        Self::from_cpu(
            CpuStorage::from_f64s(&v, dtype),
            Shape::from(n),
            device,
            "linspace",
        )
    }

    /// The n × n identity.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn eye(n: usize, dtype: DType, device: &Device) -> Result<Self> {
        let mut v = vec![0.0; n * n];
        for i in 0..n {
            v[i * n + i] = 1.0;
        }
        Self::from_cpu(
            CpuStorage::from_f64s(&v, dtype),
            Shape::from([n, n]),
            device,
            "eye",
        )
    }

    /// A tensor owning `data`, interpreted row-major with `shape`.
    ///
    /// # Errors
    /// [`Error::ElementCount`] when `data.len()` differs from the shape's element count.
    pub fn from_vec<T: WithDType>(
        data: Vec<T>,
        shape: impl Into<Shape>,
        device: &Device,
    ) -> Result<Self> {
        let shape = shape.into();
        if data.len() != shape.elem_count() {
            return Err(Error::ElementCount {
                op: "from_vec",
                len: data.len(),
                expected: shape.elem_count(),
                shape,
            });
        }
        Self::from_cpu(T::into_storage(data), shape, device, "from_vec")
    }

    /// A tensor copying `data`, interpreted row-major with `shape`.
    ///
    /// # Errors
    /// As [`Tensor::from_vec`].
    pub fn from_slice<T: WithDType>(
        data: &[T],
        shape: impl Into<Shape>,
        device: &Device,
    ) -> Result<Self> {
        Self::from_vec(data.to_vec(), shape, device)
    }

    /// A tensor copying an ndarray (any layout; the result is row-major).
    ///
    /// # Errors
    /// When `device` cannot hold tensors.
    pub fn from_ndarray<T: WithDType, S: ndarray::Data<Elem = T>, D: ndarray::Dimension>(
        a: &ndarray::ArrayBase<S, D>,
        device: &Device,
    ) -> Result<Self> {
        let shape = Shape::from(a.shape());
        Self::from_vec(a.iter().copied().collect(), shape, device)
    }

    /// The elements as an ndarray of the tensor's shape.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] when `T` is not the tensor's dtype.
    pub fn to_ndarray<T: WithDType>(&self) -> Result<ndarray::ArrayD<T>> {
        let v = self.to_vec::<T>()?;
        Ok(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(self.dims()), v)
                .expect("element count matches shape"),
        )
    }

    /// Uniform values in `[lo, hi)` from `gen`'s Philox stream, which advances past them.
    /// f16/bf16 are drawn in f32 and rounded; a draw that rounding carries up to `hi` (in any
    /// dtype) takes the largest value below `hi` instead.
    ///
    /// ```
    /// use fluxion_tensor::{random::Generator, DType, Device, Tensor};
    /// let mut g = Generator::new(0);
    /// let x = Tensor::rand(0.0, 1.0, [2, 3], DType::F32, &Device::Cpu, &mut g)?;
    /// let y = Tensor::rand(0.0, 1.0, [2, 3], DType::F32, &Device::Cpu, &mut Generator::new(0))?;
    /// assert_eq!(x.to_vec::<f32>()?, y.to_vec::<f32>()?);
    /// # Ok::<(), fluxion_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer dtypes; device errors.
    pub fn rand(
        lo: f64,
        hi: f64,
        shape: impl Into<Shape>,
        dtype: DType,
        device: &Device,
        gen: &mut Generator,
    ) -> Result<Self> {
        // Half types round each f32 draw with the rule below, which only the host applies.
        let on_device =
            (!matches!(dtype, DType::F16 | DType::BF16)).then_some(Philox::Uniform(lo, hi));
        Self::random(
            shape.into(),
            dtype,
            device,
            gen,
            "rand",
            on_device,
            |n, s, o, wide| {
                if wide {
                    return CpuStorage::F64(random::uniform_f64(n, s, o, lo, hi));
                }
                let v = random::uniform_f32(n, s, o, lo as f32, hi as f32);
                // Rounding to a half type can carry a draw just under `hi` up to it; such draws
                // take the largest value below `hi` instead.
                match dtype {
                    DType::F16 => CpuStorage::F16(round_below(v, lo, hi, |x: f16| {
                        f16::from_bits(
                            random::next_down_bits(u64::from(x.to_bits()), 1 << 15) as u16
                        )
                    })),
                    DType::BF16 => CpuStorage::BF16(round_below(v, lo, hi, |x: bf16| {
                        bf16::from_bits(
                            random::next_down_bits(u64::from(x.to_bits()), 1 << 15) as u16
                        )
                    })),
                    _ => CpuStorage::F32(v),
                }
            },
        )
    }

    /// Normal values with `mean` and standard deviation `std` from `gen`'s Philox stream
    /// (Box–Muller), which advances past them.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer dtypes; device errors.
    pub fn randn(
        mean: f64,
        std: f64,
        shape: impl Into<Shape>,
        dtype: DType,
        device: &Device,
        gen: &mut Generator,
    ) -> Result<Self> {
        Self::random(
            shape.into(),
            dtype,
            device,
            gen,
            "randn",
            Some(Philox::Normal(mean, std)),
            |n, s, o, wide| {
                if wide {
                    CpuStorage::F64(random::normal_f64(n, s, o, mean, std))
                } else {
                    CpuStorage::F32(random::normal_f32(n, s, o, mean as f32, std as f32))
                }
            },
        )
    }

    fn random(
        shape: Shape,
        dtype: DType,
        device: &Device,
        gen: &mut Generator,
        op: &'static str,
        on_device: Option<Philox>,
        draw: impl Fn(usize, u64, u64, bool) -> CpuStorage,
    ) -> Result<Self> {
        if !dtype.is_float() {
            return Err(Error::UnsupportedDType {
                op,
                dtype,
                supported: "f16, bf16, f32, f64",
            });
        }
        let n = shape.elem_count();
        let wide = dtype == DType::F64;
        let offset = gen.advance(random::blocks_for(n, wide));
        let t = match (device, on_device) {
            // The same stream drawn by `kernels/philox.cu` where the values are needed.
            #[cfg(feature = "cuda")]
            (Device::Cuda(d), Some(dist)) => {
                let (wide_dtype, (a, b)) =
                    (if wide { DType::F64 } else { DType::F32 }, dist.params());
                let normal = matches!(dist, Philox::Normal(..));
                let st =
                    crate::CudaStorage::philox(d, normal, wide_dtype, n, gen.seed(), offset, a, b)?;
                Tensor::from_storage(Storage::Cuda(st), shape)
            }
            _ => Self::from_cpu(draw(n, gen.seed(), offset, wide), shape, device, op)?,
        };
        if t.dtype() == dtype {
            Ok(t)
        } else {
            t.to_dtype(dtype)
        }
    }
}
