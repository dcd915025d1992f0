//! The command line, declared once: parsing, help, completions and the man page all come
//! from these types. No work happens here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gogen",
    version,
    about = "Scaffold Go services a senior Go reviewer would accept as hand-written",
    long_about = "gogen generates Go modules from blueprints: built-in ones (`gogen list`) or a \
                  blueprint folder on disk. It asks a few questions (or takes the answers from \
                  flags and files), plans every file in memory, and writes the project in one step.",
    after_help = "Exit codes: 0 ok, 1 generation failed, 2 usage or invalid answers, \
                  3 post-step failed (the project was written), 4 an update is available (check), \
                  5 conflicts to resolve (update, add, remove, check), 130 interrupted.",
    after_long_help = crate::cli::help::AFTER_LONG_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a project from a blueprint
    New(NewArgs),
    /// List the built-in blueprints
    List(ListArgs),
    /// Show a blueprint's questions and the files it writes with default answers
    Info(InfoArgs),
    /// Compare a generated project with its lock and with the blueprint available now
    /// (exit 0 up to date, 4 update available, 5 unresolved conflicts, 1 cannot evaluate)
    Check(CheckArgs),
    /// Update a generated project to the blueprint available now, merging each file with
    /// your edits (exit 0 clean, 5 conflicts written, 1 nothing written)
    Update(UpdateArgs),
    /// Add a feature (`gogen info <blueprint>` lists them) to a generated project, at the
    /// blueprint version it already has
    Add(FeatureArgs),
    /// Remove a feature from a generated project, at the blueprint version it already has
    Remove(FeatureArgs),
    /// Work on blueprints: lint one, or start a new one
    #[command(subcommand)]
    Blueprint(BlueprintCommand),
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one per command into a folder
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write gogen.1 and a page per command (gogen-new.1, gogen-blueprint-lint.1, ...) here
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// A blueprint: a built-in or search-path name (see `gogen list`), a folder path, or a
    /// git source URL[#REF][:SUBDIR]
    #[arg(add = crate::cli::complete::blueprints())]
    pub blueprint: String,

    /// Folder to create; must not exist or be empty [default: ./<project_name>]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Set an answer; repeatable. Overrides --answers
    #[arg(short = 's', long = "set", value_name = "KEY=VALUE", add = crate::cli::complete::set_keys())]
    pub set: Vec<String>,

    /// Read answers from a TOML or JSON file
    #[arg(short = 'a', long, value_name = "FILE")]
    pub answers: Option<PathBuf>,

    /// Apply a named preset from the org config (under --answers and --set)
    #[arg(short = 'p', long, value_name = "NAME")]
    pub preset: Option<String>,

    /// Never prompt; fail listing every missing answer (also without a terminal or with CI set)
    #[arg(long, env = "GOGEN_NO_INPUT", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_input: bool,

    /// Print the plan (files, sizes, skipped paths, post-steps) and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print the result as JSON on stdout (schema_version 1)
    #[arg(long)]
    pub json: bool,

    /// Write into a non-empty folder, replacing the files the blueprint generates
    #[arg(long)]
    pub force: bool,

    /// Flush every file and folder to disk before the project appears (survives a power cut)
    #[arg(long)]
    pub fsync: bool,

    /// Skip `git init` and the initial commit
    #[arg(long)]
    pub no_git: bool,

    /// Run `go mod download` in the new project (needs the network)
    #[arg(long)]
    pub go_mod_download: bool,
}

/// Where the old and new blueprint versions come from, when the lock's source is not enough.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Where the project's blueprint is now (a built-in name, folder or git source), if it
    /// moved or to pick a git source's version [default: the source in .gogen.toml]
    #[arg(long, value_name = "REF")]
    pub blueprint: Option<String>,
    /// A folder with the blueprint version the project was generated from, as a base
    #[arg(long, value_name = "DIR")]
    pub base_blueprint: Option<PathBuf>,
    /// Refetch a git blueprint at the commit the lock pins (uses the network)
    #[arg(long)]
    pub fetch: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The project folder [default: the current folder]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print the result as JSON on stdout (schema_version 1)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// What `update`, `add` and `remove` share.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Set an answer; repeatable. Overrides --answers and the project's answers
    #[arg(short = 's', long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Read answers from a TOML or JSON file
    #[arg(short = 'a', long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Never prompt; fail listing every answer that is needed (also without a terminal or with CI set)
    #[arg(long, env = "GOGEN_NO_INPUT", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_input: bool,
    /// Print the plan (every file's action) and write nothing, not even to the git index;
    /// exits with the code the real run would have
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON on stdout (schema_version 1)
    #[arg(long)]
    pub json: bool,
    /// Update even when paths it touches have uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,
    /// Do not register conflicts as unmerged entries in the git index
    #[arg(long)]
    pub no_git_index: bool,
    /// Flush every written file and folder to disk before finishing
    #[arg(long)]
    pub fsync: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The project folder [default: the current folder]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Recreate a generated file you deleted (it stays deleted otherwise); repeatable
    #[arg(long, value_name = "PATH")]
    pub restore: Vec<String>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Args)]
pub struct FeatureArgs {
    /// The feature's name (`gogen info <blueprint>` lists them)
    pub feature: String,
    /// The project folder [default: the current folder]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Subcommand)]
pub enum BlueprintCommand {
    /// Check a blueprint: manifest, templates, variables, file rules, and a render of every
    /// test case plus a pairwise cover of its choices (exit 1 on errors)
    Lint(LintArgs),
    /// Start a new blueprint folder that passes `gogen blueprint lint`
    New(BlueprintNewArgs),
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A blueprint name, folder path or git source
    #[arg(add = crate::cli::complete::blueprints())]
    pub blueprint: String,
    /// Also run gofmt, vet, build, race tests, tidy and golangci-lint on every rendering
    #[arg(long)]
    pub go: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BlueprintNewArgs {
    /// The folder to create (must not exist or be empty)
    pub dir: PathBuf,
    /// The blueprint name [default: the folder name]
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// A blueprint name, folder path or git source
    #[arg(add = crate::cli::complete::blueprints())]
    pub blueprint: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Print a JSON Schema (2020-12) of the answers, for forms and answers-file checks
    #[arg(long, conflicts_with = "json")]
    pub schema: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
