//! Parameter initialisers with the semantics of PyTorch's `torch.nn.init`.
//!
//! Each function returns a new tensor of the requested shape, dtype and device instead of
//! filling one in place. Random draws come from a counter-based Philox [`Generator`], so the
//! same seed gives the same tensor on every run and device. Fans follow PyTorch: for a weight
//! of shape `[out, in, k₁, k₂, …]`, `fan_in = in·k₁·k₂·…` and `fan_out = out·k₁·k₂·…`
//! (see [`fan_in_and_fan_out`]).
//!
//! ```
//! use fluxion_nn::init::{self, FanMode, Nonlinearity};
//! use fluxion_tensor::{random::Generator, DType, Device};
//! let mut g = Generator::new(0);
//! let w = init::kaiming_normal(0.0, FanMode::FanIn, Nonlinearity::Relu, [64, 32], DType::F32,
//!     &Device::Cpu, &mut g)?;
//! assert_eq!(w.dims(), &[64, 32]);
//! # Ok::<(), fluxion_nn::Error>(())
//! ```

use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Shape, Tensor};

use crate::{Error, Result};

/// Which fan a Kaiming initialiser scales by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FanMode {
    /// `fan_in`: preserves the variance of activations in the forward pass (PyTorch's default).
    FanIn,
    /// `fan_out`: preserves the variance of gradients in the backward pass.
    FanOut,
}

/// The nonlinearity that follows a layer, for [`calculate_gain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nonlinearity {
    /// No nonlinearity (`linear`); gain 1.
    Linear,
    /// The identity; gain 1.
    Identity,
    /// Any convolution or transposed convolution (PyTorch's `conv*d`); gain 1.
    Conv,
    /// The logistic sigmoid; gain 1.
    Sigmoid,
    /// tanh; gain 5/3.
    Tanh,
    /// ReLU; gain √2.
    Relu,
    /// Leaky ReLU with negative slope `param` (default 0.01); gain √(2 / (1 + slope²)).
    LeakyRelu,
    /// SELU; gain 3/4.
    Selu,
}

fn invalid(what: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidArgument {
        what,
        reason: reason.into(),
    }
}

fn check_float(what: &'static str, dtype: DType) -> Result<()> {
    if dtype.is_float() {
        Ok(())
    } else {
        Err(invalid(
            what,
            format!("needs a floating-point dtype (f16, bf16, f32, f64), got {dtype}"),
        ))
    }
}

/// The recommended gain for `nonlinearity`, as PyTorch's `calculate_gain`: 1 for linear,
/// identity, convolutions and sigmoid; 5/3 for tanh; √2 for ReLU; √(2 / (1 + slope²)) for leaky
/// ReLU with `slope = param.unwrap_or(0.01)`; 3/4 for SELU. `param` is ignored otherwise.
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear
        | Nonlinearity::Identity
        | Nonlinearity::Conv
        | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => std::f64::consts::SQRT_2,
        Nonlinearity::LeakyRelu => {
            let slope = param.unwrap_or(0.01);
            (2.0 / (1.0 + slope * slope)).sqrt()
        }
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight with dimensions `dims`, as PyTorch's
/// `_calculate_fan_in_and_fan_out`: `fan_in = dims[1]·r`, `fan_out = dims[0]·r` with the
/// receptive field size `r = dims[2]·dims[3]·…` (1 for a matrix).
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two dimensions.
pub fn fan_in_and_fan_out(dims: &[usize]) -> Result<(usize, usize)> {
    if dims.len() < 2 {
        return Err(invalid(
            "fan_in_and_fan_out",
            format!(
                "fans need a tensor with at least 2 dimensions, got shape {}",
                Shape::from(dims)
            ),
        ));
    }
    let receptive: usize = dims[2..].iter().product();
    Ok((dims[1] * receptive, dims[0] * receptive))
}

/// Uniform values on `[lo, hi)`: `U(lo, hi)`, with mean `(lo + hi)/2` and variance
/// `(hi − lo)²/12`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `lo > hi`, a bound is not finite, or `dtype` is not a
/// floating-point type; device errors.
pub fn uniform(
    lo: f64,
    hi: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    uniform_named("uniform", lo, hi, shape.into(), dtype, device, gen)
}

fn uniform_named(
    what: &'static str,
    lo: f64,
    hi: f64,
    shape: Shape,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    check_float(what, dtype)?;
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(invalid(
            what,
            format!("needs finite bounds, got [{lo}, {hi})"),
        ));
    }
    if lo > hi {
        return Err(invalid(
            what,
            format!("needs lo <= hi, got lo = {lo} > hi = {hi}"),
        ));
    }
    Ok(Tensor::rand(lo, hi, shape, dtype, device, gen)?)
}

/// Normal values `N(mean, std²)`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `std` is negative, an argument is not finite, or `dtype`
/// is not a floating-point type; device errors.
pub fn normal(
    mean: f64,
    std: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    normal_named("normal", mean, std, shape.into(), dtype, device, gen)
}

fn normal_named(
    what: &'static str,
    mean: f64,
    std: f64,
    shape: Shape,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    check_float(what, dtype)?;
    if !(mean.is_finite() && std.is_finite()) {
        return Err(invalid(
            what,
            format!("needs a finite mean and std, got mean = {mean}, std = {std}"),
        ));
    }
    if std < 0.0 {
        return Err(invalid(what, format!("needs std >= 0, got {std}")));
    }
    Ok(Tensor::randn(mean, std, shape, dtype, device, gen)?)
}

/// Every element equal to `value` (converted to `dtype`; any dtype).
///
/// # Errors
/// Device errors.
pub fn constant(
    value: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    Ok(Tensor::full(value, shape, dtype, device)?)
}

/// Checks the shape has fans and the gain is usable; returns the fans.
fn fans_for(what: &'static str, shape: &Shape, gain: f64) -> Result<(usize, usize)> {
    let fans = fan_in_and_fan_out(shape.dims()).map_err(|_| {
        invalid(
            what,
            format!("needs a tensor with at least 2 dimensions, got shape {shape}"),
        )
    })?;
    if !(gain.is_finite() && gain >= 0.0) {
        return Err(invalid(
            what,
            format!("needs a finite, non-negative gain, got {gain}"),
        ));
    }
    Ok(fans)
}

/// `σ = gain·√(2 / (fan_in + fan_out))` of the Xavier initialisers after checking the shape,
/// gain and dtype, or `None` for an empty tensor.
fn xavier_std(what: &'static str, shape: &Shape, gain: f64, dtype: DType) -> Result<Option<f64>> {
    let (fan_in, fan_out) = fans_for(what, shape, gain)?;
    check_float(what, dtype)?;
    Ok((shape.elem_count() > 0).then(|| gain * (2.0 / (fan_in + fan_out) as f64).sqrt()))
}

/// Glorot & Bengio (2010), uniform: `U(−b, b)` with `b = gain·√(6 / (fan_in + fan_out))`,
/// i.e. variance `gain²·2 / (fan_in + fan_out)`.
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two dimensions, a negative or non-finite gain,
/// or a non-float dtype; device errors.
pub fn xavier_uniform(
    gain: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    const WHAT: &str = "xavier_uniform";
    let shape = shape.into();
    let Some(std) = xavier_std(WHAT, &shape, gain, dtype)? else {
        return Ok(Tensor::zeros(shape, dtype, device)?);
    };
    let bound = 3f64.sqrt() * std;
    uniform_named(WHAT, -bound, bound, shape, dtype, device, gen)
}

/// Glorot & Bengio (2010), normal: `N(0, σ²)` with `σ = gain·√(2 / (fan_in + fan_out))`.
///
/// # Errors
/// As [`xavier_uniform`].
pub fn xavier_normal(
    gain: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    const WHAT: &str = "xavier_normal";
    let shape = shape.into();
    let Some(std) = xavier_std(WHAT, &shape, gain, dtype)? else {
        return Ok(Tensor::zeros(shape, dtype, device)?);
    };
    normal_named(WHAT, 0.0, std, shape, dtype, device, gen)
}

/// Glorot & Bengio (2010) normal truncated at two standard deviations, as TensorFlow 1's
/// `tf.truncated_normal(stddev = gain·√(2 / (fan_in + fan_out)))` — the initialisation of Raissi
/// et al.'s PINN code (`xavier_init`). Values beyond ±2σ are redrawn, so the draws keep σ as
/// their scale parameter but have standard deviation ≈ 0.880·σ.
///
/// # Errors
/// As [`xavier_uniform`].
pub fn xavier_truncated_normal(
    gain: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    const WHAT: &str = "xavier_truncated_normal";
    let shape = shape.into();
    // A zero gain gives zeros, as the untruncated initialisers do (the interval is a point).
    let Some(std) = xavier_std(WHAT, &shape, gain, dtype)?.filter(|&s| s > 0.0) else {
        return Ok(Tensor::zeros(shape, dtype, device)?);
    };
    trunc_normal_named(
        WHAT,
        0.0,
        std,
        -2.0 * std,
        2.0 * std,
        shape,
        dtype,
        device,
        gen,
    )
}

/// `N(mean, std²)` conditioned on `[a, b]`: draws outside the interval are replaced by fresh
/// ones (the law of `torch.nn.init.trunc_normal_`, which samples it by inverse CDF instead, and
/// of TensorFlow's `truncated_normal` with `[a, b] = mean ± 2·std`). Draws are made in f64 on the
/// host from `gen`'s normal stream, in order, then converted to `dtype` and moved to `device`.
///
/// # Errors
/// A non-finite or negative `std`, `a >= b`, an interval so far in the tails that a round of
/// 1024 draws lands no value in it; integer dtypes; device errors.
#[allow(clippy::too_many_arguments)]
pub fn trunc_normal(
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    trunc_normal_named(
        "trunc_normal",
        mean,
        std,
        a,
        b,
        shape.into(),
        dtype,
        device,
        gen,
    )
}

#[allow(clippy::too_many_arguments)]
fn trunc_normal_named(
    what: &'static str,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    shape: Shape,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    check_float(what, dtype)?;
    if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
        return Err(invalid(
            what,
            format!("needs a finite mean and std >= 0, got mean = {mean}, std = {std}"),
        ));
    }
    if a.is_nan() || b.is_nan() || a >= b {
        return Err(invalid(
            what,
            format!("needs an interval a < b, got [{a}, {b}]"),
        ));
    }
    let n = shape.elem_count();
    let mut kept = Vec::with_capacity(n);
    while kept.len() < n {
        let need = n - kept.len();
        // Twice what is missing (a ±2σ interval keeps 95 %), and at least 1024 draws.
        let batch = (2 * need).max(1024);
        let draws =
            Tensor::randn(mean, std, [batch], DType::F64, &Device::Cpu, gen)?.to_vec::<f64>()?;
        let before = kept.len();
        kept.extend(draws.into_iter().filter(|v| (a..=b).contains(v)).take(need));
        if kept.len() == before {
            return Err(invalid(
                what,
                format!(
                    "no draw of {batch} from N({mean}, {std}²) fell in [{a}, {b}]: the interval holds too little of the distribution to sample by redrawing"
                ),
            ));
        }
    }
    Ok(Tensor::from_vec(kept, shape, &Device::Cpu)?
        .to_dtype(dtype)?
        .to_device(device)?)
}

/// `σ = gain / √fan` for the Kaiming initialisers, or `None` for an empty tensor.
fn kaiming_std(
    what: &'static str,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    shape: &Shape,
    dtype: DType,
) -> Result<Option<f64>> {
    if !a.is_finite() {
        return Err(invalid(what, format!("needs a finite slope a, got {a}")));
    }
    let gain = calculate_gain(nonlinearity, Some(a));
    let (fan_in, fan_out) = fans_for(what, shape, gain)?;
    check_float(what, dtype)?;
    if shape.elem_count() == 0 {
        return Ok(None);
    }
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    Ok(Some(gain / (fan as f64).sqrt()))
}

/// He et al. (2015), uniform: `U(−b, b)` with `b = gain·√(3 / fan)`, i.e. variance
/// `gain² / fan`, where `gain = calculate_gain(nonlinearity, Some(a))` (`a` is the negative
/// slope, used by [`Nonlinearity::LeakyRelu`] only) and `fan` is `fan_in` or `fan_out` by
/// `mode`. PyTorch's defaults are `a = 0`, [`FanMode::FanIn`], [`Nonlinearity::LeakyRelu`].
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two dimensions, a non-finite `a`, or a non-float
/// dtype; device errors.
pub fn kaiming_uniform(
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    const WHAT: &str = "kaiming_uniform";
    let shape = shape.into();
    match kaiming_std(WHAT, a, mode, nonlinearity, &shape, dtype)? {
        None => Ok(Tensor::zeros(shape, dtype, device)?),
        Some(std) => {
            let bound = 3f64.sqrt() * std;
            uniform_named(WHAT, -bound, bound, shape, dtype, device, gen)
        }
    }
}

/// He et al. (2015), normal: `N(0, σ²)` with `σ = gain / √fan`, with `gain` and `fan` as in
/// [`kaiming_uniform`].
///
/// # Errors
/// As [`kaiming_uniform`].
pub fn kaiming_normal(
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    const WHAT: &str = "kaiming_normal";
    let shape = shape.into();
    match kaiming_std(WHAT, a, mode, nonlinearity, &shape, dtype)? {
        None => Ok(Tensor::zeros(shape, dtype, device)?),
        Some(std) => normal_named(WHAT, 0.0, std, shape, dtype, device, gen),
    }
}

/// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014), as PyTorch's `orthogonal_`.
///
/// The tensor is viewed as `rows × cols` with `rows = dims[0]` and `cols` the product of the
/// rest. A matrix `A` of standard normal draws (in f64) is transposed if `rows < cols`,
/// factored `A = QR` by Householder reflections, and `Q`'s columns are multiplied by
/// `sign(diag R)` so that `Q` is Haar-distributed; the result is `gain·Q` (transposed back),
/// so `WᵀW = gain²·I` when `rows ≥ cols` and `WWᵀ = gain²·I` otherwise. It is computed in f64
/// and then cast to `dtype`.
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two dimensions, a non-finite gain or a non-float
/// dtype; device errors.
pub fn orthogonal(
    gain: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    const WHAT: &str = "orthogonal";
    let shape = shape.into();
    if shape.rank() < 2 {
        return Err(invalid(
            WHAT,
            format!("needs a tensor with at least 2 dimensions, got shape {shape}"),
        ));
    }
    if !gain.is_finite() {
        return Err(invalid(WHAT, format!("needs a finite gain, got {gain}")));
    }
    check_float(WHAT, dtype)?;
    if shape.elem_count() == 0 {
        return Ok(Tensor::zeros(shape, dtype, device)?);
    }
    let rows = shape.dims()[0];
    let cols = shape.elem_count() / rows;
    let a =
        Tensor::randn(0.0, 1.0, [rows, cols], DType::F64, &Device::Cpu, gen)?.to_vec::<f64>()?;
    let mut out = if rows < cols {
        transpose(
            &householder_q(cols, rows, transpose(&a, rows, cols)),
            cols,
            rows,
        )
    } else {
        householder_q(rows, cols, a)
    };
    for x in &mut out {
        *x *= gain;
    }
    let t = Tensor::from_vec(out, shape, device)?;
    Ok(if dtype == DType::F64 {
        t
    } else {
        t.to_dtype(dtype)?
    })
}

/// The transpose of the row-major `rows × cols` matrix `a`.
fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = a[i * cols + j];
        }
    }
    t
}

/// The `m × n` factor `Q·diag(sign(diag R))` of the thin QR factorisation of the row-major
/// `m × n` matrix `a` (`m ≥ n`), by Householder reflections `H = I − 2vvᵀ/(vᵀv)`.
fn householder_q(m: usize, n: usize, mut a: Vec<f64>) -> Vec<f64> {
    debug_assert!(m >= n && a.len() == m * n);
    // Reflector j acts on rows j..m; `vs[j]` holds its vector and vᵀv (0 for the identity).
    let mut vs: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n);
    let mut r_diag = vec![0.0; n];
    for j in 0..n {
        let mut v: Vec<f64> = (j..m).map(|i| a[i * n + j]).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        // Reflect x onto −sign(x₀)·‖x‖·e₁: no cancellation in v₀ = x₀ − α.
        let alpha = if v[0] >= 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vv = v.iter().map(|x| x * x).sum::<f64>();
        if vv > 0.0 {
            for c in j..n {
                let dot: f64 = (j..m).map(|i| v[i - j] * a[i * n + c]).sum();
                let f = 2.0 * dot / vv;
                for i in j..m {
                    a[i * n + c] -= f * v[i - j];
                }
            }
        }
        r_diag[j] = alpha;
        vs.push((v, vv));
    }
    // Q = H₀H₁…Hₙ₋₁ applied to the first n columns of the identity, innermost first. Before
    // Hⱼ is applied, columns < j are still unit vectors with zeros in rows j..m.
    let mut q = vec![0.0; m * n];
    for j in 0..n {
        q[j * n + j] = 1.0;
    }
    for (j, (v, vv)) in vs.iter().enumerate().rev() {
        if *vv == 0.0 {
            continue;
        }
        for c in j..n {
            let dot: f64 = (j..m).map(|i| v[i - j] * q[i * n + c]).sum();
            let f = 2.0 * dot / vv;
            for i in j..m {
                q[i * n + c] -= f * v[i - j];
            }
        }
    }
    // Make diag R positive (a zero counts as positive), which makes Q unique.
    for (c, d) in r_diag.iter().enumerate() {
        if *d < 0.0 {
            for i in 0..m {
                q[i * n + c] = -q[i * n + c];
            }
        }
    }
    q
}

/// PyTorch's default `nn.Linear` weight, shape `[out_features, in_features]`:
/// `kaiming_uniform(a = √5, FanIn, LeakyRelu)`, which is `U(−1/√in_features, 1/√in_features)`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a non-float dtype; device errors.
pub fn linear_default_weight(
    out_features: usize,
    in_features: usize,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    kaiming_uniform(
        5f64.sqrt(),
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        [out_features, in_features],
        dtype,
        device,
        gen,
    )
}

/// PyTorch's default `nn.Linear` bias, shape `[out_features]`: `U(−b, b)` with
/// `b = 1/√fan_in` (`b = 0` when `fan_in` is 0).
///
/// # Errors
/// [`Error::InvalidArgument`] for a non-float dtype; device errors.
pub fn linear_default_bias(
    out_features: usize,
    fan_in: usize,
    dtype: DType,
    device: &Device,
    gen: &mut Generator,
) -> Result<Tensor> {
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    uniform_named(
        "linear_default_bias",
        -bound,
        bound,
        Shape::from(out_features),
        dtype,
        device,
        gen,
    )
}
