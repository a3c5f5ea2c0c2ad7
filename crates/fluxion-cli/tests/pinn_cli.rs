//! End-to-end tests of `fluxion reproduce pinn-*` and `fluxion train pinn`.

mod common;

use common::*;

use std::path::PathBuf;

#[test]
fn reproduce_pinn_decay_smoke_writes_config_and_report() {
    let dir = TempDir::new("decay");
    let out_dir = dir.path("run");
    let out = fluxion(&[
        "reproduce",
        "pinn-decay",
        "--scale",
        "smoke",
        "--json",
        "--out",
        &out_dir,
        "--set",
        "epochs=300",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_png_file(&std::path::Path::new(&out_dir).join("loss.png"));
    // The network against e^(−t) on the evaluation grid.
    assert_png_file(&std::path::Path::new(&out_dir).join("prediction.png"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["experiment"], "pinn-decay");
    assert_eq!(v["metric"], "rel_l2");
    assert_eq!(v["first_order_epochs"], 300);
    let ours = v["ours"].as_f64().unwrap();
    let initial = v["initial_rel_l2"].as_f64().unwrap();
    assert!(ours.is_finite() && ours < initial, "{v}");
    let run = PathBuf::from(&out_dir);
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(config.contains("problem = \"decay\""), "{config}");
    assert!(config.contains("epochs = 300"), "{config}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["ours"], v["ours"]);
    let plots = [run.join("loss.png"), run.join("prediction.png")].map(|p| p.display().to_string());
    assert_eq!(report["plots"], serde_json::json!(plots), "{report}");
    assert!(run.join("checkpoints").is_dir() || v["first_order_epochs"] == 300);

    // The written configuration trains again through `fluxion train pinn`.
    let again = dir.path("again");
    let out = fluxion(&[
        "train",
        "pinn",
        "--config",
        &run.join("config.toml").to_string_lossy(),
        "--set",
        "epochs=50",
        "--out",
        &again,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["first_order_epochs"], 50);
    assert_eq!(v["problem"], "decay");
    assert!(PathBuf::from(&again).join("report.json").is_file());
}

#[test]
fn unknown_set_key_exits_2_and_names_it() {
    let dir = TempDir::new("badkey");
    let out = fluxion(&[
        "reproduce",
        "pinn-decay",
        "--out",
        &dir.path("run"),
        "--set",
        "epochz=10",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("epochz"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn cuda_without_a_gpu_is_a_one_line_error() {
    if fluxion_device::cuda::device_count() > 0 {
        return;
    }
    let dir = TempDir::new("cuda");
    let out = fluxion(&[
        "reproduce",
        "pinn-burgers",
        "--device",
        "cuda",
        "--out",
        &dir.path("run"),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("error: cannot open device cuda"), "{err}");
    assert!(err.contains("CUDA"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn quiet_prints_only_the_result() {
    let dir = TempDir::new("quiet");
    let out_dir = dir.path("run");
    let out = fluxion(&[
        "reproduce",
        "pinn-decay",
        "--quiet",
        "--out",
        &out_dir,
        "--set",
        "epochs=50",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Off a terminal the trainer would log a line per 1 % of the steps; --quiet drops them.
    assert!(
        out.stderr.is_empty(),
        "stderr under --quiet: {}",
        stderr(&out)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("pinn-decay"),
        "the result table is still printed: {table}"
    );
}

#[test]
fn fluxion_log_turns_on_structured_logs() {
    let dir = TempDir::new("log");
    let out_dir = dir.path("run");
    let run = |filter: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fluxion"))
            .args(["reproduce", "pinn-decay", "--quiet", "--out", &out_dir])
            .args(["--set", "epochs=20"])
            .env("FLUXION_LOG", filter)
            .output()
            .expect("the fluxion binary runs")
    };
    let out = ok(run("info"));
    let log = stderr(&out);
    assert!(
        log.lines()
            .any(|l| l.contains("INFO") && l.contains("wrote") && l.contains("report.json")),
        "an INFO line for the report: {log}"
    );
    assert!(log.contains("training"), "{log}");
    // Off (the default) and an unreadable filter log nothing; the latter says so once.
    let out = ok(run("off"));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let out = ok(run("no such filter=="));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn burgers_draws_heat_maps_and_logs_the_lbfgs_phase() {
    // A tiny Raissi Burgers run (about a second): 5 Adam epochs, then two L-BFGS calls of at
    // most 5 iterations, scored on a 32 × 16 grid.
    let dir = TempDir::new("burgers-log");
    let run = |out: &str, log: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fluxion"));
        cmd.args(["reproduce", "pinn-burgers", "--quiet", "--out", out]);
        for set in [
            "epochs=5",
            "residual_points=200",
            "boundary_points=20",
            "lbfgs_iterations=10",
            "lbfgs_iterations_per_step=5",
            "hidden=[8,8]",
            "eval_points=[32,16]",
        ] {
            cmd.args(["--set", set]);
        }
        match log {
            Some(filter) => cmd.env("FLUXION_LOG", filter),
            None => cmd.env_remove("FLUXION_LOG"),
        };
        ok(cmd.output().expect("the fluxion binary runs"))
    };
    let out_dir = dir.path("logged");
    let out = run(&out_dir, Some("fluxion_pinn=info"));
    let figure = PathBuf::from(&out_dir).join("prediction.png");
    assert_png_file(&figure);
    let bytes = std::fs::read(&figure).unwrap();
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    // Prediction, reference and |error| side by side.
    assert!(width > 2000, "{width}");

    let log = stderr(&out);
    let line = |what: &str| {
        log.lines()
            .find(|l| l.contains("INFO fluxion_pinn::train:") && l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} event in {log}"))
            .to_string()
    };
    assert!(line("phase change").contains("from=Adam to=Lbfgs epoch=5 loss="));
    let finished = line("L-BFGS finished");
    assert!(finished.contains("reason="), "{finished}");
    assert!(finished.contains("steps=2 iterations="), "{finished}");
    assert!(line("checkpoint written").contains("dir="));
    // info hides the per-epoch debug events.
    assert!(!log.contains("DEBUG"), "{log}");

    let out = run(&dir.path("silent"), None);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}
