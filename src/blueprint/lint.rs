//! `gogen blueprint lint`: checks a blueprint before anyone uses it. The manifest, every
//! template's syntax, variables used but never asked (and asked but never used), file rules
//! that match nothing, `when` conditions a JSON Schema cannot carry, and a render of every
//! test-matrix case plus a pairwise cover of its choices; with `--go`, each rendering must
//! also pass the Go toolchain checks.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::answers::{AnswerInputs, Answers, Resolver};
use crate::blueprint::manifest::{QuestionType, Syntax};
use crate::blueprint::{Blueprint, SHARED_DIR, TEMPLATE_DIR};
use crate::error::Error;
use crate::generate::plan::{self, TEMPLATE_SUFFIX};
use crate::generate::render::Renderer;
use crate::generate::{self, Context};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The file, question or case the finding is about.
    pub at: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rendering {
    pub name: String,
    pub answers: BTreeMap<String, String>,
    pub files: usize,
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub blueprint: String,
    pub findings: Vec<Finding>,
    pub renderings: Vec<Rendering>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Run the Go toolchain checks on every rendering.
    pub go: bool,
    /// Server for cases that need PostgreSQL.
    pub postgres_url: Option<String>,
}

/// Lints a blueprint. A reference that names nothing is an error; everything wrong with
/// what it names is a finding.
pub fn lint(ctx: &Context, reference: &str, options: &LintOptions) -> crate::error::Result<Report> {
    let mut report = Report {
        blueprint: reference.to_string(),
        findings: Vec::new(),
        renderings: Vec::new(),
    };
    let (bp, renderer) = match generate::load(ctx, reference) {
        Ok(loaded) => loaded,
        Err(e @ (Error::UnknownBlueprint { .. } | Error::Usage(_))) => return Err(e),
        Err(e) => {
            report.findings.push(error("blueprint.toml", e.to_string()));
            return Ok(report);
        }
    };
    let used = check_templates(&bp, &renderer, &mut report);
    check_usage(&bp, &renderer, &used, &mut report);
    check_rules(&bp, &mut report);
    check_schema_conditions(&bp, &mut report);
    render_cases(&bp, &renderer, options, &mut report);
    Ok(report)
}

fn error(at: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Error,
        at: at.into(),
        message: message.into(),
    }
}

fn warning(at: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Warning,
        at: at.into(),
        message: message.into(),
    }
}

/// Every template file and templated path must parse; returns the variables they read.
fn check_templates(bp: &Blueprint, renderer: &Renderer, report: &mut Report) -> BTreeSet<String> {
    let known: BTreeSet<String> = bp
        .manifest
        .questions
        .iter()
        .map(|q| q.key.clone())
        .chain(["gogen_version".to_string()])
        .collect();
    let mut used = BTreeSet::new();
    let mut sources: Vec<(String, String, &[u8])> = Vec::new();
    for layer in &bp.manifest.layers {
        for (rel, bytes) in bp.shared.under(layer) {
            let name = format!("{SHARED_DIR}/{layer}/{rel}");
            sources.push((name.clone(), name, bytes));
        }
    }
    for (rel, bytes) in bp.files.iter() {
        let in_template = rel.starts_with(&format!("{TEMPLATE_DIR}/"));
        let is_partial = rel.ends_with(TEMPLATE_SUFFIX) && !in_template && rel != "blueprint.toml";
        if in_template || is_partial {
            let rule_key = rel
                .strip_prefix(&format!("{TEMPLATE_DIR}/"))
                .unwrap_or(rel)
                .to_string();
            sources.push((rule_key, rel.to_string(), bytes));
        }
    }
    // The manifest's globs were checked when it loaded.
    let rules = plan::compile_rules(bp).unwrap_or_default();
    for (rule_key, name, bytes) in &sources {
        let plan::FileSettings {
            verbatim, syntax, ..
        } = plan::file_settings(&rules, rule_key);
        // Paths: each component is a small template of its own.
        if name.starts_with(TEMPLATE_DIR) || name.starts_with(SHARED_DIR) {
            for component in rule_key.split('/') {
                match renderer.variables_in(component, Syntax::Default) {
                    Ok(vars) => used.extend(vars),
                    Err(e) => report
                        .findings
                        .push(error(name.clone(), format!("path: {e}"))),
                }
            }
        }
        if !name.ends_with(TEMPLATE_SUFFIX) || verbatim {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            report
                .findings
                .push(error(name.clone(), "a .jinja file must be UTF-8"));
            continue;
        };
        match renderer.variables_in(text, syntax) {
            Ok(vars) => used.extend(vars),
            Err(e) => report.findings.push(error(name.clone(), e)),
        }
    }
    for v in &used {
        if !known.contains(v) && !is_builtin_name(v) {
            report.findings.push(error(
                "templates",
                format!("`{v}` is used but no question asks it"),
            ));
        }
    }
    used
}

/// Names a template may use without a question: minijinja's globals and tests.
fn is_builtin_name(name: &str) -> bool {
    matches!(
        name,
        "range" | "dict" | "namespace" | "debug" | "true" | "false" | "none" | "loop" | "self"
    )
}

fn check_usage(bp: &Blueprint, renderer: &Renderer, used: &BTreeSet<String>, report: &mut Report) {
    let mut read: BTreeSet<String> = used.clone();
    for q in &bp.manifest.questions {
        if let Some(when) = &q.when {
            read.extend(renderer.expression_variables(when).unwrap_or_default());
        }
        if let Some(toml::Value::String(d)) = &q.default {
            read.extend(
                renderer
                    .variables_in(d, Syntax::Default)
                    .unwrap_or_default(),
            );
        }
    }
    for rule in &bp.manifest.file_rules {
        if let Some(when) = &rule.when {
            read.extend(renderer.expression_variables(when).unwrap_or_default());
        }
    }
    for q in &bp.manifest.questions {
        if !read.contains(&q.key) {
            report.findings.push(warning(
                format!("question `{}`", q.key),
                "is asked but no template, path, default or condition uses it",
            ));
        }
    }
}

fn check_rules(bp: &Blueprint, report: &mut Report) {
    let mut keys: Vec<String> = bp
        .files
        .under(TEMPLATE_DIR)
        .map(|(rel, _)| rel.to_string())
        .collect();
    for layer in &bp.manifest.layers {
        keys.extend(
            bp.shared
                .under(layer)
                .map(|(rel, _)| format!("{SHARED_DIR}/{layer}/{rel}")),
        );
    }
    for compiled in plan::compile_rules(bp).unwrap_or_default() {
        if !keys.iter().any(|k| compiled.matcher.is_match(k)) {
            report.findings.push(warning(
                format!("files rule {:?}", compiled.rule.path),
                "matches no file (rules match source names, with the .jinja suffix)",
            ));
        }
    }
    if bp.manifest.tests.is_empty() {
        report.findings.push(warning(
            "blueprint.toml",
            "declares no [[test]] cases; nothing proves the output builds",
        ));
    }
}

fn check_schema_conditions(bp: &Blueprint, report: &mut Report) {
    let questions = crate::blueprint::schema::questions_by_key(&bp.manifest);
    for q in &bp.manifest.questions {
        if let Some(when) = &q.when
            && let Some(why) = crate::blueprint::schema::untranslatable_among(&questions, when)
        {
            report.findings.push(warning(
                format!("question `{}`", q.key),
                format!(
                    "`when` cannot be exported to JSON Schema ({why}); portals will not see it"
                ),
            ));
        }
    }
}

/// A pairwise cover of the bool and choice questions: every pair of values of every two
/// questions appears in some row. Greedy, deterministic.
pub fn pairwise(factors: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut uncovered: BTreeSet<(usize, usize, usize, usize)> = BTreeSet::new();
    for i in 0..factors.len() {
        for j in i + 1..factors.len() {
            for a in 0..factors[i].1.len() {
                for b in 0..factors[j].1.len() {
                    uncovered.insert((i, a, j, b));
                }
            }
        }
    }
    let mut rows = Vec::new();
    if factors.len() < 2 {
        if let Some((key, values)) = factors.first() {
            for v in values {
                rows.push(vec![(key.clone(), v.clone())]);
            }
        }
        return rows;
    }
    while !uncovered.is_empty() {
        let mut row: Vec<usize> = Vec::new();
        for (f, factor) in factors.iter().enumerate() {
            let best = (0..factor.1.len())
                .max_by_key(|&v| {
                    let with_chosen = row
                        .iter()
                        .enumerate()
                        .filter(|&(g, &w)| uncovered.contains(&(g, w, f, v)))
                        .count();
                    let later = uncovered
                        .iter()
                        .filter(|&&(i, a, j, _)| i == f && a == v && j > f)
                        .count();
                    // Prefer pairs with what is already chosen, then future potential; ties go to the first value.
                    (with_chosen * 1000 + later, usize::MAX - v)
                })
                .unwrap_or(0);
            row.push(best);
        }
        let before = uncovered.len();
        for i in 0..row.len() {
            for j in i + 1..row.len() {
                uncovered.remove(&(i, row[i], j, row[j]));
            }
        }
        if uncovered.len() == before {
            break;
        }
        rows.push(
            row.iter()
                .enumerate()
                .map(|(f, &v)| (factors[f].0.clone(), factors[f].1[v].clone()))
                .collect(),
        );
    }
    rows
}

/// Resolves answers, dropping answers to questions whose `when` turns out false
/// (a pairwise row does not know about conditions).
fn resolve_lenient(
    bp: &Blueprint,
    renderer: &Renderer,
    mut sets: Vec<(String, String)>,
) -> crate::error::Result<Answers> {
    let resolver = Resolver {
        manifest: &bp.manifest,
        renderer,
    };
    loop {
        let inputs = AnswerInputs {
            sets: sets.clone(),
            ..AnswerInputs::default()
        };
        match resolver.resolve(&inputs, None) {
            Err(Error::AnswerNotApplicable { key, .. }) => sets.retain(|(k, _)| *k != key),
            other => return other,
        }
    }
}

/// Most bool and choice questions a pairwise cover is computed for.
pub const MAX_PAIRWISE_FACTORS: usize = 100;
/// Pairs of values (over every two questions) a cover is searched for: 100 bool questions
/// make 19,800; two questions of 3,000 choices each would make 9 million (and rows as many).
pub const MAX_PAIRWISE_PAIRS: usize = 20_000;

fn render_cases(bp: &Blueprint, renderer: &Renderer, options: &LintOptions, report: &mut Report) {
    // One golangci-lint cache for this run's temporary projects (see GoCheck::lint_cache).
    let lint_cache = tempfile::Builder::new()
        .prefix("gogen-lint-cache-")
        .tempdir()
        .ok();
    // (label, answers as --set pairs, services, go test tags)
    type Case<'a> = (String, Vec<(String, String)>, &'a [String], &'a [String]);
    let mut cases: Vec<Case<'_>> = Vec::new();
    for case in &bp.manifest.tests {
        let sets = case.sets();
        cases.push((
            format!("test `{}`", case.name),
            sets,
            &case.services,
            &case.go_test_tags,
        ));
    }
    let required: Vec<(String, String)> = bp
        .manifest
        .tests
        .first()
        .map(|c| c.sets())
        .unwrap_or_default();
    let factors: Vec<(String, Vec<String>)> = bp
        .manifest
        .questions
        .iter()
        .filter_map(|q| match q.kind {
            QuestionType::Bool => Some((q.key.clone(), vec!["true".into(), "false".into()])),
            QuestionType::Choice => Some((
                q.key.clone(),
                q.choice_values().into_iter().map(str::to_string).collect(),
            )),
            _ => None,
        })
        .collect();
    // A pairwise cover grows with the square of the questions and of their choices (and
    // its search faster): past a limit, lint renders the matrix cases only and says so.
    let pairs: usize = factors
        .iter()
        .enumerate()
        .map(|(i, (_, a))| {
            factors[i + 1..]
                .iter()
                .map(|(_, b)| a.len().saturating_mul(b.len()))
                .fold(0usize, usize::saturating_add)
        })
        .fold(0usize, usize::saturating_add);
    let too_many = if factors.len() > MAX_PAIRWISE_FACTORS {
        Some(format!(
            "{} bool and choice questions are more than the {MAX_PAIRWISE_FACTORS} a pairwise cover is computed for",
            factors.len()
        ))
    } else if pairs > MAX_PAIRWISE_PAIRS {
        Some(format!(
            "the bool and choice questions make {pairs} pairs of values, more than the {MAX_PAIRWISE_PAIRS} a pairwise cover is computed for"
        ))
    } else {
        None
    };
    let rows = if let Some(why) = too_many {
        report.findings.push(warning(
            "blueprint.toml",
            format!("{why}; only the test matrix is rendered"),
        ));
        Vec::new()
    } else {
        pairwise(&factors)
    };
    for (i, row) in rows.into_iter().enumerate() {
        let mut sets = required.clone();
        for (k, v) in row {
            sets.retain(|(key, _)| *key != k);
            sets.push((k, v));
        }
        cases.push((format!("pairwise #{}", i + 1), sets, &[], &[]));
    }
    let mut seen_plans = BTreeSet::new();
    for (name, sets, services, tags) in cases {
        let shown: BTreeMap<String, String> = sets.iter().cloned().collect();
        // Each rendering is one generation, with the budget of one.
        renderer.reset_budget();
        let outcome = resolve_lenient(bp, renderer, sets)
            .and_then(|answers| plan::plan(bp, renderer, &answers).map(|p| (answers, p)));
        match outcome {
            Ok((answers, planned)) => {
                let files = planned.files.len();
                let fingerprint: Vec<(String, String)> = planned
                    .files
                    .iter()
                    .map(|f| (f.path.clone(), f.sha256.clone()))
                    .collect();
                // Identical renderings need the Go checks only once.
                let fresh = seen_plans.insert(fingerprint);
                let mut ok = true;
                if options.go
                    && fresh
                    && let Err(e) = go_check(
                        bp,
                        &answers,
                        &planned,
                        GoCase { services, tags },
                        options,
                        lint_cache.as_ref().map(|d| d.path()),
                    )
                {
                    ok = false;
                    report.findings.push(error(name.clone(), e));
                }
                report.renderings.push(Rendering {
                    name,
                    answers: shown,
                    files,
                    ok,
                });
            }
            Err(e) => {
                report.findings.push(error(name.clone(), e.to_string()));
                report.renderings.push(Rendering {
                    name,
                    answers: shown,
                    files: 0,
                    ok: false,
                });
            }
        }
    }
}

/// What a test case asks of the Go checks.
struct GoCase<'a> {
    services: &'a [String],
    tags: &'a [String],
}

fn go_check(
    bp: &Blueprint,
    answers: &Answers,
    planned: &plan::Plan,
    case: GoCase<'_>,
    options: &LintOptions,
    lint_cache: Option<&std::path::Path>,
) -> Result<(), String> {
    let GoCase { services, tags } = case;
    if !crate::golang::gocheck::go_available() {
        return Err("`go` is not on PATH; --go needs the Go toolchain".into());
    }
    let work = tempfile::Builder::new()
        .prefix("gogen-lint-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let target = work.path().join("project");
    let mut planned = planned.clone();
    crate::generate::lockfile::add_to_plan(bp, answers, &mut planned);
    let checked =
        crate::generate::write::preflight(&planned, &target, false).map_err(|e| e.to_string())?;
    crate::generate::write::write(&planned, &target, &checked).map_err(|e| e.to_string())?;
    let mut check = crate::golang::gocheck::GoCheck {
        tags: tags.to_vec(),
        lint_cache: lint_cache.map(|p| p.to_path_buf()),
        ..Default::default()
    };
    if services.iter().any(|s| s == "postgres") {
        let Some(server) = &options.postgres_url else {
            return Err("needs PostgreSQL: set GOGEN_TEST_POSTGRES_URL to a server URL".into());
        };
        let db =
            crate::golang::gocheck::fresh_database(server, "lint").map_err(|e| e.to_string())?;
        check.env.push(("DATABASE_URL".into(), db));
    }
    check.check(&target).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_covers_every_pair_with_few_rows() {
        let f = |k: &str, n: usize| {
            (
                k.to_string(),
                (0..n).map(|i| format!("{k}{i}")).collect::<Vec<_>>(),
            )
        };
        let factors = vec![f("a", 3), f("b", 2), f("c", 2), f("d", 3), f("e", 2)];
        let rows = pairwise(&factors);
        for i in 0..factors.len() {
            for j in i + 1..factors.len() {
                for a in &factors[i].1 {
                    for b in &factors[j].1 {
                        let covered = rows.iter().any(|r| {
                            r.iter().any(|(_, v)| v == a) && r.iter().any(|(_, v)| v == b)
                        });
                        assert!(covered, "{a} with {b} not covered");
                    }
                }
            }
        }
        let exhaustive = 3 * 2 * 2 * 3 * 2;
        assert!(rows.len() < exhaustive / 3, "{} rows", rows.len());
        assert!(rows.len() >= 9, "at least |a|*|d| rows: {}", rows.len());
    }
}
