//! What commands leave behind: result tables on the terminal, files written atomically.

use std::path::Path;

use anyhow::Context;

/// The header of a one-result table (`reproduce`/`train` of PINNs and Neural ODEs).
pub const RESULT_COLUMNS: [&str; 7] = [
    "experiment",
    "metric",
    "ours",
    "paper/ref",
    "setup",
    "time",
    "device",
];

/// Prints `rows` (the first is the header) as left-aligned columns two spaces apart.
pub fn print_table(rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|k| {
            rows.iter()
                .filter_map(|r| r.get(k))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename onto {}", path.display()))?;
    tracing::info!(path = %path.display(), bytes = bytes.len(), "wrote");
    Ok(())
}

/// A progress bar on stderr counting `unit` (steps, batches, …) with rate and ETA, or a hidden
/// one when `hidden` (`--json`, `--quiet`) or when stderr is not a terminal. `total` may be set
/// later with `set_length`.
pub fn progress_bar(total: Option<u64>, unit: &str, hidden: bool) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total.unwrap_or(0));
    let template = format!(
        "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}, ETA {{eta}}) {{msg}}"
    );
    bar.set_style(ProgressStyle::with_template(&template).expect("the template is valid"));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
