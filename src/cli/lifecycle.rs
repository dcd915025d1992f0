//! `check`, `update`, `add` and `remove`: clap arguments in, core requests out, and the
//! exit code each outcome documents.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::answers::{AnswersFile, parse_set};
use crate::cli::args::{ApplyArgs, CheckArgs, FeatureArgs, SourceArgs, UpdateArgs};
use crate::cli::lifecycle_output as out;
use crate::cli::prompt::{TerminalPrompter, can_prompt};
use crate::cli::term;
use crate::error::Result;
use crate::generate::Context;
use crate::lifecycle::{self, Kind, Options, Request};

fn dir_of(dir: &Option<PathBuf>) -> PathBuf {
    dir.clone().unwrap_or_else(|| PathBuf::from("."))
}

fn with_sources(mut req: Request, s: &SourceArgs) -> Request {
    req.blueprint = s.blueprint.clone();
    req.base_blueprint = s.base_blueprint.clone();
    req.fetch = s.fetch;
    req
}

pub fn check(ctx: &Context, a: CheckArgs) -> Result<ExitCode> {
    let req = with_sources(Request::new(dir_of(&a.dir), Kind::Check), &a.source);
    let report = lifecycle::check(ctx, &req)?;
    let code = report.exit_code();
    // Buffered, then printed through the one escaping path: file names and messages in a
    // report come from a blueprint or the project.
    let mut text = Vec::new();
    if a.json {
        out::check_json(&mut text, &report)?;
    } else {
        out::check_text(&mut text, &report)?;
    }
    term::stdout_text(&text)?;
    if let Some(e) = &report.error
        && !a.json
    {
        term::stderr_text(&format!("gogen: cannot evaluate: {e}\n"));
    }
    Ok(ExitCode::from(code))
}

pub fn update(ctx: &Context, a: UpdateArgs) -> Result<ExitCode> {
    let mut req = Request::new(dir_of(&a.dir), Kind::Update);
    req.restore = a.restore.clone();
    run(ctx, req, &a.apply)
}

pub fn feature(ctx: &Context, a: FeatureArgs, adding: bool) -> Result<ExitCode> {
    let kind = if adding {
        Kind::Add(a.feature.clone())
    } else {
        Kind::Remove(a.feature.clone())
    };
    run(ctx, Request::new(dir_of(&a.dir), kind), &a.apply)
}

fn run(ctx: &Context, req: Request, a: &ApplyArgs) -> Result<ExitCode> {
    let mut req = with_sources(req, &a.source);
    req.sets = a
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>>>()?;
    req.answers_file = a.answers.as_deref().map(AnswersFile::read).transpose()?;
    let opts = Options {
        dry_run: a.dry_run,
        allow_dirty: a.allow_dirty,
        git_index: !a.no_git_index,
        fsync: a.fsync,
    };
    let interactive = can_prompt(a.no_input);
    let mut prompter = TerminalPrompter::new();
    let outcome = lifecycle::run(
        ctx,
        &req,
        &opts,
        super::prompter_if(interactive, &mut prompter),
    )?;
    let mut text = Vec::new();
    if a.json {
        out::update_json(&mut text, &outcome)?;
    } else {
        out::update_text(&mut text, &outcome)?;
    }
    term::stdout_text(&text)?;
    // A signal that arrived while the update was being applied waited for it to finish.
    if !outcome.dry_run && crate::signals::interrupted() {
        eprintln!("gogen: interrupted after the update was written; the project is complete");
        return Ok(ExitCode::from(crate::error::exit::INTERRUPTED));
    }
    Ok(ExitCode::from(out::update_exit_code(&outcome)))
}
