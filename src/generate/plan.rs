//! Planning: every output path, mode and byte, decided in memory before anything is written.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answers::Answers;
use crate::blueprint::manifest::{FileRule, Syntax};
use crate::blueprint::{Blueprint, SHARED_DIR, TEMPLATE_DIR, sha256_hex};
use crate::error::{Error, Result};
use crate::generate::pathglob::PathGlob;
use crate::generate::render::{Context, Renderer};
use crate::pathnames::{MAX_PATH_BYTES, check_component, collision_key};

/// The suffix that marks a file as a template; it is stripped from the output name.
pub const TEMPLATE_SUFFIX: &str = ".jinja";
pub const MAX_PLANNED_FILES: usize = 5_000;
pub const MAX_PLANNED_BYTES: usize = 128 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct PlannedFile {
    /// `/`-separated path relative to the target.
    pub path: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub mode: u32,
    /// The blueprint file it came from (`template/...` or `_shared/<layer>/...`).
    pub source: String,
    pub size: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub source: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|f| f.bytes.len()).sum()
    }

    pub fn add_file(&mut self, path: String, bytes: Vec<u8>, mode: u32, source: String) {
        let sha256 = sha256_hex(&bytes);
        self.add_hashed_file(path, bytes, mode, source, sha256);
    }

    /// `add_file` with the bytes' sha256 (hex) already known.
    fn add_hashed_file(
        &mut self,
        path: String,
        bytes: Vec<u8>,
        mode: u32,
        source: String,
        sha256: String,
    ) {
        self.files.push(PlannedFile {
            path,
            size: bytes.len(),
            sha256,
            bytes,
            mode,
            source,
        });
    }
}

/// One source file of the blueprint or of a layer, with the rules that apply to it.
struct Source<'a> {
    /// Path as shown to users and matched by rules: relative to `template/`, or `_shared/<layer>/<path>`.
    rule_key: String,
    /// The loader name: `template/<path>` or `_shared/<layer>/<path>`.
    template_name: String,
    /// Path relative to the root the output mirrors.
    relative: &'a str,
    bytes: &'a [u8],
}

pub struct CompiledRule<'a> {
    pub rule: &'a FileRule,
    pub matcher: PathGlob,
}

/// What the `[[files]]` rules say about one source file (`when` aside); later rules win.
#[derive(Debug, Clone, Default)]
pub struct FileSettings {
    pub executable: bool,
    pub verbatim: bool,
    pub syntax: Syntax,
    pub rename: Option<String>,
}

pub fn file_settings(rules: &[CompiledRule<'_>], rule_key: &str) -> FileSettings {
    let mut settings = FileSettings::default();
    for rule in rules
        .iter()
        .filter(|r| r.matcher.is_match(rule_key))
        .map(|r| r.rule)
    {
        settings.executable = rule.executable.unwrap_or(settings.executable);
        settings.verbatim = rule.verbatim.unwrap_or(settings.verbatim);
        settings.syntax = rule.syntax.unwrap_or(settings.syntax);
        if rule.rename.is_some() {
            settings.rename = rule.rename.clone();
        }
    }
    settings
}

pub fn plan(blueprint: &Blueprint, renderer: &Renderer, answers: &Answers) -> Result<Plan> {
    let ctx = answers.context();
    let rules = compile_rules(blueprint)?;
    let mut out = Plan {
        files: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    let mut sources = Vec::new();
    for layer in &blueprint.manifest.layers {
        let prefix = format!("{SHARED_DIR}/{layer}");
        for (relative, bytes) in blueprint.shared.under(layer) {
            sources.push(Source {
                rule_key: format!("{prefix}/{relative}"),
                template_name: format!("{prefix}/{relative}"),
                relative,
                bytes,
            });
        }
    }
    for (relative, bytes) in blueprint.files.under(TEMPLATE_DIR) {
        sources.push(Source {
            rule_key: relative.to_string(),
            template_name: format!("{TEMPLATE_DIR}/{relative}"),
            relative,
            bytes,
        });
    }
    // Output path (case-folded) → the source that produced it, for collision checks.
    let mut produced: BTreeMap<String, (String, String)> = BTreeMap::new();
    // Each rule's `when` against these answers; kept only for a blueprint rendered
    // without a budget, where evaluating it again for every file it matches changes nothing.
    let mut whens: Vec<Option<bool>> = vec![None; rules.len()];
    for source in &sources {
        if let Some(file) = plan_one(source, &rules, renderer, &ctx, &mut whens, &mut out)? {
            register(&mut produced, &file.path, &source.rule_key)?;
            warn_about_go_names(&file.path, &mut out.warnings);
            // Copied unchanged from a built-in (verbatim, or a template without tags):
            // the build hashed these very bytes.
            let sha256 = match blueprint.built_in_sha256(&source.template_name) {
                Some(hash) if file.bytes == source.bytes => hash.to_string(),
                _ => sha256_hex(&file.bytes),
            };
            out.add_hashed_file(
                file.path,
                file.bytes,
                file.mode,
                source.rule_key.clone(),
                sha256,
            );
            if out.files.len() > MAX_PLANNED_FILES || out.total_bytes() > MAX_PLANNED_BYTES {
                return Err(Error::LimitExceeded {
                    limit: format!(
                        "the plan is larger than {MAX_PLANNED_FILES} files or {MAX_PLANNED_BYTES} bytes"
                    ),
                });
            }
        }
    }
    check_file_dir_clashes(&out)?;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

struct Rendered {
    path: String,
    bytes: Vec<u8>,
    mode: u32,
}

fn plan_one(
    source: &Source<'_>,
    rules: &[CompiledRule<'_>],
    renderer: &Renderer,
    ctx: &Context,
    whens: &mut [Option<bool>],
    out: &mut Plan,
) -> Result<Option<Rendered>> {
    for (i, compiled) in rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.matcher.is_match(&source.rule_key))
    {
        let rule = compiled.rule;
        if let Some(when) = &rule.when {
            let holds = match whens[i] {
                Some(known) => known,
                None => {
                    let name = format!("files rule {:?} when", rule.path);
                    let holds = renderer.eval_condition(&name, when, ctx)?;
                    if renderer.is_unbudgeted() {
                        whens[i] = Some(holds);
                    }
                    holds
                }
            };
            if !holds {
                out.skipped.push(Skipped {
                    source: source.rule_key.clone(),
                    reason: format!("files rule {:?}: `{when}` is false", rule.path),
                });
                return Ok(None);
            }
        }
    }
    let FileSettings {
        executable,
        verbatim,
        syntax,
        rename,
    } = file_settings(rules, &source.rule_key);
    let is_template = source.relative.ends_with(TEMPLATE_SUFFIX);
    let mut components = Vec::new();
    let parts: Vec<&str> = source.relative.split('/').collect();
    for (i, raw) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let raw = if last && is_template {
            &raw[..raw.len() - TEMPLATE_SUFFIX.len()]
        } else {
            raw
        };
        // Most components hold no tag; `render_str` would return them as they are.
        let rendered = if raw.contains(['{', '[']) {
            let name = format!("{} (path)", source.template_name);
            renderer.render_str(&name, raw, ctx)?
        } else {
            raw.to_string()
        };
        if rendered.is_empty() {
            out.skipped.push(Skipped {
                source: source.rule_key.clone(),
                reason: format!("path component {raw:?} rendered empty"),
            });
            return Ok(None);
        }
        let rendered = match (&rename, last) {
            (Some(new_name), true) => new_name.clone(),
            _ => rendered,
        };
        check_component(&rendered).map_err(|rule| Error::ForbiddenPath {
            source_path: source.rule_key.clone(),
            rendered: rendered.clone(),
            rule,
        })?;
        components.push(rendered);
    }
    if let Some(rule) = components.first().and_then(|first| reserved_at_root(first)) {
        return Err(Error::ForbiddenPath {
            source_path: source.rule_key.clone(),
            rendered: components.join("/"),
            rule,
        });
    }
    let path = components.join("/");
    if path.len() > MAX_PATH_BYTES {
        return Err(Error::ForbiddenPath {
            source_path: source.rule_key.clone(),
            rule: format!(
                "the path is {} bytes long; a generated path may have at most {MAX_PATH_BYTES} (macOS's limit, before the target folder is counted)",
                path.len()
            ),
            rendered: path,
        });
    }
    let bytes = if is_template && !verbatim {
        check_actions_expressions(source, syntax)?;
        let text = renderer.render_file(&source.template_name, syntax, ctx)?;
        text.into_bytes()
    } else {
        source.bytes.to_vec()
    };
    Ok(Some(Rendered {
        path,
        bytes,
        mode: if executable { 0o755 } else { 0o644 },
    }))
}

/// Names gogen itself writes at the top of the target: the lock file (in any case or
/// normalisation, since it would collide on macOS and Windows) and staging folders.
fn reserved_at_root(first: &str) -> Option<String> {
    let key = collision_key(first);
    if key == crate::generate::lockfile::LOCK_FILE {
        return Some(format!(
            "`{}` is gogen's lock file and may not come from a blueprint",
            crate::generate::lockfile::LOCK_FILE
        ));
    }
    if key.starts_with(".gogen-") {
        return Some("`.gogen-*` names are gogen's staging folders".into());
    }
    None
}

pub fn compile_rules(blueprint: &Blueprint) -> Result<Vec<CompiledRule<'_>>> {
    blueprint
        .manifest
        .file_rules
        .iter()
        .map(|rule| {
            let matcher = PathGlob::new(&rule.path).map_err(|e| Error::Manifest {
                file: format!("{}/blueprint.toml", blueprint.name()),
                message: format!("files rule path {:?}: {e}", rule.path),
            })?;
            Ok(CompiledRule { rule, matcher })
        })
        .collect()
}

/// In the default syntax, `${{ x }}` renders `x` after a `$`: a GitHub Actions or Backstage
/// expression silently lost (cargo-generate#1387). Such text must be in `{% raw %}` or in a
/// file with `syntax = "square"`. Checked on the source, so conditionals cannot hide it.
fn check_actions_expressions(source: &Source<'_>, syntax: Syntax) -> Result<()> {
    if syntax != Syntax::Default {
        return Ok(());
    }
    // Most files hold no `${{` at all: looked for in the bytes, before any UTF-8 pass. By
    // its `$`, which Go code rarely holds (a substring search keys on the `{{`, which every
    // tag starts with: several times slower on templates).
    if !has_actions_opener(source.bytes) {
        return Ok(());
    }
    let text = String::from_utf8_lossy(source.bytes);
    if let Some(line) = unprotected_actions_expression(text.as_ref()) {
        return Err(Error::Blueprint {
            blueprint: source.rule_key.clone(),
            message: format!(
                "line {line}: `${{{{` would be read as a template expression; use `syntax = \"square\"` for this file or wrap it in {{% raw %}}"
            ),
        });
    }
    Ok(())
}

fn has_actions_opener(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'$', bytes).any(|i| bytes[i + 1..].starts_with(b"{{"))
}

/// The line of the first `${{` outside `{% raw %}…{% endraw %}`, if any.
fn unprotected_actions_expression(text: &str) -> Option<usize> {
    // Most files hold no `${{` at all.
    text.find("${{")?;
    let tag = |rest: &str, word: &str| -> Option<usize> {
        // `{%`, optional `-`, spaces, the word, spaces, optional `-`, `%}`.
        let inner = rest.strip_prefix("{%")?;
        let inner = inner.strip_prefix('-').unwrap_or(inner);
        let trimmed = inner.trim_start();
        let after = trimmed.strip_prefix(word)?;
        let after = after.trim_start();
        let after = after.strip_prefix('-').unwrap_or(after);
        after.strip_prefix("%}")?;
        Some(rest.len() - after.len() + 2)
    };
    let mut in_raw = false;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if !in_raw && let Some(len) = tag(rest, "raw") {
            in_raw = true;
            i += len;
            continue;
        }
        if in_raw && let Some(len) = tag(rest, "endraw") {
            in_raw = false;
            i += len;
            continue;
        }
        if !in_raw && rest.starts_with("${{") {
            return Some(text[..i].matches('\n').count() + 1);
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    None
}

fn register(
    produced: &mut BTreeMap<String, (String, String)>,
    path: &str,
    source: &str,
) -> Result<()> {
    let folded = collision_key(path);
    if let Some((first_path, first_source)) = produced.get(&folded) {
        let shown = if first_path == path {
            path.to_string()
        } else {
            format!(
                "{first_path}` and `{path}` (the same name ignoring case or Unicode normalisation"
            )
        };
        return Err(Error::Collision {
            path: shown,
            first: first_source.clone(),
            second: source.to_string(),
        });
    }
    produced.insert(folded, (path.to_string(), source.to_string()));
    Ok(())
}

/// A path cannot be both a file and a folder (`a` and `a/b`).
fn check_file_dir_clashes(plan: &Plan) -> Result<()> {
    let files: BTreeMap<String, &PlannedFile> = plan
        .files
        .iter()
        .map(|f| (collision_key(&f.path), f))
        .collect();
    for f in &plan.files {
        let mut prefix = String::new();
        for part in f.path.split('/').take(f.path.split('/').count() - 1) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if let Some(clash) = files.get(&collision_key(&prefix)) {
                return Err(Error::Collision {
                    path: clash.path.clone(),
                    first: clash.source.clone(),
                    second: format!("{} (needs it as a folder)", f.source),
                });
            }
        }
    }
    Ok(())
}

const GO_OS_ARCH: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "illumos",
    "ios",
    "js",
    "linux",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "386",
    "amd64",
    "arm",
    "arm64",
    "loong64",
    "mips",
    "mips64",
    "mips64le",
    "mipsle",
    "ppc64",
    "ppc64le",
    "riscv64",
    "s390x",
    "wasm",
];

/// Names the go tool reads specially (T10): warn, do not fail, since they may be intended.
fn warn_about_go_names(path: &str, warnings: &mut Vec<String>) {
    let parts: Vec<&str> = path.split('/').collect();
    let Some((file, dirs)) = parts.split_last() else {
        return;
    };
    if let Some(stem) = file.strip_suffix(".go") {
        let stem = stem.strip_suffix("_test").unwrap_or(stem);
        if let Some((_, suffix)) = stem.rsplit_once('_')
            && GO_OS_ARCH.contains(&suffix)
        {
            warnings.push(format!(
                "{path}: the `_{suffix}` suffix makes this file build only for that platform"
            ));
        }
        for dir in dirs {
            if dir.starts_with(['_', '.']) || *dir == "testdata" {
                warnings.push(format!("{path}: the go tool ignores the folder `{dir}`"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Answer, AnswerValue, Origin};
    use crate::blueprint::test_blueprint_with_shared;

    const MANIFEST: &str = r#"
name = "t"
version = "0.1.0"
description = "t"
layers = ["base"]
[[question]]
key = "name"
default = "svc"
[[question]]
key = "docker"
type = "bool"
default = false
[[files]]
path = "_shared/base/Dockerfile.jinja"
when = "docker"
[[files]]
path = "bin/*.sh"
executable = true
[[files]]
path = "ci.yml.jinja"
syntax = "square"
"#;

    fn answers(docker: bool) -> Answers {
        Answers {
            items: vec![
                Answer {
                    key: "name".into(),
                    value: AnswerValue::Str("svc".into()),
                    origin: Origin::Default,
                },
                Answer {
                    key: "docker".into(),
                    value: AnswerValue::Bool(docker),
                    origin: Origin::Flag,
                },
            ],
        }
    }

    fn plan_for(files: &[(&str, &str)], shared: &[(&str, &str)], docker: bool) -> Result<Plan> {
        let bp = test_blueprint_with_shared(MANIFEST, files, shared);
        let renderer = Renderer::new(&bp);
        plan(&bp, &renderer, &answers(docker))
    }

    const SHARED: &[(&str, &str)] = &[
        (
            "base/Makefile.jinja",
            "build:\n\tgo build ./cmd/{{ name }}\n{% include 'partials/make.jinja' ignore missing %}",
        ),
        ("base/Dockerfile.jinja", "FROM scratch # {{ name }}\n"),
        ("other/ignored.txt", "not a layer of this blueprint"),
    ];

    #[test]
    fn layers_overlay_and_reach_blueprint_partials() {
        let p = plan_for(
            &[
                (
                    "template/cmd/{{ name }}/main.go.jinja",
                    "package main // {{ name }}\n",
                ),
                ("partials/make.jinja", "extra:\n"),
            ],
            SHARED,
            true,
        )
        .unwrap();
        let paths: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec!["Dockerfile", "Makefile", "cmd/svc/main.go"]);
        let make = &p.files[1];
        assert_eq!(
            String::from_utf8_lossy(&make.bytes),
            "build:\n\tgo build ./cmd/svc\nextra:\n"
        );
        assert_eq!(make.source, "_shared/base/Makefile.jinja");
    }

    #[test]
    fn file_rules_skip_with_a_reason_and_set_modes_and_syntax() {
        let p = plan_for(
            &[
                ("template/bin/run.sh", "#!/bin/sh\n"),
                ("template/ci.yml.jinja", "v: [[ name ]] ${{ github.sha }}\n"),
            ],
            SHARED,
            false,
        )
        .unwrap();
        let skipped: Vec<&str> = p.skipped.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(skipped, vec!["_shared/base/Dockerfile.jinja"]);
        assert!(p.skipped[0].reason.contains("`docker` is false"));
        let run = p.files.iter().find(|f| f.path == "bin/run.sh").unwrap();
        assert_eq!(run.mode, 0o755);
        let ci = p.files.iter().find(|f| f.path == "ci.yml").unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ci.bytes),
            "v: svc ${{ github.sha }}\n"
        );
    }

    #[test]
    fn a_when_rule_decides_every_file_it_matches_trusted_or_not() {
        let manifest = MANIFEST.replace(
            "path = \"bin/*.sh\"\nexecutable = true",
            "path = \"bin/*.sh\"\nexecutable = true\nwhen = \"docker\"",
        );
        let files = [
            ("template/bin/a.sh", "a\n"),
            ("template/bin/b.sh", "b {{ name }}\n"),
            ("template/bin/c.sh", "c\n"),
            ("template/keep.txt", "k\n"),
        ];
        for docker in [false, true] {
            let mut seen = Vec::new();
            for origin in [
                crate::blueprint::Origin::BuiltIn,
                crate::blueprint::Origin::Folder {
                    given: "./x".into(),
                    root: "./x".into(),
                },
            ] {
                let mut bp = test_blueprint_with_shared(&manifest, &files, SHARED);
                bp.origin = origin;
                let p = plan(&bp, &Renderer::new(&bp), &answers(docker)).unwrap();
                let paths: Vec<String> = p.files.iter().map(|f| f.path.clone()).collect();
                let skipped: Vec<String> = p.skipped.iter().map(|s| s.source.clone()).collect();
                seen.push((paths, skipped));
            }
            assert_eq!(seen[0], seen[1], "docker={docker}");
            let (paths, skipped) = &seen[0];
            let scripts = ["bin/a.sh", "bin/b.sh", "bin/c.sh"];
            for s in scripts {
                assert_eq!(paths.iter().any(|p| p == s), docker, "{s}: {paths:?}");
                assert_eq!(skipped.iter().any(|p| p == s), !docker, "{s}: {skipped:?}");
            }
            assert!(paths.iter().any(|p| p == "keep.txt"));
        }
    }

    #[test]
    fn a_blueprint_file_colliding_with_a_layer_file_is_an_error() {
        let err = plan_for(&[("template/Makefile", "mine\n")], SHARED, false).unwrap_err();
        match err {
            Error::Collision {
                path,
                first,
                second,
            } => {
                assert_eq!(path, "Makefile");
                assert_eq!(first, "_shared/base/Makefile.jinja");
                assert_eq!(second, "Makefile");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn actions_expressions_must_be_protected() {
        // `${{ name }}` renders as `$svc`: valid Jinja, but the Actions expression is gone.
        let err = plan_for(
            &[("template/wf.yml.jinja", "a\nrun: ${{ name }}\n")],
            SHARED,
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        // Inside raw, or in a square-syntax file (even when a condition drops it), it is fine.
        let raw = "{% raw %}run: ${{ github.sha }}{% endraw %}\n{%- raw -%}${{ x }}{%- endraw %}\n";
        assert!(plan_for(&[("template/wf.yml.jinja", raw)], SHARED, false).is_ok());
        let square = "[% if docker %]run: ${{ github.sha }}[% endif %]\n";
        assert!(plan_for(&[("template/ci.yml.jinja", square)], SHARED, false).is_ok());
    }

    #[test]
    fn the_actions_opener_is_found_wherever_it_is() {
        for (text, want) in [
            ("", false),
            ("$", false),
            ("${", false),
            ("${{", true),
            ("$ {{", false),
            ("$${{", true),
            ("{{$}}", false),
            ("a $x {{ y }} ${ {", false),
            ("x\n  run: ${{ matrix.go }}\n", true),
            ("é$日{{", false),
            ("é日${{", true),
        ] {
            assert_eq!(has_actions_opener(text.as_bytes()), want, "{text:?}");
            assert_eq!(text.contains("${{"), want, "{text:?}");
        }
    }

    #[test]
    fn go_name_warnings() {
        let tests = [
            ("internal/x/file_linux.go", 1),
            ("internal/x/file_linux_test.go", 1),
            ("internal/x/user_service.go", 0),
            ("_tools/main.go", 1),
            ("internal/testdata/x.go", 1),
            ("README_windows.md", 0),
        ];
        for (give, want) in tests {
            let mut warnings = Vec::new();
            warn_about_go_names(give, &mut warnings);
            assert_eq!(warnings.len(), want, "{give}: {warnings:?}");
        }
    }
}
