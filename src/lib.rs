//! gogen: scaffold Go services from blueprints.
//!
//! The pipeline reads from the folder names:
//! - `blueprint`: what a blueprint is and where it comes from (manifest, git sources, the JSON
//!   Schema of its answers), and the authoring commands (`blueprint lint`, `blueprint new`);
//! - `answers` and `config`: resolving every answer from flags, files, presets, prompts and org
//!   defaults and locks;
//! - `generate`: render, plan, write all-or-nothing, the lock file, post-steps;
//! - `golang`: Go's naming rules and the Go toolchain checks;
//! - `lifecycle`: `check`, `update`, `add` and `remove` for projects already generated;
//! - `cli`: the only module that sees clap and the terminal.

pub mod answers;
pub mod blueprint;
pub mod cli;
pub mod config;
pub mod error;
pub mod generate;
pub mod golang;
pub mod lifecycle;
pub mod pathnames;
pub mod printable;
pub mod safefs;
pub mod signals;
