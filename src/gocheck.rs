//! The Go toolchain checks a generated project must pass: gofmt, vet, a cgo-free build,
//! race tests, a tidy module, and golangci-lint where the project ships a config.
//! Used by gogen's own test harness and by `gogen blueprint lint --go`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Default)]
pub struct GoCheck {
    /// Extra build tags for `go test` and the linter.
    pub tags: Vec<String>,
    /// Extra environment, e.g. `DATABASE_URL`.
    pub env: Vec<(String, String)>,
    /// The golangci-lint binary; `None` finds it on PATH or in `$(go env GOPATH)/bin`.
    pub golangci_lint: Option<PathBuf>,
    /// golangci-lint's cache. Its entries record file paths, and a hit whose files were
    /// deleted (an earlier temporary project) loses `//nolint` handling, so give every
    /// batch of temporary projects a cache that lives as long as they do.
    pub lint_cache: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct StepFailure {
    pub step: String,
    pub output: String,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` failed:\n{}", self.step, self.output)
    }
}

impl GoCheck {
    fn run(
        &self,
        dir: &Path,
        extra_env: &[(&str, &str)],
        argv: &[&str],
    ) -> Result<String, StepFailure> {
        let step = argv.join(" ");
        let out = Command::new(argv[0])
            .args(&argv[1..])
            .current_dir(dir)
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "")
            .env_remove("CI")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra_env.iter().copied())
            .output()
            .map_err(|e| StepFailure {
                step: step.clone(),
                output: format!("cannot run {}: {e}", argv[0]),
            })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(StepFailure {
                step,
                output: format!("({})\n{text}", out.status),
            })
        }
    }

    /// Runs every check in `dir`, stopping at the first failure.
    pub fn check(&self, dir: &Path) -> Result<(), StepFailure> {
        let unformatted = self.run(dir, &[], &["gofmt", "-l", "."])?;
        if !unformatted.trim().is_empty() {
            return Err(StepFailure {
                step: "gofmt -l .".into(),
                output: format!("files not gofmt-clean:\n{unformatted}"),
            });
        }
        self.run(dir, &[], &["go", "vet", "./..."])?;
        self.run(dir, &[("CGO_ENABLED", "0")], &["go", "build", "./..."])?;
        let tags = self.tags.join(",");
        let mut test = vec!["go", "test", "-race", "-count=1", "-shuffle=on"];
        if !tags.is_empty() {
            test.extend(["-tags", &tags]);
        }
        test.push("./...");
        self.run(dir, &[], &test)?;
        self.run(dir, &[], &["go", "mod", "tidy", "-diff"])?;
        if dir.join(".golangci.yml").is_file() {
            let lint = match &self.golangci_lint {
                Some(p) => p.clone(),
                None => find_golangci_lint().ok_or_else(|| StepFailure {
                    step: "golangci-lint run".into(),
                    output: "golangci-lint is not installed (go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.12.2)".into(),
                })?,
            };
            let lint = lint.display().to_string();
            // Harness threads and other checks may lint at once: wait for the lock, don't fail.
            let mut args = vec![lint.as_str(), "run", "--allow-serial-runners"];
            if !tags.is_empty() {
                args.extend(["--build-tags", &tags]);
            }
            let cache = self.lint_cache.as_ref().map(|p| p.display().to_string());
            let cache_env: Vec<(&str, &str)> = cache
                .as_deref()
                .map(|c| vec![("GOLANGCI_LINT_CACHE", c)])
                .unwrap_or_default();
            self.run(dir, &cache_env, &args)?;
        }
        Ok(())
    }
}

/// Is `go` on PATH?
pub fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn find_golangci_lint() -> Option<PathBuf> {
    let works = |p: &Path| {
        Command::new(p)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(Path::new("golangci-lint")) {
        return Some(PathBuf::from("golangci-lint"));
    }
    let gopath = Command::new("go").args(["env", "GOPATH"]).output().ok()?;
    let candidate =
        PathBuf::from(String::from_utf8_lossy(&gopath.stdout).trim()).join("bin/golangci-lint");
    works(&candidate).then_some(candidate)
}

/// Creates a fresh, empty database on a PostgreSQL server (with `psql`) and returns its URL.
pub fn fresh_database(server_url: &str, label: &str) -> Result<String, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "gogen_{}_{}_{}",
        label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            })
            .collect::<String>(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let out = Command::new("psql")
            .args([server_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", &sql])
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "psql {sql}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server_url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    Ok(format!("{base}/{name}{query}"))
}
