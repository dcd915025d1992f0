//! The embedded blueprint history (blueprints/_history, written by scripts/blueprint-history):
//! intact, renderable by today's engine exactly as recorded, append-only, and a guard that a
//! built-in blueprint's content never changes without a version bump.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use gogen::answers::{AnswerInputs, Resolver};
use gogen::generate::lockfile::LockFile;
use gogen::generate::render::Renderer;
use gogen::lifecycle::history::{History, Status, tree_hash};

use crate::util::*;

/// Set by .ci/run: every built-in blueprint's current version must be recorded.
fn strict() -> bool {
    std::env::var("GOGEN_REQUIRE_HISTORY").as_deref() == Ok("1")
}

#[test]
fn every_snapshot_is_intact_and_renders_exactly_as_recorded() {
    let history = History::embedded().unwrap();
    assert!(!history.snapshots.is_empty());
    for (path, bytes) in history.blob_paths() {
        let name = path.trim_start_matches("blobs/").replace('/', "");
        assert_eq!(gogen::blueprint::sha256_hex(bytes), name, "{path}");
    }
    for snapshot in &history.snapshots {
        let what = format!("{} {}", snapshot.blueprint, snapshot.version);
        let loaded = history
            .load(snapshot)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let bp = &loaded.blueprint;
        assert_eq!(loaded.renders.len(), bp.manifest.tests.len(), "{what}");
        let renderer = Renderer::new(bp);
        for golden in &loaded.renders {
            let case = bp
                .manifest
                .tests
                .iter()
                .find(|t| t.name == golden.case)
                .unwrap();
            let inputs = AnswerInputs {
                sets: case.sets(),
                ..AnswerInputs::default()
            };
            let resolver = Resolver {
                manifest: &bp.manifest,
                renderer: &renderer,
            };
            let answers = resolver.resolve(&inputs, None).unwrap();
            let plan = gogen::generate::plan::plan(bp, &renderer, &answers).unwrap();
            let got = tree_hash(
                plan.files
                    .iter()
                    .map(|f| (f.path.as_str(), f.mode, f.sha256.as_str())),
            );
            assert_eq!(plan.files.len(), golden.files, "{what} {}", golden.case);
            assert_eq!(
                got, golden.tree,
                "{what} {}: today's engine renders it differently",
                golden.case
            );
        }
    }
}

#[test]
fn the_versions_of_c80be40_are_recorded_as_released() {
    let history = History::embedded().unwrap();
    let root = repo_root().join("tests/data/c80be40");
    for bp in fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
    {
        for case in fs::read_dir(bp.path()).unwrap().filter_map(|e| e.ok()) {
            let lock =
                LockFile::parse(&fs::read_to_string(case.path().join("gogen.toml")).unwrap())
                    .unwrap();
            let snapshot = history
                .find(&lock.blueprint.content_hash)
                .unwrap_or_else(|| {
                    panic!(
                        "{} {} is not recorded",
                        lock.blueprint.name, lock.blueprint.version
                    )
                });
            assert_eq!(snapshot.status, Status::Released);
            assert_eq!(snapshot.version, "0.1.0");
            assert_eq!(snapshot.recorded_from, "c80be40");
        }
    }
}

#[test]
fn a_built_in_blueprint_never_changes_content_without_a_version_bump() {
    let history = History::embedded().unwrap();
    let mut problems = Vec::new();
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        let (version, hash) = (&bp.manifest.version, bp.content_hash());
        let recorded: Vec<_> = history
            .snapshots
            .iter()
            .filter(|s| s.blueprint == name && &s.version == version)
            .collect();
        if recorded.iter().any(|s| s.content_hash == hash) {
            continue;
        }
        if !recorded.is_empty() {
            problems.push(format!(
                "{name} {version} is recorded as {}, but its content is now {hash}: content changed without a version bump (bump `version` in blueprints/{name}/blueprint.toml; while {version} is unreleased and recorded only as dev: scripts/blueprint-history record --dev)",
                recorded[0].content_hash
            ));
        } else if strict() {
            problems.push(format!(
                "{name} {version} ({hash}) is not in the blueprint history, so projects generated from it could not be updated from it: run scripts/blueprint-history record"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn snapshots_in(text: &str) -> BTreeMap<String, String> {
    let doc: toml::Table = toml::from_str(text).unwrap();
    doc.get("snapshot")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["content_hash"].as_str().unwrap().to_string(),
                        s["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn no_recorded_snapshot_ever_disappears() {
    let root = repo_root();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let Some(commits) = git(&["log", "--format=%H", "--", "blueprints/_history/index.toml"]) else {
        assert!(
            !strict(),
            "GOGEN_REQUIRE_HISTORY=1 needs a git checkout to compare the history with"
        );
        eprintln!("!!! no git history to compare blueprints/_history/index.toml with");
        return;
    };
    let now =
        snapshots_in(&fs::read_to_string(root.join("blueprints/_history/index.toml")).unwrap());
    for commit in commits.lines() {
        let Some(text) = git(&["show", &format!("{commit}:blueprints/_history/index.toml")]) else {
            continue;
        };
        for (hash, status) in snapshots_in(&text) {
            let current = now.get(&hash);
            assert!(
                current.is_some(),
                "snapshot {hash} (recorded at {commit}) was removed"
            );
            if status == "released" {
                assert_eq!(
                    current.unwrap(),
                    "released",
                    "{hash} was released at {commit}"
                );
            }
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn the_release_script_appends_and_refuses_content_changes_without_a_bump() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(!strict(), "python3 is needed for scripts/blueprint-history");
        eprintln!("!!! SKIPPED: no python3");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    copy_tree(&repo_root().join("blueprints"), &repo.join("blueprints"));
    copy_tree(&repo_root().join("scripts"), &repo.join("scripts"));
    let gitconfig = repo.join("gitconfig");
    fs::write(
        &gitconfig,
        "[user]\n\tname = t\n\temail = t@gogen.invalid\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(args[0])
            .args(&args[1..])
            .current_dir(repo)
            .env("GIT_CONFIG_GLOBAL", &gitconfig)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    run(&["git", "init", "-q"]);
    run(&["git", "add", "-A"]);
    run(&["git", "commit", "-qm", "copy"]);
    let gogen = env!("CARGO_BIN_EXE_gogen");
    let index = || fs::read_to_string(repo.join("blueprints/_history/index.toml")).unwrap();
    let (code, out) = run(&["scripts/blueprint-history", "record", "--gogen", gogen]);
    assert_eq!(code, Some(0), "{out}");
    let recorded = snapshots_in(&index());
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        assert_eq!(
            recorded.get(&bp.content_hash()).map(String::as_str),
            Some("released"),
            "{name}: {out}"
        );
    }
    let (code, out) = run(&["scripts/blueprint-history", "record", "--gogen", gogen]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("already recorded"), "{out}");
    // A released version whose content changes is refused, and the history is unchanged.
    let before = index();
    fs::write(
        repo.join("blueprints/worker-pool/template/NOTICE"),
        "new file\n",
    )
    .unwrap();
    for args in [&["record"][..], &["record", "--dev"][..]] {
        let mut cmd = vec!["scripts/blueprint-history"];
        cmd.extend_from_slice(args);
        cmd.extend(["--gogen", gogen]);
        let (code, out) = run(&cmd);
        assert_ne!(code, Some(0), "{args:?}: {out}");
        assert!(
            out.contains("content changed without a version bump"),
            "{out}"
        );
        assert_eq!(index(), before);
    }
    let (code, out) = run(&["scripts/blueprint-history", "verify"]);
    assert_eq!(code, Some(0), "{out}");
}
