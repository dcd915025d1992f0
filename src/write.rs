//! Writing a plan: stage everything beside the target, then move it into place without
//! replacing anything (or, with `--force`, replacing only the files the plan generates).
//! Any failure or signal before the end leaves no staging folder and no partial target.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::signals::{self, WorkGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Absent,
    Empty,
    /// Not empty; with `--force` the listed planned paths replace existing files.
    Occupied,
}

#[derive(Debug, Clone)]
pub struct Preflight {
    pub state: TargetState,
    /// fsync every file and folder before the rename (`--fsync`).
    pub durable: bool,
    /// Planned paths that already exist in the target.
    pub conflicts: Vec<String>,
}

/// Checks the target before any work is done: what is there, and whether writing is safe.
pub fn preflight(plan: &Plan, target: &Path, force: bool) -> Result<Preflight> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            check_ancestors(target)?;
            return Ok(Preflight {
                state: TargetState::Absent,
                durable: false,
                conflicts: Vec::new(),
            });
        }
        Err(e) => return Err(Error::io("inspect", target, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(Error::UnsafeTarget {
            path: target.to_path_buf(),
            reason:
                "it is a symbolic link; gogen never writes through links (pass the real folder)"
                    .into(),
        });
    }
    if !meta.is_dir() {
        return Err(Error::UnsafeTarget {
            path: target.to_path_buf(),
            reason: "it exists and is not a folder".into(),
        });
    }
    let is_empty = fs::read_dir(target)
        .map_err(|e| Error::io("read", target, e))?
        .next()
        .is_none();
    if is_empty {
        return Ok(Preflight {
            state: TargetState::Empty,
            durable: false,
            conflicts: Vec::new(),
        });
    }
    let mut conflicts = Vec::new();
    for file in &plan.files {
        check_planned_path(target, &file.path, &mut conflicts)?;
    }
    if !force {
        return Err(Error::TargetNotEmpty {
            target: target.to_path_buf(),
            conflicts,
        });
    }
    Ok(Preflight {
        state: TargetState::Occupied,
        durable: false,
        conflicts,
    })
}

/// The nearest existing ancestor must be a folder we can create the target in.
fn check_ancestors(target: &Path) -> Result<()> {
    let mut current = target.parent();
    while let Some(dir) = current {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(Error::UnsafeTarget {
                    path: dir.to_path_buf(),
                    reason: "a parent of the target is not a folder".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => current = dir.parent(),
            Err(e) => return Err(Error::io("inspect", dir, e)),
        }
    }
    Ok(())
}

/// Walks a planned path inside an existing target: no component may be a link, a
/// folder must not be a file, and the file itself must not be a folder.
fn check_planned_path(target: &Path, rel: &str, conflicts: &mut Vec<String>) -> Result<()> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut here = target.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        here.push(part);
        let last = i + 1 == parts.len();
        let meta = match fs::symlink_metadata(&here) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("inspect", &here, e)),
        };
        let unsafe_target = |reason: &str| Error::UnsafeTarget {
            path: here.clone(),
            reason: reason.to_string(),
        };
        if meta.file_type().is_symlink() {
            return Err(unsafe_target(
                "it is a symbolic link; gogen never writes through links",
            ));
        }
        if !last && !meta.is_dir() {
            return Err(unsafe_target(
                "it is a file, but the blueprint needs a folder here",
            ));
        }
        if last {
            if meta.is_dir() {
                return Err(unsafe_target(
                    "it is a folder, but the blueprint writes a file here",
                ));
            }
            conflicts.push(rel.to_string());
        }
    }
    Ok(())
}

/// Writes the plan. `preflight` must have been called with the same plan and target.
pub fn write(plan: &Plan, target: &Path, checked: &Preflight) -> Result<()> {
    // From the first change on disk, a signal waits for this function to unwind.
    let work = WorkGuard::begin();
    let parent = parent_of(target);
    let created_parents = create_missing_dirs(&parent)?;
    let result = stage_and_commit(plan, target, &parent, checked);
    match result {
        Ok(()) => work.finish(),
        Err(_) => remove_created_dirs(&created_parents),
    }
    result
}

fn stage_and_commit(plan: &Plan, target: &Path, parent: &Path, checked: &Preflight) -> Result<()> {
    let staging = tempfile::Builder::new()
        .prefix(".gogen-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("create a staging folder in", parent, e))?;
    let tree = staging.path().join("tree");
    fs::create_dir(&tree).map_err(|e| Error::io("create", &tree, e))?;
    write_tree(plan, &tree, checked.durable)?;
    pause_for_tests();
    if signals::interrupted() {
        return Err(Error::Interrupted);
    }
    match checked.state {
        TargetState::Absent => {
            rename_no_replace(&tree, target).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::UnsafeTarget {
                        path: target.to_path_buf(),
                        reason: "it appeared while gogen was generating; nothing was written"
                            .into(),
                    }
                } else {
                    Error::io("move the project into", target, e)
                }
            })?;
            Ok(())
        }
        TargetState::Empty | TargetState::Occupied => {
            let backup = staging.path().join("replaced");
            merge_into(plan, &tree, target, &backup)
        }
    }
    // `staging` drops here and removes what is left of it (the emptied tree, backups).
}

/// Lets the signal tests interrupt gogen while the staging folder exists
/// (`GOGEN_TEST_PAUSE_AFTER_STAGING_MS`); not a user setting.
fn pause_for_tests() {
    if let Some(ms) = std::env::var("GOGEN_TEST_PAUSE_AFTER_STAGING_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let until = std::time::Instant::now() + std::time::Duration::from_millis(ms.min(30_000));
        while std::time::Instant::now() < until && !signals::interrupted() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn write_tree(plan: &Plan, root: &Path, durable: bool) -> Result<()> {
    for file in &plan.files {
        if signals::interrupted() {
            return Err(Error::Interrupted);
        }
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        out.write_all(&file.bytes)
            .map_err(|e| Error::io("write", &path, e))?;
        out.set_permissions(fs::Permissions::from_mode(file.mode))
            .map_err(|e| Error::io("set the mode of", &path, e))?;
        if durable {
            out.sync_all().map_err(|e| Error::io("sync", &path, e))?;
        }
    }
    if durable {
        sync_dirs(root)?;
    }
    Ok(())
}

/// With `--fsync`, folders are flushed too, so a power cut cannot empty files the rename
/// already exposed. Without it, the rename still guarantees all-or-nothing for every
/// failure short of losing power.
fn sync_dirs(root: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.map_err(|e| Error::io("walk", root, e.into()))?;
        if entry.file_type().is_dir() {
            let dir =
                fs::File::open(entry.path()).map_err(|e| Error::io("open", entry.path(), e))?;
            dir.sync_all()
                .map_err(|e| Error::io("sync", entry.path(), e))?;
        }
    }
    Ok(())
}

/// One step of a merge, remembered so it can be undone.
enum Step {
    CreatedDir(PathBuf),
    MovedIn(PathBuf),
    Replaced { path: PathBuf, backup: PathBuf },
}

/// Moves staged files into an existing folder one by one, undoing every step on failure.
fn merge_into(plan: &Plan, tree: &Path, target: &Path, backup_root: &Path) -> Result<()> {
    let mut journal = Vec::new();
    let result = (|| {
        for file in &plan.files {
            if signals::interrupted() {
                return Err(Error::Interrupted);
            }
            let dest = target.join(&file.path);
            ensure_dirs(target, &file.path, &mut journal)?;
            match fs::symlink_metadata(&dest) {
                Ok(_) => {
                    // Preflight allowed this only under --force and only for regular files.
                    let backup = backup_root.join(&file.path);
                    if let Some(dir) = backup.parent() {
                        fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
                    }
                    fs::rename(&dest, &backup).map_err(|e| Error::io("set aside", &dest, e))?;
                    journal.push(Step::Replaced {
                        path: dest.clone(),
                        backup,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("inspect", &dest, e)),
            }
            rename_no_replace(&tree.join(&file.path), &dest)
                .map_err(|e| Error::io("move into place", &dest, e))?;
            journal.push(Step::MovedIn(dest));
        }
        Ok(())
    })();
    if result.is_err() {
        undo(journal);
    }
    result
}

fn ensure_dirs(target: &Path, rel: &str, journal: &mut Vec<Step>) -> Result<()> {
    let mut here = target.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        here.push(part);
        match fs::symlink_metadata(&here) {
            Ok(m) if m.is_dir() && !m.file_type().is_symlink() => {}
            Ok(_) => {
                return Err(Error::UnsafeTarget {
                    path: here.clone(),
                    reason: "it changed while gogen was writing (now a link or a file)".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir(&here).map_err(|e| Error::io("create", &here, e))?;
                journal.push(Step::CreatedDir(here.clone()));
            }
            Err(e) => return Err(Error::io("inspect", &here, e)),
        }
    }
    Ok(())
}

fn undo(journal: Vec<Step>) {
    for step in journal.into_iter().rev() {
        match step {
            Step::MovedIn(path) => {
                let _ = fs::remove_file(path);
            }
            Step::Replaced { path, backup } => {
                let _ = fs::rename(backup, path);
            }
            Step::CreatedDir(path) => {
                let _ = fs::remove_dir(path);
            }
        }
    }
}

/// rename(2) would silently replace an empty folder; renameat2(RENAME_NOREPLACE) refuses.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            // The filesystem cannot do it atomically: check, then rename (a narrow race).
            if fs::symlink_metadata(to).is_ok() {
                return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
            }
            fs::rename(from, to)
        }
        Err(e) => Err(e.into()),
    }
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates the missing folders above the target, returning them (deepest last) so a
/// failure can remove exactly those and nothing else.
fn create_missing_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(d) = current {
        if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        current = d.parent();
    }
    missing.reverse();
    let mut created = Vec::new();
    for d in missing {
        if let Err(e) = fs::create_dir(&d) {
            remove_created_dirs(&created);
            return Err(Error::io("create", &d, e));
        }
        created.push(d);
    }
    Ok(created)
}

fn remove_created_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(files: &[(&str, &str)]) -> Plan {
        let mut plan = Plan {
            files: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
        };
        for (p, c) in files {
            plan.add_file((*p).into(), c.as_bytes().to_vec(), 0o644, "t".into());
        }
        plan
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".gogen-"))
            .collect()
    }

    #[test]
    fn writes_a_new_target_atomically() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("a/b/out");
        let plan = plan_of(&[("x/y.txt", "y"), ("z.txt", "z")]);
        let mut checked = preflight(&plan, &target, false).unwrap();
        assert_eq!(checked.state, TargetState::Absent);
        checked.durable = true;
        write(&plan, &target, &checked).unwrap();
        assert_eq!(fs::read_to_string(target.join("x/y.txt")).unwrap(), "y");
        assert!(leftovers(&tmp.path().join("a/b")).is_empty());
    }

    #[test]
    fn refuses_a_non_empty_target_listing_conflicts() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("z.txt"), "mine").unwrap();
        let plan = plan_of(&[("z.txt", "z"), ("new.txt", "n")]);
        let err = preflight(&plan, tmp.path(), false).unwrap_err();
        match err {
            Error::TargetNotEmpty { conflicts, .. } => assert_eq!(conflicts, vec!["z.txt"]),
            other => panic!("{other}"),
        }
        assert_eq!(
            fs::read_to_string(tmp.path().join("z.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn force_never_writes_through_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        fs::create_dir(&target).unwrap();
        std::os::unix::fs::symlink(outside.path(), target.join("x")).unwrap();
        let plan = plan_of(&[("x/y.txt", "y")]);
        let err = preflight(&plan, &target, true).unwrap_err();
        assert!(matches!(err, Error::UnsafeTarget { .. }), "{err}");
        assert!(!outside.path().join("y.txt").exists());
    }

    #[test]
    fn force_replaces_only_planned_files_and_keeps_others() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
        fs::write(tmp.path().join("z.txt"), "old").unwrap();
        let plan = plan_of(&[("z.txt", "new"), ("d/e.txt", "e")]);
        let checked = preflight(&plan, tmp.path(), true).unwrap();
        write(&plan, tmp.path(), &checked).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
            "mine"
        );
        assert_eq!(fs::read_to_string(tmp.path().join("z.txt")).unwrap(), "new");
        assert_eq!(fs::read_to_string(tmp.path().join("d/e.txt")).unwrap(), "e");
        assert!(leftovers(tmp.path().parent().unwrap()).is_empty());
    }

    #[test]
    fn a_failed_merge_is_undone() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("a.txt"), "old").unwrap();
        let plan = plan_of(&[("a.txt", "new"), ("b/c.txt", "c")]);
        let checked = preflight(&plan, &target, true).unwrap();
        // Make the second move fail: a file where the plan needs the folder `b`.
        fs::write(target.join("b"), "surprise").unwrap();
        let err = write(&plan, &target, &checked).unwrap_err();
        assert!(matches!(err, Error::UnsafeTarget { .. }), "{err}");
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "old");
        assert_eq!(fs::read_to_string(target.join("b")).unwrap(), "surprise");
        assert!(leftovers(tmp.path()).is_empty());
    }

    #[test]
    fn rename_no_replace_refuses_an_existing_empty_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let from = tmp.path().join("from");
        let to = tmp.path().join("to");
        fs::create_dir(&from).unwrap();
        fs::create_dir(&to).unwrap();
        let err = rename_no_replace(&from, &to).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(from.exists());
    }
}
