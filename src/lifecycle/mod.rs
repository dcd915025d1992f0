//! The lifecycle of a generated project: `check`, `update`, `add` and `remove`.
//!
//! One planner serves them all. It opens the project and its lock, finds the blueprint to
//! move to (the available one for `update`; the *same* version with other answers for
//! `add`/`remove`), collects verified base files, resolves the new answers, renders, and
//! decides every file (`decide`). The plan is complete in memory before anything is written;
//! `--dry-run` and `check` stop there, and `apply` writes it all-or-nothing.
//!
//! - `answers`: carrying the project's answers to the new version;
//! - `base`, `history`, `git`: where the old version's files come from;
//! - `decide`, `merge`: the per-file table and the text merge;
//! - `apply`: the journalled, undoable writer; `project`: the project on disk.

pub mod answers;
pub mod apply;
pub mod base;
pub mod decide;
pub mod git;
pub mod history;
pub mod merge;
pub mod project;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::answers::{AnswerInputs, Answers, AnswersFile, Prompter, check_value, parse_text};
use crate::blueprint::manifest::{Feature, flag_text};
use crate::blueprint::{self, Blueprint, Origin, gitsource, sha256_hex};
use crate::error::{Error, Result};
use crate::generate::lockfile::{LOCK_FILE, LockFile};
use crate::generate::plan::{self, PlannedFile};
use crate::generate::render::{Context as RenderContext, Renderer};
use crate::generate::{self, Context};
use apply::{Expect, Op, Step};
use base::{BaseSource, Bases, Candidate};
use decide::Decision;
use history::History;
use merge::{Labels, has_markers};
use project::{Disk, Project};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Check,
    Update,
    Add(String),
    Remove(String),
}

impl Kind {
    pub fn command(&self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::Update => "update",
            Kind::Add(_) => "add",
            Kind::Remove(_) => "remove",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub dir: PathBuf,
    pub kind: Kind,
    pub sets: Vec<(String, String)>,
    pub answers_file: Option<AnswersFile>,
    /// Where the blueprint is now, when the lock's source no longer says (a moved folder,
    /// a git source's new ref).
    pub blueprint: Option<String>,
    /// A folder holding the project's old blueprint version, as a base source.
    pub base_blueprint: Option<PathBuf>,
    /// Refetch a git blueprint at its pinned commit (network).
    pub fetch: bool,
    pub restore: Vec<String>,
}

impl Request {
    pub fn new(dir: PathBuf, kind: Kind) -> Self {
        Request {
            dir,
            kind,
            sets: Vec::new(),
            answers_file: None,
            blueprint: None,
            base_blueprint: None,
            fetch: false,
            restore: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BlueprintRef {
    pub name: String,
    pub version: String,
    pub source: String,
    pub content_hash: String,
}

/// A complete plan: what every file becomes, and the lock that records it.
pub struct Plan {
    pub project: Project,
    pub kind: Kind,
    pub from: BlueprintRef,
    pub to: BlueprintRef,
    pub answers: Answers,
    pub changes: answers::Changes,
    pub decisions: Vec<Decision>,
    pub bases: Bases,
    pub lock: LockFile,
    /// Steps for `apply`, the lock last; empty when there is nothing to do.
    pub steps: Vec<Step>,
    /// Why nothing happens, for a feature that is already there (or not).
    pub note: Option<String>,
}

impl Plan {
    pub fn conflicts(&self) -> Vec<&Decision> {
        self.decisions
            .iter()
            .filter(|d| d.action.is_conflict())
            .collect()
    }

    pub fn nothing_to_do(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Loads the blueprint the project would move to: `--blueprint`, else the lock's source.
fn available(ctx: &Context, lock: &LockFile, req: &Request) -> Result<Blueprint> {
    let source = lock.blueprint.source.as_str();
    let reference = match (&req.blueprint, source) {
        (Some(r), _) => r.clone(),
        (None, "built-in") => lock.blueprint.name.clone(),
        (None, s) if s.starts_with("search-path:") => s["search-path:".len()..].to_string(),
        (None, s) if gitsource::is_git_reference(s) && req.fetch => s.to_string(),
        (None, s) if gitsource::is_git_reference(s) => {
            return Err(Error::Lifecycle {
                message: format!(
                    "the project's blueprint is the git source {s}; gogen needs the network to see its newer versions"
                ),
                help: "pass --blueprint URL#REF with the version to move to, or --fetch to use the pinned commit".into(),
            });
        }
        (None, s) => relative_folder(s, &req.dir),
    };
    let (mut bp, _) = generate::load(ctx, &reference).map_err(|e| match e {
        Error::UnknownBlueprint { .. } | Error::Blueprint { .. } if req.blueprint.is_none() => {
            Error::Lifecycle {
                message: format!(
                    "the project's blueprint {:?} cannot be loaded: {e}",
                    lock.blueprint.source
                ),
                help: "if it moved, say where it is now: --blueprint <name, folder or git source>"
                    .into(),
            }
        }
        other => other,
    })?;
    if let Some(dir) = source.strip_prefix("search-path:")
        && req.blueprint.is_none()
    {
        bp.origin = Origin::SearchPath { dir: dir.into() };
    }
    // Found beside the project rather than from here: the lock keeps the folder as given.
    if let Origin::Folder { given, .. } = &mut bp.origin
        && req.blueprint.is_none()
        && *given != source
    {
        *given = source.to_string();
    }
    if bp.name() != lock.blueprint.name {
        return Err(Error::Usage(format!(
            "{reference} is the blueprint `{}`, but this project was generated from `{}`",
            bp.name(),
            lock.blueprint.name
        )));
    }
    Ok(bp)
}

/// A folder the lock names relative to where `gogen new` ran: from here if it is there,
/// else beside the project (where `new` usually ran), else inside it.
fn relative_folder(given: &str, project: &std::path::Path) -> String {
    let path = std::path::Path::new(given);
    if path.is_absolute() || path.is_dir() {
        return given.to_string();
    }
    let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
    [
        project.parent().map(|p| p.join(path)),
        Some(project.join(path)),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_dir())
    .map(|p| p.display().to_string())
    .unwrap_or_else(|| given.to_string())
}

fn blueprint_ref(bp: &Blueprint, content_hash: &str) -> BlueprintRef {
    BlueprintRef {
        name: bp.name().to_string(),
        version: bp.manifest.version.clone(),
        source: bp.origin.describe(),
        content_hash: content_hash.to_string(),
    }
}

/// The project's blueprint version, from wherever this gogen can find it.
struct Sources {
    /// The available blueprint and its content hash.
    available: Result<(Blueprint, String)>,
    /// The locked version itself, when some source has exactly its content.
    locked: Option<Blueprint>,
    candidates: Vec<Candidate>,
}

fn sources(ctx: &Context, project: &Project, req: &Request) -> Result<Sources> {
    let lock = &project.lock;
    let want = &lock.blueprint.content_hash;
    let available = available(ctx, lock, req).map(|bp| {
        let hash = bp.content_hash();
        (bp, hash)
    });
    let mut candidates = Vec::new();
    if let Some(snapshot) = History::embedded()
        .map_err(|message| Error::Lifecycle {
            message,
            help: "this gogen binary is damaged; reinstall it".into(),
        })?
        .find(want)
        .filter(|s| s.blueprint == lock.blueprint.name)
    {
        let loaded = History::embedded()
            .expect("loaded above")
            .load(snapshot)
            .map_err(|message| Error::Lifecycle {
                message,
                help: "this gogen binary is damaged; reinstall it".into(),
            })?;
        candidates.push(Candidate {
            blueprint: loaded.blueprint,
            content_hash: snapshot.content_hash.clone(),
            source: BaseSource::History,
        });
    }
    if let Ok((bp, hash)) = &available
        && hash == want
    {
        candidates.push(Candidate {
            blueprint: bp.clone(),
            content_hash: hash.clone(),
            source: BaseSource::Unchanged,
        });
    }
    // A folder blueprint kept in git: its own history may hold the project's version.
    let folder = match available.as_ref().map(|(bp, _)| &bp.origin) {
        Ok(Origin::Folder { root, given }) => Some((root.clone(), given.clone())),
        Ok(Origin::SearchPath { dir }) => Some((dir.clone(), dir.display().to_string())),
        _ => None,
    };
    if !candidates.iter().any(|c| c.content_hash == *want)
        && let Some((root, given)) = &folder
        && let Some(repo) = git::repo_of(root)
        && let Some(old) = repo.blueprint_version(given, want, &lock.blueprint.version, 100)
    {
        candidates.push(Candidate {
            blueprint: old,
            content_hash: want.clone(),
            source: BaseSource::BlueprintGit,
        });
    }
    let pinned = lock.blueprint.source.as_str();
    if req.fetch && gitsource::is_git_reference(pinned) && req.blueprint.is_some() {
        let bp = ctx.sources.resolve(pinned)?;
        candidates.push(Candidate {
            content_hash: bp.content_hash(),
            blueprint: bp,
            source: BaseSource::Fetch,
        });
    }
    if let Some(dir) = &req.base_blueprint {
        let bp = blueprint::load_folder(&dir.display().to_string())?;
        if bp.name() != lock.blueprint.name {
            return Err(Error::Usage(format!(
                "--base-blueprint {} is the blueprint `{}`, but this project was generated from `{}`",
                dir.display(),
                bp.name(),
                lock.blueprint.name
            )));
        }
        candidates.push(Candidate {
            content_hash: bp.content_hash(),
            blueprint: bp,
            source: BaseSource::Dir,
        });
    }
    let locked = candidates
        .iter()
        .find(|c| c.content_hash == *want)
        .map(|c| c.blueprint.clone());
    Ok(Sources {
        available,
        locked,
        candidates,
    })
}

/// The lock's answers as template variables, for rendering the old side of `[[moved]]`.
fn lock_context(lock: &LockFile) -> RenderContext {
    fn value(v: &toml::Value) -> minijinja::Value {
        match v {
            toml::Value::Boolean(b) => (*b).into(),
            toml::Value::Integer(i) => (*i).into(),
            toml::Value::String(s) => s.clone().into(),
            toml::Value::Array(items) => items.iter().map(value).collect::<Vec<_>>().into(),
            other => other.to_string().into(),
        }
    }
    let mut vars: BTreeMap<String, minijinja::Value> = lock
        .answers
        .iter()
        .map(|(k, v)| (k.clone(), value(v)))
        .collect();
    vars.insert(
        "gogen_version".into(),
        minijinja::Value::from(env!("CARGO_PKG_VERSION")),
    );
    RenderContext::from_map(vars)
}

/// A feature's answers, and whether the project already has them.
fn feature_answers(
    name: &str,
    adding: bool,
    locked: &Blueprint,
    available: Option<&Blueprint>,
    lock: &LockFile,
) -> Result<(Vec<(String, String)>, bool)> {
    let find = |bp: &Blueprint| bp.manifest.feature(name).cloned();
    // A feature declared only by a newer version still applies when its answers exist here.
    let feature: Feature = find(locked)
        .or_else(|| {
            available
                .and_then(find)
                .filter(|f| f.set.keys().all(|k| locked.manifest.question(k).is_some()))
        })
        .ok_or_else(|| {
            let mut known: Vec<String> = locked
                .manifest
                .features
                .iter()
                .chain(
                    available
                        .map(|a| a.manifest.features.as_slice())
                        .unwrap_or(&[]),
                )
                .map(|f| f.name.clone())
                .collect();
            known.sort();
            known.dedup();
            Error::UnknownFeature {
                name: name.to_string(),
                blueprint: locked.name().to_string(),
                suggestion: blueprint::closest(name, known.iter().map(String::as_str)),
                known,
            }
        })?;
    let wanted = if adding {
        feature.set.clone()
    } else {
        feature
            .off_answers(&locked.manifest)
            .map_err(|message| Error::Manifest {
                file: format!("{}/{}", locked.name(), blueprint::MANIFEST_FILE),
                message,
            })?
    };
    let mut sets = Vec::new();
    let mut already = true;
    for (key, value) in &wanted {
        let q = locked
            .manifest
            .question(key)
            .ok_or_else(|| Error::Usage(format!("feature `{name}`: no question `{key}`")))?;
        let text = flag_text(value);
        let parsed = parse_text(q, &text)?;
        check_value(q, &parsed).map_err(|rule| Error::InvalidAnswer {
            key: key.clone(),
            value: text.clone(),
            rule,
            hint: format!("feature `{name}` sets it"),
        })?;
        if lock.answers.get(key) != Some(&parsed.to_toml()) {
            already = false;
        }
        sets.push((key.clone(), text));
    }
    Ok((sets, already))
}

/// Plans `check`, `update`, `add` or `remove` without touching anything.
pub fn plan(ctx: &Context, req: &Request, prompter: Option<&mut dyn Prompter>) -> Result<Plan> {
    let mut project = Project::open(&req.dir)?;
    let repo = git::repo_of(&project.dir);
    let found = sources(ctx, &project, req)?;
    let (theirs_bp, theirs_hash, forced, already) = match &req.kind {
        Kind::Check | Kind::Update => {
            let (bp, hash) = found.available?;
            (bp, hash, Vec::new(), false)
        }
        Kind::Add(name) | Kind::Remove(name) => {
            let locked = found.locked.clone().ok_or_else(|| {
                let lock = &project.lock.blueprint;
                Error::Lifecycle {
                    message: format!(
                        "this gogen does not have the project's blueprint version ({} {}, {}), so it cannot add or remove a feature at that version",
                        lock.name, lock.version, lock.content_hash
                    ),
                    help: "update and change the answers in one step instead: gogen update --set KEY=VALUE (`gogen info` lists what each feature sets)".into(),
                }
            })?;
            let adding = matches!(req.kind, Kind::Add(_));
            let (sets, already) = feature_answers(
                name,
                adding,
                &locked,
                found.available.as_ref().ok().map(|(bp, _)| bp),
                &project.lock,
            )?;
            let hash = project.lock.blueprint.content_hash.clone();
            (locked, hash, sets, already)
        }
    };
    let bases = Bases::collect(&project.lock, found.candidates, repo.as_ref());
    // Schema 1 locks know no modes or sources; a verified render supplies them.
    for (path, entry) in project.lock.files.iter_mut() {
        if let Some(b) = bases.files.get(path) {
            entry.mode = entry.mode.or(b.mode);
            entry.source = entry.source.clone().or_else(|| b.template.clone());
        }
    }
    let renderer = Renderer::new(&theirs_bp);
    let user = AnswerInputs {
        sets: req.sets.clone(),
        file: req.answers_file.clone(),
        ..AnswerInputs::default()
    };
    let present: BTreeSet<String> = project
        .lock
        .files
        .keys()
        .filter(|p| matches!(project.disk(p), Ok(Disk::File { .. })))
        .cloned()
        .collect();
    // Each rendering of an untrusted blueprint gets its own budget, as in `blueprint lint`.
    let keeps = |answers: &Answers| -> Result<usize> {
        renderer.reset_budget();
        let p = plan::plan(&theirs_bp, &renderer, answers)?;
        Ok(p.files.iter().filter(|f| present.contains(&f.path)).count())
    };
    let answer_req = answers::Request {
        lock: &project.lock,
        manifest: &theirs_bp.manifest,
        renderer: &renderer,
        user: &user,
        org: &ctx.org,
        forced: &forced,
    };
    let (new_answers, changes) = answers::resolve(&answer_req, prompter, &keeps)?;
    renderer.reset_budget();
    let theirs_plan = plan::plan(&theirs_bp, &renderer, &new_answers)?;
    let theirs_files: Vec<PlannedFile> = theirs_plan
        .files
        .iter()
        .filter(|f| f.path != LOCK_FILE)
        .cloned()
        .collect();
    let old_ctx = lock_context(&project.lock);
    let new_ctx = new_answers.context();
    let mut moves = Vec::new();
    for m in &theirs_bp.manifest.moved {
        let from = renderer.render_str("moved from", &m.from, &old_ctx)?;
        let to = renderer.render_str("moved to", &m.to, &new_ctx)?;
        moves.push((from, to));
    }
    let restore: BTreeSet<String> = req.restore.iter().cloned().collect();
    for path in &restore {
        if !project.lock.files.contains_key(path) {
            return Err(Error::Usage(format!(
                "--restore {path}: the project's lock does not list that file"
            )));
        }
    }
    let from = BlueprintRef {
        name: project.lock.blueprint.name.clone(),
        version: project.lock.blueprint.version.clone(),
        source: project.lock.blueprint.source.clone(),
        content_hash: project.lock.blueprint.content_hash.clone(),
    };
    let to = blueprint_ref(&theirs_bp, &theirs_hash);
    let labels = Labels {
        ours: "yours".into(),
        base: format!("as generated ({} {})", from.name, from.version),
        theirs: match &req.kind {
            Kind::Add(f) => format!("new version ({} {} with {f})", to.name, to.version),
            Kind::Remove(f) => format!("new version ({} {} without {f})", to.name, to.version),
            _ => format!("new version ({} {})", to.name, to.version),
        },
    };
    let disk = |p: &str| project.disk(p);
    let decisions = decide::decide(&decide::Inputs {
        base: &project.lock.files,
        bases: &bases,
        theirs: &theirs_files,
        disk: &disk,
        moves: &moves,
        restore: &restore,
        labels: &labels,
    })?;
    let mut lock = LockFile::with_content_hash(&theirs_bp, theirs_hash, &new_answers, &theirs_plan);
    lock.deleted_by_user = decisions
        .iter()
        .filter(|d| d.deleted_by_user && d.tracked)
        .map(|d| d.path.clone())
        .collect();
    lock.pending_conflicts = decisions
        .iter()
        .filter(|d| d.action.is_conflict())
        .map(|d| d.path.clone())
        .collect();
    let mut steps: Vec<Step> = Vec::new();
    // Deletions first, so a path that turns from a file into a folder can be written.
    for d in &decisions {
        steps.extend(
            d.ops
                .iter()
                .filter(|s| matches!(s.op, Op::Delete { .. }))
                .cloned(),
        );
    }
    for d in &decisions {
        steps.extend(
            d.ops
                .iter()
                .filter(|s| !matches!(s.op, Op::Delete { .. }))
                .cloned(),
        );
    }
    let lock_text = lock.render();
    // Only the record of what the user did since (deletions, resolved conflicts) changed:
    // that alone is nothing to do, and the lock is left as it is.
    let same_lock = {
        let mut old = project.lock.clone();
        let mut new = lock.clone();
        for l in [&mut old, &mut new] {
            l.schema = 0;
            l.gogen_version.clear();
            l.deleted_by_user.clear();
            l.pending_conflicts.clear();
        }
        old == new
    };
    let note = already.then(|| match &req.kind {
        Kind::Add(f) => format!("the project already has {f}"),
        Kind::Remove(f) => format!("the project does not have {f}"),
        _ => String::new(),
    });
    if !steps.is_empty() || !same_lock {
        steps.push(Step {
            op: Op::Write {
                path: LOCK_FILE.to_string(),
                bytes: lock_text.into_bytes(),
                mode: 0o644,
            },
            expect: Expect::Sha(sha256_hex(project.lock_text.as_bytes())),
        });
    }
    Ok(Plan {
        project,
        kind: req.kind.clone(),
        from,
        to,
        answers: new_answers,
        changes,
        decisions,
        bases,
        lock,
        steps,
        note,
    })
}

/// The state of a conflict an earlier update left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictState {
    /// The file still holds conflict markers.
    Markers,
    /// A binary conflict's `.gogen-theirs` file is still there.
    TheirsFile,
    /// git still has unmerged index entries for it.
    Unmerged,
    /// Resolved, but not committed yet.
    Uncommitted,
    Resolved,
}

impl ConflictState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictState::Markers => "conflict markers left",
            ConflictState::TheirsFile => "the .gogen-theirs file is still there",
            ConflictState::Unmerged => "unmerged in the git index",
            ConflictState::Uncommitted => "resolved, not committed",
            ConflictState::Resolved => "resolved",
        }
    }

    /// Blocks the next update (an uncommitted resolution does not).
    pub fn blocks(self) -> bool {
        matches!(
            self,
            ConflictState::Markers | ConflictState::TheirsFile | ConflictState::Unmerged
        )
    }
}

/// Where each of the lock's pending conflicts stands.
pub fn conflict_states(
    project: &Project,
    repo: Option<&git::Repo>,
) -> Vec<(String, ConflictState)> {
    let (unmerged, status) = match repo {
        Some(r) => (r.unmerged(), r.status().unwrap_or_default()),
        None => (BTreeSet::new(), BTreeMap::new()),
    };
    project
        .lock
        .pending_conflicts
        .iter()
        .map(|path| {
            let theirs = format!("{path}{}", decide::THEIRS_SUFFIX);
            let state = if matches!(project.disk(path), Ok(Disk::File { ref bytes, .. }) if has_markers(bytes)) {
                ConflictState::Markers
            } else if !matches!(project.disk(&theirs), Ok(Disk::Missing)) {
                ConflictState::TheirsFile
            } else if unmerged.contains(path) {
                ConflictState::Unmerged
            } else if repo.is_some() && (status.contains_key(path) || status.contains_key(&theirs)) {
                ConflictState::Uncommitted
            } else {
                ConflictState::Resolved
            };
            (path.clone(), state)
        })
        .collect()
}

/// What `update`/`add`/`remove` did to the git index.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum GitIndex {
    NotAGitWorkTree,
    NoConflicts,
    Skipped { reason: String },
    Registered { paths: usize },
    Failed { reason: String },
}

pub struct Options {
    pub dry_run: bool,
    pub allow_dirty: bool,
    /// Register conflicts as unmerged index entries (when in a git work tree).
    pub git_index: bool,
    pub fsync: bool,
}

pub struct Outcome {
    pub plan: Plan,
    pub dry_run: bool,
    pub git_index: GitIndex,
}

/// Refuses what must stop an update before it is applied, then applies it.
pub fn run(
    ctx: &Context,
    req: &Request,
    opts: &Options,
    prompter: Option<&mut dyn Prompter>,
) -> Result<Outcome> {
    let project = Project::open(&req.dir)?;
    let repo = git::repo_of(&project.dir);
    let blocking: Vec<String> = conflict_states(&project, repo.as_ref())
        .into_iter()
        .filter(|(_, s)| s.blocks())
        .map(|(p, s)| format!("{p} ({})", s.as_str()))
        .collect();
    if !blocking.is_empty() {
        return Err(Error::PendingConflicts { paths: blocking });
    }
    let plan = plan(ctx, req, prompter)?;
    if let Some(repo) = &repo
        && !opts.allow_dirty
        && !plan.steps.is_empty()
    {
        let status = repo.status().map_err(|message| Error::Lifecycle {
            message,
            help: "pass --allow-dirty to update without asking git".into(),
        })?;
        let dirty: Vec<String> = plan
            .steps
            .iter()
            .map(|s| s.op.path())
            .filter(|p| status.contains_key(*p))
            .map(|p| format!("{p} ({})", status[p].trim()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !dirty.is_empty() {
            return Err(Error::Dirty { paths: dirty });
        }
    }
    if opts.dry_run || plan.steps.is_empty() {
        let git_index = match (&repo, plan.conflicts().is_empty()) {
            (None, _) => GitIndex::NotAGitWorkTree,
            (_, true) => GitIndex::NoConflicts,
            (Some(_), false) => GitIndex::Skipped {
                reason: "dry run".into(),
            },
        };
        return Ok(Outcome {
            plan,
            dry_run: opts.dry_run,
            git_index,
        });
    }
    apply::apply(&plan.project.dir, &plan.steps, opts.fsync)?;
    let stages: Vec<git::Stages> = plan
        .decisions
        .iter()
        .filter_map(|d| d.stages.clone())
        .collect();
    let git_index = match (&repo, stages.is_empty(), opts.git_index) {
        (None, _, _) => GitIndex::NotAGitWorkTree,
        (_, true, _) => GitIndex::NoConflicts,
        (Some(_), false, false) => GitIndex::Skipped {
            reason: "--no-git-index".into(),
        },
        (Some(_), false, _) if crate::signals::interrupted() => GitIndex::Skipped {
            reason: "interrupted".into(),
        },
        (Some(repo), false, true) => match repo.register_conflicts(&stages) {
            Ok(()) => GitIndex::Registered {
                paths: stages.len(),
            },
            Err(reason) => GitIndex::Failed { reason },
        },
    };
    Ok(Outcome {
        plan,
        dry_run: false,
        git_index,
    })
}

/// What `gogen check` reports.
pub struct CheckReport {
    pub project: PathBuf,
    pub locked: BlueprintRef,
    pub available: Option<BlueprintRef>,
    /// Why the available blueprint or the plan could not be evaluated.
    pub error: Option<Error>,
    /// The answers need input before an update (a usage-type planning error).
    pub answers_problem: Option<String>,
    pub plan: Option<Plan>,
    pub tracked: usize,
    pub base_sources: Vec<BaseSource>,
    pub no_base: Vec<String>,
    pub base_notes: Vec<String>,
    pub modified: Vec<String>,
    pub deleted: Vec<String>,
    pub conflicts: Vec<(String, ConflictState)>,
    /// `.gogen-…` staging folders an interrupted run (kill -9, power cut) left behind.
    pub leftovers: Vec<String>,
}

impl CheckReport {
    pub fn update_available(&self) -> bool {
        self.answers_problem.is_some()
            || self.plan.as_ref().is_some_and(|p| {
                p.decisions.iter().any(|d| !d.ops.is_empty())
                    || !p.changes.is_empty()
                    || p.from.content_hash != p.to.content_hash
            })
    }

    pub fn unresolved(&self) -> Vec<&(String, ConflictState)> {
        self.conflicts
            .iter()
            .filter(|(_, s)| *s != ConflictState::Resolved)
            .collect()
    }

    /// 5 unresolved conflicts, 4 an update is available, 1 cannot evaluate, 0 up to date.
    pub fn exit_code(&self) -> u8 {
        use crate::error::exit;
        if !self.unresolved().is_empty() {
            exit::CONFLICTS
        } else if self.error.is_some() {
            exit::GENERATION_FAILED
        } else if self.update_available() {
            exit::UPDATE_AVAILABLE
        } else {
            exit::OK
        }
    }
}

fn staging_leftovers(dir: &std::path::Path) -> Vec<String> {
    let Ok(root) = crate::safefs::DirHandle::open(dir) else {
        return Vec::new();
    };
    root.entries()
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, kind)| *kind == crate::safefs::Kind::Dir)
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".gogen-"))
        .collect()
}

pub fn check(ctx: &Context, req: &Request) -> Result<CheckReport> {
    let project = Project::open(&req.dir)?;
    let repo = git::repo_of(&project.dir);
    let conflicts = conflict_states(&project, repo.as_ref());
    let mut modified = Vec::new();
    let mut deleted = Vec::new();
    for (path, entry) in &project.lock.files {
        match project.disk(path)? {
            Disk::Missing => deleted.push(path.clone()),
            d if !d.matches(&entry.sha256) => modified.push(path.clone()),
            _ => {}
        }
    }
    let locked = BlueprintRef {
        name: project.lock.blueprint.name.clone(),
        version: project.lock.blueprint.version.clone(),
        source: project.lock.blueprint.source.clone(),
        content_hash: project.lock.blueprint.content_hash.clone(),
    };
    let mut report = CheckReport {
        project: project.dir.clone(),
        locked,
        available: None,
        error: None,
        answers_problem: None,
        plan: None,
        tracked: project.lock.files.len(),
        base_sources: Vec::new(),
        no_base: Vec::new(),
        base_notes: Vec::new(),
        modified,
        deleted,
        conflicts,
        leftovers: staging_leftovers(&project.dir),
    };
    let mut planned = Request::new(req.dir.clone(), Kind::Check);
    planned.blueprint = req.blueprint.clone();
    planned.base_blueprint = req.base_blueprint.clone();
    planned.fetch = req.fetch;
    match plan(ctx, &planned, None) {
        Ok(p) => {
            report.available = Some(p.to.clone());
            report.base_sources = p.bases.sources();
            report.no_base = project
                .lock
                .files
                .keys()
                .filter(|k| !p.bases.files.contains_key(*k))
                .cloned()
                .collect();
            report.base_notes = p.bases.notes.clone();
            report.plan = Some(p);
        }
        Err(e) => {
            if let Ok(s) = sources(ctx, &project, &planned) {
                report.available = s
                    .available
                    .as_ref()
                    .ok()
                    .map(|(bp, hash)| blueprint_ref(bp, hash));
                let bases = Bases::collect(&project.lock, s.candidates, repo.as_ref());
                report.base_sources = bases.sources();
                report.no_base = project
                    .lock
                    .files
                    .keys()
                    .filter(|k| !bases.files.contains_key(*k))
                    .cloned()
                    .collect();
                report.base_notes = bases.notes;
            } else {
                report.no_base = project.lock.files.keys().cloned().collect();
            }
            if e.exit_code() == crate::error::exit::USAGE {
                report.answers_problem = Some(e.to_string());
            } else {
                report.error = Some(e);
            }
        }
    }
    Ok(report)
}
