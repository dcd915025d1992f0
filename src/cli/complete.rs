//! Shell completion that knows gogen's data: blueprint names (built-in and search path)
//! and, for `--set`, the keys (and choice values) of the blueprint already on the command
//! line. The shell calls gogen itself with `COMPLETE=<shell>` to get them.

use std::ffi::OsStr;

use clap_complete::engine::{
    ArgValueCompleter, CompletionCandidate, PathCompleter, ValueCompleter,
};

use crate::generate::Context;

fn context() -> Context {
    Context::from_env(&|k| std::env::var(k).ok()).unwrap_or_default()
}

/// Blueprint names, and folders once the word looks like a path.
pub fn blueprints() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let prefix = current.to_string_lossy();
        if crate::blueprint::looks_like_path(&prefix) {
            return PathCompleter::dir().complete(current);
        }
        let ctx = context();
        let mut names = crate::blueprint::built_in_names();
        names.extend(
            ctx.sources
                .search()
                .into_iter()
                .filter(|f| f.shadowed_by.is_none())
                .map(|f| f.name),
        );
        names
            .into_iter()
            .filter(|n| n.starts_with(prefix.as_ref()))
            .map(CompletionCandidate::new)
            .collect()
    })
}

/// The blueprint named on the command line being completed (the word after `new`).
fn blueprint_on_command_line() -> Option<String> {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let new = args.iter().position(|a| a == "new")?;
    let mut rest = args[new + 1..].iter();
    while let Some(word) = rest.next() {
        if matches!(
            word.as_str(),
            "--set" | "-s" | "--answers" | "-a" | "--preset" | "-p"
        ) {
            rest.next();
            continue;
        }
        if !word.starts_with('-') {
            return Some(word.clone());
        }
    }
    None
}

/// `KEY=` for each question of the blueprint on the command line, and `KEY=VALUE` for the
/// choices once the key is typed. Git sources are not fetched to complete.
pub fn set_keys() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let typed = current.to_string_lossy();
        let Some(reference) = blueprint_on_command_line() else {
            return Vec::new();
        };
        if crate::blueprint::gitsource::is_git_reference(&reference) {
            return Vec::new();
        }
        let Ok(bp) = context().sources.resolve(&reference) else {
            return Vec::new();
        };
        match typed.split_once('=') {
            None => bp
                .manifest
                .questions
                .iter()
                .filter(|q| q.key.starts_with(typed.as_ref()))
                .map(|q| {
                    CompletionCandidate::new(format!("{}=", q.key)).help(Some(
                        crate::printable::printable_line(q.prompt_text())
                            .into_owned()
                            .into(),
                    ))
                })
                .collect(),
            Some((key, value)) => {
                let Some(q) = bp.manifest.question(key) else {
                    return Vec::new();
                };
                let mut values: Vec<String> =
                    q.choice_values().into_iter().map(str::to_string).collect();
                if q.kind == crate::blueprint::manifest::QuestionType::Bool {
                    values = vec!["true".into(), "false".into()];
                }
                values
                    .into_iter()
                    .filter(|v| v.starts_with(value))
                    .map(|v| CompletionCandidate::new(format!("{key}={v}")))
                    .collect()
            }
        }
    })
}
