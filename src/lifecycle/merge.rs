//! Merging one file: a line-based three-way merge (the `similar` crate, so the result never
//! depends on the installed git), a two-way conflict when there is no verified base, and
//! the text rules around it (binary detection, CRLF working trees, conflict markers).

use similar::{ConflictStyle, DiffOp, TextDiff, TextMerge};

/// Marker lines are 7 characters, as git writes them.
const MARKER: usize = 7;

/// How the three sides are named in conflict markers, for people rather than for git.
#[derive(Debug, Clone)]
pub struct Labels {
    /// The file on disk: `yours`.
    pub ours: String,
    /// The old blueprint's output: `as generated (rest-api 0.1.0)`.
    pub base: String,
    /// The new blueprint's output: `new version (rest-api 0.2.0)`.
    pub theirs: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub bytes: Vec<u8>,
    /// Conflict regions written as markers; 0 means a clean merge.
    pub conflicts: usize,
}

/// Text gogen will merge: valid UTF-8 with no NUL in its first 8 KiB (git's rule, plus UTF-8).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8000)].contains(&0) || std::str::from_utf8(bytes).is_err()
}

/// Three-way merge with diff3-style markers (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`).
pub fn merge3(base: &str, ours: &str, theirs: &str, labels: &Labels) -> Merged {
    let mut merge = TextMerge::from_lines(base, ours, theirs);
    merge
        .conflict_style(ConflictStyle::Diff3)
        .conflict_marker_size(MARKER)
        .labels(&labels.base, &labels.ours, &labels.theirs);
    Merged {
        conflicts: merge.conflict_count(),
        bytes: merge.to_string().into_bytes(),
    }
}

/// Without a verified base nothing can be attributed to either side, so every region where
/// the two differ becomes a conflict (with no `|||||||` section); common lines stay as they are.
pub fn merge2(ours: &str, theirs: &str, labels: &Labels) -> Merged {
    let diff = TextDiff::from_lines(ours, theirs);
    let old: Vec<&str> = diff.iter_old_slices().collect();
    let new: Vec<&str> = diff.iter_new_slices().collect();
    let mut out = String::with_capacity(ours.len() + theirs.len());
    let mut conflicts = 0;
    let mut pending: Option<(std::ops::Range<usize>, std::ops::Range<usize>)> = None;
    let flush = |out: &mut String, hunk: (std::ops::Range<usize>, std::ops::Range<usize>)| {
        let (o, t) = hunk;
        push_marker(out, '<', Some(&labels.ours));
        push_lines(out, &old[o]);
        push_marker(out, '=', None);
        push_lines(out, &new[t]);
        push_marker(out, '>', Some(&labels.theirs));
    };
    for op in diff.ops() {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                if let Some(hunk) = pending.take() {
                    flush(&mut out, hunk);
                    conflicts += 1;
                }
                push_lines(&mut out, &old[*old_index..old_index + len]);
            }
            other => {
                let (o, t) = (other.old_range(), other.new_range());
                pending = Some(match pending.take() {
                    Some((po, pt)) => (po.start..o.end, pt.start..t.end),
                    None => (o, t),
                });
            }
        }
    }
    if let Some(hunk) = pending.take() {
        flush(&mut out, hunk);
        conflicts += 1;
    }
    Merged {
        bytes: out.into_bytes(),
        conflicts,
    }
}

fn push_lines(out: &mut String, lines: &[&str]) {
    for line in lines {
        out.push_str(line);
    }
}

/// A marker always starts a line, even after a last line with no newline (git's style).
fn push_marker(out: &mut String, c: char, label: Option<&str>) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.extend(std::iter::repeat_n(c, MARKER));
    if let Some(label) = label {
        out.push(' ');
        out.push_str(&label.replace(['\r', '\n'], " "));
    }
    out.push('\n');
}

/// Does this text still hold a conflict marker line that gogen writes? A lone `=======` is
/// not one: it is also a Markdown heading underline.
pub fn has_markers(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines().any(|line| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        ["<<<<<<<", "|||||||", ">>>>>>>"]
            .iter()
            .any(|m| line == *m || line.starts_with(&format!("{m} ")))
    })
}

/// Line endings of a file in the working tree, so gogen writes back what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eol {
    Lf,
    /// Every line ends in CRLF (a `core.autocrlf` checkout, or an editor's choice).
    Crlf,
}

impl Eol {
    pub fn of(bytes: &[u8]) -> Eol {
        let lf = bytes.iter().filter(|b| **b == b'\n').count();
        let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
        if lf > 0 && lf == crlf {
            Eol::Crlf
        } else {
            Eol::Lf
        }
    }

    /// Converts LF text to this style (text that already has CRs is left alone).
    pub fn apply(self, bytes: Vec<u8>) -> Vec<u8> {
        match self {
            Eol::Lf => bytes,
            Eol::Crlf if bytes.contains(&b'\r') => bytes,
            Eol::Crlf => {
                let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
                for b in bytes {
                    if b == b'\n' {
                        out.push(b'\r');
                    }
                    out.push(b);
                }
                out
            }
        }
    }
}

/// The file with CRLF line endings turned into LF, when every line had them.
pub fn to_lf(bytes: &[u8]) -> Option<Vec<u8>> {
    if Eol::of(bytes) != Eol::Crlf {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            ours: "yours".into(),
            base: "as generated (bp 0.1.0)".into(),
            theirs: "new version (bp 0.2.0)".into(),
        }
    }

    #[test]
    fn clean_three_way_merge_keeps_both_sides() {
        let m = merge3("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n", &labels());
        assert_eq!(m.conflicts, 0);
        assert_eq!(String::from_utf8(m.bytes).unwrap(), "A\nb\nC\n");
    }

    #[test]
    fn conflicting_lines_get_diff3_markers_named_for_people() {
        let m = merge3("a\nb\nc\n", "a\nmine\nc\n", "a\ntheirs\nc\n", &labels());
        assert_eq!(m.conflicts, 1);
        assert_eq!(
            String::from_utf8(m.bytes).unwrap(),
            "a\n<<<<<<< yours\nmine\n||||||| as generated (bp 0.1.0)\nb\n=======\ntheirs\n>>>>>>> new version (bp 0.2.0)\nc\n"
        );
    }

    #[test]
    fn markers_start_a_line_after_a_missing_final_newline() {
        let m = merge3("x", "mine", "theirs", &labels());
        let text = String::from_utf8(m.bytes).unwrap();
        assert!(text.contains("mine\n||||||| "), "{text:?}");
        assert!(text.contains("theirs\n>>>>>>> "), "{text:?}");
        let m = merge2("same\nmine", "same\ntheirs", &labels());
        let text = String::from_utf8(m.bytes).unwrap();
        assert_eq!(
            text,
            "same\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> new version (bp 0.2.0)\n"
        );
    }

    #[test]
    fn two_way_conflicts_mark_only_the_differences() {
        let m = merge2("a\nb\nc\nd\n", "a\nB\nc\nD\ne\n", &labels());
        assert_eq!(m.conflicts, 2);
        let text = String::from_utf8(m.bytes).unwrap();
        assert!(
            text.starts_with("a\n<<<<<<< yours\nb\n=======\nB\n>>>>>>>"),
            "{text}"
        );
        assert!(!text.contains("|||||||"), "{text}");
        assert!(has_markers(text.as_bytes()));
        assert_eq!(merge2("same\n", "same\n", &labels()).conflicts, 0);
    }

    #[test]
    fn finds_only_whole_marker_lines() {
        assert!(has_markers(b"x\r\n>>>>>>> new version\r\n"));
        assert!(!has_markers(b"Title\n=======\n"), "a Markdown heading");
        assert!(has_markers(b"<<<<<<< yours\n"));
        assert!(!has_markers(b"// ======= banner =======\n<<<<<<<<\n"));
        assert!(!has_markers(b"plain\n"));
    }

    #[test]
    fn binary_and_line_endings() {
        assert!(is_binary(b"PNG\0\x01"));
        assert!(is_binary(&[0xff, 0xfe, b'a']));
        assert!(!is_binary("héllo\n".as_bytes()));
        assert_eq!(Eol::of(b"a\r\nb\r\n"), Eol::Crlf);
        assert_eq!(Eol::of(b"a\r\nb\n"), Eol::Lf);
        assert_eq!(to_lf(b"a\r\nb\r\n").unwrap(), b"a\nb\n");
        assert_eq!(to_lf(b"a\nb\n"), None);
        assert_eq!(Eol::Crlf.apply(b"a\nb\n".to_vec()), b"a\r\nb\r\n");
    }
}
