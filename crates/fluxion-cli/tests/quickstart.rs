//! `fluxion quickstart` end to end, at the `tiny` size (seconds in a debug build).

mod common;

use common::*;

use std::path::Path;

fn run_tiny(out: &Path, seed: &str) -> serde_json::Value {
    let out_arg = out.to_str().expect("UTF-8 temporary path");
    let run = ok(fluxion(&[
        "quickstart",
        "--size",
        "tiny",
        "--json",
        "--seed",
        seed,
        "--out",
        out_arg,
    ]));
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}",
            String::from_utf8_lossy(&run.stdout)
        )
    })
}

#[test]
fn tiny_quickstart_reports_four_tasks_and_writes_plots() {
    let dir = TempDir::new("tiny");
    let v = run_tiny(dir.dir(), "0");

    let rows = v["rows"].as_array().expect("rows");
    let tasks: Vec<&str> = rows.iter().map(|r| r["task"].as_str().unwrap()).collect();
    assert_eq!(
        tasks,
        ["burgers-data", "fno-burgers", "pinn-decay", "node-spiral"]
    );
    for r in rows {
        let ours = r["ours"].as_f64().unwrap_or(f64::NAN);
        assert!(ours.is_finite(), "{r}");
        assert!(r["seconds"].as_f64().unwrap() >= 0.0, "{r}");
        assert!(r["device"].as_str().is_some_and(|d| !d.is_empty()), "{r}");
        assert!(r["reference"].as_str().is_some(), "{r}");
        assert!(r["pass"].is_boolean() || r["pass"].is_null(), "{r}");
        assert_ne!(r["pass"], false, "a checked row failed: {r}");
    }
    // The three trained models are each checked against their untrained selves.
    let checked = rows.iter().filter(|r| r["pass"].is_boolean()).count();
    assert_eq!(checked, 3, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["device"], "cpu");
    assert_eq!(v["out"], dir.dir().to_str().unwrap());

    let report = dir.dir().join("report.json");
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report.json")).expect("JSON");
    assert_eq!(on_disk["rows"], v["rows"]);
    assert!(dir.dir().join("burgers.h5").is_file());
    let plots = v["plots"].as_array().expect("plots");
    assert!(plots.len() >= 4, "{v}");
    for name in [
        "fno_loss.png",
        "fno_prediction.png",
        "pinn_decay.png",
        "node_spiral.png",
    ] {
        assert!(
            plots.iter().any(|p| p.as_str().unwrap().ends_with(name)),
            "{name} not listed: {v}"
        );
    }
    for p in plots {
        assert_png_file(Path::new(p.as_str().unwrap()));
    }

    // Same seed, same numbers (the run above reused nothing: the data are regenerated).
    let again = run_tiny(dir.dir(), "0");
    for (a, b) in rows.iter().zip(again["rows"].as_array().unwrap()) {
        assert_eq!(a["ours"], b["ours"], "{a} vs {b}");
    }
}

#[test]
fn missing_gpu_is_a_usage_error_on_one_line() {
    let dir = TempDir::new("gpu");
    let out = fluxion(&[
        "quickstart",
        "--size",
        "tiny",
        "--device",
        "cuda:7",
        "--out",
        &dir.path("out"),
    ]);
    if fluxion_device::Device::cuda(7).is_ok() {
        return; // a machine with eight GPUs: nothing to check here
    }
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot open device cuda:7"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        !dir.dir().join("out").exists(),
        "nothing is written before the device is open"
    );
}
