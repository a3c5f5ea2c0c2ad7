//! The Fourier neural operator (Li et al., ICLR 2021, arXiv 2010.08895): `fourier_1d.py`,
//! `fourier_2d.py` and `fourier_2d_time.py`'s architecture on channels-last tensors.
//!
//! ```text
//! x [B, n₁…n_d, C_in] ─(append grid)→ fc0 ─(pad)→ L × { SpectralConv_ℓ(h) + W_ℓ h, GELU* }
//!   ─(crop)→ fc1 → GELU → fc2 → [B, n₁…n_d, C_out]          (* all but the last layer)
//! ```
//!
//! ```
//! use fluxion_autodiff::Var;
//! use fluxion_nn::Module;
//! use fluxion_operator::{Fno, FnoConfig};
//! use fluxion_tensor::{DType, Device, Tensor};
//!
//! let fno = Fno::new(&FnoConfig::fno1d(4, 8), &Device::Cpu)?; // modes 4, width 8
//! let x = Var::constant(Tensor::zeros([2, 32, 1], DType::F32, &Device::Cpu)?);
//! assert_eq!(fno.forward(&x)?.dims(), vec![2, 32, 1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::sync::Mutex;

use fluxion_autodiff::Var;
use fluxion_nn::{visit_child, Activation, Linear, Module};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, SpectralConv};

/// Settings of an [`Fno`]. Every field has a default (the paper's Burgers model, FNO-1d with
/// 16 modes and width 64), so a TOML table names only what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FnoConfig {
    /// Input channels of the data, without the grid features (default 1; Navier–Stokes FNO-2D: 10).
    pub in_channels: usize,
    /// Output channels (default 1).
    pub out_channels: usize,
    /// Retained Fourier modes per spatial axis; its length is the number of spatial axes d ∈
    /// {1, 2, 3} (default `[16]`).
    pub modes: Vec<usize>,
    /// Channels inside the Fourier layers (default 64).
    pub width: usize,
    /// Number of Fourier layers (default 4).
    pub layers: usize,
    /// Hidden width of the projection `fc1` (default 128).
    pub projection: usize,
    /// Zeros appended at the end of every spatial axis after lifting and cropped before the
    /// projection (default 0; `fourier_2d.py` uses 9 for Darcy, non-periodic data).
    pub padding: usize,
    /// Append the normalised coordinates `linspace(0, 1, n)` of every spatial axis as extra
    /// input channels (default true), so `fc0` is `Linear(in_channels + d, width)`.
    pub grid: bool,
    /// The activation between layers (default `gelu`, exact erf form as `F.gelu`; also `tanh`,
    /// `relu`, `leaky_relu[:slope]`, `gelu_tanh`, `softplus`, `sin`, `sigmoid`, `silu`,
    /// `identity`).
    #[serde(with = "display_fromstr")]
    #[schemars(with = "String")]
    pub activation: Activation,
    /// Parameter dtype (default `f32`).
    #[serde(with = "display_fromstr")]
    #[schemars(with = "String")]
    pub dtype: DType,
    /// Seed of the parameter initialisation (default 0).
    pub seed: u64,
}

impl Default for FnoConfig {
    fn default() -> Self {
        FnoConfig {
            in_channels: 1,
            out_channels: 1,
            modes: vec![16],
            width: 64,
            layers: 4,
            projection: 128,
            padding: 0,
            grid: true,
            activation: Activation::Gelu,
            dtype: DType::F32,
            seed: 0,
        }
    }
}

/// Serde through `Display` / `FromStr` (activation and dtype names).
mod display_fromstr {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

impl FnoConfig {
    /// FNO-1d (`fourier_1d.py`): one input channel, `modes` on the single axis, `width`
    /// channels. The paper's Burgers model is `fno1d(16, 64)`.
    pub fn fno1d(modes: usize, width: usize) -> Self {
        FnoConfig {
            modes: vec![modes],
            width,
            ..FnoConfig::default()
        }
    }

    /// FNO-2d (`fourier_2d.py`): one input channel, `modes × modes`. The paper's Darcy model
    /// is `fno2d(12, 32)` with `padding = 9`.
    pub fn fno2d(modes: usize, width: usize) -> Self {
        FnoConfig {
            modes: vec![modes, modes],
            width,
            ..FnoConfig::default()
        }
    }

    /// FNO-3d (`fourier_3d.py`): `modes` on two space axes and `modes_t` on time. The paper's
    /// Navier–Stokes FNO-3D is `fno3d(8, 8, 20)` with 10 input channels.
    pub fn fno3d(modes: usize, modes_t: usize, width: usize) -> Self {
        FnoConfig {
            modes: vec![modes, modes, modes_t],
            width,
            ..FnoConfig::default()
        }
    }

    /// The paper's Burgers model: FNO-1d, 16 modes, width 64.
    pub fn burgers() -> Self {
        Self::fno1d(16, 64)
    }

    /// The paper's Darcy model: FNO-2d, 12 modes, width 32, padding 9.
    pub fn darcy() -> Self {
        FnoConfig {
            padding: 9,
            ..Self::fno2d(12, 32)
        }
    }

    /// The paper's Navier–Stokes FNO-2D (`fourier_2d_time.py`): 12 modes, width 20, `t_in`
    /// input steps as channels, one step out per call (rolled out in time).
    pub fn navier_stokes_2d(t_in: usize) -> Self {
        FnoConfig {
            in_channels: t_in,
            ..Self::fno2d(12, 20)
        }
    }

    /// Number of spatial axes d.
    pub fn spatial_dims(&self) -> usize {
        self.modes.len()
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero channels, width, layers or projection width, or a
    /// `modes` list that is empty, longer than 3 or holds a zero; an integer dtype.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::invalid("FnoConfig", reason));
        if self.modes.is_empty() || self.modes.len() > 3 || self.modes.contains(&0) {
            return bad(format!(
                "modes must list 1 to 3 positive counts (one per spatial axis), got {:?}",
                self.modes
            ));
        }
        for (name, v) in [
            ("in_channels", self.in_channels),
            ("out_channels", self.out_channels),
            ("width", self.width),
            ("layers", self.layers),
            ("projection", self.projection),
        ] {
            if v == 0 {
                return bad(format!("{name} must be ≥ 1, got 0"));
            }
        }
        if !matches!(
            self.dtype,
            DType::F32 | DType::F64 | DType::F16 | DType::BF16
        ) {
            return bad(format!("dtype must be a float type, got {}", self.dtype));
        }
        Ok(())
    }
}

/// A Fourier neural operator on channels-last input `[B, n₁, …, n_d, in_channels]` →
/// `[B, n₁, …, n_d, out_channels]`, d = `modes.len()`; works at any resolution with
/// `n_i + padding ≥ 2·modes_i − 1` on non-last axes and `⌊(n_d + padding)/2⌋ + 1 ≥ modes_d`.
///
/// Parameters are named as in the reference scripts: `fc0`, `conv0…`, `w0…`, `fc1`, `fc2`
/// (`conv{ℓ}.weight` is the complex spectral weight stored as real, see [`SpectralConv`]).
///
/// [`Fno1d`], [`Fno2d`] and [`Fno3d`] are this type; the config's `modes` sets d.
#[derive(Debug)]
pub struct Fno {
    config: FnoConfig,
    device: Device,
    fc0: Linear,
    convs: Vec<SpectralConv>,
    ws: Vec<Linear>,
    fc1: Linear,
    fc2: Linear,
    /// Grid features `[1, n₁…n_d, d]` by spatial shape.
    grids: Mutex<HashMap<Vec<usize>, Tensor>>,
}

/// FNO with one spatial axis (`fourier_1d.py`); build it with [`FnoConfig::fno1d`].
pub type Fno1d = Fno;
/// FNO with two spatial axes (`fourier_2d.py`); build it with [`FnoConfig::fno2d`].
pub type Fno2d = Fno;
/// FNO with three spatial axes (`fourier_3d.py`); build it with [`FnoConfig::fno3d`].
pub type Fno3d = Fno;

impl Fno {
    /// A model with PyTorch's initialisation: `Linear` layers uniform in ±1/√fan_in drawn in
    /// the order fc0, w0…, fc1, fc2 from `Generator::new(seed)`; spectral layer ℓ seeded with
    /// `seed + 1 + ℓ` (scaled uniform, as the reference).
    ///
    /// # Errors
    /// [`FnoConfig::validate`]'s errors; layer construction errors.
    pub fn new(config: &FnoConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        let c = config;
        let d = c.spatial_dims();
        let mut gen = Generator::new(c.seed);
        let lift_in = c.in_channels + if c.grid { d } else { 0 };
        let fc0 = Linear::new(lift_in, c.width, true, c.dtype, device, &mut gen)?;
        let mut convs = Vec::with_capacity(c.layers);
        let mut ws = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let seed = c.seed.wrapping_add(1 + l as u64);
            convs.push(SpectralConv::new(
                c.width, c.width, &c.modes, c.dtype, device, seed,
            )?);
            ws.push(Linear::new(
                c.width, c.width, true, c.dtype, device, &mut gen,
            )?);
        }
        let fc1 = Linear::new(c.width, c.projection, true, c.dtype, device, &mut gen)?;
        let fc2 = Linear::new(
            c.projection,
            c.out_channels,
            true,
            c.dtype,
            device,
            &mut gen,
        )?;
        Ok(Fno {
            config: config.clone(),
            device: device.clone(),
            fc0,
            convs,
            ws,
            fc1,
            fc2,
            grids: Mutex::new(HashMap::new()),
        })
    }

    /// The settings.
    pub fn config(&self) -> &FnoConfig {
        &self.config
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The spectral layers, in order.
    pub fn spectral_layers(&self) -> &[SpectralConv] {
        &self.convs
    }

    /// Parameter count as PyTorch's `sum(p.numel())` reports it for the reference model: each
    /// complex spectral weight counts once (here it is stored as two reals, which
    /// [`Module::parameter_count`] counts).
    pub fn torch_parameter_count(&self) -> usize {
        let complex: usize = self.convs.iter().map(|c| c.weight().elem_count() / 2).sum();
        self.parameter_count() - complex
    }

    /// The grid features `[1, n₁…n_d, d]`: channel i is `linspace(0, 1, n_i)` along axis i,
    /// as the reference's `get_grid` (cached per spatial shape).
    ///
    /// # Errors
    /// Tensor errors.
    pub fn grid(&self, spatial: &[usize]) -> Result<Tensor> {
        let mut cache = self.grids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(g) = cache.get(spatial) {
            return Ok(g.clone());
        }
        let g = grid_features(spatial, self.config.dtype, &self.device)?;
        cache.insert(spatial.to_vec(), g.clone());
        Ok(g)
    }

    fn check_input(&self, x: &Var) -> Result<Vec<usize>> {
        let dims = x.dims();
        let d = self.config.spatial_dims();
        let ok = dims.len() == d + 2 && dims[d + 1] == self.config.in_channels;
        if !ok || dims.contains(&0) {
            return Err(Error::invalid(
                "Fno::forward",
                format!(
                    "expected channels-last input [B, n₁..n_{d}, {}] (rank {}), got {dims:?}",
                    self.config.in_channels,
                    d + 2
                ),
            ));
        }
        Ok(dims)
    }

    fn forward_impl(&self, x: &Var) -> Result<Var> {
        let dims = self.check_input(x)?;
        let c = &self.config;
        let d = c.spatial_dims();
        let spatial = dims[1..=d].to_vec();
        let x = if c.grid {
            let mut shape = dims.clone();
            shape[d + 1] = d;
            let g = Var::constant(self.grid(&spatial)?.broadcast_to(shape)?);
            Var::concat(&[x, &g], -1)?
        } else {
            x.clone()
        };
        let mut h = self.fc0.forward(&x)?;
        if c.padding > 0 {
            h = pad_end(&h, d, c.padding)?;
        }
        for (l, (conv, w)) in self.convs.iter().zip(&self.ws).enumerate() {
            h = conv.forward(&h)?.add(&w.forward(&h)?)?;
            if l + 1 < self.convs.len() {
                h = c.activation.apply(&h)?;
            }
        }
        if c.padding > 0 {
            for (i, &n) in spatial.iter().enumerate() {
                h = h.narrow(1 + i as isize, 0, n)?;
            }
        }
        let h = c.activation.apply(&self.fc1.forward(&h)?)?;
        Ok(self.fc2.forward(&h)?)
    }
}

impl Module for Fno {
    fn forward(&self, x: &Var) -> fluxion_nn::Result<Var> {
        self.forward_impl(x).map_err(|e| match e {
            Error::Nn(e) => e,
            Error::Autodiff(e) => fluxion_nn::Error::Autodiff(e),
            Error::Tensor(e) => fluxion_nn::Error::Tensor(e),
            other => fluxion_nn::Error::InvalidArgument {
                what: "Fno::forward",
                reason: other.to_string(),
            },
        })
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        visit_child("fc0", &self.fc0, visitor);
        for (l, conv) in self.convs.iter().enumerate() {
            visit_child(&format!("conv{l}"), conv, visitor);
        }
        for (l, w) in self.ws.iter().enumerate() {
            visit_child(&format!("w{l}"), w, visitor);
        }
        visit_child("fc1", &self.fc1, visitor);
        visit_child("fc2", &self.fc2, visitor);
    }
}

/// `[1, n₁…n_d, d]` with channel i equal to `linspace(0, 1, n_i)` along axis i (0 when
/// `n_i = 1`).
///
/// # Errors
/// Tensor errors.
pub fn grid_features(spatial: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
    let d = spatial.len();
    let total: usize = spatial.iter().product();
    let mut v = vec![0.0f64; total * d];
    let mut idx = vec![0usize; d];
    for p in 0..total {
        for i in 0..d {
            let n = spatial[i];
            v[p * d + i] = if n > 1 {
                idx[i] as f64 / (n - 1) as f64
            } else {
                0.0
            };
        }
        for i in (0..d).rev() {
            idx[i] += 1;
            if idx[i] < spatial[i] {
                break;
            }
            idx[i] = 0;
        }
    }
    // torch builds the grid in f64 (np.linspace) and casts: round once from f64.
    let mut shape = vec![1];
    shape.extend_from_slice(spatial);
    shape.push(d);
    let t = Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(dtype)?;
    match device {
        Device::Cpu => Ok(t),
        #[allow(unreachable_patterns)]
        _ => Ok(crate::data::to_device(&t, device)?),
    }
}

/// Appends `padding` zeros at the end of spatial axes `1..=d` (`F.pad(x, [0, p, 0, p])` on
/// the channels-first reference layout).
fn pad_end(h: &Var, d: usize, padding: usize) -> Result<Var> {
    let mut h = h.clone();
    for axis in 1..=d {
        let mut shape = h.dims();
        shape[axis] = padding;
        let z = Var::constant(Tensor::zeros(shape, h.dtype(), &h.device())?);
        h = Var::concat(&[&h, &z], axis as isize)?;
    }
    Ok(h)
}
