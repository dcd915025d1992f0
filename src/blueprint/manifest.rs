//! `blueprint.toml`: the questions a blueprint asks, its file rules and its test matrix.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Keys are used as template variables and in `--set`, so keep them plain.
fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    /// Shared layers from `blueprints/_shared/<layer>/`, overlaid under the output root.
    #[serde(default)]
    pub layers: Vec<String>,
    #[serde(default, rename = "question")]
    pub questions: Vec<Question>,
    #[serde(default, rename = "files")]
    pub file_rules: Vec<FileRule>,
    #[serde(default, rename = "test")]
    pub tests: Vec<TestCase>,
    /// Named answer changes that `gogen add`/`gogen remove` apply at the same version.
    #[serde(default, rename = "feature")]
    pub features: Vec<Feature>,
    /// Questions renamed since an earlier version; `gogen update` carries the answer over.
    #[serde(default, rename = "renamed_answer")]
    pub renamed_answers: Vec<RenamedAnswer>,
    /// Output files moved since an earlier version; `gogen update` moves the user's file
    /// (and their edits) with it.
    #[serde(default, rename = "moved")]
    pub moved: Vec<Moved>,
}

/// `[[feature]]`: a name for a set of answers, e.g. `kubernetes` → `{ kubernetes = true }`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub name: String,
    pub help: String,
    /// The answers `gogen add` sets.
    pub set: toml::Table,
    /// The answers `gogen remove` sets; by default a bool is negated and any other answer
    /// returns to its question's literal default.
    #[serde(default)]
    pub unset: toml::Table,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RenamedAnswer {
    pub from: String,
    pub to: String,
}

/// `[[moved]]`: output paths (templates over the answers, like file names), old → new.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    pub from: String,
    pub to: String,
}

impl Feature {
    /// The answers `gogen remove` sets: `unset`, else a negated bool, else the question's
    /// literal default when it differs from the feature's value.
    pub fn off_answers(&self, manifest: &Manifest) -> Result<toml::Table, String> {
        let mut off = toml::Table::new();
        for (key, on) in &self.set {
            let value = match (self.unset.get(key), on) {
                (Some(v), _) => v.clone(),
                (None, toml::Value::Boolean(b)) => toml::Value::Boolean(!b),
                (None, _) => match manifest.question(key).and_then(|q| q.default.as_ref()) {
                    Some(d)
                        if d != on && !matches!(d, toml::Value::String(s) if s.contains('{')) =>
                    {
                        d.clone()
                    }
                    _ => {
                        return Err(format!(
                            "feature `{}`: say what `gogen remove` sets `{key}` to (unset = {{ {key} = … }})",
                            self.name
                        ));
                    }
                },
            };
            off.insert(key.clone(), value);
        }
        Ok(off)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    #[default]
    String,
    Bool,
    Choice,
    Multi,
    Integer,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::String => "string",
            QuestionType::Bool => "bool",
            QuestionType::Choice => "choice",
            QuestionType::Multi => "multi",
            QuestionType::Integer => "integer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    GoModulePath,
    GoPackageName,
    GoIdentifier,
    SingleLine,
}

impl Validator {
    pub fn as_str(self) -> &'static str {
        match self {
            Validator::GoModulePath => "go_module_path",
            Validator::GoPackageName => "go_package_name",
            Validator::GoIdentifier => "go_identifier",
            Validator::SingleLine => "single_line",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub key: String,
    #[serde(default, rename = "type")]
    pub kind: QuestionType,
    pub prompt: Option<String>,
    pub help: Option<String>,
    /// A string default is a template over earlier answers (`{{ module | module_base }}`).
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub validate: Vec<Validator>,
    pub pattern: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// An expression over earlier answers; the question is asked only when it is true.
    pub when: Option<String>,
}

impl Question {
    pub fn prompt_text(&self) -> &str {
        self.prompt.as_deref().unwrap_or(&self.key)
    }

    pub fn choice_values(&self) -> Vec<&str> {
        self.choices.iter().map(Choice::value).collect()
    }

    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Choice {
    Plain(String),
    Described {
        value: String,
        #[serde(default)]
        help: Option<String>,
    },
}

impl Choice {
    pub fn value(&self) -> &str {
        match self {
            Choice::Plain(v) => v,
            Choice::Described { value, .. } => value,
        }
    }

    pub fn help(&self) -> Option<&str> {
        match self {
            Choice::Plain(_) => None,
            Choice::Described { help, .. } => help.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    /// `{{ }}`, `{% %}`, `{# #}`.
    #[default]
    Default,
    /// `[[ ]]`, `[% %]`, `[# #]`, for files full of `${{ }}` or Go templates.
    Square,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    /// Glob over source paths relative to `template/`, or `_shared/<layer>/<path>` for layer files.
    pub path: String,
    pub when: Option<String>,
    pub executable: Option<bool>,
    pub verbatim: Option<bool>,
    pub syntax: Option<Syntax>,
    pub rename: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    #[serde(default)]
    pub answers: toml::Table,
    /// Servers the case needs, e.g. `postgres`.
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub go_test_tags: Vec<String>,
    /// Also run the project's `scripts/contract.sh` (a contract fuzzer against the running
    /// service) in gogen's Go harness.
    #[serde(default)]
    pub contract: bool,
}

pub const KNOWN_SERVICES: &[&str] = &["nats", "postgres"];

impl Manifest {
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        manifest.check()?;
        Ok(manifest)
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    /// Structural checks that need no template engine; expressions and defaults are
    /// checked by the engine when the blueprint is loaded.
    fn check(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "name {:?}: use lowercase letters, digits and '-'",
                self.name
            ));
        }
        semver::Version::parse(&self.version)
            .map_err(|e| format!("version {:?} is not semver: {e}", self.version))?;
        if self.description.trim().is_empty() || self.description.contains('\n') {
            return Err("description must be one non-empty line".into());
        }
        let mut seen = BTreeSet::new();
        for q in &self.questions {
            check_question(q)?;
            if !seen.insert(q.key.as_str()) {
                return Err(format!("question `{}` is declared twice", q.key));
            }
        }
        for layer in &self.layers {
            if layer.is_empty() || !layer.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!(
                    "layer {layer:?}: a layer is a folder name under blueprints/_shared/"
                ));
            }
        }
        for rule in &self.file_rules {
            crate::generate::pathglob::PathGlob::check(&rule.path)
                .map_err(|e| format!("files rule path {:?}: {e}", rule.path))?;
            if let Some(name) = &rule.rename
                && (name.is_empty()
                    || name == "."
                    || name == ".."
                    || name.contains(['/', '\\', '\0']))
            {
                return Err(format!(
                    "files rule {:?}: rename {name:?} must be a single file name",
                    rule.path
                ));
            }
        }
        self.check_lifecycle_tables()?;
        let mut names = BTreeSet::new();
        for case in &self.tests {
            if !names.insert(case.name.as_str()) {
                return Err(format!("test `{}` is declared twice", case.name));
            }
            for service in &case.services {
                if !KNOWN_SERVICES.contains(&service.as_str()) {
                    return Err(format!(
                        "test `{}`: unknown service {service:?} (known: {})",
                        case.name,
                        KNOWN_SERVICES.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Manifest {
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// `[[feature]]`, `[[renamed_answer]]` and `[[moved]]`: names, keys and paths that the
    /// lifecycle commands can rely on. Values are checked against their questions at load.
    fn check_lifecycle_tables(&self) -> Result<(), String> {
        let mut names = BTreeSet::new();
        for f in &self.features {
            let plain = !f.name.is_empty()
                && f.name.starts_with(|c: char| c.is_ascii_lowercase())
                && f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !plain {
                return Err(format!(
                    "feature {:?}: use lowercase letters, digits and '-', starting with a letter",
                    f.name
                ));
            }
            if !names.insert(f.name.as_str()) {
                return Err(format!("feature `{}` is declared twice", f.name));
            }
            if f.help.trim().is_empty() || f.help.contains('\n') {
                return Err(format!(
                    "feature `{}`: help must be one non-empty line",
                    f.name
                ));
            }
            if f.set.is_empty() {
                return Err(format!("feature `{}`: `set` names no answers", f.name));
            }
            for key in f.set.keys().chain(f.unset.keys()) {
                if self.question(key).is_none() {
                    return Err(format!(
                        "feature `{}`: `{key}` is not a question of this blueprint",
                        f.name
                    ));
                }
            }
            if let Some(key) = f.unset.keys().find(|k| !f.set.contains_key(*k)) {
                return Err(format!(
                    "feature `{}`: unset `{key}` is not in its `set`",
                    f.name
                ));
            }
            let off = f.off_answers(self)?;
            if off == f.set {
                return Err(format!(
                    "feature `{}`: `gogen remove` would set the same answers as `gogen add`",
                    f.name
                ));
            }
        }
        for r in &self.renamed_answers {
            if self.question(&r.to).is_none() {
                return Err(format!(
                    "renamed_answer {:?} -> {:?}: `{}` is not a question",
                    r.from, r.to, r.to
                ));
            }
            if self.question(&r.from).is_some() || !is_valid_key(&r.from) {
                return Err(format!(
                    "renamed_answer {:?} -> {:?}: `{}` must be an old key that is no longer asked",
                    r.from, r.to, r.from
                ));
            }
        }
        for m in &self.moved {
            for p in [&m.from, &m.to] {
                if p.is_empty()
                    || p.starts_with('/')
                    || p.split('/').any(|c| c.is_empty() || c == "." || c == "..")
                {
                    return Err(format!(
                        "moved {:?} -> {:?}: {p:?} must be a relative output path",
                        m.from, m.to
                    ));
                }
            }
            if m.from == m.to {
                return Err(format!("moved {:?}: from and to are the same path", m.from));
            }
        }
        Ok(())
    }
}

fn check_question(q: &Question) -> Result<(), String> {
    let key = &q.key;
    if !is_valid_key(key) {
        return Err(format!(
            "question key {key:?}: use lowercase letters, digits and '_', starting with a letter"
        ));
    }
    let has_choices = !q.choices.is_empty();
    match q.kind {
        QuestionType::Choice | QuestionType::Multi if !has_choices => {
            return Err(format!(
                "question `{key}`: type {} needs choices",
                q.kind.as_str()
            ));
        }
        QuestionType::String | QuestionType::Bool | QuestionType::Integer if has_choices => {
            return Err(format!(
                "question `{key}`: choices only apply to choice and multi questions"
            ));
        }
        _ => {}
    }
    let mut values = BTreeSet::new();
    for choice in &q.choices {
        if choice.value().is_empty() || !values.insert(choice.value()) {
            return Err(format!(
                "question `{key}`: choice {:?} is empty or repeated",
                choice.value()
            ));
        }
    }
    if (q.min.is_some() || q.max.is_some()) && q.kind != QuestionType::Integer {
        return Err(format!(
            "question `{key}`: min/max only apply to integer questions"
        ));
    }
    if let (Some(min), Some(max)) = (q.min, q.max)
        && min > max
    {
        return Err(format!(
            "question `{key}`: min {min} is greater than max {max}"
        ));
    }
    if (q.pattern.is_some() || !q.validate.is_empty()) && q.kind != QuestionType::String {
        return Err(format!(
            "question `{key}`: pattern and validate only apply to string questions"
        ));
    }
    if let Some(pattern) = &q.pattern {
        crate::answers::compiled_pattern(pattern)
            .map_err(|e| format!("question `{key}`: pattern does not compile: {e}"))?;
    }
    if let Some(default) = &q.default {
        let fits = match (q.kind, default) {
            (QuestionType::String | QuestionType::Choice, toml::Value::String(_)) => true,
            (QuestionType::Bool, toml::Value::Boolean(_)) => true,
            (QuestionType::Integer, toml::Value::Integer(_)) => true,
            (QuestionType::Multi, toml::Value::Array(items)) => {
                items.iter().all(|i| matches!(i, toml::Value::String(_)))
            }
            _ => false,
        };
        if !fits {
            return Err(format!(
                "question `{key}`: default {default} does not fit type {}",
                q.kind.as_str()
            ));
        }
    }
    Ok(())
}

/// A manifest or test-case value as `--set` would pass it: lists comma-joined.
pub fn flag_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

impl TestCase {
    /// The case's answers as `--set` pairs.
    pub fn sets(&self) -> Vec<(String, String)> {
        self.answers
            .iter()
            .map(|(k, v)| (k.clone(), flag_text(v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "demo"
version = "1.2.3"
description = "A demo."
[[question]]
key = "module"
validate = ["go_module_path"]
[[question]]
key = "db"
type = "choice"
default = "sqlite"
choices = ["sqlite", { value = "postgres", help = "pgx" }]
"#;

    #[test]
    fn parses_a_minimal_manifest() {
        let m = Manifest::parse(MINIMAL).unwrap();
        assert_eq!(m.questions.len(), 2);
        assert!(m.questions[0].is_required());
        assert_eq!(m.questions[1].choice_values(), vec!["sqlite", "postgres"]);
        assert_eq!(m.questions[1].choices[1].help(), Some("pgx"));
    }

    #[test]
    fn rejects_structural_mistakes() {
        let tests = [
            ("version = \"1.2.3\"", "version = \"one\"", "not semver"),
            ("key = \"db\"", "key = \"Db\"", "question key"),
            ("key = \"db\"", "key = \"module\"", "declared twice"),
            ("default = \"sqlite\"", "default = 3", "does not fit"),
            (
                "type = \"choice\"",
                "type = \"integer\"",
                "choices only apply",
            ),
            (
                "description = \"A demo.\"",
                "description = \"\"",
                "description",
            ),
            (
                "validate = [\"go_module_path\"]",
                "validate = [\"nope\"]",
                "unknown variant",
            ),
            (
                "name = \"demo\"",
                "name = \"demo\"\nsurprise = 1",
                "unknown field",
            ),
        ];
        for (give_from, give_to, want) in tests {
            let text = MINIMAL.replacen(give_from, give_to, 1);
            let err = Manifest::parse(&text).expect_err(give_to);
            assert!(err.contains(want), "{give_to}: {err}");
        }
    }

    #[test]
    fn rejects_bad_file_rules_and_tests() {
        let cases = [
            ("[[files]]\npath = \"a/[\"\n", "files rule path"),
            (
                "[[files]]\npath = \"x\"\nrename = \"a/b\"\n",
                "single file name",
            ),
            (
                "[[test]]\nname = \"t\"\nservices = [\"mysql\"]\n",
                "unknown service",
            ),
            (
                "[[test]]\nname = \"t\"\n[[test]]\nname = \"t\"\n",
                "declared twice",
            ),
        ];
        for (give, want) in cases {
            let err = Manifest::parse(&format!("{MINIMAL}{give}")).expect_err(give);
            assert!(err.contains(want), "{give}: {err}");
        }
    }
}
