//! The Go harness: for every built-in blueprint (and the example blueprint) and every answer
//! set in its test matrix, generate the project and hold it to the quality bar's tooling:
//! gofmt, vet, build, race tests, tidy, and golangci-lint where the project ships a config.
//! Without `go` these tests say so loudly, and fail when GOGEN_REQUIRE_GO=1 (CI sets it).

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::*;

#[derive(Debug)]
struct Case {
    name: String,
    answers: Vec<(String, String)>,
    services: Vec<String>,
    tags: Vec<String>,
}

fn matrix(blueprint_dir: &Path) -> Vec<Case> {
    let text = fs::read_to_string(blueprint_dir.join("blueprint.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    manifest
        .get("test")
        .and_then(|t| t.as_array())
        .map(|cases| {
            cases
                .iter()
                .map(|c| Case {
                    name: c["name"].as_str().unwrap().to_string(),
                    answers: c
                        .get("answers")
                        .and_then(|a| a.as_table())
                        .map(|t| {
                            t.iter()
                                .map(|(k, v)| (k.clone(), gogen::manifest::flag_text(v)))
                                .collect()
                        })
                        .unwrap_or_default(),
                    services: strings(c.get("services")),
                    tags: strings(c.get("go_test_tags")),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn require_env_or_skip(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("GOGEN_REQUIRE_GO").as_deref() == Ok("1") {
                panic!("{test}: {var} is not set and GOGEN_REQUIRE_GO=1 (.ci/run sets it)");
            }
            eprintln!("\n!!! SKIPPED {test}: {var} is not set\n");
            None
        }
    }
}

fn check_case(blueprint: &str, case: &Case, work: &Path) -> Result<(), String> {
    let target = work.join(&case.name);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"));
    cmd.args(["new", blueprint])
        .arg(&target)
        .args(["--no-input", "--no-git"])
        .env("NO_COLOR", "1");
    for (k, v) in &case.answers {
        cmd.args(["--set", &format!("{k}={v}")]);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "gogen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut check = gogen::gocheck::GoCheck {
        tags: case.tags.clone(),
        lint_cache: Some(work.join(".golangci-cache")),
        ..Default::default()
    };
    if case.services.iter().any(|s| s == "postgres") {
        let test = format!("{blueprint}/{}", case.name);
        let Some(server) = require_env_or_skip("GOGEN_TEST_POSTGRES_URL", &test) else {
            return Ok(());
        };
        check.env.push((
            "DATABASE_URL".into(),
            gogen::gocheck::fresh_database(&server, &case.name)?,
        ));
    }
    if target.join(".golangci.yml").is_file() && gogen::gocheck::find_golangci_lint().is_none() {
        return Err("golangci-lint is not installed; scripts/test installs it".into());
    }
    check.check(&target).map_err(|e| e.to_string())
}

/// Runs the whole matrix of one blueprint; reports every failing case, not just the first.
fn harness(blueprint: &str, blueprint_dir: &Path) {
    let test = format!("go harness for {blueprint}");
    if !require_go(&test) {
        return;
    }
    let cases = matrix(blueprint_dir);
    assert!(!cases.is_empty(), "{blueprint} declares no [[test]] cases");
    let work = tempfile::Builder::new()
        .prefix("gogen-harness-")
        .tempdir()
        .unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let started = std::time::Instant::now();
        match check_case(blueprint, case, work.path()) {
            Ok(()) => eprintln!("{blueprint}/{}: ok in {:.1?}", case.name, started.elapsed()),
            Err(e) => failures.push(format!("--- {blueprint}/{}:\n{e}", case.name)),
        }
    }
    if !failures.is_empty() {
        let kept = work.keep();
        panic!(
            "{} of {} cases failed (projects kept in {}):\n{}",
            failures.len(),
            cases.len(),
            kept.display(),
            failures.join("\n")
        );
    }
}

fn built_in_dir(name: &str) -> PathBuf {
    repo_root().join("blueprints").join(name)
}

/// Built-in blueprints covered by a harness test below; a new blueprint must be added.
const COVERED: &[&str] = &["payments", "rest-api", "worker-pool"];

#[test]
fn every_built_in_blueprint_is_in_the_harness() {
    let mut on_disk: Vec<String> = fs::read_dir(repo_root().join("blueprints"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("blueprint.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut covered: Vec<String> = COVERED.iter().map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(
        on_disk, covered,
        "add a harness test for each built-in blueprint"
    );
}

#[test]
fn go_harness_example_hello() {
    harness(&hello_blueprint(), Path::new(&hello_blueprint()));
}

fn go_harness_built_in(name: &str) {
    harness(name, &built_in_dir(name));
}

#[test]
fn go_harness_worker_pool() {
    go_harness_built_in("worker-pool");
}

#[test]
fn go_harness_payments() {
    go_harness_built_in("payments");
}

#[test]
fn go_harness_rest_api() {
    go_harness_built_in("rest-api");
}
