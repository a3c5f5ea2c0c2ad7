//! The coefficient tables, one file per family, each citing its source.

#![allow(clippy::excessive_precision)]

pub mod bosh3;
pub mod classic;
pub mod dop853;
pub mod dopri5;
pub mod tsit5;
