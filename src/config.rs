//! The org configuration: defaults per question, locked values nobody can change, named
//! presets, extra blueprint folders, and which git sources are allowed.
//!
//! Two levels, like git's: the system file `/etc/gogen/config.toml` (written by whoever
//! administers the machine or image), then the user file (`$GOGEN_CONFIG`, else
//! `$XDG_CONFIG_HOME/gogen/config.toml`, else `~/.config/gogen/config.toml`). The user
//! level adds and overrides defaults, presets and blueprint folders, but it can neither
//! lift nor change a system lock, and a system `allowed_git_prefixes` list applies on top
//! of the user's. `GOGEN_SYSTEM_CONFIG` names one more system-level file (the tests use
//! it, since they cannot write /etc); it is read in addition to /etc, never instead, so it
//! can only add restrictions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::answers::FileValue;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    blueprint_path: Vec<PathBuf>,
    #[serde(default)]
    allowed_git_prefixes: Vec<String>,
    #[serde(default)]
    defaults: toml::Table,
    #[serde(default)]
    locked: toml::Table,
    #[serde(default)]
    presets: BTreeMap<String, RawPreset>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    #[serde(default)]
    description: String,
    /// Blueprints the preset is meant for; empty means any.
    #[serde(default)]
    blueprints: Vec<String>,
    #[serde(default)]
    answers: toml::Table,
}

#[derive(Debug, Clone, Default)]
pub struct Preset {
    pub name: String,
    pub description: String,
    pub blueprints: Vec<String>,
    pub answers: BTreeMap<String, FileValue>,
}

/// The loaded org configuration. `path` is None when no file exists.
#[derive(Debug, Clone, Default)]
pub struct OrgConfig {
    pub path: Option<PathBuf>,
    pub blueprint_path: Vec<PathBuf>,
    pub allowed_git_prefixes: Vec<String>,
    /// Defaults for any blueprint that asks these keys; keys it does not ask are ignored.
    pub defaults: BTreeMap<String, FileValue>,
    /// Values nobody can change; keys a blueprint does not ask are ignored.
    pub locked: BTreeMap<String, FileValue>,
    /// The file that locked each key.
    pub locked_by: BTreeMap<String, PathBuf>,
    pub presets: BTreeMap<String, Preset>,
    /// Every list a git URL must satisfy (the system's and the user's), when not empty.
    pub git_prefix_lists: Vec<Vec<String>>,
}

/// The system-level config file.
pub const SYSTEM_CONFIG: &str = "/etc/gogen/config.toml";
/// Config files are small; anything larger (or not a regular file) is refused.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl OrgConfig {
    /// Where the config file is looked for, given the environment.
    pub fn location(get: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        if let Some(p) = get("GOGEN_CONFIG").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        if let Some(xdg) = get("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
            return Some(Path::new(&xdg).join("gogen/config.toml"));
        }
        get("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(&h).join(".config/gogen/config.toml"))
    }

    /// Loads the system level and the user level and merges them. A missing file is an
    /// empty level, except one named explicitly (`GOGEN_CONFIG`, `GOGEN_SYSTEM_CONFIG`).
    pub fn load(get: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut system = Vec::new();
        if let Some(c) = read_level(Path::new(SYSTEM_CONFIG), false)? {
            system.push(c);
        }
        if let Some(extra) = get("GOGEN_SYSTEM_CONFIG").filter(|p| !p.is_empty())
            && let Some(c) = read_level(Path::new(&extra), true)?
        {
            system.push(c);
        }
        let explicit = get("GOGEN_CONFIG").is_some_and(|p| !p.is_empty());
        let user = match Self::location(get) {
            Some(path) => read_level(&path, explicit)?,
            None => None,
        };
        Self::merge(system, user)
    }

    /// System levels first: their locks hold whatever the user level says, and two system
    /// levels that lock one key to different values are an error (fail closed).
    fn merge(system: Vec<OrgConfig>, user: Option<OrgConfig>) -> Result<Self> {
        let mut out = OrgConfig::default();
        for level in &system {
            for (key, value) in &level.locked {
                let by = level.path.clone().unwrap_or_default();
                if let Some(earlier) = out.locked.get(key)
                    && earlier != value
                {
                    return Err(config_error(
                        &by,
                        &format!(
                            "locks `{key}` to a value other than {} does",
                            out.locked_by[key].display()
                        ),
                    ));
                }
                out.locked.insert(key.clone(), value.clone());
                out.locked_by.insert(key.clone(), by);
            }
        }
        let levels: Vec<&OrgConfig> = system.iter().chain(user.iter()).collect();
        for level in &levels {
            let by = level.path.clone().unwrap_or_default();
            for (key, value) in &level.locked {
                // A user lock adds a lock; it cannot replace a system one.
                if !out.locked.contains_key(key) {
                    out.locked.insert(key.clone(), value.clone());
                    out.locked_by.insert(key.clone(), by.clone());
                }
            }
            out.defaults.extend(level.defaults.clone());
            out.presets.extend(level.presets.clone());
            if !level.allowed_git_prefixes.is_empty() {
                out.git_prefix_lists
                    .push(level.allowed_git_prefixes.clone());
            }
        }
        // The user's folders are searched first, as the nearer level.
        for level in levels.iter().rev() {
            out.blueprint_path
                .extend(level.blueprint_path.iter().cloned());
        }
        out.allowed_git_prefixes = out.git_prefix_lists.concat();
        out.path = user
            .as_ref()
            .and_then(|u| u.path.clone())
            .or_else(|| system.last().and_then(|s| s.path.clone()));
        Ok(out)
    }

    /// The file that locked `key`, for messages.
    pub fn locked_by_display(&self, key: &str) -> String {
        self.locked_by
            .get(key)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| self.display_path())
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| config_error(path, &format!("invalid: {e}")))?;
        let convert = |t: &toml::Table| -> BTreeMap<String, FileValue> {
            t.iter()
                .map(|(k, v)| (k.clone(), FileValue::from_toml(v)))
                .collect()
        };
        for prefix in &raw.allowed_git_prefixes {
            crate::blueprint::gitsource::normalize_url(prefix).map_err(|e| {
                config_error(path, &format!("allowed_git_prefixes entry {prefix:?}: {e}"))
            })?;
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(OrgConfig {
            path: Some(path.to_path_buf()),
            // Relative folders are relative to the config file, not to wherever gogen runs.
            blueprint_path: raw
                .blueprint_path
                .iter()
                .map(|p| {
                    if p.is_relative() {
                        base.join(p)
                    } else {
                        p.clone()
                    }
                })
                .collect(),
            allowed_git_prefixes: raw.allowed_git_prefixes.clone(),
            defaults: convert(&raw.defaults),
            locked_by: raw
                .locked
                .keys()
                .map(|k| (k.clone(), path.to_path_buf()))
                .collect(),
            locked: convert(&raw.locked),
            git_prefix_lists: if raw.allowed_git_prefixes.is_empty() {
                Vec::new()
            } else {
                vec![raw.allowed_git_prefixes.clone()]
            },
            presets: raw
                .presets
                .iter()
                .map(|(name, p)| {
                    (
                        name.clone(),
                        Preset {
                            name: name.clone(),
                            description: p.description.clone(),
                            blueprints: p.blueprints.clone(),
                            answers: convert(&p.answers),
                        },
                    )
                })
                .collect(),
        })
    }

    pub fn display_path(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the org config".into())
    }

    pub fn preset(&self, name: &str, blueprint: &str) -> Result<&Preset> {
        let preset = self.presets.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.presets.keys().map(String::as_str).collect();
            Error::Usage(format!(
                "unknown preset `{name}`{}; presets in {}: {}",
                crate::blueprint::closest(name, known.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default(),
                self.display_path(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })?;
        if !preset.blueprints.is_empty() && !preset.blueprints.iter().any(|b| b == blueprint) {
            return Err(Error::Usage(format!(
                "preset `{name}` is for {}, not `{blueprint}`",
                preset.blueprints.join(", ")
            )));
        }
        Ok(preset)
    }
}

/// Reads one level. A missing file is no level unless it was named explicitly; a file that
/// is not regular (`/dev/null`, a FIFO) or larger than 1 MiB is an error.
fn read_level(path: &Path, explicit: bool) -> Result<Option<OrgConfig>> {
    match crate::safefs::read_user_file(path, MAX_CONFIG_BYTES) {
        Ok(bytes) => {
            let text =
                String::from_utf8(bytes).map_err(|_| config_error(path, "is not valid UTF-8"))?;
            OrgConfig::parse(path, &text).map(Some)
        }
        Err(crate::safefs::ReadError::Io(e))
            if e.kind() == std::io::ErrorKind::NotFound && !explicit =>
        {
            Ok(None)
        }
        Err(e) => Err(config_error(path, &format!("cannot read: {e}"))),
    }
}

fn config_error(path: &Path, message: &str) -> Error {
    Error::Config {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn location_prefers_gogen_config_then_xdg_then_home() {
        let get = env(&[
            ("GOGEN_CONFIG", "/etc/g.toml"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        assert_eq!(
            OrgConfig::location(&get),
            Some(PathBuf::from("/etc/g.toml"))
        );
        let get = env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(
            OrgConfig::location(&get),
            Some(PathBuf::from("/x/gogen/config.toml"))
        );
        let get = env(&[("HOME", "/h")]);
        assert_eq!(
            OrgConfig::location(&get),
            Some(PathBuf::from("/h/.config/gogen/config.toml"))
        );
        assert_eq!(OrgConfig::location(&env(&[])), None);
    }

    #[test]
    fn a_missing_default_file_is_empty_but_a_named_one_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().display().to_string();
        let cfg = OrgConfig::load(&env(&[("HOME", &home)])).unwrap();
        assert!(cfg.path.is_none());
        let named = tmp.path().join("nope.toml").display().to_string();
        let err = OrgConfig::load(&env(&[("GOGEN_CONFIG", &named)])).unwrap_err();
        assert!(err.to_string().contains("nope.toml"), "{err}");
    }

    #[test]
    fn parses_defaults_locks_presets_and_relative_paths() {
        let cfg = OrgConfig::parse(
            Path::new("/etc/gogen/config.toml"),
            r#"
blueprint_path = ["blueprints", "/abs"]
[defaults]
license = "Apache-2.0"
[locked]
ci = "github"
[presets.production]
description = "what we run in prod"
blueprints = ["rest-api"]
answers = { kubernetes = true }
"#,
        )
        .unwrap();
        assert_eq!(
            cfg.blueprint_path,
            vec![
                PathBuf::from("/etc/gogen/blueprints"),
                PathBuf::from("/abs")
            ]
        );
        assert_eq!(cfg.locked["ci"], FileValue::Str("github".into()));
        let p = cfg.preset("production", "rest-api").unwrap();
        assert_eq!(p.answers["kubernetes"], FileValue::Bool(true));
        assert!(cfg.preset("production", "payments").is_err());
        let err = cfg.preset("prodution", "rest-api").unwrap_err();
        assert!(
            err.to_string().contains("did you mean `production`"),
            "{err}"
        );
    }

    #[test]
    fn the_system_level_restricts_and_the_user_level_cannot_widen() {
        let system = OrgConfig::parse(
            Path::new("/etc/gogen/config.toml"),
            "allowed_git_prefixes = [\"https://git.corp/\"]\n[locked]\nci = \"github\"\n[defaults]\nlicense = \"MIT\"\n",
        )
        .unwrap();
        let user = OrgConfig::parse(
            Path::new("/home/u/.config/gogen/config.toml"),
            "allowed_git_prefixes = [\"https://github.com/\"]\nblueprint_path = [\"/u\"]\n[locked]\nci = \"gitlab\"\nlicense = \"BSD\"\n[defaults]\nlicense = \"Apache-2.0\"\n",
        )
        .unwrap();
        let merged = OrgConfig::merge(vec![system.clone()], Some(user)).unwrap();
        assert_eq!(merged.locked["ci"], FileValue::Str("github".into()));
        assert_eq!(merged.locked_by_display("ci"), "/etc/gogen/config.toml");
        // A user lock of a key the system leaves open is the user's own business.
        assert_eq!(merged.locked["license"], FileValue::Str("BSD".into()));
        assert_eq!(
            merged.defaults["license"],
            FileValue::Str("Apache-2.0".into())
        );
        // Both lists apply: no URL passes both here, so the user cannot widen the system's.
        assert_eq!(merged.git_prefix_lists.len(), 2);
        // Two system levels that disagree are an error.
        let other =
            OrgConfig::parse(Path::new("/etc/x.toml"), "[locked]\nci = \"none\"\n").unwrap();
        assert!(OrgConfig::merge(vec![system, other], None).is_err());
    }

    #[test]
    fn unknown_config_keys_are_errors() {
        let err = OrgConfig::parse(Path::new("c.toml"), "lockd = {}\n").unwrap_err();
        assert!(err.to_string().contains("c.toml"), "{err}");
    }
}
