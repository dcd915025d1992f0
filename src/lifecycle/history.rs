//! The recorded versions of the built-in blueprints, embedded in the binary
//! (`blueprints/_history/`, written by `scripts/blueprint-history`): content-addressed blobs,
//! one file list per snapshot, and an append-only index. Identity is the content hash the
//! lock file records, so no git tag or network is ever needed to re-render an old version.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::blueprint::manifest::Manifest;
use crate::blueprint::{
    Blueprint, FileTree, MANIFEST_FILE, Origin, SHARED_DIR, history_tree, sha256_hex,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Released,
    /// Still in development; the release script may record another snapshot of it.
    Dev,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub blueprint: String,
    pub version: String,
    pub content_hash: String,
    pub status: Status,
    pub recorded_from: String,
}

/// Golden output of one `[[test]]` case, recorded by the gogen that embedded this content.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenRender {
    pub case: String,
    pub files: usize,
    /// See [`tree_hash`].
    pub tree: String,
}

#[derive(Debug, Deserialize)]
struct IndexFile {
    #[serde(default)]
    snapshot: Vec<Snapshot>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeFile {
    blueprint: String,
    version: String,
    files: BTreeMap<String, String>,
    #[serde(default)]
    render: Vec<GoldenRender>,
}

pub struct History {
    tree: Arc<FileTree>,
    pub snapshots: Vec<Snapshot>,
}

/// A snapshot loaded as a blueprint that renders exactly as the recorded version did.
pub struct Loaded {
    pub blueprint: Blueprint,
    pub renders: Vec<GoldenRender>,
}

impl History {
    /// The history compiled into this binary.
    pub fn embedded() -> Result<&'static History, String> {
        static HISTORY: OnceLock<Result<History, String>> = OnceLock::new();
        HISTORY
            .get_or_init(|| History::from_tree(history_tree()))
            .as_ref()
            .map_err(|e| format!("the embedded blueprint history is damaged: {e}"))
    }

    /// Reads a history folder's files (`index.toml`, `trees/`, `blobs/`).
    pub fn from_tree(tree: Arc<FileTree>) -> Result<History, String> {
        let snapshots = match tree.get("index.toml") {
            None => Vec::new(),
            Some(bytes) => {
                let text = std::str::from_utf8(bytes).map_err(|_| "index.toml is not UTF-8")?;
                let index: IndexFile =
                    toml::from_str(text).map_err(|e| format!("index.toml: {e}"))?;
                index.snapshot
            }
        };
        Ok(History { tree, snapshots })
    }

    pub fn find(&self, content_hash: &str) -> Option<&Snapshot> {
        self.snapshots
            .iter()
            .find(|s| s.content_hash == content_hash)
    }

    /// Loads a snapshot, checking every blob against its name and the whole against the
    /// snapshot's content hash: a damaged history is an error, never a wrong base.
    pub fn load(&self, snapshot: &Snapshot) -> Result<Loaded, String> {
        let what = format!("{} {}", snapshot.blueprint, snapshot.version);
        let hex = snapshot
            .content_hash
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("{what}: bad content hash"))?;
        let tree_path = format!("trees/{hex}.toml");
        let text = self
            .tree
            .get(&tree_path)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| format!("{what}: {tree_path} is missing"))?;
        let listing: TreeFile = toml::from_str(text).map_err(|e| format!("{tree_path}: {e}"))?;
        if listing.blueprint != snapshot.blueprint || listing.version != snapshot.version {
            return Err(format!("{tree_path} is not {what}"));
        }
        let mut files = FileTree::default();
        let mut shared = FileTree::default();
        let shared_prefix = format!("{SHARED_DIR}/");
        for (path, blob) in &listing.files {
            let bytes = self.blob(blob).ok_or_else(|| {
                format!("{what}: blob {blob} of {path} is missing or does not hash to its name")
            })?;
            match path.strip_prefix(&shared_prefix) {
                Some(rel) => shared.insert(rel.to_string(), bytes.to_vec()),
                None => files.insert(path.clone(), bytes.to_vec()),
            }
        }
        let manifest_text = files
            .get(MANIFEST_FILE)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| format!("{what}: no readable {MANIFEST_FILE}"))?;
        let manifest = Manifest::parse(manifest_text)
            .map_err(|e| format!("{what}: this gogen cannot read its manifest: {e}"))?;
        let blueprint = Blueprint {
            manifest,
            origin: Origin::BuiltIn,
            files: Arc::new(files),
            shared: Arc::new(shared),
            known_hash: None,
        };
        let got = blueprint.content_hash();
        if got != snapshot.content_hash {
            return Err(format!(
                "{what}: its files hash to {got}, not {}",
                snapshot.content_hash
            ));
        }
        Ok(Loaded {
            blueprint,
            renders: listing.render,
        })
    }

    fn blob(&self, hex: &str) -> Option<&[u8]> {
        if hex.len() != 64 {
            return None;
        }
        let bytes = self
            .tree
            .get(&format!("blobs/{}/{}", &hex[..2], &hex[2..]))?;
        (sha256_hex(bytes) == hex).then_some(bytes)
    }

    /// Every blob path in the history, for integrity checks.
    pub fn blob_paths(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.tree.iter().filter(|(p, _)| p.starts_with("blobs/"))
    }
}

/// sha256 over `"<mode> <sha256> <path>\n"` lines sorted by path, without the lock file (its
/// text depends on the gogen that wrote it): the golden hash of a rendered tree.
pub fn tree_hash<'a>(files: impl Iterator<Item = (&'a str, u32, &'a str)>) -> String {
    let mut lines: Vec<(&str, String)> = files
        .filter(|(path, _, _)| *path != crate::generate::lockfile::LOCK_FILE)
        .map(|(path, mode, sha)| (path, format!("{mode:04o} {sha} {path}\n")))
        .collect();
    lines.sort();
    let text: String = lines.into_iter().map(|(_, l)| l).collect();
    format!("sha256:{}", sha256_hex(text.as_bytes()))
}
