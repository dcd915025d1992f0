// include_dir! does not notice added or removed files on stable Rust, so ask
// cargo to rerun (and therefore re-embed) whenever anything under blueprints/ changes.
// Also records the commit gogen is built from, for `gogen --version`.
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "src/blueprint/hashing.rs"]
mod hashing;
#[path = "src/generate/leantext.rs"]
#[allow(dead_code)]
mod leantext;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=blueprints");
    println!("cargo:rerun-if-changed=src/generate/leantext.rs");
    // One walk of blueprints/ (the recorded history is not the build's to hash) for the
    // tables the runtime takes from the build.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("blueprints");
    let all = files_under(&root, &["_history"]);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    built_in_file_hashes(&all, &out);
    built_in_hashes(&all, &out);
    built_in_lean(&all, &out);
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
/// the runtime's file tree sorts them. Folders named in `skip` at the top are not read.
fn files_under(dir: &Path, skip: &[&str]) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, skip: &[&str], out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if prefix.is_empty() && skip.contains(&name.as_str()) {
                continue;
            }
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            if path.is_dir() {
                walk(&path, &rel, &[], out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((rel, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", skip, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The files under `dir/` in `all`, with that prefix taken off (still sorted: they share it).
fn files_in<'a>(
    all: &'a [(String, Vec<u8>)],
    dir: &str,
) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
    let start = format!("{dir}/");
    all.iter()
        .filter_map(move |(p, b)| Some((p.strip_prefix(start.as_str())?, b.as_slice())))
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
fn built_in_hashes(all: &[(String, Vec<u8>)], out: &Path) {
    let mut names: Vec<&str> = all
        .iter()
        .filter_map(|(p, _)| p.strip_suffix("/blueprint.toml"))
        .filter(|n| !n.contains('/') && !n.starts_with(['_', '.']))
        .collect();
    names.sort();
    let mut table = String::from("&[\n");
    for name in names {
        let Some(manifest) = all
            .iter()
            .find(|(p, _)| *p == format!("{name}/blueprint.toml"))
            .and_then(|(_, b)| std::str::from_utf8(b).ok())
        else {
            continue;
        };
        let Some(layers) = layers_of(manifest) else {
            continue;
        };
        let mut hasher = hashing::ContentHasher::default();
        for (path, bytes) in files_in(all, name) {
            hasher.file(path, bytes);
        }
        for layer in &layers {
            for (path, bytes) in files_in(all, &format!("_shared/{layer}")) {
                hasher.file(&format!("_shared/{layer}/{path}"), bytes);
            }
        }
        let hash = hasher.finish();
        table.push_str(&format!("    ({name:?}, &{layers:?}, {hash:?}),\n"));
    }
    table.push(']');
    std::fs::write(out.join("built_in_hashes.rs"), table).expect("OUT_DIR is writable");
}

/// The sha256 of every built-in file (`_history` aside), keyed by its path under
/// `blueprints/` and sorted: the lock file records each generated file's hash, and a file
/// copied unchanged from a built-in need not be hashed again at every run.
fn built_in_file_hashes(all: &[(String, Vec<u8>)], out: &Path) {
    use sha2::{Digest, Sha256};
    let mut table = String::from("&[\n");
    for (path, bytes) in all {
        let hash = hashing::hex(&Sha256::digest(bytes));
        table.push_str(&format!("    ({path:?}, {hash:?}),\n"));
    }
    table.push(']');
    std::fs::write(out.join("built_in_file_hashes.rs"), table).expect("OUT_DIR is writable");
}

/// The lean copy of every built-in template (`leantext` explains them), in each syntax it
/// has one for. Written as one text (`built_in_lean.txt`: the paths and the lean sources
/// one after the other) and tables of offsets into it, so the binary holds no pointer per
/// entry for the loader to relocate at every start:
/// `LEAN`: (path start, path end, square, original length, source start, source end), sorted
/// by path and syntax; `PIECES`: (index in `LEAN`, start, end in the original file).
fn built_in_lean(all: &[(String, Vec<u8>)], out: &Path) {
    let mut text = String::new();
    let mut lean = String::from("&[\n");
    let mut pieces = String::from("&[\n");
    let mut entries = 0usize;
    let mut first = 0usize;
    for (path, bytes) in all {
        if !path.ends_with(".jinja") {
            continue;
        }
        let Ok(source) = std::str::from_utf8(bytes) else {
            continue;
        };
        for square in [false, true] {
            let Some(l) = leantext::lean_template(source, square, first) else {
                continue;
            };
            let path_start = text.len();
            text.push_str(path);
            let source_start = text.len();
            text.push_str(&l.source);
            lean.push_str(&format!(
                "    ({path_start}, {source_start}, {square}, {}, {source_start}, {}),\n",
                source.len(),
                text.len()
            ));
            for (a, b) in &l.pieces {
                pieces.push_str(&format!("    ({entries}, {a}, {b}),\n"));
            }
            first += l.pieces.len();
            entries += 1;
        }
    }
    lean.push(']');
    pieces.push(']');
    std::fs::write(out.join("built_in_lean.txt"), text).expect("OUT_DIR is writable");
    std::fs::write(out.join("built_in_lean.rs"), lean).expect("OUT_DIR is writable");
    std::fs::write(out.join("built_in_lean_pieces.rs"), pieces).expect("OUT_DIR is writable");
}
