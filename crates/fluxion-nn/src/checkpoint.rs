//! Checkpoints in the [safetensors](https://github.com/huggingface/safetensors) format: an
//! 8-byte little-endian header length, a JSON header giving each tensor's dtype, shape and
//! byte range (plus an optional `__metadata__` map of strings), then the raw little-endian
//! data. Files written here load in Python with `safetensors.numpy.load_file` or
//! `safetensors.torch.load_file`, and files written there load here.
//!
//! Every write goes to a temporary file next to the target, is flushed to disk and then
//! renamed over the target, so a crash leaves either the old file or the new one, never a
//! half-written one.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use fluxion_tensor::{CpuStorage, DType, Device, Shape, Tensor, WithDType};
use half::{bf16, f16};
use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError, SafeTensors, View};

use crate::{Error, Module, Optimizer, OptimizerState, Result};

/// The model file in a checkpoint directory ([`save_checkpoint`]).
pub const MODEL_FILE: &str = "model.safetensors";
/// The optimizer file in a checkpoint directory ([`save_checkpoint`]).
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
/// Metadata key holding [`OptimizerState::kind`] in an optimizer file.
const KIND_KEY: &str = "optimizer.kind";
/// Metadata key prefix of each [`OptimizerState::scalars`] entry in an optimizer file.
const SCALAR_PREFIX: &str = "scalar.";

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn st_error(path: &Path, source: SafeTensorError) -> Error {
    match source {
        SafeTensorError::IoError(e) => io_error(path, e),
        source => Error::Safetensors {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn entry_error(path: &Path, name: &str, reason: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        name: name.to_string(),
        reason: reason.into(),
    }
}

fn st_dtype(dtype: DType) -> Dtype {
    match dtype {
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::U8 => Dtype::U8,
        DType::I64 => Dtype::I64,
    }
}

fn fluxion_dtype(dtype: Dtype) -> Option<DType> {
    Some(match dtype {
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        Dtype::U8 => DType::U8,
        Dtype::I64 => DType::I64,
        _ => return None,
    })
}

/// A tensor's host copy, serialised to little-endian bytes one tensor at a time.
struct HostTensor {
    dtype: DType,
    shape: Vec<usize>,
    data: CpuStorage,
}

impl View for &HostTensor {
    fn dtype(&self) -> Dtype {
        st_dtype(self.dtype)
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        fn le<const N: usize, T: Copy>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
            v.iter().flat_map(|&x| f(x)).collect()
        }
        Cow::Owned(match &self.data {
            CpuStorage::F16(v) => le(v, |x: f16| x.to_bits().to_le_bytes()),
            CpuStorage::BF16(v) => le(v, |x: bf16| x.to_bits().to_le_bytes()),
            CpuStorage::F32(v) => le(v, f32::to_le_bytes),
            CpuStorage::F64(v) => le(v, f64::to_le_bytes),
            CpuStorage::U8(v) => v.clone(),
            CpuStorage::I64(v) => le(v, i64::to_le_bytes),
        })
    }

    fn data_len(&self) -> usize {
        self.data.len() * self.dtype.size_in_bytes()
    }
}

/// A tensor of `dtype` and `shape` on `device` from little-endian `bytes` (whose length the
/// safetensors parser has checked).
fn tensor_from_le(dtype: DType, shape: &[usize], bytes: &[u8], device: &Device) -> Result<Tensor> {
    fn de<const N: usize, T: WithDType>(
        (bytes, shape, device): (&[u8], &[usize], &Device),
        f: impl Fn([u8; N]) -> T,
    ) -> fluxion_tensor::Result<Tensor> {
        let v = bytes
            .chunks_exact(N)
            .map(|c| f(c.try_into().expect("N bytes")));
        Tensor::from_vec(v.collect(), shape, device)
    }
    let x = (bytes, shape, device);
    Ok(match dtype {
        DType::F16 => de(x, |b| f16::from_bits(u16::from_le_bytes(b))),
        DType::BF16 => de(x, |b| bf16::from_bits(u16::from_le_bytes(b))),
        DType::F32 => de(x, f32::from_le_bytes),
        DType::F64 => de(x, f64::from_le_bytes),
        DType::U8 => de(x, |[b]: [u8; 1]| b),
        DType::I64 => de(x, i64::from_le_bytes),
    }?)
}

/// A parsed file: each tensor's safetensors dtype, shape and bytes (sorted by name), and the
/// `__metadata__` map.
struct Parsed<'a> {
    entries: BTreeMap<String, (Dtype, Vec<usize>, &'a [u8])>,
    metadata: BTreeMap<String, String>,
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| io_error(path, e))
}

fn parse<'a>(path: &Path, buf: &'a [u8]) -> Result<Parsed<'a>> {
    let (header_len, header): (usize, Metadata) =
        SafeTensors::read_metadata(buf).map_err(|e| st_error(path, e))?;
    // `read_metadata` checked that the byte ranges tile the data section exactly.
    let data = &buf[8 + header_len..];
    let entries = header
        .tensors()
        .into_iter()
        .map(|(name, info): (String, &TensorInfo)| {
            let (start, end) = info.data_offsets;
            (name, (info.dtype, info.shape.clone(), &data[start..end]))
        })
        .collect();
    let metadata = header
        .metadata()
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Parsed { entries, metadata })
}

/// The Fluxion dtype of an entry, or an error naming it.
fn entry_dtype(path: &Path, name: &str, dtype: Dtype) -> Result<DType> {
    fluxion_dtype(dtype).ok_or_else(|| {
        entry_error(
            path,
            name,
            format!("dtype {dtype} is not supported (Fluxion reads F16, BF16, F32, F64, U8, I64)"),
        )
    })
}

/// Writes through `write(tmp)` to a temporary file in `path`'s directory, syncs it to disk and
/// renames it over `path`. The temporary file is removed on failure.
fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io_error(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write(&tmp).and_then(|()| {
        // Reopened for writing: fsync needs a writable handle on some platforms.
        let file = OpenOptions::new()
            .write(true)
            .open(&tmp)
            .map_err(|e| io_error(path, e))?;
        file.sync_all().map_err(|e| io_error(path, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| io_error(path, e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable (best effort: not every platform can sync a directory).
    #[cfg(unix)]
    {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Ok(d) = fs::File::open(dir.unwrap_or(Path::new("."))) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Writes `tensors` (any device; copied to the host) and the string map `metadata` to the
/// safetensors file `path`, replacing it atomically (temporary file, `fsync`, rename).
///
/// Dtypes map one to one: F16, BF16, F32, F64, U8 and I64. An empty `metadata` writes no
/// `__metadata__` entry.
///
/// # Errors
/// [`Error::Checkpoint`] for a name given twice or named `__metadata__`; [`Error::Io`]
/// naming `path` when it cannot be written; device errors.
pub fn save_tensors(
    path: impl AsRef<Path>,
    tensors: &[(String, Tensor)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let mut seen = HashSet::new();
    let mut host = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        if name == "__metadata__" {
            return Err(entry_error(path, name, "reserved for the metadata map"));
        }
        if !seen.insert(name.as_str()) {
            return Err(entry_error(path, name, "given more than once"));
        }
        host.push((
            name.as_str(),
            HostTensor {
                dtype: t.dtype(),
                shape: t.dims().to_vec(),
                data: t.to_cpu_storage()?,
            },
        ));
    }
    let info: Option<HashMap<String, String>> =
        (!metadata.is_empty()).then(|| metadata.clone().into_iter().collect());
    write_atomically(path, |tmp| {
        safetensors::serialize_to_file(host.iter().map(|(n, h)| (*n, h)), info, tmp)
            .map_err(|e| st_error(path, e))
    })
}

/// Reads every tensor (as CPU tensors, sorted by name) and the `__metadata__` map (empty when
/// absent) from the safetensors file `path`.
///
/// # Errors
/// [`Error::Io`] when `path` cannot be read; [`Error::Safetensors`] for a malformed or
/// truncated file; [`Error::Checkpoint`] naming a tensor whose dtype Fluxion does not have
/// (anything but F16, BF16, F32, F64, U8, I64).
#[allow(clippy::type_complexity)] // (tensors, metadata), spelled out for the reader
pub fn load_tensors(
    path: impl AsRef<Path>,
) -> Result<(Vec<(String, Tensor)>, BTreeMap<String, String>)> {
    let path = path.as_ref();
    let buf = read_file(path)?;
    let Parsed { entries, metadata } = parse(path, &buf)?;
    let tensors = entries
        .into_iter()
        .map(|(name, (dtype, shape, bytes))| {
            let dtype = entry_dtype(path, &name, dtype)?;
            let t = tensor_from_le(dtype, &shape, bytes, &Device::Cpu)?;
            Ok((name, t))
        })
        .collect::<Result<_>>()?;
    Ok((tensors, metadata))
}

/// Writes `module`'s parameters under their dotted names ([`Module::named_parameters`]), with
/// their stored dtypes, plus `metadata`, to `path` (as [`save_tensors`]).
///
/// # Errors
/// As [`save_tensors`].
pub fn save_module(
    path: impl AsRef<Path>,
    module: &dyn Module,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let tensors: Vec<(String, Tensor)> = module
        .named_parameters()
        .into_iter()
        .map(|(name, p)| (name, p.tensor()))
        .collect();
    save_tensors(path, &tensors, metadata)
}

/// Loads parameters saved by [`save_module`] into `module` (each onto its parameter's device)
/// and returns the file's metadata.
///
/// Strict: the file must hold exactly the module's parameter names, each with the
/// parameter's shape and dtype. Everything is checked before any value is set, so on error
/// the module is unchanged.
///
/// # Errors
/// [`Error::Checkpoint`] naming `path`, the first offending name and what is wrong (expected
/// vs found shape or dtype, missing, unexpected), followed by any further problems; errors of
/// [`load_tensors`].
pub fn load_module(
    path: impl AsRef<Path>,
    module: &dyn Module,
) -> Result<BTreeMap<String, String>> {
    let path = path.as_ref();
    let buf = read_file(path)?;
    let Parsed { entries, metadata } = parse(path, &buf)?;
    let params = module.named_parameters();
    let mut problems: Vec<(String, String)> = Vec::new();
    for (name, p) in &params {
        let Some((dtype, shape, _)) = entries.get(name) else {
            problems.push((name.clone(), "missing from the checkpoint".into()));
            continue;
        };
        let found = fluxion_dtype(*dtype).map_or_else(|| dtype.to_string(), |d| d.to_string());
        let (want_shape, found_shape) = (p.shape(), Shape::from(shape.as_slice()));
        if fluxion_dtype(*dtype) != Some(p.dtype()) {
            let reason = format!("expected dtype {}, found {found}", p.dtype());
            problems.push((name.clone(), reason));
        } else if want_shape != found_shape {
            let reason = format!("expected shape {want_shape}, found {found_shape}");
            problems.push((name.clone(), reason));
        }
    }
    let names: HashSet<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    for name in entries.keys().filter(|n| !names.contains(n.as_str())) {
        problems.push((
            name.clone(),
            "unexpected: not a parameter of the module".into(),
        ));
    }
    if let Some((name, reason)) = problems.first() {
        let mut reason = reason.clone();
        for (n, r) in &problems[1..] {
            reason.push_str(&format!("; also {n}: {r}"));
        }
        return Err(entry_error(path, name, reason));
    }
    let values = params
        .iter()
        .map(|(name, p)| {
            let (_, shape, bytes) = &entries[name];
            tensor_from_le(p.dtype(), shape, bytes, &p.device())
        })
        .collect::<Result<Vec<_>>>()?;
    for ((_, p), v) in params.iter().zip(values) {
        p.set_value(v)?;
    }
    Ok(metadata)
}

/// `x` as text that parses back to the same bits: Rust's shortest round-trip form
/// (`0.1`, `1e-300`, `inf`, `NaN`), or `0x` and the hex bits for a NaN other than the
/// canonical one.
fn encode_f64(x: f64) -> String {
    if x.is_nan() && x.to_bits() != f64::NAN.to_bits() {
        format!("0x{:016x}", x.to_bits())
    } else {
        format!("{x:?}")
    }
}

fn decode_f64(s: &str) -> Option<f64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok().map(f64::from_bits),
        None => s.parse().ok(),
    }
}

/// Writes `optimizer`'s [`OptimizerState`] to `path`: its tensors under their keys, and in
/// `__metadata__` its kind (key `optimizer.kind`), each scalar (key `scalar.<name>`, exact:
/// shortest round-trip decimal, or hex bits for a non-canonical NaN) and `metadata`.
///
/// # Errors
/// [`Error::InvalidArgument`] when a `metadata` key is `optimizer.kind` or starts with
/// `scalar.`; as [`save_tensors`].
pub fn save_optimizer(
    path: impl AsRef<Path>,
    optimizer: &dyn Optimizer,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    if let Some(key) = metadata
        .keys()
        .find(|k| *k == KIND_KEY || k.starts_with(SCALAR_PREFIX))
    {
        return Err(Error::InvalidArgument {
            what: "save_optimizer",
            reason: format!(
                "metadata key `{key}` is reserved (`{KIND_KEY}` and `{SCALAR_PREFIX}*` hold the optimizer state)"
            ),
        });
    }
    let state = optimizer.state();
    let mut meta = metadata.clone();
    meta.insert(KIND_KEY.into(), state.kind);
    for (k, v) in &state.scalars {
        meta.insert(format!("{SCALAR_PREFIX}{k}"), encode_f64(*v));
    }
    let tensors: Vec<(String, Tensor)> = state.tensors.into_iter().collect();
    save_tensors(path, &tensors, &meta)
}

/// Reads the state in an optimizer file, checking its kind against `optimizer`'s name.
/// Tensors keyed `"{i}.…"` go to parameter `i`'s device, others to the CPU.
fn read_optimizer_state(
    path: &Path,
    optimizer: &dyn Optimizer,
) -> Result<(OptimizerState, BTreeMap<String, String>)> {
    let buf = read_file(path)?;
    let Parsed { entries, metadata } = parse(path, &buf)?;
    let (scalar_meta, mut metadata): (BTreeMap<_, _>, BTreeMap<_, _>) = metadata
        .into_iter()
        .partition(|(k, _)| k.starts_with(SCALAR_PREFIX));
    let kind = metadata
        .remove(KIND_KEY)
        .ok_or_else(|| entry_error(path, KIND_KEY, "missing: not an optimizer checkpoint"))?;
    if kind != optimizer.name() {
        return Err(entry_error(
            path,
            KIND_KEY,
            format!("expected optimizer {}, found {kind}", optimizer.name()),
        ));
    }
    let mut scalars = BTreeMap::new();
    for (key, text) in scalar_meta {
        let value = decode_f64(&text)
            .ok_or_else(|| entry_error(path, &key, format!("`{text}` is not a number")))?;
        scalars.insert(key[SCALAR_PREFIX.len()..].to_string(), value);
    }
    let params = optimizer.params();
    let mut tensors = BTreeMap::new();
    for (name, (dtype, shape, bytes)) in entries {
        let dtype = entry_dtype(path, &name, dtype)?;
        let device = name
            .split_once('.')
            .and_then(|(i, _)| i.parse::<usize>().ok())
            .and_then(|i| params.get(i))
            .map_or(Device::Cpu, |p| p.device());
        let t = tensor_from_le(dtype, &shape, bytes, &device)?;
        tensors.insert(name, t);
    }
    let state = OptimizerState {
        kind,
        scalars,
        tensors,
    };
    Ok((state, metadata))
}

/// Restores state saved by [`save_optimizer`] into `optimizer` and returns the file's other
/// metadata (the `metadata` given to [`save_optimizer`]).
///
/// # Errors
/// [`Error::Checkpoint`] naming `path` when the file is not an optimizer file, was written by
/// another kind of optimizer, or holds a scalar that is not a number; errors of
/// [`load_tensors`]; [`Optimizer::load_state`]'s errors when the state does not fit.
pub fn load_optimizer(
    path: impl AsRef<Path>,
    optimizer: &mut dyn Optimizer,
) -> Result<BTreeMap<String, String>> {
    let (state, metadata) = read_optimizer_state(path.as_ref(), optimizer)?;
    optimizer.load_state(&state)?;
    Ok(metadata)
}

/// Saves a training checkpoint into directory `dir` (created if missing): the module to
/// `dir/model.safetensors` with `metadata` ([`save_module`]) and, when given, the optimizer
/// to `dir/optimizer.safetensors` ([`save_optimizer`]); without an optimizer, a stale
/// `optimizer.safetensors` is removed. Each file is replaced atomically, the pair is not.
///
/// # Errors
/// [`Error::Io`] naming the directory or file; as [`save_module`] and [`save_optimizer`].
pub fn save_checkpoint(
    dir: impl AsRef<Path>,
    module: &dyn Module,
    optimizer: Option<&dyn Optimizer>,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let dir = dir.as_ref();
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    save_module(dir.join(MODEL_FILE), module, metadata)?;
    let opt_path = dir.join(OPTIMIZER_FILE);
    match optimizer {
        Some(opt) => save_optimizer(&opt_path, opt, &BTreeMap::new()),
        None => match fs::remove_file(&opt_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(&opt_path, e)),
            _ => Ok(()),
        },
    }
}

/// Loads a checkpoint written by [`save_checkpoint`] into `module` and, when given,
/// `optimizer`, and returns the model file's metadata. Both files are read and checked before
/// the module is changed; the optimizer's own [`Optimizer::load_state`] runs last.
///
/// # Errors
/// As [`load_module`] and [`load_optimizer`] (a missing `optimizer.safetensors` is an
/// [`Error::Io`] naming it).
pub fn load_checkpoint(
    dir: impl AsRef<Path>,
    module: &dyn Module,
    optimizer: Option<&mut dyn Optimizer>,
) -> Result<BTreeMap<String, String>> {
    let dir = dir.as_ref();
    let state = match &optimizer {
        Some(opt) => Some(read_optimizer_state(&dir.join(OPTIMIZER_FILE), &**opt)?.0),
        None => None,
    };
    let metadata = load_module(dir.join(MODEL_FILE), module)?;
    if let (Some(opt), Some(state)) = (optimizer, state) {
        opt.load_state(&state)?;
    }
    Ok(metadata)
}
