//! Where blueprints come from: the ones embedded in the binary, or a folder on disk.
//! Either way a blueprint is read whole into memory first, so rendering never touches
//! the filesystem and a template cannot reach outside its own files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, DirEntry, include_dir};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::manifest::Manifest;

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
    files: BTreeMap<String, Arc<[u8]>>,
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
        self.files.insert(path, bytes.into());
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
        let mut hasher = Sha256::new();
        let mut feed = |path: &str, bytes: &[u8]| {
            hasher.update((path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        for (path, bytes) in self.files.iter() {
            feed(path, bytes);
        }
        for layer in &self.manifest.layers {
            let prefix = format!("{SHARED_DIR}/{layer}");
            for (path, bytes) in self.shared.under(layer) {
                feed(&format!("{prefix}/{path}"), bytes);
            }
        }
        format!("sha256:{}", hex(&hasher.finalize()))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

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
                    out.insert(slash_path(rel), f.contents().to_vec());
                }
            }
        }
    }
    let mut tree = FileTree::default();
    walk(dir, dir.path(), &mut tree);
    tree
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
                BUILT_IN
                    .get_dir(SHARED_DIR)
                    .map(embedded_tree)
                    .unwrap_or_default(),
            )
        })
        .clone()
}

/// Names of the built-in blueprints, sorted.
pub fn built_in_names() -> Vec<String> {
    let mut names: Vec<String> = BUILT_IN
        .dirs()
        .filter_map(|d| {
            let name = d.path().file_name()?.to_str()?;
            let is_blueprint =
                !name.starts_with(['_', '.']) && d.get_file(d.path().join(MANIFEST_FILE)).is_some();
            is_blueprint.then(|| name.to_string())
        })
        .collect();
    names.sort();
    names
}

pub fn load_built_in(name: &str) -> Result<Blueprint> {
    let dir = BUILT_IN
        .get_dir(name)
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
    finish(manifest, Origin::BuiltIn, files)
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

/// Reads a blueprint folder. Symlinks anywhere in it are refused (they could pull in
/// files from outside the folder), and so is anything named `.git` in any case.
pub fn load_folder(given: &str) -> Result<Blueprint> {
    let root = PathBuf::from(given);
    let meta = std::fs::symlink_metadata(&root).map_err(|e| Error::Blueprint {
        blueprint: given.to_string(),
        message: format!("cannot read the folder: {e}"),
    })?;
    if meta.file_type().is_symlink() {
        return Err(Error::Blueprint {
            blueprint: given.to_string(),
            message: "the blueprint folder is a symbolic link; pass the real folder".into(),
        });
    }
    if !meta.is_dir() {
        return Err(Error::Blueprint {
            blueprint: given.to_string(),
            message: "not a folder".into(),
        });
    }
    let files = read_folder(given, &root)?;
    let manifest = parse_manifest(&files, &format!("{given}/{MANIFEST_FILE}"))?;
    let origin = Origin::Folder {
        given: given.to_string(),
        root,
    };
    finish(manifest, origin, files)
}

fn read_folder(given: &str, root: &Path) -> Result<FileTree> {
    let refuse = |message: String| Error::Blueprint {
        blueprint: given.to_string(),
        message,
    };
    let mut tree = FileTree::default();
    let mut total: u64 = 0;
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| refuse(format!("cannot read: {e}")))?;
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        if rel.as_os_str().is_empty() {
            continue;
        }
        let rel_text = rel
            .to_str()
            .ok_or_else(|| refuse(format!("{} is not valid UTF-8", rel.display())))?;
        let rel_slash = slash_path(rel);
        if rel
            .components()
            .any(|c| c.as_os_str().to_string_lossy().eq_ignore_ascii_case(".git"))
        {
            return Err(refuse(format!(
                "{rel_text}: a blueprint may not contain `.git` (in any case)"
            )));
        }
        let ft = entry.file_type();
        if ft.is_symlink() {
            return Err(refuse(format!(
                "{rel_text} is a symbolic link; blueprints may not contain links"
            )));
        }
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() {
            return Err(refuse(format!("{rel_text} is not a regular file")));
        }
        let len = entry
            .metadata()
            .map_err(|e| refuse(format!("{rel_text}: {e}")))?
            .len();
        if len > MAX_FILE_BYTES {
            return Err(Error::LimitExceeded {
                limit: format!(
                    "blueprint {given}: {rel_text} is {len} bytes; the limit is {MAX_FILE_BYTES}"
                ),
            });
        }
        total += len;
        if total > MAX_TOTAL_BYTES || tree.len() >= MAX_FILES {
            return Err(Error::LimitExceeded {
                limit: format!(
                    "blueprint {given} is larger than {MAX_FILES} files or {MAX_TOTAL_BYTES} bytes"
                ),
            });
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| Error::io("read", entry.path(), e))?;
        tree.insert(rel_slash, bytes);
    }
    Ok(tree)
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
    })
}

/// Where blueprints are looked for beyond the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Folders whose sub-folders are blueprints (`GOGEN_BLUEPRINT_PATH`, then the org config).
    pub search_path: Vec<PathBuf>,
    /// When non-empty, git sources must start with one of these.
    pub allowed_git_prefixes: Vec<String>,
}

/// A blueprint found in the search path.
#[derive(Debug, Clone)]
pub struct Found {
    pub name: String,
    pub dir: PathBuf,
}

impl Sources {
    /// Blueprints in the search path, first folder first; a name already built in, or
    /// found earlier, is shadowed and not listed again.
    pub fn search(&self) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        let built_in = built_in_names();
        for dir in &self.search_path {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<(String, PathBuf)> = entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join(MANIFEST_FILE).is_file())
                .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
                .collect();
            names.sort();
            for (name, path) in names {
                let taken = built_in.contains(&name) || found.iter().any(|f| f.name == name);
                if !taken && !name.starts_with(['.', '_']) {
                    found.push(Found { name, dir: path });
                }
            }
        }
        found
    }

    /// Resolves a reference: a git URL, a folder path, a built-in name, or a name in the
    /// search path, in that order.
    pub fn resolve(&self, reference: &str) -> Result<Blueprint> {
        if crate::gitsource::is_git_reference(reference) {
            return self.load_git(reference);
        }
        if looks_like_path(reference) {
            return load_folder(reference);
        }
        if built_in_names().iter().any(|n| n == reference) {
            return load_built_in(reference);
        }
        let found = self.search();
        if let Some(f) = found.iter().find(|f| f.name == reference) {
            let mut bp = load_folder(&f.dir.display().to_string())?;
            bp.origin = Origin::SearchPath { dir: f.dir.clone() };
            return Ok(bp);
        }
        let mut names = built_in_names();
        names.extend(found.into_iter().map(|f| f.name));
        Err(unknown_among(reference, &names))
    }

    fn load_git(&self, reference: &str) -> Result<Blueprint> {
        let spec = crate::gitsource::parse(reference)?;
        if !crate::gitsource::is_allowed(&spec.url, &self.allowed_git_prefixes) {
            return Err(Error::Usage(format!(
                "git blueprint source {reference:?} is not under an allowed prefix ({})",
                self.allowed_git_prefixes.join(", ")
            )));
        }
        let checkout = crate::gitsource::fetch(&spec)?;
        let dir = checkout.blueprint_dir(&spec);
        let mut bp = load_folder(&dir.display().to_string()).map_err(|e| match e {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
