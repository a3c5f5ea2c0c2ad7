//! `fluxion config show <experiment>`: an experiment's built-in configuration as TOML, every
//! `[table]` header and every `key = value` line preceded by its documentation.
//!
//! One mechanism serves every configuration type: the configuration is serialised with
//! `toml::to_string_pretty` (exactly what `fluxion train --config` reads back) and annotated from
//! its JSON schema by [`crate::config_docs`].

use clap::ValueEnum;
use fluxion_operator::experiment::{FnoExperiment, Scale as FnoScale};
use fluxion_pinn::zoo::{PinnExperiment, ProblemKind, Scale as ZooScale};

use crate::config_docs::documented;
use crate::{node_cmd, Experiment, Scale};

/// Prints the documented configuration of `experiment` at `scale` on stdout.
pub fn run(experiment: Experiment, scale: Scale) -> anyhow::Result<()> {
    print!("{}", render(experiment, scale)?);
    Ok(())
}

/// The documented configuration text of `experiment` at `scale`.
pub(crate) fn render(experiment: Experiment, scale: Scale) -> anyhow::Result<String> {
    let name = experiment
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_else(|| format!("{experiment:?}"));
    let scale_name = match scale {
        Scale::Smoke => "smoke",
        Scale::Paper => "paper",
    };
    let (usage, body) = match experiment {
        Experiment::FnoBurgers | Experiment::FnoDarcy | Experiment::FnoNs => (
            "fluxion train fno --config <this file> [--set key=value]",
            documented(&fno_defaults(experiment, scale)?)?,
        ),
        Experiment::PinnDecay | Experiment::PinnBurgers => (
            "fluxion train pinn --config <this file> [--set key=value]",
            documented(&pinn_defaults(experiment, scale)?)?,
        ),
        Experiment::NodeSpiral => (
            "fluxion reproduce node-spiral [--set key=value] (reads no file)",
            documented(&node_cmd::defaults(scale))?,
        ),
    };
    Ok(format!(
        "# fluxion config show {name} --scale {scale_name}\n# Use: {usage}\n#\n{body}"
    ))
}

/// The built-in configuration of an FNO experiment (as `fluxion reproduce` starts from).
pub(crate) fn fno_defaults(experiment: Experiment, scale: Scale) -> anyhow::Result<FnoExperiment> {
    let name = match experiment {
        Experiment::FnoBurgers => "burgers",
        Experiment::FnoDarcy => "darcy",
        Experiment::FnoNs => "navier-stokes",
        other => anyhow::bail!("{other:?} is not an FNO experiment"),
    };
    let scale = match scale {
        Scale::Smoke => FnoScale::Smoke,
        Scale::Paper => FnoScale::Paper,
    };
    Ok(FnoExperiment::by_name(name, scale)?)
}

/// The built-in configuration of a PINN experiment (as `fluxion reproduce` starts from).
pub(crate) fn pinn_defaults(
    experiment: Experiment,
    scale: Scale,
) -> anyhow::Result<PinnExperiment> {
    let kind = match experiment {
        Experiment::PinnDecay => ProblemKind::Decay,
        Experiment::PinnBurgers => ProblemKind::Burgers,
        other => anyhow::bail!("{other:?} is not a PINN experiment"),
    };
    let scale = match scale {
        Scale::Smoke => ZooScale::Smoke,
        Scale::Paper => ZooScale::Paper,
    };
    Ok(PinnExperiment::defaults(kind, scale))
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;
    use crate::config;
    use crate::config_docs::{header, key_of, strip_doc_links};
    use toml::Table;

    const ALL: [Experiment; 6] = [
        Experiment::FnoBurgers,
        Experiment::FnoDarcy,
        Experiment::FnoNs,
        Experiment::PinnDecay,
        Experiment::PinnBurgers,
        Experiment::NodeSpiral,
    ];

    fn parse<T: DeserializeOwned>(text: &str) -> T {
        let table: Table = text.parse().expect("config show prints valid TOML");
        config::from_table(table, &[]).expect("config show prints a loadable configuration")
    }

    /// Every line that sets a key or opens a table follows a comment line.
    fn assert_documented(text: &str) {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if key_of(line).is_some() || header(line).is_some() {
                assert!(
                    i > 0 && lines[i - 1].starts_with('#'),
                    "line {} `{line}` has no documentation:\n{text}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn doc_links_become_plain_code() {
        assert_eq!(
            strip_doc_links("See [`Fno`] and [`Error::X`](crate::Error::X); `[16]` stays."),
            "See `Fno` and `Error::X`; `[16]` stays."
        );
    }

    #[test]
    fn every_experiment_round_trips_through_the_loader() {
        for e in ALL {
            for s in [Scale::Smoke, Scale::Paper] {
                let text = render(e, s).unwrap();
                assert_documented(&text);
                match e {
                    Experiment::FnoBurgers | Experiment::FnoDarcy | Experiment::FnoNs => {
                        assert_eq!(parse::<FnoExperiment>(&text), fno_defaults(e, s).unwrap())
                    }
                    Experiment::PinnDecay | Experiment::PinnBurgers => {
                        assert_eq!(parse::<PinnExperiment>(&text), pinn_defaults(e, s).unwrap())
                    }
                    Experiment::NodeSpiral => assert_eq!(
                        parse::<fluxion_diffeq::spiral::SpiralConfig>(&text),
                        node_cmd::defaults(s)
                    ),
                }
            }
        }
    }

    #[test]
    fn tables_tags_and_enums_get_their_documentation() {
        let text = render(Experiment::FnoBurgers, Scale::Paper).unwrap();
        // The tag of the internally tagged `Problem` lists every variant with its docs.
        assert!(
            text.contains("# Which variant this table is; one of:"),
            "{text}"
        );
        assert!(text.contains("#   \"darcy\": 2-D Darcy flow"), "{text}");
        // A field of the selected variant finds its own docs.
        assert!(
            text.contains("# Resolution of generated data (FNO: 8192).\ngenerate_s = 8192"),
            "{text}"
        );
        // The `[model]` header: the field's doc, then the type's.
        assert!(
            text.contains("# Model.\n#\n# Settings of an `Fno`."),
            "{text}"
        );
        // An optional field left unset is listed with its docs.
        assert!(
            text.contains("# Not set (optional): `rollout`.\n# Autoregressive rollout"),
            "{text}"
        );
        // An enum field lists its values with their docs.
        assert!(text.contains("#   \"pointwise\": Per grid point"), "{text}");
        // Arrays of tables.
        assert!(text.contains("[[published]]"), "{text}");
        let text = render(Experiment::NodeSpiral, Scale::Paper).unwrap();
        assert!(
            text.contains("# Allowed values: \"f32\", \"f64\".\ndtype = \"f64\""),
            "{text}"
        );
        assert!(
            text.contains("#   \"adjoint\": Continuous adjoint"),
            "{text}"
        );
    }
}
