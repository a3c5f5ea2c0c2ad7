//! End to end through the binary: `fluxion generate burgers` → `fluxion config show` →
//! `fluxion train fno --data` (evaluation on the held-out samples is part of every run), and a run
//! interrupted after half its epochs and resumed ends exactly where an uninterrupted one does.

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
    assert!(std::path::Path::new(&dir.path("full/report.json")).is_file());
    assert_png_file(&dir.dir().join("full/loss.png"));

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
