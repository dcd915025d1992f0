//! `gogen check`, `update`, `add` and `remove` on projects already generated: the decision
//! table end to end, the built-in projects the gogen of c80be40 made, the feature invariants
//! for every built-in blueprint, and what a platform engineer keeping many repos current runs
//! into (dirty trees, CRLF checkouts, binary files, renames, signals, hand-edited locks).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use gogen::generate::lockfile::LockFile;
use gogen::lifecycle::base::render_with_lock_answers;
use gogen::lifecycle::history::History;

use crate::util::*;

/// A temporary home with a git identity and a folder blueprint the test can edit in place.
struct Lab {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Lab {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        fs::write(
            root.join("gitconfig"),
            "[user]\n\tname = lab\n\temail = lab@gogen.invalid\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        Lab { _tmp: tmp, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn gogen(&self) -> assert_cmd::Command {
        let mut cmd = gogen(&self.root);
        cmd.env("GIT_CONFIG_GLOBAL", self.root.join("gitconfig"));
        cmd
    }

    /// Runs gogen and returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.gogen().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn git(&self, dir: &str, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(self.path(dir))
            .env("GIT_CONFIG_GLOBAL", self.root.join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

/// Every entry under `dir` except `.git`, for byte-for-byte tree comparisons.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    tree_state(dir)
        .into_iter()
        .filter(|(k, _)| k != ".git" && !k.starts_with(".git/"))
        .collect()
}

const SVC_MANIFEST: &str = r#"name = "svc"
version = "1.0.0"
description = "A test service."

[[feature]]
name = "docs"
help = "A docs folder"
set = { docs = true }

[[question]]
key = "module"
validate = ["go_module_path"]

[[question]]
key = "project_name"
default = "{{ module | module_base }}"
validate = ["go_package_name"]

[[question]]
key = "docs"
type = "bool"
default = false

[[files]]
path = "docs/**"
when = "docs"

[[files]]
path = "bin/*.sh"
executable = true
"#;

const CONFIG_V1: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n";

fn svc_blueprint(lab: &Lab) {
    lab.write("bp/blueprint.toml", SVC_MANIFEST);
    lab.write(
        "bp/template/README.md.jinja",
        "# {{ project_name }}\n\nintro\n\nusage\n\nend\n",
    );
    lab.write(
        "bp/template/cmd/{{ project_name }}/main.go.jinja",
        "package main\n\n// {{ project_name }} says hello.\nfunc main() {}\n",
    );
    lab.write("bp/template/config.txt", CONFIG_V1);
    lab.write("bp/template/old.txt", "dropped later\n");
    lab.write("bp/template/edited-old.txt", "dropped later, edited\n");
    lab.write("bp/template/gone-by-you.txt", "the user deletes this\n");
    lab.write("bp/template/docs/guide.md", "# Guide\n");
    lab.write("bp/template/bin/run.sh", "#!/bin/sh\necho run\n");
    fs::write(lab.path("bp/template/logo.bin"), b"\x89PNG\0\x01\x02v1").unwrap();
}

fn new_svc(lab: &Lab, dir: &str, extra: &[&str]) {
    let mut args = vec![
        "new",
        "./bp",
        dir,
        "--no-input",
        "--set",
        "module=example.com/acme/svc",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = lab.run(&args);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_folder_blueprint_edited_in_place_updates_with_merges_and_conflicts() {
    let lab = Lab::new();
    svc_blueprint(&lab);
    new_svc(&lab, "p", &[]);
    assert!(
        lab.path("p/.git").is_dir(),
        "gogen's git-init made the pristine commit"
    );
    // The user edits two files and deletes one, and commits.
    lab.write(
        "p/config.txt",
        &CONFIG_V1
            .replace("two", "two (mine)")
            .replace("seven", "seven (mine)"),
    );
    lab.write("p/README.md", "# svc\n\nintro\n\nusage, my way\n\nend\n");
    lab.write("p/edited-old.txt", "dropped later, edited by me\n");
    fs::remove_file(lab.path("p/gone-by-you.txt")).unwrap();
    lab.git("p", &["add", "-A"]);
    lab.git("p", &["commit", "-qm", "my edits"]);
    // The blueprint is edited in place: a change near the user's (merges), a change on the
    // same line (conflicts), a new file, two dropped files, a binary change.
    lab.write(
        "bp/template/config.txt",
        &CONFIG_V1
            .replace("five", "five (new)")
            .replace("seven", "seven (new)"),
    );
    lab.write(
        "bp/template/README.md.jinja",
        "# {{ project_name }}\n\nintro, improved\n\nusage\n\nend\n",
    );
    lab.write("bp/template/added.txt", "new in 1.1\n");
    fs::remove_file(lab.path("bp/template/old.txt")).unwrap();
    fs::remove_file(lab.path("bp/template/edited-old.txt")).unwrap();
    lab.write("bp/template/gone-by-you.txt", "changed upstream\n");
    lab.write(
        "bp/blueprint.toml",
        &SVC_MANIFEST.replace("version = \"1.0.0\"", "version = \"1.1.0\""),
    );

    let (code, out, err) = lab.run(&["check", "p"]);
    assert_eq!(code, 4, "update available\n{out}{err}");
    assert!(
        out.contains("svc 1.0.0") && out.contains("svc 1.1.0"),
        "{out}"
    );
    assert!(
        out.contains("reproducible for 8 of 8 tracked files (the project's git history)"),
        "{out}"
    );
    assert!(
        out.contains("modified  config.txt") && out.contains("deleted   gone-by-you.txt"),
        "{out}"
    );

    // --dry-run: the plan, the exit code of the real run, and nothing written anywhere.
    let before = tree_state(&lab.path("p"));
    let (code, out, _) = lab.run(&["update", "p", "--dry-run"]);
    assert_eq!(code, 5, "{out}");
    assert_eq!(
        tree_state(&lab.path("p")),
        before,
        "--dry-run wrote something"
    );
    for (verb, path) in [
        ("conflict", "config.txt"),
        ("merge", "README.md"),
        ("add", "added.txt"),
        ("delete", "old.txt"),
        ("keep-untracked", "edited-old.txt"),
        ("deleted-but-changed", "gone-by-you.txt"),
    ] {
        let want = format!("  {verb:<19} {path}");
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }

    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 5, "{out}{err}");
    assert_eq!(
        lab.read("p/README.md"),
        "# svc\n\nintro, improved\n\nusage, my way\n\nend\n",
        "both edits merged"
    );
    assert_eq!(
        lab.read("p/config.txt"),
        "one\ntwo (mine)\nthree\nfour\nfive (new)\nsix\n<<<<<<< yours\nseven (mine)\n||||||| as generated (svc 1.0.0)\nseven\n=======\nseven (new)\n>>>>>>> new version (svc 1.1.0)\neight\n"
    );
    assert_eq!(lab.read("p/added.txt"), "new in 1.1\n");
    assert!(
        !lab.path("p/old.txt").exists(),
        "an untouched dropped file is deleted"
    );
    assert_eq!(
        lab.read("p/edited-old.txt"),
        "dropped later, edited by me\n"
    );
    assert!(
        !lab.path("p/gone-by-you.txt").exists(),
        "a file you deleted stays deleted"
    );
    let lock = LockFile::parse(&lab.read("p/.gogen.toml")).unwrap();
    assert_eq!(lock.blueprint.version, "1.1.0");
    assert_eq!(lock.pending_conflicts, vec!["config.txt".to_string()]);
    assert_eq!(lock.deleted_by_user, vec!["gone-by-you.txt".to_string()]);
    assert!(
        !lock.files.contains_key("edited-old.txt"),
        "no longer tracked"
    );
    // The lock holds the pristine new version, never the merge result.
    assert_eq!(
        lock.files["README.md"].sha256,
        format!(
            "sha256:{}",
            gogen::blueprint::sha256_hex(b"# svc\n\nintro, improved\n\nusage\n\nend\n")
        )
    );
    // git sees the conflict: three distinct stages, so merge tools and `git commit` notice.
    let status = lab.git("p", &["status", "--porcelain"]);
    assert!(status.contains("UU config.txt"), "{status}");
    let stages = lab.git("p", &["ls-files", "-u", "config.txt"]);
    let oids: std::collections::BTreeSet<&str> = stages
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(stages.lines().count(), 3, "{stages}");
    assert_eq!(oids.len(), 3, "three different versions: {stages}");

    // Conflicts then check: 5 until resolved and committed; update refuses meanwhile.
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("config.txt: conflict markers left"), "{out}");
    let (code, _, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not resolved"), "{err}");
    lab.write(
        "p/config.txt",
        &CONFIG_V1
            .replace("two", "two (mine)")
            .replace("five", "five (new)")
            .replace("seven", "seven (both)"),
    );
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 5, "markers gone, still unmerged for git\n{out}");
    assert!(
        out.contains("config.txt: unmerged in the git index"),
        "{out}"
    );
    lab.git("p", &["add", "-A"]);
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 5, "resolved but not committed\n{out}");
    assert!(out.contains("config.txt: resolved, not committed"), "{out}");
    lab.git("p", &["commit", "-qm", "update to svc 1.1.0"]);
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to do"), "{out}");
}

/// Rebuilds a project the c80be40 gogen generated from its recorded lock and file list:
/// the embedded history renders it, and every path, mode and hash must match the record.
fn c80be40_project(blueprint: &str, case: &str, dest: &Path) -> Vec<String> {
    let data = repo_root()
        .join("tests/data/c80be40")
        .join(blueprint)
        .join(case);
    let lock_text = fs::read_to_string(data.join("gogen.toml")).unwrap();
    let lock = LockFile::parse(&lock_text).unwrap();
    assert_eq!(lock.schema, 1);
    let history = History::embedded().unwrap();
    let snapshot = history
        .find(&lock.blueprint.content_hash)
        .unwrap_or_else(|| {
            panic!(
                "{blueprint} {} is not in the embedded history",
                lock.blueprint.version
            )
        });
    let loaded = history.load(snapshot).unwrap();
    let files = render_with_lock_answers(&loaded.blueprint, &lock).unwrap();
    let want = fs::read_to_string(data.join("files.txt")).unwrap();
    let mut got: Vec<String> = files
        .iter()
        .map(|f| format!("{:04o} {} {}\n", f.mode, f.sha256, f.path))
        .collect();
    got.sort();
    assert_eq!(
        got.concat(),
        want,
        "{blueprint}/{case}: the history does not reproduce c80be40's tree"
    );
    for f in &files {
        let p = dest.join(&f.path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, &f.bytes).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(f.mode)).unwrap();
    }
    fs::write(dest.join(".gogen.toml"), lock_text).unwrap();
    // The flags `new` needs for the same answers: those the lock says came from --set.
    let mut flags = vec!["--no-input".to_string(), "--no-git".to_string()];
    for (key, value) in &lock.answers {
        if lock.answer_sources.get(key).map(String::as_str) == Some("flag") {
            flags.push("--set".into());
            flags.push(format!(
                "{key}={}",
                gogen::blueprint::manifest::flag_text(value)
            ));
        }
    }
    flags
}

fn c80be40_cases() -> Vec<(String, String)> {
    let root = repo_root().join("tests/data/c80be40");
    let mut out = Vec::new();
    for bp in fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
    {
        for case in fs::read_dir(bp.path()).unwrap().filter_map(|e| e.ok()) {
            out.push((
                bp.file_name().to_string_lossy().into_owned(),
                case.file_name().to_string_lossy().into_owned(),
            ));
        }
    }
    out.sort();
    assert!(out.len() >= 18, "{out:?}");
    out
}

#[test]
fn projects_generated_at_c80be40_update_to_exactly_what_new_gives_today() {
    let lab = Lab::new();
    for (bp, case) in c80be40_cases() {
        let old = lab.path(&format!("{bp}-{case}/old"));
        let flags = c80be40_project(&bp, &case, &old);
        let (code, out, err) = lab.run(&["update", old.to_str().unwrap(), "--no-input"]);
        assert_eq!(code, 0, "{bp}/{case}\n{out}{err}");
        let fresh = lab.path(&format!("{bp}-{case}/new"));
        let mut args: Vec<&str> = vec!["new", &bp, fresh.to_str().unwrap()];
        args.extend(flags.iter().map(String::as_str));
        let (code, out, err) = lab.run(&args);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(
            tree(&old),
            tree(&fresh),
            "{bp}/{case}: update differs from new"
        );
    }
}

#[test]
fn a_c80be40_project_in_git_keeps_user_edits_across_the_update() {
    let lab = Lab::new();
    let dir = lab.path("users");
    let flags = c80be40_project("rest-api", "defaults", &dir);
    lab.git("users", &["init", "-q"]);
    lab.git("users", &["add", "-A"]);
    lab.git("users", &["commit", "-qm", "Initial commit from gogen"]);
    let mut args: Vec<&str> = vec!["new", "rest-api", "fresh"];
    args.extend(flags.iter().map(String::as_str));
    assert_eq!(lab.run(&args).0, 0);
    // Every file whose output did not change, edited by the user, must come through untouched.
    let lock = LockFile::parse(&lab.read("users/.gogen.toml")).unwrap();
    let fresh = LockFile::parse(&lab.read("fresh/.gogen.toml")).unwrap();
    let unchanged: Vec<&String> = lock
        .files
        .iter()
        .filter(|(p, f)| fresh.files.get(*p).is_some_and(|n| n.sha256 == f.sha256))
        .map(|(p, _)| p)
        .filter(|p| !gogen::lifecycle::merge::is_binary(&fs::read(dir.join(p)).unwrap()))
        .collect();
    assert!(!unchanged.is_empty());
    for p in &unchanged {
        let text = lab.read(&format!("users/{p}"));
        lab.write(&format!("users/{p}"), &format!("{text}\n# edited by me\n"));
    }
    lab.git("users", &["commit", "-qam", "my edits"]);
    let edited = tree(&dir);
    let (code, out, err) = lab.run(&["update", "users", "--no-input"]);
    assert_eq!(code, 0, "{out}{err}");
    let after = tree(&dir);
    for p in &unchanged {
        assert_eq!(after.get(*p), edited.get(*p), "{p} changed");
    }
    // Files the user did not touch are exactly as `new` writes them today.
    let fresh_tree = tree(&lab.path("fresh"));
    for (p, f) in &fresh.files {
        if !unchanged.contains(&p) {
            assert_eq!(after.get(p), fresh_tree.get(p), "{p}: {f:?}");
        }
    }
}

/// The answers of a test case as `--set` flags, with `overrides` on top.
fn case_flags(case: &gogen::blueprint::manifest::TestCase, overrides: &toml::Table) -> Vec<String> {
    let mut answers = case.answers.clone();
    answers.extend(overrides.clone());
    answers
        .iter()
        .flat_map(|(k, v)| {
            [
                "--set".to_string(),
                format!("{k}={}", gogen::blueprint::manifest::flag_text(v)),
            ]
        })
        .collect()
}

#[test]
fn features_round_trip_to_exactly_what_new_gives_for_every_builtin_blueprint() {
    let lab = Lab::new();
    let mut checked = 0;
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        assert!(
            !bp.manifest.features.is_empty(),
            "{name} declares no features"
        );
        for feature in &bp.manifest.features {
            let off = feature.off_answers(&bp.manifest).unwrap();
            for case in &bp.manifest.tests {
                let dir =
                    |side: &str| lab.path(&format!("{name}/{}/{}/{side}", feature.name, case.name));
                let new = |side: &str, answers: &toml::Table| {
                    let target = dir(side);
                    let mut args = vec![
                        "new".to_string(),
                        name.clone(),
                        target.display().to_string(),
                    ];
                    args.extend(["--no-input".into(), "--no-git".into()]);
                    args.extend(case_flags(case, answers));
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let (code, out, err) = lab.run(&args);
                    assert_eq!(code, 0, "{name}/{}: {out}{err}", case.name);
                    target
                };
                let with = new("with", &feature.set);
                let without = new("without", &off);
                let project = new("project", &off);
                let project_arg = project.display().to_string();
                let (code, out, err) = lab.run(&["add", &feature.name, &project_arg, "--no-input"]);
                assert_eq!(code, 0, "{out}{err}");
                assert_eq!(
                    tree(&project),
                    tree(&with),
                    "{name}: add({}) on {} differs from new",
                    feature.name,
                    case.name
                );
                let (code, out, err) =
                    lab.run(&["remove", &feature.name, &project_arg, "--no-input"]);
                assert_eq!(code, 0, "{out}{err}");
                assert_eq!(
                    tree(&project),
                    tree(&without),
                    "{name}: remove(add({})) on {} differs from new",
                    feature.name,
                    case.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} feature × case pairs");
}

#[test]
fn add_merges_your_edits_in_files_the_feature_changes_and_remove_prunes_folders() {
    let lab = Lab::new();
    let (code, out, err) = lab.run(&[
        "new",
        "rest-api",
        "users",
        "--no-input",
        "--no-git",
        "--set",
        "module=example.com/acme/users",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let readme = lab.read("users/README.md");
    let edited = readme.replacen(
        '\n',
        "\n\nOur team owns this service; page #users-oncall.\n",
        1,
    );
    lab.write("users/README.md", &edited);
    let (code, out, err) = lab.run(&["add", "kubernetes", "users", "--no-input"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("merge") && out.contains("README.md"), "{out}");
    let merged = lab.read("users/README.md");
    assert!(merged.contains("page #users-oncall"), "your edit is kept");
    assert!(
        merged.contains("deploy/k8s"),
        "the feature's README text is added:\n{merged}"
    );
    assert!(lab.path("users/deploy/k8s").is_dir());
    let (code, out, err) = lab.run(&["remove", "kubernetes", "users", "--no-input"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !lab.path("users/deploy").exists(),
        "remove leaves no empty folders"
    );
    assert_eq!(lab.read("users/README.md"), edited, "back to your README");
    // A feature already there, or not there, is nothing to do.
    let (code, out, _) = lab.run(&["remove", "kubernetes", "users"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Nothing to do: the project does not have kubernetes"),
        "{out}"
    );
    // An unknown feature is a usage error and writes nothing.
    let before = tree_state(&lab.path("users"));
    let (code, _, err) = lab.run(&["add", "kubernets", "users"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("unknown feature `kubernets`") && err.contains("did you mean `kubernetes`"),
        "{err}"
    );
    assert!(err.contains("kubernetes, postgres"), "{err}");
    assert_eq!(tree_state(&lab.path("users")), before);
}

#[test]
fn info_lists_features() {
    let lab = Lab::new();
    let (code, out, _) = lab.run(&["info", "payments"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Features (gogen add / gogen remove):"),
        "{out}"
    );
    assert!(out.contains("  tracing: OpenTelemetry tracing"), "{out}");
    let (_, out, _) = lab.run(&["info", "rest-api", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["kubernetes", "postgres"]);
    assert_eq!(doc["features"][1]["set"]["database"], "postgres");
    assert_eq!(doc["features"][1]["unset"]["database"], "sqlite");
}

/// A project from the svc blueprint, committed, with `docs` as given.
fn svc_project(lab: &Lab, git: bool) {
    svc_blueprint(lab);
    let mut extra = vec!["--set", "docs=true"];
    if !git {
        extra.push("--no-git");
    }
    new_svc(lab, "p", &extra);
}

fn bump_svc(lab: &Lab, manifest: &str) {
    lab.write(
        "bp/blueprint.toml",
        &manifest.replace("version = \"1.0.0\"", "version = \"1.1.0\""),
    );
}

#[test]
fn dry_run_never_touches_the_git_index_even_when_git_would_refresh_it() {
    let lab = Lab::new();
    svc_project(&lab, true);
    lab.write("bp/template/config.txt", "changed\n");
    bump_svc(&lab, SVC_MANIFEST);
    // Newer mtimes make a plain `git status` rewrite the index to refresh its stat cache.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    for entry in walkdir::WalkDir::new(lab.path("p"))
        .into_iter()
        .filter_map(|e| e.ok())
    {
        if entry.file_type().is_file() && !entry.path().starts_with(lab.path("p/.git")) {
            fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap()
                .set_modified(later)
                .unwrap();
        }
    }
    let index = || fs::read(lab.path("p/.git/index")).unwrap();
    let before_index = index();
    let before = tree_state(&lab.path("p"));
    let (code, out, _) = lab.run(&["update", "p", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 4);
    assert_eq!(index(), before_index, "the index changed");
    assert_eq!(tree_state(&lab.path("p")), before);
    // The test can fail: git itself would have rewritten the index.
    lab.git("p", &["status", "--porcelain"]);
    assert_ne!(
        index(),
        before_index,
        "git status did not refresh the index, so this test proves nothing"
    );
}

#[test]
fn uncommitted_changes_block_only_the_paths_the_update_touches() {
    let lab = Lab::new();
    svc_project(&lab, true);
    lab.write("bp/template/config.txt", "changed upstream\n");
    bump_svc(&lab, SVC_MANIFEST);
    lab.write("p/config.txt", "an uncommitted edit\n");
    lab.write("p/notes.txt", "untracked, not touched by the update\n");
    let before = tree_state(&lab.path("p"));
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("uncommitted changes") && err.contains("config.txt"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"), "{err}");
    assert_eq!(
        tree_state(&lab.path("p")),
        before,
        "a refused update wrote something"
    );
    let (code, _, _) = lab.run(&["update", "p", "--dry-run"]);
    assert_eq!(code, 1, "--dry-run exits as the real run would");
    // An untracked file elsewhere never blocks.
    lab.git("p", &["checkout", "--", "config.txt"]);
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(lab.read("p/config.txt"), "changed upstream\n");
    assert!(lab.path("p/notes.txt").exists());
    lab.git("p", &["commit", "-qam", "update"]);
    // --allow-dirty lets a dirty path through, and merges it like any edit.
    lab.write("bp/template/config.txt", "changed upstream\nagain\n");
    lab.write("bp/blueprint.toml", &SVC_MANIFEST.replace("1.0.0", "1.2.0"));
    lab.write("p/config.txt", "mine\nchanged upstream\n");
    let (code, out, err) = lab.run(&["update", "p", "--allow-dirty"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(lab.read("p/config.txt"), "mine\nchanged upstream\nagain\n");
}

#[test]
fn a_crlf_checkout_counts_as_unmodified_and_stays_crlf() {
    let lab = Lab::new();
    svc_project(&lab, true);
    // A core.autocrlf checkout: CRLF in the work tree, LF in the repository, git status clean.
    lab.git("p", &["config", "core.autocrlf", "true"]);
    lab.git("p", &["rm", "-rq", "--cached", "."]);
    for entry in fs::read_dir(lab.path("p")).unwrap().filter_map(|e| e.ok()) {
        if entry.file_name() != ".git" {
            let p = entry.path();
            if p.is_dir() {
                fs::remove_dir_all(p).unwrap()
            } else {
                fs::remove_file(p).unwrap()
            }
        }
    }
    lab.git("p", &["reset", "-q", "--hard"]);
    assert!(
        lab.read("p/config.txt").contains("\r\n"),
        "git checked out CRLF"
    );
    assert_eq!(lab.git("p", &["status", "--porcelain"]), "");
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 modified by you"), "{out}");
    lab.write(
        "p/README.md",
        &lab.read("p/README.md").replace("usage", "usage, mine"),
    );
    lab.git("p", &["commit", "-qam", "my readme"]);
    lab.write("bp/template/config.txt", &CONFIG_V1.replace("two", "TWO"));
    lab.write(
        "bp/template/README.md.jinja",
        "# {{ project_name }}\n\nintro, new\n\nusage\n\nend\n",
    );
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        lab.read("p/config.txt"),
        CONFIG_V1.replace("two", "TWO").replace('\n', "\r\n")
    );
    assert_eq!(
        lab.read("p/README.md"),
        "# svc\r\n\r\nintro, new\r\n\r\nusage, mine\r\n\r\nend\r\n"
    );
}

#[test]
fn binary_files_are_never_text_merged() {
    let lab = Lab::new();
    svc_project(&lab, true);
    fs::write(lab.path("p/logo.bin"), b"\x89PNG\0mine").unwrap();
    lab.git("p", &["commit", "-qam", "my logo"]);
    fs::write(lab.path("bp/template/logo.bin"), b"\x89PNG\0v2").unwrap();
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(out.contains("binary-conflict"), "{out}");
    assert_eq!(fs::read(lab.path("p/logo.bin")).unwrap(), b"\x89PNG\0mine");
    assert_eq!(
        fs::read(lab.path("p/logo.bin.gogen-theirs")).unwrap(),
        b"\x89PNG\0v2"
    );
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 5, "{out}");
    assert!(
        out.contains("logo.bin: conflict markers left")
            || out.contains("logo.bin: the .gogen-theirs file"),
        "{out}"
    );
    fs::rename(lab.path("p/logo.bin.gogen-theirs"), lab.path("p/logo.bin")).unwrap();
    lab.git("p", &["add", "-A"]);
    lab.git("p", &["commit", "-qm", "take the new logo"]);
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_project_name_change_moves_files_and_keeps_your_edits() {
    let lab = Lab::new();
    svc_project(&lab, false);
    let main = lab.read("p/cmd/svc/main.go");
    lab.write(
        "p/cmd/svc/main.go",
        &format!("{main}\n// my helper\nfunc helper() {{}}\n"),
    );
    let (code, out, err) = lab.run(&["update", "p", "--set", "project_name=billing"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("cmd/svc/main.go -> cmd/billing/main.go"),
        "{out}"
    );
    assert!(!lab.path("p/cmd/svc").exists(), "the old folder is pruned");
    let moved = lab.read("p/cmd/billing/main.go");
    assert!(moved.contains("// billing says hello."), "{moved}");
    assert!(moved.contains("// my helper"), "{moved}");
    let lock = LockFile::parse(&lab.read("p/.gogen.toml")).unwrap();
    assert_eq!(lock.answer_sources["project_name"], "flag");
    assert!(lock.files.contains_key("cmd/billing/main.go"));
}

#[test]
fn declared_moves_carry_your_edits_to_the_new_path() {
    let lab = Lab::new();
    svc_project(&lab, true);
    lab.write("p/config.txt", &CONFIG_V1.replace("eight", "eight (mine)"));
    lab.git("p", &["commit", "-qam", "mine"]);
    fs::remove_file(lab.path("bp/template/config.txt")).unwrap();
    lab.write(
        "bp/template/conf/app.txt",
        &CONFIG_V1.replace("one", "one (new)"),
    );
    bump_svc(
        &lab,
        &format!("{SVC_MANIFEST}\n[[moved]]\nfrom = \"config.txt\"\nto = \"conf/app.txt\"\n"),
    );
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("config.txt -> conf/app.txt"), "{out}");
    assert!(!lab.path("p/config.txt").exists());
    assert_eq!(
        lab.read("p/conf/app.txt"),
        CONFIG_V1
            .replace("one", "one (new)")
            .replace("eight", "eight (mine)")
    );
}

#[test]
fn a_signal_during_an_update_leaves_the_project_as_it_was() {
    let lab = Lab::new();
    svc_project(&lab, true);
    lab.write("bp/template/config.txt", "changed\n");
    lab.write("bp/template/added.txt", "added\n");
    bump_svc(&lab, SVC_MANIFEST);
    let before = tree_state(&lab.path("p"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(["update", "p"])
        .env("GOGEN_TEST_PAUSE", "staging:20000")
        .env("GIT_CONFIG_GLOBAL", lab.path("gitconfig"))
        .current_dir(&lab.root)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while staging_leftovers(&lab.path("p")).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "staging never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(
        tree_state(&lab.path("p")),
        before,
        "an interrupted update changed the project"
    );
}

#[test]
fn a_hand_edited_lock_is_refused_before_anything_is_read_or_written() {
    let lab = Lab::new();
    svc_project(&lab, false);
    lab.write("outside.txt", "do not touch\n");
    let lock = lab.read("p/.gogen.toml");
    let hash = lock
        .lines()
        .find(|l| l.starts_with("\"config.txt\" = \"sha256:"))
        .unwrap()
        .to_string();
    let cases = [
        (
            lock.replace(&hash, &hash.replace("\"config.txt\"", "\"../outside.txt\"")),
            "`.` and `..`",
        ),
        (lock.replace("schema = 2", "schema = 7"), "upgrade gogen"),
        (
            lock.replace(&hash, "\"config.txt\" = \"sha256:nothex\""),
            "sha256:<64 hex digits>",
        ),
        ("not toml [".to_string(), "cannot be read"),
        (
            lock.replace(
                "source = \"./bp\"",
                "source = \"./bp\\u001b]52;c;aGk=\\u0007\"",
            ),
            "control character",
        ),
    ];
    for (text, want) in cases {
        lab.write("p/.gogen.toml", &text);
        let before = tree_state(&lab.root);
        for cmd in ["check", "update"] {
            let (code, out, err) = lab.run(&[cmd, "p"]);
            assert_eq!(code, 1, "{cmd}: {out}{err}");
            assert!(
                err.contains("is not a gogen project") && err.contains(want),
                "{cmd}: {err}"
            );
            assert_eq!(tree_state(&lab.root), before);
        }
    }
    let (code, out, _) = lab.run(&["check", "bp", "--json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["error"]["exit_code"], 1);
}

#[test]
fn a_base_that_does_not_hash_to_the_lock_is_no_base() {
    let lab = Lab::new();
    // No git and a folder blueprint edited in place: nothing can reproduce the old version.
    svc_project(&lab, false);
    lab.write("p/config.txt", &CONFIG_V1.replace("two", "two (mine)"));
    lab.write(
        "bp/template/config.txt",
        &CONFIG_V1.replace("seven", "seven (new)"),
    );
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, _) = lab.run(&["check", "p", "--json"]);
    assert_eq!(code, 4);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["base"]["reproducible"], 0, "{doc:#}");
    assert!(
        doc["base"]["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "config.txt")
    );
    let (code, out, _) = lab.run(&["check", "p"]);
    assert!(out.contains("no base for 9 file(s)"), "{code} {out}");
    // --base-blueprint with the old version supplies it, verified file by file: a copy
    // whose config.txt differs from what the lock recorded is refused for that file only.
    let (code, out, err) = lab.run(&["update", "p", "--dry-run", "--json"]);
    assert_eq!(code, 5, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let config = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "config.txt")
        .unwrap()
        .clone();
    assert_eq!(config["action"], "conflict-no-base", "{config:#}");
    svc_blueprint_at(&lab, "old-bp");
    lab.write("old-bp/template/config.txt", "not what the lock recorded\n");
    let (code, out, err) = lab.run(&["check", "p", "--base-blueprint", "old-bp"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        out.contains("reproducible for 8 of 9 tracked files (--base-blueprint)"),
        "{out}"
    );
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 5, "{out}{err}");
    let text = lab.read("p/config.txt");
    assert!(
        text.contains("<<<<<<< yours") && !text.contains("|||||||"),
        "two-sided: {text}"
    );
    assert!(
        text.starts_with("one\n<<<<<<< yours\ntwo (mine)\n=======\ntwo\n>>>>>>>"),
        "{text}"
    );
}

/// The svc blueprint as first written, in another folder (an old copy).
fn svc_blueprint_at(lab: &Lab, dir: &str) {
    let tmp = Lab::new();
    svc_blueprint(&tmp);
    for entry in walkdir::WalkDir::new(tmp.path("bp"))
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let rel = entry.path().strip_prefix(tmp.path("bp")).unwrap();
        let dest = lab.path(dir).join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn modes_follow_the_blueprint_unless_you_changed_them() {
    let lab = Lab::new();
    svc_project(&lab, false);
    fs::set_permissions(lab.path("p/bin/run.sh"), fs::Permissions::from_mode(0o700)).unwrap();
    bump_svc(
        &lab,
        &format!(
            "{SVC_MANIFEST}\n[[files]]\npath = \"config.txt\"\nexecutable = true\n\n[[files]]\npath = \"bin/*.sh\"\nexecutable = false\n"
        ),
    );
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}{err}");
    let mode = |p: &str| fs::metadata(lab.path(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("p/config.txt"), 0o755, "{out}");
    assert_eq!(mode("p/bin/run.sh"), 0o700, "your mode stays");
    let lock = LockFile::parse(&lab.read("p/.gogen.toml")).unwrap();
    assert_eq!(lock.files["config.txt"].mode, Some(0o755));
}

#[test]
fn files_you_deleted_stay_deleted_until_restored() {
    let lab = Lab::new();
    svc_project(&lab, false);
    fs::remove_file(lab.path("p/docs/guide.md")).unwrap();
    lab.write("bp/template/docs/guide.md", "# Guide, v2\n");
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, _) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("deleted-but-changed docs/guide.md"), "{out}");
    assert!(!lab.path("p/docs/guide.md").exists());
    let lock = LockFile::parse(&lab.read("p/.gogen.toml")).unwrap();
    assert_eq!(lock.deleted_by_user, vec!["docs/guide.md".to_string()]);
    let (code, _, err) = lab.run(&["update", "p", "--restore", "nope.txt"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = lab.run(&["update", "p", "--restore", "docs/guide.md"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(lab.read("p/docs/guide.md"), "# Guide, v2\n");
}

#[test]
fn a_new_default_that_would_drop_your_files_is_asked_not_applied() {
    let lab = Lab::new();
    svc_project(&lab, false);
    // 1.1 renames `docs` to `with_docs` (default false) and forgets to say so.
    let renamed = SVC_MANIFEST
        .replace("key = \"docs\"", "key = \"with_docs\"")
        .replace("when = \"docs\"", "when = \"with_docs\"")
        .replace("set = { docs = true }", "set = { with_docs = true }");
    bump_svc(&lab, &renamed);
    let before = tree_state(&lab.path("p"));
    let (code, out, err) = lab.run(&["update", "p", "--no-input"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("`with_docs`") && err.contains("--set with_docs=true keeps them"),
        "{err}"
    );
    assert_eq!(tree_state(&lab.path("p")), before);
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 4, "answers need input: an update is available\n{out}");
    assert!(out.contains("need input"), "{out}");
    // Declared as a rename, the answer carries over and nothing is asked.
    bump_svc(
        &lab,
        &format!("{renamed}\n[[renamed_answer]]\nfrom = \"docs\"\nto = \"with_docs\"\n"),
    );
    let (code, out, err) = lab.run(&["update", "p", "--no-input"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(lab.path("p/docs/guide.md").exists());
    let lock = LockFile::parse(&lab.read("p/.gogen.toml")).unwrap();
    assert_eq!(lock.answers["with_docs"], toml::Value::Boolean(true));
    assert_eq!(lock.answer_sources["with_docs"], "flag");
    assert!(!lock.answers.contains_key("docs"));
}

#[test]
fn the_update_never_writes_through_a_link() {
    let lab = Lab::new();
    svc_project(&lab, false);
    fs::create_dir_all(lab.path("elsewhere")).unwrap();
    fs::remove_file(lab.path("p/config.txt")).unwrap();
    std::os::unix::fs::symlink(lab.path("elsewhere/target.txt"), lab.path("p/config.txt")).unwrap();
    lab.write("bp/template/config.txt", "changed\n");
    bump_svc(&lab, SVC_MANIFEST);
    let before = tree_state(&lab.root);
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("config.txt is a symbolic link"), "{err}");
    assert_eq!(tree_state(&lab.root), before);
}

#[test]
fn check_and_update_json() {
    let lab = Lab::new();
    svc_project(&lab, false);
    let (code, out, _) = lab.run(&["check", "p", "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["update_available"], false);
    assert_eq!(doc["locked"]["version"], "1.0.0");
    assert_eq!(doc["exit_code"], 0);
    lab.write("bp/template/config.txt", "changed\n");
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, _) = lab.run(&["update", "p", "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["command"], "update");
    assert_eq!(doc["blueprint"]["from"]["version"], "1.0.0");
    assert_eq!(doc["blueprint"]["to"]["version"], "1.1.0");
    let config = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "config.txt")
        .unwrap();
    assert_eq!(config["action"], "update");
    assert_eq!(config["result"], "clean");
    assert_eq!(doc["exit_code"], 0);
    let (code, out, _) = lab.run(&["check", ".", "--json"]);
    assert_eq!(code, 1, "the lab folder is no project");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a gogen project")
    );
}

/// A small deterministic generator, so the differential test is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(lines: &[String], rng: &mut Rng, tag: &str) -> Vec<String> {
    let mut out = lines.to_vec();
    for i in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(3) {
            0 => out.insert(at, format!("{tag} inserted {i}\n")),
            1 if at < out.len() => {
                out.remove(at);
            }
            _ if at < out.len() => out[at] = format!("{tag} edited {i}\n"),
            _ => out.push(format!("{tag} appended {i}\n")),
        }
    }
    out
}

#[test]
fn the_merge_engine_agrees_with_git_merge_file() {
    let labels = gogen::lifecycle::merge::Labels {
        ours: "yours".into(),
        base: "as generated".into(),
        theirs: "new version".into(),
    };
    let mut corpus: Vec<Vec<String>> = Vec::new();
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        for (_, bytes) in bp.files.under("template") {
            let Ok(text) = std::str::from_utf8(bytes) else {
                continue;
            };
            let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
            if lines.len() >= 8 {
                corpus.push(lines);
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (runs, mut same, mut same_verdict) = (400, 0, 0);
    for _ in 0..runs {
        let file = &corpus[rng.below(corpus.len())];
        let start = rng.below(file.len().saturating_sub(40));
        let base: Vec<String> = file[start..(start + 40).min(file.len())].to_vec();
        let ours = mutate(&base, &mut rng, "ours");
        let theirs = mutate(&base, &mut rng, "theirs");
        let (b, o, t) = (base.concat(), ours.concat(), theirs.concat());
        let merged = gogen::lifecycle::merge::merge3(&b, &o, &t, &labels);
        for (name, text) in [("o", &o), ("b", &b), ("t", &t)] {
            fs::write(tmp.path().join(name), text).unwrap();
        }
        let out = std::process::Command::new("git")
            .args([
                "merge-file",
                "-p",
                "--diff3",
                "-L",
                "yours",
                "-L",
                "as generated",
                "-L",
                "new version",
                "o",
                "b",
                "t",
            ])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let git_conflicts = out.status.code().unwrap();
        assert!((0..127).contains(&git_conflicts), "git merge-file failed");
        if out.stdout == merged.bytes {
            same += 1;
        }
        if (git_conflicts > 0) == (merged.conflicts > 0) {
            same_verdict += 1;
        }
    }
    eprintln!(
        "merge engine vs git merge-file: {same}/{runs} identical, {same_verdict}/{runs} same verdict"
    );
    assert!(
        same * 100 >= runs * 97,
        "only {same}/{runs} merges identical to git merge-file"
    );
    assert!(
        same_verdict * 100 >= runs * 98,
        "only {same_verdict}/{runs} agree on conflicts"
    );
}

#[test]
fn a_resolved_markdown_heading_underline_is_not_a_conflict_marker() {
    let lab = Lab::new();
    svc_project(&lab, false);
    lab.write("p/config.txt", &CONFIG_V1.replace("seven", "seven (mine)"));
    lab.write(
        "bp/template/config.txt",
        &CONFIG_V1.replace("seven", "seven (new)"),
    );
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, err) = lab.run(&["update", "p", "--base-blueprint", &svc_original(&lab)]);
    assert_eq!(code, 5, "{out}{err}");
    // Resolved into text that has a setext heading: seven `=` on a line of their own.
    lab.write("p/config.txt", "Settings\n=======\n\none\nseven (both)\n");
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 0, "{out}");
}

/// A copy of the svc blueprint as first written, for `--base-blueprint`.
fn svc_original(lab: &Lab) -> String {
    svc_blueprint_at(lab, "svc-1.0.0");
    lab.path("svc-1.0.0").display().to_string()
}

#[test]
fn a_blueprint_folder_kept_in_git_supplies_the_base_for_every_later_update() {
    let lab = Lab::new();
    // The platform team keeps its blueprints in a repository: platform/bp.
    svc_blueprint(&lab);
    fs::create_dir_all(lab.path("platform")).unwrap();
    fs::rename(lab.path("bp"), lab.path("platform/bp")).unwrap();
    lab.git("platform", &["init", "-q"]);
    lab.git("platform", &["add", "-A"]);
    lab.git("platform", &["commit", "-qm", "svc 1.0.0"]);
    std::os::unix::fs::symlink(lab.path("platform/bp"), lab.path("bp")).unwrap();
    // No git in the project: the blueprint's own history is the only base.
    let (code, out, err) = lab.run(&[
        "new",
        "./platform/bp",
        "p",
        "--no-input",
        "--no-git",
        "--set",
        "module=example.com/acme/svc",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    lab.write("p/config.txt", &CONFIG_V1.replace("two", "two (mine)"));
    lab.write(
        "bp/template/config.txt",
        &CONFIG_V1.replace("five", "five (1.1)"),
    );
    bump_svc(&lab, SVC_MANIFEST);
    lab.git("platform", &["commit", "-qam", "svc 1.1.0"]);
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("the blueprint's git history"), "{out}");
    // The second update needs the 1.1.0 output of a file that was merged: only the
    // blueprint's history still has it.
    lab.write(
        "bp/template/config.txt",
        &CONFIG_V1
            .replace("five", "five (1.1)")
            .replace("eight", "eight (1.2)"),
    );
    lab.write("bp/blueprint.toml", &SVC_MANIFEST.replace("1.0.0", "1.2.0"));
    lab.git("platform", &["commit", "-qam", "svc 1.2.0"]);
    let (code, out, err) = lab.run(&["update", "p"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        lab.read("p/config.txt"),
        CONFIG_V1
            .replace("two", "two (mine)")
            .replace("five", "five (1.1)")
            .replace("eight", "eight (1.2)")
    );
}

#[test]
fn a_project_inside_a_monorepo_registers_conflicts_at_its_own_paths() {
    let lab = Lab::new();
    svc_blueprint(&lab);
    fs::create_dir_all(lab.path("mono/services")).unwrap();
    lab.git("mono", &["init", "-q"]);
    lab.write("mono/README.md", "monorepo\n");
    lab.git("mono", &["add", "-A"]);
    lab.git("mono", &["commit", "-qm", "root"]);
    let (code, out, err) = lab.run(&[
        "new",
        "./bp",
        "mono/services/svc",
        "--no-input",
        "--set",
        "module=example.com/acme/svc",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("inside a git work tree"),
        "git-init is skipped in a work tree: {out}"
    );
    lab.git("mono", &["add", "-A"]);
    lab.git("mono", &["commit", "-qm", "add svc"]);
    lab.write(
        "mono/services/svc/config.txt",
        &CONFIG_V1.replace("seven", "seven (mine)"),
    );
    lab.git("mono", &["commit", "-qam", "tune svc"]);
    lab.write(
        "bp/template/config.txt",
        &CONFIG_V1.replace("seven", "seven (new)"),
    );
    bump_svc(&lab, SVC_MANIFEST);
    let (code, out, err) = lab.run(&["update", "mono/services/svc"]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(out.contains("the project's git history"), "{out}");
    let status = lab.git("mono", &["status", "--porcelain"]);
    assert!(status.contains("UU services/svc/config.txt"), "{status}");
    assert!(
        lab.read("mono/services/svc/config.txt")
            .contains("||||||| as generated (svc 1.0.0)\nseven\n")
    );
}

#[test]
fn check_points_at_a_staging_folder_an_interrupted_run_left() {
    let lab = Lab::new();
    svc_project(&lab, false);
    fs::create_dir_all(lab.path("p/.gogen-abc123/tree")).unwrap();
    let (code, out, _) = lab.run(&["check", "p"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(".gogen-abc123"), "{out}");
}

// What an independent attack on the lifecycle commands found (each test failed first).

#[test]
fn a_blueprint_file_written_with_crlf_merges_like_any_other() {
    // Windows scripts in a blueprint keep CRLF; both sides editing different lines of one
    // must merge cleanly and keep CRLF, not turn into a whole-file conflict.
    let lab = Lab::new();
    svc_blueprint(&lab);
    let bat = |two: &str, five: &str| {
        format!("@echo off\r\nrem one\r\nrem {two}\r\nrem three\r\nrem four\r\nrem {five}\r\n")
    };
    lab.write("bp/template/run.bat", &bat("two", "five"));
    new_svc(&lab, "p", &["--no-git"]);
    lab.write("p/run.bat", &bat("two (mine)", "five"));
    lab.write("bp/template/run.bat", &bat("two", "five (new)"));
    bump_svc(&lab, SVC_MANIFEST);
    let base = svc_original(&lab);
    lab.write("svc-1.0.0/template/run.bat", &bat("two", "five"));
    let (code, out, err) = lab.run(&["update", "p", "--base-blueprint", &base]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("merge               run.bat"), "{out}");
    assert_eq!(lab.read("p/run.bat"), bat("two (mine)", "five (new)"));
    // Both sides changing the same line: the markers follow the file's CRLF too.
    let status = std::process::Command::new("cp")
        .args(["-r", "bp", "bp-1.1.0"])
        .current_dir(&lab.root)
        .status()
        .unwrap();
    assert!(status.success());
    lab.write("p/run.bat", &bat("two (mine)", "five (mine)"));
    lab.write("bp/template/run.bat", &bat("two", "five (newer)"));
    lab.write("bp/blueprint.toml", &SVC_MANIFEST.replace("1.0.0", "1.2.0"));
    let (code, out, err) = lab.run(&["update", "p", "--base-blueprint", "bp-1.1.0"]);
    assert_eq!(code, 5, "{out}{err}");
    let text = lab.read("p/run.bat");
    assert!(
        text.contains("rem two (mine)\r\n")
            && text.contains("<<<<<<< yours\r\nrem five (mine)\r\n"),
        "{text:?}"
    );
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "every line ends in CRLF: {text:?}"
    );
}

#[test]
fn hostile_text_from_a_blueprint_never_reaches_the_terminal_from_lifecycle_commands() {
    let lab = Lab::new();
    svc_project(&lab, false);
    // The new version adds a file whose name reorders text (U+202E), and `check` later
    // meets a manifest whose parse error quotes terminal escapes.
    lab.write("bp/template/evil\u{202e}txt.exe", "x\n");
    bump_svc(&lab, SVC_MANIFEST);
    let bad = |s: &str| s.contains('\u{1b}') || s.contains('\u{7}') || s.contains('\u{202e}');
    for args in [
        vec!["update", "p", "--dry-run"],
        vec!["update", "p", "--dry-run", "--json"],
        vec!["check", "p"],
        vec!["check", "p", "--json"],
    ] {
        let (_, out, err) = lab.run(&args);
        assert!(
            out.contains("evil") || args[0] == "check",
            "{args:?}: {out}"
        );
        assert!(!bad(&out) && !bad(&err), "{args:?}: {out:?} {err:?}");
        if args.contains(&"--json") {
            let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(doc.is_object());
        }
    }
    lab.write(
        "bp/blueprint.toml",
        "name = \"svc\"\nversion = \"1.2.0\"\n[[question \u{1b}]0;owned\u{7}\u{1b}[31mred\n",
    );
    for args in [vec!["check", "p"], vec!["check", "p", "--json"]] {
        let (code, out, err) = lab.run(&args);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains("owned") || err.contains("owned"), "{out}{err}");
        assert!(!bad(&out) && !bad(&err), "{args:?}: {out:?} {err:?}");
    }
}
