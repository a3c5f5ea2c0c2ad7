//! `fluxion config show <experiment>`. (Being built.)

use crate::{Experiment, Scale};

pub fn run(experiment: Experiment, scale: Scale) -> anyhow::Result<()> {
    anyhow::bail!("fluxion config show is not built yet ({experiment:?}, {scale:?})")
}
