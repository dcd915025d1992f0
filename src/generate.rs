//! `new`: resolve the blueprint and answers, plan, check the target, write, run post-steps.
//! Also the read-only views behind `list` and `info`. Nothing here knows about clap.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::answers::{AnswerInputs, Answers, Prompter, Resolver, check_value, parse_text};
use crate::blueprint::{self, Blueprint, Sources};
use crate::config::OrgConfig;
use crate::error::{Error, Result};
use crate::manifest::{Manifest, Question};
use crate::plan::{self, Plan};
use crate::poststep::{self, PostStep, PostStepOptions};
use crate::render::Renderer;
use crate::{lockfile, write};

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
            allowed_git_prefixes: org.allowed_git_prefixes.clone(),
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
}

impl BlueprintSummary {
    pub fn of(bp: &Blueprint) -> Self {
        BlueprintSummary {
            name: bp.name().to_string(),
            version: bp.manifest.version.clone(),
            description: bp.manifest.description.clone(),
            source: bp.origin.describe(),
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
    check_expressions(&bp.manifest, &renderer, reference)?;
    Ok((bp, renderer))
}

fn check_expressions(manifest: &Manifest, renderer: &Renderer, reference: &str) -> Result<()> {
    let fail = |message: String| Error::Manifest {
        file: format!("{reference}/{}", blueprint::MANIFEST_FILE),
        message,
    };
    // A `when` may read only answers known by then: earlier questions, or all of them for files.
    let check_when = |what: &str, when: &str, known: &[&str], unknown: &str| -> Result<()> {
        let vars = renderer
            .expression_variables(when)
            .map_err(|e| fail(format!("{what}: when {when:?}: {e}")))?;
        match vars.iter().find(|v| !known.contains(&v.as_str())) {
            Some(v) => Err(fail(format!(
                "{what}: when {when:?} reads `{v}`, which is not {unknown}"
            ))),
            None => Ok(()),
        }
    };
    let mut earlier: Vec<&str> = vec!["gogen_version"];
    for q in &manifest.questions {
        if let Some(when) = &q.when {
            let what = format!("question `{}`", q.key);
            check_when(&what, when, &earlier, "an earlier question")?;
        }
        let is_template = matches!(&q.default, Some(toml::Value::String(s)) if s.contains('{'));
        // A templated default can only be checked once earlier answers exist; a literal one now.
        if let (Some(default), false) = (&q.default, is_template) {
            let value = parse_text(q, &crate::manifest::flag_text(default))?;
            check_value(q, &value)
                .map_err(|rule| fail(format!("question `{}`: default {default}: {rule}", q.key)))?;
        }
        earlier.push(&q.key);
    }
    for rule in &manifest.file_rules {
        if let Some(when) = &rule.when {
            let what = format!("files rule {:?}", rule.path);
            check_when(&what, when, &earlier, "a question")?;
        }
    }
    Ok(())
}

pub fn new_project(
    ctx: &Context,
    req: &NewRequest,
    prompter: Option<&mut dyn Prompter>,
) -> Result<Outcome> {
    let (bp, renderer) = load(ctx, &req.blueprint)?;
    let resolver = Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    };
    let mut inputs = req.inputs.clone();
    inputs.org = ctx.org.clone();
    if let Some(name) = &req.preset {
        inputs.preset = Some(ctx.org.preset(name, bp.name())?.clone());
    }
    let answers = resolver.resolve(&inputs, prompter)?;
    let target = match &req.target {
        Some(t) => t.clone(),
        None => default_target(&bp, &answers)?,
    };
    let mut planned = plan::plan(&bp, &renderer, &answers)?;
    lockfile::add_to_plan(&bp, &answers, &mut planned);
    let mut checked = write::preflight(&planned, &target, req.force)?;
    checked.durable = req.fsync;
    let mut post_steps = poststep::plan_steps(&target, req.post);
    let next_steps = next_steps(&target, &answers);
    let mut outcome = Outcome {
        blueprint: BlueprintSummary::of(&bp),
        content_hash: bp.content_hash(),
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
    if let Err(e) = poststep::run_steps(&target, &mut post_steps) {
        outcome.post_step_error = Some(e);
    }
    outcome.post_steps = post_steps;
    Ok(outcome)
}

fn default_target(bp: &Blueprint, answers: &Answers) -> Result<PathBuf> {
    match answers.get("project_name") {
        Some(crate::answers::AnswerValue::Str(name)) if !name.is_empty() => Ok(PathBuf::from(name)),
        _ => Err(Error::Usage(format!(
            "blueprint `{}` has no project_name answer; name the target folder: gogen new {} <DIR>",
            bp.name(),
            bp.reference()
        ))),
    }
}

fn next_steps(target: &Path, answers: &Answers) -> Vec<String> {
    let mut steps = vec![format!(
        "cd {}",
        crate::error::shell_word(&target.display().to_string())
    )];
    if let Some(crate::answers::AnswerValue::Str(name)) = answers.get("project_name") {
        steps.push(format!("go run ./cmd/{name}"));
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
    let default_tree = resolver
        .resolve(&inputs, None)
        .and_then(|answers| plan::plan(&bp, &renderer, &answers))
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
    })
}

/// Every built-in blueprint, then those in the search path (marked by source), for `gogen list`.
pub fn list(ctx: &Context) -> Result<Vec<BlueprintSummary>> {
    let mut out: Vec<BlueprintSummary> = blueprint::built_in_names()
        .iter()
        .map(|name| blueprint::load_built_in(name).map(|bp| BlueprintSummary::of(&bp)))
        .collect::<Result<_>>()?;
    for found in ctx.sources.search() {
        let summary = match blueprint::load_folder(&found.dir.display().to_string()) {
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
            },
        };
        out.push(summary);
    }
    Ok(out)
}
