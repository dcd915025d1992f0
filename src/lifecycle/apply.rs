//! Applying an update to a project all-or-nothing: every new file is staged inside the
//! project first (in the writer's `.gogen-…` staging folder), then each step (replace, create, delete, chmod, prune an emptied folder)
//! is journalled and undone in reverse if any step fails or a signal arrives. Before each
//! step the file on disk must still be what the plan saw, so a file edited while gogen was
//! planning is never overwritten.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::blueprint::sha256_hex;
use crate::error::{Error, Result};
use crate::generate::write::{Staging, pause_for_tests};
use crate::lifecycle::project::MAX_FILE_BYTES;
use crate::safefs::{DirHandle, Kind};
use crate::signals::{self, Busy};

/// What the plan saw at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Absent,
    /// sha256 hex of the file's bytes.
    Sha(String),
    /// gogen's own artifacts (a `.gogen-theirs` file) may be replaced whatever they hold.
    Any,
}

impl Expect {
    pub fn of(before: Option<&String>) -> Expect {
        match before {
            Some(sha) => Expect::Sha(sha.clone()),
            None => Expect::Absent,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Op {
    Write {
        path: String,
        bytes: Vec<u8>,
        mode: u32,
    },
    Delete {
        path: String,
    },
    Chmod {
        path: String,
        mode: u32,
    },
}

impl Op {
    pub fn path(&self) -> &str {
        match self {
            Op::Write { path, .. } | Op::Delete { path } | Op::Chmod { path, .. } => path,
        }
    }
}

/// An op with the state it expects to find.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub expect: Expect,
}

enum Done {
    CreatedDir {
        parent: DirHandle,
        name: OsString,
    },
    MovedIn {
        parent: DirHandle,
        name: OsString,
    },
    /// Moved into the staging folder as `backup`; undo moves it back.
    SetAside {
        parent: DirHandle,
        name: OsString,
        backup: OsString,
    },
    Chmod {
        parent: DirHandle,
        name: OsString,
        old: u32,
    },
    RemovedDir {
        parent: DirHandle,
        name: OsString,
        mode: u32,
    },
}

pub fn apply(root: &Path, steps: &[Step], durable: bool) -> Result<()> {
    apply_with(root, steps, durable, &|_| signals::interrupted())
}

fn unsafe_at(path: &Path, reason: &str) -> Error {
    Error::UnsafeTarget {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Opens the project folder itself without following a link in its last component.
fn open_root(root: &Path) -> Result<DirHandle> {
    DirHandle::open(root).map_err(|e| match e.raw_os_error() {
        Some(20 | 40) => unsafe_at(
            root,
            "it is a symbolic link; gogen never writes through links",
        ),
        _ if e.kind() == std::io::ErrorKind::Other => unsafe_at(root, &e.to_string()),
        _ => Error::io("open", root, e),
    })
}

/// `stop(i)` is asked before step `i`; true unwinds as if a signal had arrived.
pub fn apply_with(
    root: &Path,
    steps: &[Step],
    durable: bool,
    stop: &dyn Fn(usize) -> bool,
) -> Result<()> {
    let dir = open_root(root)?;
    for step in steps {
        check(&dir, step)?;
    }
    let _busy = Busy::begin();
    let staging = Staging::new(&dir)?;
    stage(&staging.dir, steps, durable)?;
    pause_for_tests("staging", true);
    let mut journal = Vec::new();
    let result = commit(&dir, steps, &staging.dir, &mut journal, stop);
    match result {
        Ok(()) => {
            if durable {
                sync_parents(&dir, steps)?;
            }
            signals::project_written();
            Ok(())
        }
        Err(e) => {
            undo(&staging.dir, journal);
            Err(e)
        }
    }
    // `staging` drops here with the backups of replaced and deleted files.
}

fn split(rel: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let last = parts.pop().unwrap_or_default();
    (parts, last)
}

/// Opens the folders of `rel` below `root` without following links; `None` when one of
/// them does not exist (and `create` is false).
fn parent_of(
    root: &DirHandle,
    rel: &str,
    create: Option<&mut Vec<Done>>,
) -> Result<Option<DirHandle>> {
    let (dirs, _) = split(rel);
    let mut here = root
        .try_clone()
        .map_err(|e| Error::io("open", root.path(), e))?;
    let mut create = create;
    for part in dirs {
        let name = OsStr::new(part);
        match here
            .kind(name)
            .map_err(|e| Error::io("inspect", here.display(name), e))?
        {
            Some(Kind::Dir) => {}
            None => match create.as_deref_mut() {
                Some(journal) => {
                    let made = here
                        .create_dir(name, 0o755)
                        .map_err(|e| Error::io("create", here.display(name), e))?;
                    journal.push(Done::CreatedDir {
                        parent: here
                            .try_clone()
                            .map_err(|e| Error::io("open", here.path(), e))?,
                        name: name.to_os_string(),
                    });
                    here = made;
                    continue;
                }
                None => return Ok(None),
            },
            Some(_) => {
                return Err(unsafe_at(
                    &here.display(name),
                    "it is a link or a file where the update needs a folder",
                ));
            }
        }
        here = here.open_dir(name).map_err(|e| match e.raw_os_error() {
            Some(20 | 40) => unsafe_at(&here.display(name), "it changed into a link"),
            _ => Error::io("open", here.display(name), e),
        })?;
    }
    Ok(Some(here))
}

/// The file is still what the plan saw, and nothing on the way to it is a link.
fn check(root: &DirHandle, step: &Step) -> Result<()> {
    let rel = step.op.path();
    let shown = root.path().join(rel);
    let (_, name) = split(rel);
    let name = OsStr::new(name);
    let current = match parent_of(root, rel, None)? {
        None => None,
        Some(parent) => match parent
            .kind(name)
            .map_err(|e| Error::io("inspect", &shown, e))?
        {
            None => None,
            Some(Kind::File) => Some(
                parent
                    .read_file(name, MAX_FILE_BYTES)
                    .map_err(|e| unsafe_at(&shown, &e.to_string()))?,
            ),
            Some(Kind::Link) => return Err(unsafe_at(&shown, "it is a symbolic link")),
            Some(_) => return Err(unsafe_at(&shown, "it is not a regular file")),
        },
    };
    let ok = match (&step.expect, &current) {
        (Expect::Any, _) => true,
        (Expect::Absent, None) => true,
        (Expect::Sha(want), Some(bytes)) => sha256_hex(bytes) == *want,
        _ => false,
    };
    if !ok {
        return Err(Error::Lifecycle {
            message: format!(
                "{} changed while gogen was planning the update",
                shown.display()
            ),
            help: "nothing was changed; run the command again".into(),
        });
    }
    Ok(())
}

fn stage(dir: &DirHandle, steps: &[Step], durable: bool) -> Result<()> {
    for (i, step) in steps.iter().enumerate() {
        if signals::interrupted() {
            return Err(Error::Interrupted);
        }
        let Op::Write { bytes, mode, .. } = &step.op else {
            continue;
        };
        let name = OsString::from(format!("new-{i}"));
        let shown = dir.display(&name);
        let mut out = dir
            .create_file(&name, 0o600)
            .map_err(|e| Error::io("create", &shown, e))?;
        out.write_all(bytes)
            .map_err(|e| Error::io("write", &shown, e))?;
        out.set_permissions(fs::Permissions::from_mode(*mode))
            .map_err(|e| Error::io("set the mode of", &shown, e))?;
        if durable {
            out.sync_all().map_err(|e| Error::io("sync", &shown, e))?;
        }
    }
    Ok(())
}

fn clone(d: &DirHandle) -> Result<DirHandle> {
    d.try_clone().map_err(|e| Error::io("open", d.path(), e))
}

fn commit(
    root: &DirHandle,
    steps: &[Step],
    staging: &DirHandle,
    journal: &mut Vec<Done>,
    stop: &dyn Fn(usize) -> bool,
) -> Result<()> {
    let mut emptied = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if stop(i) || signals::interrupted() {
            return Err(Error::Interrupted);
        }
        check(root, step)?;
        let rel = step.op.path();
        let shown = root.path().join(rel);
        let name = OsStr::new(split(rel).1);
        let backup = OsString::from(format!("old-{i}"));
        match &step.op {
            Op::Write { .. } => {
                let parent = parent_of(root, rel, Some(journal))?.expect("folders were created");
                if parent
                    .kind(name)
                    .map_err(|e| Error::io("inspect", &shown, e))?
                    .is_some()
                {
                    parent
                        .rename_no_replace(name, staging, &backup)
                        .map_err(|e| Error::io("set aside", &shown, e))?;
                    journal.push(Done::SetAside {
                        parent: clone(&parent)?,
                        name: name.to_os_string(),
                        backup,
                    });
                }
                staging
                    .rename_no_replace(&OsString::from(format!("new-{i}")), &parent, name)
                    .map_err(|e| Error::io("move into place", &shown, e))?;
                journal.push(Done::MovedIn {
                    parent,
                    name: name.to_os_string(),
                });
            }
            Op::Delete { .. } => {
                let parent = parent_of(root, rel, None)?.ok_or_else(|| {
                    Error::io("remove", &shown, std::io::ErrorKind::NotFound.into())
                })?;
                parent
                    .rename_no_replace(name, staging, &backup)
                    .map_err(|e| Error::io("remove", &shown, e))?;
                journal.push(Done::SetAside {
                    parent,
                    name: name.to_os_string(),
                    backup,
                });
                emptied.push(rel.to_string());
            }
            Op::Chmod { mode, .. } => {
                let parent = parent_of(root, rel, None)?.ok_or_else(|| {
                    Error::io("chmod", &shown, std::io::ErrorKind::NotFound.into())
                })?;
                let old = set_mode(&parent, name, *mode)
                    .map_err(|e| Error::io("set the mode of", &shown, e))?;
                journal.push(Done::Chmod {
                    parent,
                    name: name.to_os_string(),
                    old,
                });
            }
        }
    }
    prune(root, &emptied, journal)
}

/// chmod on the opened file itself (no-follow), returning the old mode.
fn set_mode(parent: &DirHandle, name: &OsStr, mode: u32) -> std::io::Result<u32> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(
        parent.fd(),
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let old = rustix::fs::fstat(&fd)?.st_mode & 0o7777;
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
    Ok(old)
}

/// Removes the folders that deleting files left empty (never the project folder itself).
fn prune(root: &DirHandle, deleted: &[String], journal: &mut Vec<Done>) -> Result<()> {
    let mut dirs: Vec<String> = Vec::new();
    for rel in deleted {
        let (mut parts, _) = split(rel);
        while !parts.is_empty() {
            dirs.push(parts.join("/"));
            parts.pop();
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    dirs.dedup();
    for dir in dirs {
        let shown = root.path().join(&dir);
        let Some(parent) = parent_of(root, &dir, None)? else {
            continue;
        };
        let name = OsStr::new(split(&dir).1);
        if parent.kind(name).ok().flatten() != Some(Kind::Dir) {
            continue;
        }
        let sub = parent
            .open_dir(name)
            .map_err(|e| Error::io("open", &shown, e))?;
        let empty = sub.is_empty().map_err(|e| Error::io("read", &shown, e))?;
        let mode = rustix::fs::fstat(sub.fd())
            .map(|st| st.st_mode & 0o7777)
            .unwrap_or(0o755);
        drop(sub);
        if empty {
            parent
                .remove_empty_dir(name)
                .map_err(|e| Error::io("remove the empty folder", &shown, e))?;
            journal.push(Done::RemovedDir {
                parent,
                name: name.to_os_string(),
                mode,
            });
        }
    }
    Ok(())
}

fn undo(staging: &DirHandle, journal: Vec<Done>) {
    for done in journal.into_iter().rev() {
        let _ = match done {
            Done::MovedIn { parent, name } => parent.remove_file(&name),
            Done::SetAside {
                parent,
                name,
                backup,
            } => staging.rename_over(&backup, &parent, &name),
            Done::Chmod { parent, name, old } => set_mode(&parent, &name, old).map(|_| ()),
            Done::CreatedDir { parent, name } => parent.remove_empty_dir(&name),
            Done::RemovedDir { parent, name, mode } => parent.create_dir(&name, mode).map(|_| ()),
        };
    }
}

/// With `--fsync`, the folders whose entries changed are flushed too.
fn sync_parents(root: &DirHandle, steps: &[Step]) -> Result<()> {
    let mut dirs: Vec<&str> = steps.iter().map(|s| s.op.path()).collect();
    dirs.sort();
    dirs.dedup();
    for rel in dirs {
        if let Some(parent) = parent_of(root, rel, None)? {
            parent
                .sync()
                .map_err(|e| Error::io("sync", parent.path(), e))?;
        }
    }
    root.sync().map_err(|e| Error::io("sync", root.path(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &str, text: &str, expect: Expect) -> Step {
        Step {
            op: Op::Write {
                path: path.into(),
                bytes: text.as_bytes().to_vec(),
                mode: 0o644,
            },
            expect,
        }
    }

    fn state(root: &Path) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                let rel = e.path().strip_prefix(root).unwrap().display().to_string();
                let mode = e.metadata().unwrap().permissions().mode() & 0o777;
                if e.file_type().is_dir() {
                    format!("{rel}/ {mode:o}")
                } else {
                    format!("{rel} {mode:o} {}", fs::read_to_string(e.path()).unwrap())
                }
            })
            .collect();
        out.sort();
        out
    }

    fn project() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("old/deep")).unwrap();
        fs::write(tmp.path().join("old/deep/gone.txt"), "gone").unwrap();
        fs::write(tmp.path().join("keep.txt"), "v1").unwrap();
        fs::write(tmp.path().join("run.txt"), "run").unwrap();
        tmp
    }

    fn steps() -> Vec<Step> {
        vec![
            write("keep.txt", "v2", Expect::Sha(sha256_hex(b"v1"))),
            write("new/dir/added.txt", "added", Expect::Absent),
            Step {
                op: Op::Delete {
                    path: "old/deep/gone.txt".into(),
                },
                expect: Expect::Sha(sha256_hex(b"gone")),
            },
            Step {
                op: Op::Chmod {
                    path: "run.txt".into(),
                    mode: 0o755,
                },
                expect: Expect::Sha(sha256_hex(b"run")),
            },
        ]
    }

    #[test]
    fn applies_every_step_and_prunes_emptied_folders() {
        let tmp = project();
        apply_with(tmp.path(), &steps(), true, &|_| false).unwrap();
        let got: Vec<String> = state(tmp.path())
            .into_iter()
            .filter(|s| s.contains(".txt"))
            .collect();
        assert_eq!(
            got,
            vec![
                "keep.txt 644 v2",
                "new/dir/added.txt 644 added",
                "run.txt 755 run"
            ],
            "{:?}",
            state(tmp.path())
        );
        assert!(
            !tmp.path().join("old").exists(),
            "emptied folders are pruned"
        );
        assert!(tmp.path().join("new/dir").is_dir());
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".gogen-"))
            .collect();
        assert!(leftovers.is_empty(), "the staging folder is removed");
    }

    #[test]
    fn stopping_at_any_step_leaves_the_project_as_it_was() {
        for at in 0..steps().len() {
            let tmp = project();
            let before = state(tmp.path());
            let err = apply_with(tmp.path(), &steps(), false, &|i| i == at).unwrap_err();
            assert!(matches!(err, Error::Interrupted), "step {at}: {err}");
            assert_eq!(state(tmp.path()), before, "after stopping at step {at}");
        }
    }

    #[test]
    fn a_file_changed_since_planning_is_never_overwritten() {
        let tmp = project();
        fs::write(tmp.path().join("keep.txt"), "edited meanwhile").unwrap();
        let before = state(tmp.path());
        let err = apply_with(tmp.path(), &steps(), false, &|_| false).unwrap_err();
        assert!(
            err.to_string().contains("changed while gogen was planning"),
            "{err}"
        );
        assert_eq!(state(tmp.path()), before);
    }

    #[test]
    fn never_writes_through_a_link() {
        let tmp = project();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("new")).unwrap();
        let err = apply_with(tmp.path(), &steps(), false, &|_| false).unwrap_err();
        assert!(matches!(err, Error::UnsafeTarget { .. }), "{err}");
        assert!(fs::read_dir(outside.path()).unwrap().next().is_none());
    }
}
