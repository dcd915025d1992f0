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
    assert_eq!(user.args, "nonroot:nonroot");
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
}

fn case_answers(
    case: &gogen::manifest::TestCase,
    manifest: &gogen::manifest::Manifest,
    key: &str,
) -> String {
    case.answers
        .get(key)
        .map(gogen::manifest::flag_text)
        .or_else(|| {
            manifest
                .question(key)?
                .default
                .as_ref()
                .map(gogen::manifest::flag_text)
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
            let wants_k8s = case_answers(case, &bp.manifest, "kubernetes") == "true";
            assert_eq!(
                dir.join("deploy/k8s").is_dir(),
                wants_k8s,
                "{name}/{}",
                case.name
            );
            if wants_k8s {
                check_kubernetes(&dir);
                if name == "payments" {
                    let postgres = case_answers(case, &bp.manifest, "database") == "postgres";
                    check_payments_kubernetes(&dir, postgres);
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
