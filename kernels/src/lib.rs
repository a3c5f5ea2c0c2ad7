//! CUDA C kernel sources for Fluxion, embedded at compile time, with a table of modules and symbols.
//!
//! Each `kernels/*.cu` file is one NVRTC compilation unit (a [`Module`]), self-contained (no
//! `#include`, so NVRTC needs no CUDA headers). Its kernels are `extern "C"` symbols named
//! `{op}_{dtype}` with `dtype` one of `f16`, `bf16`, `f32`, `f64`, `u8`, `i64`; f16 and bf16 values
//! cross the kernel boundary as raw bit patterns (`unsigned short`, i.e. `half::f16::to_bits()`).
//! All kernels use grid-stride loops with `size_t` indices, so any launch configuration is valid.
//!
//! Nothing here needs CUDA at build time: a device compiles a module with NVRTC for its own
//! architecture on first use and caches it in a table indexed by [`Id`]. The crate's
//! `nvrtc_compile` test compiles every module the same way, so a broken kernel fails CI without a
//! GPU.
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

/// Identifies one kernel module; `id as usize` indexes [`MODULES`] and a device's module cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// `philox.cu`: Philox4x32-10 uniform and normal random numbers (the stream is defined in `fluxion_tensor::random`, the CPU implementation).
    Philox,
    /// `fill.cu`: set every element of a contiguous buffer to one value.
    Fill,
    /// `cast.cu`: element type conversion between f16, bf16, f32 and f64.
    Cast,
}

/// Number of kernel modules, the length of [`MODULES`] and of [`Id::ALL`].
pub const COUNT: usize = 3;

impl Id {
    /// Every module id, in [`MODULES`] order.
    pub const ALL: [Id; COUNT] = [Id::Philox, Id::Fill, Id::Cast];

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
    /// Whether this module defines the kernel `name`.
    pub fn has_function(&self, name: &str) -> bool {
        self.functions.contains(&name)
    }
}

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
        source: include_str!("../cast.cu"),
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
        ],
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
