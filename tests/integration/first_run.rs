//! Issue #13 point 6: a generated README's first-run commands work as written. The harness
//! replays them in every checked project: it starts the servers the README starts (`make run`,
//! `make sandbox`, `VAR=… go run ./cmd/x`), then runs the README's other shell commands (`curl`,
//! `go run ./cmd/x -h`, `create-admin`, `make lint` with no golangci-lint on PATH, …) block by block
//! with `bash -euo pipefail`, then stops the servers with SIGTERM. The ports the README uses
//! (`localhost:8080`, the defaults `-h` lists) are moved to free loopback ports, so several projects
//! replay at once. Commands that need what CI lacks (docker, kubectl, load tools, a placeholder such
//! as `<id>` or `pay_...`, an endless stream) are listed as skipped, never silently dropped.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The stdin of every command (create-admin reads the password from its first line).
const STDIN: &str = "correct horse battery staple\n";

#[derive(Debug, PartialEq)]
pub enum Line {
    /// Starts a long-running process; the value is the command as written.
    Server(String),
    /// Runs to completion in its block's shell.
    Run(String),
    Skip(String, &'static str),
}

/// The fenced `sh`/`bash`/`shell` blocks of a Markdown text, continuation lines joined, and the
/// inline code spans of the prose that run a command of the project (`go run ./cmd/…` with args).
pub fn shell_blocks(markdown: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let mut blocks = Vec::new();
    let mut inline = Vec::new();
    let mut current: Option<Vec<String>> = None;
    let mut pending = String::new();
    let mut fence_other = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(lang) = trimmed.strip_prefix("```") {
            if let Some(block) = current.take() {
                blocks.push(block);
            } else if fence_other {
                fence_other = false;
            } else if ["sh", "bash", "shell", "console"].contains(&lang.trim()) {
                current = Some(Vec::new());
            } else {
                fence_other = true;
            }
            continue;
        }
        if let Some(block) = current.as_mut() {
            if let Some(body) = line.strip_suffix('\\') {
                pending.push_str(body);
                continue;
            }
            pending.push_str(line);
            block.push(std::mem::take(&mut pending));
        } else if !fence_other {
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1
                    && span.starts_with("go run ./cmd/")
                    && span.split_whitespace().count() > 3
                {
                    inline.push(span.to_string());
                }
            }
        }
    }
    (blocks, inline)
}

/// The line without a trailing `# comment` (a `#` after whitespace, outside quotes).
fn strip_comment(line: &str) -> &str {
    let (mut single, mut double, mut prev_space) = (false, false, true);
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev_space => return line[..i].trim_end(),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line.trim_end()
}

/// The shell words of a line: whitespace outside quotes and `$(…)` separates them.
fn shell_words(line: &str) -> Vec<&str> {
    let (mut words, mut start) = (Vec::new(), None);
    let (mut single, mut double, mut depth) = (false, false, 0usize);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '(' if !single && prev == '$' => depth += 1,
            ')' if !single && depth > 0 => depth -= 1,
            _ => {}
        }
        let quiet = !single && !double && depth == 0;
        if c.is_whitespace() && quiet {
            if let Some(s) = start.take() {
                words.push(&line[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
        prev = c;
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    words
}

/// The words of a command line that come after its leading `NAME=value` assignments.
fn command_words(line: &str) -> Vec<&str> {
    shell_words(line)
        .into_iter()
        .skip_while(|w| {
            w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
        .collect()
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// The names a line assigns before its command (`TOKEN=$(curl …)`, `AUTH="…"`).
fn assigned_names(line: &str) -> Vec<String> {
    shell_words(line)
        .into_iter()
        .map_while(|w| {
            let (k, _) = w.split_once('=')?;
            let ok = !k.is_empty()
                && !k.starts_with(|c: char| c.is_ascii_digit())
                && k.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            ok.then(|| k.to_string())
        })
        .collect()
}

/// Whether line expands $name or ${name…} (not a longer name such as $names).
fn uses_var(line: &str, name: &str) -> bool {
    line.match_indices('$').any(|(i, _)| {
        let rest = &line[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.strip_prefix(name).is_some_and(|after| {
            !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

/// Within one block, a line that uses a variable a skipped line would have set (`$TOKEN` after a
/// login with a `<placeholder>` password) is skipped too, and so on transitively: it could only
/// fail for a reason that is not the README's.
fn skip_dependents(block: Vec<Line>) -> Vec<Line> {
    let mut unset: Vec<String> = Vec::new();
    block
        .into_iter()
        .map(|l| {
            let uses_unset = |s: &str| unset.iter().any(|v| uses_var(s, v));
            let l = match l {
                Line::Run(s) if uses_unset(&s) => Line::Skip(s, "uses a value of a skipped line"),
                l => l,
            };
            if let Line::Skip(s, _) = &l {
                unset.extend(assigned_names(s));
            }
            l
        })
        .collect()
}

pub fn classify(raw: &str) -> Line {
    let line = strip_comment(raw).trim().to_string();
    if line.is_empty() {
        return Line::Skip(raw.into(), "comment");
    }
    if line.contains("...") || (line.contains('<') && line.contains('>')) {
        return Line::Skip(line, "placeholder");
    }
    let words = command_words(&line);
    let Some(&first) = words.first() else {
        // Only assignments (KEY=value, TOKEN=$(curl …)): shell state for the block.
        return Line::Run(line);
    };
    match (first, words.get(1).copied()) {
        ("go", Some("run")) if words.get(2).is_some_and(|w| w.starts_with("./cmd/")) => {
            if words.len() == 3 {
                Line::Server(line)
            } else {
                Line::Run(line)
            }
        }
        ("go", _) => Line::Skip(line, "go test and friends: the harness runs them"),
        ("make", Some("run" | "sandbox")) => Line::Server(line),
        ("make", Some("build" | "lint" | "help" | "migrate")) => Line::Run(line),
        ("make", _) => Line::Skip(
            line,
            "make target the harness covers or that needs docker/network",
        ),
        ("curl", _) if words.contains(&"-N") || words.contains(&"-sN") => {
            Line::Skip(line, "endless stream")
        }
        ("curl", _) => {
            // uuidgen is always there: the replay brings one when the machine has none.
            if line.contains("jq") && !on_path("jq") {
                return Line::Skip(line, "needs a tool that is not installed");
            }
            Line::Run(line)
        }
        _ => Line::Skip(line, "needs docker, kubectl or a load tool"),
    }
}

/// A free TCP port on loopback (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Replay<'a> {
    dir: &'a Path,
    env: Vec<(String, String)>,
    /// README port → free port.
    ports: BTreeMap<u16, u16>,
    /// The free ports some server listens on (its `*_ADDR` variables).
    listen: std::collections::BTreeSet<u16>,
}

/// Put before every script: the README's `curl` lines count as run only when the server answers
/// them with a success status (`curl -s` alone exits 0 on a 401 or a 500 too).
const PRELUDE: &str = "curl() { command curl --fail-with-body \"$@\"; }\n";

impl Replay<'_> {
    fn command(&self, script: &str) -> Command {
        let mut cmd = Command::new("bash");
        cmd.args(["-euo", "pipefail", "-c", &format!("{PRELUDE}{script}")])
            .current_dir(self.dir)
            .env_remove("CI")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        cmd
    }

    /// `localhost:8080` and friends in a README line, moved to this replay's ports.
    fn remap(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.ports {
            for host in ["localhost:", "127.0.0.1:"] {
                out = out.replace(&format!("{host}{from}"), &format!("127.0.0.1:{to}"));
            }
            out = out.replace(&format!("=:{from}"), &format!("=127.0.0.1:{to}"));
        }
        out
    }

    /// The command a server line runs (`make run` → its recipe), for `-h`.
    fn program(&self, line: &str) -> Result<String, String> {
        let words = command_words(line);
        if words[0] == "go" {
            return Ok(words[2].to_string());
        }
        let out = Command::new("make")
            .args(["-n", words[1]])
            .current_dir(self.dir)
            .output()
            .map_err(|e| e.to_string())?;
        let recipe = String::from_utf8_lossy(&out.stdout);
        recipe
            .split_whitespace()
            .find(|w| w.starts_with("./cmd/"))
            .map(str::to_string)
            .ok_or_else(|| format!("`make -n {}` runs no ./cmd/ program: {recipe}", words[1]))
    }

    /// Learns a program's variables from its `-h` (B8: every variable with its default) and
    /// moves every default that names a port to a free one, e.g. HTTP_ADDR=:8080.
    fn learn_ports(&mut self, program: &str) -> Result<(), String> {
        let out = self.run_to_end(&format!("go run {program} -h"), Duration::from_secs(300))?;
        for line in out.lines() {
            let mut parts = line.split_whitespace();
            let (Some(name), Some(default)) = (parts.next(), parts.next()) else {
                continue;
            };
            // Listen addresses, and loopback URLs of the README's other servers (PROVIDER_URL);
            // never a database URL, which the harness sets.
            let local_url = ["http://127.0.0.1:", "http://localhost:"]
                .iter()
                .any(|p| default.starts_with(p));
            if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                || !(name.ends_with("_ADDR") || (name.ends_with("_URL") && local_url))
            {
                continue;
            }
            let Some(port) = default
                .rsplit(':')
                .next()
                .and_then(|p| p.split('/').next())
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|_| default.contains(':'))
            else {
                continue;
            };
            let free = *self.ports.entry(port).or_insert_with(free_port);
            if name.ends_with("_ADDR") {
                self.listen.insert(free);
            }
            let value = if default.starts_with(':') {
                format!("127.0.0.1:{free}")
            } else {
                default.replace(&format!(":{port}"), &format!(":{free}"))
            };
            if !self.env.iter().any(|(k, _)| k == name) {
                self.env.push((name.to_string(), value));
            }
        }
        Ok(())
    }

    fn run_to_end(&self, script: &str, limit: Duration) -> Result<String, String> {
        let mut child = self.command(script).spawn().map_err(|e| e.to_string())?;
        child.stdin.take().unwrap().write_all(STDIN.as_bytes()).ok();
        let started = Instant::now();
        loop {
            if child.try_wait().map_err(|e| e.to_string())?.is_some() {
                break;
            }
            if started.elapsed() > limit {
                stop(&mut child);
                return Err(format!("`{script}` did not finish within {limit:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!("`{script}` failed ({}):\n{text}", out.status))
        }
    }
}

/// SIGTERM to the whole process group (bash, go run and the program), SIGKILL after 30 s.
fn stop(child: &mut Child) {
    let group = child.id() as i32;
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .status();
    let _ = child.wait();
}

/// Replays the README of the project in `dir`; returns a one-line summary.
pub fn replay(dir: &Path, env: Vec<(String, String)>) -> Result<String, String> {
    let readme =
        std::fs::read_to_string(dir.join("README.md")).map_err(|e| format!("README.md: {e}"))?;
    let (blocks, inline) = shell_blocks(&readme);
    let classified: Vec<Vec<Line>> = blocks
        .iter()
        .map(|b| skip_dependents(b.iter().map(|l| classify(l)).collect()))
        .collect();
    // `make lint` must work with no golangci-lint installed: drop it from PATH.
    let path = std::env::var_os("PATH").map(|p| {
        std::env::join_paths(
            std::env::split_paths(&p).filter(|d| !d.join("golangci-lint").exists()),
        )
        .unwrap()
        .to_string_lossy()
        .into_owned()
    });
    // golangci-lint refuses to run while another instance holds its lock in TMPDIR: give every
    // replay its own, as every newcomer's machine has.
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    // `$(uuidgen)` (payments' Idempotency-Key) on machines without util-linux's uuidgen.
    let path = if on_path("uuidgen") {
        path
    } else {
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).map_err(|e| e.to_string())?;
        let shim = bin.join("uuidgen");
        std::fs::write(&shim, "#!/bin/sh\ncat /proc/sys/kernel/random/uuid\n")
            .map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        Some(format!("{}:{}", bin.display(), path.unwrap_or_default()))
    };
    let mut env = env;
    env.extend(path.map(|p| ("PATH".to_string(), p)));
    env.push(("TMPDIR".to_string(), tmp.path().display().to_string()));
    let mut replay = Replay {
        dir,
        env,
        ports: BTreeMap::new(),
        listen: Default::default(),
    };
    let servers: Vec<&String> = classified
        .iter()
        .flatten()
        .filter_map(|l| match l {
            Line::Server(s) => Some(s),
            _ => None,
        })
        .collect();
    if servers.is_empty() {
        return Err(
            "the README starts no server (no `make run` or `go run ./cmd/...` in a sh block)"
                .into(),
        );
    }
    for s in &servers {
        let program = replay.program(s)?;
        replay.learn_ports(&program)?;
    }
    let mut running: Vec<(String, Child)> = Vec::new();
    let result = (|| -> Result<String, String> {
        for s in &servers {
            let line = replay.remap(s);
            let child = replay.command(&line).spawn().map_err(|e| e.to_string())?;
            running.push((line, child));
        }
        // Ready when every remapped port accepts connections (servers build first: be patient).
        let started = Instant::now();
        let ports: Vec<u16> = replay.listen.iter().copied().collect();
        if ports.is_empty() {
            return Err("the README's servers list no *_ADDR variable in -h".into());
        }
        loop {
            for (line, child) in running.iter_mut() {
                if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                    let mut text = String::new();
                    use std::io::Read;
                    child.stdout.take().map(|mut o| o.read_to_string(&mut text));
                    child.stderr.take().map(|mut o| o.read_to_string(&mut text));
                    return Err(format!(
                        "server `{line}` exited ({status}) before it served:\n{text}"
                    ));
                }
            }
            if ports
                .iter()
                .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(300) {
                return Err(format!(
                    "servers {servers:?} did not listen on {ports:?} within 300 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut ran = 0;
        for block in &classified {
            let lines: Vec<String> = block
                .iter()
                .filter_map(|l| match l {
                    Line::Run(s) => Some(replay.remap(s)),
                    _ => None,
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            ran += lines.len();
            replay.run_to_end(&lines.join("\n"), Duration::from_secs(300))?;
        }
        // The recipe the .env.example headers give: the file sources as shell assignments.
        if replay.dir.join(".env.example").is_file() {
            ran += 1;
            let program = replay.program(servers[servers.len() - 1])?;
            replay.run_to_end(
                &format!("set -a; . ./.env.example; set +a; go run {program} -h"),
                Duration::from_secs(300),
            )?;
        }
        for span in &inline {
            ran += 1;
            replay.run_to_end(&replay.remap(span), Duration::from_secs(300))?;
        }
        let skipped: Vec<String> = classified
            .iter()
            .flatten()
            .filter_map(|l| match l {
                Line::Skip(s, why) if *why != "comment" => Some(format!("`{s}` ({why})")),
                _ => None,
            })
            .collect();
        Ok(format!(
            "README replayed: {} server(s), {ran} command(s); skipped {}: {}",
            servers.len(),
            skipped.len(),
            skipped.join(", ")
        ))
    })();
    for (_, child) in running.iter_mut() {
        stop(child);
    }
    result
}

#[test]
fn readme_lines_are_classified_as_a_newcomer_would_run_them() {
    let md = "intro `go run ./cmd/users create-admin -email a@b.c` and `go run ./cmd/users`\n\
```sh\nADMIN_EMAIL=a@b.c go run ./cmd/users   # start\ncurl -s localhost:8080/v1/x \\\n  -H 'A: b'\n```\n\
```go\nfunc main() {}\n```\n```sh\nmake test-race\nmake lint    # pinned\ncurl -s localhost:8080/v1/users/<id>\n```\n";
    let (blocks, inline) = shell_blocks(md);
    assert_eq!(inline, vec!["go run ./cmd/users create-admin -email a@b.c"]);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0][1], "curl -s localhost:8080/v1/x   -H 'A: b'");
    let got: Vec<Line> = blocks.iter().flatten().map(|l| classify(l)).collect();
    assert_eq!(
        got[0],
        Line::Server("ADMIN_EMAIL=a@b.c go run ./cmd/users".into())
    );
    assert_eq!(
        got[1],
        Line::Run("curl -s localhost:8080/v1/x   -H 'A: b'".into())
    );
    assert!(matches!(got[2], Line::Skip(_, _)));
    assert_eq!(got[3], Line::Run("make lint".into()));
    assert!(matches!(got[4], Line::Skip(_, "placeholder")));
    assert_eq!(classify("KEY=x   # the key"), Line::Run("KEY=x".into()));
    let token = r#"TOKEN=$(curl -s localhost:8080/t -d '{"a": 1}' | jq -r .x)"#;
    if on_path("jq") {
        assert_eq!(classify(token), Line::Run(token.into()));
    }
    let payment = r#"curl -s -X POST localhost:8080/v1/payments -H "Idempotency-Key: $(uuidgen)""#;
    assert_eq!(classify(payment), Line::Run(payment.into()));
    let auth = r#"AUTH="Authorization: Bearer $TOKEN""#;
    assert_eq!(classify(auth), Line::Run(auth.into()));
    assert_eq!(
        shell_words(r#"A="x y" go run ./cmd/p"#),
        vec![r#"A="x y""#, "go", "run", "./cmd/p"]
    );
    assert_eq!(
        strip_comment("curl -d '{\"a\":\"#1\"}' # c"),
        "curl -d '{\"a\":\"#1\"}'"
    );
}

#[test]
fn lines_using_a_value_of_a_skipped_line_are_skipped_too() {
    let block = [
        r#"TOKEN=$(curl -s localhost:8080/t -d '{"password":"<printed password>"}' | jq -r .t)"#,
        r#"AUTH="Authorization: Bearer $TOKEN""#,
        r#"curl -s localhost:8080/v1/users -H "$AUTH""#,
        r#"curl -s localhost:8080/v1/users/1 -H "${AUTH}""#,
        "curl -s localhost:8080/readyz",
        r#"TOKENS=1 curl -s localhost:8080/x -H "$TOKENS""#,
    ];
    let got = skip_dependents(block.iter().map(|l| classify(l)).collect());
    assert!(matches!(got[0], Line::Skip(_, "placeholder")), "{got:?}");
    for (i, l) in got.iter().enumerate().take(4).skip(1) {
        assert!(
            matches!(l, Line::Skip(_, "uses a value of a skipped line")),
            "{i}: {l:?}"
        );
    }
    assert_eq!(got[4], Line::Run(block[4].into()));
    // $TOKENS is another variable than the skipped TOKEN: it runs (a prefix is no match).
    assert!(matches!(got[5], Line::Run(_)), "{:?}", got[5]);
}

/// A README `curl` line the server answers with an error status fails the replay, also inside a
/// command substitution (`TOKEN=$(curl … | jq …)`); a success passes.
#[test]
fn a_curl_line_answered_with_an_error_status_fails_the_replay() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = std::io::Read::read(&mut s, &mut buf).unwrap_or(0);
            let ok = String::from_utf8_lossy(&buf[..n]).starts_with("GET /ok ");
            let status = if ok { "200 OK" } else { "401 Unauthorized" };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let replay = Replay {
        dir: dir.path(),
        env: Vec::new(),
        ports: BTreeMap::new(),
        listen: Default::default(),
    };
    let limit = Duration::from_secs(60);
    let ok = replay.run_to_end(&format!("curl -s 127.0.0.1:{port}/ok"), limit);
    assert!(ok.is_ok(), "{ok:?}");
    let err = replay
        .run_to_end(&format!("curl -si 127.0.0.1:{port}/v1/users"), limit)
        .unwrap_err();
    assert!(err.contains("401"), "{err}");
    let sub = replay.run_to_end(&format!("T=$(curl -s 127.0.0.1:{port}/t | cat)"), limit);
    assert!(sub.is_err(), "{sub:?}");
}
