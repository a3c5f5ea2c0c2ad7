//! Shared test helpers: run Python snippets with h5py, and read the arrays they dump.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fluxion_tensor::{Device, Tensor};

/// A fresh directory under the target dir for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("fluxion-data")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const PRELUDE: &str = r#"
import sys, os, h5py, numpy as np
_dir = sys.argv[1]
_manifest = open(os.path.join(_dir, "manifest.txt"), "w")
def out(name, a):
    a = np.ascontiguousarray(a)
    a.tofile(os.path.join(_dir, name + ".bin"))
    _manifest.write(f"{name} {a.dtype.str} {','.join(map(str, a.shape))}\n")
    _manifest.flush()
"#;

/// Arrays a Python snippet dumped with `out(name, array)`.
#[derive(Debug)]
pub struct Refs {
    arrays: HashMap<String, (String, Vec<usize>, Vec<u8>)>,
}

impl Refs {
    /// The f32 array `name`: its shape and values.
    pub fn f32(&self, name: &str) -> (Vec<usize>, Vec<f32>) {
        let (dt, shape, bytes) = self
            .arrays
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}`"));
        assert_eq!(dt, "<f4", "`{name}` dtype");
        let v = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        (shape.clone(), v)
    }

    /// The f32 array `name` as a tensor.
    pub fn tensor(&self, name: &str) -> Tensor {
        let (s, v) = self.f32(name);
        Tensor::from_vec(v, s, &Device::Cpu).unwrap()
    }

    /// The dtype string (numpy `dtype.str`) of `name`.
    pub fn dtype(&self, name: &str) -> &str {
        &self.arrays[name].0
    }

    /// A scalar dumped as a one-element array of any float type.
    pub fn scalar(&self, name: &str) -> f64 {
        let (dt, _, b) = &self.arrays[name];
        match dt.as_str() {
            "<f8" => f64::from_le_bytes(b[..8].try_into().unwrap()),
            "<f4" => f32::from_le_bytes(b[..4].try_into().unwrap()) as f64,
            "<i8" => i64::from_le_bytes(b[..8].try_into().unwrap()) as f64,
            other => panic!("`{name}`: scalar dtype {other}"),
        }
    }
}

/// Runs `snippet` under python3 with h5py and numpy (from `FLUXION_PYTHONPATH`), with `dir` as
/// the working directory and `out(name, array)` available; `None` (after a notice) when h5py is
/// missing, unless `FLUXION_REQUIRE_H5PY=1`, in which case the test fails.
pub fn python(snippet: &str, dir: &Path) -> Option<Refs> {
    let pythonpath = std::env::var("FLUXION_PYTHONPATH").unwrap_or_default();
    let check = Command::new("python3")
        .args(["-c", "import h5py, numpy"])
        .env("PYTHONPATH", &pythonpath)
        .output();
    if !matches!(&check, Ok(o) if o.status.success()) {
        if std::env::var("FLUXION_REQUIRE_H5PY").as_deref() == Ok("1") {
            panic!("FLUXION_REQUIRE_H5PY=1 but python3 cannot import h5py: run scripts/test");
        }
        eprintln!("notice: python3 with h5py not found (set FLUXION_PYTHONPATH, or run scripts/test); skipping the h5py part of this test");
        return None;
    }
    let script = format!("{PRELUDE}\nos.chdir(_dir)\n{snippet}\n");
    let out = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .arg(dir)
        .env("PYTHONPATH", &pythonpath)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = std::fs::read_to_string(dir.join("manifest.txt")).unwrap();
    let mut arrays = HashMap::new();
    for line in manifest.lines() {
        let mut it = line.split(' ');
        let (name, dt, shape) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        let shape: Vec<usize> = shape
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let bytes = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
        arrays.insert(name.to_string(), (dt.to_string(), shape, bytes));
    }
    Some(Refs { arrays })
}

/// Asserts two tensors have the same shape and bit-identical f32 values.
pub fn assert_same(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let (g, w) = (got.to_vec::<f32>().unwrap(), want.to_vec::<f32>().unwrap());
    let bad = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a.to_bits() != b.to_bits());
    assert!(
        bad.is_none(),
        "{what}: first difference at flat index {bad:?}"
    );
}

/// Deterministic test values: a seeded xorshift stream in [-1, 1).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A CPU f32 tensor of [`values`].
pub fn rand(shape: &[usize], seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(values(n, seed), shape.to_vec(), &Device::Cpu).unwrap()
}
