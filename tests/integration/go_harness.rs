//! The Go harness: for every built-in blueprint (and the example blueprint) and every answer
//! set in its test matrix, generate the project and hold it to the quality bar's tooling:
//! gofmt, vet, build, race tests, tidy, golangci-lint where the project ships a config, and
//! govulncheck against an offline copy of the Go vulnerability database. Each case runs with the
//! newest patch of the Go minor its go.mod names (scripts/pins.env), as the generated CI does.
//! Cases of all blueprints share one bounded pool (GOGEN_GO_JOBS, default: the number of cores),
//! one module cache and one build cache; identical renderings are checked once.
//! Without `go` these tests say so loudly, and fail when GOGEN_REQUIRE_GO=1 (CI sets it).

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock};

use crate::util::*;

/// scripts/pins.env: the versions gogen's CI pins, `KEY=value` per line.
pub fn pins() -> BTreeMap<String, String> {
    let text = fs::read_to_string(repo_root().join("scripts/pins.env")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The pinned toolchain (e.g. `go1.26.11`) for a Go minor such as `1.26`.
pub fn toolchain_for(minor: &str) -> Option<String> {
    pins()
        .get(&format!("GO_TOOLCHAIN_{}", minor.replace('.', "_")))
        .cloned()
}

/// The minor of a go.mod's `go` line: `go 1.26.0` → `1.26`.
pub fn go_minor(gomod: &str) -> Option<String> {
    let line = gomod.lines().find_map(|l| l.strip_prefix("go "))?;
    let mut parts = line.trim().split('.');
    Some(format!("{}.{}", parts.next()?, parts.next()?))
}

/// The offline vulnerability database, built once per test process by scripts/vulndb.py
/// (or taken from GOGEN_VULNDB when scripts/test already built it).
fn vulndb() -> Result<PathBuf, String> {
    static DB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DB.get_or_init(|| {
        if let Ok(dir) = std::env::var("GOGEN_VULNDB")
            && Path::new(&dir).join("index/modules.json").is_file()
        {
            return Ok(PathBuf::from(dir));
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vulndb");
        let out = std::process::Command::new("python3")
            .arg(repo_root().join("scripts/vulndb.py"))
            .arg(&dir)
            .output()
            .map_err(|e| format!("cannot run scripts/vulndb.py: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/vulndb.py failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(dir)
    })
    .clone()
}

/// The govulncheck version the go-service layer's tools/go.mod pins, for projects without one.
fn govulncheck_version() -> String {
    let spec: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("scripts/gomod-specs/go-service-tools.json")).unwrap(),
    )
    .unwrap();
    spec["versions"]["golang.org/x/vuln"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The bounded pool every harness case runs in, across all harness tests of this process.
struct Pool {
    free: Mutex<usize>,
    freed: Condvar,
}

struct Permit(&'static Pool);

impl Drop for Permit {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap() += 1;
        self.0.freed.notify_one();
    }
}

fn permit() -> Permit {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let jobs = std::env::var("GOGEN_GO_JOBS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        Pool {
            free: Mutex::new(jobs),
            freed: Condvar::new(),
        }
    });
    let mut free = pool.free.lock().unwrap();
    while *free == 0 {
        free = pool.freed.wait(free).unwrap();
    }
    *free -= 1;
    Permit(pool)
}

/// Content of a generated tree without its lock file (which records the answers): two
/// cases with the same fingerprint are the same project.
fn fingerprint(dir: &Path) -> String {
    let mut state = tree_state(dir);
    state.remove(".gogen.toml");
    gogen::blueprint::sha256_hex(format!("{state:?}").as_bytes())
}

#[derive(Debug)]
struct Case {
    name: String,
    answers: Vec<(String, String)>,
    services: Vec<String>,
    tags: Vec<String>,
    /// `contract = true`: also run the project's `scripts/contract.sh` (schemathesis against the
    /// running service) after the Go checks.
    contract: bool,
}

fn matrix(blueprint_dir: &Path) -> Vec<Case> {
    let text = fs::read_to_string(blueprint_dir.join("blueprint.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    manifest
        .get("test")
        .and_then(|t| t.as_array())
        .map(|cases| {
            cases
                .iter()
                .map(|c| Case {
                    name: c["name"].as_str().unwrap().to_string(),
                    answers: c
                        .get("answers")
                        .and_then(|a| a.as_table())
                        .map(|t| {
                            t.iter()
                                .map(|(k, v)| (k.clone(), gogen::blueprint::manifest::flag_text(v)))
                                .collect()
                        })
                        .unwrap_or_default(),
                    services: strings(c.get("services")),
                    tags: strings(c.get("go_test_tags")),
                    contract: c.get("contract").and_then(|v| v.as_bool()).unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn require_env_or_skip(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("GOGEN_REQUIRE_GO").as_deref() == Ok("1") {
                panic!("{test}: {var} is not set and GOGEN_REQUIRE_GO=1 (.ci/run sets it)");
            }
            eprintln!("\n!!! SKIPPED {test}: {var} is not set\n");
            None
        }
    }
}

/// Generates one case, then runs the Go checks unless an identical rendering was checked.
fn check_case(blueprint: &str, case: &Case, work: &Path) -> Result<String, String> {
    let target = work.join(&case.name);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"));
    cmd.args(["new", blueprint])
        .arg(&target)
        .args(["--no-input", "--no-git"])
        .env("NO_COLOR", "1");
    for (k, v) in &case.answers {
        cmd.args(["--set", &format!("{k}={v}")]);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "gogen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    static CHECKED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    if !CHECKED
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .insert(fingerprint(&target))
    {
        return Ok("identical to a rendering already checked".into());
    }
    let gomod = fs::read_to_string(target.join("go.mod")).map_err(|e| e.to_string())?;
    let minor = go_minor(&gomod).ok_or("go.mod has no go line")?;
    let toolchain = toolchain_for(&minor).ok_or_else(|| {
        format!("go.mod says go {minor}, which scripts/pins.env pins no toolchain for")
    })?;
    let mut check = gogen::golang::gocheck::GoCheck {
        tags: case.tags.clone(),
        toolchain: Some(toolchain),
        lint_cache: Some(work.join(".golangci-cache")),
        vuln: Some(gogen::golang::gocheck::VulnScan {
            db: vulndb()?,
            fallback_version: govulncheck_version(),
        }),
        ..Default::default()
    };
    if case.services.iter().any(|s| s == "postgres") {
        let test = format!("{blueprint}/{}", case.name);
        let Some(server) = require_env_or_skip("GOGEN_TEST_POSTGRES_URL", &test) else {
            return Ok("skipped: no PostgreSQL".into());
        };
        let url = gogen::golang::gocheck::fresh_database(&server, &case.name)?;
        // TEST_DATABASE_URL is the dedicated name (the tests never read the application's
        // DATABASE_URL); DATABASE_URL stays for blueprints that still use it.
        check.env.push(("TEST_DATABASE_URL".into(), url.clone()));
        check.env.push(("DATABASE_URL".into(), url));
    }
    if case.services.iter().any(|s| s == "nats") {
        let test = format!("{blueprint}/{}", case.name);
        let Some(server) = require_env_or_skip("GOGEN_TEST_NATS_URL", &test) else {
            return Ok("skipped: no NATS".into());
        };
        // The generated tests share this server and keep apart by the names they choose.
        check.env.push(("NATS_URL".into(), server));
    }
    if target.join(".golangci.yml").is_file()
        && !gogen::golang::gocheck::pins_tool(&target, "golangci-lint")
        && gogen::golang::gocheck::find_golangci_lint().is_none()
    {
        return Err("golangci-lint is not installed and the project pins none".into());
    }
    check.check(&target).map_err(|e| e.to_string())?;
    if target.join("buf.gen.yaml").is_file() {
        proto_drift(&target, check.toolchain.as_deref().unwrap_or("local"))?;
    }
    if case.contract {
        let test = format!("{blueprint}/{} contract", case.name);
        if let Some(st) = require_env_or_skip("GOGEN_SCHEMATHESIS", &test) {
            let toolchain = check.toolchain.clone().unwrap_or_else(|| "local".into());
            contract(&target, &check.env, &toolchain, &st)?;
        }
    }
    if !target.join("README.md").is_file() || !target.join("Makefile").is_file() {
        return Ok("ok".into()); // the example blueprint: a CLI without a first-run section
    }
    // Issue #13 point 6: the README's first-run commands, as a newcomer types them.
    let mut env = vec![
        ("GOTOOLCHAIN".to_string(), check.toolchain.clone().unwrap()),
        ("GOFLAGS".to_string(), String::new()),
        (
            "GOLANGCI_LINT_CACHE".to_string(),
            work.join(".golangci-cache").display().to_string(),
        ),
    ];
    env.extend(check.env.iter().cloned());
    let summary = crate::first_run::replay(&target, env)?;
    Ok(format!("ok; {summary}"))
}

/// The files under `dir/gen`, by path.
fn generated(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if let Ok(bytes) = fs::read(&p) {
                out.insert(p, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&dir.join("gen"), &mut out);
    out
}

/// A project with a proto API: `buf lint` passes and regenerating the code with the pinned tools
/// (`go tool -modfile=tools/go.mod buf generate`, as `make proto` does) changes nothing under gen/.
fn proto_drift(dir: &Path, toolchain: &str) -> Result<(), String> {
    let before = generated(dir);
    for args in [&["lint"][..], &["generate"][..]] {
        let out = std::process::Command::new("go")
            .args(["tool", "-modfile=tools/go.mod", "buf"])
            .args(args)
            .current_dir(dir)
            .env("GOTOOLCHAIN", toolchain)
            .env("GOFLAGS", "")
            .output()
            .map_err(|e| format!("cannot run buf: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`go tool -modfile=tools/go.mod buf {}` failed:\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let after = generated(dir);
    if before != after {
        let changed: Vec<String> = before
            .keys()
            .chain(after.keys())
            .filter(|p| before.get(*p) != after.get(*p))
            .map(|p| p.strip_prefix(dir).unwrap_or(p).display().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(format!(
            "the generated code is stale: `buf generate` changed {}",
            changed.join(", ")
        ));
    }
    Ok(())
}

/// Runs the project's contract test: its script builds and starts the service and runs
/// schemathesis (the `st` binary that scripts/test installs) against it; any failure fails.
fn contract(dir: &Path, env: &[(String, String)], toolchain: &str, st: &str) -> Result<(), String> {
    let out = std::process::Command::new("bash")
        .arg("scripts/contract.sh")
        .current_dir(dir)
        .env("SCHEMATHESIS", st)
        .env("GOTOOLCHAIN", toolchain)
        .env("GOFLAGS", "")
        .env_remove("CI")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .map_err(|e| format!("cannot run scripts/contract.sh: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "`bash scripts/contract.sh` failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Runs the whole matrix of one blueprint in the shared pool; reports every failing case.
fn harness(blueprint: &str, blueprint_dir: &Path) {
    let test = format!("go harness for {blueprint}");
    if !require_go(&test) {
        return;
    }
    let mut cases = matrix(blueprint_dir);
    assert!(!cases.is_empty(), "{blueprint} declares no [[test]] cases");
    // For local iteration only (.ci/run unsets it): GOGEN_HARNESS_CASES=rest-api/grpc-both,payments
    // checks just those cases (`blueprint/case`) or blueprints (`blueprint`).
    if let Ok(only) = std::env::var("GOGEN_HARNESS_CASES") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        cases.retain(|c| {
            wanted.contains(&blueprint)
                || wanted.contains(&format!("{blueprint}/{}", c.name).as_str())
        });
        if cases.is_empty() {
            eprintln!("{test}: no case selected by GOGEN_HARNESS_CASES={only}");
            return;
        }
    }
    let work = tempfile::Builder::new()
        .prefix("gogen-harness-")
        .tempdir()
        .unwrap();
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for case in &cases {
            let (work, failures) = (work.path(), &failures);
            scope.spawn(move || {
                let _permit = permit();
                let started = std::time::Instant::now();
                match check_case(blueprint, case, work) {
                    Ok(how) => eprintln!(
                        "{blueprint}/{}: {how} in {:.1?}",
                        case.name,
                        started.elapsed()
                    ),
                    Err(e) => failures
                        .lock()
                        .unwrap()
                        .push(format!("--- {blueprint}/{}:\n{e}", case.name)),
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        let kept = work.keep();
        panic!(
            "{} of {} cases failed (projects kept in {}):\n{}",
            failures.len(),
            cases.len(),
            kept.display(),
            failures.join("\n")
        );
    }
}

fn built_in_dir(name: &str) -> PathBuf {
    repo_root().join("blueprints").join(name)
}

/// Built-in blueprints covered by a harness test below; a new blueprint must be added.
const COVERED: &[&str] = &["payments", "rest-api", "worker-pool"];

#[test]
fn every_built_in_blueprint_is_in_the_harness() {
    let mut on_disk: Vec<String> = fs::read_dir(repo_root().join("blueprints"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("blueprint.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut covered: Vec<String> = COVERED.iter().map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(
        on_disk, covered,
        "add a harness test for each built-in blueprint"
    );
}

#[test]
fn go_harness_example_hello() {
    harness(&hello_blueprint(), Path::new(&hello_blueprint()));
}

fn go_harness_built_in(name: &str) {
    harness(name, &built_in_dir(name));
}

#[test]
fn go_harness_worker_pool() {
    go_harness_built_in("worker-pool");
}

#[test]
fn go_harness_payments() {
    go_harness_built_in("payments");
}

#[test]
fn go_harness_rest_api() {
    go_harness_built_in("rest-api");
}

/// The `go_version` choices of every built-in blueprint are exactly the supported minors that
/// scripts/pins.env pins a toolchain for, and each pin is a patch release of its minor.
#[test]
fn every_go_version_choice_has_a_pinned_toolchain_of_its_minor() {
    let pinned: Vec<String> = pins()
        .iter()
        .filter_map(|(k, v)| {
            let minor = k.strip_prefix("GO_TOOLCHAIN_")?.replace('_', ".");
            assert!(
                v.starts_with(&format!("go{minor}.")),
                "{k}={v} is not a patch release of {minor}"
            );
            Some(minor)
        })
        .collect();
    assert!(!pinned.is_empty(), "scripts/pins.env pins no toolchain");
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        let q = bp
            .manifest
            .question("go_version")
            .unwrap_or_else(|| panic!("{name} asks no go_version"));
        let mut choices: Vec<String> = q.choice_values().iter().map(|s| s.to_string()).collect();
        choices.sort();
        assert_eq!(
            choices, pinned,
            "{name}: go_version choices vs pinned toolchains"
        );
    }
    assert_eq!(go_minor("module x\n\ngo 1.27.0\n").as_deref(), Some("1.27"));
    assert_eq!(go_minor("module x\n").as_deref(), None);
}

/// The nats-server CI starts for the "nats" matrix entries (scripts/pins.env) is the version the
/// worker-pool's tests embed (its go.mod spec), so both kinds of run test the same server.
#[test]
fn ci_runs_the_nats_server_worker_pool_embeds() {
    let spec: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("scripts/gomod-specs/worker-pool.json")).unwrap(),
    )
    .unwrap();
    let embedded = spec["versions"]["github.com/nats-io/nats-server/v2"]
        .as_str()
        .expect("worker-pool spec pins nats-server/v2");
    assert_eq!(
        pins().get("NATS_SERVER").map(String::as_str),
        Some(embedded)
    );
}

/// Writes a one-advisory database in govulncheck's offline format (the layout scripts/vulndb.py
/// writes): `GO-2099-0001`, the standard library before 1.99.0, reached through `strings.<symbol>`.
fn one_advisory_db(dir: &Path, symbol: &str) {
    let (id, when) = ("GO-2099-0001", "2099-01-01T00:00:00Z");
    let entry = serde_json::json!({
        "schema_version": "1.3.1",
        "id": id,
        "modified": when,
        "published": when,
        "summary": "a test advisory",
        "affected": [{
            "package": {"name": "stdlib", "ecosystem": "Go"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.99.0"}]}],
            "ecosystem_specific": {"imports": [{"path": "strings", "symbols": [symbol]}]}
        }]
    });
    let files = [
        (format!("ID/{id}.json"), entry),
        (
            "index/db.json".into(),
            serde_json::json!({"modified": when}),
        ),
        (
            "index/modules.json".into(),
            serde_json::json!([{"path": "stdlib", "vulns": [{"id": id, "modified": when, "fixed": "1.99.0"}]}]),
        ),
        (
            "index/vulns.json".into(),
            serde_json::json!([{"id": id, "modified": when}]),
        ),
    ];
    for (path, value) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, value.to_string()).unwrap();
    }
}

/// The harness's govulncheck step can fail: a project that calls a function an advisory names
/// fails with a line naming the advisory, the module and its version, and the fix; one that only
/// imports the package passes. Offline (a one-advisory database against the local standard
/// library), with the govulncheck version the layer's tools/go.mod pins.
#[test]
fn the_vulnerability_step_fails_on_a_called_vulnerable_function_and_names_it() {
    if !require_go("govulncheck step") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("probe");
    fs::create_dir(&project).unwrap();
    fs::write(
        project.join("go.mod"),
        "module example.com/probe\n\ngo 1.26.0\n",
    )
    .unwrap();
    fs::write(
        project.join("main.go"),
        "// Command probe upper-cases its name.\npackage main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"strings\"\n)\n\nfunc main() {\n\tfmt.Println(strings.ToUpper(os.Args[0]))\n}\n",
    )
    .unwrap();
    for (symbol, reached) in [("ToLower", false), ("ToUpper", true)] {
        let db = tmp.path().join(format!("db-{symbol}"));
        one_advisory_db(&db, symbol);
        let check = gogen::golang::gocheck::GoCheck {
            vuln: Some(gogen::golang::gocheck::VulnScan {
                db,
                fallback_version: govulncheck_version(),
            }),
            ..Default::default()
        };
        match (check.check(&project), reached) {
            (Ok(()), false) => {}
            (Err(e), true) => {
                let text = e.to_string();
                assert!(
                    text.contains("1 reachable known vulnerability")
                        && text.contains("GO-2099-0001 in stdlib@v1.")
                        && text.contains("(fixed in v1.99.0), reached through strings.ToUpper"),
                    "{text}"
                );
            }
            (got, _) => panic!("strings.{symbol} advisory: {got:?}"),
        }
    }
}
