//! `.gogen.toml` in the generated project: what produced it, from which answers, and the
//! sha256 of every file it wrote, so a later `gogen check`/`update` can tell pristine files
//! from edited ones without git.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::answers::Answers;
use crate::blueprint::Blueprint;
use crate::plan::Plan;

pub const LOCK_FILE: &str = ".gogen.toml";
pub const LOCK_SCHEMA: u32 = 1;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct LockFile {
    pub schema: u32,
    pub gogen_version: String,
    pub blueprint: LockedBlueprint,
    pub answers: BTreeMap<String, toml::Value>,
    /// Where each answer came from: default, file, flag, prompt or skipped.
    pub answer_sources: BTreeMap<String, String>,
    /// Output path → "sha256:<hex>".
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct LockedBlueprint {
    pub name: String,
    pub version: String,
    /// `built-in`, or the folder as it was given on the command line.
    pub source: String,
    pub content_hash: String,
}

impl LockFile {
    pub fn new(blueprint: &Blueprint, answers: &Answers, plan: &Plan) -> Self {
        let source = blueprint.origin.describe();
        LockFile {
            schema: LOCK_SCHEMA,
            gogen_version: env!("CARGO_PKG_VERSION").to_string(),
            blueprint: LockedBlueprint {
                name: blueprint.name().to_string(),
                version: blueprint.manifest.version.clone(),
                source,
                content_hash: blueprint.content_hash(),
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
                .map(|f| (f.path.clone(), format!("sha256:{}", f.sha256)))
                .collect(),
        }
    }

    pub fn render(&self) -> String {
        let body = toml::to_string(self).expect("the lock file is plain data");
        format!(
            "# Written by gogen {}. It records how this project was generated; keep it in version control.\n{body}",
            self.gogen_version
        )
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// Adds the lock file to the plan; it lists every other file's hash, so it goes last.
pub fn add_to_plan(blueprint: &Blueprint, answers: &Answers, plan: &mut Plan) {
    let text = LockFile::new(blueprint, answers, plan).render();
    plan.add_file(
        LOCK_FILE.to_string(),
        text.into_bytes(),
        0o644,
        "gogen".into(),
    );
    plan.files.sort_by(|a, b| a.path.cmp(&b.path));
}
