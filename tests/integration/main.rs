//! gogen's one integration-test binary.

mod cli;
mod go_harness;
mod org;
mod packaging;
mod pty;
mod safety;
mod schema;
mod snapshots;
mod util;
