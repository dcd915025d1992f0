//! Blueprints from git: `URL[#REF][:SUBDIR]`, e.g.
//! `https://git.example.com/org/blueprints.git#v1.2:services/api`.
//! The repository is fetched shallow into a temporary folder with fixed argument lists,
//! only the https/ssh/file protocols, no submodules and no hooks; `.git` is removed before
//! the blueprint is read, and the blueprint is then handled like any untrusted folder.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSpec {
    /// The URL as git is given it (normalized).
    pub url: String,
    pub parsed: Url,
    pub reference: Option<String>,
    pub subdir: Option<String>,
}

/// Does this blueprint reference name a git repository?
pub fn is_git_reference(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [
        "https://", "ssh://", "file://", "http://", "git://", "ext::",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || is_scp_like(s)
}

/// `git@host:org/repo.git`, which git reads as ssh.
fn is_scp_like(s: &str) -> bool {
    match s.split_once(':') {
        Some((head, rest)) => {
            head.contains('@')
                && !head.contains('/')
                && !rest.starts_with("//")
                && !head.starts_with('-')
        }
        None => false,
    }
}

fn refuse(given: &str, why: &str) -> Error {
    Error::Usage(format!("git blueprint source {given:?} is refused: {why}"))
}

/// Parses `URL[#REF][:SUBDIR]` and validates every part before git ever sees it.
pub fn parse(given: &str) -> Result<GitSpec> {
    let (url, fragment) = match given.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (given, None),
    };
    let parsed = parse_url(url).map_err(|e| refuse(given, &e))?;
    let url = parsed.to_git();
    let (reference, subdir) = match fragment {
        None => (None, None),
        Some(f) => match f.split_once(':') {
            Some((r, s)) => (non_empty(r), non_empty(s)),
            None => (non_empty(f), None),
        },
    };
    if let Some(r) = &reference {
        check_ref(r).map_err(|e| refuse(given, &e))?;
    }
    if let Some(s) = &subdir {
        check_subdir(s).map_err(|e| refuse(given, &e))?;
    }
    Ok(GitSpec {
        url,
        parsed,
        reference,
        subdir,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A blueprint URL, parsed with a strict ASCII grammar: nothing a server, a proxy or git
/// could read two ways (percent-escapes, `..;`, full-width dots, backslashes) gets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `https`, `ssh` (also for `user@host:path`) or `file`.
    pub scheme: String,
    pub user: Option<String>,
    /// Lowercase; empty for `file://`.
    pub host: String,
    pub port: Option<u16>,
    pub segments: Vec<String>,
    /// `user@host:path`, which git resolves relative to the login's home.
    scp: bool,
}

impl Url {
    /// The URL git is given and the lock file records.
    pub fn to_git(&self) -> String {
        let path = self.segments.join("/");
        if self.scp {
            return format!(
                "{}@{}:{path}",
                self.user.as_deref().unwrap_or(""),
                self.host
            );
        }
        let user = self
            .user
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{user}{}{port}/{path}", self.scheme, self.host)
    }

    /// A host with no dot is looked up through the DNS search domains, so it could reach
    /// a different machine on every network.
    pub fn single_label_host(&self) -> bool {
        self.scheme != "file" && !self.host.contains('.')
    }

    fn default_port(&self) -> Option<u16> {
        match self.scheme.as_str() {
            "https" => Some(443),
            "ssh" => Some(22),
            _ => None,
        }
    }

    /// Is `self` at or below `prefix` (same scheme, user, host and port, and a path that
    /// starts with the prefix's path segments)? `user@host:path` and
    /// `ssh://user@host/path` count as the same.
    pub fn is_under(&self, prefix: &Url) -> bool {
        self.scheme == prefix.scheme
            && (prefix.user.is_none() || self.user == prefix.user)
            && self.host == prefix.host
            && self.port.or(self.default_port()) == prefix.port.or(prefix.default_port())
            && self.segments.len() >= prefix.segments.len()
            && self.segments[..prefix.segments.len()] == prefix.segments[..]
    }
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~' | '+')
}

fn check_host(host: &str) -> std::result::Result<String, String> {
    if let Some(c) = host.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "the host holds the non-ASCII character {c:?}; write it in plain ASCII (punycode)"
        ));
    }
    let host = host.to_ascii_lowercase();
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "host {host:?}: each part must be letters, digits and `-` (not at either end)"
            ));
        }
    }
    Ok(host)
}

fn check_segments(path: &str) -> std::result::Result<Vec<String>, String> {
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return Ok(Vec::new());
    }
    path.split('/')
        .map(|seg| {
            if seg.is_empty() {
                return Err("the path has an empty segment (`//`)".to_string());
            }
            if seg.chars().all(|c| c == '.') {
                return Err("dot segments (`.`/`..`) are not accepted".to_string());
            }
            if let Some(c) = seg.chars().find(|c| !is_path_char(*c)) {
                return Err(format!(
                    "path segment {seg:?} holds {c:?}; only ASCII letters, digits and `._~+-` are accepted"
                ));
            }
            Ok(seg.to_string())
        })
        .collect()
}

fn check_user(user: &str) -> std::result::Result<String, String> {
    let ok = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !user.starts_with('-');
    if ok {
        Ok(user.to_string())
    } else {
        Err(format!(
            "user {user:?} must be ASCII letters, digits and `._-`"
        ))
    }
}

/// Parses a URL strictly; every protocol but https, ssh and file is refused.
pub fn parse_url(url: &str) -> std::result::Result<Url, String> {
    if url.starts_with('-') {
        return Err("it starts with `-` and would be read as an option".into());
    }
    if let Some(c) = url.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("it contains {c:?}"));
    }
    if url.contains('%') {
        return Err("percent-escapes are not accepted in blueprint URLs".into());
    }
    if url.contains('\\') {
        return Err("backslashes are not accepted in blueprint URLs".into());
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        match scheme.as_str() {
            "https" | "ssh" | "file" => {}
            "http" | "git" => {
                return Err(format!(
                    "{scheme}:// is not encrypted; use https:// or ssh://"
                ));
            }
            other => return Err(format!("the {other}:// protocol is not allowed")),
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) = match authority.rsplit_once('@') {
            Some(_) if scheme == "https" => {
                return Err("credentials in the URL would be recorded in the lock file".into());
            }
            Some((u, h)) => (Some(check_user(u)?), h),
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("port {p:?} is not a number from 1 to 65535"))?;
                (h, Some(port))
            }
            None => (hostport, None),
        };
        let host = if scheme == "file" {
            if !host.is_empty() || user.is_some() || port.is_some() {
                return Err("a file:// URL names a local path: file:///path/to/repo".into());
            }
            String::new()
        } else {
            check_host(host)?
        };
        let segments = check_segments(path)?;
        return Ok(Url {
            scheme,
            user,
            host,
            port,
            segments,
            scp: false,
        });
    }
    if url.to_ascii_lowercase().starts_with("ext::") {
        return Err("the ext:: transport runs commands".into());
    }
    if is_scp_like(url) {
        let (head, path) = url.split_once(':').expect("scp-like has a colon");
        let (user, host) = head.split_once('@').expect("scp-like has a user");
        return Ok(Url {
            scheme: "ssh".into(),
            user: Some(check_user(user)?),
            host: check_host(host)?,
            port: None,
            segments: check_segments(path.trim_start_matches('/'))?,
            scp: true,
        });
    }
    Err("not a URL (use https://, ssh://, git@host:path or file://)".into())
}

/// The URL in the form git is given and allow-lists are matched against.
pub fn normalize_url(url: &str) -> std::result::Result<String, String> {
    parse_url(url).map(|u| u.to_git())
}

fn check_ref(r: &str) -> std::result::Result<(), String> {
    let ok = !r.starts_with(['-', '/'])
        && !r.ends_with(['/', '.'])
        && !r.contains("..")
        && !r.contains("@{")
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "ref {r:?} is not a plain branch, tag or commit name"
        ))
    }
}

fn check_subdir(s: &str) -> std::result::Result<(), String> {
    let ok = !s.starts_with('/')
        && !s.contains('\\')
        && s.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "subfolder {s:?} must be a relative path inside the repository"
        ))
    }
}

/// Is `url` under one of the allowed prefixes? Both are parsed with the strict grammar and
/// compared part by part, the path segment by segment.
pub fn is_allowed(url: &Url, prefixes: &[String]) -> bool {
    prefixes.is_empty()
        || prefixes
            .iter()
            .filter_map(|p| parse_url(p).ok())
            .any(|p| url.is_under(&p))
}

/// A host without a dot is only fetched when an allowed prefix names it: the user (or the
/// org config) asked for exactly that host.
pub fn check_single_label(url: &Url, given: &str, prefixes: &[String]) -> Result<()> {
    if !url.single_label_host() {
        return Ok(());
    }
    let named = prefixes
        .iter()
        .filter_map(|p| parse_url(p).ok())
        .any(|p| p.host == url.host);
    if named {
        return Ok(());
    }
    Err(refuse(
        given,
        &format!(
            "host {:?} has no dot, so the DNS search domains would decide which machine it is; write the full name (git.example.com), or list it in allowed_git_prefixes to mean it",
            url.host
        ),
    ))
}

/// A fetched repository: the temporary checkout and the commit it is at.
pub struct Checkout {
    pub dir: tempfile::TempDir,
    pub commit: String,
}

impl Checkout {
    /// Opens the blueprint folder inside the checkout, one component at a time without
    /// following links: a subfolder path that crosses a link (to a folder outside the
    /// checkout, or anywhere) is refused.
    pub fn open_blueprint_dir(
        &self,
        spec: &GitSpec,
        given: &str,
    ) -> Result<crate::safefs::DirHandle> {
        let repo = self.dir.path().join("repo");
        let refuse = |message: String| Error::Blueprint {
            blueprint: given.to_string(),
            message,
        };
        let mut dir = crate::safefs::DirHandle::open(&repo)
            .map_err(|e| refuse(format!("cannot open the checkout: {e}")))?;
        if let Some(sub) = &spec.subdir {
            for part in sub.split('/') {
                dir = dir.open_dir(std::ffi::OsStr::new(part)).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        refuse(format!("the repository has no folder {sub:?}"))
                    } else {
                        refuse(format!(
                            "subfolder {sub:?}: {part:?} is a symbolic link or not a folder; blueprints are read without following links"
                        ))
                    }
                })?;
            }
        }
        Ok(dir)
    }
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PROTOCOL_FROM_USER", "0")
        .args([
            "-c",
            "protocol.allow=never",
            "-c",
            "protocol.https.allow=always",
            "-c",
            "protocol.ssh.allow=always",
            "-c",
            "protocol.file.allow=always",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "submodule.recurse=false",
        ]);
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // git stays in gogen's process group: ssh may need the terminal for a host key or a
    // passphrase. A signal is passed on to it, and the checkout is then removed.
    let out = crate::signals::output(cmd, false)
        .ok_or(Error::Interrupted)?
        .map_err(|e| Error::Usage(format!("cannot run git to {what}: {e}")))?;
    if crate::signals::interrupted() {
        return Err(Error::Interrupted);
    }
    if !out.status.success() {
        return Err(Error::Blueprint {
            blueprint: what.to_string(),
            message: format!(
                "git failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Fetches the one commit the spec names (shallow), checks it out and drops `.git`.
pub fn fetch(spec: &GitSpec) -> Result<Checkout> {
    let dir = tempfile::Builder::new()
        .prefix("gogen-git-")
        .tempdir()
        .map_err(|e| Error::io("create a temporary folder in", std::env::temp_dir(), e))?;
    let repo = dir.path().join("repo");
    let what = format!("fetch {}", spec.url);
    run(
        git(dir.path()).args(["init", "--quiet", "--"]).arg(&repo),
        &what,
    )?;
    let reference = spec.reference.as_deref().unwrap_or("HEAD");
    run(
        git(&repo).args([
            "fetch",
            "--quiet",
            "--depth=1",
            "--no-tags",
            "--no-recurse-submodules",
            "--",
            &spec.url,
            reference,
        ]),
        &what,
    )?;
    run(
        git(&repo).args([
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "--quiet",
            "FETCH_HEAD",
        ]),
        &what,
    )?;
    let commit = run(git(&repo).args(["rev-parse", "FETCH_HEAD"]), &what)?;
    std::fs::remove_dir_all(repo.join(".git"))
        .map_err(|e| Error::io("remove", repo.join(".git"), e))?;
    Ok(Checkout { dir, commit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_url_ref_and_subdir() {
        let spec = parse("https://Git.Example.com/org/bp.git#v1.2:services/api").unwrap();
        assert_eq!(spec.url, "https://git.example.com/org/bp.git");
        assert_eq!(spec.reference.as_deref(), Some("v1.2"));
        assert_eq!(spec.subdir.as_deref(), Some("services/api"));
        let spec = parse("git@github.com:acme/bp.git#:api").unwrap();
        assert_eq!(spec.reference, None);
        assert_eq!(spec.subdir.as_deref(), Some("api"));
        let spec = parse("file:///srv/bp.git").unwrap();
        assert_eq!((spec.reference, spec.subdir), (None, None));
    }

    #[test]
    fn refuses_hostile_sources_before_git_runs() {
        let tests = [
            ("--upload-pack=touch /tmp/p", "option"),
            ("ext::sh -c id", "ext::"),
            ("https://git.corp/org/../evil", "dot segments"),
            ("https://git.corp/org/%2e%2e/evil", "percent"),
            ("https://git.corp/org%2fevil", "percent"),
            ("http://git.corp/org/bp", "not encrypted"),
            ("git://git.corp/org/bp", "not encrypted"),
            ("https://user:pw@git.corp/org/bp", "credentials"),
            ("https://git.corp/org/bp#-x", "ref"),
            ("https://git.corp/org/bp#main:../up", "subfolder"),
            ("https://git.corp/org/bp#main:/abs", "subfolder"),
            ("https://git.corp/org\\..\\evil", "backslash"),
            ("ftp://git.corp/x", "not allowed"),
        ];
        for (give, want) in tests {
            let err = parse(give).expect_err(give).to_string();
            assert!(err.contains(want), "{give}: {err}");
        }
    }

    #[test]
    fn allow_list_matches_parsed_urls_segment_by_segment() {
        let allowed = vec!["https://git.corp/org/".to_string()];
        let ok = |u: &str| is_allowed(&parse_url(u).unwrap(), &allowed);
        assert!(ok("https://GIT.corp/org/bp.git"));
        assert!(ok("https://git.corp:443/org/bp.git"));
        assert!(!ok("https://git.corp/organisation/bp.git"));
        assert!(!ok("https://git.corp.evil.com/org/bp.git"));
        assert!(!ok("https://git.corp:8443/org/bp.git"));
        assert!(!ok("ssh://git@git.corp/org/bp.git"));
        assert!(is_allowed(&parse_url("https://x.y/z").unwrap(), &[]));
        let ssh = vec!["ssh://git@github.com/acme".to_string()];
        assert!(is_allowed(
            &parse_url("git@github.com:acme/bp.git").unwrap(),
            &ssh
        ));
        assert!(!is_allowed(
            &parse_url("git@github.com:evil/bp.git").unwrap(),
            &ssh
        ));
    }

    #[test]
    fn the_grammar_refuses_what_could_be_read_two_ways() {
        for (give, want) in [
            ("https://git.corp/org/..;/evil", "only ASCII"),
            ("https://git.corp/org/..%3B/evil", "percent"),
            ("https://git.corp/org/\u{ff0e}\u{ff0e}/evil", "only ASCII"),
            ("https://git\u{ff0e}corp/org/bp", "non-ASCII"),
            ("https://git.corp/org/./bp", "dot segments"),
            ("https://git.corp/org//bp", "empty segment"),
            ("https://git.corp/org/;x", "only ASCII"),
            ("https://-git.corp/org", "each part"),
            ("https://git..corp/org", "each part"),
            ("https://git.corp:99999/org", "port"),
            ("file://host/srv/bp.git", "local path"),
            ("git@ho_st:org/bp", "each part"),
        ] {
            let err = parse_url(give).expect_err(give);
            assert!(err.contains(want), "{give}: {err}");
        }
        let u = parse_url("https://x/y.git").unwrap();
        assert!(u.single_label_host());
        assert!(check_single_label(&u, "https://x/y.git", &[]).is_err());
        assert!(check_single_label(&u, "https://x/y.git", &["https://x/".into()]).is_ok());
        assert!(
            !parse_url("https://git.corp/y.git")
                .unwrap()
                .single_label_host()
        );
        assert!(!parse_url("file:///srv/y.git").unwrap().single_label_host());
    }

    #[test]
    fn tells_git_references_from_paths_and_names() {
        for (give, want) in [
            ("https://h/x", true),
            ("git@h:x/y", true),
            ("file:///x", true),
            ("ext::sh", true),
            ("./bp", false),
            ("rest-api", false),
            ("/abs/bp", false),
        ] {
            assert_eq!(is_git_reference(give), want, "{give}");
        }
    }
}
