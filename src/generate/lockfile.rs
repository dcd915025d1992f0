//! `.gogen.toml` in the generated project: what produced it, from which answers, and for
//! every file it wrote the sha256, mode and blueprint source of the file *as generated*, so
//! `gogen check`/`update`/`add`/`remove` can tell pristine files from edited ones without git.
//!
//! Schema 2 (written since the lifecycle commands) keeps schema 1's `[files]` table
//! (path → `"sha256:<hex>"`) unchanged, so tools that read schema 1 keep working, and adds
//! `[modes]` and `[sources]` beside it, `deleted_by_user`, and `[update] pending_conflicts`.
//! Schema 1 is read as schema 2 with modes and sources unknown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::answers::Answers;
use crate::blueprint::Blueprint;
use crate::generate::plan::Plan;
use crate::pathnames::check_component;

pub const LOCK_FILE: &str = ".gogen.toml";
pub const LOCK_SCHEMA: u32 = 2;
/// The largest lock file gogen reads (a hand-edited or hostile one could be anything).
pub const MAX_LOCK_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct LockFile {
    /// The schema the file was read with (always `LOCK_SCHEMA` when written).
    pub schema: u32,
    pub gogen_version: String,
    pub blueprint: LockedBlueprint,
    pub answers: BTreeMap<String, toml::Value>,
    /// Where each answer came from: default, file, flag, prompt, skipped, …
    pub answer_sources: BTreeMap<String, String>,
    /// Every file the blueprint generates at this version with these answers.
    pub files: BTreeMap<String, LockedFile>,
    /// Generated paths the user deleted on purpose; updates never recreate them.
    pub deleted_by_user: Vec<String>,
    /// Files an update left with conflicts to resolve.
    pub pending_conflicts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedFile {
    /// `sha256:<hex>` of the file as generated (never of a merge result).
    pub sha256: String,
    /// The blueprint file it came from (`template/…` relative path or `_shared/<layer>/…`);
    /// unknown for schema 1.
    pub source: Option<String>,
    /// Unknown for schema 1.
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockedBlueprint {
    pub name: String,
    pub version: String,
    /// `built-in`, the folder as it was given on the command line, `search-path:<dir>`,
    /// or a git source pinned to its commit.
    pub source: String,
    pub content_hash: String,
}

/// The file as serde sees it; `LockFile` is the checked form.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    schema: u32,
    gogen_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deleted_by_user: Vec<String>,
    blueprint: LockedBlueprint,
    #[serde(default)]
    answers: BTreeMap<String, toml::Value>,
    #[serde(default)]
    answer_sources: BTreeMap<String, String>,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    modes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sources: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    update: Option<RawUpdate>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpdate {
    #[serde(default)]
    pending_conflicts: Vec<String>,
}

impl LockFile {
    pub fn new(blueprint: &Blueprint, answers: &Answers, plan: &Plan) -> Self {
        Self::with_content_hash(blueprint, blueprint.content_hash(), answers, plan)
    }

    /// `new` for a caller that already knows the blueprint's content hash.
    pub fn with_content_hash(
        blueprint: &Blueprint,
        content_hash: String,
        answers: &Answers,
        plan: &Plan,
    ) -> Self {
        LockFile {
            schema: LOCK_SCHEMA,
            gogen_version: env!("CARGO_PKG_VERSION").to_string(),
            blueprint: LockedBlueprint {
                name: blueprint.name().to_string(),
                version: blueprint.manifest.version.clone(),
                source: blueprint.origin.describe(),
                content_hash,
            },
            answers: answers
                .items
                .iter()
                .map(|a| (a.key.clone(), a.value.to_toml()))
                .collect(),
            answer_sources: answers
                .items
                .iter()
                .map(|a| (a.key.clone(), a.origin.as_str().to_string()))
                .collect(),
            files: plan
                .files
                .iter()
                .filter(|f| f.path != LOCK_FILE)
                .map(|f| {
                    let entry = LockedFile {
                        sha256: format!("sha256:{}", f.sha256),
                        source: Some(f.source.clone()),
                        mode: Some(f.mode),
                    };
                    (f.path.clone(), entry)
                })
                .collect(),
            deleted_by_user: Vec::new(),
            pending_conflicts: Vec::new(),
        }
    }

    pub fn render(&self) -> String {
        let raw = Raw {
            schema: LOCK_SCHEMA,
            gogen_version: self.gogen_version.clone(),
            deleted_by_user: self.deleted_by_user.clone(),
            blueprint: self.blueprint.clone(),
            answers: self.answers.clone(),
            answer_sources: self.answer_sources.clone(),
            files: self
                .files
                .iter()
                .map(|(p, f)| (p.clone(), f.sha256.clone()))
                .collect(),
            modes: self
                .files
                .iter()
                .filter_map(|(p, f)| f.mode.map(|m| (p.clone(), format!("{m:04o}"))))
                .collect(),
            sources: self
                .files
                .iter()
                .filter_map(|(p, f)| f.source.clone().map(|s| (p.clone(), s)))
                .collect(),
            update: (!self.pending_conflicts.is_empty()).then(|| RawUpdate {
                pending_conflicts: self.pending_conflicts.clone(),
            }),
        };
        let body = toml::to_string(&raw).expect("the lock file is plain data");
        format!(
            "# Written by gogen {}. It records how this project was generated; keep it in version control.\n{body}",
            self.gogen_version
        )
    }

    /// Reads schema 1 or 2 and checks every path and hash, so a hand-edited lock cannot
    /// point gogen outside the project or at a file that is not one of its own.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.to_string())?;
        match raw.schema {
            1 | 2 => {}
            n if n > LOCK_SCHEMA => {
                return Err(format!(
                    "schema {n} is newer than this gogen reads (1 to {LOCK_SCHEMA}); upgrade gogen"
                ));
            }
            n => return Err(format!("schema {n} is not a gogen lock schema")),
        }
        if raw.schema == 1
            && (!raw.modes.is_empty() || !raw.sources.is_empty() || raw.update.is_some())
        {
            return Err("schema 1 has no [modes], [sources] or [update] tables".into());
        }
        let mut files = BTreeMap::new();
        for (path, sha256) in &raw.files {
            check_lock_path(path).map_err(|e| format!("[files] {path:?}: {e}"))?;
            check_hash(sha256).map_err(|e| format!("[files] {path:?}: {e}"))?;
            let mode = match raw.modes.get(path) {
                Some(m) => Some(parse_mode(m).map_err(|e| format!("[modes] {path:?}: {e}"))?),
                None => None,
            };
            let entry = LockedFile {
                sha256: sha256.clone(),
                source: raw.sources.get(path).cloned(),
                mode,
            };
            files.insert(path.clone(), entry);
        }
        for (table, keys) in [("modes", raw.modes.keys()), ("sources", raw.sources.keys())] {
            for path in keys {
                if !files.contains_key(path) {
                    return Err(format!("[{table}] {path:?} is not in [files]"));
                }
            }
        }
        let pending_conflicts = raw.update.map(|u| u.pending_conflicts).unwrap_or_default();
        for (what, list) in [
            ("deleted_by_user", &raw.deleted_by_user),
            ("pending_conflicts", &pending_conflicts),
        ] {
            for path in list {
                check_lock_path(path).map_err(|e| format!("{what} {path:?}: {e}"))?;
            }
        }
        // Nothing from the lock may reach a terminal with control characters in it.
        let b = &raw.blueprint;
        for (what, text) in [
            ("gogen_version", &raw.gogen_version),
            ("blueprint.name", &b.name),
            ("blueprint.version", &b.version),
            ("blueprint.source", &b.source),
            ("blueprint.content_hash", &b.content_hash),
        ]
        .into_iter()
        .chain(raw.answer_sources.values().map(|v| ("answer_sources", v)))
        {
            if text.chars().any(char::is_control) {
                return Err(format!("{what} holds a control character"));
            }
        }
        check_hash(&b.content_hash).map_err(|e| format!("blueprint.content_hash: {e}"))?;
        for key in raw.answers.keys().chain(raw.answer_sources.keys()) {
            if key.is_empty() || key.chars().any(|c| c.is_control()) {
                return Err(format!("answer key {key:?} is not a question key"));
            }
        }
        Ok(LockFile {
            schema: raw.schema,
            gogen_version: raw.gogen_version,
            blueprint: raw.blueprint,
            answers: raw.answers,
            answer_sources: raw.answer_sources,
            files,
            deleted_by_user: raw.deleted_by_user,
            pending_conflicts,
        })
    }
}

/// A path in the lock must be one the planner could have produced: relative, `/`-separated,
/// every component a plain name, and not the lock file itself.
pub fn check_lock_path(path: &str) -> Result<(), String> {
    if path.eq_ignore_ascii_case(LOCK_FILE) {
        return Err("the lock file cannot list itself".into());
    }
    for component in path.split('/') {
        check_component(component)?;
    }
    Ok(())
}

fn check_hash(h: &str) -> Result<(), String> {
    match h.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(format!("{h:?} is not \"sha256:<64 hex digits>\"")),
    }
}

fn parse_mode(m: &str) -> Result<u32, String> {
    u32::from_str_radix(m, 8)
        .ok()
        .filter(|v| *v <= 0o777 && m.len() <= 4)
        .ok_or_else(|| format!("{m:?} is not an octal file mode such as \"0644\""))
}

/// Adds the lock file to the plan; it lists every other file's hash, so it goes last.
pub fn add_to_plan(blueprint: &Blueprint, answers: &Answers, plan: &mut Plan) {
    let lock = LockFile::new(blueprint, answers, plan);
    add_lock(&lock, plan);
}

/// Adds a prepared lock to the plan (the lifecycle commands fill in what `new` leaves empty).
pub fn add_lock(lock: &LockFile, plan: &mut Plan) {
    plan.files.retain(|f| f.path != LOCK_FILE);
    plan.add_file(
        LOCK_FILE.to_string(),
        lock.render().into_bytes(),
        0o644,
        "gogen".into(),
    );
    plan.files.sort_by(|a, b| a.path.cmp(&b.path));
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "sha256:4504aff59e9c42dfbb53bea6fd270d459f5f5b8051348163077bb18e47941707";

    fn schema1(files: &str) -> String {
        format!(
            "schema = 1\ngogen_version = \"0.1.0\"\n[blueprint]\nname = \"x\"\nversion = \"0.1.0\"\nsource = \"built-in\"\ncontent_hash = \"{HASH}\"\n[answers]\nmodule = \"example.com/x\"\n[answer_sources]\nmodule = \"flag\"\n[files]\n{files}"
        )
    }

    #[test]
    fn reads_schema_1_with_modes_and_sources_unknown() {
        let lock = LockFile::parse(&schema1(&format!("\"a/b.go\" = \"{HASH}\"\n"))).unwrap();
        assert_eq!(lock.schema, 1);
        let f = &lock.files["a/b.go"];
        assert_eq!(
            (f.sha256.as_str(), f.source.as_deref(), f.mode),
            (HASH, None, None)
        );
    }

    #[test]
    fn schema_2_round_trips() {
        let mut lock = LockFile::parse(&schema1(&format!("\"a/b.go\" = \"{HASH}\"\n"))).unwrap();
        lock.schema = LOCK_SCHEMA;
        lock.files.insert(
            "bin/run.sh".into(),
            LockedFile {
                sha256: HASH.into(),
                source: Some("bin/run.sh".into()),
                mode: Some(0o755),
            },
        );
        lock.deleted_by_user = vec!["a/b.go".into()];
        lock.pending_conflicts = vec!["bin/run.sh".into()];
        let text = lock.render();
        assert!(text.contains("\"bin/run.sh\" = \"0755\""), "{text}");
        assert_eq!(LockFile::parse(&text).unwrap(), lock);
    }

    #[test]
    fn refuses_hand_edits_that_leave_the_project_or_break_hashes() {
        let tests = [
            (format!("\"../x\" = \"{HASH}\"\n"), "`.` and `..`"),
            (
                format!("\"/etc/passwd\" = \"{HASH}\"\n"),
                "empty path component",
            ),
            (format!("\"a//b\" = \"{HASH}\"\n"), "empty path component"),
            (format!("\".git/config\" = \"{HASH}\"\n"), "`.git`"),
            (format!("\".GOGEN.toml\" = \"{HASH}\"\n"), "itself"),
            ("\"a\" = \"md5:00\"\n".to_string(), "not \"sha256:"),
            ("\"a\" = 3\n".to_string(), "invalid type"),
        ];
        for (give, want) in tests {
            let err = LockFile::parse(&schema1(&give)).expect_err(&give);
            assert!(err.contains(want), "{give}: {err}");
        }
        let escape =
            schema1("").replace("source = \"built-in\"", "source = \"built-in\\u001b[31m\"");
        assert!(
            LockFile::parse(&escape)
                .unwrap_err()
                .contains("control character")
        );
        let newer = schema1("").replace("schema = 1", "schema = 9");
        assert!(
            LockFile::parse(&newer)
                .unwrap_err()
                .contains("upgrade gogen")
        );
        let modes = schema1("").replace("schema = 1", "schema = 2") + "[modes]\n\"a\" = \"0644\"\n";
        assert!(
            LockFile::parse(&modes)
                .unwrap_err()
                .contains("not in [files]")
        );
        let bad_mode = schema1(&format!("\"a\" = \"{HASH}\"\n"))
            .replace("schema = 1", "schema = 2")
            + "[modes]\n\"a\" = \"9\"\n";
        assert!(LockFile::parse(&bad_mode).unwrap_err().contains("octal"));
    }
}
