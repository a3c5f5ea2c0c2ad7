//! Experiment configurations: TOML files, `--set key=value` overrides, strict keys.
//!
//! A configuration is any `serde` type with `#[serde(deny_unknown_fields)]`. It is read as a
//! TOML table, the overrides are applied to that table (dotted keys reach nested tables, values
//! are TOML literals — `epochs=10`, `lr=1e-3`, `modes=[12, 12]`, `activation="tanh"` — and a
//! value that is not a TOML literal is taken as a string), and only then deserialised, so a
//! misspelt key in the file or in `--set` is an error that names it.

use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Serialize;
use toml::{Table, Value};

use crate::UsageError;

/// Reads `path` as TOML, applies `overrides` and deserialises the result.
///
/// # Errors
/// A missing or malformed file, a bad override, an unknown key or a value of the wrong type;
/// each message names the file or the override.
pub fn load<T: DeserializeOwned>(path: &Path, overrides: &[String]) -> anyhow::Result<T> {
    tracing::info!(path = %path.display(), ?overrides, "configuration");
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration {}", path.display()))?;
    let table: Table = text
        .parse()
        .map_err(|e| UsageError(format!("{}: not valid TOML: {e}", path.display())))?;
    from_table(table, overrides).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

/// Applies `overrides` to `defaults` (serialised) and deserialises the result: how
/// `fluxion reproduce` starts from an experiment's built-in configuration.
///
/// # Errors
/// A bad override, an unknown key or a value of the wrong type.
pub fn with_overrides<T: Serialize + DeserializeOwned>(
    defaults: &T,
    overrides: &[String],
) -> anyhow::Result<T> {
    let table = Table::try_from(defaults).context("serialising the default configuration")?;
    from_table(table, overrides).map_err(|e| UsageError(e).into())
}

/// The configuration as TOML text (what `reproduce` writes next to its outputs).
///
/// # Errors
/// When the type does not serialise to a TOML table.
pub fn to_toml<T: Serialize>(config: &T) -> anyhow::Result<String> {
    toml::to_string_pretty(config).context("writing the configuration as TOML")
}

/// Applies `overrides` to `table` and deserialises the result (the step every loader ends with).
///
/// # Errors
/// A bad override, an unknown key or a value of the wrong type, as a message naming it.
pub(crate) fn from_table<T: DeserializeOwned>(
    mut table: Table,
    overrides: &[String],
) -> Result<T, String> {
    for o in overrides {
        apply(&mut table, o)?;
    }
    T::deserialize(Value::Table(table)).map_err(|e| e.to_string())
}

/// Sets one `a.b.c=value` override in `table`, creating intermediate tables.
fn apply(table: &mut Table, assignment: &str) -> Result<(), String> {
    let (key, raw) = assignment
        .split_once('=')
        .ok_or_else(|| format!("--set {assignment}: expected KEY=VALUE"))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(format!("--set {assignment}: empty key"));
    }
    let value = parse_value(raw.trim());
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().expect("split yields at least one part");
    let mut node = table;
    let mut path = String::new();
    for p in parts {
        path = if path.is_empty() {
            p.to_string()
        } else {
            format!("{path}.{p}")
        };
        let entry = node
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        node = entry
            .as_table_mut()
            .ok_or_else(|| format!("--set {assignment}: `{path}` is a value, not a table"))?;
    }
    node.insert(last.to_string(), value);
    Ok(())
}

/// A TOML literal when `raw` is one (`10`, `1e-3`, `true`, `[12, 12]`, `"tanh"`), else the
/// string itself.
fn parse_value(raw: &str) -> Value {
    format!("v = {raw}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        lr: f64,
        modes: Vec<usize>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        epochs: usize,
        name: String,
        optim: Inner,
    }

    fn defaults() -> Outer {
        Outer {
            epochs: 5,
            name: "a".into(),
            optim: Inner {
                lr: 1e-3,
                modes: vec![12],
            },
        }
    }

    #[test]
    fn overrides_reach_nested_fields_and_parse_literals() {
        let c: Outer = with_overrides(
            &defaults(),
            &[
                "epochs=10".into(),
                "optim.lr=2e-4".into(),
                "optim.modes=[16, 8]".into(),
                "name=burgers".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            c,
            Outer {
                epochs: 10,
                name: "burgers".into(),
                optim: Inner {
                    lr: 2e-4,
                    modes: vec![16, 8]
                }
            }
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_naming_them() {
        let e = with_overrides(&defaults(), &["epoch=10".into()]).unwrap_err();
        assert!(e.to_string().contains("epoch"), "{e}");
        let e = with_overrides(&defaults(), &["optim.lr=fast".into()]).unwrap_err();
        assert!(
            e.to_string().contains("lr") || e.to_string().contains("fast"),
            "{e}"
        );
        let e = with_overrides(&defaults(), &["epochs".into()]).unwrap_err();
        assert!(e.to_string().contains("KEY=VALUE"), "{e}");
        let e = with_overrides(&defaults(), &["epochs.x=1".into()]).unwrap_err();
        assert!(e.to_string().contains("not a table"), "{e}");
    }

    #[test]
    fn files_round_trip_and_unknown_file_keys_fail() {
        let dir = std::env::temp_dir().join(format!("fluxion-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.toml");
        std::fs::write(&p, to_toml(&defaults()).unwrap()).unwrap();
        let c: Outer = load(&p, &["epochs=7".into()]).unwrap();
        assert_eq!(c.epochs, 7);
        std::fs::write(
            &p,
            "epochs = 1\nname = \"x\"\nbatch = 3\n[optim]\nlr = 1.0\nmodes = []\n",
        )
        .unwrap();
        let e = load::<Outer>(&p, &[]).unwrap_err();
        assert!(e.to_string().contains("batch"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
