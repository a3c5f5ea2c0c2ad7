//! Host emulation of the CUDA kernels (feature `host-emulation`): compiles a [`Module`]'s CUDA C
//! with the system C++ compiler and runs its kernels on the CPU, so that their indexing, argument
//! ABI and rounding can be tested against the CPU backend on a machine without a GPU.
//!
//! [`HostModule::compile`] prepends `kernels/host/cuda_shim.h` to the module source (the shim
//! turns `__global__`/`__device__` into plain C++, provides `threadIdx`/`blockIdx`/`blockDim`/
//! `gridDim` as thread-local variables and the CUDA intrinsics the sources use), appends one
//! exported launcher `fx_emu_<kernel>(grid, block, args)` per kernel of [`Module::functions`],
//! compiles the unit with `$CXX` (default `c++`) as `-std=c++17 -O1 -fPIC -shared
//! -ffp-contract=off -fno-fast-math -w` into a shared library and loads it. A launcher unpacks
//! `args` exactly as `cuLaunchKernel` does (`args[i]` points at the i-th parameter's value) and
//! runs the one-dimensional grid: block after block, and within a block
//! - thread after thread (set the indices, call the kernel), for modules whose threads do not
//!   communicate: every module but [`Id::Reduce`];
//! - as fibers (user-level contexts on the calling thread) that run in turn up to their next
//!   barrier, for modules that use `__shared__` memory, `__syncthreads` or warp shuffles
//!   (`reduce`): barriers stand for `__syncthreads` and for the lock-step of a warp's shuffles.
//!   Such a launch needs a block size that is a multiple of 32, and launches of these modules run
//!   one at a time.
//!
//! Fidelity, in short (the shim's header has the details):
//! - `+ - * /` and `sqrt` (the `_rn` intrinsics and plain operators) are single IEEE operations,
//!   never contracted into FMAs and without excess precision, exactly as on the GPU; conversions
//!   with a rounding mode (`__ll2float_rz`, `__double2ll_rz`, ...) are emulated exactly,
//!   including PTX's saturation and NaN -> 0 for float -> integer;
//! - transcendental functions (`expf`, `erff`, `tanhf`, `powf`, ...) come from the host's libm
//!   (glibc), not CUDA's libdevice, so emulated results test the kernels' logic, not CUDA's
//!   last-ulp rounding;
//! - atomics are plain read-modify-writes applied in thread order, so sums that the GPU may
//!   accumulate in any order are accumulated in one fixed order (and `atomicAdd` on f32 keeps
//!   subnormals, which the hardware may flush).
//!
//! Each module is compiled once per process and cached ([`HostModule::compile`] hands out the
//! same `Arc`). Set `FLUXION_KERNEL_DIR` to a directory holding edited copies of `prelude.cuh`
//! and the `.cu` files to emulate those instead of the embedded sources, without rebuilding (for
//! example to check that a test fails on a deliberately broken kernel).
//!
//! ```no_run
//! use fluxion_kernels::{host::HostModule, kernel_args, Id};
//!
//! let fill = HostModule::compile(Id::Fill)?;
//! let mut out = vec![0.0f32; 1000];
//! let (ptr, n, value) = (out.as_mut_ptr(), out.len(), 2.5f32);
//! // SAFETY: fill_f32(float* out, size_t n, float value) writes n floats through `ptr`.
//! unsafe { fill.launch_args("fill_f32", 4, 256, &kernel_args![&ptr, &n, &value]) }?;
//! assert!(out.iter().all(|&x| x == 2.5));
//! # Ok::<(), fluxion_kernels::host::HostError>(())
//! ```
//!
//! Tests use [`require_or_skip`], which turns a missing compiler into a skip notice (or a
//! failure when `FLUXION_REQUIRE_EMULATION=1`).

use std::collections::HashMap;
use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::{Id, Module, COUNT};

/// The shim that makes CUDA C compile as host C++ (`kernels/host/cuda_shim.h`).
pub const CUDA_SHIM: &str = include_str!("../host/cuda_shim.h");

/// Environment variable naming the C++ compiler (default `c++`); it may include arguments.
pub const CXX_ENV: &str = "CXX";

/// Environment variable naming a directory of kernel sources to emulate instead of the embedded
/// ones (`prelude.cuh` and `<module>.cu`).
pub const KERNEL_DIR_ENV: &str = "FLUXION_KERNEL_DIR";

/// Environment variable that, set to `1`, makes [`require_or_skip`] fail instead of skipping when
/// no C++ compiler is found.
pub const REQUIRE_ENV: &str = "FLUXION_REQUIRE_EMULATION";

/// Flags of every compile: C++17, a shared library, IEEE arithmetic (no contraction into FMAs, no
/// fast math), warnings off (CUDA idioms such as `#pragma unroll` warn in g++).
const CXX_FLAGS: [&str; 7] = [
    "-std=c++17",
    "-O1",
    "-fPIC",
    "-shared",
    "-ffp-contract=off",
    "-fno-fast-math",
    "-w",
];

/// Most threads per block, as on every CUDA device.
const MAX_BLOCK: u32 = 1024;

/// What went wrong while compiling, loading or launching an emulated module.
#[derive(Debug)]
pub enum HostError {
    /// The C++ compiler could not be started.
    NoCompiler {
        /// The command that was tried.
        command: String,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// Reading a source from `FLUXION_KERNEL_DIR` or writing the compilation unit failed.
    Io {
        /// What was being done.
        step: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The compiler rejected the unit; the unit is kept at `unit` for inspection.
    Compile {
        /// The module's name.
        module: String,
        /// The compiler command line.
        command: String,
        /// The compiled file, kept.
        unit: PathBuf,
        /// The compiler's diagnostics.
        stderr: String,
    },
    /// The compiled library could not be loaded, or lacks a launcher.
    Load {
        /// The module's name.
        module: String,
        /// The library.
        path: PathBuf,
        /// The loader's error.
        source: libloading::Error,
    },
    /// The module has no kernel of that name.
    UnknownKernel {
        /// The module's name.
        module: String,
        /// The name asked for.
        kernel: String,
    },
    /// The launch itself is invalid: configuration or arguments.
    Launch {
        /// The kernel.
        kernel: String,
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::NoCompiler { command, source } => write!(
                f,
                "host emulation: no C++ compiler: could not run `{command}` ({source}); set \
                 {CXX_ENV} to a C++17 compiler or install one (`apt-get install g++`)"
            ),
            HostError::Io { step, path, source } => {
                write!(f, "host emulation: {step} {}: {source}", path.display())
            }
            HostError::Compile {
                module,
                command,
                unit,
                stderr,
            } => write!(
                f,
                "host emulation: compiling module `{module}` failed (source kept at {}):\n\
                 {command}\n{stderr}",
                unit.display()
            ),
            HostError::Load {
                module,
                path,
                source,
            } => write!(
                f,
                "host emulation: loading module `{module}` from {} failed: {source}",
                path.display()
            ),
            HostError::UnknownKernel { module, kernel } => {
                write!(
                    f,
                    "host emulation: module `{module}` has no kernel `{kernel}`"
                )
            }
            HostError::Launch { kernel, detail } => {
                write!(f, "host emulation: invalid launch of `{kernel}`: {detail}")
            }
        }
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::NoCompiler { source, .. } | HostError::Io { source, .. } => Some(source),
            HostError::Load { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `fx_emu_<kernel>(grid, block, args)`.
type LaunchFn = unsafe extern "C" fn(u32, u32, *mut *mut c_void);
/// `fx_emu_sig_<kernel>(sizes, cap) -> count`.
type SignatureFn = unsafe extern "C" fn(*mut usize, usize) -> usize;

/// One kernel's launcher and the byte size of each of its parameters.
#[derive(Debug)]
struct Kernel {
    launch: LaunchFn,
    params: Vec<usize>,
}

/// A kernel module compiled for the host: its kernels run sequentially on the calling thread.
pub struct HostModule {
    name: String,
    /// Whether the threads of a block cooperate (and run as fibers).
    cooperative: bool,
    kernels: HashMap<String, Kernel>,
    /// Keeps the launchers' code mapped.
    _library: libloading::Library,
}

impl fmt::Debug for HostModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostModule")
            .field("name", &self.name)
            .field("cooperative", &self.cooperative)
            .field("kernels", &self.kernels.len())
            .finish()
    }
}

/// Modules compiled so far in this process, indexed by [`Id`].
static CACHE: [Mutex<Option<Arc<HostModule>>>; COUNT] = [const { Mutex::new(None) }; COUNT];

/// Distinguishes the build directories of one process.
static BUILDS: AtomicUsize = AtomicUsize::new(0);

impl HostModule {
    /// The module `id` compiled for the host, compiled on the first call in this process and
    /// shared afterwards. Its source is the embedded [`Module::source`], or the files in
    /// `FLUXION_KERNEL_DIR` when that is set.
    pub fn compile(id: Id) -> Result<Arc<HostModule>, HostError> {
        let module = id.module();
        let mut slot = CACHE[id.index()]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(m) = slot.as_ref() {
            return Ok(Arc::clone(m));
        }
        let source = match std::env::var_os(KERNEL_DIR_ENV) {
            Some(dir) => source_from_dir(module, Path::new(&dir))?,
            None => module.source.to_owned(),
        };
        let m = Arc::new(HostModule::from_source(
            module.name,
            &source,
            module.functions,
        )?);
        *slot = Some(Arc::clone(&m));
        Ok(m)
    }

    /// Compiles `source` (self-contained CUDA C: prelude included when it needs one) defining
    /// the kernels `functions`, uncached. `name` names the build directory and errors. The
    /// launches are cooperative when the source uses `__shared__`, `__syncthreads` or
    /// `__shfl_down_sync`.
    pub fn from_source(
        name: &str,
        source: &str,
        functions: &[&str],
    ) -> Result<HostModule, HostError> {
        let dir = std::env::temp_dir().join(format!(
            "fluxion-host-emulation-{}-{}-{name}",
            std::process::id(),
            BUILDS.fetch_add(1, Ordering::Relaxed)
        ));
        let io = |step: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| HostError::Io { step, path, source }
        };
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io("removing the stale directory", &dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io("creating the build directory", &dir))?;
        let unit = dir.join(format!("{name}.cpp"));
        let library = dir.join(format!("lib{name}.so"));
        let cooperative = ["__shared__", "__syncthreads", "__shfl_down_sync"]
            .iter()
            .any(|w| source.contains(w));
        std::fs::write(&unit, unit_text(source, functions, cooperative))
            .map_err(io("writing the compilation unit", &unit))?;

        let cxx = std::env::var(CXX_ENV).unwrap_or_else(|_| "c++".to_owned());
        let mut words = cxx.split_whitespace();
        let program = words.next().unwrap_or("c++");
        let mut cmd = Command::new(program);
        cmd.args(words)
            .args(CXX_FLAGS)
            .arg("-o")
            .arg(&library)
            .arg(&unit);
        let command = format!("{cmd:?}");
        let output = cmd.output().map_err(|source| {
            let _ = std::fs::remove_dir_all(&dir);
            HostError::NoCompiler {
                command: command.clone(),
                source,
            }
        })?;
        if !output.status.success() {
            return Err(HostError::Compile {
                module: name.to_owned(),
                command,
                unit,
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }

        let load_err = |source| HostError::Load {
            module: name.to_owned(),
            path: library.clone(),
            source,
        };
        // SAFETY: the library is the one just compiled from the unit above: its initialisers
        // only construct the shim's thread-local variables (no other global constructors).
        let lib = unsafe { libloading::Library::new(&library) }.map_err(load_err)?;
        let mut kernels = HashMap::with_capacity(functions.len());
        for &f in functions {
            // SAFETY: the unit defines `fx_emu_<f>` and `fx_emu_sig_<f>` with exactly these
            // signatures (see `unit_text`); the copied function pointers are used only while
            // `_library` keeps the code mapped.
            let (launch, signature) = unsafe {
                let launch: LaunchFn = *lib
                    .get::<LaunchFn>(format!("fx_emu_{f}").as_bytes())
                    .map_err(load_err)?;
                let signature: SignatureFn = *lib
                    .get::<SignatureFn>(format!("fx_emu_sig_{f}").as_bytes())
                    .map_err(load_err)?;
                (launch, signature)
            };
            // SAFETY: with a capacity of 0 the signature function writes nothing; with `count`
            // it writes `count` sizes into a buffer of that length.
            let params = unsafe {
                let count = signature(std::ptr::null_mut(), 0);
                let mut sizes = vec![0usize; count];
                signature(sizes.as_mut_ptr(), count);
                sizes
            };
            kernels.insert(f.to_owned(), Kernel { launch, params });
        }
        // The library stays mapped after its file is gone; a failed compile keeps its unit.
        let _ = std::fs::remove_dir_all(&dir);
        Ok(HostModule {
            name: name.to_owned(),
            cooperative,
            kernels,
            _library: lib,
        })
    }

    /// The module's name (the `.cu` file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The byte size of each parameter of `kernel`, in order.
    pub fn params(&self, kernel: &str) -> Result<&[usize], HostError> {
        Ok(&self.kernel(kernel)?.params)
    }

    fn kernel(&self, kernel: &str) -> Result<&Kernel, HostError> {
        self.kernels
            .get(kernel)
            .ok_or_else(|| HostError::UnknownKernel {
                module: self.name.clone(),
                kernel: kernel.to_owned(),
            })
    }

    /// Runs `kernel` on a grid of `grid` blocks of `block` threads (see the module docs for how
    /// they are scheduled), with `args` packed as for `cuLaunchKernel`: `args[i]` points at the
    /// value of the kernel's i-th parameter. Returns when the kernel has finished. Errors for an
    /// unknown kernel, a wrong argument count, a configuration CUDA would reject (no blocks, no
    /// threads, more than 1024 threads), and for a cooperative module a block size that is not a
    /// multiple of 32 (the emulated warps would be incomplete).
    ///
    /// # Safety
    /// Each `args[i]` must point at a readable value of the i-th parameter's type, and every
    /// pointer among those values must be valid for all the reads and writes the kernel makes
    /// through it (device pointers are plain host pointers here).
    pub unsafe fn launch(
        &self,
        kernel: &str,
        grid: u32,
        block: u32,
        args: &mut [*mut c_void],
    ) -> Result<(), HostError> {
        let k = self.kernel(kernel)?;
        let bad = |detail: String| HostError::Launch {
            kernel: kernel.to_owned(),
            detail,
        };
        if grid == 0 || block == 0 || block > MAX_BLOCK {
            return Err(bad(format!(
                "{grid} blocks of {block} threads (need at least one block and 1 to {MAX_BLOCK} \
                 threads per block)"
            )));
        }
        if self.cooperative && !block.is_multiple_of(32) {
            return Err(bad(format!(
                "{block} threads per block: module `{}` shares data within warps and needs a \
                 multiple of 32",
                self.name
            )));
        }
        if args.len() != k.params.len() {
            return Err(bad(format!(
                "{} arguments for {} parameters",
                args.len(),
                k.params.len()
            )));
        }
        // SAFETY: the launcher reads one value of each parameter's type through `args` (valid
        // per this function's contract, and the count matches) and runs the kernel, whose
        // memory accesses the caller vouches for.
        unsafe { (k.launch)(grid, block, args.as_mut_ptr()) };
        Ok(())
    }

    /// [`HostModule::launch`] with arguments collected by [`KernelArgs`] (or [`kernel_args!`](crate::kernel_args)),
    /// which also checks each argument's byte size against the kernel's parameter: passing an
    /// `f32` for a `double` or a `u32` for a `size_t` is an error, not garbage.
    ///
    /// # Safety
    /// Every pointer among the argument values must be valid for all the reads and writes the
    /// kernel makes through it.
    pub unsafe fn launch_args(
        &self,
        kernel: &str,
        grid: u32,
        block: u32,
        args: &KernelArgs<'_>,
    ) -> Result<(), HostError> {
        let k = self.kernel(kernel)?;
        if args.sizes != k.params {
            return Err(HostError::Launch {
                kernel: kernel.to_owned(),
                detail: format!(
                    "argument sizes {:?} bytes do not match the parameter sizes {:?}",
                    args.sizes, k.params
                ),
            });
        }
        let mut ptrs = args.ptrs.clone();
        // SAFETY: each pointer points at a live value (borrowed for 'a by `args`) whose size
        // matches its parameter's; the caller vouches for the pointers among the values.
        unsafe { self.launch(kernel, grid, block, &mut ptrs) }
    }
}

/// Kernel arguments for [`HostModule::launch_args`]: each a borrowed value (as cudarc's
/// `.arg(&x)`), with its size.
#[derive(Debug, Default)]
pub struct KernelArgs<'a> {
    ptrs: Vec<*mut c_void>,
    sizes: Vec<usize>,
    _values: PhantomData<&'a ()>,
}

impl<'a> KernelArgs<'a> {
    /// No arguments yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the value `v` (a scalar, or a pointer standing for a device pointer).
    pub fn push<T: Copy>(&mut self, v: &'a T) -> &mut Self {
        self.ptrs.push(v as *const T as *mut c_void);
        self.sizes.push(std::mem::size_of::<T>());
        self
    }
}

/// [`KernelArgs`] of the listed references, in order: `kernel_args![&out_ptr, &n, &value]`.
#[macro_export]
macro_rules! kernel_args {
    ($($arg:expr),* $(,)?) => {{
        let mut args = $crate::host::KernelArgs::new();
        $(args.push($arg);)*
        args
    }};
}

/// The module `id` compiled for the host, or `None` after printing a skip notice when no C++
/// compiler is available, for tests: `let Some(m) = require_or_skip(Id::Fill) else { return };`.
///
/// # Panics
/// When no compiler is available and `FLUXION_REQUIRE_EMULATION=1`, and on any other error
/// (a kernel that does not compile is a failure, not a skip).
pub fn require_or_skip(id: Id) -> Option<Arc<HostModule>> {
    match HostModule::compile(id) {
        Ok(m) => Some(m),
        Err(e @ HostError::NoCompiler { .. }) => {
            assert!(
                std::env::var(REQUIRE_ENV).as_deref() != Ok("1"),
                "{REQUIRE_ENV}=1 but the kernels cannot be emulated: {e}"
            );
            eprintln!("skipped: no C++ compiler; set CXX or install g++");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// A module's source assembled from `dir` (`prelude.cuh` first when the module uses it).
fn source_from_dir(module: &Module, dir: &Path) -> Result<String, HostError> {
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).map_err(|source| HostError::Io {
            step: "reading the kernel source",
            path,
            source,
        })
    };
    let body = read(&format!("{}.cu", module.name))?;
    Ok(if module.uses_prelude() {
        read("prelude.cuh")? + &body
    } else {
        body
    })
}

/// The C++ unit: the shim, the module source, then a launcher (cooperative or sequential) and a
/// signature function per kernel.
fn unit_text(source: &str, functions: &[&str], cooperative: bool) -> String {
    let launcher = if cooperative {
        "fx_emu_launch_cooperative"
    } else {
        "fx_emu_launch"
    };
    let mut unit = String::with_capacity(CUDA_SHIM.len() + source.len() + 200 * functions.len());
    unit.push_str(CUDA_SHIM);
    unit.push_str("\n// ---- module source ----\n");
    unit.push_str(source);
    unit.push_str("\n// ---- launchers (fluxion_kernels::host) ----\n");
    for f in functions {
        unit.push_str(&format!(
            "extern \"C\" void fx_emu_{f}(unsigned int grid, unsigned int block, void** args) {{ \
             {launcher}({f}, grid, block, args); }}\n\
             extern \"C\" size_t fx_emu_sig_{f}(size_t* sizes, size_t cap) {{ \
             return fx_emu_signature({f}, sizes, cap); }}\n"
        ));
    }
    unit
}
