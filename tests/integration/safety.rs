//! The engine rows of shared/docs/security.md §5: bad input and faults get a clear error,
//! a documented exit code, and leave the target, its parent and a sentinel outside untouched.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::util::*;

/// A sandbox: `work/` is the current directory and the target's parent, `outside/sentinel`
/// must never change, `bin/` holds fake tools whose calls go to `calls.log`.
struct Sandbox {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        fs::create_dir_all(root.join("work")).unwrap();
        fs::create_dir_all(root.join("outside")).unwrap();
        fs::write(root.join("outside/sentinel"), "do not touch").unwrap();
        fake_tool(&root.join("bin"), "go", &root.join("calls.log"), 0);
        fake_tool(&root.join("bin"), "git", &root.join("calls.log"), 0);
        Sandbox { _tmp: tmp, root }
    }

    fn work(&self) -> PathBuf {
        self.root.join("work")
    }

    fn cmd(&self) -> Command {
        let mut cmd = gogen(&self.work());
        cmd.env("PATH", path_with(&self.root.join("bin")));
        cmd
    }

    fn std_cmd(&self) -> std::process::Command {
        let mut cmd = gogen_std(&self.work());
        cmd.env("PATH", path_with(&self.root.join("bin")));
        cmd
    }

    fn calls(&self) -> String {
        fs::read_to_string(self.root.join("calls.log")).unwrap_or_default()
    }

    /// Runs gogen expecting `code`, and asserts nothing on disk changed and no tool ran.
    fn refused(&self, args: &[&str], code: i32, stderr: &str) {
        let before = tree_state(&self.root);
        self.cmd()
            .args(args)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(stderr));
        assert_eq!(
            tree_state(&self.root),
            before,
            "{args:?} changed the filesystem"
        );
        assert_eq!(self.calls(), "", "{args:?} ran a tool");
    }
}

fn new_hello(module: &str) -> Vec<String> {
    vec![
        "new".into(),
        hello_blueprint(),
        "out".into(),
        "--no-input".into(),
        "--set".into(),
        format!("module={module}"),
    ]
}

fn refuse_module(sb: &Sandbox, module: &str, rule: &str) {
    let args = new_hello(module);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.refused(&args, 2, "answer `module`");
    let out = sb.cmd().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(['\n', '│'], " ");
    let stderr = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        stderr.contains(rule),
        "{module:?}: want {rule:?} in {stderr}"
    );
}

#[test]
fn row1_local_and_absolute_module_paths() {
    let sb = Sandbox::new();
    for (module, rule) in [
        ("../../etc", "local import path"),
        ("./x", "local import path"),
        ("/abs/x", "leading slash"),
        ("C:\\x", "invalid char ':'"),
    ] {
        refuse_module(&sb, module, rule);
    }
}

#[test]
fn row2_checkpath_reasons_and_accepted_paths() {
    let sb = Sandbox::new();
    for (module, rule) in [
        ("Example.com/x", "invalid char 'E'"),
        ("example/x", "missing dot in first path element"),
        ("x./z", "trailing dot"),
        ("x.y//z", "double slash"),
        ("x.y/z/", "trailing slash"),
        ("x.y/.hidden", "leading dot"),
    ] {
        refuse_module(&sb, module, rule);
    }
    for (module, dir) in [("github.com/BurntSushi/toml", "a"), ("x..y/z", "b")] {
        sb.cmd()
            .args(["new", &hello_blueprint(), dir, "--no-input", "--no-git"])
            .args(["--set", &format!("module={module}")])
            .assert()
            .code(0);
    }
    assert!(sb.work().join("a/cmd/toml/main.go").is_file());
    assert!(sb.work().join("b/cmd/z/main.go").is_file());
}

#[test]
fn row3_major_version_suffixes() {
    let sb = Sandbox::new();
    for module in [
        "example.com/x/v0",
        "example.com/x/v1",
        "example.com/x/v01",
        "example.com/x/v2.0",
        "gopkg.in/yaml",
    ] {
        refuse_module(&sb, module, "go_module_path rule");
    }
    sb.cmd()
        .args(new_hello("example.com/x/v2"))
        .arg("--no-git")
        .assert()
        .code(0);
    let lock = fs::read_to_string(sb.work().join("out/.gogen.toml")).unwrap();
    assert!(lock.contains("project_name = \"x\""), "{lock}");
}

#[test]
fn row4_dash_and_reserved_paths_never_reach_a_tool() {
    let sb = Sandbox::new();
    for (module, rule) in [
        ("-x", "leading dash"),
        ("--help", "leading dash"),
        ("go", "reserved"),
        ("toolchain", "reserved"),
    ] {
        refuse_module(&sb, module, rule);
    }
}

#[test]
fn row5_newlines_nul_spaces_and_unicode_in_module_paths() {
    let sb = Sandbox::new();
    for (module, rule) in [
        ("example.com/x\nreplace a => ../b", "control characters"),
        ("example.com/x y", "invalid char ' '"),
        ("example.com/x☺", "invalid char"),
    ] {
        refuse_module(&sb, module, rule);
    }
    // NUL cannot travel in argv, so it comes through an answers file.
    fs::write(
        sb.root.join("nul.json"),
        r#"{"module": "example.com/x\u0000y"}"#,
    )
    .unwrap();
    let file = sb.root.join("nul.json").display().to_string();
    sb.refused(
        &[
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--answers",
            &file,
        ],
        2,
        "control characters",
    );
}

#[test]
fn row6_windows_reserved_names_everywhere() {
    let sb = Sandbox::new();
    for module in ["con.example/x", "x.y/aux.txt", "x.y/com1", "x.y/z~1"] {
        refuse_module(&sb, module, "go_module_path rule");
    }
}

#[test]
fn row7_package_names() {
    let sb = Sandbox::new();
    let mut names: Vec<&str> = vec!["_", "1abc", "my-pkg", "main", "", "Upper"];
    names.extend([
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
    ]);
    for name in names {
        let set = format!("project_name={name}");
        sb.refused(
            &[
                "new",
                &hello_blueprint(),
                "out",
                "--no-input",
                "--set",
                "module=example.com/acme/x",
                "--set",
                &set,
            ],
            2,
            "answer `project_name`",
        );
    }
}

#[test]
fn row8_non_utf8_argv_and_answers_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let before = tree_state(&sb.root);
    sb.cmd()
        .args([
            OsStr::new("new"),
            OsStr::new(&hello_blueprint()),
            OsStr::new("out"),
        ])
        .arg("--set")
        .arg(OsStr::from_bytes(b"module=example.com/\xff"))
        .assert()
        .code(2);
    fs::write(sb.root.join("bad.toml"), b"module = \"example.com/\xff\"\n").unwrap();
    let after_write = tree_state(&sb.root);
    sb.cmd()
        .args(["new", &hello_blueprint(), "out", "--no-input", "--answers"])
        .arg(sb.root.join("bad.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml").and(predicate::str::contains("UTF-8")));
    assert_eq!(tree_state(&sb.root), after_write);
    assert_eq!(before.len() + 1, after_write.len());
}

#[test]
fn row9_set_syntax_unknown_keys_and_precedence() {
    let sb = Sandbox::new();
    let base = ["new", &hello_blueprint(), "out", "--no-input"];
    let with = |extra: &[&str]| {
        let mut v: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    for (extra, message) in [
        (vec!["--set", "foo"], "expected KEY=VALUE"),
        (vec!["--set", "=x"], "key before `=` is empty"),
        (
            vec!["--set", "module=example.com/x", "--set", "colour=red"],
            "unknown answer key `colour`",
        ),
        (
            vec!["--set", "module=example.com/x", "--set", "stlye=json"],
            "did you mean `style`",
        ),
    ] {
        let args = with(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sb.refused(&args, 2, message);
    }
    // `=` splits on the first one; --set beats the answers file (documented).
    fs::write(
        sb.root.join("a.toml"),
        "module = \"example.com/fromfile\"\ngreeting = \"Hi\"\n",
    )
    .unwrap();
    let file = sb.root.join("a.toml").display().to_string();
    sb.cmd()
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--no-git",
            "--answers",
            &file,
        ])
        .args([
            "--set",
            "module=example.com/fromflag",
            "--set",
            "greeting=Hi, there=you",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("answer `greeting`"));
    sb.cmd()
        .args([
            "new",
            &hello_blueprint(),
            "out",
            "--no-input",
            "--no-git",
            "--answers",
            &file,
        ])
        .args(["--set", "module=example.com/fromflag"])
        .assert()
        .code(0);
    let lock = fs::read_to_string(sb.work().join("out/.gogen.toml")).unwrap();
    assert!(lock.contains("module = \"example.com/fromflag\""), "{lock}");
    assert!(lock.contains("greeting = \"Hi\""), "{lock}");
}

#[test]
fn row11_non_empty_target_is_refused_with_conflicts() {
    let sb = Sandbox::new();
    let out = sb.work().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("go.mod"), "module mine\n").unwrap();
    fs::write(out.join("notes.txt"), "mine").unwrap();
    let args = new_hello("example.com/acme/x");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.refused(&args, 1, "go.mod");
    sb.refused(&args, 1, "--force");
    // An existing empty folder is fine.
    let empty = sb.work().join("empty");
    fs::create_dir(&empty).unwrap();
    sb.cmd()
        .args([
            "new",
            &hello_blueprint(),
            "empty",
            "--no-input",
            "--no-git",
            "--set",
            "module=example.com/acme/x",
        ])
        .assert()
        .code(0);
    assert!(empty.join("go.mod").is_file());
}

#[test]
fn force_replaces_generated_files_and_keeps_the_rest() {
    let sb = Sandbox::new();
    let out = sb.work().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("go.mod"), "module mine\n").unwrap();
    fs::write(out.join("notes.txt"), "mine").unwrap();
    sb.cmd()
        .args(new_hello("example.com/acme/x"))
        .args(["--no-git", "--force"])
        .assert()
        .code(0);
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    assert!(
        fs::read_to_string(out.join("go.mod"))
            .unwrap()
            .contains("example.com/acme/x")
    );
    assert!(staging_leftovers(&sb.work()).is_empty());
}

#[test]
fn force_never_writes_through_links() {
    let sb = Sandbox::new();
    let out = sb.work().join("out");
    fs::create_dir_all(&out).unwrap();
    symlink(sb.root.join("outside"), out.join("cmd")).unwrap();
    let args = new_hello("example.com/acme/x");
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--force");
    sb.refused(&args, 1, "symbolic link");
    // A target that is itself a link is refused too.
    symlink(sb.root.join("outside"), sb.work().join("linked")).unwrap();
    sb.refused(
        &[
            "new",
            &hello_blueprint(),
            "linked",
            "--no-input",
            "--set",
            "module=example.com/a/x",
        ],
        1,
        "symbolic link",
    );
}

/// A custom blueprint with one extra template file and question.
fn custom(sb: &Sandbox, name: &str, files: &[(&str, &str)]) -> String {
    let root = sb.root.join("blueprints").join(name);
    let mut all = vec![("blueprint.toml", MINIMAL_MANIFEST)];
    all.extend_from_slice(files);
    write_blueprint(&root, &all);
    root.display().to_string()
}

#[test]
fn row12_render_errors_name_the_file_and_line() {
    let sb = Sandbox::new();
    let bp = custom(
        &sb,
        "broken",
        &[
            ("template/a.txt.jinja", "fine {{ name }}\n"),
            ("template/b.txt.jinja", "line one\nline two {{ nope }}\n"),
        ],
    );
    sb.refused(
        &["new", &bp, "out", "--no-input"],
        1,
        "template/b.txt.jinja:2",
    );
    sb.refused(&["new", &bp, "out", "--no-input"], 1, "undefined");
}

#[test]
fn row12_a_failing_write_leaves_nothing() {
    let sb = Sandbox::new();
    let before = tree_state(&sb.root);
    // A file-size limit makes writes fail with EFBIG partway through staging.
    let script = format!(
        "trap '' XFSZ; ulimit -f 1; exec '{}' new '{}' out --no-input --no-git --set module=example.com/acme/x --set greeting=\"$BIG\"",
        env!("CARGO_BIN_EXE_gogen"),
        hello_blueprint()
    );
    Command::new("sh")
        .args(["-c", &script])
        .env("BIG", "Hello")
        .current_dir(sb.work())
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("cannot write").or(predicate::str::contains("cannot create")),
        );
    assert_eq!(tree_state(&sb.root), before);
    assert!(staging_leftovers(&sb.work()).is_empty());
}

#[test]
fn row13_rendered_paths_that_escape_are_refused() {
    let sb = Sandbox::new();
    let bp = custom(
        &sb,
        "escape",
        &[
            ("template/{{ name }}/x.txt", "x"),
            ("template/ok.txt", "ok"),
        ],
    );
    for evil in [
        "../evil",
        "/tmp/x",
        "a/../../x",
        ".",
        "..",
        "C:x",
        "foo\\..\\bar",
    ] {
        let set = format!("name={evil}");
        sb.refused(
            &["new", &bp, "out", "--no-input", "--set", &set],
            1,
            "is not allowed",
        );
    }
    // An empty component skips the file, as documented, and writes the rest.
    sb.cmd()
        .args([
            "new",
            &bp,
            "out",
            "--no-input",
            "--no-git",
            "--set",
            "name=",
        ])
        .assert()
        .code(0);
    assert!(sb.work().join("out/ok.txt").is_file());
    assert!(!sb.work().join("out/x.txt").exists());
}

#[test]
fn row14_symlinks_in_a_blueprint_are_refused_before_anything_else() {
    let sb = Sandbox::new();
    type MakeLinks = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, MakeLinks)> = vec![
        (
            "file",
            Box::new(|t: &Path| symlink("/etc/passwd", t.join("passwd")).unwrap()),
        ),
        (
            "dir",
            Box::new(|t: &Path| symlink("/root/.ssh", t.join("ssh")).unwrap()),
        ),
        (
            "chain",
            Box::new(|t: &Path| {
                symlink("/etc/hostname", t.join("one")).unwrap();
                symlink(t.join("one"), t.join("two")).unwrap();
            }),
        ),
        (
            "dangling",
            Box::new(|t: &Path| symlink("/nonexistent/x", t.join("gone")).unwrap()),
        ),
    ];
    for (name, make) in cases {
        let bp = custom(&sb, name, &[("template/ok.txt", "ok")]);
        make(&Path::new(&bp).join("template"));
        sb.refused(&["new", &bp, "out", "--no-input"], 1, "symbolic link");
    }
    let bp = custom(&sb, "dotgit", &[("template/.GIT/config", "[core]\n")]);
    sb.refused(&["new", &bp, "out", "--no-input"], 1, ".git");
}

#[test]
fn row15_collisions_are_errors() {
    let sb = Sandbox::new();
    let same = custom(
        &sb,
        "same",
        &[
            ("template/a.txt", "plain"),
            ("template/a.txt.jinja", "rendered"),
        ],
    );
    sb.refused(&["new", &same, "out", "--no-input"], 1, "output collision");
    let case = custom(
        &sb,
        "case",
        &[("template/README.md", "a"), ("template/readme.md", "b")],
    );
    sb.refused(
        &["new", &case, "out", "--no-input"],
        1,
        "same name ignoring case",
    );
    let kind = custom(
        &sb,
        "kind",
        &[
            ("template/{{ name }}", "file"),
            ("template/demo/inner.txt", "dir"),
        ],
    );
    sb.refused(&["new", &kind, "out", "--no-input"], 1, "output collision");
}

#[test]
fn row16_runaway_templates_stop_on_their_budget() {
    let sb = Sandbox::new();
    let cases = [
        (
            "loops",
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        ),
        (
            "macro",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        ),
        ("repeat", "{{ 'x' * 1000000000 }}"),
        ("include", "{% include 'template/self.txt.jinja' %}"),
    ];
    for (name, source) in cases {
        let bp = custom(&sb, name, &[("template/self.txt.jinja", source)]);
        let started = std::time::Instant::now();
        sb.refused(&["new", &bp, "out", "--no-input"], 1, "");
        assert!(
            started.elapsed().as_secs() < 30,
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn row17_minijinja_edge_cases_do_not_abort() {
    let sb = Sandbox::new();
    let bp = custom(
        &sb,
        "edges",
        &[(
            "template/e.txt.jinja",
            "{{ 1.0 < 9007199254740993 }}\n{% set l = [1] %}{% for i in range(20) %}{% set l = l + l %}{% endfor %}{{ l | length }}\n",
        )],
    );
    let out = sb
        .cmd()
        .args(["new", &bp, "out", "--no-input", "--no-git"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "must end cleanly, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn row18_includes_cannot_leave_the_blueprint() {
    let sb = Sandbox::new();
    for (name, include) in [
        ("up", "{% include '../../etc/passwd' %}"),
        ("abs", "{% include '/etc/passwd' %}"),
        ("sneaky", "{% include 'template/../../../../etc/passwd' %}"),
    ] {
        let bp = custom(&sb, name, &[("template/x.txt.jinja", include)]);
        sb.refused(
            &["new", &bp, "out", "--no-input"],
            1,
            "not a path inside the blueprint",
        );
    }
}

#[test]
fn row19_shell_text_in_answers_never_runs() {
    let sb = Sandbox::new();
    let pwned = sb.root.join("pwned");
    let evil = format!("$(touch {}); rm -rf ~ `id`", pwned.display());
    // A validated field refuses it before any tool could run...
    let args = new_hello(&evil);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.refused(&args, 2, "answer `module`");
    // ...and a free-text field keeps it as inert text.
    let bp = custom(&sb, "shelly", &[("template/x.txt.jinja", "{{ name }}\n")]);
    sb.cmd()
        .args([
            "new",
            &bp,
            "out",
            "--no-input",
            "--set",
            &format!("name={evil}"),
        ])
        .assert()
        .code(0);
    assert!(!pwned.exists());
    // Every tool call is one of gogen's fixed argument lists; no answer text reaches one.
    let fixed = [
        "git [--version]",
        "git [rev-parse] [--is-inside-work-tree]",
        "git [config] [user.name]",
        "git [config] [user.email]",
    ];
    let calls = sb.calls();
    assert!(!calls.is_empty());
    for line in calls.lines() {
        assert!(fixed.contains(&line), "unexpected call {line:?}");
    }
    assert_eq!(
        fs::read_to_string(sb.work().join("out/x.txt")).unwrap(),
        format!("{evil}\n")
    );
}

#[test]
fn row20_failing_or_missing_tools_keep_the_project() {
    let sb = Sandbox::new();
    fake_tool(&sb.root.join("bin"), "go", &sb.root.join("calls.log"), 1);
    let assert = sb
        .cmd()
        .args(new_hello("example.com/acme/x"))
        .args(["--no-git", "--go-mod-download"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "post-step `go-mod-download` failed",
        ))
        .stderr(predicate::str::contains("go mod download"));
    drop(assert);
    assert!(sb.work().join("out/go.mod").is_file());
    assert!(sb.work().join("out/.gogen.toml").is_file());
    assert!(sb.calls().contains("go [mod] [download]"));

    // Without git on PATH, git-init is skipped with a reason and the run succeeds.
    let no_git_bin = sb.root.join("bin-nogit");
    fs::create_dir_all(&no_git_bin).unwrap();
    sb.cmd()
        .env("PATH", no_git_bin.display().to_string())
        .args([
            "new",
            &hello_blueprint(),
            "second",
            "--no-input",
            "--set",
            "module=example.com/acme/y",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("`git` is not on PATH"));
    assert!(sb.work().join("second/go.mod").is_file());
}

#[test]
fn git_init_is_skipped_inside_a_work_tree_and_without_identity() {
    let sb = Sandbox::new();
    // Real git for this one.
    let real = |dir: &Path| {
        let mut c = gogen(dir);
        c.env("GIT_CONFIG_GLOBAL", sb.root.join("empty-gitconfig"));
        c
    };
    fs::write(sb.root.join("empty-gitconfig"), "").unwrap();
    real(&sb.work())
        .env("GIT_AUTHOR_NAME", "x")
        .args(new_hello("example.com/acme/x"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("git has no identity"));
    assert!(!sb.work().join("out/.git").exists());

    gogen(&sb.work())
        .args([
            "new",
            &hello_blueprint(),
            "repo",
            "--no-input",
            "--set",
            "module=example.com/acme/r",
        ])
        .assert()
        .code(0);
    assert!(sb.work().join("repo/.git").is_dir(), "git init ran");
    let log = std::process::Command::new("git")
        .args(["log", "--oneline"])
        .current_dir(sb.work().join("repo"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&log.stdout).contains("Initial commit from gogen"));
    gogen(&sb.work().join("repo"))
        .args([
            "new",
            &hello_blueprint(),
            "nested",
            "--no-input",
            "--set",
            "module=example.com/acme/n",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("inside a git work tree"));
    assert!(!sb.work().join("repo/nested/.git").exists());
}

#[test]
fn a_signal_while_staging_leaves_nothing() {
    let sb = Sandbox::new();
    let before = tree_state(&sb.root);
    let signals = tempfile::tempdir().unwrap();
    let ready = signals.path().join("paused");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(new_hello("example.com/acme/x"))
        .arg("--no-git")
        .env("GOGEN_TEST_PAUSE", "staging:60000")
        .env("GOGEN_TEST_PAUSE_READY", &ready)
        .current_dir(sb.work())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The whole tree is staged and gogen holds before its last check: interrupt there.
    wait_for("gogen to finish staging", || ready.exists());
    assert_eq!(staging_leftovers(&sb.work()).len(), 1);
    send_signal(child.id(), "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tree_state(&sb.root), before);
}

#[test]
fn a_signal_at_any_moment_leaves_all_or_nothing() {
    let sb = Sandbox::new();
    let mut outcomes = std::collections::BTreeMap::new();
    for i in 0..24u64 {
        let target = format!("out{i}");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
            .args(["new", &hello_blueprint(), &target, "--no-input", "--no-git"])
            .args(["--set", "module=example.com/acme/x"])
            .current_dir(sb.work())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread the signal over start-up, planning, staging and the rename.
        std::thread::sleep(std::time::Duration::from_micros(500 * i));
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let code = child.wait().unwrap().code();
        let dir = sb.work().join(&target);
        match code {
            Some(0) => assert!(is_complete(&dir), "exit 0 but {target} is incomplete"),
            // 130 from gogen's handler (None: the signal came before it was installed):
            // nothing at all, or a complete project when it came after the rename.
            Some(130) | None => assert!(
                !dir.exists() || is_complete(&dir),
                "interrupted and {target} is partial"
            ),
            other => panic!("unexpected exit {other:?}"),
        }
        assert!(
            staging_leftovers(&sb.work()).is_empty(),
            "staging left after run {i}"
        );
        *outcomes.entry(code).or_insert(0) += 1;
    }
    eprintln!("outcomes: {outcomes:?}");
}

/// Every file the lock file lists is there with its recorded hash.
fn is_complete(dir: &Path) -> bool {
    let Ok(text) = fs::read_to_string(dir.join(".gogen.toml")) else {
        return false;
    };
    let lock: toml::Table = toml::from_str(&text).unwrap();
    lock["files"]
        .as_table()
        .unwrap()
        .iter()
        .all(|(path, hash)| {
            fs::read(dir.join(path)).is_ok_and(|bytes| {
                Some(format!("sha256:{}", gogen::blueprint::sha256_hex(&bytes)).as_str())
                    == hash.as_str()
            })
        })
}

/// Issue 12.1: a target that is a link is refused however it is written (`out`, `out/`,
/// `out/.`), with or without --force, by `new` and by `blueprint new`.
#[test]
fn symlinked_targets_are_refused_however_they_are_written() {
    let sb = Sandbox::new();
    fs::write(sb.root.join("outside/go.mod"), "module mine\n").unwrap();
    symlink(sb.root.join("outside"), sb.work().join("out")).unwrap();
    for given in ["out", "out/", "out/.", "./out//", "out/./"] {
        for force in [false, true] {
            let mut args = vec![
                "new",
                "rest-api",
                given,
                "--no-input",
                "--set",
                "module=example.com/acme/x",
            ];
            if force {
                args.push("--force");
            }
            sb.refused(&args, 1, "symbolic link");
        }
        sb.refused(
            &["blueprint", "new", given, "--name", "bp"],
            1,
            "symbolic link",
        );
    }
    // A link to an empty folder is refused too (it would have been filled through the link).
    fs::create_dir(sb.root.join("empty")).unwrap();
    symlink(sb.root.join("empty"), sb.work().join("to-empty")).unwrap();
    sb.refused(&["blueprint", "new", "to-empty/"], 1, "symbolic link");
    assert_eq!(fs::read_dir(sb.root.join("empty")).unwrap().count(), 0);
}

/// Issue 12.2: a signal that lands during the final rename (the pause does not end on the
/// signal) ends with the complete project, exit 130, and no post-step.
#[test]
fn a_signal_during_the_rename_ends_complete_with_no_post_step() {
    let sb = Sandbox::new();
    let ready = sb.root.join("paused");
    // gogen holds after its last check before the rename until the signal has arrived,
    // then renames: the signal lands inside the window, however slow the machine is.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(new_hello("example.com/acme/x"))
        .env("GOGEN_TEST_PAUSE", "rename:60000")
        .env("GOGEN_TEST_PAUSE_READY", &ready)
        .env("PATH", path_with(&sb.root.join("bin")))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .current_dir(sb.work())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("gogen to reach the rename", || ready.exists());
    assert!(!sb.work().join("out").exists(), "renamed before the pause");
    send_signal(child.id(), "-TERM");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("complete"), "{stderr}");
    assert!(is_complete(&sb.work().join("out")));
    assert!(staging_leftovers(&sb.work()).is_empty());
    let calls = sb.calls();
    assert!(!calls.contains("[init]"), "a post-step started: {calls}");
}

/// Issue 12.2: a signal while a post-step runs stops it (and what it started), and no
/// further post-step starts.
#[test]
fn a_signal_during_a_post_step_stops_it_and_starts_no_other() {
    let sb = Sandbox::new();
    let pidfile = sb.root.join("init.pid");
    script_tool(
        &sb.root.join("bin"),
        "git",
        &format!(
            "echo \"git $*\" >> '{log}'\ncase \"$*\" in *init*) echo $$ > '{pid}'; exec sleep 300;; esac\ncase \"$1\" in --version) exit 0;; config) echo someone;; rev-parse) exit 1;; esac\nexit 0",
            log = sb.root.join("calls.log").display(),
            pid = pidfile.display()
        ),
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(new_hello("example.com/acme/x"))
        .env("PATH", path_with(&sb.root.join("bin")))
        .current_dir(sb.work())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("git init", || {
        pidfile.exists() && fs::read_to_string(&pidfile).is_ok_and(|p| !p.trim().is_empty())
    });
    send_signal(child.id(), "-TERM");
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // The step sleeps for 300 s: ending far sooner means gogen did not wait for it.
    assert!(
        started.elapsed().as_secs() < 120,
        "gogen waited for the step"
    );
    assert!(stderr.contains("complete"), "{stderr}");
    assert!(is_complete(&sb.work().join("out")));
    let pid = fs::read_to_string(&pidfile).unwrap();
    wait_for("the post-step to stop", || !process_alive(&pid));
    let calls = sb.calls();
    assert!(
        !calls.contains("git add"),
        "a post-step started after the signal: {calls}"
    );
}

/// Issue 12.2: a signal during a git fetch stops git and removes the temporary checkout.
#[test]
fn a_signal_during_a_git_fetch_stops_git_and_removes_the_checkout() {
    let sb = Sandbox::new();
    let real_git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let pidfile = sb.root.join("fetch.pid");
    script_tool(
        &sb.root.join("bin"),
        "git",
        &format!(
            "for a in \"$@\"; do case \"$a\" in fetch) echo $$ > '{pid}'; exec sleep 300;; esac; done\nexec '{git}' \"$@\"",
            pid = pidfile.display(),
            git = real_git.trim()
        ),
    );
    let tmpdir = sb.root.join("tmp");
    fs::create_dir(&tmpdir).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(["info", "file:///nonexistent/bp.git"])
        .env("PATH", path_with(&sb.root.join("bin")))
        .env("TMPDIR", &tmpdir)
        .current_dir(sb.work())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("git fetch", || {
        fs::read_to_string(&pidfile).is_ok_and(|p| !p.trim().is_empty())
    });
    send_signal(child.id(), "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<_> = fs::read_dir(&tmpdir).unwrap().collect();
    assert!(left.is_empty(), "temporary checkout left behind: {left:?}");
    let pid = fs::read_to_string(&pidfile).unwrap();
    wait_for("git fetch to stop", || !process_alive(&pid));
}

/// Issue 12.3: a template file swapped for a link while gogen reads the blueprint (a tight
/// swap loop) is never followed: no run ever copies the secret into a project.
#[test]
fn a_blueprint_file_swapped_for_a_link_is_never_followed() {
    let sb = Sandbox::new();
    fs::write(sb.root.join("outside/secret"), "TOPSECRET\n").unwrap();
    let bp = custom(&sb, "racy", &[("template/x.txt", "harmless\n")]);
    let template = PathBuf::from(&bp).join("template");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let template = template.clone();
        let secret = sb.root.join("outside/secret");
        let scratch = sb.root.join("outside");
        std::thread::spawn(move || {
            let (file, link) = (scratch.join("file.tmp"), scratch.join("link.tmp"));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = fs::write(&file, "harmless\n");
                let _ = fs::rename(&file, template.join("x.txt"));
                // Mostly a file, a link for short moments: the window a check-then-read
                // falls into.
                let until = std::time::Instant::now() + std::time::Duration::from_micros(200);
                while std::time::Instant::now() < until {}
                let _ = symlink(&secret, &link);
                let _ = fs::rename(&link, template.join("x.txt"));
            }
        })
    };
    let mut outcomes = std::collections::BTreeMap::new();
    // Until 100 runs have read the file (a check-then-read race shows within that many).
    for i in 0..1500 {
        if outcomes.get(&Some(0)).copied().unwrap_or(0) >= 100 {
            break;
        }
        let target = format!("out{i}");
        let out = sb
            .cmd()
            .args(["new", &bp, &target, "--no-input", "--no-git"])
            .output()
            .unwrap();
        *outcomes.entry(out.status.code()).or_insert(0) += 1;
        if let Ok(text) = fs::read_to_string(sb.work().join(&target).join("x.txt")) {
            assert!(!text.contains("TOPSECRET"), "run {i} copied the secret");
        }
        let _ = fs::remove_dir_all(sb.work().join(&target));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    swapper.join().unwrap();
    eprintln!("outcomes: {outcomes:?}");
}

/// Issue 12.10: names gogen writes itself, names git or Windows read as `.git`, devices
/// and Unicode twins are refused, in blueprints and in rendered paths.
#[test]
fn hostile_names_are_refused_in_blueprints_and_rendered_paths() {
    let sb = Sandbox::new();
    // A blueprint that ships `.git.` (or another `.git` spelling) at its root or below.
    for (i, name) in [".git.", ".GIT ", "git~1", ".g\u{200c}it"]
        .iter()
        .enumerate()
    {
        let bp = custom(&sb, &format!("dotgit{i}"), &[]);
        fs::create_dir_all(PathBuf::from(&bp).join(name)).unwrap();
        fs::write(PathBuf::from(&bp).join(name).join("config"), "[core]\n").unwrap();
        sb.refused(&["new", &bp, "out", "--no-input"], 1, ".git");
        let bp = custom(&sb, &format!("dotgit-deep{i}"), &[]);
        let deep = PathBuf::from(&bp).join("template").join(name);
        fs::create_dir_all(&deep).unwrap();
        fs::write(deep.join("config"), "[core]\n").unwrap();
        sb.refused(&["new", &bp, "out", "--no-input"], 1, ".git");
    }
    // A template that would collide with the lock file, in any case.
    for name in [".GOGEN.toml", ".gogen.toml", ".Gogen.Toml"] {
        let bp = custom(&sb, "lock", &[(&format!("template/{name}"), "x")]);
        sb.refused(&["new", &bp, "out", "--no-input"], 1, "lock file");
    }
    // Rendered names Windows or git read specially.
    let bp = custom(&sb, "names", &[("template/{{ name }}/x.txt", "x")]);
    for evil in [
        "git~1",
        "COM¹",
        "lpt³.txt",
        "CONIN$",
        ".git.",
        "a?b",
        "nul .txt",
    ] {
        sb.refused(
            &[
                "new",
                &bp,
                "out",
                "--no-input",
                "--set",
                &format!("name={evil}"),
            ],
            1,
            "is not allowed",
        );
    }
    // NFC and NFD spellings of one name are the same file on macOS.
    let twins = custom(
        &sb,
        "twins",
        &[
            ("template/caf\u{e9}.txt", "a"),
            ("template/cafe\u{301}.txt", "b"),
        ],
    );
    sb.refused(&["new", &twins, "out", "--no-input"], 1, "output collision");
}

/// Issue 12.4: one budget (fuel, time, output) for the whole generation, and a bound on
/// intermediate values; each failure is exit 1 naming the file and the limit.
#[test]
fn one_rendering_budget_covers_the_whole_generation() {
    let sb = Sandbox::new();
    // Each file alone fits a per-file budget; ten of them do not fit one budget.
    let heavy = "{% for a in range(2000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}x\n";
    let files: Vec<(String, &str)> = (0..10)
        .map(|i| (format!("template/f{i}.txt.jinja"), heavy))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    let bp = custom(&sb, "many", &refs);
    let before = tree_state(&sb.root);
    let (code, _, stderr) = output_within(
        sb.std_cmd()
            .args(["new", &bp, "out", "--no-input", "--no-git"]),
        60,
    );
    assert_eq!(code, Some(1), "{stderr}");
    // Fuel or time, whichever this machine runs out of first: both are one budget.
    assert!(
        stderr.contains("template/f") && stderr.contains("for the whole generation"),
        "{stderr}"
    );
    assert_eq!(tree_state(&sb.root), before);
    // Blow-ups that fuel alone lets grow for a long time: a joined string of gigabytes and
    // a list doubling in a loop.
    for (name, source) in [
        (
            "join",
            format!(
                "{{% set x = 'x' * 100000000 %}}{{{{ [{}] | join }}}}",
                vec!["x"; 50].join(",")
            ),
        ),
        (
            "double",
            "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}".to_string(),
        ),
    ] {
        let bp = custom(&sb, name, &[("template/blow.txt.jinja", &source)]);
        let before = tree_state(&sb.root);
        let started = std::time::Instant::now();
        let (code, _, stderr) = output_within(
            sb.std_cmd().args(["new", &bp, "out", "--no-input", "--no-git"]),
            60,
        );
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(stderr.contains("template/blow.txt.jinja"), "{name}: {stderr}");
        assert!(stderr.contains("budget"), "{name}: {stderr}");
        eprintln!("{name}: stopped after {:?}", started.elapsed());
        assert_eq!(tree_state(&sb.root), before, "{name}");
    }
}

/// Issue 12.5: deep nesting never aborts the process: chained `not`, filters, operators
/// and attributes in templates and in `when` expressions, for `new`, `info` and `lint`,
/// and values nested millions deep at run time. Exit 1 with a message.
#[test]
fn deep_nesting_is_exit_1_with_a_message_never_an_abort() {
    let sb = Sandbox::new();
    let chains = [
        format!("{}true", "not ".repeat(30_000)),
        format!("'x'{}", "|upper".repeat(50_000)),
        format!("1{}", "+1".repeat(50_000)),
        format!("name{}", ".a".repeat(50_000)),
    ];
    for (i, chain) in chains.iter().enumerate() {
        let in_template = custom(
            &sb,
            &format!("tpl{i}"),
            &[("template/x.txt.jinja", &format!("{{{{ {chain} }}}}\n"))],
        );
        let manifest = format!(
            "{MINIMAL_MANIFEST}[[question]]\nkey = \"extra\"\ntype = \"bool\"\ndefault = true\nwhen = \"{chain}\"\n"
        );
        let in_when = sb.root.join("blueprints").join(format!("when{i}"));
        write_blueprint(
            &in_when,
            &[("blueprint.toml", &manifest), ("template/x.txt", "x")],
        );
        let in_when = in_when.display().to_string();
        for bp in [&in_template, &in_when] {
            for args in [
                vec!["new", bp.as_str(), "out", "--no-input", "--no-git"],
                vec!["info", bp.as_str()],
                vec!["blueprint", "lint", bp.as_str()],
            ] {
                let before = tree_state(&sb.root);
                let (code, stdout, stderr) = output_within(sb.std_cmd().args(&args), 60);
                assert_eq!(code, Some(1), "{args:?}: {stderr}");
                let text = format!("{stdout}{stderr}");
                assert!(
                    text.contains("nested deeper than the limit"),
                    "{args:?}: {text}"
                );
                assert_eq!(tree_state(&sb.root), before, "{args:?}");
            }
        }
    }
    // Nesting built at run time is not visible before parsing; it still ends cleanly.
    let deep = custom(
        &sb,
        "deep-value",
        &[(
            "template/x.txt.jinja",
            "{% set ns = namespace(x=[]) %}{% for j in range(30) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{% endfor %}{{ ns.x | length }}",
        )],
    );
    let before = tree_state(&sb.root);
    let (code, _, stderr) = output_within(
        sb.std_cmd()
            .args(["new", &deep, "out", "--no-input", "--no-git"]),
        60,
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("template/x.txt.jinja"), "{stderr}");
    assert_eq!(tree_state(&sb.root), before);
}

/// Issue 12.10: answers files are at most 1 MiB and regular files (`/dev/zero` is refused
/// at once), duplicate JSON keys are errors, and a huge value is shortened in messages.
#[test]
fn answers_files_are_bounded_strict_and_echoed_short() {
    let sb = Sandbox::new();
    let new_with = |extra: &[&str]| {
        let mut args = vec!["new", "rest-api", "out", "--no-input"];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    for (file, want) in [
        ("/dev/zero", "not a regular file"),
        ("/dev/stdin", "not a regular file"),
    ] {
        let (code, _, stderr) =
            output_within(sb.std_cmd().args(new_with(&["--answers", file])), 20);
        assert_eq!(code, Some(2), "{file}: {stderr}");
        assert!(stderr.contains(want), "{file}: {stderr}");
    }
    let big = sb.root.join("big.toml");
    fs::write(&big, format!("description = \"{}\"\n", "x".repeat(2 << 20))).unwrap();
    let big = big.display().to_string();
    sb.refused(
        &new_with(&["--answers", &big])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        2,
        "larger than",
    );
    let dup = sb.root.join("dup.json");
    fs::write(
        &dup,
        r#"{"module": "example.com/a/b", "module": "example.com/c/d"}"#,
    )
    .unwrap();
    let dup = dup.display().to_string();
    sb.refused(
        &new_with(&["--answers", &dup])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        2,
        "appears twice",
    );
    // A huge answer is named, not echoed whole (argv takes at most 128 KiB per argument;
    // the answers file above takes it to 1 MiB).
    let huge = format!("module={}", "x".repeat(100_000));
    let out = sb.cmd().args(new_with(&["--set", &huge])).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr.len() < 16 * 1024,
        "{} bytes of stderr",
        out.stderr.len()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("more characters"));
}

/// Issue 12.10: resolving a manifest of 20,000 questions is linear (the quadratic version
/// needed minutes); `new`, `info` and `lint` all finish well inside the bound.
#[test]
fn twenty_thousand_questions_resolve_in_linear_time() {
    let sb = Sandbox::new();
    let mut manifest = String::from("name = \"big\"\nversion = \"0.1.0\"\ndescription = \"x\"\n");
    for i in 0..20_000 {
        manifest.push_str(&format!(
            "[[question]]\nkey = \"q{i}\"\ntype = \"bool\"\ndefault = true\n"
        ));
        if i > 0 {
            manifest.push_str(&format!("when = \"q{}\"\n", i - 1));
        }
    }
    let bp = sb.root.join("blueprints/big");
    write_blueprint(
        &bp,
        &[
            ("blueprint.toml", &manifest),
            ("template/x.txt.jinja", "{{ q19999 }}\n"),
        ],
    );
    let bp = bp.display().to_string();
    for args in [
        vec!["new", bp.as_str(), "out", "--no-input", "--no-git"],
        vec!["info", bp.as_str()],
        vec!["blueprint", "lint", bp.as_str()],
    ] {
        let started = std::time::Instant::now();
        let (code, _, stderr) = output_within(sb.std_cmd().args(&args), 60);
        assert!(matches!(code, Some(0)), "{args:?}: {code:?} {stderr}");
        eprintln!("{args:?}: {:?}", started.elapsed());
    }
    assert_eq!(
        fs::read_to_string(sb.work().join("out/x.txt")).unwrap(),
        "True\n"
    );
}

/// Issue 12.8: text from a blueprint or an answer never reaches the terminal with control
/// characters: descriptions, prompts, help, choices, file names and error messages are
/// escaped in text and JSON output alike.
#[test]
fn untrusted_text_is_escaped_before_it_reaches_a_terminal() {
    let sb = Sandbox::new();
    // OSC 52 (clipboard write), a line rewrite, C1 CSI and a bidi override.
    let evil = r"\u001b]52;c;cm0gLXJmIH4=\u0007\r\u001b[2K\u009b31m\u202eevil";
    let manifest = format!(
        "name = \"esc\"\nversion = \"0.1.0\"\ndescription = \"Looks {evil} fine\"\n\
         [[question]]\nkey = \"style\"\ntype = \"choice\"\ndefault = \"a\"\nprompt = \"Pick {evil}\"\n\
         help = \"Help {evil}\"\nchoices = [{{ value = \"a\", help = \"A {evil}\" }}, \"b\"]\n"
    );
    let root = sb.root.join("search/esc");
    write_blueprint(
        &root,
        &[
            ("blueprint.toml", &manifest),
            ("template/ok.txt.jinja", "{{ style }}\n"),
            ("template/broken.txt.jinja", "line {{ nope }} \u{1b}[2J\n"),
        ],
    );
    let bp = root.display().to_string();
    let raw = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
    };
    let search = sb.root.join("search");
    let runs: Vec<Vec<&str>> = vec![
        vec!["info", &bp],
        vec!["info", &bp, "--json"],
        vec!["info", &bp, "--schema"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["blueprint", "lint", &bp],
        vec!["blueprint", "lint", &bp, "--json"],
        vec!["new", &bp, "out", "--no-input"],
        vec!["new", &bp, "out", "--no-input", "--json"],
    ];
    for args in runs {
        let out = sb
            .cmd()
            .env("GOGEN_BLUEPRINT_PATH", &search)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            !raw(&out.stdout),
            "{args:?} stdout: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            !raw(&out.stderr),
            "{args:?} stderr: {:?}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.is_empty(), "{args:?} printed nothing");
    }
    // The escapes stay visible as text, so nothing is silently hidden either.
    let out = sb.cmd().args(["info", &bp]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\u{1b}]52"));
    // A file name from the blueprint in an error message.
    let named = custom(&sb, "named", &[("template/a\u{1b}[31mb.txt", "x")]);
    let out = sb
        .cmd()
        .args(["new", &named, "out", "--no-input"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !raw(&out.stderr),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 12.20: a requested `--go-mod-download` with no `go` is a failed post-step (stderr,
/// exit 3, the project kept), and every rerun hint pastes into a shell as printed.
#[test]
fn post_step_hints_paste_into_a_shell_and_a_missing_go_is_exit_3() {
    let sb = Sandbox::new();
    let no_go = sb.root.join("bin-no-go");
    fs::create_dir_all(&no_go).unwrap();
    let out = sb
        .cmd()
        .env("PATH", no_go.display().to_string())
        .args(new_hello("example.com/acme/x"))
        .args(["--no-git", "--go-mod-download"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("go-mod-download") && stderr.contains("go mod download"),
        "{stderr}"
    );
    assert!(is_complete(&sb.work().join("out")));

    // git that fails at the commit; the hint must run as printed (the target has a space).
    let real_git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    script_tool(
        &sb.root.join("bin"),
        "git",
        &format!(
            "case \"$*\" in *commit*) exit 1;; esac\nexec '{}' \"$@\"",
            real_git.trim()
        ),
    );
    let out = sb
        .cmd()
        .args(["new", &hello_blueprint(), "my project", "--no-input"])
        .args(["--set", "module=example.com/acme/x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let hint = stderr
        .split("rerun the step by hand: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no rerun hint: {stderr}"))
        .trim()
        .to_string();
    let gitconfig = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gogen-test-gitconfig");
    let status = std::process::Command::new("sh")
        .args(["-c", &hint])
        .current_dir(sb.work())
        .env("GIT_CONFIG_GLOBAL", gitconfig)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(status.success(), "the printed hint failed: {hint}");
    assert!(sb.work().join("my project/.git").is_dir());
}

/// Issue 12.10: an empty mount point is a valid target (a rename into it from the parent
/// would cross filesystems, so gogen stages inside it), and a write that fails there
/// (the filesystem is full) leaves the mount point as empty as it was. Needs a user and
/// mount namespace (`unshare -rm`) for a private tmpfs.
#[test]
fn an_empty_mount_point_works_as_a_target() {
    let sb = Sandbox::new();
    fs::create_dir(sb.work().join("mnt")).unwrap();
    let base = sb.std_cmd();
    let run = |size: &str| -> String {
        let mut cmd = std::process::Command::new("unshare");
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let script = "mount -t tmpfs -o size=\"$SIZE\" none mnt || { echo no-mount; exit 0; }
rm -rf copy
\"$GOGEN\" new rest-api mnt --no-input --no-git --set module=example.com/acme/m >/dev/null 2>err.txt
echo \"rc=$?\"
ls -A mnt
cp -a mnt copy";
        let out = cmd
            .args(["-rm", "sh", "-c", script])
            .env("GOGEN", env!("CARGO_BIN_EXE_gogen"))
            .env("SIZE", size)
            .current_dir(sb.work())
            .output()
            .expect("unshare runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && !stdout.contains("no-mount"),
            "this test needs `unshare -rm` and a tmpfs mount: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let roomy = run("64m");
    let err = fs::read_to_string(sb.work().join("err.txt")).unwrap();
    assert!(roomy.starts_with("rc=0\n"), "{roomy}{err}");
    assert!(!roomy.contains(".gogen-"), "staging left: {roomy}");
    assert!(is_complete(&sb.work().join("copy")), "{roomy}");
    // Full after a few files: exit 1, the reason named, the mount point empty again.
    let full = run("16k");
    let err = fs::read_to_string(sb.work().join("err.txt")).unwrap();
    assert_eq!(full, "rc=1\n", "{err}");
    assert!(err.contains("No space left"), "{err}");
    assert_eq!(fs::read_dir(sb.work().join("copy")).unwrap().count(), 0);
    assert_eq!(
        fs::read_to_string(sb.root.join("outside/sentinel")).unwrap(),
        "do not touch"
    );
}

/// A file name longer than every common file system takes, or a generated path longer
/// than macOS's PATH_MAX, is refused while planning (exit 1, nothing written), not left to
/// fail half-way through the writes, or to produce a project that cannot be checked out.
#[test]
fn overlong_generated_names_and_paths_are_refused_while_planning() {
    let sb = Sandbox::new();
    let bp = custom(&sb, "long", &[("template/{{ name }}/x.txt", "x")]);
    let long_name = format!("name={}", "a".repeat(256));
    sb.refused(
        &["new", &bp, "out", "--no-input", "--set", &long_name],
        1,
        "at most 255",
    );
    // 255 bytes is still a file name.
    sb.cmd()
        .args(["new", &bp, "ok", "--no-input", "--no-git"])
        .args(["--set", &format!("name={}", "a".repeat(255))])
        .assert()
        .code(0);
    // A blueprint folder nested so deep that the generated path passes 1024 bytes.
    let deep: String = (0..160).map(|i| format!("d{i:05}/")).collect();
    let bp = custom(&sb, "deep", &[(&format!("template/{deep}f.txt"), "x")]);
    sb.refused(&["new", &bp, "out", "--no-input"], 1, "at most 1024");
}

/// Modes are exact whatever the umask: a generated file is 0644 (0755 when executable)
/// under umask 077 and under umask 000, as the lock file records them.
#[test]
fn file_modes_are_exact_under_any_umask() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let sb = Sandbox::new();
    let bp = custom(
        &sb,
        "modes",
        &[
            ("template/plain.txt", "x"),
            ("template/run.sh", "#!/bin/sh\n"),
            (
                "blueprint.toml",
                &format!("{MINIMAL_MANIFEST}[[files]]\npath = \"run.sh\"\nexecutable = true\n"),
            ),
        ],
    );
    for (i, mask) in [0o077u32, 0o000, 0o022].into_iter().enumerate() {
        let out = format!("out{i}");
        let mut cmd = sb.std_cmd();
        cmd.args(["new", &bp, &out, "--no-input", "--no-git"]);
        // SAFETY: umask is async-signal-safe and touches only the child's own state.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(mask as libc::mode_t);
                Ok(())
            });
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "umask {mask:o}");
        let mode = |name: &str| {
            fs::metadata(sb.work().join(&out).join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!(mode("plain.txt"), 0o644, "umask {mask:o}");
        assert_eq!(mode("run.sh"), 0o755, "umask {mask:o}");
        assert_eq!(mode(".gogen.toml"), 0o644, "umask {mask:o}");
    }
}

/// A run killed with SIGKILL (or a power cut) leaves its hidden staging folder behind; a
/// later run in the same folder removes it once its process is gone and it is older than
/// 15 minutes, and leaves alone a young one, one of a live process and any other `.gogen-`
/// name.
#[test]
fn a_later_run_removes_the_staging_folder_of_a_killed_one() {
    let sb = Sandbox::new();
    let signals = tempfile::tempdir().unwrap();
    let ready = signals.path().join("paused");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(new_hello("example.com/acme/x"))
        .arg("--no-git")
        .env("GOGEN_TEST_PAUSE", "staging:60000")
        .env("GOGEN_TEST_PAUSE_READY", &ready)
        .current_dir(sb.work())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("gogen to finish staging", || ready.exists());
    send_signal(child.id(), "-KILL");
    child.wait().unwrap();
    let killed = staging_leftovers(&sb.work());
    assert_eq!(killed.len(), 1, "{killed:?}");
    let work = sb.work();
    // Others: a live process's (this test's own pid), and a name gogen does not make.
    let live = format!(".gogen-{}-abcdefghij", std::process::id());
    for keep in [live.as_str(), ".gogen-mine"] {
        fs::create_dir(work.join(keep)).unwrap();
    }
    let age = |name: &str, when: &str| {
        let status = std::process::Command::new("touch")
            .args(["-d", when])
            .arg(work.join(name))
            .status()
            .unwrap();
        assert!(status.success());
    };
    for name in [killed[0].as_str(), live.as_str(), ".gogen-mine"] {
        age(name, "2 hours ago");
    }
    let run = |target: &str| {
        sb.cmd()
            .args(["new", &hello_blueprint(), target, "--no-input", "--no-git"])
            .args(["--set", "module=example.com/acme/x"])
            .assert()
            .code(0);
    };
    // Young: kept.
    age(&killed[0], "5 minutes ago");
    run("one");
    assert!(work.join(&killed[0]).exists());
    // Old and its process gone: removed; the others stay.
    age(&killed[0], "2 hours ago");
    run("two");
    assert!(!work.join(&killed[0]).exists());
    assert!(work.join(&live).exists() && work.join(".gogen-mine").exists());
}

/// Without DIR, the project name names the target folder. A blueprint's default for it is
/// untrusted text: `../escape` or an absolute path (say `~/.config/autostart`) must not
/// place the project outside the current folder. Refused with exit 2, nothing written.
#[test]
fn a_blueprint_default_project_name_cannot_place_the_project_elsewhere() {
    let sb = Sandbox::new();
    let outside = sb.root.join("outside/planted");
    for default in [
        "../escape",
        &outside.display().to_string(),
        "a/b",
        "..",
        "-rf",
    ] {
        let manifest = format!(
            "name = \"mini\"\nversion = \"0.1.0\"\ndescription = \"x\"\n[[question]]\nkey = \"project_name\"\ndefault = {default:?}\n"
        );
        let bp = custom(
            &sb,
            "placer",
            &[("blueprint.toml", &manifest), ("template/a.txt", "x")],
        );
        sb.refused(
            &["new", &bp, "--no-input", "--no-git"],
            2,
            "cannot name the target folder",
        );
    }
    // A plain name still works, in the current folder.
    let manifest = "name = \"mini\"\nversion = \"0.1.0\"\ndescription = \"x\"\n[[question]]\nkey = \"project_name\"\ndefault = \"fine\"\n";
    let bp = custom(
        &sb,
        "placer",
        &[("blueprint.toml", manifest), ("template/a.txt", "x")],
    );
    sb.cmd()
        .args(["new", &bp, "--no-input", "--no-git"])
        .assert()
        .code(0);
    assert!(sb.work().join("fine/a.txt").exists());
}

/// The next steps quote the project name in every command they print: a blueprint's
/// default `x; touch PWNED` must not become a second command when pasted into a shell.
#[test]
fn next_steps_quote_a_hostile_project_name() {
    let sb = Sandbox::new();
    let manifest = "name = \"mini\"\nversion = \"0.1.0\"\ndescription = \"x\"\n[[question]]\nkey = \"project_name\"\ndefault = \"x; touch PWNED\"\n";
    let bp = custom(
        &sb,
        "hint",
        &[("blueprint.toml", manifest), ("template/a.txt", "x")],
    );
    let out = sb
        .cmd()
        .args(["new", &bp, "--no-input", "--no-git"])
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("cd 'x; touch PWNED'"), "{stdout}");
    assert!(stdout.contains("go run './cmd/x; touch PWNED'"), "{stdout}");
}
