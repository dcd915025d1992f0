//! The org configuration: defaults per question, locked values nobody can change, named
//! presets, extra blueprint folders, and which git sources are allowed. One TOML file:
//! `$GOGEN_CONFIG`, else `$XDG_CONFIG_HOME/gogen/config.toml`, else `~/.config/gogen/config.toml`.

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
    pub presets: BTreeMap<String, Preset>,
}

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

    /// Loads the config from the environment's location. A missing file is an empty config,
    /// except when GOGEN_CONFIG names it explicitly.
    pub fn load(get: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let explicit = get("GOGEN_CONFIG").is_some_and(|p| !p.is_empty());
        let Some(path) = Self::location(get) else {
            return Ok(Self::default());
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| config_error(&path, "is not valid UTF-8"))?;
                Self::parse(&path, &text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(Self::default()),
            Err(e) => Err(config_error(&path, &format!("cannot read: {e}"))),
        }
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
            crate::gitsource::normalize_url(prefix).map_err(|e| {
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
            allowed_git_prefixes: raw.allowed_git_prefixes,
            defaults: convert(&raw.defaults),
            locked: convert(&raw.locked),
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
    fn unknown_config_keys_are_errors() {
        let err = OrgConfig::parse(Path::new("c.toml"), "lockd = {}\n").unwrap_err();
        assert!(err.to_string().contains("c.toml"), "{err}");
    }
}
