//! `fluxion reproduce node-spiral`. (Being built.)

use crate::ReproduceRequest;

pub fn reproduce(req: ReproduceRequest) -> anyhow::Result<()> {
    anyhow::bail!("fluxion reproduce node-spiral is not built yet ({req:?})")
}
