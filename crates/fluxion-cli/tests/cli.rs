//! End-to-end tests of the `fluxion` binary.

mod common;

use common::*;

#[test]
fn info_json_reports_cpu_and_cuda_sections() {
    let out = fluxion(&["info", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert!(v["cpu"]["threads"].as_u64().unwrap() >= 1);
    for lib in ["driver_library", "nvrtc", "cublas", "cufft"] {
        assert!(v["cuda"][lib].is_boolean(), "{lib} missing: {v}");
    }
    assert!(v["cuda"]["devices"].is_array());
    // The NVRTC compile check: a report, an error, or null when libnvrtc is absent.
    let k = &v["cuda"]["kernels"];
    match v["cuda"]["nvrtc"].as_bool() {
        Some(true) => assert!(
            k["modules"].as_u64().is_some_and(|n| n > 0)
                && k["kernels"].as_u64().is_some_and(|n| n > 0),
            "kernels do not compile: {k}"
        ),
        _ => assert!(k.is_null(), "{k}"),
    }
}

#[test]
fn absent_gpu_is_a_one_line_error() {
    let out = fluxion(&["quickstart", "--device", "cuda:7"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot open device cuda:7"), "{err}");
    assert!(err.contains("CUDA"), "{err}");
}

#[test]
fn bad_device_string_is_rejected() {
    let out = fluxion(&["quickstart", "--device", "tpu"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot parse device \"tpu\""), "{err}");
}

fn json_ok(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The shape of dataset `key` in an `inspect --json` report.
fn shape_of(report: &serde_json::Value, key: &str) -> Vec<u64> {
    let d = report["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == key)
        .unwrap_or_else(|| panic!("no dataset {key}: {report}"));
    d["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

#[test]
fn generate_advection_then_inspect() {
    let dir = TempDir::new("advection");
    let path = dir.path("adv.h5");
    let args = [
        "generate",
        "advection",
        "--n",
        "2",
        "--resolution",
        "32",
        "--seed",
        "7",
        "--out",
        &path,
        "--param",
        "beta=0.4",
        "--param",
        "steps=10",
        "--json",
    ];
    let g = json_ok(&fluxion(&args));
    assert_eq!(g["pde"], "advection");
    assert_eq!(g["n"], 2);
    assert_eq!(g["resolution"], 32);
    assert_eq!(g["seed"], 7);
    assert_eq!(g["attributes"]["beta"], 0.4);

    let r = json_ok(&fluxion(&["data", "inspect", &path, "--json"]));
    assert!(r["layout"].as_str().unwrap().contains("1-D"), "{r}");
    assert_eq!(r["n"], 2);
    assert_eq!(r["attributes"]["seed"], 7.0);
    assert_eq!(r["attributes"]["beta"], 0.4);
    assert_eq!(shape_of(&r, "tensor"), [2, 11, 32]);
    assert_eq!(shape_of(&r, "x-coordinate"), [32]);
    assert_eq!(shape_of(&r, "t-coordinate"), [12]);
    // Sums of at most two unit-amplitude sines: |u| <= 2, and the first sample's range is read.
    let tensor = r["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == "tensor")
        .unwrap();
    let range = &tensor["range"];
    assert!(range["selection"]
        .as_str()
        .unwrap()
        .contains("first sample"));
    assert_eq!(range["count"], 11 * 32);
    let (min, max) = (
        range["min"].as_f64().unwrap(),
        range["max"].as_f64().unwrap(),
    );
    assert!(-2.0 <= min && min < max && max <= 2.0, "{range}");
}

#[test]
fn generate_darcy_then_inspect() {
    let dir = TempDir::new("darcy");
    let path = dir.path("darcy.h5");
    let args = [
        "generate",
        "darcy",
        "--n",
        "2",
        "--resolution",
        "16",
        "--seed",
        "3",
        "--out",
        &path,
    ];
    let out = fluxion(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.starts_with("wrote 2 darcy samples"), "{line}");

    let r = json_ok(&fluxion(&["data", "inspect", &path, "--json"]));
    assert!(r["layout"].as_str().unwrap().contains("Darcy"), "{r}");
    assert_eq!(r["n"], 2);
    assert_eq!(r["attributes"]["seed"], 3.0);
    assert_eq!(shape_of(&r, "nu"), [2, 16, 16]);
    assert_eq!(shape_of(&r, "tensor"), [2, 1, 16, 16]);
    let nu = r["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == "nu")
        .unwrap();
    // The coefficient takes only the two values 3 and 12.
    for k in ["min", "max"] {
        let v = nu["range"][k].as_f64().unwrap();
        assert!(v == 3.0 || v == 12.0, "{nu}");
    }
}

#[test]
fn unknown_param_key_is_a_usage_error() {
    let dir = TempDir::new("badparam");
    let path = dir.path("x.h5");
    let out = fluxion(&[
        "generate",
        "advection",
        "--n",
        "2",
        "--resolution",
        "16",
        "--out",
        &path,
        "--param",
        "speed=1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`speed`") && err.contains("beta"), "{err}");
    assert!(!std::path::Path::new(&path).exists());
}

#[test]
fn inspect_of_a_missing_file_names_it() {
    let dir = TempDir::new("missing");
    let path = dir.path("nope.h5");
    let out = fluxion(&["data", "inspect", &path]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path) && err.contains("no such file"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn generate_navier_stokes_then_inspect() {
    let dir = TempDir::new("ns");
    let path = dir.path("ns.h5");
    // Stored at 16², solved at 32², two snapshots after w0 over t = 0.02 with dt = 1e-3.
    let args = [
        "generate",
        "navier-stokes",
        "--n",
        "2",
        "--resolution",
        "16",
        "--seed",
        "5",
        "--out",
        &path,
        "--param",
        "s=32",
        "--param",
        "t_final=0.02",
        "--param",
        "dt=1e-3",
        "--param",
        "record_steps=2",
        "--json",
    ];
    let g = json_ok(&fluxion(&args));
    assert_eq!(g["pde"], "navier-stokes");
    assert_eq!(g["resolution"], 16);
    let r = json_ok(&fluxion(&["data", "inspect", &path, "--json"]));
    assert_eq!(r["n"], 2);
    assert_eq!(r["attributes"]["seed"], 5.0);
    assert_eq!(shape_of(&r, "tensor"), [2, 3, 16, 16]);
}

/// The dataset entry `key` of an `inspect --json` report.
fn dataset<'a>(report: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    report["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == key)
        .unwrap_or_else(|| panic!("no dataset {key}: {report}"))
}

#[test]
fn inspect_reads_a_classic_mat_file_in_matlab_axis_order() {
    // SciPy's fixture (fluxion-data/tests/data/make_v5.py): u[i, j, k] = 100 i + 10 j + k, 5x4x3.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fluxion-data/tests/data/v5_small.mat"
    );
    let r = json_ok(&fluxion(&["data", "inspect", path, "--json"]));
    assert_eq!(r["format"], "MAT v5", "{r}");
    assert!(r["layout"].as_str().unwrap().contains("MAT"), "{r}");
    assert_eq!(shape_of(&r, "u"), [5, 4, 3]);
    assert_eq!(shape_of(&r, "coeff"), [2, 3, 4]);
    assert_eq!(shape_of(&r, "a"), [3, 2]);
    let u = &dataset(&r, "u")["range"];
    assert_eq!(
        (u["min"].as_f64(), u["max"].as_f64()),
        (Some(0.0), Some(432.0))
    );
    assert_eq!(u["count"], 60);
    assert_eq!(dataset(&r, "coeff")["range"]["max"], 123.0);
}

#[test]
fn inspect_reads_a_v73_mat_file_with_its_user_block() {
    // h5py writes what MATLAB writes for `save -v7.3`: HDF5 behind a 512-byte user block that
    // starts with the MATLAB header, arrays stored with their axes reversed.
    let dir = TempDir::new("mat73");
    let script = r#"
import h5py, numpy as np
i, j, k = np.meshgrid(np.arange(5), np.arange(4), np.arange(3), indexing="ij")
u = (100 * i + 10 * j + k).astype("f8")
header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
with h5py.File("burgers.mat", "w", userblock_size=512) as f:
    f["u"] = u.T
    f["u"].attrs["MATLAB_class"] = np.bytes_("double")
with open("burgers.mat", "r+b") as fh:
    fh.write(header.ljust(116) + b"\x00" * 8 + b"\x00\x02IM")
"#;
    let made = std::process::Command::new("python3")
        .args(["-c", script])
        .current_dir(dir.dir())
        .env(
            "PYTHONPATH",
            std::env::var("FLUXION_PYTHONPATH").unwrap_or_default(),
        )
        .output();
    if !matches!(&made, Ok(o) if o.status.success()) {
        eprintln!("notice: skipping the v7.3 MAT inspect test: python3 with h5py is not available");
        return;
    }
    let path = dir.path("burgers.mat");
    let r = json_ok(&fluxion(&["data", "inspect", &path, "--json"]));
    assert_eq!(r["format"], "MAT v7.3 (HDF5)", "{r}");
    assert_eq!(shape_of(&r, "u"), [5, 4, 3]);
    let u = &dataset(&r, "u")["range"];
    assert_eq!(
        (u["min"].as_f64(), u["max"].as_f64()),
        (Some(0.0), Some(432.0))
    );
}
