//! Where blueprints come from: the ones embedded in the binary, or a folder on disk.
//! Either way a blueprint is read whole into memory first, so rendering never touches
//! the filesystem and a template cannot reach outside its own files.

pub mod gitsource;
mod hashing;
pub mod lint;
pub mod manifest;
pub mod scaffold;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, DirEntry, include_dir};
use sha2::{Digest, Sha256};

use crate::blueprint::manifest::Manifest;
use crate::error::{Error, Result};

static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/blueprints");

/// The folder of shared layers; it is not a blueprint itself.
pub const SHARED_DIR: &str = "_shared";
pub const MANIFEST_FILE: &str = "blueprint.toml";
pub const TEMPLATE_DIR: &str = "template";

/// Limits for blueprints read from disk, so a hostile folder cannot exhaust memory.
pub const MAX_FILES: usize = 5_000;
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// An in-memory file tree keyed by `/`-separated relative paths, sorted.
#[derive(Debug, Default, Clone)]
pub struct FileTree {
    files: BTreeMap<String, Bytes>,
}

/// A file's bytes: borrowed from the binary for a built-in blueprint (no copy per run),
/// owned for one read from disk or git.
#[derive(Debug, Clone)]
enum Bytes {
    Embedded(&'static [u8]),
    Owned(Arc<[u8]>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Embedded(b) => b,
            Bytes::Owned(b) => b,
        }
    }
}

impl FileTree {
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| &b[..])
    }

    /// Files under `prefix/`, with the prefix stripped, in sorted order.
    pub fn under<'a>(&'a self, prefix: &str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let start = format!("{prefix}/");
        let skip = start.len();
        self.files
            .range(start.clone()..)
            .take_while(move |(k, _)| k.starts_with(&start))
            .map(move |(k, v)| (&k[skip..], &v[..]))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), &v[..]))
    }

    pub fn insert(&mut self, path: String, bytes: Vec<u8>) {
        self.files.insert(path, Bytes::Owned(bytes.into()));
    }

    fn insert_embedded(&mut self, path: String, bytes: &'static [u8]) {
        self.files.insert(path, Bytes::Embedded(bytes));
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    /// A folder named on the command line, as the user wrote it.
    Folder {
        given: String,
        root: PathBuf,
    },
    /// A folder found by name in the blueprint search path.
    SearchPath {
        dir: PathBuf,
    },
    /// A git repository, recorded as `URL#COMMIT[:SUBDIR]`.
    Git {
        pinned: String,
    },
}

impl Origin {
    /// What the lock file and `--json` record as the source.
    pub fn describe(&self) -> String {
        match self {
            Origin::BuiltIn => "built-in".into(),
            Origin::Folder { given, .. } => given.clone(),
            Origin::SearchPath { dir } => format!("search-path:{}", dir.display()),
            Origin::Git { pinned } => pinned.clone(),
        }
    }

    pub fn is_trusted(&self) -> bool {
        matches!(self, Origin::BuiltIn)
    }
}

/// A loaded blueprint: its manifest and every file of its folder.
#[derive(Debug, Clone)]
pub struct Blueprint {
    pub manifest: Manifest,
    pub origin: Origin,
    /// The blueprint folder: `blueprint.toml`, `template/**`, `partials/**`, …
    pub files: Arc<FileTree>,
    /// The shared layers folder (always the built-in one).
    pub shared: Arc<FileTree>,
    /// A built-in's content hash, computed when gogen was built (`build.rs`).
    /// `None` wherever the files may differ from the build's (history, tests, folders).
    pub known_hash: Option<&'static str>,
}

impl Blueprint {
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// A reference that names it: the blueprint name, or the folder as given.
    pub fn reference(&self) -> &str {
        match &self.origin {
            Origin::BuiltIn | Origin::SearchPath { .. } => &self.manifest.name,
            Origin::Folder { given, .. } => given,
            Origin::Git { pinned } => pinned,
        }
    }

    /// sha256 over every file this blueprint can render (its folder and the layers it
    /// uses), so a lock file can tell which blueprint content produced a project.
    pub fn content_hash(&self) -> String {
        match self.known_hash {
            Some(hash) => hash.to_string(),
            None => self.compute_content_hash(),
        }
    }

    /// The content hash from the files themselves (`content_hash` takes a built-in's from the
    /// table the build computed).
    pub fn compute_content_hash(&self) -> String {
        let mut hasher = hashing::ContentHasher::default();
        for (path, bytes) in self.files.iter() {
            hasher.file(path, bytes);
        }
        for layer in &self.manifest.layers {
            let prefix = format!("{SHARED_DIR}/{layer}");
            for (path, bytes) in self.shared.under(layer) {
                hasher.file(&format!("{prefix}/{path}"), bytes);
            }
        }
        hasher.finish()
    }
}

pub use hashing::hex;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn embedded_tree(dir: &Dir<'static>) -> FileTree {
    fn walk(dir: &Dir<'static>, root: &Path, out: &mut FileTree) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(d, root, out),
                DirEntry::File(f) => {
                    let rel = f.path().strip_prefix(root).unwrap_or(f.path());
                    out.insert_embedded(slash_path(rel), f.contents());
                }
            }
        }
    }
    let mut tree = FileTree::default();
    walk(dir, dir.path(), &mut tree);
    tree
}

/// The entry `name` directly inside `dir`. (`Dir::get_dir`/`get_file` search the whole
/// embedded tree depth first, the recorded history included, on every call.)
fn child(dir: &Dir<'static>, name: &str) -> Option<&'static DirEntry<'static>> {
    let entries: &'static [DirEntry<'static>] = dir.entries();
    entries
        .iter()
        .find(|e| e.path().file_name().is_some_and(|n| n == name))
}

fn child_dir(dir: &Dir<'static>, name: &str) -> Option<&'static Dir<'static>> {
    match child(dir, name)? {
        DirEntry::Dir(d) => Some(d),
        DirEntry::File(_) => None,
    }
}

fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The shared layers compiled into the binary, read once per process.
pub fn shared_tree() -> Arc<FileTree> {
    static SHARED: std::sync::OnceLock<Arc<FileTree>> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| {
            Arc::new(
                child_dir(&BUILT_IN, SHARED_DIR)
                    .map(embedded_tree)
                    .unwrap_or_default(),
            )
        })
        .clone()
}

/// The folder of recorded built-in blueprint versions (`scripts/blueprint-history`).
pub const HISTORY_DIR: &str = "_history";

/// The embedded history of built-in blueprint versions, read once per process.
pub fn history_tree() -> Arc<FileTree> {
    static HISTORY: std::sync::OnceLock<Arc<FileTree>> = std::sync::OnceLock::new();
    HISTORY
        .get_or_init(|| {
            Arc::new(
                child_dir(&BUILT_IN, HISTORY_DIR)
                    .map(embedded_tree)
                    .unwrap_or_default(),
            )
        })
        .clone()
}

/// Names of the built-in blueprints, sorted.
pub fn built_in_names() -> Vec<String> {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(scan_built_in_names).clone()
}

fn scan_built_in_names() -> Vec<String> {
    let mut names: Vec<String> = BUILT_IN
        .dirs()
        .filter_map(|d| {
            let name = d.path().file_name()?.to_str()?;
            let is_blueprint = !name.starts_with(['_', '.'])
                && matches!(child(d, MANIFEST_FILE), Some(DirEntry::File(_)));
            is_blueprint.then(|| name.to_string())
        })
        .collect();
    names.sort();
    names
}

pub fn load_built_in(name: &str) -> Result<Blueprint> {
    let dir = child_dir(&BUILT_IN, name)
        .filter(|_| !name.starts_with(['_', '.']) && !name.contains('/'))
        .ok_or_else(|| unknown_blueprint(name))?;
    let files = embedded_tree(dir);
    let manifest = parse_manifest(&files, &format!("{name}/{MANIFEST_FILE}"))?;
    if manifest.name != name {
        return Err(Error::Manifest {
            file: format!("{name}/{MANIFEST_FILE}"),
            message: format!(
                "name {:?} must equal the folder name {name:?}",
                manifest.name
            ),
        });
    }
    let mut bp = finish(manifest, Origin::BuiltIn, files)?;
    bp.known_hash = built_in_hash(name, &bp.manifest.layers);
    Ok(bp)
}

/// The build's content hash of the built-in `name`, if the build computed one with the same
/// layers as the manifest parsed at run time.
fn built_in_hash(name: &str, layers: &[String]) -> Option<&'static str> {
    static HASHES: &[(&str, &[&str], &str)] =
        include!(concat!(env!("OUT_DIR"), "/built_in_hashes.rs"));
    HASHES
        .iter()
        .find(|(n, l, _)| *n == name && l.iter().eq(layers.iter()))
        .map(|(_, _, hash)| *hash)
}

/// The build's sha256 (hex) of the built-in file at `path` under `blueprints/`
/// (`rest-api/template/go.mod.jinja`, `_shared/go-service/...`).
pub fn built_in_file_sha256(path: &str) -> Option<&'static str> {
    static HASHES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/built_in_file_hashes.rs"));
    HASHES
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| HASHES[i].1)
}

impl Blueprint {
    /// The build's sha256 of one of this blueprint's files, named as the renderer names it
    /// (`template/...`, `_shared/<layer>/...`); only for a built-in whose files are the
    /// build's own (`known_hash` says so).
    pub fn built_in_sha256(&self, template_name: &str) -> Option<&'static str> {
        self.known_hash?;
        match template_name.strip_prefix(SHARED_DIR) {
            Some(rest) if rest.starts_with('/') => built_in_file_sha256(template_name),
            _ => built_in_file_sha256(&format!("{}/{template_name}", self.name())),
        }
    }
}

pub fn unknown_blueprint(name: &str) -> Error {
    unknown_among(name, &built_in_names())
}

fn unknown_among(name: &str, names: &[String]) -> Error {
    let suggestion = closest(name, names.iter().map(String::as_str));
    Error::UnknownBlueprint {
        name: name.to_string(),
        suggestion,
    }
}

/// The candidate nearest to `given`, if it is near enough to be a likely typo.
pub fn closest<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|c| (strsim::jaro_winkler(given, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Does this reference name a folder rather than a built-in blueprint?
pub fn looks_like_path(reference: &str) -> bool {
    reference.contains('/') || reference.contains('\\') || reference.starts_with('.')
}

/// Reads a blueprint folder. Links anywhere in it are refused (they could pull in files
/// from outside the folder), and so is anything git or Windows would read as `.git`.
pub fn load_folder(given: &str) -> Result<Blueprint> {
    let root = PathBuf::from(given);
    let dir = crate::safefs::DirHandle::open(&root).map_err(|e| Error::Blueprint {
        blueprint: given.to_string(),
        message: if e.kind() == std::io::ErrorKind::Other {
            "the blueprint folder is a symbolic link; pass the real folder".into()
        } else if e.kind() == std::io::ErrorKind::NotADirectory {
            "not a folder".into()
        } else {
            format!("cannot read the folder: {e}")
        },
    })?;
    load_from_dir(given, &dir, root)
}

/// Reads a blueprint from an open folder handle (a folder, or a subfolder of a git
/// checkout reached without following links).
pub fn load_from_dir(
    given: &str,
    dir: &crate::safefs::DirHandle,
    root: PathBuf,
) -> Result<Blueprint> {
    let mut tree = FileTree::default();
    let mut total = 0;
    read_tree(given, dir, "", &mut tree, &mut total)?;
    let manifest = parse_manifest(&tree, &format!("{given}/{MANIFEST_FILE}"))?;
    let origin = Origin::Folder {
        given: given.to_string(),
        root,
    };
    finish(manifest, origin, tree)
}

/// Reads every file below `dir` into `tree`. Each entry is opened relative to its open
/// folder with no-follow semantics and checked on the opened handle, so a file swapped for
/// a link while gogen reads cannot be followed.
fn read_tree(
    given: &str,
    dir: &crate::safefs::DirHandle,
    prefix: &str,
    tree: &mut FileTree,
    total: &mut u64,
) -> Result<()> {
    use crate::safefs::{Kind, ReadError};
    let refuse = |message: String| Error::Blueprint {
        blueprint: given.to_string(),
        message,
    };
    let entries = dir
        .entries()
        .map_err(|e| refuse(format!("cannot read {}: {e}", dir.path().display())))?;
    for (name, kind) in entries {
        let Some(text) = name.to_str() else {
            return Err(refuse(format!(
                "{prefix}{} is not valid UTF-8",
                name.to_string_lossy()
            )));
        };
        let rel = format!("{prefix}{text}");
        if crate::pathnames::is_dotgit_like(text) {
            return Err(refuse(format!(
                "{rel:?}: a blueprint may not contain `.git` (or a name git or Windows reads as `.git`)"
            )));
        }
        let link = || {
            refuse(format!(
                "{rel} is a symbolic link; blueprints may not contain links"
            ))
        };
        match kind {
            Kind::Link => return Err(link()),
            Kind::Other => return Err(refuse(format!("{rel} is not a regular file"))),
            Kind::Dir => {
                let sub = dir.open_dir(&name).map_err(|e| {
                    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
                        || e.kind() == std::io::ErrorKind::NotADirectory
                    {
                        link()
                    } else {
                        refuse(format!("cannot read {rel}: {e}"))
                    }
                })?;
                read_tree(given, &sub, &format!("{rel}/"), tree, total)?;
            }
            Kind::File => {
                if tree.len() >= MAX_FILES {
                    return Err(Error::LimitExceeded {
                        limit: format!(
                            "blueprint {given} has more than {MAX_FILES} files (the limit)"
                        ),
                    });
                }
                let bytes = dir.read_file(&name, MAX_FILE_BYTES).map_err(|e| match e {
                    ReadError::Link => link(),
                    ReadError::TooLarge { limit } => Error::LimitExceeded {
                        limit: format!("blueprint {given}: {rel} is larger than {limit} bytes (the limit per file)"),
                    },
                    ReadError::NotRegular => refuse(format!("{rel} is not a regular file")),
                    ReadError::Io(e) => refuse(format!("cannot read {rel}: {e}")),
                })?;
                *total += bytes.len() as u64;
                if *total > MAX_TOTAL_BYTES {
                    return Err(Error::LimitExceeded {
                        limit: format!(
                            "blueprint {given} is larger than {MAX_TOTAL_BYTES} bytes (the limit)"
                        ),
                    });
                }
                tree.insert(rel, bytes);
            }
        }
    }
    Ok(())
}

fn parse_manifest(files: &FileTree, display_name: &str) -> Result<Manifest> {
    let bytes = files.get(MANIFEST_FILE).ok_or_else(|| Error::Manifest {
        file: display_name.to_string(),
        message: "missing; a blueprint folder needs a blueprint.toml".into(),
    })?;
    let text = std::str::from_utf8(bytes).map_err(|_| Error::Manifest {
        file: display_name.to_string(),
        message: "is not valid UTF-8".into(),
    })?;
    Manifest::parse(text).map_err(|message| Error::Manifest {
        file: display_name.to_string(),
        message,
    })
}

fn finish(manifest: Manifest, origin: Origin, files: FileTree) -> Result<Blueprint> {
    let shared = shared_tree();
    for layer in &manifest.layers {
        if shared.under(layer).next().is_none() {
            return Err(Error::Manifest {
                file: format!("{}/{MANIFEST_FILE}", manifest.name),
                message: format!("layer {layer:?} does not exist in blueprints/{SHARED_DIR}/"),
            });
        }
    }
    Ok(Blueprint {
        manifest,
        origin,
        files: Arc::new(files),
        shared,
        known_hash: None,
    })
}

/// Where blueprints are looked for beyond the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Folders whose sub-folders are blueprints (`GOGEN_BLUEPRINT_PATH`, then the org config).
    pub search_path: Vec<PathBuf>,
    /// Lists of allowed git prefixes (the system config's, the user's): a git source must
    /// fall under one prefix of every list.
    pub allowed_git_prefixes: Vec<Vec<String>>,
}

/// A blueprint found in the search path.
#[derive(Debug, Clone)]
pub struct Found {
    /// The name in its manifest (the folder name when the manifest cannot be read): the
    /// name `gogen list` shows and `gogen new` takes.
    pub name: String,
    pub dir: PathBuf,
    /// What takes this name first: `built-in`, or `search-path:<folder>` of an earlier one.
    pub shadowed_by: Option<String>,
}

/// The `name` a blueprint folder's manifest declares, if it can be read.
fn manifest_name(dir: &Path) -> Option<String> {
    let handle = crate::safefs::DirHandle::open(dir).ok()?;
    let bytes = handle
        .read_file(std::ffi::OsStr::new(MANIFEST_FILE), MAX_FILE_BYTES)
        .ok()?;
    let table: toml::Table = toml::from_str(std::str::from_utf8(&bytes).ok()?).ok()?;
    table.get("name")?.as_str().map(str::to_string)
}

impl Sources {
    /// Blueprints in the search path, first folder first, each under its manifest name. A
    /// name already built in, or found earlier, is marked as shadowed (never silently
    /// dropped, and never used by name).
    pub fn search(&self) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        let built_in = built_in_names();
        for dir in &self.search_path {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut folders: Vec<(String, PathBuf)> = entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join(MANIFEST_FILE).is_file())
                .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
                .filter(|(name, _)| !name.starts_with(['.', '_']))
                .collect();
            folders.sort();
            for (folder, path) in folders {
                let name = manifest_name(&path).unwrap_or(folder);
                let shadowed_by = if built_in.contains(&name) {
                    Some("built-in".to_string())
                } else {
                    found
                        .iter()
                        .find(|f| f.name == name && f.shadowed_by.is_none())
                        .map(|f| format!("search-path:{}", f.dir.display()))
                };
                found.push(Found {
                    name,
                    dir: path,
                    shadowed_by,
                });
            }
        }
        found
    }

    /// Resolves a reference: a git URL, a folder path, a built-in name, or a name in the
    /// search path, in that order.
    pub fn resolve(&self, reference: &str) -> Result<Blueprint> {
        if crate::blueprint::gitsource::is_git_reference(reference) {
            return self.load_git(reference);
        }
        if looks_like_path(reference) {
            return load_folder(reference);
        }
        if built_in_names().iter().any(|n| n == reference) {
            return load_built_in(reference);
        }
        let found = self.search();
        if let Some(f) = found
            .iter()
            .find(|f| f.name == reference && f.shadowed_by.is_none())
        {
            let mut bp = load_folder(&f.dir.display().to_string())?;
            bp.origin = Origin::SearchPath { dir: f.dir.clone() };
            return Ok(bp);
        }
        let mut names = built_in_names();
        names.extend(
            found
                .into_iter()
                .filter(|f| f.shadowed_by.is_none())
                .map(|f| f.name),
        );
        Err(unknown_among(reference, &names))
    }

    fn load_git(&self, reference: &str) -> Result<Blueprint> {
        let spec = crate::blueprint::gitsource::parse(reference)?;
        let all: Vec<String> = self.allowed_git_prefixes.concat();
        crate::blueprint::gitsource::check_single_label(&spec.parsed, reference, &all)?;
        if let Some(list) = self
            .allowed_git_prefixes
            .iter()
            .find(|list| !crate::blueprint::gitsource::is_allowed(&spec.parsed, list))
        {
            return Err(Error::Usage(format!(
                "git blueprint source {reference:?} is not under an allowed prefix ({})",
                list.join(", ")
            )));
        }
        // Busy until the checkout is read and removed: a signal unwinds through here, so
        // the temporary folder never outlives gogen.
        let _busy = crate::signals::Busy::begin();
        let checkout = crate::blueprint::gitsource::fetch(&spec)?;
        let dir = checkout.open_blueprint_dir(&spec, reference)?;
        let mut bp =
            load_from_dir(reference, &dir, dir.path().to_path_buf()).map_err(|e| match e {
                Error::Blueprint { message, .. } => Error::Blueprint {
                    blueprint: reference.to_string(),
                    message,
                },
                other => other,
            })?;
        let subdir = spec.subdir.map(|s| format!(":{s}")).unwrap_or_default();
        bp.origin = Origin::Git {
            pinned: format!("{}#{}{subdir}", spec.url, checkout.commit),
        };
        if crate::signals::interrupted() {
            return Err(Error::Interrupted);
        }
        Ok(bp)
    }
}

/// Resolves a reference with no search path: a built-in name, or a path to a folder.
pub fn resolve(reference: &str) -> Result<Blueprint> {
    Sources::default().resolve(reference)
}

/// A built-in-like blueprint from a manifest and template files, for unit tests.
#[cfg(test)]
pub(crate) fn test_blueprint(manifest: &str, files: &[(&str, &str)]) -> Blueprint {
    test_blueprint_with_shared(manifest, files, &[])
}

/// Like `test_blueprint`, with a shared-layers tree (paths relative to `_shared/`).
#[cfg(test)]
pub(crate) fn test_blueprint_with_shared(
    manifest: &str,
    files: &[(&str, &str)],
    shared_files: &[(&str, &str)],
) -> Blueprint {
    let mut shared = FileTree::default();
    for (path, text) in shared_files {
        shared.insert((*path).to_string(), text.as_bytes().to_vec());
    }
    let mut tree = FileTree::default();
    tree.insert(MANIFEST_FILE.into(), manifest.as_bytes().to_vec());
    for (path, text) in files {
        tree.insert((*path).to_string(), text.as_bytes().to_vec());
    }
    Blueprint {
        manifest: Manifest::parse(manifest).expect("test manifest parses"),
        origin: Origin::BuiltIn,
        files: Arc::new(tree),
        shared: Arc::new(shared),
        known_hash: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_hashes_every_built_in_as_the_runtime_does() {
        let names = built_in_names();
        assert!(!names.is_empty());
        for name in names {
            let bp = load_built_in(&name).unwrap();
            assert!(bp.known_hash.is_some(), "{name}: build.rs computed no hash");
            assert_eq!(bp.content_hash(), bp.compute_content_hash(), "{name}");
        }
    }

    #[test]
    fn the_build_hashes_every_built_in_file_as_the_runtime_does() {
        let mut checked = 0;
        for name in built_in_names() {
            let bp = load_built_in(&name).unwrap();
            let named = bp.files.iter().map(|(p, b)| (p.to_string(), b)).chain(
                bp.shared
                    .iter()
                    .map(|(p, b)| (format!("{SHARED_DIR}/{p}"), b)),
            );
            for (path, bytes) in named {
                assert_eq!(
                    bp.built_in_sha256(&path),
                    Some(sha256_hex(bytes).as_str()),
                    "{name}: {path}"
                );
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
        // Files that are not the build's own have no known hash.
        let test = test_blueprint("name='t'\nversion='0.1.0'\ndescription='t'\n", &[]);
        assert_eq!(test.built_in_sha256("blueprint.toml"), None);
        assert_eq!(built_in_file_sha256("rest-api/no-such-file"), None);
    }

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_built_in_hash_needs_the_same_layers() {
        let bp = load_built_in("rest-api").unwrap();
        assert!(built_in_hash("rest-api", &bp.manifest.layers).is_some());
        assert!(built_in_hash("rest-api", &[]).is_none());
        assert!(built_in_hash("no-such-blueprint", &bp.manifest.layers).is_none());
    }

    #[test]
    fn suggests_near_names_only() {
        let names = ["rest-api", "worker-pool", "payments"];
        assert_eq!(
            closest("rest-api", names.iter().copied()).as_deref(),
            Some("rest-api")
        );
        assert_eq!(
            closest("restapi", names.iter().copied()).as_deref(),
            Some("rest-api")
        );
        assert_eq!(
            closest("paymnets", names.iter().copied()).as_deref(),
            Some("payments")
        );
        assert_eq!(closest("zzz", names.iter().copied()), None);
    }

    #[test]
    fn file_tree_under_strips_the_prefix_and_stays_inside() {
        let mut tree = FileTree::default();
        tree.insert("template/a.txt".into(), b"a".to_vec());
        tree.insert("template/b/c.txt".into(), b"c".to_vec());
        tree.insert("templates/x".into(), b"x".to_vec());
        tree.insert("blueprint.toml".into(), b"".to_vec());
        let got: Vec<&str> = tree.under("template").map(|(p, _)| p).collect();
        assert_eq!(got, vec!["a.txt", "b/c.txt"]);
    }

    #[test]
    fn path_references_are_told_from_names() {
        for (give, want) in [
            ("rest-api", false),
            ("./bp", true),
            ("../bp", true),
            ("/abs/bp", true),
            ("bp/", true),
            (".hidden", true),
        ] {
            assert_eq!(looks_like_path(give), want, "{give}");
        }
    }
}
