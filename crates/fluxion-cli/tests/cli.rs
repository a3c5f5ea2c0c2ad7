//! End-to-end tests of the `fluxion` binary.

use std::process::Command;

fn fluxion(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fluxion"))
        .args(args)
        .output()
        .expect("the fluxion binary runs")
}

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
}

#[test]
fn quickstart_passes_every_check() {
    let out = fluxion(&["quickstart", "--json", "--seed", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.len() >= 5);
    let checked = rows.iter().filter(|r| r["pass"].is_boolean()).count();
    assert!(checked >= 4, "too few checked rows: {v}");
    for r in rows {
        assert_ne!(r["pass"], false, "{r}");
        assert!(r["ours"].as_f64().unwrap().is_finite(), "{r}");
    }
    assert_eq!(v["failed"], 0);
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
