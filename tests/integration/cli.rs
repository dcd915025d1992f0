//! Every command and flag of the CLI, through the real binary.

use std::fs;

use predicates::prelude::*;
use serde_json::Value;

use crate::util::*;

#[test]
fn help_and_version_exit_zero() {
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path())
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit codes"));
    gogen(tmp.path())
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    gogen(tmp.path())
        .args(["new", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--dry-run").and(predicate::str::contains("--set")));
}

#[test]
fn usage_errors_exit_two() {
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path()).arg("frobnicate").assert().code(2);
    gogen(tmp.path()).args(["new"]).assert().code(2);
    gogen(tmp.path())
        .args(["new", &hello_blueprint(), "out", "--set", "foo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected KEY=VALUE"));
}

#[test]
fn list_shows_built_in_blueprints_as_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path()).args(["list", "--json"]).assert().code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    let listed: Vec<&str> = doc["blueprints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    let on_disk: Vec<String> = {
        let mut names: Vec<String> = fs::read_dir(repo_root().join("blueprints"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("blueprint.toml").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(listed, on_disk);
    let text = gogen(tmp.path()).arg("list").assert().code(0);
    let stdout = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    for name in &on_disk {
        assert!(stdout.contains(name.as_str()), "{stdout}");
    }
}

#[test]
fn info_describes_questions_and_the_default_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path())
        .args(["info", &hello_blueprint(), "--json"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["name"], "hello");
    let keys: Vec<&str> = doc["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "module",
            "project_name",
            "greeting",
            "repeat",
            "style",
            "docker",
            "base_image",
            "extras"
        ]
    );
    let style = &doc["questions"][4];
    assert_eq!(style["type"], "choice");
    assert_eq!(style["choices"][1]["value"], "json");
    assert_eq!(doc["questions"][0]["required"], true);
    assert_eq!(doc["questions"][6]["when"], "docker");
    let tree: Vec<&str> = doc["default_tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(tree.contains(&"cmd/hello/main.go"), "{tree:?}");
    assert!(
        !tree.contains(&"Dockerfile"),
        "docker defaults to false: {tree:?}"
    );

    gogen(tmp.path())
        .args(["info", &hello_blueprint()])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("asked when: docker")
                .and(predicate::str::contains("cmd/hello/main.go")),
        );
}

#[test]
fn a_mistyped_blueprint_gets_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let names = gogen(tmp.path()).args(["list", "--json"]).assert().code(0);
    let doc: Value = serde_json::from_slice(&names.get_output().stdout).unwrap();
    let Some(first) = doc["blueprints"][0]["name"].as_str() else {
        // No built-in blueprint yet: the suggestion has nothing to point at.
        gogen(tmp.path())
            .args(["new", "rest-apj", "--no-input"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("unknown blueprint `rest-apj`"));
        return;
    };
    let typo = format!("{}x", first);
    gogen(tmp.path())
        .args(["new", &typo, "--no-input"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("did you mean `{first}`")));
    gogen(tmp.path())
        .args(["info", &typo])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean"));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        gogen(tmp.path())
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("gogen").and(predicate::str::contains("dry-run")));
    }
    gogen(tmp.path())
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(".ie").and(predicate::str::contains("gogen")));
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let before = tree_state(tmp.path());
    let out = gogen(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--set",
            "module=example.com/acme/hello",
            "--dry-run",
        ])
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("dry run, nothing written"), "{stdout}");
    assert!(stdout.contains("cmd/hello/main.go"), "{stdout}");
    assert!(
        stdout.contains("Dockerfile.jinja"),
        "skipped file listed: {stdout}"
    );
    assert!(
        stdout.contains("`docker` is false"),
        "skip reason: {stdout}"
    );
    assert!(
        stdout.contains("module") && stdout.contains("flag"),
        "{stdout}"
    );
    assert_eq!(tree_state(tmp.path()), before);
}

#[test]
fn json_result_lists_files_with_hashes_and_matches_the_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--no-git",
            "--json",
            "--answers",
            &repo_root()
                .join("examples/answers/hello.toml")
                .display()
                .to_string(),
        ])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["answers"]["style"], "json");
    assert_eq!(doc["answer_sources"]["module"], "file");
    assert_eq!(doc["answer_sources"]["project_name"], "default");
    assert_eq!(doc["post_steps"][0]["status"], "skipped");
    let files = doc["files"].as_array().unwrap();
    assert!(files.len() >= 10);
    for f in files {
        let path = tmp.path().join("out").join(f["path"].as_str().unwrap());
        let bytes = fs::read(&path).unwrap();
        assert_eq!(f["size"].as_u64().unwrap() as usize, bytes.len());
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            gogen::blueprint::sha256_hex(&bytes)
        );
    }
    let script = files
        .iter()
        .find(|f| f["path"] == "scripts/check.sh")
        .unwrap();
    assert_eq!(script["mode"], "0755");
}

#[test]
fn errors_with_json_are_json_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path())
        .args(["new", &hello_blueprint(), "out", "--no-input", "--json"])
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["exit_code"], 2);
    assert!(doc["error"]["message"].as_str().unwrap().contains("module"));
}

#[test]
fn generation_is_byte_for_byte_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in ["a", "b"] {
        gogen(tmp.path())
            .args([
                "new",
                &hello_blueprint(),
                dir,
                "--no-input",
                "--no-git",
                "--set",
                "module=example.com/acme/hello",
                "--set",
                "docker=true",
            ])
            .assert()
            .code(0);
    }
    assert_eq!(
        tree_state(&tmp.path().join("a")),
        tree_state(&tmp.path().join("b"))
    );
}

#[test]
fn the_lock_file_records_answers_sources_and_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--no-git",
            "--set",
            "module=example.com/acme/hello",
        ])
        .assert()
        .code(0);
    let out = tmp.path().join("out");
    let lock: toml::Table =
        toml::from_str(&fs::read_to_string(out.join(".gogen.toml")).unwrap()).unwrap();
    assert_eq!(lock["blueprint"]["name"].as_str(), Some("hello"));
    assert_eq!(lock["blueprint"]["version"].as_str(), Some("0.2.0"));
    assert!(
        lock["blueprint"]["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(
        lock["answers"]["module"].as_str(),
        Some("example.com/acme/hello")
    );
    assert_eq!(lock["answer_sources"]["module"].as_str(), Some("flag"));
    assert_eq!(
        lock["answer_sources"]["base_image"].as_str(),
        Some("skipped")
    );
    let files = lock["files"].as_table().unwrap();
    for (path, hash) in files {
        let bytes = fs::read(out.join(path)).unwrap();
        let want = format!("sha256:{}", gogen::blueprint::sha256_hex(&bytes));
        assert_eq!(hash.as_str(), Some(want.as_str()), "{path}");
    }
    assert!(!files.contains_key(".gogen.toml"));
}

#[test]
fn no_terminal_never_prompts_and_lists_missing_answers() {
    let tmp = tempfile::tempdir().unwrap();
    // No --no-input: stdin is not a terminal under the test runner, so gogen must not wait.
    gogen(tmp.path())
        .args(["new", &hello_blueprint(), "out"])
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing answers: module"))
        .stderr(predicate::str::contains("--set module="));
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn the_target_defaults_to_the_project_name() {
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "--no-input",
            "--no-git",
            "--set",
            "module=example.com/acme/greeter",
        ])
        .assert()
        .code(0);
    assert!(tmp.path().join("greeter/cmd/greeter/main.go").is_file());
}

#[test]
fn every_example_answers_file_generates_its_blueprint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo_root().join("examples/answers");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let example = repo_root().join("examples/blueprints").join(&stem);
        let blueprint = if example.join("blueprint.toml").is_file() {
            example.display().to_string()
        } else {
            assert!(
                repo_root()
                    .join("blueprints")
                    .join(&stem)
                    .join("blueprint.toml")
                    .is_file(),
                "{} names no blueprint",
                path.display()
            );
            stem.clone()
        };
        gogen(tmp.path())
            .args([
                "new",
                &blueprint,
                &stem,
                "--no-input",
                "--no-git",
                "--answers",
            ])
            .arg(&path)
            .assert()
            .code(0);
        assert!(tmp.path().join(&stem).join(".gogen.toml").is_file());
        seen += 1;
    }
    assert!(seen >= 1);
    // Every built-in blueprint has an example answers file.
    for name in fs::read_dir(repo_root().join("blueprints")).unwrap() {
        let name = name.unwrap();
        if name.path().join("blueprint.toml").is_file() {
            let file = dir.join(format!("{}.toml", name.file_name().to_string_lossy()));
            assert!(file.is_file(), "missing {}", file.display());
        }
    }
}

#[test]
fn the_built_in_blueprint_sources_hold_no_symlinks() {
    // include_dir! follows links at compile time, so a link would smuggle in outside files.
    for entry in walkdir::WalkDir::new(repo_root().join("blueprints")).follow_links(false) {
        let entry = entry.unwrap();
        assert!(
            !entry.path_is_symlink(),
            "{} is a symbolic link",
            entry.path().display()
        );
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    for args in [
        vec!["man"],
        vec!["completions", "bash"],
        vec!["info", "examples/blueprints/hello"],
        vec!["list"],
    ] {
        // A pipe whose reader is already gone: every write gets EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
            .args(&args)
            .current_dir(repo_root())
            .env("NO_COLOR", "1")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn every_built_in_blueprint_lists_its_missing_answers_without_input() {
    let tmp = tempfile::tempdir().unwrap();
    for name in gogen::blueprint::built_in_names() {
        gogen(tmp.path())
            .args(["new", &name, "--no-input"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("missing answers: module"))
            .stderr(predicate::str::contains("undefined").not());
    }
}
