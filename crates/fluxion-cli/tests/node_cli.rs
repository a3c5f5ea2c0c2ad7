//! End-to-end tests of `fluxion reproduce node-spiral`.

mod common;

use common::*;

/// The keys and values of a TOML text, comments and layout aside.
fn toml_table(text: &str) -> toml::Table {
    text.parse().expect("valid TOML")
}

#[test]
fn reproduce_node_spiral_tiny_writes_report_and_loadable_config() {
    let dir = TempDir::new("tiny");
    let out_dir = dir.path("run");
    let out = fluxion(&[
        "reproduce",
        "node-spiral",
        "--set",
        "iters=5",
        "--set",
        "data_size=200",
        "--json",
        "--quiet",
        "--out",
        &out_dir,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["experiment"], "node-spiral");
    assert_eq!(v["scale"], "smoke");
    assert_eq!(v["iters"], 5);
    assert_eq!(v["overridden"], true);
    let initial = v["initial_l1"].as_f64().unwrap();
    let fin = v["final_l1"].as_f64().unwrap();
    assert!(initial.is_finite() && initial > 0.0, "{v}");
    assert!(fin.is_finite() && fin > 0.0, "{v}");
    assert!(v["ms_per_iter"].as_f64().is_some_and(|m| m > 0.0), "{v}");
    assert_eq!(v["reference_ms_per_iter"], 52.4);

    // report.json holds the same summary.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("run/report.json")).unwrap())
            .unwrap();
    assert_eq!(report, v);

    // config.toml is the smoke configuration with the two overrides, in the same form as
    // `config show node-spiral` prints (which the unit tests parse back to the defaults).
    let written = toml_table(&std::fs::read_to_string(dir.path("run/config.toml")).unwrap());
    let shown = fluxion(&["config", "show", "node-spiral"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let mut expected = toml_table(&String::from_utf8(shown.stdout).unwrap());
    expected.insert("iters".into(), toml::Value::Integer(5));
    expected.insert("data_size".into(), toml::Value::Integer(200));
    assert_eq!(written, expected);
}

#[test]
fn unknown_keys_resume_and_data_are_usage_errors() {
    let dir = TempDir::new("usage");
    let out_dir = dir.path("run");
    for (extra, needle) in [
        (&["--set", "iterations=5"][..], "iterations"),
        (&["--set", "dtype=u8"][..], "f32 or f64"),
        (&["--set", "batch_time=1"][..], "batch_time"),
        (&["--resume"][..], "--resume"),
        (&["--data", "spiral.h5"][..], "--data"),
    ] {
        let mut args = vec!["reproduce", "node-spiral", "--quiet", "--out", &out_dir];
        args.extend_from_slice(extra);
        let out = fluxion(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{extra:?}: {}", stderr(&out));
    }
}
