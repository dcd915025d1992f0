//! Text and JSON for `check`, `update`, `add` and `remove`. The text lists every file that
//! changes with what happens to it, like `gogen new --dry-run` lists what it would write.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use crate::error::{Error, Result, exit, shell_word};
use crate::generate::JSON_SCHEMA_VERSION;
use crate::lifecycle::decide::{Action, Decision, THEIRS_SUFFIX};
use crate::lifecycle::{BlueprintRef, CheckReport, GitIndex, Kind, Outcome, Plan};

fn io(e: std::io::Error) -> Error {
    Error::io("write", "stdout", e)
}

fn short(hash: &str) -> String {
    let hex = hash.strip_prefix("sha256:").unwrap_or(hash);
    format!("sha256:{}…", &hex[..hex.len().min(12)])
}

fn blueprint_json(b: &BlueprintRef) -> Value {
    json!({
        "name": b.name,
        "version": b.version,
        "source": b.source,
        "content_hash": b.content_hash,
    })
}

fn project_word(plan_dir: &std::path::Path) -> String {
    shell_word(&plan_dir.display().to_string())
}

/// The exit code an update's outcome documents: 5 when conflicts were (or would be) written.
pub fn update_exit_code(o: &Outcome) -> u8 {
    if o.plan.conflicts().is_empty() {
        exit::OK
    } else {
        exit::CONFLICTS
    }
}

fn verb(d: &Decision) -> &'static str {
    match (d.action, d.from.is_some()) {
        (Action::Unchanged | Action::KeepYours | Action::AlreadyCurrent, true) => "move",
        (a, _) => a.as_str(),
    }
}

/// Files worth a line: everything that writes, deletes, conflicts, or needs the user's eye.
fn listed(plan: &Plan) -> Vec<&Decision> {
    plan.decisions
        .iter()
        .filter(|d| !d.ops.is_empty() || d.action.is_notice() || d.action == Action::KeepYours)
        .collect()
}

fn summary(plan: &Plan) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for d in &plan.decisions {
        *counts.entry(verb(d)).or_insert(0) += 1;
    }
    counts
}

fn next_steps(o: &Outcome) -> Vec<String> {
    let plan = &o.plan;
    let dir = project_word(&plan.project.dir);
    let mut steps = Vec::new();
    let conflicts = plan.conflicts();
    if o.dry_run {
        if !plan.nothing_to_do() {
            let again = match &plan.kind {
                Kind::Add(f) => format!("gogen add {f} {dir}"),
                Kind::Remove(f) => format!("gogen remove {f} {dir}"),
                _ => format!("gogen update {dir}"),
            };
            steps.push(format!("{again}  (the same, without --dry-run)"));
        }
        return steps;
    }
    if !conflicts.is_empty() {
        for d in &conflicts {
            if d.action == Action::BinaryConflict {
                steps.push(format!(
                    "choose between {0} and {0}{THEIRS_SUFFIX}, then delete {0}{THEIRS_SUFFIX}",
                    d.path
                ));
            } else {
                steps.push(format!("resolve the conflict markers in {}", d.path));
            }
        }
        if matches!(o.git_index, GitIndex::Registered { .. }) {
            steps.push(
                "git add the resolved files and commit (git status lists them as unmerged)".into(),
            );
        }
        steps.push(format!(
            "gogen check {dir}  (exit 0 once every conflict is resolved and committed)"
        ));
    } else if !plan.nothing_to_do() {
        steps.push(format!("cd {dir} && git diff  (review, then commit)"));
    }
    steps
}

pub fn update_json(out: &mut impl Write, o: &Outcome) -> Result<()> {
    let plan = &o.plan;
    let files: Vec<Value> = plan
        .decisions
        .iter()
        .filter(|d| d.action != Action::Unchanged || d.from.is_some())
        .map(|d| {
            let result = if d.action.is_conflict() {
                "conflict"
            } else if d.action.is_notice() {
                "notice"
            } else {
                "clean"
            };
            json!({
                "path": d.path,
                "from_path": d.from,
                "action": verb(d),
                "result": result,
                "conflicts": d.conflicts,
                "reason": d.reason,
                "sha256_before": d.before,
                "sha256_after": d.after,
                "theirs_sha256": d.theirs,
            })
        })
        .collect();
    let changed: serde_json::Map<String, Value> = plan
        .changes
        .changed
        .iter()
        .map(|c| {
            (
                c.key.clone(),
                json!({"from": c.from, "to": c.to, "source": c.source}),
            )
        })
        .collect();
    let new: serde_json::Map<String, Value> = plan
        .changes
        .new
        .iter()
        .map(|c| (c.key.clone(), json!({"value": c.to, "source": c.source})))
        .collect();
    let doc = json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "command": plan.kind.command(),
        "dry_run": o.dry_run,
        "project": plan.project.dir.display().to_string(),
        "feature": match &plan.kind { Kind::Add(f) | Kind::Remove(f) => Some(f), _ => None },
        "blueprint": { "from": blueprint_json(&plan.from), "to": blueprint_json(&plan.to) },
        "base": {
            "tracked": plan.project.lock.files.len(),
            "reproducible": plan.bases.files.len(),
            "sources": plan.bases.sources(),
        },
        "answers": {
            "changed": changed,
            "new": new,
            "removed": plan.changes.removed,
            "renamed": plan.changes.renamed,
        },
        "files": files,
        "summary": summary(plan),
        "conflicts": plan.conflicts().iter().map(|d| &d.path).collect::<Vec<_>>(),
        "deleted_by_user": plan.lock.deleted_by_user,
        "nothing_to_do": plan.nothing_to_do(),
        "note": plan.note,
        "git_index": o.git_index,
        "exit_code": update_exit_code(o),
        "next_steps": next_steps(o),
    });
    crate::cli::output::write_json(out, &doc)
}

pub fn update_text(out: &mut impl Write, o: &Outcome) -> Result<()> {
    let plan = &o.plan;
    let dir = plan.project.dir.display();
    let what = match &plan.kind {
        Kind::Add(f) => format!("add {f} to"),
        Kind::Remove(f) => format!("remove {f} from"),
        _ => "update".into(),
    };
    let versions = if plan.from.content_hash == plan.to.content_hash {
        format!("{} {}", plan.to.name, plan.to.version)
    } else {
        format!(
            "{} {} ({}) -> {} ({})",
            plan.from.name,
            plan.from.version,
            short(&plan.from.content_hash),
            plan.to.version,
            short(&plan.to.content_hash)
        )
    };
    if let Some(note) = &plan.note
        && plan.nothing_to_do()
    {
        return writeln!(out, "Nothing to do: {note}.").map_err(io);
    }
    if plan.nothing_to_do() {
        return writeln!(out, "{dir} is up to date with {versions}; nothing to do.").map_err(io);
    }
    let head = if o.dry_run { "Plan" } else { "Done" };
    let tail = if o.dry_run {
        "; dry run, nothing written"
    } else {
        ""
    };
    writeln!(out, "{head}: {what} {dir}, {versions}{tail}").map_err(io)?;
    let tracked = plan.project.lock.files.len();
    let sources: Vec<&str> = plan.bases.sources().iter().map(|s| s.as_str()).collect();
    writeln!(
        out,
        "Base: {} of {tracked} files reproducible{}",
        plan.bases.files.len(),
        if sources.is_empty() {
            String::new()
        } else {
            format!(" ({})", sources.join(", "))
        }
    )
    .map_err(io)?;
    let c = &plan.changes;
    if !c.is_empty() || !c.renamed.is_empty() {
        writeln!(out, "\nAnswers:").map_err(io)?;
        for ch in &c.changed {
            let from = ch.from.as_ref().map(toml_text).unwrap_or_default();
            writeln!(
                out,
                "  {:<20} {} -> {}  ({})",
                ch.key,
                from,
                serde_json::to_string(&ch.to).unwrap_or_default(),
                ch.source.as_str()
            )
            .map_err(io)?;
        }
        for ch in &c.new {
            writeln!(
                out,
                "  {:<20} {}  (new question, {})",
                ch.key,
                serde_json::to_string(&ch.to).unwrap_or_default(),
                ch.source.as_str()
            )
            .map_err(io)?;
        }
        for k in &c.removed {
            writeln!(out, "  {k:<20} (no longer asked; dropped)").map_err(io)?;
        }
        for (from, to) in &c.renamed {
            writeln!(out, "  {from:<20} renamed to {to}").map_err(io)?;
        }
    }
    writeln!(out, "\nFiles:").map_err(io)?;
    let rows = listed(plan);
    let width = rows.iter().map(|d| d.path.len()).max().unwrap_or(0).min(56);
    for d in &rows {
        let path = match &d.from {
            Some(from) => format!("{from} -> {}", d.path),
            None => d.path.clone(),
        };
        let reason = if d.reason.is_empty() {
            String::new()
        } else {
            format!("  {}", d.reason)
        };
        let line = format!("  {:<19} {path:<width$}{reason}", verb(d));
        writeln!(out, "{}", line.trim_end()).map_err(io)?;
    }
    let quiet = plan.decisions.len() - rows.len();
    if quiet > 0 {
        writeln!(
            out,
            "  ({quiet} more unchanged, or already as the new version has them)"
        )
        .map_err(io)?;
    }
    let conflicts = plan.conflicts();
    let counts = summary(plan);
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    writeln!(
        out,
        "\nSummary: {}; {} records {} {}",
        parts.join(", "),
        crate::generate::lockfile::LOCK_FILE,
        plan.to.name,
        plan.to.version
    )
    .map_err(io)?;
    if !conflicts.is_empty() {
        let would = if o.dry_run { "would leave" } else { "left" };
        writeln!(
            out,
            "{} file(s) {would} conflicts to resolve (exit 5)",
            conflicts.len()
        )
        .map_err(io)?;
    }
    match &o.git_index {
        GitIndex::Registered { paths } => writeln!(
            out,
            "git index: {paths} conflict(s) registered as unmerged (git status shows them)"
        ),
        GitIndex::Failed { reason } => writeln!(
            out,
            "warning: could not register the conflicts in the git index: {reason}"
        ),
        _ => Ok(()),
    }
    .map_err(io)?;
    let steps = next_steps(o);
    if !steps.is_empty() {
        writeln!(out, "\nNext steps:").map_err(io)?;
        for s in steps {
            writeln!(out, "  {s}").map_err(io)?;
        }
    }
    Ok(())
}

/// A TOML value as JSON text, for answers shown from the lock.
fn toml_text(v: &toml::Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| v.to_string())
}

pub fn check_json(out: &mut impl Write, r: &CheckReport) -> Result<()> {
    let new_questions: Vec<Value> = r
        .plan
        .as_ref()
        .map(|p| {
            p.changes
                .new
                .iter()
                .map(|c| json!({"key": c.key, "value": c.to, "source": c.source}))
                .collect()
        })
        .unwrap_or_default();
    let doc = json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "command": "check",
        "project": r.project.display().to_string(),
        "locked": blueprint_json(&r.locked),
        "available": r.available.as_ref().map(blueprint_json),
        "update_available": r.update_available(),
        "answers_valid": r.answers_problem.is_none(),
        "answers_problem": r.answers_problem,
        "new_questions": new_questions,
        "base": {
            "tracked": r.tracked,
            "reproducible": r.tracked - r.no_base.len(),
            "sources": r.base_sources,
            "missing": r.no_base,
        },
        "modified": r.modified,
        "deleted": r.deleted,
        "conflicts": r.conflicts.iter().map(|(p, s)| json!({"path": p, "state": s})).collect::<Vec<_>>(),
        "leftover_staging": r.leftovers,
        "error": r.error.as_ref().map(|e| e.to_string()),
        "exit_code": r.exit_code(),
    });
    crate::cli::output::write_json(out, &doc)
}

pub fn check_text(out: &mut impl Write, r: &CheckReport) -> Result<()> {
    let l = &r.locked;
    writeln!(out, "project    {}", r.project.display()).map_err(io)?;
    writeln!(
        out,
        "locked     {} {} ({}, {})",
        l.name,
        l.version,
        l.source,
        short(&l.content_hash)
    )
    .map_err(io)?;
    match (&r.available, &r.error) {
        (Some(a), _) if a.content_hash == l.content_hash => {
            writeln!(out, "available  the same ({})", a.source)
        }
        (Some(a), _) => writeln!(
            out,
            "available  {} {} ({}, {})",
            a.name,
            a.version,
            a.source,
            short(&a.content_hash)
        ),
        (None, Some(e)) => writeln!(out, "available  unknown: {e}"),
        (None, None) => writeln!(out, "available  unknown"),
    }
    .map_err(io)?;
    let sources: Vec<&str> = r.base_sources.iter().map(|s| s.as_str()).collect();
    let reproducible = r.tracked - r.no_base.len();
    writeln!(
        out,
        "base       reproducible for {reproducible} of {} tracked files{}",
        r.tracked,
        if sources.is_empty() {
            String::new()
        } else {
            format!(" ({})", sources.join(", "))
        }
    )
    .map_err(io)?;
    if !r.no_base.is_empty() {
        writeln!(
            out,
            "           no base for {} file(s): where you and the blueprint both changed one, it gets two-sided conflict markers",
            r.no_base.len()
        )
        .map_err(io)?;
        for p in r.no_base.iter().take(10) {
            writeln!(out, "             {p}").map_err(io)?;
        }
        if r.no_base.len() > 10 {
            writeln!(out, "             … and {} more", r.no_base.len() - 10).map_err(io)?;
        }
    }
    for note in &r.base_notes {
        writeln!(out, "           note: {note}").map_err(io)?;
    }
    writeln!(
        out,
        "files      {} modified by you, {} deleted by you",
        r.modified.len(),
        r.deleted.len()
    )
    .map_err(io)?;
    for p in &r.modified {
        writeln!(out, "             modified  {p}").map_err(io)?;
    }
    for p in &r.deleted {
        writeln!(out, "             deleted   {p}").map_err(io)?;
    }
    let unresolved = r.unresolved();
    if r.conflicts.is_empty() {
        writeln!(out, "conflicts  none").map_err(io)?;
    } else {
        writeln!(
            out,
            "conflicts  {} unresolved of {} from the last update",
            unresolved.len(),
            r.conflicts.len()
        )
        .map_err(io)?;
        for (p, s) in &r.conflicts {
            writeln!(out, "             {p}: {}", s.as_str()).map_err(io)?;
        }
    }
    if let Some(p) = &r.plan {
        for c in &p.changes.new {
            writeln!(
                out,
                "answers    new question `{}`: {} ({})",
                c.key,
                serde_json::to_string(&c.to).unwrap_or_default(),
                c.source.as_str()
            )
            .map_err(io)?;
        }
        for c in &p.changes.changed {
            writeln!(
                out,
                "answers    `{}` changes to {} ({})",
                c.key,
                serde_json::to_string(&c.to).unwrap_or_default(),
                c.source.as_str()
            )
            .map_err(io)?;
        }
    }
    if let Some(problem) = &r.answers_problem {
        writeln!(out, "answers    need input before updating: {problem}").map_err(io)?;
    }
    for l in &r.leftovers {
        writeln!(
            out,
            "note       {l} was left by an interrupted gogen run (it may hold earlier versions of your files); remove it when you no longer need it"
        )
        .map_err(io)?;
    }
    let dir = project_word(&r.project);
    let verdict = match r.exit_code() {
        exit::CONFLICTS => "unresolved conflicts (exit 5)".to_string(),
        exit::UPDATE_AVAILABLE => {
            format!("update available (exit 4): gogen update {dir} --dry-run")
        }
        exit::OK => "up to date (exit 0)".to_string(),
        _ => "cannot evaluate (exit 1)".to_string(),
    };
    writeln!(out, "result     {verdict}").map_err(io)
}
