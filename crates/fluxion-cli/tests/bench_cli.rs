//! End-to-end tests of `fluxion bench` at tiny sizes: the rows, units and columns of the JSON
//! document, the suite filter and the refusal of an absent GPU. No timing is asserted.

mod common;

use common::*;

use serde_json::Value;

/// Runs `bench --size tiny --json --quiet` with `extra` and parses the document.
fn bench_json(extra: &[&str]) -> Value {
    let mut args = vec!["bench", "--size", "tiny", "--json", "--quiet"];
    args.extend_from_slice(extra);
    let out = fluxion(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "--quiet printed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

const OPS: [(&str, &str); 7] = [
    ("sgemm", "GFLOP/s"),
    ("rfft+irfft", "GFLOP/s"),
    ("add", "GB/s"),
    ("sum", "GB/s"),
    ("spectral_conv1d fwd+bwd", "samples/s"),
    ("mode mix complex_matmul", "GFLOP/s"),
    ("mode mix real block gemm", "GFLOP/s"),
];

const MODELS: [(&str, &str); 4] = [
    ("fno1d train step", "samples/s"),
    ("pinn decay epoch", "epochs/s"),
    ("neural ode spiral iter", "steps/s"),
    ("sde gbm euler-maruyama", "paths·steps/s"),
];

fn positive(v: &Value) -> bool {
    v.as_f64().is_some_and(|x| x.is_finite() && x > 0.0)
}

#[test]
fn tiny_json_has_every_row_with_its_unit_and_peak_fraction() {
    let v = bench_json(&[]);
    let m = &v["machine"];
    assert!(!m["cpu"].as_str().unwrap().is_empty(), "{m}");
    assert!(m["threads"].as_u64().unwrap() >= 1, "{m}");
    assert!(m["date"].as_str().unwrap().ends_with('Z'), "{m}");
    let peak = &v["peaks"]["cpu"];
    assert!(
        positive(&peak["gflops"]) && positive(&peak["gbps"]),
        "{peak}"
    );

    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), OPS.len() + MODELS.len(), "{v}");
    for (suite, list) in [("ops", &OPS[..]), ("models", &MODELS[..])] {
        for &(workload, unit) in list {
            let r = rows
                .iter()
                .find(|r| r["workload"] == workload)
                .unwrap_or_else(|| panic!("no row {workload}: {v}"));
            assert_eq!(r["suite"], suite, "{r}");
            assert_eq!(r["device"], "cpu", "{r}");
            assert_eq!(r["size"].as_str().map(str::is_empty), Some(false), "{r}");
            assert_eq!(r["unit"], unit, "{r}");
            assert!(positive(&r["throughput"]), "{r}");
            assert!(positive(&r["median_ms"]), "{r}");
            assert!(r["reps"].as_u64().unwrap() >= 1, "{r}");
            assert_eq!(r["speedup"].as_f64(), Some(1.0), "{r}");
            assert!(r.get("note").is_none(), "{r}");
            if unit == "GFLOP/s" || unit == "GB/s" {
                assert!(positive(&r["peak_fraction"]), "{r}");
            } else {
                assert!(r["peak_fraction"].is_null(), "{r}");
            }
        }
    }
}

#[test]
fn suite_ops_gives_only_ops_rows() {
    let v = bench_json(&["--suite", "ops"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), OPS.len(), "{v}");
    for r in rows {
        assert_eq!(r["suite"], "ops", "{r}");
    }
}

#[test]
fn table_lists_the_rows_and_progress_goes_to_stderr() {
    let out = fluxion(&["bench", "--size", "tiny", "--suite", "models"]);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(table.contains("speed-up"), "{table}");
    for (workload, unit) in MODELS {
        assert!(table.contains(workload), "{table}");
        assert!(table.contains(unit), "{table}");
        assert!(progress.contains(workload), "{progress}");
    }
    assert!(!table.contains("sgemm"), "{table}");
}

#[test]
fn absent_gpu_is_a_one_line_usage_error() {
    // This test assumes a machine without a CUDA device 7.
    for device in ["cuda", "cpu,cuda:7"] {
        let out = fluxion(&["bench", "--size", "tiny", "--device", device]);
        if device == "cuda" && out.status.success() {
            // A GPU is present: nothing to check for `cuda`.
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{device}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: no CUDA device"), "{err}");
        assert!(err.contains("fluxion info"), "{err}");
        assert!(out.stdout.is_empty(), "nothing measured before the refusal");
    }
}
