//! Filesystem access that never follows a link by accident. Every operation below a folder
//! handle is relative to that open folder (`openat`, `mkdirat`, `renameat2`, `unlinkat`)
//! with no-follow semantics, so a check and the action it guards cannot be separated by
//! someone swapping a path component for a symbolic link.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

/// An open folder and the path it was reached by (for messages only; never reopened).
#[derive(Debug)]
pub struct DirHandle {
    fd: OwnedFd,
    path: PathBuf,
}

/// What a name in a folder is, without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    Other,
}

impl Kind {
    fn of(ft: FileType) -> Self {
        match ft {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        }
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);

fn io(e: Errno) -> std::io::Error {
    e.into()
}

impl DirHandle {
    /// Opens a folder by path. Links in the path are followed (the caller named them), but
    /// the last component must not be one.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        // A trailing `/` or `/.` would make the kernel follow a link in the last component.
        let path: PathBuf = path.components().collect();
        let fd = rustix::fs::openat(CWD, &path, DIR_FLAGS, Mode::empty()).map_err(|e| {
            if e == Errno::LOOP {
                std::io::Error::other("it is a symbolic link")
            } else {
                io(e)
            }
        })?;
        Ok(DirHandle { fd, path })
    }

    /// Opens a folder by path, following links anywhere in it (for folders above a target,
    /// which the user named and gogen neither creates nor writes through).
    pub fn open_following(path: &Path) -> std::io::Result<Self> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(io)?;
        Ok(DirHandle {
            fd,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// A second handle on the same folder.
    pub fn try_clone(&self) -> std::io::Result<Self> {
        Ok(DirHandle {
            fd: self.fd.try_clone()?,
            path: self.path.clone(),
        })
    }

    /// The path of `name` inside this folder, for messages.
    pub fn display(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }

    /// What `name` is, without following it; `None` when it does not exist.
    pub fn kind(&self, name: &OsStr) -> std::io::Result<Option<Kind>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Kind::of(FileType::from_raw_mode(st.st_mode)))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    /// `name`'s owner and modification time (seconds since the epoch), without following it.
    pub fn owner_and_mtime(&self, name: &OsStr) -> std::io::Result<(u32, i64)> {
        let st = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).map_err(io)?;
        Ok((st.st_uid, st.st_mtime))
    }

    /// Opens the sub-folder `name`; a link (even to a folder) is refused with ELOOP/ENOTDIR.
    pub fn open_dir(&self, name: &OsStr) -> std::io::Result<DirHandle> {
        let fd = rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()).map_err(io)?;
        Ok(DirHandle {
            fd,
            path: self.path.join(name),
        })
    }

    /// Creates the sub-folder `name` (it must not exist) and opens it without following.
    pub fn create_dir(&self, name: &OsStr, mode: u32) -> std::io::Result<DirHandle> {
        rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode)).map_err(io)?;
        self.open_dir(name)
    }

    /// Creates a new file `name` (it must not exist; a link in its place is an error).
    pub fn create_file(&self, name: &OsStr, mode: u32) -> std::io::Result<std::fs::File> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd =
            rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode)).map_err(io)?;
        Ok(std::fs::File::from(fd))
    }

    /// Names in this folder with what they are, sorted by name.
    pub fn entries(&self) -> std::io::Result<Vec<(OsString, Kind)>> {
        let dir = rustix::fs::Dir::read_from(&self.fd).map_err(io)?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let name = OsStr::from_bytes(name).to_os_string();
            let kind = match entry.file_type() {
                FileType::Unknown => self.kind(&name)?.unwrap_or(Kind::Other),
                ft => Kind::of(ft),
            };
            out.push((name, kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    pub fn is_empty(&self) -> std::io::Result<bool> {
        let dir = rustix::fs::Dir::read_from(&self.fd).map_err(io)?;
        for entry in dir {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads the regular file `name`, refusing links, devices and FIFOs, and anything larger
    /// than `max` bytes. The type is checked on the opened handle itself, so it cannot be
    /// swapped between the check and the read.
    pub fn read_file(&self, name: &OsStr, max: u64) -> Result<Vec<u8>, ReadError> {
        match self.kind(name).map_err(ReadError::Io)? {
            Some(Kind::File) => {}
            Some(Kind::Link) => return Err(ReadError::Link),
            None => return Err(ReadError::Io(std::io::ErrorKind::NotFound.into())),
            Some(_) => return Err(ReadError::NotRegular),
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return Err(ReadError::Link),
            Err(e) => return Err(ReadError::Io(io(e))),
        };
        read_regular(fd, max)
    }

    /// Moves `name` to `to_dir/to_name`, refusing to replace anything there.
    pub fn rename_no_replace(
        &self,
        name: &OsStr,
        to_dir: &DirHandle,
        to_name: &OsStr,
    ) -> std::io::Result<()> {
        match rustix::fs::renameat_with(&self.fd, name, &to_dir.fd, to_name, RenameFlags::NOREPLACE)
        {
            Ok(()) => Ok(()),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {
                // The filesystem cannot refuse atomically: check, then rename (a narrow race).
                if to_dir.kind(to_name)?.is_some() {
                    return Err(std::io::ErrorKind::AlreadyExists.into());
                }
                rustix::fs::renameat(&self.fd, name, &to_dir.fd, to_name).map_err(io)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Moves `name` to `to_dir/to_name`, replacing a file there (used to undo a step).
    pub fn rename_over(
        &self,
        name: &OsStr,
        to_dir: &DirHandle,
        to_name: &OsStr,
    ) -> std::io::Result<()> {
        rustix::fs::renameat(&self.fd, name, &to_dir.fd, to_name).map_err(io)
    }

    pub fn remove_file(&self, name: &OsStr) -> std::io::Result<()> {
        rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()).map_err(io)
    }

    pub fn remove_empty_dir(&self, name: &OsStr) -> std::io::Result<()> {
        rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).map_err(io)
    }

    /// Removes `name` and everything below it, never following a link (a link is removed,
    /// not its target).
    pub fn remove_tree(&self, name: &OsStr) -> std::io::Result<()> {
        match self.kind(name)? {
            None => Ok(()),
            Some(Kind::Dir) => {
                let sub = self.open_dir(name)?;
                for (child, _) in sub.entries()? {
                    sub.remove_tree(&child)?;
                }
                drop(sub);
                self.remove_empty_dir(name)
            }
            Some(_) => self.remove_file(name),
        }
    }

    pub fn sync(&self) -> std::io::Result<()> {
        rustix::fs::fsync(&self.fd).map_err(io)
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    Link,
    NotRegular,
    TooLarge { limit: u64 },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Link => write!(f, "it is a symbolic link"),
            ReadError::NotRegular => write!(f, "it is not a regular file"),
            ReadError::TooLarge { limit } => write!(f, "it is larger than {limit} bytes"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads an open file that must be a regular file, at most `max` bytes.
fn read_regular(fd: OwnedFd, max: u64) -> Result<Vec<u8>, ReadError> {
    let st = rustix::fs::fstat(&fd).map_err(|e| ReadError::Io(io(e)))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(ReadError::NotRegular);
    }
    let size = u64::try_from(st.st_size).unwrap_or(0);
    if size > max {
        return Err(ReadError::TooLarge { limit: max });
    }
    let file = std::fs::File::from(fd);
    let mut bytes = Vec::with_capacity(size as usize);
    // The size can change after fstat; never read past the limit.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { limit: max });
    }
    Ok(bytes)
}

/// Reads a file the user named (links in its path are followed), refusing anything that is
/// not a regular file (`/dev/zero`, a FIFO, a folder) and anything larger than `max`.
pub fn read_user_file(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd =
        rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(|e| ReadError::Io(io(e)))?;
    read_regular(fd, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_never_followed_below_a_handle() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        symlink(outside.path(), tmp.path().join("dirlink")).unwrap();
        symlink(outside.path().join("secret"), tmp.path().join("filelink")).unwrap();
        let root = DirHandle::open(tmp.path()).unwrap();
        assert!(root.open_dir(OsStr::new("dirlink")).is_err());
        assert!(matches!(
            root.read_file(OsStr::new("filelink"), 10),
            Err(ReadError::Link)
        ));
        assert_eq!(root.kind(OsStr::new("dirlink")).unwrap(), Some(Kind::Link));
        assert!(root.create_file(OsStr::new("filelink"), 0o644).is_err());
        root.remove_tree(OsStr::new("dirlink")).unwrap();
        assert!(outside.path().join("secret").exists());
        assert!(DirHandle::open(&tmp.path().join("filelink")).is_err());
    }

    #[test]
    fn user_files_must_be_regular_and_small() {
        assert!(matches!(
            read_user_file(Path::new("/dev/zero"), 1024),
            Err(ReadError::NotRegular)
        ));
        assert!(matches!(
            read_user_file(Path::new("/dev/null"), 1024),
            Err(ReadError::NotRegular)
        ));
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("big");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        assert!(matches!(
            read_user_file(&big, 1024),
            Err(ReadError::TooLarge { .. })
        ));
        assert_eq!(read_user_file(&big, 4096).unwrap().len(), 2048);
    }
}
