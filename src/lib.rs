//! gogen: scaffold Go services from blueprints.
//!
//! The core (blueprints, answers, rendering, planning, writing, post-steps) knows nothing of
//! the command line; `cli` translates between clap and the core.

pub mod answers;
pub mod blueprint;
pub mod cli;
pub mod config;
pub mod error;
pub mod generate;
pub mod gitsource;
pub mod gocheck;
pub mod golang;
pub mod lint;
pub mod lockfile;
pub mod manifest;
pub mod plan;
pub mod poststep;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod signals;
pub mod terminal;
pub mod write;
