//! A generated project as the lifecycle commands see it: its folder, its lock file, and the
//! state of each file on disk, compared with the lock the way a user means it (a CRLF
//! checkout of an untouched file is untouched).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use crate::blueprint::sha256_hex;
use crate::error::{Error, Result};
use crate::generate::lockfile::{LOCK_FILE, LockFile, MAX_LOCK_BYTES};
use crate::lifecycle::merge::{Eol, to_lf};
use crate::safefs::{DirHandle, Kind, ReadError};

/// Files larger than this are compared by hash but never merged or read whole for a merge.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

pub struct Project {
    pub dir: PathBuf,
    pub lock: LockFile,
    /// The lock file's bytes, to tell whether an update changes it.
    pub lock_text: String,
}

/// What is at a path on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disk {
    Missing,
    File {
        bytes: Vec<u8>,
        mode: u32,
    },
    /// A folder, a symbolic link or a special file: gogen never writes through or into it.
    Other(&'static str),
}

impl Disk {
    /// Does this file hold exactly the content `sha` ("sha256:<hex>" or bare hex), allowing
    /// for a working tree that changed only the line endings (a CRLF checkout of an LF file,
    /// or an LF checkout of a CRLF file)?
    pub fn matches(&self, sha: &str) -> bool {
        let want = sha.strip_prefix("sha256:").unwrap_or(sha);
        match self {
            Disk::File { bytes, .. } => {
                sha256_hex(bytes) == want
                    || to_lf(bytes).is_some_and(|lf| sha256_hex(&lf) == want)
                    || (bytes.contains(&b'\n')
                        && !bytes.contains(&b'\r')
                        && sha256_hex(&Eol::Crlf.apply(bytes.clone())) == want)
            }
            _ => false,
        }
    }

    pub fn sha256(&self) -> Option<String> {
        match self {
            Disk::File { bytes, .. } => Some(sha256_hex(bytes)),
            _ => None,
        }
    }
}

impl Project {
    /// Opens `dir` as a gogen project: it must be a real folder (not a link) holding a
    /// readable lock file of a schema this gogen knows.
    pub fn open(dir: &Path) -> Result<Project> {
        let not_project = |reason: String| Error::NotAProject {
            dir: dir.to_path_buf(),
            reason,
        };
        let meta = fs::symlink_metadata(dir).map_err(|e| not_project(format!("{e}")))?;
        if meta.file_type().is_symlink() {
            return Err(Error::UnsafeTarget {
                path: dir.to_path_buf(),
                reason:
                    "it is a symbolic link; gogen never writes through links (pass the real folder)"
                        .into(),
            });
        }
        if !meta.is_dir() {
            return Err(not_project("it is not a folder".into()));
        }
        let root = DirHandle::open(dir).map_err(|e| not_project(e.to_string()))?;
        let bytes = match root.read_file(OsStr::new(LOCK_FILE), MAX_LOCK_BYTES) {
            Ok(b) => b,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(not_project(format!("it has no {LOCK_FILE}")));
            }
            Err(ReadError::Io(e)) => return Err(Error::io("read", dir.join(LOCK_FILE), e)),
            Err(e) => return Err(not_project(format!("{LOCK_FILE}: {e}"))),
        };
        let lock_text = String::from_utf8(bytes)
            .map_err(|_| not_project(format!("{LOCK_FILE} is not valid UTF-8")))?;
        let lock = LockFile::parse(&lock_text)
            .map_err(|e| not_project(format!("{LOCK_FILE} cannot be read: {e}")))?;
        Ok(Project {
            dir: dir.to_path_buf(),
            lock,
            lock_text,
        })
    }

    /// Reads a project path without following links anywhere along it.
    pub fn disk(&self, rel: &str) -> Result<Disk> {
        read_disk(&self.dir, rel)
    }
}

pub fn read_disk(root: &Path, rel: &str) -> Result<Disk> {
    let mut here = DirHandle::open(root).map_err(|e| Error::io("open", root, e))?;
    let parts: Vec<&str> = rel.split('/').collect();
    let (last, dirs) = parts.split_last().expect("split yields at least one part");
    for part in dirs {
        let name = OsStr::new(part);
        match here.kind(name) {
            Ok(None) => return Ok(Disk::Missing),
            Ok(Some(Kind::Dir)) => {}
            Ok(Some(Kind::Link)) => return Ok(Disk::Other("under a symbolic link")),
            Ok(Some(_)) => return Ok(Disk::Other("under a file where a folder should be")),
            Err(e) => return Err(Error::io("inspect", here.display(name), e)),
        }
        here = match here.open_dir(name) {
            Ok(d) => d,
            Err(e) if matches!(e.raw_os_error(), Some(20 | 40)) => {
                return Ok(Disk::Other("under a symbolic link"));
            }
            Err(e) => return Err(Error::io("open", here.display(name), e)),
        };
    }
    let name = OsStr::new(last);
    let shown = here.display(name);
    match here.kind(name) {
        Ok(None) => return Ok(Disk::Missing),
        Ok(Some(Kind::File)) => {}
        Ok(Some(Kind::Link)) => return Ok(Disk::Other("a symbolic link")),
        Ok(Some(Kind::Dir)) => return Ok(Disk::Other("a folder")),
        Ok(Some(Kind::Other)) => return Ok(Disk::Other("not a regular file")),
        Err(e) => return Err(Error::io("inspect", &shown, e)),
    }
    let mode = rustix::fs::statat(here.fd(), name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
        .map(|st| st.st_mode & 0o777)
        .map_err(|e| Error::io("inspect", &shown, e.into()))?;
    match here.read_file(name, MAX_FILE_BYTES) {
        Ok(bytes) => Ok(Disk::File { bytes, mode }),
        Err(ReadError::Link) => Ok(Disk::Other("a symbolic link")),
        Err(ReadError::NotRegular) => Ok(Disk::Other("not a regular file")),
        Err(ReadError::TooLarge { limit }) => Err(Error::Lifecycle {
            message: format!("{} is too large to compare", shown.display()),
            help: format!("gogen compares files up to {limit} bytes"),
        }),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(Disk::Missing),
        Err(ReadError::Io(e)) => Err(Error::io("read", &shown, e)),
    }
}
