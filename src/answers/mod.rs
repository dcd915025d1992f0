//! Answers: where each one comes from (flag over file over prompt over default), and
//! the single validation path every one of them goes through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Value;
use serde::Serialize;

use crate::blueprint::closest;
use crate::blueprint::manifest::{Manifest, Question, QuestionType, Validator};
use crate::error::{Error, MissingAnswer, Result};
use crate::generate::render::{Context, Renderer, Scope};
use crate::golang;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
}

impl AnswerValue {
    pub fn zero(kind: QuestionType) -> Self {
        match kind {
            QuestionType::String | QuestionType::Choice => AnswerValue::Str(String::new()),
            QuestionType::Bool => AnswerValue::Bool(false),
            QuestionType::Integer => AnswerValue::Int(0),
            QuestionType::Multi => AnswerValue::List(Vec::new()),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            AnswerValue::Bool(b) => Value::from(*b),
            AnswerValue::Int(i) => Value::from(*i),
            AnswerValue::Str(s) => Value::from(s.clone()),
            AnswerValue::List(items) => {
                Value::from(items.iter().cloned().map(Value::from).collect::<Vec<_>>())
            }
        }
    }

    /// The text `--set` would take for this value.
    pub fn to_flag_text(&self) -> String {
        match self {
            AnswerValue::Bool(b) => b.to_string(),
            AnswerValue::Int(i) => i.to_string(),
            AnswerValue::Str(s) => s.clone(),
            AnswerValue::List(items) => items.join(","),
        }
    }

    pub fn to_toml(&self) -> toml::Value {
        match self {
            AnswerValue::Bool(b) => toml::Value::Boolean(*b),
            AnswerValue::Int(i) => toml::Value::Integer(*i),
            AnswerValue::Str(s) => toml::Value::String(s.clone()),
            AnswerValue::List(items) => {
                toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect())
            }
        }
    }
}

/// Where an answer came from; recorded in the lock file and shown by `--dry-run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The blueprint's default.
    Default,
    /// A default from the org config.
    Config,
    Preset,
    File,
    Flag,
    Prompt,
    /// Locked by the org config.
    Locked,
    /// The question's `when` was false, so it holds its zero value.
    Skipped,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::Config => "config",
            Origin::Preset => "preset",
            Origin::Locked => "locked",
            Origin::File => "file",
            Origin::Flag => "flag",
            Origin::Prompt => "prompt",
            Origin::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub key: String,
    pub value: AnswerValue,
    pub origin: Origin,
}

/// Every question's answer, in manifest order.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Answers {
    pub items: Vec<Answer>,
}

impl Answers {
    pub fn get(&self, key: &str) -> Option<&AnswerValue> {
        self.items.iter().find(|a| a.key == key).map(|a| &a.value)
    }

    pub fn context(&self) -> Context {
        let mut vars: BTreeMap<String, Value> = self
            .items
            .iter()
            .map(|a| (a.key.clone(), a.value.to_value()))
            .collect();
        vars.insert(
            "gogen_version".into(),
            Value::from(env!("CARGO_PKG_VERSION")),
        );
        Context::from_map(vars)
    }
}

/// A value as it arrives from an answers file, before it meets its question's type.
#[derive(Debug, Clone, PartialEq)]
pub enum FileValue {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<FileValue>),
    Other(&'static str),
}

impl FileValue {
    pub fn from_toml(v: &toml::Value) -> Self {
        match v {
            toml::Value::Boolean(b) => FileValue::Bool(*b),
            toml::Value::Integer(i) => FileValue::Int(*i),
            toml::Value::String(s) => FileValue::Str(s.clone()),
            toml::Value::Array(a) => FileValue::List(a.iter().map(Self::from_toml).collect()),
            toml::Value::Float(_) => FileValue::Other("a float"),
            toml::Value::Datetime(_) => FileValue::Other("a date"),
            toml::Value::Table(_) => FileValue::Other("a table"),
        }
    }

    fn from_json(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Bool(b) => FileValue::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => FileValue::Int(i),
                None => FileValue::Other("a non-integer number"),
            },
            serde_json::Value::String(s) => FileValue::Str(s.clone()),
            serde_json::Value::Array(a) => FileValue::List(a.iter().map(Self::from_json).collect()),
            serde_json::Value::Null => FileValue::Other("null"),
            serde_json::Value::Object(_) => FileValue::Other("an object"),
        }
    }
}

/// Answers files are small; a larger one (or one that is not a regular file, such as
/// `/dev/zero`) is refused before it is read.
pub const MAX_ANSWERS_BYTES: u64 = 1 << 20;

/// A JSON object whose keys must be unique: `{"a": 1, "a": 2}` is an error, not "the last
/// one wins".
struct UniqueKeys(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object of answers")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<UniqueKeys, A::Error> {
                let mut seen = std::collections::HashSet::new();
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!(
                            "the key `{}` appears twice",
                            crate::printable::shorten(&key, 80)
                        )));
                    }
                    out.push((key, map.next_value()?));
                }
                Ok(UniqueKeys(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// An answers file (TOML, or JSON when it ends in `.json`): a flat table of key = value.
#[derive(Debug, Clone, Default)]
pub struct AnswersFile {
    pub path: PathBuf,
    pub values: BTreeMap<String, FileValue>,
}

impl AnswersFile {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = crate::safefs::read_user_file(path, MAX_ANSWERS_BYTES).map_err(|e| {
            Error::AnswersFile {
                path: path.to_path_buf(),
                message: format!("cannot read: {e}"),
            }
        })?;
        let text = String::from_utf8(bytes).map_err(|_| Error::AnswersFile {
            path: path.to_path_buf(),
            message: "is not valid UTF-8".into(),
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Self::parse(path, &text, is_json)
    }

    pub fn parse(path: &Path, text: &str, is_json: bool) -> Result<Self> {
        let fail = |message: String| Error::AnswersFile {
            path: path.to_path_buf(),
            message,
        };
        let values = if is_json {
            let parsed: UniqueKeys = serde_json::from_str(text).map_err(|e| {
                if e.is_data() && e.to_string().contains("expected a JSON object") {
                    fail("must hold a JSON object of answers".into())
                } else {
                    fail(format!("invalid JSON: {e}"))
                }
            })?;
            parsed
                .0
                .iter()
                .map(|(k, v)| (k.clone(), FileValue::from_json(v)))
                .collect()
        } else {
            let table: toml::Table =
                toml::from_str(text).map_err(|e| fail(format!("invalid TOML: {e}")))?;
            table
                .iter()
                .map(|(k, v)| (k.clone(), FileValue::from_toml(v)))
                .collect()
        };
        Ok(AnswersFile {
            path: path.to_path_buf(),
            values,
        })
    }
}

/// Where a prompt stands among the questions that will be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// 1-based.
    pub number: usize,
    /// Questions no other source answers (some may still be skipped by `when`).
    pub total: usize,
    /// Whether there is an earlier prompt to go back to.
    pub can_go_back: bool,
}

/// What a prompt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    Value(AnswerValue),
    /// Go back to the previous prompted question.
    Back,
}

/// Asks a question interactively. Implementations: the terminal, and scripted ones in tests.
pub trait Prompter {
    /// Returns a value that already passed `check` (re-asking on its own when it fails), or
    /// `Back`.
    fn ask(
        &mut self,
        question: &Question,
        default: Option<&AnswerValue>,
        check: &dyn Fn(&AnswerValue) -> std::result::Result<(), String>,
        progress: Progress,
    ) -> Result<Asked>;
}

/// Everything the user and the org supplied, before resolution.
#[derive(Debug, Clone, Default)]
pub struct AnswerInputs {
    /// `--set key=value`, in command-line order; a later one for the same key wins.
    pub sets: Vec<(String, String)>,
    pub file: Option<AnswersFile>,
    pub preset: Option<crate::config::Preset>,
    pub org: crate::config::OrgConfig,
}

/// Splits `key=value` on the first `=`.
pub fn parse_set(given: &str) -> Result<(String, String)> {
    let Some((key, value)) = given.split_once('=') else {
        return Err(Error::BadSet {
            given: given.to_string(),
            message: "expected KEY=VALUE".into(),
        });
    };
    if key.is_empty() {
        return Err(Error::BadSet {
            given: given.to_string(),
            message: "the key before `=` is empty".into(),
        });
    }
    Ok((key.to_string(), value.to_string()))
}

pub struct Resolver<'a> {
    pub manifest: &'a Manifest,
    pub renderer: &'a Renderer,
}

/// A further check for prompted answers (e.g. that the folder a project name implies is
/// free), so a bad answer is asked again right away.
pub type ExtraCheck<'a> = dyn Fn(&Question, &AnswerValue) -> std::result::Result<(), String> + 'a;

impl Resolver<'_> {
    /// Resolves every question in order. With `prompter = None` nothing is asked and every
    /// missing required answer is reported in one error.
    pub fn resolve(
        &self,
        inputs: &AnswerInputs,
        prompter: Option<&mut dyn Prompter>,
    ) -> Result<Answers> {
        self.resolve_checked(inputs, prompter, None)
    }

    /// `resolve`, with a further check that prompted answers must pass.
    pub fn resolve_checked(
        &self,
        inputs: &AnswerInputs,
        mut prompter: Option<&mut dyn Prompter>,
        extra_check: Option<&ExtraCheck<'_>>,
    ) -> Result<Answers> {
        self.reject_unknown_keys(inputs)?;
        let sets: BTreeMap<&str, &str> = inputs
            .sets
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let questions = &self.manifest.questions;
        let given_elsewhere = |q: &Question| {
            inputs.org.locked.contains_key(&q.key)
                || sets.contains_key(q.key.as_str())
                || inputs
                    .file
                    .as_ref()
                    .is_some_and(|f| f.values.contains_key(&q.key))
                || inputs
                    .preset
                    .as_ref()
                    .is_some_and(|p| p.answers.contains_key(&q.key))
        };
        // Prompt numbering: the questions no other source answers, in order.
        let promptable: Vec<usize> = (0..questions.len())
            .filter(|&i| !given_elsewhere(&questions[i]))
            .collect();
        // The context grows answer by answer; templates see the answers so far, and no
        // question rebuilds it (so 10,000 questions resolve in linear time).
        let scope = Scope::new();
        scope.set("gogen_version", Value::from(env!("CARGO_PKG_VERSION")));
        let ctx = scope.context();
        let mut answers = Answers::default();
        // The question index of each answer, to go back.
        let mut answered: Vec<usize> = Vec::new();
        // What was answered at a prompt before going back: offered as the default again.
        let mut earlier: BTreeMap<usize, AnswerValue> = BTreeMap::new();
        let mut missing = Vec::new();
        let mut undecided: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut i = 0;
        'questions: while i < questions.len() {
            let q = &questions[i];
            let given_set = sets.get(q.key.as_str()).copied();
            let given_file = inputs.file.as_ref().and_then(|f| f.values.get(&q.key));
            // A question that depends on a missing answer, directly or through another
            // undecided question, cannot be decided yet; the missing-answers error below is
            // what the user needs to see.
            if !undecided.is_empty() && self.reads_any(q, &undecided) {
                undecided.insert(q.key.clone());
                i += 1;
                continue;
            }
            if let Some(when) = &q.when {
                let applies = self.renderer.eval_condition(
                    &format!("question `{}` when", q.key),
                    when,
                    &ctx,
                )?;
                if !applies {
                    let in_preset = inputs
                        .preset
                        .as_ref()
                        .filter(|p| p.answers.contains_key(&q.key));
                    if given_set.is_some() || given_file.is_some() || in_preset.is_some() {
                        let origin = if given_set.is_some() {
                            "--set".to_string()
                        } else if given_file.is_some() {
                            display_file(inputs)
                        } else {
                            format!(
                                "preset `{}`",
                                in_preset.map(|p| p.name.as_str()).unwrap_or("")
                            )
                        };
                        return Err(Error::AnswerNotApplicable {
                            key: q.key.clone(),
                            origin,
                            when: format!("`{when}` is false"),
                        });
                    }
                    let zero = AnswerValue::zero(q.kind);
                    scope.set(&q.key, zero.to_value());
                    answers.items.push(Answer {
                        key: q.key.clone(),
                        value: zero,
                        origin: Origin::Skipped,
                    });
                    answered.push(i);
                    i += 1;
                    continue;
                }
            }
            let given_preset = inputs
                .preset
                .as_ref()
                .and_then(|p| p.answers.get(&q.key).map(|v| (p, v)));
            let (value, origin) = if let Some(locked) = inputs.org.locked.get(&q.key) {
                let value = from_file(q, locked, &inputs.org.locked_by_display(&q.key))?;
                self.refuse_changes_to_locked(
                    q,
                    &value,
                    inputs,
                    given_set,
                    given_file,
                    given_preset,
                )?;
                (value, Origin::Locked)
            } else if let Some(text) = given_set {
                (parse_text(q, text)?, Origin::Flag)
            } else if let Some(fv) = given_file {
                (from_file(q, fv, &display_file(inputs))?, Origin::File)
            } else if let Some((preset, fv)) = given_preset {
                (
                    from_file(q, fv, &format!("preset `{}`", preset.name))?,
                    Origin::Preset,
                )
            } else {
                let (default, default_origin) = match inputs.org.defaults.get(&q.key) {
                    Some(fv) => (Some(self.org_default(q, fv, &ctx, inputs)?), Origin::Config),
                    None => (self.default_for(q, &ctx)?, Origin::Default),
                };
                match prompter.as_deref_mut() {
                    Some(p) => {
                        let extra = extra_check;
                        let check = |v: &AnswerValue| {
                            check_value(q, v)?;
                            match extra {
                                Some(f) => f(q, v),
                                None => Ok(()),
                            }
                        };
                        let progress = Progress {
                            number: promptable.iter().position(|&j| j == i).unwrap_or(0) + 1,
                            total: promptable.len(),
                            can_go_back: answers.items.iter().any(|a| a.origin == Origin::Prompt),
                        };
                        let offered = earlier.remove(&i).or(default);
                        match p.ask(q, offered.as_ref(), &check, progress)? {
                            Asked::Value(v) => (v, Origin::Prompt),
                            Asked::Back => {
                                // Undo back to (and including) the last prompted answer.
                                while let Some(j) = answered.pop() {
                                    let a = answers.items.pop().expect("one answer per index");
                                    scope.remove(&a.key);
                                    if a.origin == Origin::Prompt {
                                        earlier.insert(j, a.value);
                                        i = j;
                                        continue 'questions;
                                    }
                                }
                                // Nothing to go back to: ask this one again.
                                continue 'questions;
                            }
                        }
                    }
                    None => match default {
                        Some(d) => (d, default_origin),
                        None => {
                            missing.push(MissingAnswer {
                                key: q.key.clone(),
                                example: example_for(q),
                            });
                            undecided.insert(q.key.clone());
                            i += 1;
                            continue;
                        }
                    },
                }
            };
            if let Err(rule) = check_value(q, &value) {
                let hint = match origin {
                    Origin::Default => format!(
                        "the default was derived from earlier answers; pass --set {}=<value>",
                        q.key
                    ),
                    Origin::Config | Origin::Locked => format!(
                        "the value comes from the org config {}",
                        inputs.org.display_path()
                    ),
                    Origin::Preset => {
                        "the value comes from the preset; pass --set to override it".to_string()
                    }
                    _ => hint_for(q),
                };
                return Err(Error::InvalidAnswer {
                    key: q.key.clone(),
                    value: value.to_flag_text(),
                    rule,
                    hint,
                });
            }
            scope.set(&q.key, value.to_value());
            answers.items.push(Answer {
                key: q.key.clone(),
                value,
                origin,
            });
            answered.push(i);
            i += 1;
        }
        if !missing.is_empty() {
            return Err(Error::MissingAnswers { missing });
        }
        Ok(answers)
    }

    fn reads_any(&self, q: &Question, keys: &std::collections::HashSet<String>) -> bool {
        let mut read = Vec::new();
        if let Some(when) = &q.when {
            read.extend(self.renderer.expression_variables(when).unwrap_or_default());
        }
        if let Some(toml::Value::String(d)) = &q.default {
            read.extend(
                self.renderer
                    .variables_in(d, crate::blueprint::manifest::Syntax::Default)
                    .unwrap_or_default(),
            );
        }
        read.iter().any(|r| keys.contains(r))
    }

    /// A locked value may be repeated but never changed, by any source.
    fn refuse_changes_to_locked(
        &self,
        q: &Question,
        locked: &AnswerValue,
        inputs: &AnswerInputs,
        given_set: Option<&str>,
        given_file: Option<&FileValue>,
        given_preset: Option<(&crate::config::Preset, &FileValue)>,
    ) -> Result<()> {
        let refuse = |origin: String| Error::Locked {
            key: q.key.clone(),
            value: serde_json::to_string(locked).unwrap_or_default(),
            by: inputs.org.locked_by_display(&q.key),
            origin,
        };
        if let Some(text) = given_set
            && parse_text(q, text).ok().as_ref() != Some(locked)
        {
            return Err(refuse("--set".into()));
        }
        if let Some(fv) = given_file
            && from_file(q, fv, "").ok().as_ref() != Some(locked)
        {
            return Err(refuse(display_file(inputs)));
        }
        if let Some((preset, fv)) = given_preset
            && from_file(q, fv, "").ok().as_ref() != Some(locked)
        {
            return Err(refuse(format!("preset `{}`", preset.name)));
        }
        Ok(())
    }

    fn org_default(
        &self,
        q: &Question,
        value: &FileValue,
        ctx: &Context,
        inputs: &AnswerInputs,
    ) -> Result<AnswerValue> {
        let value = from_file(q, value, &inputs.org.display_path())?;
        match value {
            AnswerValue::Str(template) => Ok(AnswerValue::Str(self.renderer.render_str(
                &format!("org default of `{}`", q.key),
                &template,
                ctx,
            )?)),
            other => Ok(other),
        }
    }

    fn reject_unknown_keys(&self, inputs: &AnswerInputs) -> Result<()> {
        let keys: std::collections::HashSet<&str> = self
            .manifest
            .questions
            .iter()
            .map(|q| q.key.as_str())
            .collect();
        let known = || self.manifest.questions.iter().map(|q| q.key.as_str());
        let unknown = |key: &str, origin: String| Error::UnknownAnswerKey {
            key: key.to_string(),
            origin,
            suggestion: closest(key, known()),
        };
        for (key, _) in &inputs.sets {
            if !keys.contains(key.as_str()) {
                return Err(unknown(key, "--set".into()));
            }
        }
        if let Some(file) = &inputs.file {
            for key in file.values.keys() {
                if !keys.contains(key.as_str()) {
                    return Err(unknown(key, file.path.display().to_string()));
                }
            }
        }
        if let Some(preset) = &inputs.preset {
            for key in preset.answers.keys() {
                if !keys.contains(key.as_str()) {
                    return Err(unknown(key, format!("preset `{}`", preset.name)));
                }
            }
        }
        Ok(())
    }

    /// The question's default, with string defaults rendered over earlier answers.
    pub fn default_for(&self, q: &Question, ctx: &Context) -> Result<Option<AnswerValue>> {
        let Some(default) = &q.default else {
            return Ok(None);
        };
        let value = match default {
            toml::Value::String(template) => {
                let rendered = self.renderer.render_str(
                    &format!("default of question `{}`", q.key),
                    template,
                    ctx,
                )?;
                AnswerValue::Str(rendered)
            }
            toml::Value::Boolean(b) => AnswerValue::Bool(*b),
            toml::Value::Integer(i) => AnswerValue::Int(*i),
            toml::Value::Array(items) => AnswerValue::List(
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
            ),
            other => {
                return Err(Error::Manifest {
                    file: "blueprint.toml".into(),
                    message: format!("question `{}`: unsupported default {other}", q.key),
                });
            }
        };
        Ok(Some(value))
    }
}

fn display_file(inputs: &AnswerInputs) -> String {
    inputs
        .file
        .as_ref()
        .map(|f| f.path.display().to_string())
        .unwrap_or_else(|| "answers file".into())
}

/// Reads a `--set` value (always text) as the question's type.
pub fn parse_text(q: &Question, text: &str) -> Result<AnswerValue> {
    let invalid = |rule: String| Error::InvalidAnswer {
        key: q.key.clone(),
        value: text.to_string(),
        rule,
        hint: hint_for(q),
    };
    Ok(match q.kind {
        QuestionType::String | QuestionType::Choice => AnswerValue::Str(text.to_string()),
        QuestionType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "on" => AnswerValue::Bool(true),
            "false" | "no" | "n" | "0" | "off" => AnswerValue::Bool(false),
            _ => return Err(invalid("must be true or false".into())),
        },
        QuestionType::Integer => AnswerValue::Int(
            text.trim()
                .parse()
                .map_err(|_| invalid("must be a whole number".into()))?,
        ),
        QuestionType::Multi => AnswerValue::List(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
    })
}

fn from_file(q: &Question, v: &FileValue, file: &str) -> Result<AnswerValue> {
    let wrong = |want: &str| Error::InvalidAnswer {
        key: q.key.clone(),
        value: format!("{v:?}"),
        rule: format!("must be {want} (in {file})"),
        hint: hint_for(q),
    };
    Ok(match (q.kind, v) {
        (QuestionType::String | QuestionType::Choice, FileValue::Str(s)) => {
            AnswerValue::Str(s.clone())
        }
        (QuestionType::Bool, FileValue::Bool(b)) => AnswerValue::Bool(*b),
        (QuestionType::Integer, FileValue::Int(i)) => AnswerValue::Int(*i),
        (QuestionType::Multi, FileValue::List(items)) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    FileValue::Str(s) => out.push(s.clone()),
                    _ => return Err(wrong("a list of strings")),
                }
            }
            AnswerValue::List(out)
        }
        (QuestionType::String | QuestionType::Choice, _) => return Err(wrong("a string")),
        (QuestionType::Bool, _) => return Err(wrong("true or false")),
        (QuestionType::Integer, _) => return Err(wrong("a whole number")),
        (QuestionType::Multi, _) => return Err(wrong("a list of strings")),
    })
}

/// The one validation path: every answer, from any source, goes through here.
/// A question's `pattern`, compiled once per process: the manifest check, defaults,
/// answers and re-asked prompts use the same few patterns.
pub(crate) fn compiled_pattern(pattern: &str) -> std::result::Result<regex::Regex, regex::Error> {
    static COMPILED: std::sync::Mutex<BTreeMap<String, regex::Regex>> =
        std::sync::Mutex::new(BTreeMap::new());
    let mut compiled = COMPILED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(re) = compiled.get(pattern) {
        return Ok(re.clone());
    }
    let re = regex::Regex::new(pattern)?;
    compiled.insert(pattern.to_string(), re.clone());
    Ok(re)
}

pub fn check_value(q: &Question, value: &AnswerValue) -> std::result::Result<(), String> {
    match (q.kind, value) {
        (QuestionType::String, AnswerValue::Str(s)) => check_string(q, s),
        (QuestionType::Choice, AnswerValue::Str(s)) => {
            if q.choice_values().contains(&s.as_str()) {
                Ok(())
            } else {
                Err(format!("must be one of: {}", q.choice_values().join(", ")))
            }
        }
        (QuestionType::Multi, AnswerValue::List(items)) => {
            let allowed = q.choice_values();
            for (i, item) in items.iter().enumerate() {
                if !allowed.contains(&item.as_str()) {
                    return Err(format!(
                        "{item:?} is not a choice; choose from: {}",
                        allowed.join(", ")
                    ));
                }
                if items[..i].contains(item) {
                    return Err(format!("{item:?} is chosen twice"));
                }
            }
            Ok(())
        }
        (QuestionType::Integer, AnswerValue::Int(i)) => {
            if let Some(min) = q.min.filter(|m| i < m) {
                return Err(format!("must be at least {min}"));
            }
            if let Some(max) = q.max.filter(|m| i > m) {
                return Err(format!("must be at most {max}"));
            }
            Ok(())
        }
        (QuestionType::Bool, AnswerValue::Bool(_)) => Ok(()),
        (kind, _) => Err(format!("must be a {}", kind.as_str())),
    }
}

fn check_string(q: &Question, s: &str) -> std::result::Result<(), String> {
    // Every answer may land in Go source, go.mod or YAML, so no answer may carry a
    // control character (a newline would end a `//` comment or inject a go.mod directive).
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!(
            "must be a single line without control characters (found {c:?})"
        ));
    }
    for validator in &q.validate {
        let result = match validator {
            Validator::GoModulePath => check_module_answer(s),
            Validator::GoPackageName => golang::check_package_name(s).and_then(|()| {
                if s == "main" {
                    Err(golang::GoNameError {
                        rule: "`main` is reserved for commands; choose a library name".into(),
                    })
                } else {
                    Ok(())
                }
            }),
            Validator::GoIdentifier => golang::check_identifier(s),
            Validator::SingleLine => Ok(()),
        };
        result.map_err(|e| {
            let mut message = format!("{} rule: {e}", validator.as_str());
            let suggestion = match validator {
                Validator::GoModulePath => golang::suggest_module_path(s),
                Validator::GoPackageName => golang::suggest_package_name(s),
                _ => None,
            };
            if let Some(better) = suggestion {
                message.push_str(&format!("; try `{better}`"));
            }
            if e.rule.contains("missing dot in first path element") {
                message.push_str(
                    " (`go mod init` accepts a path without a domain, but such a module cannot be fetched with `go get` and may clash with the standard library; use a domain you control, e.g. github.com/<you>/<name>)",
                );
            }
            message
        })?;
    }
    if let Some(pattern) = &q.pattern {
        let re = compiled_pattern(pattern).map_err(|e| format!("bad pattern: {e}"))?;
        if !re.is_match(s) {
            return Err(format!("must match the pattern {pattern}"));
        }
    }
    Ok(())
}

/// `go mod init`'s own checks first, so a local or absolute path is named as such,
/// then x/mod `CheckPath` for a publishable module path.
fn check_module_answer(s: &str) -> std::result::Result<(), golang::GoNameError> {
    let rule = |r: &str| golang::GoNameError {
        rule: r.to_string(),
    };
    if s.starts_with('/') || s.starts_with('\\') {
        return Err(rule("leading slash: a module path is not a file path"));
    }
    if s == "." || s == ".." || s.starts_with("./") || s.starts_with("../") {
        return Err(rule("is a local import path, not a module path"));
    }
    golang::check_go_mod_init(s)?;
    golang::check_module_path(s)
}

fn hint_for(q: &Question) -> String {
    let mut hint = q
        .help
        .clone()
        .unwrap_or_else(|| format!("`gogen info` describes `{}`", q.key));
    if !q.choices.is_empty() {
        hint.push_str(&format!(" (choices: {})", q.choice_values().join(", ")));
    }
    hint
}

/// A plausible value to show in "pass --set key=…" advice.
fn example_for(q: &Question) -> String {
    if q.validate.contains(&Validator::GoModulePath) {
        return "github.com/acme/example".into();
    }
    match q.kind {
        QuestionType::Bool => "true".into(),
        QuestionType::Integer => q.min.unwrap_or(1).to_string(),
        QuestionType::Choice | QuestionType::Multi => q
            .choice_values()
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        QuestionType::String => "…".into(),
    }
}

#[cfg(test)]
mod tests;
