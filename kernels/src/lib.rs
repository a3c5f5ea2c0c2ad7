//! CUDA C kernel sources for Fluxion, embedded at compile time, with a table of modules and symbols.
//!
//! Each `kernels/*.cu` file is one NVRTC compilation unit (a [`Module`]), self-contained (no
//! `#include`, so NVRTC needs no CUDA headers). Its kernels are `extern "C"` symbols named
//! `{op}_{dtype}` with `dtype` one of `f16`, `bf16`, `f32`, `f64`, `u8`, `i64`; f16 and bf16 values
//! cross the kernel boundary as raw bit patterns (`unsigned short`, i.e. `half::f16::to_bits()`).
//! All kernels use grid-stride loops with `size_t` indices, so any launch configuration is valid,
//! except that the `reduce` kernels need `blockDim.x` a multiple of 32 and at most 1024 (see the
//! top of `kernels/reduce.cu`). Each `.cu` file documents its kernel ABI at the top.
//!
//! Shared device helpers live in one prelude, `kernels/prelude.cuh` ([`PRELUDE`]): f16/bf16 <-> f32
//! and f64 bit-level conversions, element type descriptors, FMA-free correctly rounded arithmetic,
//! grid-stride bounds and the strided-offset helper. A module that needs them (cast, elementwise,
//! adam, reduce, index, cmatmul) embeds `concat!(include_str!("../prelude.cuh"), include_str!("../x.cu"))`
//! as its [`Module::source`], so each source is still one self-contained NVRTC unit with no
//! `#include`; [`Module::uses_prelude`] tells which. philox and fill are embedded as they are.
//!
//! Nothing here needs CUDA at build time: a device compiles a module with NVRTC for its own
//! architecture on first use and caches it in a table indexed by [`Id`]. fluxion-device's
//! `cuda::check_kernels` (run by its `nvrtc_compile` test and by `fluxion info`) compiles every
//! module the same way, so a broken kernel fails CI without a GPU.
//!
//! ```
//! use fluxion_kernels::{Id, MODULES};
//!
//! let philox = Id::Philox.module();
//! assert_eq!(philox.name, "philox");
//! assert!(philox.has_function("rand_normal_f32"));
//! assert!(philox.source.contains("rand_normal_f32"));
//! assert!(MODULES.iter().all(|m| m.id.module().name == m.name));
//! ```

#![warn(missing_docs)]

#[cfg(feature = "host-emulation")]
pub mod host;

/// Identifies one kernel module; `id as usize` indexes [`MODULES`] and a device's module cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// `philox.cu`: Philox4x32-10 uniform and normal random numbers (the stream is defined in `fluxion_tensor::random`, the CPU implementation).
    Philox,
    /// `fill.cu`: set every element of a contiguous buffer to one value.
    Fill,
    /// `cast.cu`: element type conversion of a contiguous buffer between any two of the six
    /// dtypes (integers with the CPU's saturating, truncating semantics).
    Cast,
    /// `elementwise.cu` (after the prelude): unary, binary, comparison and `where` maps over
    /// strided or contiguous operands, mirroring `fluxion_tensor`'s `UnaryOp`, `BinaryOp` and
    /// `CmpOp`, and `copy`, which makes a strided view contiguous.
    Elementwise,
    /// `adam.cu` (after the prelude): the fused Adam / AdamW parameter update of
    /// `fluxion_nn::optim::Adam` and `AdamW`, for contiguous f32 and f64 tensors.
    Adam,
    /// `reduce.cu` (after the prelude): sum, max, min, argmax and argmin over the middle axis of a
    /// contiguous `[outer, reduce, inner]` view, mirroring `fluxion_tensor`'s `ReduceOp`.
    Reduce,
    /// `index.cu` (after the prelude): `index_select`, `gather`, `scatter_add` and `concat` on a
    /// contiguous `[outer, dim, inner]` view with `i64` indices, mirroring `fluxion_tensor`'s
    /// index ops. `scatter_add` uses float atomics, so its summation order is not deterministic.
    Index,
    /// `cmatmul.cu` (after the prelude): batched complex matrix product of strided (re, im) pair
    /// views with optional conjugation of either operand, mirroring
    /// `fluxion_tensor::Tensor::complex_matmul` (FNO's spectral mode mixing).
    CMatMul,
}

/// Number of kernel modules, the length of [`MODULES`] and of [`Id::ALL`].
pub const COUNT: usize = 8;

impl Id {
    /// Every module id, in [`MODULES`] order.
    pub const ALL: [Id; COUNT] = [
        Id::Philox,
        Id::Fill,
        Id::Cast,
        Id::Elementwise,
        Id::Adam,
        Id::Reduce,
        Id::Index,
        Id::CMatMul,
    ];

    /// The position of this module in [`MODULES`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The module this id names.
    pub const fn module(self) -> &'static Module {
        &MODULES_BY_ID[self as usize]
    }
}

/// One NVRTC compilation unit: a `.cu` source and the kernels it defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// The module's id; `MODULES[id as usize].id == id`.
    pub id: Id,
    /// File stem of the source (`"philox"` for `kernels/philox.cu`); use it as the NVRTC program
    /// name and in error messages.
    pub name: &'static str,
    /// The CUDA C source, embedded with `include_str!`.
    pub source: &'static str,
    /// Every `extern "C" __global__` symbol the source defines, named `{op}_{dtype}`.
    pub functions: &'static [&'static str],
}

impl Module {
    /// Whether [`Module::source`] starts with [`PRELUDE`] (the `.cu` file follows it).
    pub fn uses_prelude(&self) -> bool {
        self.source.len() > PRELUDE.len() && self.source.starts_with(PRELUDE)
    }

    /// Whether this module defines the kernel `name`.
    pub fn has_function(&self, name: &str) -> bool {
        self.functions.contains(&name)
    }
}

/// `kernels/prelude.cuh`: the shared device helpers prepended to the sources of the modules that
/// use them (see the crate docs). It defines no kernels and is not a module on its own.
pub const PRELUDE: &str = include_str!("../prelude.cuh");

/// Every kernel module, indexed by [`Id`] (`MODULES[id as usize].id == id`).
pub const MODULES: &[Module] = &MODULES_BY_ID;

/// The module that defines the kernel `function`, if any.
///
/// ```
/// assert_eq!(fluxion_kernels::find("cast_f64_bf16").map(|m| m.id), Some(fluxion_kernels::Id::Cast));
/// assert!(fluxion_kernels::find("no_such_kernel").is_none());
/// ```
pub fn find(function: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.has_function(function))
}

/// Names of the `.visible .entry` directives (the kernels) in a PTX text, in order.
///
/// Used to check that NVRTC's output for a [`Module`] exports exactly [`Module::functions`].
///
/// ```
/// let ptx = "//\n.version 9.0\n.visible .entry fill_f32(\n\t.param .u64 a\n)\n\
///            .visible .entry cast_f32_f16(\n.func helper(\n";
/// assert_eq!(fluxion_kernels::ptx_entries(ptx), ["fill_f32", "cast_f32_f16"]);
/// ```
pub fn ptx_entries(ptx: &str) -> Vec<&str> {
    ptx.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix(".visible .entry ")?;
            Some(
                rest.split(|c: char| c == '(' || c.is_whitespace())
                    .next()
                    .unwrap_or(""),
            )
        })
        .collect()
}

const MODULES_BY_ID: [Module; COUNT] = [
    Module {
        id: Id::Philox,
        name: "philox",
        source: include_str!("../philox.cu"),
        functions: &[
            "rand_uniform_f32",
            "rand_uniform_f64",
            "rand_normal_f32",
            "rand_normal_f64",
        ],
    },
    Module {
        id: Id::Fill,
        name: "fill",
        source: include_str!("../fill.cu"),
        functions: &[
            "fill_f16",
            "fill_bf16",
            "fill_f32",
            "fill_f64",
            "fill_u8",
            "fill_i64",
        ],
    },
    Module {
        id: Id::Cast,
        name: "cast",
        source: concat!(include_str!("../prelude.cuh"), include_str!("../cast.cu")),
        functions: &[
            "cast_f16_bf16",
            "cast_f16_f32",
            "cast_f16_f64",
            "cast_bf16_f16",
            "cast_bf16_f32",
            "cast_bf16_f64",
            "cast_f32_f16",
            "cast_f32_bf16",
            "cast_f32_f64",
            "cast_f64_f16",
            "cast_f64_bf16",
            "cast_f64_f32",
            "cast_f16_u8",
            "cast_f16_i64",
            "cast_bf16_u8",
            "cast_bf16_i64",
            "cast_f32_u8",
            "cast_f32_i64",
            "cast_f64_u8",
            "cast_f64_i64",
            "cast_u8_f16",
            "cast_u8_bf16",
            "cast_u8_f32",
            "cast_u8_f64",
            "cast_u8_i64",
            "cast_i64_f16",
            "cast_i64_bf16",
            "cast_i64_f32",
            "cast_i64_f64",
            "cast_i64_u8",
        ],
    },
    Module {
        id: Id::Elementwise,
        name: "elementwise",
        source: concat!(
            include_str!("../prelude.cuh"),
            include_str!("../elementwise.cu")
        ),
        functions: &[
            "neg_f16",
            "neg_bf16",
            "neg_f32",
            "neg_f64",
            "abs_f16",
            "abs_bf16",
            "abs_f32",
            "abs_f64",
            "exp_f16",
            "exp_bf16",
            "exp_f32",
            "exp_f64",
            "log_f16",
            "log_bf16",
            "log_f32",
            "log_f64",
            "sqrt_f16",
            "sqrt_bf16",
            "sqrt_f32",
            "sqrt_f64",
            "square_f16",
            "square_bf16",
            "square_f32",
            "square_f64",
            "recip_f16",
            "recip_bf16",
            "recip_f32",
            "recip_f64",
            "powf_f16",
            "powf_bf16",
            "powf_f32",
            "powf_f64",
            "sin_f16",
            "sin_bf16",
            "sin_f32",
            "sin_f64",
            "cos_f16",
            "cos_bf16",
            "cos_f32",
            "cos_f64",
            "tanh_f16",
            "tanh_bf16",
            "tanh_f32",
            "tanh_f64",
            "sigmoid_f16",
            "sigmoid_bf16",
            "sigmoid_f32",
            "sigmoid_f64",
            "relu_f16",
            "relu_bf16",
            "relu_f32",
            "relu_f64",
            "leaky_relu_f16",
            "leaky_relu_bf16",
            "leaky_relu_f32",
            "leaky_relu_f64",
            "leaky_relu_grad_f16",
            "leaky_relu_grad_bf16",
            "leaky_relu_grad_f32",
            "leaky_relu_grad_f64",
            "gelu_tanh_f16",
            "gelu_tanh_bf16",
            "gelu_tanh_f32",
            "gelu_tanh_f64",
            "gelu_erf_f16",
            "gelu_erf_bf16",
            "gelu_erf_f32",
            "gelu_erf_f64",
            "gelu_erf_grad_f16",
            "gelu_erf_grad_bf16",
            "gelu_erf_grad_f32",
            "gelu_erf_grad_f64",
            "erf_f16",
            "erf_bf16",
            "erf_f32",
            "erf_f64",
            "softplus_f16",
            "softplus_bf16",
            "softplus_f32",
            "softplus_f64",
            "sign_f16",
            "sign_bf16",
            "sign_f32",
            "sign_f64",
            "affine_f16",
            "affine_bf16",
            "affine_f32",
            "affine_f64",
            "add_f16",
            "add_bf16",
            "add_f32",
            "add_f64",
            "sub_f16",
            "sub_bf16",
            "sub_f32",
            "sub_f64",
            "mul_f16",
            "mul_bf16",
            "mul_f32",
            "mul_f64",
            "div_f16",
            "div_bf16",
            "div_f32",
            "div_f64",
            "pow_f16",
            "pow_bf16",
            "pow_f32",
            "pow_f64",
            "maximum_f16",
            "maximum_bf16",
            "maximum_f32",
            "maximum_f64",
            "minimum_f16",
            "minimum_bf16",
            "minimum_f32",
            "minimum_f64",
            "cmp_eq_f16",
            "cmp_eq_bf16",
            "cmp_eq_f32",
            "cmp_eq_f64",
            "cmp_eq_u8",
            "cmp_eq_i64",
            "cmp_ne_f16",
            "cmp_ne_bf16",
            "cmp_ne_f32",
            "cmp_ne_f64",
            "cmp_ne_u8",
            "cmp_ne_i64",
            "cmp_lt_f16",
            "cmp_lt_bf16",
            "cmp_lt_f32",
            "cmp_lt_f64",
            "cmp_lt_u8",
            "cmp_lt_i64",
            "cmp_le_f16",
            "cmp_le_bf16",
            "cmp_le_f32",
            "cmp_le_f64",
            "cmp_le_u8",
            "cmp_le_i64",
            "cmp_gt_f16",
            "cmp_gt_bf16",
            "cmp_gt_f32",
            "cmp_gt_f64",
            "cmp_gt_u8",
            "cmp_gt_i64",
            "cmp_ge_f16",
            "cmp_ge_bf16",
            "cmp_ge_f32",
            "cmp_ge_f64",
            "cmp_ge_u8",
            "cmp_ge_i64",
            "where_f16",
            "where_bf16",
            "where_f32",
            "where_f64",
            "where_u8",
            "where_i64",
            "copy_f16",
            "copy_bf16",
            "copy_f32",
            "copy_f64",
            "copy_u8",
            "copy_i64",
        ],
    },
    Module {
        id: Id::Adam,
        name: "adam",
        source: concat!(include_str!("../prelude.cuh"), include_str!("../adam.cu")),
        functions: &["adam_f32", "adam_f64"],
    },
    Module {
        id: Id::Reduce,
        name: "reduce",
        source: concat!(include_str!("../prelude.cuh"), include_str!("../reduce.cu")),
        functions: &[
            "sum_f16",
            "sum_bf16",
            "sum_f32",
            "sum_f64",
            "max_f16",
            "max_bf16",
            "max_f32",
            "max_f64",
            "max_u8",
            "max_i64",
            "min_f16",
            "min_bf16",
            "min_f32",
            "min_f64",
            "min_u8",
            "min_i64",
            "argmax_f16",
            "argmax_bf16",
            "argmax_f32",
            "argmax_f64",
            "argmax_u8",
            "argmax_i64",
            "argmin_f16",
            "argmin_bf16",
            "argmin_f32",
            "argmin_f64",
            "argmin_u8",
            "argmin_i64",
        ],
    },
    Module {
        id: Id::Index,
        name: "index",
        source: concat!(include_str!("../prelude.cuh"), include_str!("../index.cu")),
        functions: &[
            "index_select_f16",
            "index_select_bf16",
            "index_select_f32",
            "index_select_f64",
            "index_select_u8",
            "index_select_i64",
            "gather_f16",
            "gather_bf16",
            "gather_f32",
            "gather_f64",
            "gather_u8",
            "gather_i64",
            "scatter_add_f16",
            "scatter_add_bf16",
            "scatter_add_f32",
            "scatter_add_f64",
            "concat_f16",
            "concat_bf16",
            "concat_f32",
            "concat_f64",
            "concat_u8",
            "concat_i64",
        ],
    },
    Module {
        id: Id::CMatMul,
        name: "cmatmul",
        source: concat!(
            include_str!("../prelude.cuh"),
            include_str!("../cmatmul.cu")
        ),
        functions: &["cmatmul_f32", "cmatmul_f64"],
    },
];

// The table is indexed by id: checked at compile time.
const _: () = {
    let mut i = 0;
    while i < COUNT {
        assert!(MODULES_BY_ID[i].id as usize == i);
        assert!(Id::ALL[i] as usize == i);
        i += 1;
    }
};
