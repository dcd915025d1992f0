//! What the lifecycle commands ask of git, when the project is in a work tree: which paths
//! have uncommitted changes, old file versions from the project's own history (a base source,
//! always verified against the lock), and registering conflicts as unmerged index entries so
//! `git status`, `git commit` and merge tools see them. Merges themselves never use git.
//!
//! Every read uses `--no-optional-locks`, so `--dry-run` and `check` never touch the index.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::blueprint::sha256_hex;
use crate::lifecycle::merge::{Eol, to_lf};

pub struct Repo {
    dir: PathBuf,
    /// The project folder relative to the repository root, with a trailing `/` (or empty).
    prefix: String,
}

/// The three versions of a conflicted file, for the index stages 1 (base), 2 (ours), 3 (theirs).
#[derive(Debug, Clone)]
pub struct Stages {
    pub path: String,
    pub mode: u32,
    pub base: Option<Vec<u8>>,
    pub ours: Vec<u8>,
    pub theirs: Vec<u8>,
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args([
            "--no-optional-locks",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.quotePath=false",
        ]);
    cmd
}

fn output(cmd: &mut Command) -> Option<Vec<u8>> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then_some(out.stdout)
}

/// The git work tree holding `dir`, if git is installed and there is one.
pub fn repo_of(dir: &Path) -> Option<Repo> {
    let inside = output(git(dir).args(["rev-parse", "--is-inside-work-tree"]))?;
    if String::from_utf8_lossy(&inside).trim() != "true" {
        return None;
    }
    let prefix = output(git(dir).args(["rev-parse", "--show-prefix"]))?;
    Some(Repo {
        dir: dir.to_path_buf(),
        prefix: String::from_utf8_lossy(&prefix)
            .trim_end_matches('\n')
            .to_string(),
    })
}

impl Repo {
    /// Paths under the project with any uncommitted state (modified, staged, untracked,
    /// unmerged), relative to the project, with git's two-letter status.
    pub fn status(&self) -> Result<BTreeMap<String, String>, String> {
        let out = git(&self.dir)
            .args([
                "status",
                "--porcelain=v1",
                "-z",
                "--untracked-files=all",
                "--ignored=no",
                "--",
                ".",
            ])
            .output()
            .map_err(|e| format!("cannot run git status: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git status failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let mut entries = BTreeMap::new();
        let mut fields = out.stdout.split(|b| *b == 0).filter(|f| !f.is_empty());
        while let Some(entry) = fields.next() {
            if entry.len() < 4 {
                continue;
            }
            let xy = String::from_utf8_lossy(&entry[..2]).into_owned();
            let path = String::from_utf8_lossy(&entry[3..]).into_owned();
            if xy.starts_with(['R', 'C']) {
                // A rename or copy is followed by its source path, which changed too.
                if let Some(from) = fields.next() {
                    self.insert_rel(&mut entries, &String::from_utf8_lossy(from), &xy);
                }
            }
            self.insert_rel(&mut entries, &path, &xy);
        }
        Ok(entries)
    }

    fn insert_rel(&self, entries: &mut BTreeMap<String, String>, repo_path: &str, xy: &str) {
        if let Some(rel) = repo_path.strip_prefix(&self.prefix) {
            entries.insert(rel.to_string(), xy.to_string());
        }
    }

    /// Finds, for each wanted path, a version in the project's history that hashes to the
    /// lock's sha256: first at commits that changed the lock file (gogen's first commit holds
    /// the pristine tree), then at commits that changed the file itself.
    pub fn find_blobs(&self, wanted: &BTreeMap<String, String>) -> BTreeMap<String, Vec<u8>> {
        let mut found = BTreeMap::new();
        if wanted.is_empty() {
            return found;
        }
        let lock_commits = self.commits_touching(crate::generate::lockfile::LOCK_FILE, 64);
        let names: Vec<(String, String)> = wanted
            .keys()
            .flat_map(|p| lock_commits.iter().map(move |c| (p.clone(), c.clone())))
            .collect();
        self.take_matching(&names, wanted, &mut found);
        let missing: Vec<String> = wanted
            .keys()
            .filter(|p| !found.contains_key(*p))
            .cloned()
            .collect();
        let mut names = Vec::new();
        for path in missing.iter().take(256) {
            for commit in self.commits_touching(path, 16) {
                names.push((path.clone(), commit));
            }
        }
        self.take_matching(&names, wanted, &mut found);
        found
    }

    fn commits_touching(&self, path: &str, max: usize) -> Vec<String> {
        let n = format!("-n{max}");
        let pathspec = format!(":(literal){path}");
        output(git(&self.dir).args(["log", "--format=%H", &n, "--", &pathspec]))
            .map(|o| {
                String::from_utf8_lossy(&o)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn take_matching(
        &self,
        names: &[(String, String)],
        wanted: &BTreeMap<String, String>,
        found: &mut BTreeMap<String, Vec<u8>>,
    ) {
        let requests: Vec<String> = names
            .iter()
            .filter(|(p, _)| !found.contains_key(p))
            .map(|(p, c)| format!("{c}:{}{p}", self.prefix))
            .collect();
        let Some(blobs) = self.cat_file(&requests) else {
            return;
        };
        for ((path, _), blob) in names
            .iter()
            .filter(|(p, _)| !found.contains_key(p))
            .zip(blobs)
            .collect::<Vec<_>>()
        {
            let (Some(bytes), false) = (blob, found.contains_key(path)) else {
                continue;
            };
            let want = wanted[path]
                .strip_prefix("sha256:")
                .unwrap_or(&wanted[path]);
            // The repository may store a CRLF file normalized, or an LF file as checked out.
            let candidates = [
                Some(bytes.clone()),
                to_lf(&bytes),
                Some(Eol::Crlf.apply(bytes.clone())),
            ];
            if let Some(good) = candidates
                .into_iter()
                .flatten()
                .find(|c| sha256_hex(c) == want)
            {
                found.insert(path.clone(), good);
            }
        }
    }

    /// `git cat-file --batch` for many objects at once; None where an object is missing.
    fn cat_file(&self, requests: &[String]) -> Option<Vec<Option<Vec<u8>>>> {
        if requests.is_empty() {
            return Some(Vec::new());
        }
        let mut child = git(&self.dir)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut stdin = child.stdin.take()?;
        let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let mut reader = BufReader::new(child.stdout.take()?);
        let mut out = Vec::with_capacity(requests.len());
        for _ in requests {
            let mut header = String::new();
            if reader.read_line(&mut header).ok()? == 0 {
                break;
            }
            let parts: Vec<&str> = header.split_whitespace().collect();
            match parts.as_slice() {
                [_, "blob", size] => {
                    let size: usize = size.parse().ok()?;
                    let mut bytes = vec![0; size];
                    reader.read_exact(&mut bytes).ok()?;
                    let mut newline = [0u8; 1];
                    reader.read_exact(&mut newline).ok()?;
                    out.push(Some(bytes));
                }
                [_, _, size] => {
                    let size: usize = size.parse().ok()?;
                    let mut skip = vec![0; size + 1];
                    reader.read_exact(&mut skip).ok()?;
                    out.push(None);
                }
                _ => out.push(None),
            }
        }
        let _ = writer.join();
        let _ = child.wait();
        (out.len() == requests.len()).then_some(out)
    }

    /// The version of the folder blueprint at this repository path whose content hashes to
    /// `want`, from the last `max` commits that changed the folder. Equal content hashes mean
    /// the very files gogen once loaded (and checked) from the folder; a commit holding links,
    /// submodules or more than the folder-blueprint limits is passed over.
    pub fn blueprint_version(
        &self,
        given: &str,
        want: &str,
        version: &str,
        max: usize,
    ) -> Option<crate::blueprint::Blueprint> {
        use crate::blueprint::{
            Blueprint, FileTree, MANIFEST_FILE, MAX_FILES, MAX_TOTAL_BYTES, Origin, shared_tree,
        };
        let n = format!("-n{max}");
        let commits = output(git(&self.dir).args(["log", "--format=%H", &n, "--", "."]))?;
        for commit in String::from_utf8_lossy(&commits).lines() {
            let Some(listing) = output(git(&self.dir).args([
                "ls-tree",
                "-r",
                "-z",
                "--full-tree",
                commit,
                "--",
                &self.prefix,
            ])) else {
                continue;
            };
            let mut entries = Vec::new();
            let mut usable = true;
            for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
                let text = String::from_utf8_lossy(entry);
                let Some((meta, path)) = text.split_once('\t') else {
                    usable = false;
                    break;
                };
                // Only regular files; anything else could not hash to a folder gogen loaded.
                let rel = path.strip_prefix(&self.prefix).unwrap_or(path).to_string();
                if !meta.starts_with("100") {
                    usable = false;
                    break;
                }
                entries.push(rel);
            }
            if !usable || entries.is_empty() || entries.len() > MAX_FILES {
                continue;
            }
            let manifest_at = format!("{commit}:{}{MANIFEST_FILE}", self.prefix);
            let Some(Some(manifest)) = self
                .cat_file(&[manifest_at])
                .and_then(|m| m.into_iter().next())
            else {
                continue;
            };
            let Ok(manifest) = std::str::from_utf8(&manifest)
                .map_err(|_| ())
                .and_then(|t| crate::blueprint::manifest::Manifest::parse(t).map_err(|_| ()))
            else {
                continue;
            };
            if manifest.version != version {
                continue;
            }
            let names: Vec<String> = entries
                .iter()
                .map(|p| format!("{commit}:{}{p}", self.prefix))
                .collect();
            let Some(blobs) = self.cat_file(&names) else {
                continue;
            };
            let mut tree = FileTree::default();
            let mut total = 0u64;
            for (path, blob) in entries.into_iter().zip(blobs) {
                let Some(bytes) = blob else {
                    usable = false;
                    break;
                };
                total += bytes.len() as u64;
                tree.insert(path, bytes);
            }
            if !usable || total > MAX_TOTAL_BYTES {
                continue;
            }
            let bp = Blueprint {
                manifest,
                origin: Origin::Folder {
                    given: given.to_string(),
                    root: self.dir.clone(),
                },
                files: std::sync::Arc::new(tree),
                shared: shared_tree(),
                known_hash: None,
            };
            if bp.content_hash() == want {
                return Some(bp);
            }
        }
        None
    }

    /// Paths with unmerged index entries (an unfinished conflict).
    pub fn unmerged(&self) -> BTreeSet<String> {
        let Some(out) = output(git(&self.dir).args(["ls-files", "-u", "-z", "--", "."])) else {
            return BTreeSet::new();
        };
        out.split(|b| *b == 0)
            .filter_map(|e| {
                let text = String::from_utf8_lossy(e);
                let (_, path) = text.split_once('\t')?;
                path.strip_prefix(&self.prefix).map(str::to_string)
            })
            .collect()
    }

    /// Installs stages 1–3 for each conflicted path, as a merge would have left them.
    pub fn register_conflicts(&self, conflicts: &[Stages]) -> Result<(), String> {
        let mut info = String::new();
        for c in conflicts {
            let repo_path = format!("{}{}", self.prefix, c.path);
            let mode = if c.mode & 0o111 != 0 {
                "100755"
            } else {
                "100644"
            };
            let mut staged = Vec::new();
            if let Some(base) = &c.base {
                staged.push((1, self.hash_object(&repo_path, base)?));
            }
            staged.push((2, self.hash_object(&repo_path, &c.ours)?));
            staged.push((3, self.hash_object(&repo_path, &c.theirs)?));
            let zero = "0".repeat(staged[0].1.len());
            info.push_str(&format!("0 {zero}\t{repo_path}\n"));
            for (stage, oid) in staged {
                info.push_str(&format!("{mode} {oid} {stage}\t{repo_path}\n"));
            }
        }
        let root = self.root()?;
        self.run_with_input(
            git(&root).args(["update-index", "--index-info"]),
            info.as_bytes(),
        )
        .map(|_| ())
    }

    fn root(&self) -> Result<PathBuf, String> {
        output(git(&self.dir).args(["rev-parse", "--show-toplevel"]))
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o).trim_end_matches('\n')))
            .ok_or_else(|| "cannot find the repository root".to_string())
    }

    fn hash_object(&self, repo_path: &str, bytes: &[u8]) -> Result<String, String> {
        let root = self.root()?;
        let path_arg = format!("--path={repo_path}");
        let out = self.run_with_input(
            git(&root).args(["hash-object", "-w", "--stdin", &path_arg]),
            bytes,
        )?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    fn run_with_input(&self, cmd: &mut Command, input: &[u8]) -> Result<Vec<u8>, String> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let data = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child
            .wait_with_output()
            .map_err(|e| format!("git failed: {e}"))?;
        let _ = writer.join();
        if !out.status.success() {
            return Err(format!(
                "git failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    }
}
