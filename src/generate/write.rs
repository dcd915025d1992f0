//! Writing a plan: stage everything, then move it into place without replacing anything
//! (or, with `--force`, replacing only the files the plan generates). Any failure or signal
//! before the end leaves no staging folder and no partial target.
//!
//! The target is resolved once, to open folder handles; everything after that is relative
//! to those handles and never follows a link. The folders above the target are taken as
//! the user named them; the target itself, every folder gogen creates, and every path it
//! writes through inside the target must not be a link, with or without a trailing `/`
//! or `/.`. A new target is staged beside it (same filesystem) and appears with one
//! no-replace rename; an existing (empty or `--force`) target is staged inside itself, so
//! a mount point works too, and files are moved in one by one with every step undone on
//! failure.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::generate::plan::Plan;
use crate::safefs::{DirHandle, Kind};
use crate::signals::{self, Busy};

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
    resolved: Arc<Resolved>,
}

/// The target, resolved once.
#[derive(Debug)]
enum Resolved {
    /// `anchor` exists; `missing` are the folders to create below it, the last one being
    /// the target itself.
    Absent {
        anchor: DirHandle,
        missing: Vec<OsString>,
    },
    /// The target folder itself, opened without following a link.
    Existing { dir: DirHandle },
}

fn unsafe_target(path: impl Into<PathBuf>, reason: &str) -> Error {
    Error::UnsafeTarget {
        path: path.into(),
        reason: reason.to_string(),
    }
}

const LINK_REASON: &str =
    "it is a symbolic link; gogen never writes through links (pass the real folder)";

/// Resolves the target path to folder handles, refusing a link anywhere gogen would create
/// or write through.
fn resolve(target: &Path) -> Result<Resolved> {
    // `components()` drops trailing slashes and `.` segments (`out/` and `out/.` are `out`),
    // so the last component is the target itself, never something reached through it.
    let components: Vec<Component<'_>> = target.components().collect();
    let Some((last, above)) = components.split_last() else {
        return Err(unsafe_target(target, "the target path is empty"));
    };
    let name = match last {
        Component::Normal(name) => *name,
        // `.`, `..` and `/` name a folder that exists and cannot itself be a link.
        _ => {
            let dir = DirHandle::open_following(target)
                .map_err(|e| Error::io("open the target folder", target, e))?;
            return Ok(Resolved::Existing { dir });
        }
    };
    // The folders above: followed as named, down to the first that does not exist.
    let mut here = match above.first() {
        Some(Component::RootDir) => PathBuf::from("/"),
        _ => PathBuf::from("."),
    };
    let mut anchor = DirHandle::open_following(&here).map_err(|e| Error::io("open", &here, e))?;
    let mut missing: Vec<OsString> = Vec::new();
    for part in above {
        match part {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => continue,
            Component::ParentDir if missing.is_empty() => {
                here.push("..");
                anchor =
                    DirHandle::open_following(&here).map_err(|e| Error::io("open", &here, e))?;
            }
            Component::ParentDir => {
                return Err(unsafe_target(
                    target,
                    "the path climbs out (`..`) of a folder that does not exist",
                ));
            }
            Component::Normal(part) if !missing.is_empty() => missing.push(part.to_os_string()),
            Component::Normal(part) => {
                here.push(part);
                match anchor
                    .kind(part)
                    .map_err(|e| Error::io("inspect", &here, e))?
                {
                    None => missing.push(part.to_os_string()),
                    Some(Kind::Dir | Kind::Link) => {
                        anchor = DirHandle::open_following(&here).map_err(|e| {
                            if e.kind() == std::io::ErrorKind::NotADirectory {
                                unsafe_target(&here, "a parent of the target is not a folder")
                            } else {
                                Error::io("open", &here, e)
                            }
                        })?;
                    }
                    Some(_) => {
                        return Err(unsafe_target(
                            &here,
                            "a parent of the target is not a folder",
                        ));
                    }
                }
            }
        }
    }
    if !missing.is_empty() {
        missing.push(name.to_os_string());
        return Ok(Resolved::Absent { anchor, missing });
    }
    match anchor
        .kind(name)
        .map_err(|e| Error::io("inspect", target, e))?
    {
        None => Ok(Resolved::Absent {
            anchor,
            missing: vec![name.to_os_string()],
        }),
        Some(Kind::Link) => Err(unsafe_target(target, LINK_REASON)),
        Some(Kind::Dir) => {
            let dir = anchor.open_dir(name).map_err(|e| {
                if e.raw_os_error() == Some(libc_eloop()) {
                    unsafe_target(target, LINK_REASON)
                } else {
                    Error::io("open the target folder", target, e)
                }
            })?;
            Ok(Resolved::Existing { dir })
        }
        Some(_) => Err(unsafe_target(target, "it exists and is not a folder")),
    }
}

fn libc_eloop() -> i32 {
    rustix::io::Errno::LOOP.raw_os_error()
}

/// Checks the target before any work is done: what is there, and whether writing is safe.
/// `plan` may be empty (an early check before the answers are known).
pub fn preflight(plan: &Plan, target: &Path, force: bool) -> Result<Preflight> {
    let resolved = resolve(target)?;
    let (state, conflicts) = match &resolved {
        Resolved::Absent { .. } => (TargetState::Absent, Vec::new()),
        Resolved::Existing { dir } => {
            if dir.is_empty().map_err(|e| Error::io("read", target, e))? {
                (TargetState::Empty, Vec::new())
            } else {
                let mut conflicts = Vec::new();
                for file in &plan.files {
                    check_planned_path(dir, &file.path, &mut conflicts)?;
                }
                if !force {
                    return Err(Error::TargetNotEmpty {
                        target: target.to_path_buf(),
                        conflicts,
                    });
                }
                (TargetState::Occupied, conflicts)
            }
        }
    };
    Ok(Preflight {
        state,
        durable: false,
        conflicts,
        resolved: Arc::new(resolved),
    })
}

/// Walks a planned path inside an existing target: no component may be a link, a
/// folder must not be a file, and the file itself must not be a folder.
fn check_planned_path(target: &DirHandle, rel: &str, conflicts: &mut Vec<String>) -> Result<()> {
    let parts: Vec<&str> = rel.split('/').collect();
    let (file, dirs) = parts.split_last().expect("a planned path is never empty");
    let mut opened: Option<DirHandle> = None;
    for part in dirs {
        let here = opened.as_ref().unwrap_or(target);
        let shown = here.display(OsStr::new(part));
        match here
            .kind(OsStr::new(part))
            .map_err(|e| Error::io("inspect", &shown, e))?
        {
            None => return Ok(()),
            Some(Kind::Dir) => {
                let next = here
                    .open_dir(OsStr::new(part))
                    .map_err(|e| Error::io("open", &shown, e))?;
                opened = Some(next);
            }
            Some(Kind::Link) => {
                return Err(unsafe_target(
                    shown,
                    "it is a symbolic link; gogen never writes through links",
                ));
            }
            Some(_) => {
                return Err(unsafe_target(
                    shown,
                    "it is a file, but the blueprint needs a folder here",
                ));
            }
        }
    }
    let here = opened.as_ref().unwrap_or(target);
    let shown = here.display(OsStr::new(file));
    match here
        .kind(OsStr::new(file))
        .map_err(|e| Error::io("inspect", &shown, e))?
    {
        None => Ok(()),
        Some(Kind::File) => {
            conflicts.push(rel.to_string());
            Ok(())
        }
        Some(Kind::Link) => Err(unsafe_target(
            shown,
            "it is a symbolic link; gogen never writes through links",
        )),
        Some(Kind::Dir) => Err(unsafe_target(
            shown,
            "it is a folder, but the blueprint writes a file here",
        )),
        Some(Kind::Other) => Err(unsafe_target(shown, "it is not a regular file")),
    }
}

/// Writes the plan. `preflight` must have been called with the same plan and target.
/// When a signal arrived while writing and the project got into place anyway, the result
/// is `Error::InterruptedWritten`: the project is complete and nothing more may run.
pub fn write(plan: &Plan, target: &Path, checked: &Preflight) -> Result<()> {
    // From the first change on disk, a signal waits for this function to unwind.
    let busy = Busy::begin();
    let result = match &*checked.resolved {
        Resolved::Absent { anchor, missing } => write_new(plan, target, anchor, missing, checked),
        Resolved::Existing { dir } => write_into(plan, target, dir, checked),
    };
    if result.is_ok() {
        signals::project_written();
    }
    drop(busy);
    result?;
    if signals::interrupted() {
        return Err(Error::InterruptedWritten {
            target: target.to_path_buf(),
        });
    }
    Ok(())
}

/// A new target: create the missing folders above it, stage beside it, rename into place.
fn write_new(
    plan: &Plan,
    target: &Path,
    anchor: &DirHandle,
    missing: &[OsString],
    checked: &Preflight,
) -> Result<()> {
    let (name, parents) = missing.split_last().expect("the target name is last");
    // Folders gogen created, as (folder it is in, name), so a failure removes exactly these.
    let mut created: Vec<(DirHandle, OsString)> = Vec::new();
    let result = (|| {
        let mut here = anchor
            .try_clone()
            .map_err(|e| Error::io("open", anchor.path(), e))?;
        for part in parents {
            let shown = here.display(part);
            match here.create_dir(part, 0o777) {
                Ok(next) => {
                    let parent = std::mem::replace(&mut here, next);
                    created.push((parent, part.clone()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    here = here.open_dir(part).map_err(|_| {
                        unsafe_target(
                            &shown,
                            "it appeared while gogen was writing and is not a plain folder",
                        )
                    })?;
                }
                Err(e) if e.raw_os_error() == Some(libc_eloop()) => {
                    return Err(unsafe_target(&shown, LINK_REASON));
                }
                Err(e) => return Err(Error::io("create", &shown, e)),
            }
        }
        let staging = Staging::new(&here)?;
        let tree_name = OsStr::new("tree");
        let tree = staging
            .dir
            .create_dir(tree_name, 0o777)
            .map_err(|e| Error::io("create", staging.dir.display(tree_name), e))?;
        write_tree(plan, &tree, checked.durable)?;
        pause_for_tests("staging", true);
        if signals::interrupted() {
            return Err(Error::Interrupted);
        }
        // Past the last check: a signal from here on lands "during the rename".
        pause_for_tests("rename", true);
        staging
            .dir
            .rename_no_replace(tree_name, &here, name)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    unsafe_target(
                        target,
                        "it appeared while gogen was generating; nothing was written",
                    )
                } else {
                    Error::io("move the project into", target, e)
                }
            })?;
        if checked.durable {
            here.sync().map_err(|e| Error::io("sync", here.path(), e))?;
        }
        Ok(())
        // `staging` drops here and removes itself.
    })();
    if result.is_err() {
        for (dir, name) in created.iter().rev() {
            let _ = dir.remove_empty_dir(name);
        }
    }
    result
}

/// A hidden staging folder `.gogen-XXXXXXXX`, removed (without following links) on drop.
/// The lifecycle applier stages updates in one too.
pub struct Staging {
    parent: DirHandle,
    name: OsString,
    pub dir: DirHandle,
}

impl Staging {
    pub fn new(parent: &DirHandle) -> Result<Self> {
        let parent = parent
            .try_clone()
            .map_err(|e| Error::io("open", parent.path(), e))?;
        remove_stale_staging(&parent);
        let mut last_error = None;
        for attempt in 0..16u32 {
            let name = OsString::from(format!(
                ".gogen-{}-{}",
                std::process::id(),
                random_suffix(attempt)
            ));
            match parent.create_dir(&name, 0o700) {
                Ok(dir) => return Ok(Staging { parent, name, dir }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => {
                    return Err(Error::io("create a staging folder in", parent.path(), e));
                }
            }
        }
        Err(Error::io(
            "create a staging folder in",
            parent.path(),
            last_error.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into()),
        ))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = self.parent.remove_tree(&self.name);
    }
}

/// How old a staging folder of a process that no longer runs must be before a later run
/// removes it (a process in another pid namespace sharing this folder looks dead).
const STALE_STAGING_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Removes the staging folders that a killed run (kill -9, power cut) left in `parent`:
/// named `.gogen-<pid>-<suffix>` (a name no blueprint may generate), a folder, owned by
/// this user, its process gone and last changed over 15 minutes ago. Anything else with a
/// `.gogen-` name is left alone (`gogen check` lists it). Failures are ignored: this is
/// tidying, not part of the generation. "Changed" is the folder's modification time.
fn remove_stale_staging(parent: &DirHandle) {
    let Ok(entries) = parent.entries() else {
        return;
    };
    let me = rustix::process::getuid();
    let now = std::time::SystemTime::now();
    for (name, kind) in entries {
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".gogen-"))
            .and_then(|rest| rest.split_once('-'))
            .filter(|(pid, suffix)| {
                !pid.is_empty()
                    && pid.bytes().all(|b| b.is_ascii_digit())
                    && suffix.len() == 10
                    && suffix
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if kind != Kind::Dir || pid == std::process::id() as i32 || process_exists(pid) {
            continue;
        }
        let Ok((uid, mtime)) = parent.owner_and_mtime(&name) else {
            continue;
        };
        let changed = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.max(0) as u64);
        let old_enough = now
            .duration_since(changed)
            .is_ok_and(|age| age > STALE_STAGING_AGE);
        if uid == me.as_raw() && old_enough {
            let _ = parent.remove_tree(&name);
        }
    }
}

fn process_exists(pid: i32) -> bool {
    match rustix::process::Pid::from_raw(pid) {
        // EPERM: it exists, under another user.
        Some(p) => !matches!(
            rustix::process::test_kill_process(p),
            Err(rustix::io::Errno::SRCH)
        ),
        None => true,
    }
}

fn random_suffix(attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = h.finish();
    (0..10)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// Lets the signal tests hold gogen at a point (`GOGEN_TEST_PAUSE=<point>:<ms>`), and say
/// when it got there: with `GOGEN_TEST_PAUSE_READY=<file>`, that file is created once the
/// pause begins, so a test sends its signal on that event rather than after a guess at a
/// delay. With `interruptible` a signal ends the pause at once (what follows is the code
/// that either checks the flag or, at `rename`, carries on as when a signal lands during
/// the rename itself); without, the pause runs its time out. Not a user setting.
pub fn pause_for_tests(point: &str, interruptible: bool) {
    let Ok(spec) = std::env::var("GOGEN_TEST_PAUSE") else {
        return;
    };
    let Some(ms) = spec
        .strip_prefix(point)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|ms| ms.parse::<u64>().ok())
    else {
        return;
    };
    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms.min(60_000));
    if let Some(ready) = std::env::var_os("GOGEN_TEST_PAUSE_READY") {
        let _ = std::fs::write(ready, point);
    }
    while std::time::Instant::now() < until && !(interruptible && signals::interrupted()) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Opens (creating when needed) the folder chain for planned paths in order, reusing the
/// handles of the previous path's folders.
struct DirChain<'a> {
    root: &'a DirHandle,
    /// Open folders below the root: (name, handle), outermost first.
    open: Vec<(String, DirHandle)>,
}

impl<'a> DirChain<'a> {
    fn new(root: &'a DirHandle) -> Self {
        DirChain {
            root,
            open: Vec::new(),
        }
    }

    /// The folder for `dirs` (creating missing ones when `create` says so, reporting each
    /// one created), never following a link.
    fn enter(
        &mut self,
        dirs: &[&str],
        create: bool,
        mut on_create: impl FnMut(&[&str]),
    ) -> std::io::Result<&DirHandle> {
        let common = self
            .open
            .iter()
            .zip(dirs)
            .take_while(|((open, _), want)| open == *want)
            .count();
        self.open.truncate(common);
        for (i, part) in dirs.iter().enumerate().skip(common) {
            let here = self.open.last().map(|(_, h)| h).unwrap_or(self.root);
            let name = OsStr::new(part);
            let next = match here.kind(name)? {
                None if create => {
                    let d = here.create_dir(name, 0o777)?;
                    on_create(&dirs[..=i]);
                    d
                }
                None => return Err(std::io::ErrorKind::NotFound.into()),
                Some(Kind::Dir) => here.open_dir(name)?,
                Some(_) => {
                    return Err(std::io::Error::other(
                        "it changed while gogen was writing (now a link or a file)",
                    ));
                }
            };
            self.open.push((part.to_string(), next));
        }
        Ok(self.open.last().map(|(_, h)| h).unwrap_or(self.root))
    }
}

fn split(rel: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts.pop().expect("a planned path is never empty");
    (parts, file)
}

/// The process's umask (set and put back at once: gogen starts no other thread that
/// creates files meanwhile).
fn current_umask() -> u32 {
    use rustix::fs::Mode;
    let mask = rustix::process::umask(Mode::from_raw_mode(0o077));
    rustix::process::umask(mask);
    mask.bits()
}

fn write_tree(plan: &Plan, root: &DirHandle, durable: bool) -> Result<()> {
    let mut chain = DirChain::new(root);
    // A file whose mode the umask leaves alone is created with it; only the others need
    // a chmod after the write (a planned mode is exact, whatever the umask).
    let umask = current_umask();
    for file in &plan.files {
        if signals::interrupted() {
            return Err(Error::Interrupted);
        }
        let (dirs, name) = split(&file.path);
        let shown = root.path().join(&file.path);
        let dir = chain
            .enter(&dirs, true, |_| {})
            .map_err(|e| Error::io("create", &shown, e))?;
        let exact = file.mode & umask == 0;
        let mut out = dir
            .create_file(OsStr::new(name), if exact { file.mode } else { 0o600 })
            .map_err(|e| Error::io("create", &shown, e))?;
        out.write_all(&file.bytes)
            .map_err(|e| Error::io("write", &shown, e))?;
        if !exact {
            use std::os::unix::fs::PermissionsExt;
            out.set_permissions(std::fs::Permissions::from_mode(file.mode))
                .map_err(|e| Error::io("set the mode of", &shown, e))?;
        }
        if durable {
            out.sync_all().map_err(|e| Error::io("sync", &shown, e))?;
        }
    }
    if durable {
        sync_dirs(root)?;
    }
    Ok(())
}

/// With `--fsync`, folders are flushed too, so a power cut cannot empty files the rename
/// already exposed.
fn sync_dirs(dir: &DirHandle) -> Result<()> {
    for (name, kind) in dir
        .entries()
        .map_err(|e| Error::io("read", dir.path(), e))?
    {
        if kind == Kind::Dir {
            let sub = dir
                .open_dir(&name)
                .map_err(|e| Error::io("open", dir.display(&name), e))?;
            sync_dirs(&sub)?;
        }
    }
    dir.sync().map_err(|e| Error::io("sync", dir.path(), e))
}

/// One step of a merge, remembered (by path inside the target) so it can be undone.
enum Step {
    CreatedDir(Vec<String>),
    MovedIn {
        dirs: Vec<String>,
        name: String,
    },
    Replaced {
        dirs: Vec<String>,
        name: String,
        backup: String,
    },
}

/// An existing target: stage inside it (same filesystem, even on a mount point), then
/// move staged files in one by one, undoing every step on failure.
fn write_into(plan: &Plan, target: &Path, dir: &DirHandle, checked: &Preflight) -> Result<()> {
    let staging = Staging::new(dir)?;
    write_tree(plan, &staging.dir, checked.durable)?;
    pause_for_tests("staging", true);
    if signals::interrupted() {
        return Err(Error::Interrupted);
    }
    let backups_name = OsStr::new(".replaced");
    let backups = staging
        .dir
        .create_dir(backups_name, 0o700)
        .map_err(|e| Error::io("create", staging.dir.display(backups_name), e))?;
    let mut journal = Vec::new();
    let result = merge(
        plan,
        target,
        dir,
        &staging.dir,
        &backups,
        checked,
        &mut journal,
    );
    if result.is_err() {
        undo(dir, &backups, journal);
    } else if checked.durable {
        dir.sync().map_err(|e| Error::io("sync", target, e))?;
    }
    result
}

fn merge(
    plan: &Plan,
    target: &Path,
    dir: &DirHandle,
    staged: &DirHandle,
    backups: &DirHandle,
    checked: &Preflight,
    journal: &mut Vec<Step>,
) -> Result<()> {
    let replace_allowed = checked.state == TargetState::Occupied;
    let mut dest_chain = DirChain::new(dir);
    let mut src_chain = DirChain::new(staged);
    for (index, file) in plan.files.iter().enumerate() {
        if signals::interrupted() {
            return Err(Error::Interrupted);
        }
        let (dirs, name) = split(&file.path);
        let shown = target.join(&file.path);
        let owned = |d: &[&str]| d.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut new_dirs = Vec::new();
        let dest = dest_chain
            .enter(&dirs, true, |d| new_dirs.push(owned(d)))
            .map_err(|e| unsafe_or_io(&shown, e));
        journal.extend(new_dirs.into_iter().map(Step::CreatedDir));
        let dest = dest?;
        let src = src_chain
            .enter(&dirs, false, |_| {})
            .map_err(|e| Error::io("open", &shown, e))?;
        let file_name = OsStr::new(name);
        match dest
            .kind(file_name)
            .map_err(|e| Error::io("inspect", &shown, e))?
        {
            None => {}
            Some(Kind::File) if replace_allowed && checked.conflicts.contains(&file.path) => {
                let backup = index.to_string();
                dest.rename_no_replace(file_name, backups, OsStr::new(&backup))
                    .map_err(|e| Error::io("set aside", &shown, e))?;
                journal.push(Step::Replaced {
                    dirs: owned(&dirs),
                    name: name.to_string(),
                    backup,
                });
            }
            Some(_) => {
                return Err(unsafe_target(
                    &shown,
                    "it appeared or changed while gogen was writing; nothing was changed",
                ));
            }
        }
        src.rename_no_replace(file_name, dest, file_name)
            .map_err(|e| Error::io("move into place", &shown, e))?;
        journal.push(Step::MovedIn {
            dirs: owned(&dirs),
            name: name.to_string(),
        });
    }
    Ok(())
}

fn unsafe_or_io(shown: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::Other || e.raw_os_error() == Some(libc_eloop()) {
        unsafe_target(
            shown,
            "a folder on its path changed while gogen was writing (now a link or a file)",
        )
    } else {
        Error::io("create", shown, e)
    }
}

fn undo(target: &DirHandle, backups: &DirHandle, journal: Vec<Step>) {
    let open = |dirs: &[String]| -> Option<DirHandle> {
        let mut here = target.try_clone().ok()?;
        for d in dirs {
            here = here.open_dir(OsStr::new(d)).ok()?;
        }
        Some(here)
    };
    for step in journal.into_iter().rev() {
        match step {
            Step::MovedIn { dirs, name } => {
                if let Some(d) = open(&dirs) {
                    let _ = d.remove_file(OsStr::new(&name));
                }
            }
            Step::Replaced { dirs, name, backup } => {
                if let Some(d) = open(&dirs) {
                    let _ = backups.rename_over(OsStr::new(&backup), &d, OsStr::new(&name));
                }
            }
            Step::CreatedDir(mut dirs) => {
                let Some(name) = dirs.pop() else { continue };
                if let Some(d) = open(&dirs) {
                    let _ = d.remove_empty_dir(OsStr::new(&name));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

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
        fs::create_dir(tmp.path().join("from")).unwrap();
        fs::create_dir(tmp.path().join("to")).unwrap();
        let dir = DirHandle::open(tmp.path()).unwrap();
        let err = dir
            .rename_no_replace(OsStr::new("from"), &dir, OsStr::new("to"))
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(tmp.path().join("from").exists());
    }

    #[test]
    fn a_symlinked_target_is_refused_however_it_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let link = tmp.path().join("out");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        let plan = plan_of(&[("a.txt", "a")]);
        let base = link.display().to_string();
        for given in [
            base.clone(),
            format!("{base}/"),
            format!("{base}/."),
            format!("{base}//./"),
        ] {
            let err = preflight(&plan, Path::new(&given), true).unwrap_err();
            assert!(matches!(err, Error::UnsafeTarget { .. }), "{given}: {err}");
        }
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_existing_target_is_staged_inside_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        fs::create_dir(&target).unwrap();
        let plan = plan_of(&[("a/b.txt", "b")]);
        let checked = preflight(&plan, &target, false).unwrap();
        assert_eq!(checked.state, TargetState::Empty);
        write(&plan, &target, &checked).unwrap();
        assert_eq!(fs::read_to_string(target.join("a/b.txt")).unwrap(), "b");
        assert!(leftovers(&target).is_empty());
        assert!(leftovers(tmp.path()).is_empty());
    }
}
