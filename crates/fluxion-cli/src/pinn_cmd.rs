//! `fluxion train pinn` and `fluxion reproduce pinn-*`.

use std::path::{Path, PathBuf};

use crate::ReproduceRequest;

/// `fluxion train pinn --config <toml>`.
pub fn train(
    config: &Path,
    set: &[String],
    out: Option<PathBuf>,
    resume: bool,
    json: bool,
) -> anyhow::Result<()> {
    let _ = (config, set, out, resume, json);
    anyhow::bail!("fluxion train pinn: being built")
}

/// `fluxion reproduce pinn-*`.
pub fn reproduce(req: ReproduceRequest) -> anyhow::Result<()> {
    let _ = req;
    anyhow::bail!("fluxion reproduce pinn-*: being built")
}
