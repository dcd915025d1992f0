// include_dir! does not notice added or removed files on stable Rust, so ask
// cargo to rerun (and therefore re-embed) whenever anything under blueprints/ changes.
// Also records the commit gogen is built from, for `gogen --version`.
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "src/blueprint/hashing.rs"]
mod hashing;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=blueprints");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("blueprints");
    let files = files_under(&root);
    built_in_file_hashes(&files);
    built_in_hashes(&root, &files);
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GOGEN_COMMIT={commit}");
    // Rebuild the version text when this checkout's HEAD moves: its HEAD file, and the
    // file of the branch it is on (a worktree keeps both outside the checkout).
    let mut watched = vec!["HEAD".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for path in watched {
        if let Some(p) = git(&["rev-parse", "--git-path", &path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}

/// Every file under `dir` as (`/`-joined path relative to `dir`, bytes), sorted by path as
/// the runtime's file tree sorts them; a top-level `_history` is left out.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            if rel == "_history" {
                continue; // past releases: no table covers them, and they are most of the bytes
            }
            if path.is_dir() {
                walk(&path, &rel, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((rel, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The `layers = [...]` list of a manifest, read from its one line (a manifest that spreads
/// it over lines, or anything else unusual, gives no list: the runtime then hashes itself).
fn layers_of(manifest: &str) -> Option<Vec<String>> {
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("layers"))?;
    let (_, list) = line.split_once('=')?;
    let inner = list.trim().strip_prefix('[')?.strip_suffix(']')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .filter(|s| !s.contains(['"', '\\']))
                .map(str::to_string)
        })
        .collect()
}

/// The content hash of every built-in blueprint, computed here once instead of at every
/// run (`Blueprint::content_hash` explains the format; a unit test checks both agree). Each
/// entry names the layers it assumed; at run time it is used only when the manifest's
/// parsed layers are the same.
fn built_in_hashes(root: &Path, files: &[(String, Vec<u8>)]) {
    // The files under `dir/`, with paths relative to it, still sorted.
    let under = |dir: &str| -> Vec<(&str, &[u8])> {
        let start = format!("{dir}/");
        files
            .iter()
            .filter_map(|(p, b)| p.strip_prefix(&start).map(|rel| (rel, b.as_slice())))
            .collect()
    };
    let shared = under("_shared");
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().join("blueprint.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with(['_', '.']))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut table = String::from("&[\n");
    for name in names {
        let dir = root.join(&name);
        let Ok(manifest) = std::fs::read_to_string(dir.join("blueprint.toml")) else {
            continue;
        };
        let Some(layers) = layers_of(&manifest) else {
            continue;
        };
        let mut hasher = hashing::ContentHasher::default();
        for (path, bytes) in under(&name) {
            hasher.file(path, bytes);
        }
        for layer in &layers {
            let start = format!("{layer}/");
            for (path, bytes) in shared.iter().filter(|(p, _)| p.starts_with(&start)) {
                hasher.file(&format!("_shared/{path}"), bytes);
            }
        }
        let hash = hasher.finish();
        table.push_str(&format!("    ({name:?}, &{layers:?}, {hash:?}),\n"));
    }
    table.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("built_in_hashes.rs"), table).expect("OUT_DIR is writable");
}

/// The sha256 of every built-in file (`_history` aside), keyed by its path under
/// `blueprints/` and sorted: the lock file records each generated file's hash, and a file
/// copied unchanged from a built-in need not be hashed again at every run.
fn built_in_file_hashes(files: &[(String, Vec<u8>)]) {
    use sha2::{Digest, Sha256};
    let mut table = String::from("&[\n");
    for (path, bytes) in files {
        let hash = hashing::hex(&Sha256::digest(bytes));
        table.push_str(&format!("    ({path:?}, {hash:?}),\n"));
    }
    table.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("built_in_file_hashes.rs"), table).expect("OUT_DIR is writable");
}
