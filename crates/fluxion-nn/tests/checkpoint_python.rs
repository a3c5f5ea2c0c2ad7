//! Interoperability with Python's reference `safetensors` package: a file written here loads
//! with `safetensors.numpy.load_file` (names, shapes, dtypes, bit-exact values, metadata via
//! `safe_open(...).metadata()`), and a file written by `safetensors.numpy.save_file` loads
//! here.
//!
//! Needs `python3` with `safetensors` and `numpy` importable, from `$FLUXION_PYTHONPATH` (an
//! absolute directory, put in front of `PYTHONPATH`) when set; `scripts/test` installs both
//! into `.cache/python` and sets it. Without them the test prints a notice and passes, unless
//! `FLUXION_REQUIRE_SAFETENSORS_PY=1`, when it fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fluxion_nn::{load_tensors, save_tensors};
use fluxion_tensor::{DType, Device, Tensor};
use half::f16;

const CPU: Device = Device::Cpu;

/// Runs `python3 -c script args…` with `$FLUXION_PYTHONPATH` in front of `PYTHONPATH`.
fn python(script: &str, args: &[&Path]) -> std::io::Result<Output> {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    if let Some(extra) = std::env::var_os("FLUXION_PYTHONPATH") {
        let mut paths = vec![PathBuf::from(extra)];
        if let Some(old) = std::env::var_os("PYTHONPATH") {
            paths.extend(std::env::split_paths(&old));
        }
        cmd.env(
            "PYTHONPATH",
            std::env::join_paths(paths).expect("valid PYTHONPATH"),
        );
    }
    cmd.output()
}

/// Whether `import safetensors, numpy` works; otherwise fails or skips as documented above.
fn python_safetensors_available() -> bool {
    let why = match python("import safetensors, safetensors.numpy, numpy", &[]) {
        Ok(out) if out.status.success() => return true,
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            err.lines()
                .last()
                .unwrap_or("import failed")
                .trim()
                .to_string()
        }
        Err(e) => format!("cannot run python3: {e}"),
    };
    if std::env::var("FLUXION_REQUIRE_SAFETENSORS_PY").as_deref() == Ok("1") {
        panic!(
            "FLUXION_REQUIRE_SAFETENSORS_PY=1 but Python safetensors/numpy cannot be imported \
             (FLUXION_PYTHONPATH={:?}): {why}\nrun scripts/test, which installs them into \
             .cache/python",
            std::env::var_os("FLUXION_PYTHONPATH")
        );
    }
    eprintln!("skipped: Python safetensors not installed; scripts/test installs it ({why})");
    false
}

fn run_python(script: &str, args: &[&Path]) {
    let out = python(script, args).expect("python3 ran a moment ago");
    assert!(
        out.status.success(),
        "python failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh directory under cargo's per-target temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fluxion-nn-python-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(", "))
}

#[test]
fn rust_file_loads_in_python_safetensors() {
    if !python_safetensors_available() {
        return;
    }
    let dir = TempDir::new("to-python");
    let path = dir.0.join("from_rust.safetensors");
    let f32s = vec![1.5f32, -0.0, 3.25e-3, f32::from_bits(1), f32::MAX, -1e30];
    let f64s = -std::f64::consts::E;
    let f16s: Vec<f16> = [0x3c00u16, 0x8000, 0x0001, 0x7bff, 0xc500]
        .map(f16::from_bits)
        .to_vec();
    let i64s = vec![i64::MIN, -1, 0, 7, 1 << 40, i64::MAX];
    let tensors = vec![
        (
            "layer.weight".to_string(),
            Tensor::from_vec(f32s.clone(), [2, 3], &CPU).unwrap(),
        ),
        (
            "scale".to_string(),
            Tensor::from_vec(vec![f64s], (), &CPU).unwrap(),
        ),
        (
            "half".to_string(),
            Tensor::from_vec(f16s.clone(), [5], &CPU).unwrap(),
        ),
        (
            "index".to_string(),
            Tensor::from_vec(i64s.clone(), [3, 2], &CPU).unwrap(),
        ),
        (
            "empty".to_string(),
            Tensor::zeros([0, 4], DType::F32, &CPU).unwrap(),
        ),
    ];
    let metadata: BTreeMap<String, String> = [("epoch", "3"), ("note", "ünïcode, \"quoted\"")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    save_tensors(&path, &tensors, &metadata).unwrap();

    let f32_bits: Vec<u32> = f32s.iter().map(|x| x.to_bits()).collect();
    let f16_bits: Vec<u16> = f16s.iter().map(|x| x.to_bits()).collect();
    let script = format!(
        r#"
import sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
assert sorted(t) == ["empty", "half", "index", "layer.weight", "scale"], sorted(t)
w = t["layer.weight"]
assert w.dtype == np.float32 and w.shape == (2, 3), (w.dtype, w.shape)
assert w.view(np.uint32).ravel().tolist() == {f32_bits}, w
s = t["scale"]
assert s.dtype == np.float64 and s.shape == (), (s.dtype, s.shape)
assert s.view(np.uint64).item() == {f64_bits}, s
h = t["half"]
assert h.dtype == np.float16 and h.shape == (5,), (h.dtype, h.shape)
assert h.view(np.uint16).tolist() == {f16_bits}, h
i = t["index"]
assert i.dtype == np.int64 and i.shape == (3, 2), (i.dtype, i.shape)
assert i.ravel().tolist() == {i64s}, i
e = t["empty"]
assert e.dtype == np.float32 and e.shape == (0, 4), (e.dtype, e.shape)
with safe_open(sys.argv[1], framework="np") as f:
    meta = f.metadata()
assert meta == {{"epoch": "3", "note": "ünïcode, \"quoted\""}}, meta
print("ok")
"#,
        f32_bits = list(&f32_bits),
        f64_bits = f64s.to_bits(),
        f16_bits = list(&f16_bits),
        i64s = list(&i64s),
    );
    run_python(&script, &[&path]);
}

#[test]
fn python_file_loads_here() {
    if !python_safetensors_available() {
        return;
    }
    let dir = TempDir::new("from-python");
    let path = dir.0.join("from_python.safetensors");
    let script = r#"
import sys
import numpy as np
from safetensors.numpy import save_file
save_file({
    "weight": (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 8,
    "scalar": np.array(0.1, dtype=np.float64),
    "half": np.array([1.0, -0.0, 65504.0, 2.0**-24], dtype=np.float16),
    "idx": np.array([[-1, 2**40], [2**63 - 1, -2**63]], dtype=np.int64),
    "mask": np.array([0, 1, 255], dtype=np.uint8),
}, sys.argv[1], metadata={"source": "python", "format": "np"})
"#;
    run_python(script, &[&path]);

    let (tensors, metadata) = load_tensors(&path).unwrap();
    let names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["half", "idx", "mask", "scalar", "weight"]);
    let t = |name: &str| &tensors.iter().find(|(n, _)| n == name).unwrap().1;

    let w = t("weight");
    assert_eq!((w.dtype(), w.dims()), (DType::F32, &[2usize, 3][..]));
    let want: Vec<f32> = (0..6).map(|i| (i as f32 - 2.5) / 8.0).collect();
    assert_eq!(w.to_vec::<f32>().unwrap(), want);

    let s = t("scalar");
    assert_eq!((s.dtype(), s.dims()), (DType::F64, &[][..]));
    assert_eq!(s.to_scalar::<f64>().unwrap().to_bits(), 0.1f64.to_bits());

    let h = t("half");
    assert_eq!((h.dtype(), h.dims()), (DType::F16, &[4usize][..]));
    let bits: Vec<u16> = h
        .to_vec::<f16>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect();
    assert_eq!(bits, [0x3c00, 0x8000, 0x7bff, 0x0001]);

    let i = t("idx");
    assert_eq!((i.dtype(), i.dims()), (DType::I64, &[2usize, 2][..]));
    assert_eq!(
        i.to_vec::<i64>().unwrap(),
        [-1, 1 << 40, i64::MAX, i64::MIN]
    );

    let m = t("mask");
    assert_eq!((m.dtype(), m.dims()), (DType::U8, &[3usize][..]));
    assert_eq!(m.to_vec::<u8>().unwrap(), [0, 1, 255]);

    let want: BTreeMap<String, String> = [("format", "np"), ("source", "python")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(metadata, want);
}
