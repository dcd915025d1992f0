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
            .stdout(predicate::str::contains("gogen").and(predicate::str::contains("COMPLETE")));
    }
    gogen(tmp.path())
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(".ie").and(predicate::str::contains("gogen")));
}

/// Issue 12.17: completion knows blueprint names (built-in and search path) and, for
/// `--set`, the keys and choices of the blueprint on the command line; the bash script
/// gets them from gogen as installed.
#[test]
fn completion_offers_blueprints_set_keys_and_choices() {
    let tmp = tempfile::tempdir().unwrap();
    let search = tmp.path().join("search");
    write_blueprint(
        &search.join("folder"),
        &[
            (
                "blueprint.toml",
                "name = \"ourbp\"\nversion = \"0.1.0\"\ndescription = \"d\"\n[[question]]\nkey = \"greeting\"\ndefault = \"hi\"\n",
            ),
            ("template/x.txt", "x"),
        ],
    );
    let complete = |words: &[&str]| -> Vec<String> {
        let out = gogen(tmp.path())
            .env("COMPLETE", "fish")
            .env("GOGEN_BLUEPRINT_PATH", &search)
            .arg("--")
            .args(words)
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(complete(&["gogen", "new", "re"]), ["rest-api"]);
    assert_eq!(complete(&["gogen", "new", "our"]), ["ourbp"]);
    assert_eq!(complete(&["gogen", "info", "wor"]), ["worker-pool"]);
    assert_eq!(
        complete(&["gogen", "new", "rest-api", "--set", "datab"]),
        ["database="]
    );
    assert_eq!(
        complete(&["gogen", "new", "rest-api", "out", "--set", "database="]),
        ["database=sqlite", "database=postgres"]
    );
    assert_eq!(
        complete(&["gogen", "new", "ourbp", "--set", "gr"]),
        ["greeting="]
    );
    // The bash registration script, sourced as the README says, completes the same.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_gogen"))
        .parent()
        .unwrap();
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "source <(gogen completions bash); COMP_WORDS=(gogen new rest-api --set dat); COMP_CWORD=4; \
             COMP_LINE='gogen new rest-api --set dat'; COMP_POINT=28; COMP_TYPE=9; \
             _clap_complete_gogen gogen dat --set; printf '%s\\n' \"${COMPREPLY[@]}\"",
        ])
        .env("PATH", path_with(bin))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "database=",
        "{out:?}"
    );
}

/// Issue 12.16: a man page per command, with ENVIRONMENT and FILES sections (also in
/// `--help`), and no reference to a page that is not generated.
#[test]
fn man_pages_cover_every_command_with_environment_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path())
        .args(["man", "--out", "pages"])
        .assert()
        .code(0);
    let pages: Vec<String> = fs::read_dir(tmp.path().join("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for want in [
        "gogen.1",
        "gogen-new.1",
        "gogen-list.1",
        "gogen-info.1",
        "gogen-blueprint-lint.1",
        "gogen-blueprint-new.1",
        "gogen-completions.1",
        "gogen-man.1",
    ] {
        assert!(
            pages.iter().any(|p| p == want),
            "{want} missing from {pages:?}"
        );
    }
    let top = fs::read_to_string(tmp.path().join("pages/gogen.1")).unwrap();
    for section in [".SH ENVIRONMENT", ".SH FILES", ".SH \"EXIT STATUS\""] {
        assert!(top.contains(section), "{section} missing");
    }
    for var in [
        "GOGEN_CONFIG",
        "GOGEN_SYSTEM_CONFIG",
        "GOGEN_BLUEPRINT_PATH",
        "GOGEN_NO_INPUT",
        "GOGEN_TEST_POSTGRES_URL",
        "/etc/gogen/config.toml",
    ] {
        assert!(top.contains(var), "{var} missing from gogen.1");
    }
    // Every page another page points to exists.
    for page in &pages {
        let text = fs::read_to_string(tmp.path().join("pages").join(page)).unwrap();
        for (i, _) in text.match_indices("(1)") {
            let name: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '\\')
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>()
                .replace("\\-", "-");
            if name.starts_with("gogen") {
                assert!(
                    pages.contains(&format!("{name}.1")),
                    "{page} points to {name}(1)"
                );
            }
        }
    }
    let out = gogen(tmp.path()).arg("--help").assert().code(0);
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for want in [
        "ENVIRONMENT:",
        "FILES:",
        "GOGEN_SYSTEM_CONFIG",
        "/etc/gogen/config.toml",
    ] {
        assert!(help.contains(want), "{want} missing from --help");
    }
}

/// Issue 12.18: `--version` names the version, the commit and the built-in blueprints.
#[test]
fn version_names_the_commit_and_the_built_in_blueprints() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path()).arg("--version").assert().code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    assert!(text.contains("commit "), "{text}");
    for name in ["payments", "rest-api", "worker-pool"] {
        let manifest: toml::Table = toml::from_str(
            &fs::read_to_string(
                repo_root()
                    .join("blueprints")
                    .join(name)
                    .join("blueprint.toml"),
            )
            .unwrap(),
        )
        .unwrap();
        let line = format!("{name} {}", manifest["version"].as_str().unwrap());
        assert!(text.contains(&line), "{line} missing: {text}");
    }
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

/// Issue 12.11: GOGEN_NO_INPUT takes the usual spellings of a boolean.
#[test]
fn gogen_no_input_takes_the_usual_boolean_spellings() {
    let tmp = tempfile::tempdir().unwrap();
    for value in ["1", "0", "true", "false", "yes", "no", "on", "off", "TRUE"] {
        gogen(tmp.path())
            .env("GOGEN_NO_INPUT", value)
            .args(["new", "rest-api", "out"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("missing answers: module"));
    }
    gogen(tmp.path())
        .env("GOGEN_NO_INPUT", "maybe")
        .args(["new", "rest-api", "out"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value"));
}

/// Runs the commands gogen printed (lines starting with `gogen `) in a shell, as a user
/// would paste them, with `gogen` meaning the binary under test.
fn run_printed_commands(dir: &std::path::Path, printed: &str) -> usize {
    let mut ran = 0;
    for line in printed
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("gogen "))
    {
        let status = std::process::Command::new("sh")
            .args([
                "-c",
                &format!(
                    "gogen() {{ '{}' \"$@\"; }}\n{line}",
                    env!("CARGO_BIN_EXE_gogen")
                ),
            ])
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("XDG_CONFIG_HOME", dir.join("no-config"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GOGEN_CONFIG")
            .env_remove("GOGEN_BLUEPRINT_PATH")
            .status()
            .unwrap();
        assert!(status.success(), "printed command failed: {line}");
        ran += 1;
    }
    ran
}

/// Issue 12.13: the next steps `blueprint new` prints work as written, for a bare folder
/// name, a nested one and one with a different `--name`.
#[test]
fn blueprint_new_prints_next_steps_that_work_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["blueprint", "new", "mybp"],
        vec!["blueprint", "new", "nested/dir/other"],
        vec!["blueprint", "new", "spaced out", "--name", "spaced"],
    ] {
        let out = gogen(tmp.path()).args(&args).assert().code(0);
        let printed = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert_eq!(run_printed_commands(tmp.path(), &printed), 2, "{printed}");
    }
    assert!(tmp.path().join("mybp-try/go.mod").is_file());
}

/// Issue 12.14: a module path or package name that is refused comes with a valid form to
/// use and the reason.
#[test]
fn refused_module_paths_and_package_names_get_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    for (module, want) in [
        ("users", "try `example.com/users`"),
        ("example/hello", "try `example.com/hello`"),
        ("Example.com/x", "try `example.com/x`"),
        ("example.com/x/v1", "try `example.com/x`"),
    ] {
        gogen(tmp.path())
            .args([
                "new",
                "rest-api",
                "out",
                "--no-input",
                "--set",
                &format!("module={module}"),
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
    gogen(tmp.path())
        .args([
            "new",
            "rest-api",
            "out",
            "--no-input",
            "--set",
            "module=users",
        ])
        .assert()
        .stderr(predicate::str::contains("`go mod init` accepts"))
        .stderr(predicate::str::contains("cannot be fetched"));
    for (name, want) in [
        ("my-pkg", "mypkg"),
        ("func", "funcpkg"),
        ("main", "mainpkg"),
        ("1abc", "pkg1abc"),
    ] {
        gogen(tmp.path())
            .args(["new", "rest-api", "out", "--no-input"])
            .args([
                "--set",
                "module=example.com/a/b",
                "--set",
                &format!("project_name={name}"),
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("try `{want}`")));
    }
}

/// Issue 12.15: every built-in blueprint generates with a hyphenated, a `/v2` and a
/// gopkg.in-style module path, and its Go test matrix holds each kind (so CI builds them).
#[test]
fn every_built_in_blueprint_takes_hyphenated_v2_and_gopkg_in_module_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let modules = [
        "github.com/acme/billing-svc",
        "github.com/acme/billing-svc/v2",
        "gopkg.in/acme/billing.v2",
    ];
    for name in ["payments", "rest-api", "worker-pool"] {
        for (i, module) in modules.iter().enumerate() {
            let dir = format!("{name}-{i}");
            gogen(tmp.path())
                .args(["new", name, &dir, "--no-input", "--no-git"])
                .args(["--set", &format!("module={module}")])
                .assert()
                .code(0);
            let go_mod = fs::read_to_string(tmp.path().join(&dir).join("go.mod")).unwrap();
            assert!(
                go_mod.starts_with(&format!("module {module}\n")),
                "{name}: {go_mod}"
            );
        }
        let text = fs::read_to_string(
            repo_root()
                .join("blueprints")
                .join(name)
                .join("blueprint.toml"),
        )
        .unwrap();
        let manifest: toml::Table = toml::from_str(&text).unwrap();
        let matrix: Vec<String> = manifest["test"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["answers"].get("module")?.as_str().map(str::to_string))
            .collect();
        let last = |m: &String| m.rsplit('/').next().unwrap_or("").to_string();
        assert!(
            matrix.iter().any(|m| m.contains('-')),
            "{name}: no hyphenated module in {matrix:?}"
        );
        let major = |m: &String| {
            let l = last(m);
            l.len() > 1 && l.starts_with('v') && l[1..].chars().all(|c| c.is_ascii_digit())
        };
        assert!(
            matrix.iter().any(major),
            "{name}: no /vN module in {matrix:?}"
        );
        assert!(
            matrix.iter().any(|m| m.starts_with("gopkg.in/")),
            "{name}: no gopkg.in module in {matrix:?}"
        );
    }
}

/// Issue 12.19: the README installs with `cargo install --locked --path .`, states the
/// minimum Rust that `Cargo.toml` declares, and its first command, run from a checkout,
/// writes beside the checkout, never into it.
#[test]
fn the_readme_first_command_writes_beside_the_checkout() {
    let readme = fs::read_to_string(repo_root().join("README.md")).unwrap();
    let cargo = fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let msrv = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        readme.contains(&format!("Rust {msrv} or newer")),
        "README does not state the minimum Rust {msrv}"
    );
    assert!(readme.contains("\ncargo install --locked --path .\n"));
    let first = readme
        .lines()
        .find_map(|l| l.strip_prefix("cargo run --locked --release -- "))
        .expect("the README's first command");
    let args: Vec<&str> = first.split_whitespace().collect();
    let tmp = tempfile::tempdir().unwrap();
    let checkout = tmp.path().join("checkout");
    fs::create_dir(&checkout).unwrap();
    fs::write(checkout.join("Cargo.toml"), "mine").unwrap();
    let before = tree_state(&checkout);
    gogen(&checkout)
        .args(&args)
        .arg("--no-git")
        .assert()
        .code(0);
    assert_eq!(tree_state(&checkout), before, "wrote into the checkout");
    let written: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "checkout")
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(tmp.path().join(&written[0]).join("go.mod").is_file());
}
