//! Names of files and folders that are safe on every platform a generated project may be
//! checked out on: what a rendered path component may be, which names git or Windows read
//! as `.git`, and the key under which two names collide on a case-insensitive or
//! normalisation-insensitive filesystem (Windows, macOS).

use unicode_normalization::UnicodeNormalization;

/// Code points HFS+ ignores when comparing names, so `.g\u{200c}it` is `.git` there (git's
/// `is_hfs_dotgit`).
fn is_hfs_ignorable(c: char) -> bool {
    matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
}

/// Does some filesystem or git read this name as `.git`? `.GIT`, `.git.`, `.git `,
/// `git~1` (the NTFS short name), `.git::$INDEX_ALLOCATION` (an NTFS stream) and HFS+
/// variants with ignorable code points all are.
pub fn is_dotgit_like(name: &str) -> bool {
    let cleaned: String = name.chars().filter(|c| !is_hfs_ignorable(*c)).collect();
    let lower = cleaned.to_lowercase();
    let base = lower.split(':').next().unwrap_or(&lower);
    let base = base.trim_end_matches(['.', ' ']);
    base == ".git" || base == "git~1"
}

/// The key under which two paths land on the same file on a case-insensitive,
/// normalisation-insensitive filesystem: `README.md`/`readme.md`, and an NFC name and its
/// NFD twin.
pub fn collision_key(path: &str) -> String {
    if path.is_ascii() {
        return path.to_ascii_lowercase();
    }
    path.nfd()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

/// Windows reads these as devices, with any extension (`NUL.txt`); `¹²³` count as digits.
fn windows_reserved(c: &str) -> Option<String> {
    let stem = c.split('.').next().unwrap_or(c).trim_end_matches(' ');
    let upper = stem.to_uppercase();
    let is_port = |prefix: &str| {
        upper.strip_prefix(prefix).is_some_and(|n| {
            matches!(
                n,
                "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
            )
        })
    };
    let reserved = matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || is_port("COM")
        || is_port("LPT");
    reserved.then_some(upper)
}

/// A rendered path component must be one plain name: no separators, no climbing, nothing
/// a filesystem would read specially on any platform.
/// The longest file name (in bytes) every common file system takes.
pub const MAX_COMPONENT_BYTES: usize = 255;
/// The longest generated path (relative to the target, in bytes): macOS's PATH_MAX is 1024,
/// and a project whose paths are longer cannot be checked out there (or on Windows without
/// long paths) even before the folder it is in is counted.
pub const MAX_PATH_BYTES: usize = 1024;

pub fn check_component(c: &str) -> std::result::Result<(), String> {
    if c.is_empty() {
        return Err("empty path component".into());
    }
    if c == "." || c == ".." {
        return Err("`.` and `..` are not allowed".into());
    }
    if c.len() > MAX_COMPONENT_BYTES {
        return Err(format!(
            "is {} bytes long; a file name may have at most {MAX_COMPONENT_BYTES} (the limit of ext4, APFS and NTFS)",
            c.len()
        ));
    }
    if let Some(bad) = c.chars().find(|ch| {
        matches!(
            ch,
            '/' | '\\' | ':' | '\0' | '<' | '>' | '"' | '|' | '?' | '*'
        ) || ch.is_control()
    }) {
        return Err(format!(
            "contains {bad:?} (not allowed in a file name on every platform)"
        ));
    }
    if c.ends_with(['.', ' ']) {
        return Err("ends with a dot or a space (invalid on Windows)".into());
    }
    if let Some(name) = windows_reserved(c) {
        return Err(format!("{name} is a reserved device name on Windows"));
    }
    if is_dotgit_like(c) {
        return Err(
            "git or Windows would read this name as `.git`, which may not be generated".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_that_could_escape_or_mean_something_else_are_refused() {
        let bad = [
            "",
            ".",
            "..",
            "a/b",
            "..\\x",
            "C:x",
            "a\0b",
            "a\nb",
            "con",
            "CON.txt",
            "com1",
            "lpt9.log",
            "x.",
            "x ",
            ".git",
            ".GIT",
            ".git.",
            ".git ",
            "git~1",
            "GIT~1",
            ".git::$INDEX_ALLOCATION",
            ".g\u{200c}it",
            "COM¹",
            "lpt³.txt",
            "com0",
            "CONIN$",
            "nul .txt",
            "a<b",
            "a|b",
            "what?",
            "star*",
            "q\"uote",
        ];
        for give in bad {
            assert!(check_component(give).is_err(), "{give:?} should be refused");
        }
        for give in [
            "main.go",
            ".gitignore",
            ".github",
            ".gitattributes",
            "console",
            "com",
            "comx",
            "com10",
            "git~2x",
            "v2",
            "été",
        ] {
            assert!(check_component(give).is_ok(), "{give:?} should be allowed");
        }
    }

    #[test]
    fn twins_collide() {
        assert_eq!(collision_key("README.md"), collision_key("readme.md"));
        assert_eq!(collision_key("caf\u{e9}"), collision_key("cafe\u{301}"));
        assert_eq!(collision_key("CAF\u{c9}"), collision_key("cafe\u{301}"));
        assert_ne!(collision_key("a"), collision_key("b"));
    }
}
