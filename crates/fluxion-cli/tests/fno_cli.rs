//! End to end through the binary: `fluxion generate burgers` → `fluxion config show` →
//! `fluxion train fno --data` (evaluation on the held-out samples is part of every run), and a run
//! interrupted after half its epochs and resumed ends exactly where an uninterrupted one does;
//! a 2-D run (Darcy) draws heat maps, and `FLUXION_LOG` shows the trainer's epoch events.

mod common;

use common::*;

/// `train fno` on `data` with a small model; returns the report.
fn train(config: &str, data: &str, out: &str, epochs: usize, resume: bool) -> serde_json::Value {
    let epochs = format!("train.epochs={epochs}");
    let mut args = vec![
        "train",
        "fno",
        "--config",
        config,
        "--data",
        data,
        "--set",
        "problem.ntrain=30",
        "--set",
        "problem.ntest=10",
        "--set",
        "problem.s=64",
        "--set",
        "model.width=8",
        "--set",
        "model.modes=[8]",
        "--set",
        "train.batch_size=5",
        "--set",
        "train.step_size=100",
        "--set",
        &epochs,
        "--out",
        out,
        "--json",
        "--quiet",
    ];
    if resume {
        args.push("--resume");
    }
    let run = ok(fluxion(&args));
    serde_json::from_slice(&run.stdout).expect("valid JSON report")
}

#[test]
fn generate_then_train_then_resume() {
    let dir = TempDir::new("chain");
    let data = dir.path("burgers.h5");
    ok(fluxion(&[
        "generate",
        "burgers",
        "--n",
        "40",
        "--resolution",
        "128",
        "--seed",
        "1",
        "--out",
        &data,
        "--quiet",
    ]));
    let show = ok(fluxion(&["config", "show", "fno-burgers"]));
    let config = dir.path("burgers.toml");
    std::fs::write(&config, show.stdout).unwrap();

    let full = train(&config, &data, &dir.path("full"), 30, false);
    let err = full["ours"].as_f64().expect("test error");
    // An untrained model is at ≈ 1; 30 epochs on 30 samples reach ≈ 0.02.
    assert!(err < 0.1, "test rel L2 after 30 epochs: {full}");
    assert_eq!(full["data"], data.as_str());
    assert_png_file(&dir.dir().join("full/loss.png"));
    // The first test sample: input above truth and prediction, one figure of two panels.
    assert_png_file(&dir.dir().join("full/prediction.png"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("full/report.json")).unwrap())
            .unwrap();
    let plots = [dir.path("full/loss.png"), dir.path("full/prediction.png")];
    assert_eq!(report["plots"], serde_json::json!(plots), "{report}");
    assert_eq!(full["plots"], report["plots"]);

    // Interrupted after 15 epochs, then resumed to 30: the same final numbers, bit for bit.
    let half = train(&config, &data, &dir.path("split"), 15, false);
    assert_eq!(half["epochs"], 15);
    let resumed = train(&config, &data, &dir.path("split"), 30, true);
    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(resumed["epochs"], 30);
    assert_eq!(
        resumed["ours"], full["ours"],
        "resumed {resumed} vs uninterrupted {full}"
    );
    assert_eq!(resumed["final_train_loss"], full["final_train_loss"]);
}

#[test]
fn train_on_a_missing_file_says_which() {
    let dir = TempDir::new("missing");
    let show = ok(fluxion(&["config", "show", "fno-burgers"]));
    let config = dir.path("burgers.toml");
    std::fs::write(&config, show.stdout).unwrap();
    let missing = dir.path("nope.h5");
    let out = fluxion(&[
        "train",
        "fno",
        "--config",
        &config,
        "--data",
        &missing,
        "--out",
        &dir.path("run"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope.h5"), "the error names the file: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

/// `reproduce fno-darcy` at the smallest sizes (17² nodes, 8 + 2 samples, width 4, 2 epochs:
/// about a second).
fn tiny_darcy(out: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fluxion"));
    cmd.args(["reproduce", "fno-darcy", "--quiet", "--out", out]);
    for set in [
        "problem.ntrain=8",
        "problem.ntest=2",
        "problem.generate_s=17",
        "problem.r=1",
        "model.width=4",
        "model.modes=[4,4]",
        "train.batch_size=4",
        "train.epochs=2",
    ] {
        cmd.args(["--set", set]);
    }
    cmd
}

#[test]
fn darcy_draws_heat_maps_of_a_test_sample() {
    let dir = TempDir::new("darcy");
    let out = dir.path("run");
    ok(tiny_darcy(&out).output().unwrap());
    let figure = dir.dir().join("run/prediction.png");
    assert_png_file(&figure);
    // Input, truth, prediction and |error| as a 2 × 2 grid of heat-map panels.
    let bytes = std::fs::read(&figure).unwrap();
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert!(w > 1000 && h > 1000 && w > h, "{w} × {h}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("run/report.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["plots"],
        serde_json::json!([dir.path("run/loss.png"), dir.path("run/prediction.png")])
    );
}

#[test]
fn fluxion_log_shows_epoch_events_with_their_fields() {
    let dir = TempDir::new("fno-log");
    let out = ok(tiny_darcy(&dir.path("logged"))
        .env("FLUXION_LOG", "fluxion_operator=info")
        .output()
        .unwrap());
    let log = stderr(&out);
    let epochs: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("INFO fluxion_operator::train: epoch "))
        .collect();
    assert_eq!(epochs.len(), 2, "one event per epoch: {log}");
    for (k, line) in epochs.iter().enumerate() {
        assert!(
            line.contains(&format!(" epoch={} epochs=2 ", k + 1)),
            "{line}"
        );
        for field in [
            "train_loss=",
            "test_error=",
            "lr=0.001",
            "samples_per_sec=",
            "seconds=",
        ] {
            assert!(line.contains(field), "{field} in {line}");
        }
    }
    assert!(log.contains("checkpoint written epoch=2"), "{log}");
    // The filter keeps other crates' events out, and the trace-level batches.
    assert!(
        !log.contains("fluxion_data") && !log.contains("batch"),
        "{log}"
    );

    // Without FLUXION_LOG, --quiet leaves stderr empty.
    let out = ok(tiny_darcy(&dir.path("silent"))
        .env_remove("FLUXION_LOG")
        .output()
        .unwrap());
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}
