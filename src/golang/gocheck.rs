//! The Go toolchain checks a generated project must pass: gofmt, vet, a cgo-free build,
//! race tests, a tidy and verified module, golangci-lint where the project ships a config,
//! and (given an offline vulnerability database) no reachable known vulnerability.
//! Used by gogen's own test harness and by `gogen blueprint lint --go`.
//!
//! A project whose `tools/go.mod` pins golangci-lint or govulncheck as Go tools is checked with
//! those (`go tool -modfile=tools/go.mod …`), exactly as its Makefile and CI run them.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Default)]
pub struct GoCheck {
    /// Extra build tags for `go test` and the linter.
    pub tags: Vec<String>,
    /// Extra environment, e.g. `DATABASE_URL`.
    pub env: Vec<(String, String)>,
    /// `GOTOOLCHAIN` for every step, e.g. `go1.27.4` (fetched through the module proxy once,
    /// then kept in the module cache). `None` runs the local toolchain only.
    pub toolchain: Option<String>,
    /// The golangci-lint binary for projects without a tools/go.mod pin; `None` finds it on
    /// PATH or in `$(go env GOPATH)/bin`.
    pub golangci_lint: Option<PathBuf>,
    /// golangci-lint's cache. Its entries record file paths, and a hit whose files were
    /// deleted (an earlier temporary project) loses `//nolint` handling, so give every
    /// batch of temporary projects a cache that lives as long as they do.
    pub lint_cache: Option<PathBuf>,
    /// Run govulncheck against this offline database; `None` skips the scan.
    pub vuln: Option<VulnScan>,
}

/// An offline govulncheck run.
#[derive(Debug, Clone)]
pub struct VulnScan {
    /// A database in govulncheck's format (`index/modules.json`, `ID/*.json`);
    /// `scripts/vulndb.py` builds one from the `golang.org/x/vulndb` module.
    pub db: PathBuf,
    /// The govulncheck version to `go run` when the project pins none in tools/go.mod.
    pub fallback_version: String,
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

/// Does the project pin `tool` (the last element of its package path) in tools/go.mod?
pub fn pins_tool(dir: &Path, tool: &str) -> bool {
    std::fs::read_to_string(dir.join("tools/go.mod")).is_ok_and(|text| {
        text.lines()
            .map(|l| {
                let l = l.trim();
                l.strip_prefix("tool ").unwrap_or(l).trim()
            })
            .any(|l| l.rsplit('/').next() == Some(tool) && !l.contains(' '))
    })
}

impl GoCheck {
    fn command(&self, dir: &Path, extra_env: &[(&str, &str)], argv: &[&str]) -> Command {
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .current_dir(dir)
            .env("GOTOOLCHAIN", self.toolchain.as_deref().unwrap_or("local"))
            .env("GOFLAGS", "")
            .env_remove("CI")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra_env.iter().copied());
        cmd
    }

    fn run(
        &self,
        dir: &Path,
        extra_env: &[(&str, &str)],
        argv: &[&str],
    ) -> Result<String, StepFailure> {
        let step = argv.join(" ");
        let out = self
            .command(dir, extra_env, argv)
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

    /// gofmt of the toolchain the checks run with, not whichever is first on PATH.
    fn gofmt(&self, dir: &Path) -> Result<String, StepFailure> {
        let goroot = self.run(dir, &[], &["go", "env", "GOROOT"])?;
        let gofmt = Path::new(goroot.trim()).join("bin/gofmt");
        let gofmt = gofmt.display().to_string();
        self.run(dir, &[], &[&gofmt, "-l", "."])
    }

    /// Runs every check in `dir`, stopping at the first failure.
    pub fn check(&self, dir: &Path) -> Result<(), StepFailure> {
        let unformatted = self.gofmt(dir)?;
        if !unformatted.trim().is_empty() {
            return Err(StepFailure {
                step: "gofmt -l .".into(),
                output: format!("files not gofmt-clean:\n{unformatted}"),
            });
        }
        // vet, build and the linters share one cgo-free build configuration.
        let no_cgo = [("CGO_ENABLED", "0")];
        self.run(dir, &no_cgo, &["go", "vet", "./..."])?;
        self.run(dir, &no_cgo, &["go", "build", "./..."])?;
        let tags = self.tags.join(",");
        let mut test = vec!["go", "test", "-race", "-count=1", "-shuffle=on"];
        if !tags.is_empty() {
            test.extend(["-tags", &tags]);
        }
        test.push("./...");
        self.run(dir, &[], &test)?;
        self.run(dir, &[], &["go", "mod", "tidy", "-diff"])?;
        self.run(dir, &[], &["go", "mod", "verify"])?;
        if dir.join("tools/go.mod").is_file() {
            // The tools module is tidied in its own folder (from the root, -modfile would
            // pull the project's imports into it).
            let tools = dir.join("tools");
            self.run(&tools, &[], &["go", "mod", "tidy", "-diff"])?;
            self.run(&tools, &[], &["go", "mod", "verify"])?;
        }
        if dir.join(".golangci.yml").is_file() {
            self.lint(dir, &tags)?;
        }
        if let Some(scan) = &self.vuln {
            self.vulncheck(dir, scan)?;
        }
        Ok(())
    }

    fn lint(&self, dir: &Path, tags: &str) -> Result<(), StepFailure> {
        let external;
        let mut args: Vec<&str> = if pins_tool(dir, "golangci-lint") {
            vec!["go", "tool", "-modfile=tools/go.mod", "golangci-lint"]
        } else {
            external = match &self.golangci_lint {
                Some(p) => p.clone(),
                None => find_golangci_lint().ok_or_else(|| StepFailure {
                    step: "golangci-lint run".into(),
                    output: "golangci-lint is not installed and the project pins none in tools/go.mod (go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@latest)".into(),
                })?,
            }
            .display()
            .to_string();
            vec![external.as_str()]
        };
        // Harness threads and other checks may lint at once: wait for the lock, don't fail.
        args.extend(["run", "--allow-serial-runners"]);
        if !tags.is_empty() {
            args.extend(["--build-tags", tags]);
        }
        let cache = self.lint_cache.as_ref().map(|p| p.display().to_string());
        let mut env = vec![("CGO_ENABLED", "0")];
        if let Some(c) = cache.as_deref() {
            env.push(("GOLANGCI_LINT_CACHE", c));
        }
        self.run(dir, &env, &args).map(drop)
    }

    fn vulncheck(&self, dir: &Path, scan: &VulnScan) -> Result<(), StepFailure> {
        let db = format!("file://{}", scan.db.display());
        let fallback = format!(
            "golang.org/x/vuln/cmd/govulncheck@{}",
            scan.fallback_version
        );
        let mut args: Vec<&str> = if pins_tool(dir, "govulncheck") {
            vec!["go", "tool", "-modfile=tools/go.mod", "govulncheck"]
        } else {
            vec!["go", "run", &fallback]
        };
        args.extend(["-db", &db, "-format", "json", "./..."]);
        let out = self
            .command(dir, &[("CGO_ENABLED", "0")], &args)
            .output()
            .map_err(|e| StepFailure {
                step: "govulncheck".into(),
                output: format!("cannot run go: {e}"),
            })?;
        let step = args.join(" ");
        if !out.status.success() {
            return Err(StepFailure {
                step,
                output: format!(
                    "({})\n{}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }
        let findings =
            reachable_vulnerabilities(&String::from_utf8_lossy(&out.stdout)).map_err(|e| {
                StepFailure {
                    step: step.clone(),
                    output: format!("cannot read govulncheck's JSON: {e}"),
                }
            })?;
        if findings.is_empty() {
            return Ok(());
        }
        Err(StepFailure {
            step,
            output: format!(
                "{} reachable known vulnerabilit{}:\n{}",
                findings.len(),
                if findings.len() == 1 { "y" } else { "ies" },
                findings
                    .iter()
                    .map(|f| format!("  {f}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        })
    }
}

/// One vulnerability the code reaches, as govulncheck's JSON reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The advisory, e.g. `GO-2026-4100`.
    pub advisory: String,
    /// The module and the version in use, e.g. `golang.org/x/crypto` `v0.55.0` (`stdlib` for Go).
    pub module: String,
    pub version: String,
    /// The first version without it, or empty when there is no fix.
    pub fixed: String,
    /// The vulnerable symbol the code calls, e.g. `ssh.NewServerConn`.
    pub symbol: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fixed = if self.fixed.is_empty() {
            "no fixed version yet".to_string()
        } else {
            format!("fixed in {}", self.fixed)
        };
        write!(
            f,
            "{} in {}@{} ({fixed}), reached through {}",
            self.advisory, self.module, self.version, self.symbol
        )
    }
}

/// The symbol-level findings (vulnerable code the project calls) in govulncheck's
/// `-format json` stream, one per advisory and module, sorted.
pub fn reachable_vulnerabilities(json: &str) -> Result<Vec<Finding>, serde_json::Error> {
    let mut out = std::collections::BTreeSet::new();
    for message in serde_json::Deserializer::from_str(json).into_iter::<serde_json::Value>() {
        let message = message?;
        let Some(finding) = message.get("finding") else {
            continue;
        };
        let Some(frame) = finding["trace"].get(0) else {
            continue;
        };
        let function = frame["function"].as_str().unwrap_or_default();
        if function.is_empty() {
            continue; // module- or package-level: imported, not called
        }
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let symbol = match frame["receiver"].as_str() {
            Some(r) if !r.is_empty() => {
                format!(
                    "{}.{}.{function}",
                    text(&frame["package"]),
                    r.trim_start_matches('*')
                )
            }
            _ => format!("{}.{function}", text(&frame["package"])),
        };
        out.insert(Finding {
            advisory: text(&finding["osv"]),
            module: text(&frame["module"]),
            version: text(&frame["version"]),
            fixed: text(&finding["fixed_version"]),
            symbol,
        });
    }
    // One line per advisory and module: keep the first symbol.
    let mut seen = std::collections::BTreeSet::new();
    Ok(out
        .into_iter()
        .filter(|f| seen.insert((f.advisory.clone(), f.module.clone())))
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_called_vulnerabilities_count_and_each_names_module_advisory_and_fix() {
        // Shapes from govulncheck -format json: a module-level finding (no function), a
        // called one with a receiver, the same advisory again deeper in the trace, and a
        // stdlib one without a fix.
        let stream = r#"
{"config":{"protocol_version":"v1.0.0","scanner_name":"govulncheck"}}
{"progress":{"message":"Scanning your code"}}
{"finding":{"osv":"GO-2026-0001","fixed_version":"v0.56.0","trace":[{"module":"golang.org/x/crypto","version":"v0.55.0"}]}}
{"finding":{"osv":"GO-2026-0002","fixed_version":"v0.56.0","trace":[{"module":"golang.org/x/crypto","version":"v0.55.0","package":"golang.org/x/crypto/ssh","function":"NewServerConn","receiver":"*Config"},{"module":"example.com/x","function":"serve"}]}}
{"finding":{"osv":"GO-2026-0002","fixed_version":"v0.56.0","trace":[{"module":"golang.org/x/crypto","version":"v0.55.0","package":"golang.org/x/crypto/ssh","function":"Dial"}]}}
{"finding":{"osv":"GO-2026-0003","trace":[{"module":"stdlib","version":"v1.26.0","package":"net/http","function":"Serve"}]}}
"#;
        let got = reachable_vulnerabilities(stream).unwrap();
        let lines: Vec<String> = got.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            lines,
            vec![
                "GO-2026-0002 in golang.org/x/crypto@v0.55.0 (fixed in v0.56.0), reached through golang.org/x/crypto/ssh.Config.NewServerConn",
                "GO-2026-0003 in stdlib@v1.26.0 (no fixed version yet), reached through net/http.Serve",
            ]
        );
        assert!(
            reachable_vulnerabilities("{\"config\":{}}")
                .unwrap()
                .is_empty()
        );
        assert!(reachable_vulnerabilities("{not json").is_err());
    }

    #[test]
    fn tools_are_found_in_the_tool_block_only() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("tools")).unwrap();
        std::fs::write(
            tmp.path().join("tools/go.mod"),
            "module x/tools\n\ngo 1.26.0\n\ntool (\n\tgithub.com/golangci/golangci-lint/v2/cmd/golangci-lint\n)\n\nrequire golang.org/x/vuln/cmd/govulncheck v1.0.0 // indirect\n",
        )
        .unwrap();
        assert!(pins_tool(tmp.path(), "golangci-lint"));
        assert!(!pins_tool(tmp.path(), "govulncheck"));
        assert!(!pins_tool(&tmp.path().join("nowhere"), "golangci-lint"));
    }
}
