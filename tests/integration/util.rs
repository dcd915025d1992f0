//! Shared helpers: running gogen, hashing trees, fake tools that record their argv.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn hello_blueprint() -> String {
    repo_root()
        .join("examples/blueprints/hello")
        .display()
        .to_string()
}

/// gogen with a predictable environment: no colours, no prompts, an isolated git identity.
pub fn gogen(home: &Path) -> Command {
    Command::from_std(gogen_std(home))
}

/// The same, as a plain `std::process::Command`.
pub fn gogen_std(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"));
    // Outside every test's sandbox, so "nothing changed" checks stay exact.
    let gitconfig = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gogen-test-gitconfig");
    if !gitconfig.exists() {
        fs::write(
            &gitconfig,
            "[user]\n\tname = gogen test\n\temail = test@gogen.invalid\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
    }
    // No org config or search path from the machine leaks into a test.
    let no_config = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-config");
    cmd.env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", no_config)
        .env_remove("GOGEN_CONFIG")
        .env_remove("GOGEN_BLUEPRINT_PATH")
        .env("GIT_CONFIG_GLOBAL", &gitconfig)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GOGEN_NO_INPUT")
        .current_dir(home);
    cmd
}

/// A stand-in for `go` or `git` that appends its argv to `log` and exits with `code`.
pub fn fake_tool(bin: &Path, name: &str, log: &Path, code: i32) {
    fs::create_dir_all(bin).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s' \"{name}\" >> '{log}'\nfor a in \"$@\"; do printf ' [%s]' \"$a\" >> '{log}'; done\nprintf '\\n' >> '{log}'\ncase \"$1\" in version|--version) exit 0;; esac\nexit {code}\n",
        log = log.display()
    );
    let path = bin.join(name);
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// PATH with `bin` first, so fakes shadow the real tools.
pub fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Every entry under `root` (relative path → kind, mode and content hash), for
/// "nothing changed" assertions. Links are recorded, never followed.
pub fn tree_state(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if fs::symlink_metadata(root).is_err() {
        return out;
    }
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        let meta = entry.path().symlink_metadata().unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        let desc = if meta.file_type().is_symlink() {
            format!("link -> {}", fs::read_link(entry.path()).unwrap().display())
        } else if meta.is_dir() {
            format!("dir {mode:o}")
        } else {
            let bytes = fs::read(entry.path()).unwrap();
            format!("file {mode:o} {}", gogen::blueprint::sha256_hex(&bytes))
        };
        out.insert(rel, desc);
    }
    out
}

/// Names of leftover staging folders in `dir`.
pub fn staging_leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".gogen-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Writes a blueprint folder from (path, content) pairs.
pub fn write_blueprint(root: &Path, files: &[(&str, &str)]) {
    for (rel, content) in files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

pub const MINIMAL_MANIFEST: &str = r#"name = "mini"
version = "0.1.0"
description = "A minimal test blueprint."

[[question]]
key = "name"
default = "demo"
"#;

/// Is the real Go toolchain here? Tests that need it fail under GOGEN_REQUIRE_GO=1
/// and skip loudly otherwise.
pub fn require_go(test: &str) -> bool {
    let found = std::process::Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    if std::env::var("GOGEN_REQUIRE_GO").as_deref() == Ok("1") {
        panic!("{test}: `go` is not on PATH and GOGEN_REQUIRE_GO=1");
    }
    eprintln!(
        "\n!!! SKIPPED {test}: `go` is not on PATH (set GOGEN_REQUIRE_GO=1 to make this fail)\n"
    );
    false
}

/// A stand-in tool with a shell body of the test's choosing.
pub fn script_tool(bin: &Path, name: &str, body: &str) {
    fs::create_dir_all(bin).unwrap();
    let path = bin.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Waits until `check` holds (failing after 90 s).
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    // Only a bound against hanging: a loaded machine may take long to get there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never happened"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Sends a signal (`-TERM`, `-INT`) to a process.
pub fn send_signal(pid: u32, signal: &str) {
    std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
}

/// Is the process alive (and not a zombie)?
pub fn process_alive(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

/// Runs a command, killing it after `secs` (a runaway must not hold up the suite); the
/// status is `None` when it had to be killed.
pub fn output_within(cmd: &mut std::process::Command, secs: u64) -> (Option<i32>, String, String) {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().or(Some(-1));
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (code, out_reader.join().unwrap(), err_reader.join().unwrap())
}
