//! The glob of a `[[files]]` rule, matched against a source path.
//!
//! The meaning is globset's default (`Glob::new(p).compile_matcher()`): `*` and `?` also
//! match `/` (and any other byte, a newline too), and `**` as a whole component crosses
//! folders. Compiling a glob to a regex costs more than a whole render of most files, so
//! the patterns real manifests use (literals, `?`, `*`, `**`) are matched here directly,
//! by a small automaton over the path's bytes; a pattern with a class, alternates or an
//! escape (`[`, `]`, `{`, `}`, `\`) is handed to globset as before. A test checks both
//! agree on every short pattern and path over an alphabet that holds each edge case.

use globset::{Glob, GlobMatcher};

/// A compiled `[[files]]` path pattern.
#[derive(Debug, Clone)]
pub struct PathGlob(Matcher);

#[derive(Debug, Clone)]
enum Matcher {
    /// `**` on its own: every path.
    Everything,
    /// A literal start and end around the steps between them, checked first: most rules
    /// fail on their first bytes.
    Steps {
        prefix: Vec<u8>,
        suffix: Vec<u8>,
        steps: Vec<Step>,
    },
    Regex(Box<GlobMatcher>),
}

/// One state of the automaton. Every step but `Star` moves to the next one; `Skip(n)`
/// also may jump over the `n` steps after it without reading anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Byte(u8),
    /// `?`: any one byte.
    Any,
    /// Any run of bytes, the empty one included.
    Star,
    Skip(usize),
}

/// What globset's parser makes of a pattern without classes, alternates or escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Literal(char),
    Any,
    ZeroOrMore,
    /// `**/` at the start: `(?:/?|.*/)`.
    RecursivePrefix,
    /// `/**` at the end: `/.*`.
    RecursiveSuffix,
    /// `/**/` inside: `(?:/|/.*/)`.
    RecursiveZeroOrMore,
}

const HANDED_TO_GLOBSET: [char; 5] = ['[', ']', '{', '}', '\\'];

impl PathGlob {
    /// Compiles `pattern`; the error is globset's description of a malformed pattern.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.contains(HANDED_TO_GLOBSET) {
            let glob = Glob::new(pattern).map_err(|e| e.to_string())?;
            return Ok(PathGlob(Matcher::Regex(Box::new(glob.compile_matcher()))));
        }
        let tokens = tokens(pattern);
        if tokens == [Token::RecursivePrefix] {
            return Ok(PathGlob(Matcher::Everything));
        }
        let mut steps = steps(&tokens);
        let literal = |s: &Step| match s {
            Step::Byte(b) => Some(*b),
            _ => None,
        };
        let prefix: Vec<u8> = steps.iter().map_while(literal).collect();
        steps.drain(..prefix.len());
        // The end may not take a step a `Skip` jumps over.
        let skipped_to = steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Step::Skip(n) => Some(i + 1 + n),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let mut suffix: Vec<u8> = steps[skipped_to..]
            .iter()
            .rev()
            .map_while(literal)
            .collect();
        suffix.reverse();
        steps.truncate(steps.len() - suffix.len());
        Ok(PathGlob(Matcher::Steps {
            prefix,
            suffix,
            steps,
        }))
    }

    /// Checks that `pattern` is a valid glob without compiling it.
    pub fn check(pattern: &str) -> Result<(), String> {
        if pattern.contains(HANDED_TO_GLOBSET) {
            Glob::new(pattern).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub fn is_match(&self, path: &str) -> bool {
        match &self.0 {
            Matcher::Everything => true,
            Matcher::Steps {
                prefix,
                suffix,
                steps,
            } => {
                let path = path.as_bytes();
                path.len() >= prefix.len() + suffix.len()
                    && path.starts_with(prefix)
                    && path.ends_with(suffix)
                    && run(steps, &path[prefix.len()..path.len() - suffix.len()])
            }
            Matcher::Regex(m) => m.is_match(path),
        }
    }
}

/// globset's reading of `*` runs: `**` is recursive only as a whole component (at the
/// start before `/` or the end, or between two `/`); anywhere else it is two `*`.
fn tokens(pattern: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut chars = pattern.chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        match c {
            '?' => out.push(Token::Any),
            '*' if chars.peek() != Some(&'*') => out.push(Token::ZeroOrMore),
            '*' => {
                chars.next();
                let before = prev;
                prev = Some('*');
                if out.is_empty() {
                    match chars.peek() {
                        Some(&next) if next != '/' => {
                            out.extend([Token::ZeroOrMore, Token::ZeroOrMore]);
                        }
                        _ => {
                            out.push(Token::RecursivePrefix);
                            if chars.next_if_eq(&'/').is_some() {
                                prev = Some('/');
                            }
                        }
                    }
                    continue;
                }
                if before != Some('/') {
                    out.extend([Token::ZeroOrMore, Token::ZeroOrMore]);
                    continue;
                }
                let is_suffix = match chars.peek() {
                    None => true,
                    Some('/') => {
                        chars.next();
                        prev = Some('/');
                        false
                    }
                    Some(_) => {
                        out.extend([Token::ZeroOrMore, Token::ZeroOrMore]);
                        continue;
                    }
                };
                // The `/` before replaced, unless the token before is recursive already.
                match out.pop() {
                    Some(t @ (Token::RecursivePrefix | Token::RecursiveSuffix)) => out.push(t),
                    _ if is_suffix => out.push(Token::RecursiveSuffix),
                    _ => out.push(Token::RecursiveZeroOrMore),
                }
                continue;
            }
            c => out.push(Token::Literal(c)),
        }
        prev = Some(c);
    }
    out
}

fn steps(tokens: &[Token]) -> Vec<Step> {
    let mut out = Vec::new();
    for token in tokens {
        match *token {
            Token::Literal(c) => out.extend(c.encode_utf8(&mut [0; 4]).bytes().map(Step::Byte)),
            Token::Any => out.push(Step::Any),
            Token::ZeroOrMore => out.push(Step::Star),
            // Nothing, or any run ending in `/` (which covers a lone `/`).
            Token::RecursivePrefix => out.extend([Step::Skip(2), Step::Star, Step::Byte(b'/')]),
            Token::RecursiveSuffix => out.extend([Step::Byte(b'/'), Step::Star]),
            Token::RecursiveZeroOrMore => {
                out.extend([
                    Step::Byte(b'/'),
                    Step::Skip(2),
                    Step::Star,
                    Step::Byte(b'/'),
                ]);
            }
        }
    }
    out
}

/// Runs the automaton: the set of live steps, one byte at a time (linear in the path for
/// any pattern, so no pattern can make matching slow).
fn run(steps: &[Step], path: &[u8]) -> bool {
    match steps {
        [] => return path.is_empty(),
        [Step::Star] => return true,
        _ => {}
    }
    let end = steps.len();
    let mut live = vec![false; end + 1];
    let mut next = vec![false; end + 1];
    live[0] = true;
    close(steps, &mut live);
    for &b in path {
        next.fill(false);
        let mut any = false;
        for (i, step) in steps.iter().enumerate() {
            if !live[i] {
                continue;
            }
            let to = match *step {
                Step::Byte(want) if want == b => i + 1,
                Step::Any => i + 1,
                Step::Star => i,
                _ => continue,
            };
            next[to] = true;
            any = true;
        }
        if !any {
            return false;
        }
        std::mem::swap(&mut live, &mut next);
        close(steps, &mut live);
    }
    live[end]
}

/// Adds what live steps reach without reading: past a `Star`, and both ways of a `Skip`.
/// Those moves only go forward, so one pass in order is enough.
fn close(steps: &[Step], live: &mut [bool]) {
    for i in 0..steps.len() {
        if !live[i] {
            continue;
        }
        match steps[i] {
            Step::Star => live[i + 1] = true,
            Step::Skip(n) => {
                live[i + 1] = true;
                live[i + 1 + n] = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globset_matches(pattern: &str, path: &str) -> Option<bool> {
        Glob::new(pattern)
            .ok()
            .map(|g| g.compile_matcher().is_match(path))
    }

    /// Every string of length `0..=max` over `alphabet`.
    fn strings(alphabet: &[char], max: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |c| {
                        let mut t = s.clone();
                        t.push(*c);
                        t
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn agrees_with_globset_on_every_short_pattern_and_path() {
        let patterns = strings(&['a', '/', '*', '?'], 5);
        let paths = strings(&['a', 'b', '/', '\n', 'é'], 4);
        let mut checked = 0;
        for pattern in &patterns {
            let ours = PathGlob::new(pattern).expect("no class, alternate or escape");
            assert!(!matches!(ours.0, Matcher::Regex(_)), "{pattern:?}");
            if let Matcher::Steps { steps, .. } = &ours.0 {
                assert!(!matches!(steps.first(), Some(Step::Byte(_))), "{pattern:?}");
                let ends_in_skip =
                    steps.len() >= 3 && matches!(steps[steps.len() - 3], Step::Skip(2));
                assert!(
                    ends_in_skip || !matches!(steps.last(), Some(Step::Byte(_))),
                    "{pattern:?}"
                );
            }
            let theirs = Glob::new(pattern).unwrap().compile_matcher();
            for path in &paths {
                assert_eq!(
                    ours.is_match(path),
                    theirs.is_match(path),
                    "pattern {pattern:?} path {path:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1_000_000, "{checked}");
    }

    #[test]
    fn agrees_with_globset_on_the_manifest_shapes() {
        let cases = [
            ("cmd/*/tracing.go.jinja", "cmd/x/tracing.go.jinja"),
            ("cmd/*/tracing.go.jinja", "cmd/x/y/tracing.go.jinja"),
            ("cmd/**/kill_test.go.jinja", "cmd/kill_test.go.jinja"),
            (
                "cmd/**/kill_test.go.jinja",
                "cmd/{{ project_name }}/kill_test.go.jinja",
            ),
            ("internal/**/*.go.jinja", "internal/a/b.go.jinja"),
            ("internal/**/*.go.jinja", "internal/b.go.jinja"),
            ("deploy/**", "deploy/k8s/pvc.yaml.jinja"),
            ("deploy/**", "deploy"),
            ("deploy/**", "deploy/"),
            ("**/*.sh", "scripts/x.sh"),
            ("**/*.sh", "x.sh"),
            ("**/*.sh", "/x.sh"),
            ("**", "a/b/c"),
            ("**", "a\nb"),
            ("**/**", "a/b"),
            ("a/**/**/b", "a/b"),
            ("a/**/**/b", "a/x/y/b"),
            ("a**", "a/b"),
            ("**a", "b/a"),
            ("a/**b", "a/xb"),
            ("tools/*", "tools/x\ny"),
            ("*.go", "x\n.go"),
            ("go.sum.jinja", "go.sum.jinja"),
            ("go.sum.jinja", "go.sumXjinja"),
            ("ünï/?", "ünï/é"),
            ("a/**/", "a/b/"),
            ("/**/a", "/a"),
            ("/**/a", "/x/a"),
            ("", ""),
            ("", "a"),
        ];
        for (pattern, path) in cases {
            let ours = PathGlob::new(pattern).unwrap().is_match(path);
            assert_eq!(
                Some(ours),
                globset_matches(pattern, path),
                "pattern {pattern:?} path {path:?}"
            );
        }
    }

    #[test]
    fn classes_alternates_and_escapes_still_mean_what_globset_says() {
        let cases = [
            ("*.{go,mod}", "a.mod", true),
            ("*.{go,mod}", "a.sum", false),
            ("[ab]/x", "b/x", true),
            ("[!ab]/x", "b/x", false),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("x]", "x]", true),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(
                PathGlob::new(pattern).unwrap().is_match(path),
                want,
                "{pattern:?} {path:?}"
            );
        }
        for bad in ["[a", "{a", "a}", "a\\", "[z-a]"] {
            let ours = PathGlob::new(bad).err();
            let theirs = Glob::new(bad).err().map(|e| e.to_string());
            assert!(ours.is_some(), "{bad:?}");
            assert_eq!(ours, theirs, "{bad:?}");
            assert_eq!(PathGlob::check(bad).err(), theirs, "{bad:?}");
        }
        assert_eq!(PathGlob::check("cmd/**/x*"), Ok(()));
    }

    #[test]
    fn many_stars_against_a_long_path() {
        // A backtracking matcher would not finish this; the automaton reads each byte once.
        let glob = PathGlob::new(&"*a".repeat(200)).unwrap();
        let miss = ("a".repeat(199) + "b").repeat(20);
        assert!(!glob.is_match(&miss));
        assert!(glob.is_match(&"a".repeat(400)));
        assert!(!glob.is_match(&"a".repeat(199)));
    }
}
