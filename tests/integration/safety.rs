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
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"))
        .args(new_hello("example.com/acme/x"))
        .arg("--no-git")
        .env("GOGEN_TEST_PAUSE_AFTER_STAGING_MS", "20000")
        .current_dir(sb.work())
        .spawn()
        .unwrap();
    // Wait until the staging folder exists, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while staging_leftovers(&sb.work()).is_empty() {
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
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
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
