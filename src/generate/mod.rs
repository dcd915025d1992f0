//! `new`: resolve the blueprint and answers, plan, check the target, write, run post-steps.
//! Also the read-only views behind `list` and `info`. Nothing here knows about clap.

pub mod limits;
pub mod lockfile;
pub mod pathglob;
pub mod plan;
pub mod poststep;
pub mod render;
pub mod write;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::answers::{AnswerInputs, Answers, Prompter, Resolver, check_value, parse_text};
use crate::blueprint::manifest::{Manifest, Question};
use crate::blueprint::{self, Blueprint, Sources};
use crate::config::OrgConfig;
use crate::error::{Error, Result};
use plan::Plan;
use poststep::{PostStep, PostStepOptions};
use render::Renderer;

pub const JSON_SCHEMA_VERSION: u32 = 1;

/// What gogen knows about its surroundings: the org config and where blueprints live.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub org: OrgConfig,
    pub sources: Sources,
}

impl Context {
    /// Reads `GOGEN_CONFIG`/`XDG_CONFIG_HOME`/`HOME` and `GOGEN_BLUEPRINT_PATH`.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let org = OrgConfig::load(get)?;
        let mut search_path: Vec<PathBuf> = get("GOGEN_BLUEPRINT_PATH")
            .map(|v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        search_path.extend(org.blueprint_path.iter().cloned());
        let sources = Sources {
            search_path,
            allowed_git_prefixes: org.git_prefix_lists.clone(),
        };
        Ok(Context { org, sources })
    }
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    /// A built-in blueprint name or a path to a blueprint folder.
    pub blueprint: String,
    /// Where to generate; defaults to `./<project_name>`.
    pub target: Option<PathBuf>,
    pub inputs: AnswerInputs,
    /// A preset from the org config.
    pub preset: Option<String>,
    pub dry_run: bool,
    pub force: bool,
    /// fsync every file and folder before the final rename.
    pub fsync: bool,
    pub post: PostStepOptions,
}

#[derive(Debug, Serialize)]
pub struct BlueprintSummary {
    pub name: String,
    pub version: String,
    pub description: String,
    pub source: String,
    /// For a search-path blueprint whose name something else takes first: what does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadowed_by: Option<String>,
}

impl BlueprintSummary {
    pub fn of(bp: &Blueprint) -> Self {
        BlueprintSummary {
            name: bp.name().to_string(),
            version: bp.manifest.version.clone(),
            description: bp.manifest.description.clone(),
            source: bp.origin.describe(),
            shadowed_by: None,
        }
    }
}

/// What `new` did (or, with `--dry-run`, would do).
#[derive(Debug)]
pub struct Outcome {
    pub blueprint: BlueprintSummary,
    pub content_hash: String,
    pub target: PathBuf,
    pub answers: Answers,
    pub plan: Plan,
    pub conflicts: Vec<String>,
    pub post_steps: Vec<PostStep>,
    pub next_steps: Vec<String>,
    pub dry_run: bool,
    /// A post-step failed after the project was written.
    pub post_step_error: Option<Error>,
}

/// Loads a blueprint and checks what the manifest checks could not: expressions compile,
/// read only earlier answers, and defaults pass their own rules.
pub fn load(ctx: &Context, reference: &str) -> Result<(Blueprint, Renderer)> {
    let bp = ctx.sources.resolve(reference)?;
    let renderer = Renderer::new(&bp);
    // A built-in whose files are the build's own passed these checks in the build's own
    // tests (`tests::every_built_in_passes_the_load_checks`); any other blueprint is
    // checked every time it is loaded.
    if !(bp.origin.is_trusted() && bp.known_hash.is_some()) {
        check_expressions(&bp.manifest, &renderer, reference)?;
    }
    Ok((bp, renderer))
}

fn check_expressions(manifest: &Manifest, renderer: &Renderer, reference: &str) -> Result<()> {
    let fail = |message: String| Error::Manifest {
        file: format!("{reference}/{}", blueprint::MANIFEST_FILE),
        message,
    };
    // A `when` may read only answers known by then: earlier questions, or all of them for files.
    let check_when = |what: &str,
                      when: &str,
                      known: &std::collections::HashSet<&str>,
                      unknown: &str|
     -> Result<()> {
        let vars = renderer.expression_variables(when).map_err(|e| {
            fail(format!(
                "{what}: when {:?}: {e}",
                crate::printable::shorten(when, 120)
            ))
        })?;
        match vars.iter().find(|v| !known.contains(v.as_str())) {
            Some(v) => Err(fail(format!(
                "{what}: when {:?} reads `{v}`, which is not {unknown}",
                crate::printable::shorten(when, 120)
            ))),
            None => Ok(()),
        }
    };
    let mut earlier: std::collections::HashSet<&str> = ["gogen_version"].into_iter().collect();
    for q in &manifest.questions {
        if let Some(when) = &q.when {
            let what = format!("question `{}`", q.key);
            check_when(&what, when, &earlier, "an earlier question")?;
        }
        let is_template = matches!(&q.default, Some(toml::Value::String(s)) if s.contains('{'));
        // A templated default can only be checked once earlier answers exist; a literal one now.
        if let (Some(default), false) = (&q.default, is_template) {
            let value = parse_text(q, &crate::blueprint::manifest::flag_text(default))?;
            check_value(q, &value)
                .map_err(|rule| fail(format!("question `{}`: default {default}: {rule}", q.key)))?;
        }
        earlier.insert(&q.key);
    }
    for rule in &manifest.file_rules {
        if let Some(when) = &rule.when {
            let what = format!("files rule {:?}", rule.path);
            check_when(&what, when, &earlier, "a question")?;
        }
    }
    // Every answer a feature sets, on or off, must pass its question's rules.
    for feature in &manifest.features {
        let off = feature.off_answers(manifest).map_err(fail)?;
        for (key, value) in feature.set.iter().chain(off.iter()) {
            let Some(q) = manifest.question(key) else {
                continue;
            };
            let parsed = parse_text(q, &crate::blueprint::manifest::flag_text(value))?;
            check_value(q, &parsed).map_err(|rule| {
                fail(format!(
                    "feature `{}`: {key} = {value}: {rule}",
                    feature.name
                ))
            })?;
        }
    }
    Ok(())
}

pub fn new_project(
    ctx: &Context,
    req: &NewRequest,
    prompter: Option<&mut dyn Prompter>,
) -> Result<Outcome> {
    new_project_with(ctx, req, prompter, &mut |_| {})
}

/// `new_project`, telling `resolved` the answers as soon as they are known, so a caller
/// that prompted can still show them when a later step fails.
pub fn new_project_with(
    ctx: &Context,
    req: &NewRequest,
    prompter: Option<&mut dyn Prompter>,
    resolved: &mut dyn FnMut(&Answers),
) -> Result<Outcome> {
    // Before any question is asked, a DIR given on the command line is checked (without
    // prompts the full check below lists the files that would be overwritten).
    if let (Some(target), true) = (&req.target, prompter.is_some()) {
        write::preflight(&Plan::default(), target, req.force)?;
    }
    let (bp, renderer) = load(ctx, &req.blueprint)?;
    if crate::signals::interrupted() {
        return Err(Error::Interrupted);
    }
    let resolver = Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    };
    let mut inputs = req.inputs.clone();
    inputs.org = ctx.org.clone();
    if let Some(name) = &req.preset {
        inputs.preset = Some(ctx.org.preset(name, bp.name())?.clone());
    }
    // Without a DIR, the project name picks the folder: a prompted name whose folder is
    // taken is asked again at once, not refused after every other question.
    let force = req.force;
    let folder_free = |q: &Question,
                       v: &crate::answers::AnswerValue|
     -> std::result::Result<(), String> {
        match v {
            crate::answers::AnswerValue::Str(name)
                if q.key == "project_name" && !name.is_empty() =>
            {
                folder_name_rule(name)?;
                write::preflight(&Plan::default(), Path::new(name), force)
                    .map(|_| ())
                    .map_err(|e| format!("{e} (this name is also the project's folder; pass DIR to choose another)"))
            }
            _ => Ok(()),
        }
    };
    let extra: Option<&crate::answers::ExtraCheck<'_>> = if req.target.is_none() {
        Some(&folder_free)
    } else {
        None
    };
    let answers = resolver.resolve_checked(&inputs, prompter, extra)?;
    resolved(&answers);
    let target = match &req.target {
        Some(t) => t.clone(),
        None => default_target(&bp, &answers)?,
    };
    let mut planned = plan::plan(&bp, &renderer, &answers)?;
    // The lock file and the outcome both carry it (a built-in's was computed by the build).
    let content_hash = bp.content_hash();
    let lock = lockfile::LockFile::with_content_hash(&bp, content_hash.clone(), &answers, &planned);
    lockfile::add_lock(&lock, &mut planned);
    let mut checked = write::preflight(&planned, &target, req.force)?;
    checked.durable = req.fsync;
    let mut post_steps = poststep::plan_steps(&target, req.post);
    let next_steps = next_steps(&target, &answers);
    let mut outcome = Outcome {
        blueprint: BlueprintSummary::of(&bp),
        content_hash,
        target: target.clone(),
        answers,
        plan: planned,
        conflicts: checked.conflicts.clone(),
        post_steps: Vec::new(),
        next_steps,
        dry_run: req.dry_run,
        post_step_error: None,
    };
    if req.dry_run {
        outcome.post_steps = post_steps;
        return Ok(outcome);
    }
    write::write(&outcome.plan, &target, &checked)?;
    match poststep::run_steps(&target, &mut post_steps) {
        Ok(()) => {}
        Err(e @ Error::InterruptedWritten { .. }) => return Err(e),
        Err(e) => outcome.post_step_error = Some(e),
    }
    outcome.post_steps = post_steps;
    Ok(outcome)
}

fn default_target(bp: &Blueprint, answers: &Answers) -> Result<PathBuf> {
    match answers.get("project_name") {
        Some(crate::answers::AnswerValue::Str(name)) if !name.is_empty() => {
            folder_name_rule(name).map_err(|rule| {
                Error::Usage(format!(
                    "project_name {:?} cannot name the target folder: {rule}; name the target folder: gogen new {} <DIR>",
                    crate::printable::shorten(name, 200),
                    bp.reference()
                ))
            })?;
            Ok(PathBuf::from(name))
        }
        _ => Err(Error::Usage(format!(
            "blueprint `{}` has no project_name answer; name the target folder: gogen new {} <DIR>",
            bp.name(),
            bp.reference()
        ))),
    }
}

/// Without DIR the project name is the target: it must be one plain folder name in the
/// current folder, so a blueprint's default (untrusted) cannot place the project elsewhere
/// (`../x`, `/home/me/.config/autostart`).
fn folder_name_rule(name: &str) -> std::result::Result<(), String> {
    let rule = if name.starts_with('-') {
        Err("starts with `-`, which commands would read as an option".to_string())
    } else {
        crate::pathnames::check_component(name)
    };
    rule.map_err(|rule| format!("it must be a single folder name in the current folder ({rule})"))
}

fn next_steps(target: &Path, answers: &Answers) -> Vec<String> {
    let mut steps = vec![format!(
        "cd {}",
        crate::error::shell_word(&target.display().to_string())
    )];
    if let Some(crate::answers::AnswerValue::Str(name)) = answers.get("project_name") {
        steps.push(format!(
            "go run {}",
            crate::error::shell_word(&format!("./cmd/{name}"))
        ));
        steps.push("go test -race ./...".into());
    }
    steps
}

/// The read-only description behind `gogen info`.
#[derive(Debug, Serialize)]
pub struct Info {
    #[serde(flatten)]
    pub blueprint: BlueprintSummary,
    pub layers: Vec<String>,
    pub questions: Vec<QuestionInfo>,
    /// The files a generation with default answers would write (required answers taken
    /// from the first test case), or why that could not be computed.
    pub default_tree: Result<Vec<TreeEntry>, String>,
    pub default_tree_answers: Option<String>,
    pub tests: Vec<String>,
    /// `[[feature]]`: what `gogen add`/`gogen remove` can change.
    pub features: Vec<FeatureInfo>,
}

#[derive(Debug, Serialize)]
pub struct FeatureInfo {
    pub name: String,
    pub help: String,
    /// The answers `gogen add` sets, and those `gogen remove` sets.
    pub set: toml::Table,
    pub unset: toml::Table,
}

#[derive(Debug, Serialize)]
pub struct QuestionInfo {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub prompt: String,
    pub help: Option<String>,
    pub required: bool,
    pub default: Option<toml::Value>,
    pub choices: Vec<ChoiceInfo>,
    pub validate: Vec<&'static str>,
    pub pattern: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub when: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChoiceInfo {
    pub value: String,
    pub help: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TreeEntry {
    pub path: String,
    pub size: usize,
    pub mode: String,
}

impl QuestionInfo {
    pub fn of(q: &Question) -> Self {
        QuestionInfo {
            key: q.key.clone(),
            kind: q.kind.as_str(),
            prompt: q.prompt_text().to_string(),
            help: q.help.clone(),
            required: q.is_required(),
            default: q.default.clone(),
            choices: q
                .choices
                .iter()
                .map(|c| ChoiceInfo {
                    value: c.value().to_string(),
                    help: c.help().map(str::to_string),
                })
                .collect(),
            validate: q.validate.iter().map(|v| v.as_str()).collect(),
            pattern: q.pattern.clone(),
            min: q.min,
            max: q.max,
            when: q.when.clone(),
        }
    }
}

pub fn info(ctx: &Context, reference: &str) -> Result<Info> {
    let (bp, renderer) = load(ctx, reference)?;
    let case = bp.manifest.tests.first();
    let inputs = AnswerInputs {
        sets: case.map(|c| c.sets()).unwrap_or_default(),
        ..AnswerInputs::default()
    };
    let resolver = Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    };
    let planned = resolver
        .resolve(&inputs, None)
        .and_then(|answers| plan::plan(&bp, &renderer, &answers));
    // A broken template is described; a blueprint that breaks a resource limit is refused.
    if let Err(e @ Error::LimitExceeded { .. }) = planned {
        return Err(e);
    }
    let default_tree = planned
        .map(|p| {
            p.files
                .iter()
                .map(|f| TreeEntry {
                    path: f.path.clone(),
                    size: f.size,
                    mode: format!("{:04o}", f.mode),
                })
                .collect()
        })
        .map_err(|e| e.to_string());
    Ok(Info {
        blueprint: BlueprintSummary::of(&bp),
        layers: bp.manifest.layers.clone(),
        questions: bp.manifest.questions.iter().map(QuestionInfo::of).collect(),
        default_tree,
        default_tree_answers: case.map(|c| c.name.clone()),
        tests: bp.manifest.tests.iter().map(|t| t.name.clone()).collect(),
        features: bp
            .manifest
            .features
            .iter()
            .map(|f| FeatureInfo {
                name: f.name.clone(),
                help: f.help.clone(),
                set: f.set.clone(),
                unset: f.off_answers(&bp.manifest).unwrap_or_default(),
            })
            .collect(),
    })
}

/// Every built-in blueprint, then those in the search path (marked by source), for `gogen list`.
pub fn list(ctx: &Context) -> Result<Vec<BlueprintSummary>> {
    let mut out: Vec<BlueprintSummary> = blueprint::built_in_names()
        .iter()
        .map(|name| blueprint::load_built_in(name).map(|bp| BlueprintSummary::of(&bp)))
        .collect::<Result<_>>()?;
    for found in ctx.sources.search() {
        let mut summary = match blueprint::load_folder(&found.dir.display().to_string()) {
            Ok(mut bp) => {
                bp.origin = blueprint::Origin::SearchPath {
                    dir: found.dir.clone(),
                };
                BlueprintSummary::of(&bp)
            }
            Err(e) => BlueprintSummary {
                name: found.name.clone(),
                version: "?".into(),
                description: format!("(cannot be loaded: {e})"),
                source: format!("search-path:{}", found.dir.display()),
                shadowed_by: None,
            },
        };
        summary.shadowed_by = found.shadowed_by.clone();
        out.push(summary);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_passes_the_load_checks() {
        let names = blueprint::built_in_names();
        assert!(names.len() >= 3, "{names:?}");
        for name in names {
            let bp = blueprint::load_built_in(&name).unwrap();
            assert!(bp.known_hash.is_some(), "{name}");
            let renderer = Renderer::new(&bp);
            check_expressions(&bp.manifest, &renderer, &name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn a_folder_blueprint_is_checked_when_it_is_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bp");
        std::fs::create_dir_all(root.join("template")).unwrap();
        std::fs::write(
            root.join("blueprint.toml"),
            "name = \"bp\"\nversion = \"0.1.0\"\ndescription = \"d\"\n\
             [[question]]\nkey = \"a\"\ntype = \"bool\"\ndefault = false\nwhen = \"b\"\n\
             [[question]]\nkey = \"b\"\ntype = \"bool\"\ndefault = false\n",
        )
        .unwrap();
        std::fs::write(root.join("template/x.txt"), "x\n").unwrap();
        let err = load(&Context::default(), root.to_str().unwrap())
            .err()
            .expect("a when reading a later question is refused");
        assert!(err.to_string().contains("not an earlier question"), "{err}");
    }
}
