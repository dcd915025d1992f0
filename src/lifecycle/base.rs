//! Where the base of a three-way merge comes from: the files as the project's *old*
//! blueprint generated them. Sources, in order: the built-in history embedded in this binary
//! (by content hash, so no git tags), the available blueprint when its content is unchanged,
//! the project's own git history, a blueprint folder named with `--base-blueprint`, and a git
//! blueprint refetched at its pinned commit (`--fetch`, network). Nothing comes from a
//! cache outside the project. Whatever the source, a file is a base only if its bytes hash
//! to the lock's sha256; otherwise that file has no base.

use std::collections::BTreeMap;
use std::path::Path;

use crate::answers::{AnswerInputs, AnswersFile, FileValue, Resolver};
use crate::blueprint::Blueprint;
use crate::generate::lockfile::LockFile;
use crate::generate::plan::{self, PlannedFile};
use crate::generate::render::Renderer;
use crate::lifecycle::git::Repo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaseSource {
    /// The built-in history embedded in gogen.
    History,
    /// The blueprint available now has exactly the locked content.
    Unchanged,
    /// The git history of the blueprint folder itself.
    BlueprintGit,
    /// The project's own git history.
    GitObject,
    /// `--base-blueprint DIR`.
    Dir,
    /// A git blueprint refetched at its pinned commit.
    Fetch,
}

impl BaseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            BaseSource::History => "built-in history",
            BaseSource::Unchanged => "the unchanged blueprint",
            BaseSource::BlueprintGit => "the blueprint's git history",
            BaseSource::Fetch => "the pinned git commit",
            BaseSource::Dir => "--base-blueprint",
            BaseSource::GitObject => "the project's git history",
        }
    }
}

/// One verified base file.
#[derive(Debug, Clone)]
pub struct BaseFile {
    pub bytes: Vec<u8>,
    pub source: BaseSource,
    /// From a render (git objects know neither).
    pub mode: Option<u32>,
    pub template: Option<String>,
}

#[derive(Debug, Default)]
pub struct Bases {
    pub files: BTreeMap<String, BaseFile>,
    /// Why a render-based source could not be used, for `check` and `--dry-run`.
    pub notes: Vec<String>,
}

/// A blueprint that may have produced the project, and which source it stands for.
pub struct Candidate {
    pub blueprint: Blueprint,
    pub content_hash: String,
    pub source: BaseSource,
}

impl Bases {
    /// Renders each candidate with the lock's answers and keeps every file that hashes to
    /// the lock; then asks git for the files still missing.
    pub fn collect(lock: &LockFile, candidates: Vec<Candidate>, repo: Option<&Repo>) -> Bases {
        let mut bases = Bases::default();
        let (first, last): (Vec<Candidate>, Vec<Candidate>) =
            candidates.into_iter().partition(|c| {
                matches!(
                    c.source,
                    BaseSource::History | BaseSource::Unchanged | BaseSource::BlueprintGit
                )
            });
        for candidate in first {
            bases.render(lock, candidate);
        }
        if let Some(repo) = repo
            && bases.files.len() < lock.files.len()
        {
            let wanted: BTreeMap<String, String> = lock
                .files
                .iter()
                .filter(|(p, _)| !bases.files.contains_key(*p))
                .map(|(p, f)| (p.clone(), f.sha256.clone()))
                .collect();
            for (path, bytes) in repo.find_blobs(&wanted) {
                bases.files.insert(
                    path,
                    BaseFile {
                        bytes,
                        source: BaseSource::GitObject,
                        mode: None,
                        template: None,
                    },
                );
            }
        }
        for candidate in last {
            bases.render(lock, candidate);
        }
        bases
    }

    fn render(&mut self, lock: &LockFile, candidate: Candidate) {
        if self.files.len() == lock.files.len() {
            return;
        }
        match render_with_lock_answers(&candidate.blueprint, lock) {
            Ok(files) => self.take(lock, files, candidate.source),
            Err(e) => self.notes.push(format!(
                "{} ({} {}) does not render with the project's answers: {e}",
                candidate.source.as_str(),
                candidate.blueprint.name(),
                candidate.blueprint.manifest.version
            )),
        }
    }

    fn take(&mut self, lock: &LockFile, rendered: Vec<PlannedFile>, source: BaseSource) {
        for f in rendered {
            let Some(locked) = lock.files.get(&f.path) else {
                continue;
            };
            if self.files.contains_key(&f.path) || locked.sha256 != format!("sha256:{}", f.sha256) {
                continue;
            }
            self.files.insert(
                f.path.clone(),
                BaseFile {
                    bytes: f.bytes,
                    source,
                    mode: Some(f.mode),
                    template: Some(f.source),
                },
            );
        }
    }

    /// The sources that supplied at least one file, in cascade order.
    pub fn sources(&self) -> Vec<BaseSource> {
        let mut s: Vec<BaseSource> = self.files.values().map(|f| f.source).collect();
        s.sort();
        s.dedup();
        s
    }
}

/// The lock's answers as an answers file: every answer that was asked (skipped ones hold zero
/// values the resolver derives itself), with no org config, prompt or default involved.
pub fn lock_answers_file(lock: &LockFile, keep: impl Fn(&str) -> bool) -> AnswersFile {
    AnswersFile {
        path: Path::new(crate::generate::lockfile::LOCK_FILE).to_path_buf(),
        values: lock
            .answers
            .iter()
            .filter(|(k, _)| {
                lock.answer_sources.get(*k).map(String::as_str) != Some("skipped") && keep(k)
            })
            .map(|(k, v)| (k.clone(), FileValue::from_toml(v)))
            .collect(),
    }
}

/// Renders a blueprint with exactly the answers recorded in the lock.
pub fn render_with_lock_answers(
    bp: &Blueprint,
    lock: &LockFile,
) -> crate::error::Result<Vec<PlannedFile>> {
    let renderer = Renderer::new(bp);
    let file = lock_answers_file(lock, |k| bp.manifest.question(k).is_some());
    let inputs = AnswerInputs {
        file: Some(file),
        ..AnswerInputs::default()
    };
    let resolver = Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    };
    let answers = resolver.resolve(&inputs, None)?;
    Ok(plan::plan(bp, &renderer, &answers)?.files)
}
