//! Text and JSON renderings of core results. JSON documents carry `schema_version`.

use std::io::Write;

use serde_json::{Value, json};

use crate::answers::Origin;
use crate::error::{Error, Result, shell_word};
use crate::generate::poststep::StepStatus;
use crate::generate::{BlueprintSummary, Info, JSON_SCHEMA_VERSION, Outcome};

fn io(e: std::io::Error) -> Error {
    Error::io("write", "stdout", e)
}

pub fn write_json(out: &mut impl Write, doc: &Value) -> Result<()> {
    out.write_all(crate::cli::term::json_text(doc).as_bytes())
        .map_err(io)
}

fn human_size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

pub fn new_json(out: &mut impl Write, o: &Outcome) -> Result<()> {
    let answers: serde_json::Map<String, Value> = o
        .answers
        .items
        .iter()
        .map(|a| (a.key.clone(), json!(a.value)))
        .collect();
    let sources: serde_json::Map<String, Value> = o
        .answers
        .items
        .iter()
        .map(|a| (a.key.clone(), json!(a.origin)))
        .collect();
    let files: Vec<Value> = o
        .plan
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "size": f.size,
                "mode": format!("{:04o}", f.mode),
                "sha256": f.sha256,
                "source": f.source,
            })
        })
        .collect();
    let doc = json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "command": "new",
        "dry_run": o.dry_run,
        "blueprint": {
            "name": o.blueprint.name,
            "version": o.blueprint.version,
            "source": o.blueprint.source,
            "content_hash": o.content_hash,
        },
        "target": o.target.display().to_string(),
        "answers": answers,
        "answer_sources": sources,
        "files": files,
        "skipped": o.plan.skipped,
        "replaced": o.conflicts,
        "warnings": o.plan.warnings,
        "post_steps": o.post_steps,
        "next_steps": o.next_steps,
    });
    write_json(out, &doc)
}

pub fn new_text(out: &mut impl Write, o: &Outcome) -> Result<()> {
    let target = o.target.display();
    let size = human_size(o.plan.total_bytes());
    let count = o.plan.files.len();
    let bp = &o.blueprint;
    if o.dry_run {
        writeln!(
            out,
            "Plan: {} {} -> {target} ({count} files, {size}); dry run, nothing written",
            bp.name, bp.version
        )
        .map_err(io)?;
        writeln!(out, "\nAnswers:").map_err(io)?;
        for a in &o.answers.items {
            let shown = if a.origin == Origin::Skipped {
                "(not asked)".to_string()
            } else {
                serde_json::to_string(&a.value).unwrap_or_default()
            };
            writeln!(out, "  {:<20} {:<40} {}", a.key, shown, a.origin.as_str()).map_err(io)?;
        }
        writeln!(out, "\nFiles:").map_err(io)?;
        for f in &o.plan.files {
            let replaced = if o.conflicts.contains(&f.path) {
                "  (replaces an existing file)"
            } else {
                ""
            };
            writeln!(out, "  {:04o} {:>9}  {}{replaced}", f.mode, f.size, f.path).map_err(io)?;
        }
        if !o.plan.skipped.is_empty() {
            writeln!(out, "\nSkipped:").map_err(io)?;
            for s in &o.plan.skipped {
                writeln!(out, "  {}  ({})", s.source, s.reason).map_err(io)?;
            }
        }
    } else {
        writeln!(
            out,
            "Created {target} from {} {} ({count} files, {size})",
            bp.name, bp.version
        )
        .map_err(io)?;
    }
    for w in &o.plan.warnings {
        writeln!(out, "warning: {w}").map_err(io)?;
    }
    writeln!(out, "\nPost-steps:").map_err(io)?;
    for s in &o.post_steps {
        let status = match &s.status {
            StepStatus::Planned => "planned".to_string(),
            StepStatus::Done => "done".to_string(),
            StepStatus::Skipped { reason } => format!("skipped: {reason}"),
            StepStatus::Failed { reason } => format!("FAILED: {reason}"),
        };
        writeln!(out, "  {:<16} {status}", s.name).map_err(io)?;
    }
    if !o.dry_run {
        writeln!(out, "\nNext steps:").map_err(io)?;
        for step in &o.next_steps {
            writeln!(out, "  {step}").map_err(io)?;
        }
    }
    Ok(())
}

/// The non-interactive command that reproduces a prompted run (`target` as given; none
/// means the default folder).
pub fn equivalent_command(
    blueprint: &str,
    target: Option<&std::path::Path>,
    answers: &crate::answers::Answers,
) -> String {
    let mut words = vec![
        "gogen".to_string(),
        "new".to_string(),
        shell_word(blueprint),
    ];
    if let Some(t) = target {
        words.push(shell_word(&t.display().to_string()));
    }
    words.push("--no-input".to_string());
    for a in &answers.items {
        if matches!(a.origin, Origin::Skipped | Origin::Locked) {
            continue;
        }
        words.push("--set".into());
        words.push(shell_word(&format!("{}={}", a.key, a.value.to_flag_text())));
    }
    words.join(" ")
}

pub fn list_text(out: &mut impl Write, blueprints: &[BlueprintSummary]) -> Result<()> {
    if blueprints.is_empty() {
        writeln!(out, "No built-in blueprints.").map_err(io)?;
    }
    for b in blueprints {
        match &b.shadowed_by {
            None => writeln!(
                out,
                "{:<14} {:<8} {:<9} {}",
                b.name, b.version, b.source, b.description
            ),
            Some(by) => writeln!(
                out,
                "{:<14} {:<8} {:<9} (shadowed by {by}: `gogen new {}` means that one; use this one by its path: gogen new {})",
                b.name,
                b.version,
                b.source,
                b.name,
                shell_word(b.source.trim_start_matches("search-path:"))
            ),
        }
        .map_err(io)?;
    }
    Ok(())
}

pub fn info_json(out: &mut impl Write, info: &Info) -> Result<()> {
    let (tree, tree_error) = match &info.default_tree {
        Ok(t) => (json!(t), Value::Null),
        Err(e) => (Value::Null, json!(e)),
    };
    let doc = json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "name": info.blueprint.name,
        "version": info.blueprint.version,
        "description": info.blueprint.description,
        "source": info.blueprint.source,
        "layers": info.layers,
        "questions": info.questions,
        "default_tree": tree,
        "default_tree_error": tree_error,
        "default_tree_answers": info.default_tree_answers,
        "tests": info.tests,
        "features": info.features,
    });
    write_json(out, &doc)
}

pub fn info_text(out: &mut impl Write, info: &Info) -> Result<()> {
    let b = &info.blueprint;
    writeln!(
        out,
        "{} {} ({})\n{}",
        b.name, b.version, b.source, b.description
    )
    .map_err(io)?;
    if !info.layers.is_empty() {
        writeln!(out, "Layers: {}", info.layers.join(", ")).map_err(io)?;
    }
    writeln!(out, "\nQuestions:").map_err(io)?;
    for q in &info.questions {
        let default = match &q.default {
            Some(d) => format!("default {d}"),
            None => "required".to_string(),
        };
        writeln!(out, "  {} ({}, {default})", q.key, q.kind).map_err(io)?;
        writeln!(out, "      {}", q.prompt).map_err(io)?;
        if let Some(help) = &q.help {
            writeln!(out, "      {help}").map_err(io)?;
        }
        for c in &q.choices {
            match &c.help {
                Some(h) => writeln!(out, "      - {}: {h}", c.value),
                None => writeln!(out, "      - {}", c.value),
            }
            .map_err(io)?;
        }
        if !q.validate.is_empty() {
            writeln!(out, "      rules: {}", q.validate.join(", ")).map_err(io)?;
        }
        if let Some(p) = &q.pattern {
            writeln!(out, "      pattern: {p}").map_err(io)?;
        }
        if q.min.is_some() || q.max.is_some() {
            let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            writeln!(out, "      range: {}..={}", show(q.min), show(q.max)).map_err(io)?;
        }
        if let Some(w) = &q.when {
            writeln!(out, "      asked when: {w}").map_err(io)?;
        }
    }
    match &info.default_tree {
        Ok(tree) => {
            let from = info
                .default_tree_answers
                .as_deref()
                .map(|c| format!(" (required answers from test case `{c}`)"))
                .unwrap_or_default();
            writeln!(out, "\nFiles with default answers{from}:").map_err(io)?;
            for e in tree {
                writeln!(out, "  {} {:>9}  {}", e.mode, e.size, e.path).map_err(io)?;
            }
        }
        Err(e) => writeln!(out, "\nFiles with default answers: unavailable ({e})").map_err(io)?,
    }
    if !info.features.is_empty() {
        writeln!(out, "\nFeatures (gogen add / gogen remove):").map_err(io)?;
        let answers = |t: &toml::Table| {
            t.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for f in &info.features {
            writeln!(out, "  {}: {}", f.name, f.help).map_err(io)?;
            writeln!(
                out,
                "      add sets {}; remove sets {}",
                answers(&f.set),
                answers(&f.unset)
            )
            .map_err(io)?;
        }
    }
    if !info.tests.is_empty() {
        writeln!(out, "\nTest matrix: {}", info.tests.join(", ")).map_err(io)?;
    }
    Ok(())
}

pub fn lint_text(out: &mut impl Write, report: &crate::blueprint::lint::Report) -> Result<()> {
    for f in &report.findings {
        let level = match f.severity {
            crate::blueprint::lint::Severity::Error => "error",
            crate::blueprint::lint::Severity::Warning => "warning",
        };
        writeln!(out, "{level}: {}: {}", f.at, f.message).map_err(io)?;
    }
    let ok = report.renderings.iter().filter(|r| r.ok).count();
    writeln!(
        out,
        "{}: {} error(s), {} warning(s); {ok} of {} renderings ok",
        report.blueprint,
        report.errors(),
        report.findings.len() - report.errors(),
        report.renderings.len()
    )
    .map_err(io)?;
    Ok(())
}
