//! gogen's one integration-test binary.

mod cli;
mod first_run;
mod go_harness;
mod history;
mod lifecycle;
mod org;
mod packaging;
mod pty;
mod safety;
mod schema;
mod snapshots;
mod util;
