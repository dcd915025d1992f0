//! Org tooling: blueprint sources (folder, git, search path), the org config (defaults,
//! locked values, presets), `gogen blueprint lint` and `gogen blueprint new`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

use predicates::prelude::*;
use serde_json::Value;

use crate::util::*;

fn git(dir: &Path, args: &[&str]) {
    let out = Std::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A bare repository holding the example blueprint under `blueprints/hello`, with a tag.
fn bare_repo(root: &Path, extra: impl Fn(&Path)) -> PathBuf {
    let work = root.join("work-repo");
    copy_tree(
        Path::new(&hello_blueprint()),
        &work.join("blueprints/hello"),
    );
    extra(&work);
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "blueprints"]);
    git(&work, &["tag", "v1"]);
    let bare = root.join("bp.git");
    git(root, &["clone", "-q", "--bare", "work-repo", "bp.git"]);
    bare
}

#[test]
fn a_blueprint_from_a_git_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path(), |_| {});
    let source = format!("file://{}#v1:blueprints/hello", bare.display());
    let out = gogen(tmp.path())
        .args(["new", &source, "out", "--no-input", "--no-git", "--json"])
        .args(["--set", "module=example.com/acme/fromgit"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let recorded = doc["blueprint"]["source"].as_str().unwrap();
    // Pinned to the commit, not the moving tag.
    assert!(
        recorded.starts_with(&format!("file://{}#", bare.display())),
        "{recorded}"
    );
    assert!(recorded.ends_with(":blueprints/hello"), "{recorded}");
    let sha = recorded
        .rsplit('#')
        .next()
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    assert_eq!(sha.len(), 40, "{recorded}");
    assert!(tmp.path().join("out/cmd/fromgit/main.go").is_file());
    assert!(!tmp.path().join("out/.git").exists());
    // No temporary checkout is left behind (a private TMPDIR makes this exact).
    let private_tmp = tmp.path().join("private-tmp");
    fs::create_dir(&private_tmp).unwrap();
    gogen(tmp.path())
        .env("TMPDIR", &private_tmp)
        .args(["new", &source, "again", "--no-input", "--no-git"])
        .args(["--set", "module=example.com/acme/fromgit"])
        .assert()
        .code(0);
    assert_eq!(fs::read_dir(&private_tmp).unwrap().count(), 0);
}

#[test]
fn a_git_blueprint_with_a_symlink_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path(), |work| {
        std::os::unix::fs::symlink("/etc/passwd", work.join("blueprints/hello/template/passwd"))
            .unwrap();
    });
    let source = format!("file://{}#main:blueprints/hello", bare.display());
    let before = tree_state(tmp.path());
    gogen(tmp.path())
        .args([
            "new",
            &source,
            "out",
            "--no-input",
            "--set",
            "module=example.com/a/b",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("symbolic link"));
    assert_eq!(tree_state(tmp.path()), before);
}

#[test]
fn row21_hostile_git_sources_never_reach_git() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("calls.log");
    fake_tool(&tmp.path().join("bin"), "git", &log, 0);
    for source in [
        "ext::sh -c id",
        "https://git.corp/org/../evil#main",
        "https://git.corp/org/%2e%2e/evil",
        "https://git.corp/org%2fevil",
        "https://git.corp/org/bp.git#-x",
        "https://git.corp/org/bp.git#main:../../etc",
        "http://git.corp/org/bp.git",
        "ssh://-oProxyCommand=touch%20/tmp/p/x",
    ] {
        gogen(tmp.path())
            .env("PATH", path_with(&tmp.path().join("bin")))
            .args(["new", source, "out", "--no-input"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("refused"));
    }
    // An option-looking blueprint argument is a clap error, never a git argument.
    gogen(tmp.path())
        .env("PATH", path_with(&tmp.path().join("bin")))
        .args(["new", "--upload-pack=touch /tmp/p", "out"])
        .assert()
        .code(2);
    assert_eq!(fs::read_to_string(&log).unwrap_or_default(), "");
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn allowed_git_prefixes_are_enforced() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path(), |_| {});
    let config = tmp.path().join("config.toml");
    fs::write(
        &config,
        "allowed_git_prefixes = [\"https://git.corp/org/\"]\n",
    )
    .unwrap();
    let source = format!("file://{}#main:blueprints/hello", bare.display());
    gogen(tmp.path())
        .env("GOGEN_CONFIG", &config)
        .args([
            "new",
            &source,
            "out",
            "--no-input",
            "--set",
            "module=example.com/a/b",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not under an allowed prefix"));
    fs::write(
        &config,
        format!("allowed_git_prefixes = [\"file://{}\"]\n", bare.display()),
    )
    .unwrap();
    gogen(tmp.path())
        .env("GOGEN_CONFIG", &config)
        .args([
            "new",
            &source,
            "out",
            "--no-input",
            "--no-git",
            "--set",
            "module=example.com/a/b",
        ])
        .assert()
        .code(0);
}

#[test]
fn the_search_path_adds_named_blueprints_to_list_and_new() {
    let tmp = tempfile::tempdir().unwrap();
    let org = tmp.path().join("org-blueprints");
    copy_tree(Path::new(&hello_blueprint()), &org.join("greeter"));
    let manifest = org.join("greeter/blueprint.toml");
    let text = fs::read_to_string(&manifest).unwrap().replacen(
        "name = \"hello\"",
        "name = \"greeter\"",
        1,
    );
    fs::write(&manifest, text).unwrap();
    let out = gogen(tmp.path())
        .env("GOGEN_BLUEPRINT_PATH", &org)
        .args(["list", "--json"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let greeter = doc["blueprints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "greeter")
        .expect("search-path blueprint listed");
    assert!(
        greeter["source"]
            .as_str()
            .unwrap()
            .starts_with("search-path:")
    );
    gogen(tmp.path())
        .env("GOGEN_BLUEPRINT_PATH", &org)
        .args([
            "new",
            "greeter",
            "out",
            "--no-input",
            "--no-git",
            "--set",
            "module=example.com/a/g",
        ])
        .assert()
        .code(0);
    assert!(tmp.path().join("out/cmd/g/main.go").is_file());
    // The same folder through the org config's blueprint_path, relative to the config file.
    let config = tmp.path().join("config.toml");
    fs::write(&config, "blueprint_path = [\"org-blueprints\"]\n").unwrap();
    gogen(tmp.path())
        .env("GOGEN_CONFIG", &config)
        .args(["info", "greeter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("greeter 0.2.0 (search-path:"));
    gogen(tmp.path())
        .args(["new", "greetr", "--no-input"])
        .env("GOGEN_CONFIG", &config)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `greeter`"));
}

const ORG_CONFIG: &str = r#"
[defaults]
greeting = "Howdy"
repeat = 2
[locked]
style = "json"
[presets.loud]
description = "three greetings and a Dockerfile"
blueprints = ["hello"]
answers = { repeat = 3, docker = true }
[presets.wrong]
answers = { style = "plain" }
"#;

fn with_org(tmp: &Path) -> assert_cmd::Command {
    let config = tmp.join("org.toml");
    fs::write(&config, ORG_CONFIG).unwrap();
    let mut cmd = gogen(tmp);
    cmd.env("GOGEN_CONFIG", config);
    cmd
}

#[test]
fn answer_sources_follow_precedence_and_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("answers.toml"), "repeat = 5\n").unwrap();
    let out = with_org(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--no-git",
            "--json",
            "--preset",
            "loud",
        ])
        .args([
            "--answers",
            "answers.toml",
            "--set",
            "module=example.com/acme/x",
        ])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let want = [
        ("module", "flag", Value::from("example.com/acme/x")),
        ("project_name", "default", Value::from("x")),
        ("greeting", "config", Value::from("Howdy")),
        ("repeat", "file", Value::from(5)),
        ("style", "locked", Value::from("json")),
        ("docker", "preset", Value::from(true)),
    ];
    for (key, source, value) in want {
        assert_eq!(doc["answer_sources"][key], source, "{key}");
        assert_eq!(doc["answers"][key], value, "{key}");
    }
    let lock: toml::Table =
        toml::from_str(&fs::read_to_string(tmp.path().join("out/.gogen.toml")).unwrap()).unwrap();
    assert_eq!(lock["answer_sources"]["style"].as_str(), Some("locked"));
    assert_eq!(lock["answer_sources"]["docker"].as_str(), Some("preset"));
    // --dry-run shows the same sources.
    with_org(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "dry",
            "--no-input",
            "--dry-run",
            "--preset",
            "loud",
        ])
        .args(["--set", "module=example.com/acme/x"])
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"style\s+\x22json\x22\s+locked").unwrap())
        .stdout(predicate::str::is_match(r"repeat\s+3\s+preset").unwrap())
        .stdout(predicate::str::is_match(r"greeting\s+\x22Howdy\x22\s+config").unwrap());
}

#[test]
fn lock_violations_say_who_locked_the_value() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.toml"), "style = \"plain\"\n").unwrap();
    let attempts: [&[&str]; 3] = [
        &["--set", "style=plain"],
        &["--answers", "a.toml"],
        &["--preset", "wrong"],
    ];
    drop(with_org(tmp.path()));
    for extra in attempts {
        let before = tree_state(tmp.path());
        with_org(tmp.path())
            .args([
                "new",
                &hello_blueprint(),
                "out",
                "--no-input",
                "--set",
                "module=example.com/a/b",
            ])
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "answer `style` is locked to \"json\" by",
            ))
            .stderr(predicate::str::contains("org.toml"));
        assert_eq!(tree_state(tmp.path()), before, "{extra:?}");
    }
    with_org(tmp.path())
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--preset",
            "nope",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown preset `nope`"));
}

fn broken(tmp: &Path, name: &str, manifest_extra: &str, files: &[(&str, &str)]) -> String {
    let root = tmp.join(name);
    let mut all = vec![(
        "blueprint.toml",
        format!("{MINIMAL_MANIFEST}{manifest_extra}\n[[test]]\nname = \"defaults\"\n"),
    )];
    all.extend(files.iter().map(|(p, c)| (*p, c.to_string())));
    for (rel, content) in &all {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    root.display().to_string()
}

#[test]
fn lint_finds_problems_in_broken_blueprints() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str, i32)> = vec![
        (
            broken(
                tmp.path(),
                "undefined",
                "",
                &[("template/a.txt.jinja", "{{ name }} {{ colour }}")],
            ),
            "`colour` is used but no question asks it",
            1,
        ),
        (
            broken(
                tmp.path(),
                "syntax",
                "",
                &[("template/a.txt.jinja", "{% if name %}open")],
            ),
            "template/a.txt.jinja",
            1,
        ),
        (
            broken(
                tmp.path(),
                "unused",
                "[[question]]\nkey = \"spare\"\ndefault = \"x\"\n",
                &[("template/a.txt.jinja", "{{ name }}")],
            ),
            "question `spare`: is asked but no template",
            0,
        ),
        (
            broken(
                tmp.path(),
                "rule",
                "[[files]]\npath = \"docs/**\"\nwhen = \"name\"\n",
                &[("template/a.txt.jinja", "{{ name }}")],
            ),
            "matches no file",
            0,
        ),
        (
            broken(
                tmp.path(),
                "render",
                "",
                &[
                    ("template/{{ name }}/x.txt.jinja", "{{ name | go_quote }}"),
                    ("template/demo", "clash"),
                ],
            ),
            "output collision",
            1,
        ),
        (
            broken(tmp.path(), "manifest", "surprise = 1\n", &[]),
            "unknown field",
            1,
        ),
        (
            broken(
                tmp.path(),
                "schema",
                "[[question]]\nkey = \"n\"\ntype = \"integer\"\ndefault = 1\n[[question]]\nkey = \"big\"\ndefault = \"x\"\nwhen = \"n > 3\"\n",
                &[("template/a.txt.jinja", "{{ name }}{{ n }}{{ big }}")],
            ),
            "cannot be exported to JSON Schema",
            0,
        ),
    ];
    for (bp, want, code) in cases {
        gogen(tmp.path())
            .args(["blueprint", "lint", &bp])
            .assert()
            .code(code)
            .stdout(predicate::str::contains(want));
    }
    let out = gogen(tmp.path())
        .args([
            "blueprint",
            "lint",
            &tmp.path().join("undefined").display().to_string(),
            "--json",
        ])
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    // The undefined variable, and the renderings it breaks.
    assert!(doc["errors"].as_u64().unwrap() >= 1, "{doc}");
    assert_eq!(doc["findings"][0]["severity"], "error");
}

#[test]
fn lint_renders_the_matrix_and_a_pairwise_cover() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path())
        .args(["blueprint", "lint", &hello_blueprint(), "--json"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = doc["renderings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"test `defaults`") && names.contains(&"test `everything`"),
        "{names:?}"
    );
    assert!(
        names.iter().filter(|n| n.starts_with("pairwise")).count() >= 4,
        "{names:?}"
    );
}

#[test]
fn every_built_in_blueprint_passes_lint() {
    let tmp = tempfile::tempdir().unwrap();
    for name in gogen::blueprint::built_in_names() {
        gogen(tmp.path())
            .args([
                "blueprint",
                "lint",
                &repo_root()
                    .join("blueprints")
                    .join(&name)
                    .display()
                    .to_string(),
            ])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(" 0 error(s)"));
    }
}

#[test]
fn lint_with_go_checks_every_rendering() {
    if !require_go("lint --go") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path())
        .args(["blueprint", "lint", &hello_blueprint(), "--go"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 error(s)"));
    // A rendering that does not compile is an error under --go only.
    let bad = broken(
        tmp.path(),
        "nocompile",
        "",
        &[
            (
                "template/go.mod.jinja",
                "module example.com/{{ name }}\n\ngo 1.25.0\n",
            ),
            (
                "template/main.go.jinja",
                "package main\n\nfunc main() { undefined() }\n",
            ),
        ],
    );
    gogen(tmp.path())
        .args(["blueprint", "lint", &bad])
        .assert()
        .code(0);
    gogen(tmp.path())
        .args(["blueprint", "lint", &bad, "--go"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("go vet"));
}

#[test]
fn blueprint_new_starts_a_blueprint_that_passes_lint() {
    let tmp = tempfile::tempdir().unwrap();
    gogen(tmp.path())
        .args(["blueprint", "new", "my-service"])
        .assert()
        .code(0);
    let manifest = fs::read_to_string(tmp.path().join("my-service/blueprint.toml")).unwrap();
    assert!(manifest.contains("name = \"my-service\""), "{manifest}");
    gogen(tmp.path())
        .args(["blueprint", "lint", "my-service"])
        .assert()
        .code(2); // a bare name is looked up, not read as a folder
    gogen(tmp.path())
        .args(["blueprint", "lint", "./my-service"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 error(s), 0 warning(s)"));
    gogen(tmp.path())
        .args([
            "new",
            "./my-service",
            "svc",
            "--no-input",
            "--no-git",
            "--set",
            "module=example.com/a/svc",
        ])
        .assert()
        .code(0);
    // It refuses to overwrite, and refuses a bad name.
    gogen(tmp.path())
        .args(["blueprint", "new", "my-service"])
        .assert()
        .code(1);
    gogen(tmp.path())
        .args(["blueprint", "new", "Bad_Name"])
        .assert()
        .code(2);
}

#[test]
fn the_example_org_config_works_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let config = repo_root().join("examples/org/config.toml");
    let out = gogen(tmp.path())
        .env("GOGEN_CONFIG", &config)
        .args([
            "new",
            "hello",
            "out",
            "--no-input",
            "--no-git",
            "--json",
            "--preset",
            "demo",
        ])
        .args(["--set", "module=example.com/acme/greeter"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        doc["blueprint"]["source"]
            .as_str()
            .unwrap()
            .starts_with("search-path:")
    );
    assert_eq!(doc["answer_sources"]["style"], "locked");
    assert_eq!(doc["answer_sources"]["greeting"], "config");
    assert_eq!(doc["answers"]["greeting"], "Hello from Acme");
    assert_eq!(doc["answer_sources"]["docker"], "preset");
    assert!(tmp.path().join("out/Dockerfile").is_file());
    gogen(tmp.path())
        .env("GOGEN_CONFIG", &config)
        .args([
            "new",
            "hello",
            "out2",
            "--no-input",
            "--preset",
            "production",
        ])
        .args(["--set", "module=example.com/acme/greeter"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "preset `production` is for rest-api, payments",
        ));
}

/// Every property name in a JSON-Schema-like form, including `dependencies` branches.
fn form_properties(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    if let Some(props) = v.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            // `const` properties inside dependency branches only select the branch.
            if p.get("const").is_none() {
                out.insert(k.clone());
            }
        }
    }
    for key in ["dependencies", "oneOf", "anyOf", "allOf"] {
        match v.get(key) {
            Some(Value::Object(m)) => m.values().for_each(|x| form_properties(x, out)),
            Some(Value::Array(a)) => a.iter().for_each(|x| form_properties(x, out)),
            _ => {}
        }
    }
}

#[test]
fn the_backstage_template_form_matches_the_exported_schema() {
    let text = fs::read_to_string(repo_root().join("examples/backstage/template.yaml")).unwrap();
    let template: Value = serde_yaml_ng::from_str(&text).unwrap();
    let step = &template["spec"]["steps"][0];
    assert_eq!(step["action"], "gogen:new");
    let blueprint = step["input"]["blueprint"].as_str().unwrap();
    let mut form = std::collections::BTreeSet::new();
    for page in template["spec"]["parameters"].as_array().unwrap() {
        form_properties(page, &mut form);
    }
    let tmp = tempfile::tempdir().unwrap();
    let config = repo_root().join("examples/org/config.toml");
    let out = gogen(tmp.path())
        .env("GOGEN_CONFIG", &config)
        .args(["info", blueprint, "--schema"])
        .assert()
        .code(0);
    let schema: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let asked: std::collections::BTreeSet<String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        form, asked,
        "the Backstage form and `gogen info {blueprint} --schema` differ"
    );
    // Required keys of the schema are required by the form.
    let form_required: Vec<&str> = template["spec"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["required"].as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for key in schema["required"].as_array().unwrap() {
        assert!(
            form_required.contains(&key.as_str().unwrap()),
            "{key} not required by the form"
        );
    }
}

/// Issue 12.6: a git subfolder that crosses a link inside the checkout is refused, even
/// when the link leads to a valid blueprint outside the checkout.
#[test]
fn a_git_subfolder_through_a_link_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    copy_tree(Path::new(&hello_blueprint()), &outside.join("bp"));
    let target = outside.clone();
    let bare = bare_repo(tmp.path(), move |work| {
        std::os::unix::fs::symlink(&target, work.join("link")).unwrap();
    });
    for subdir in ["link/bp", "link"] {
        let source = format!("file://{}#main:{subdir}", bare.display());
        let before = tree_state(tmp.path());
        gogen(tmp.path())
            .args(["new", &source, "out", "--no-input", "--no-git"])
            .args(["--set", "module=example.com/a/b"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("symbolic link"));
        assert_eq!(tree_state(tmp.path()), before, "{subdir}");
    }
}

/// Issue 12.6: `..;` segments, full-width dots and other look-alikes never pass an
/// allow-list, and a host without a dot is not fetched unless a prefix names it; all of it
/// before git runs.
#[test]
fn git_prefixes_match_a_strict_grammar_and_single_label_hosts_need_asking() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("calls.log");
    fake_tool(&tmp.path().join("bin"), "git", &log, 0);
    let config = tmp.path().join("config.toml");
    fs::write(
        &config,
        "allowed_git_prefixes = [\"https://git.corp/org/\"]\n",
    )
    .unwrap();
    let run = |source: &str, config: Option<&Path>| {
        let mut cmd = gogen(tmp.path());
        cmd.env("PATH", path_with(&tmp.path().join("bin")));
        if let Some(c) = config {
            cmd.env("GOGEN_CONFIG", c);
        }
        cmd.args(["info", source]).assert().code(2)
    };
    for source in [
        "https://git.corp/org/..;/evil/bp.git",
        "https://git.corp/org/..;@evil.example/bp.git",
        "https://git.corp/org/\u{ff0e}\u{ff0e}/evil/bp.git",
        "https://git\u{ff0e}corp/org/bp.git",
        "https://git.corp/org;/bp.git",
        "https://git.corp/organisation/bp.git",
    ] {
        run(source, Some(&config)).stderr(
            predicate::str::contains("refused")
                .or(predicate::str::contains("not under an allowed prefix")),
        );
    }
    // No config at all: a single-label host is still refused, with the way to ask for it.
    run("https://x/y.git", None).stderr(predicate::str::contains("has no dot"));
    run("git@intranet:team/bp.git", None).stderr(predicate::str::contains("has no dot"));
    assert_eq!(fs::read_to_string(&log).unwrap_or_default(), "", "git ran");
    // Named in the allow-list, it is asked for: gogen goes on to git.
    fs::write(&config, "allowed_git_prefixes = [\"https://x/\"]\n").unwrap();
    let _ = gogen(tmp.path())
        .env("PATH", path_with(&tmp.path().join("bin")))
        .env("GOGEN_CONFIG", &config)
        .args(["info", "https://x/y.git"])
        .output()
        .unwrap();
    assert!(fs::read_to_string(&log).unwrap_or_default().contains("git"));
}

/// Issue 12.7: a system-level lock holds against every user-level way around it:
/// GOGEN_CONFIG (an empty file, /dev/null), another HOME or XDG_CONFIG_HOME, a user config
/// that locks or defaults the key itself, --set, answers files and presets; and
/// GOGEN_SYSTEM_CONFIG only adds a system level, it cannot replace /etc.
#[test]
fn a_system_lock_cannot_be_lifted_from_the_user_level() {
    let tmp = tempfile::tempdir().unwrap();
    let system = tmp.path().join("etc-gogen.toml");
    fs::write(&system, "[locked]\ngreeting = \"Hi\"\n").unwrap();
    let home = tmp.path().join("home");
    fs::create_dir_all(home.join(".config/gogen")).unwrap();
    fs::write(
        home.join(".config/gogen/config.toml"),
        "[locked]\ngreeting = \"Yo\"\n[defaults]\ngreeting = \"Yo\"\n[presets.loud]\nanswers = { greeting = \"YO\" }\n",
    )
    .unwrap();
    fs::write(tmp.path().join("empty.toml"), "").unwrap();
    fs::write(tmp.path().join("a.toml"), "greeting = \"Yo\"\n").unwrap();
    let new = |envs: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = gogen(tmp.path());
        cmd.env("GOGEN_SYSTEM_CONFIG", &system)
            .env_remove("XDG_CONFIG_HOME")
            .env("HOME", &home);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.args(["new", &hello_blueprint(), "out", "--no-input", "--no-git"])
            .args(["--set", "module=example.com/a/b"])
            .args(extra);
        cmd
    };
    let empty = tmp.path().join("empty.toml").display().to_string();
    let elsewhere = tmp.path().join("elsewhere").display().to_string();
    type Env<'a> = Vec<(&'a str, &'a str)>;
    let attempts: Vec<(Env, Vec<&str>)> = vec![
        (
            vec![("GOGEN_CONFIG", empty.as_str())],
            vec!["--set", "greeting=Yo"],
        ),
        (
            vec![("HOME", elsewhere.as_str())],
            vec!["--set", "greeting=Yo"],
        ),
        (
            vec![("XDG_CONFIG_HOME", elsewhere.as_str())],
            vec!["--set", "greeting=Yo"],
        ),
        (vec![], vec!["--set", "greeting=Yo"]),
        (vec![], vec!["--answers", "a.toml"]),
        (vec![], vec!["--preset", "loud"]),
    ];
    for (envs, extra) in &attempts {
        let before = tree_state(tmp.path());
        new(envs, extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "answer `greeting` is locked to \"Hi\" by",
            ))
            .stderr(predicate::str::contains("etc-gogen.toml"));
        assert_eq!(tree_state(tmp.path()), before, "{envs:?} {extra:?}");
    }
    // Not a regular file: refused, not read as "no config".
    for (var, value) in [
        ("GOGEN_CONFIG", "/dev/null"),
        ("GOGEN_SYSTEM_CONFIG", "/dev/null"),
    ] {
        new(&[(var, value)], &[])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not a regular file"));
    }
    // Without an attempt, the lock wins over the user's own lock and default.
    new(&[], &[]).assert().code(0);
    let lock = fs::read_to_string(tmp.path().join("out/.gogen.toml")).unwrap();
    assert!(lock.contains("greeting = \"Hi\""), "{lock}");
    assert!(lock.contains("greeting = \"locked\""), "{lock}");
}

/// Issue 12.10 and 12.13: a search-path blueprint is listed and found under the name its
/// manifest declares, and one whose name a built-in (or an earlier folder) takes is listed
/// as shadowed, never silently dropped.
#[test]
fn search_path_names_come_from_manifests_and_shadowing_is_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let org = tmp.path().join("org");
    let manifest = |name: &str| {
        format!(
            "name = \"{name}\"\nversion = \"0.1.0\"\ndescription = \"Ours.\"\n[[question]]\nkey = \"name\"\ndefault = \"x\"\n"
        )
    };
    write_blueprint(
        &org.join("folder-a"),
        &[
            ("blueprint.toml", &manifest("svc")),
            ("template/a.txt", "a"),
        ],
    );
    write_blueprint(
        &org.join("folder-b"),
        &[
            ("blueprint.toml", &manifest("svc")),
            ("template/b.txt", "b"),
        ],
    );
    write_blueprint(
        &org.join("rest-api"),
        &[
            ("blueprint.toml", &manifest("rest-api")),
            ("template/c.txt", "c"),
        ],
    );
    let out = gogen(tmp.path())
        .env("GOGEN_BLUEPRINT_PATH", &org)
        .args(["list", "--json"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let entries: Vec<(String, String, Option<String>)> = doc["blueprints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_string(),
                b["source"].as_str().unwrap().to_string(),
                b["shadowed_by"].as_str().map(str::to_string),
            )
        })
        .collect();
    let ours: Vec<_> = entries
        .iter()
        .filter(|e| e.1.starts_with("search-path:"))
        .collect();
    assert_eq!(ours.len(), 3, "{entries:?}");
    assert!(
        ours.iter()
            .any(|e| e.0 == "rest-api" && e.2.as_deref() == Some("built-in")),
        "{entries:?}"
    );
    assert!(
        ours.iter()
            .any(|e| e.0 == "svc" && e.1.ends_with("folder-a") && e.2.is_none()),
        "{entries:?}"
    );
    assert!(
        ours.iter().any(|e| e.0 == "svc"
            && e.1.ends_with("folder-b")
            && e.2.as_deref().is_some_and(|s| s.ends_with("folder-a"))),
        "{entries:?}"
    );
    gogen(tmp.path())
        .env("GOGEN_BLUEPRINT_PATH", &org)
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("shadowed by built-in"));
    // `svc` is found by the name `list` shows (its folder is called something else).
    gogen(tmp.path())
        .env("GOGEN_BLUEPRINT_PATH", &org)
        .args(["new", "svc", "out", "--no-input", "--no-git"])
        .assert()
        .code(0);
    assert!(tmp.path().join("out/a.txt").is_file());
}

/// A hostile blueprint whose choice questions make millions of pairs of values (two
/// questions of 3,000 choices each) does not keep `blueprint lint` searching a pairwise
/// cover for ever: lint warns, renders the test matrix and finishes.
#[test]
fn lint_bounds_the_pairwise_cover_of_huge_choice_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let choices: Vec<String> = (0..3000).map(|i| format!("\"v{i}\"")).collect();
    let question = |key: &str| {
        format!(
            "[[question]]\nkey = \"{key}\"\ntype = \"choice\"\nchoices = [{}]\ndefault = \"v0\"\n",
            choices.join(", ")
        )
    };
    let manifest = format!(
        "name = \"wide\"\nversion = \"0.1.0\"\ndescription = \"Wide.\"\n{}{}[[test]]\nname = \"defaults\"\n",
        question("a"),
        question("b")
    );
    let bp = tmp.path().join("wide");
    write_blueprint(
        &bp,
        &[
            ("blueprint.toml", &manifest),
            ("template/a.txt.jinja", "{{ a }} {{ b }}\n"),
        ],
    );
    let (code, stdout, stderr) = output_within(
        gogen_std(tmp.path()).args(["blueprint", "lint", &bp.display().to_string()]),
        120,
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("9000000 pairs of values"),
        "{stdout}{stderr}"
    );
}
