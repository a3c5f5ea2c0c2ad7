//! End-to-end tests of `fluxion config show`: every experiment at both scales prints TOML in
//! which every table and key is documented, and the printed file is what `fluxion train`
//! accepts. (That the text parses back to exactly the built-in defaults is checked in-process
//! by the unit tests of `config_show.rs`.)

mod common;

use common::*;

const EXPERIMENTS: [&str; 6] = [
    "fno-burgers",
    "fno-darcy",
    "fno-ns",
    "pinn-decay",
    "pinn-burgers",
    "node-spiral",
];

/// Whether `line` sets a key (`key = …` at the start of the line) or opens a table.
fn is_key_or_header(line: &str) -> bool {
    let starts_plain = !line.starts_with(char::is_whitespace) && !line.starts_with('#');
    starts_plain && (line.starts_with('[') || line.contains(" = "))
}

#[test]
fn every_experiment_and_scale_prints_documented_valid_toml() {
    for experiment in EXPERIMENTS {
        for scale in ["smoke", "paper"] {
            let out = fluxion(&["config", "show", experiment, "--scale", scale]);
            assert!(
                out.status.success(),
                "config show {experiment} --scale {scale}: {}",
                stderr(&out)
            );
            let text = stdout(&out);
            let table: toml::Table = text
                .parse()
                .unwrap_or_else(|e| panic!("{experiment} {scale}: not TOML: {e}\n{text}"));
            assert!(!table.is_empty(), "{experiment} {scale}: empty");
            let lines: Vec<&str> = text.lines().collect();
            let mut keys = 0;
            for (i, line) in lines.iter().enumerate() {
                if is_key_or_header(line) {
                    keys += 1;
                    assert!(
                        i > 0 && lines[i - 1].starts_with('#'),
                        "{experiment} {scale}: line {} `{line}` is not preceded by a comment\n{text}",
                        i + 1
                    );
                }
            }
            assert!(keys >= 10, "{experiment} {scale}: only {keys} keys\n{text}");
        }
    }
}

#[test]
fn enum_fields_list_their_allowed_values() {
    let out = fluxion(&["config", "show", "pinn-burgers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let at = text.find("\nactivation = ").expect("an activation key");
    let before = &text[..at];
    assert!(
        before.ends_with("#   \"silu\": SiLU."),
        "the activation's values are listed just above it:\n{text}"
    );
    assert!(before.contains("#   \"leaky_relu\": LeakyReLU"), "{text}");
}

#[test]
fn printed_pinn_config_trains() {
    let dir = TempDir::new("pinn");
    let out = fluxion(&["config", "show", "pinn-decay", "--scale", "paper"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = dir.path("decay.toml");
    std::fs::write(&config, out.stdout).unwrap();
    let run = fluxion(&[
        "train",
        "pinn",
        "--config",
        &config,
        "--set",
        "epochs=3",
        "--set",
        "residual_points=16",
        "--out",
        &dir.path("run"),
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).expect("valid JSON");
    assert_eq!(v["first_order_epochs"], 3);
    assert_eq!(v["scale"], "paper");
}

#[test]
fn printed_fno_config_trains() {
    let dir = TempDir::new("fno");
    let out = fluxion(&["config", "show", "fno-burgers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = dir.path("burgers.toml");
    std::fs::write(&config, out.stdout).unwrap();
    let run = fluxion(&[
        "train",
        "fno",
        "--config",
        &config,
        "--set",
        "problem.ntrain=4",
        "--set",
        "problem.ntest=2",
        "--set",
        "problem.generate_s=64",
        "--set",
        "problem.s=32",
        "--set",
        "model.width=4",
        "--set",
        "model.modes=[4]",
        "--set",
        "train.epochs=1",
        "--set",
        "train.batch_size=2",
        "--out",
        &dir.path("run"),
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).expect("valid JSON");
    assert_eq!(v["epochs"], 1);
    assert!(v["ours"].as_f64().is_some_and(f64::is_finite), "{v}");
}

#[test]
fn unknown_experiment_is_a_usage_error() {
    let out = fluxion(&["config", "show", "fno-nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = fluxion(&["config", "show", "node-spiral", "--scale", "huge"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
