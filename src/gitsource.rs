//! Blueprints from git: `URL[#REF][:SUBDIR]`, e.g.
//! `https://git.example.com/org/blueprints.git#v1.2:services/api`.
//! The repository is fetched shallow into a temporary folder with fixed argument lists,
//! only the https/ssh/file protocols, no submodules and no hooks; `.git` is removed before
//! the blueprint is read, and the blueprint is then handled like any untrusted folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSpec {
    /// The URL as normalized for allow-list matching.
    pub url: String,
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
    let url = normalize_url(url).map_err(|e| refuse(given, &e))?;
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
        reference,
        subdir,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Normalizes a URL for matching, refusing anything that could mean two things:
/// percent-escapes (`%2e%2e`, `%2f`), dot segments, backslashes, credentials, and
/// every protocol but https, ssh and file.
pub fn normalize_url(url: &str) -> std::result::Result<String, String> {
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
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = if let Some((scheme, rest)) = url.split_once("://") {
        (scheme.to_ascii_lowercase(), rest)
    } else if is_scp_like(url) {
        ("ssh".to_string(), url)
    } else if lower.starts_with("ext::") {
        return Err("the ext:: transport runs commands".into());
    } else {
        return Err("not a URL (use https://, ssh://, git@host:path or file://)".into());
    };
    match scheme.as_str() {
        "https" | "ssh" | "file" => {}
        "http" | "git" => {
            return Err(format!(
                "{scheme}:// is not encrypted; use https:// or ssh://"
            ));
        }
        other => return Err(format!("the {other}:// protocol is not allowed")),
    }
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, p),
        None => (rest, ""),
    };
    if scheme == "https" && authority.contains('@') {
        return Err("credentials in the URL would be recorded in the lock file".into());
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err("dot segments (`.`/`..`) are not accepted".into());
    }
    if url.contains("://") {
        Ok(format!(
            "{scheme}://{}/{path}",
            authority.to_ascii_lowercase()
        ))
    } else {
        Ok(url.to_string())
    }
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

/// Is `url` under one of the allowed prefixes? Both sides are normalized first, and a
/// prefix only matches at a path boundary.
pub fn is_allowed(url: &str, prefixes: &[String]) -> bool {
    if prefixes.is_empty() {
        return true;
    }
    prefixes.iter().any(|p| {
        let Ok(p) = normalize_url(p) else {
            return false;
        };
        url == p.trim_end_matches('/') || url.starts_with(&format!("{}/", p.trim_end_matches('/')))
    })
}

/// A fetched repository: the temporary checkout and the commit it is at.
pub struct Checkout {
    pub dir: tempfile::TempDir,
    pub commit: String,
}

impl Checkout {
    /// The blueprint folder inside the checkout.
    pub fn blueprint_dir(&self, spec: &GitSpec) -> PathBuf {
        match &spec.subdir {
            Some(s) => self.dir.path().join("repo").join(s),
            None => self.dir.path().join("repo"),
        }
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
    let out = cmd
        .output()
        .map_err(|e| Error::Usage(format!("cannot run git to {what}: {e}")))?;
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
    fn allow_list_matches_on_path_boundaries_after_normalizing() {
        let allowed = vec!["https://git.corp/org/".to_string()];
        let ok = |u: &str| is_allowed(&normalize_url(u).unwrap(), &allowed);
        assert!(ok("https://GIT.corp/org/bp.git"));
        assert!(!ok("https://git.corp/organisation/bp.git"));
        assert!(!ok("https://git.corp.evil.com/org/bp.git"));
        assert!(normalize_url("https://git.corp/org/../evil").is_err());
        assert!(is_allowed("anything", &[]));
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
