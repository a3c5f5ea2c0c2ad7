//! `fluxion train fno` and `fluxion reproduce fno-*`.

use std::path::{Path, PathBuf};

use crate::ReproduceRequest;

/// `fluxion train fno --config <toml>`.
pub fn train(
    config: &Path,
    set: &[String],
    out: Option<PathBuf>,
    resume: bool,
    json: bool,
) -> anyhow::Result<()> {
    let _ = (config, set, out, resume, json);
    anyhow::bail!("fluxion train fno: being built")
}

/// `fluxion reproduce fno-*`.
pub fn reproduce(req: ReproduceRequest) -> anyhow::Result<()> {
    let _ = req;
    anyhow::bail!("fluxion reproduce fno-*: being built")
}
