//! The answers an update renders with: the project's own answers carried over (renamed where
//! the manifest says so), the user's `--set`/`--answers`, a feature's answers, and the rest
//! resolved exactly as `new` resolves them. Answers nobody chose (`default`, `config`) follow
//! the blueprint's current defaults, so an untouched project updates to what `new` gives today.
//! A new or changed default that would drop files the project has is asked instead (or listed
//! with `--no-input`), never applied silently.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::answers::{
    AnswerInputs, AnswerValue, Answers, AnswersFile, Asked, FileValue, Origin, Progress, Prompter,
    Resolver, check_value, parse_text,
};
use crate::blueprint::manifest::{Manifest, QuestionType, flag_text};
use crate::config::OrgConfig;
use crate::error::{Error, Result};
use crate::generate::lockfile::{LOCK_FILE, LockFile};
use crate::generate::render::Renderer;

#[derive(Debug, Clone, Serialize)]
pub struct AnswerChange {
    pub key: String,
    /// The project's value, when it had one.
    pub from: Option<toml::Value>,
    pub to: AnswerValue,
    pub source: Origin,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Answers whose value changed.
    pub changed: Vec<AnswerChange>,
    /// Questions the project had no answer for.
    pub new: Vec<AnswerChange>,
    /// Answers to questions the blueprint no longer asks.
    pub removed: Vec<String>,
    /// Old key → new key, from `[[renamed_answer]]`.
    pub renamed: BTreeMap<String, String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.new.is_empty() && self.removed.is_empty()
    }
}

pub struct Request<'a> {
    pub lock: &'a LockFile,
    pub manifest: &'a Manifest,
    pub renderer: &'a Renderer,
    /// The user's `--set` pairs and `--answers` file.
    pub user: &'a AnswerInputs,
    pub org: &'a OrgConfig,
    /// A feature's answers (`gogen add`/`remove`), applied as `--set` would be.
    pub forced: &'a [(String, String)],
}

/// Origins that mean "nobody chose this": re-resolved against the current blueprint.
fn follows_defaults(source: &str) -> bool {
    matches!(source, "default" | "config" | "skipped")
}

fn origin_of(source: &str) -> Origin {
    match source {
        "flag" => Origin::Flag,
        "prompt" => Origin::Prompt,
        "preset" => Origin::Preset,
        "locked" => Origin::Locked,
        _ => Origin::File,
    }
}

/// `keeps(answers)` counts the project's files a render with these answers still generates.
pub fn resolve(
    req: &Request<'_>,
    mut prompter: Option<&mut dyn Prompter>,
    keeps: &dyn Fn(&Answers) -> Result<usize>,
) -> Result<(Answers, Changes)> {
    let mut changes = Changes::default();
    // The project's answers under their current keys.
    let mut previous: BTreeMap<String, (toml::Value, String)> = BTreeMap::new();
    for (key, value) in &req.lock.answers {
        let source = req
            .lock
            .answer_sources
            .get(key)
            .cloned()
            .unwrap_or_else(|| "file".into());
        let renamed = req
            .manifest
            .renamed_answers
            .iter()
            .find(|r| &r.from == key && !req.lock.answers.contains_key(&r.to));
        let key = match renamed {
            Some(r) => {
                changes.renamed.insert(r.from.clone(), r.to.clone());
                r.to.clone()
            }
            None => key.clone(),
        };
        if req.manifest.question(&key).is_none() {
            changes.removed.push(key);
            continue;
        }
        previous.insert(key, (value.clone(), source));
    }
    let mut carried: BTreeMap<String, (FileValue, Origin)> = previous
        .iter()
        .filter(|(k, (_, source))| !follows_defaults(source) && !req.org.locked.contains_key(*k))
        .map(|(k, (v, source))| (k.clone(), (FileValue::from_toml(v), origin_of(source))))
        .collect();
    let user_sets: BTreeSet<&str> = req.user.sets.iter().map(|(k, _)| k.as_str()).collect();
    let user_file: BTreeSet<&str> = req
        .user
        .file
        .as_ref()
        .map(|f| f.values.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let forced: BTreeSet<&str> = req.forced.iter().map(|(k, _)| k.as_str()).collect();
    let mut asked: Vec<(String, String)> = Vec::new();
    let resolver = Resolver {
        manifest: req.manifest,
        renderer: req.renderer,
    };
    let is_carried_only =
        |key: &str| !user_sets.contains(key) && !user_file.contains(key) && !forced.contains(key);
    let inputs_for = |carried: &BTreeMap<String, (FileValue, Origin)>,
                      extra: &[(String, String)]| {
        let mut values: BTreeMap<String, FileValue> = carried
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect();
        let mut path = std::path::PathBuf::from(LOCK_FILE);
        if let Some(file) = &req.user.file {
            values.extend(file.values.clone());
            path = file.path.clone();
        }
        let mut sets = req.user.sets.clone();
        sets.extend(extra.iter().cloned());
        sets.extend(req.forced.iter().cloned());
        AnswerInputs {
            sets,
            file: Some(AnswersFile { path, values }),
            preset: None,
            org: req.org.clone(),
        }
    };
    let mut answers = loop {
        match resolver.resolve(&inputs_for(&carried, &asked), None) {
            Ok(a) => break a,
            // The answer no longer applies (its `when` turned false): it is dropped.
            Err(Error::AnswerNotApplicable { key, .. })
                if carried.contains_key(&key) && is_carried_only(&key) =>
            {
                carried.remove(&key);
            }
            Err(Error::InvalidAnswer {
                key,
                value,
                rule,
                hint,
            }) if carried.contains_key(&key) && is_carried_only(&key) => {
                match prompter.as_deref_mut() {
                    Some(p) => {
                        let v = ask(p, req.manifest, &key, None)?;
                        carried.remove(&key);
                        asked.push((key, v));
                    }
                    None => {
                        return Err(Error::InvalidAnswer {
                            key: key.clone(),
                            value,
                            rule: format!(
                                "{rule} (the project's answer, from {LOCK_FILE}, is not valid for {} {})",
                                req.manifest.name, req.manifest.version
                            ),
                            hint: format!("pass --set {key}=<value>; {hint}"),
                        });
                    }
                }
            }
            Err(Error::MissingAnswers { missing }) if prompter.is_some() => {
                let p = prompter.as_deref_mut().expect("checked");
                for m in missing {
                    let v = ask(p, req.manifest, &m.key, None)?;
                    asked.push((m.key, v));
                }
            }
            Err(e) => return Err(e),
        }
    };
    let asked_keys: BTreeSet<String> = asked.iter().map(|(k, _)| k.clone()).collect();
    let fix_origins = |answers: &mut Answers, asked_keys: &BTreeSet<String>| {
        for a in &mut answers.items {
            let key = a.key.as_str();
            a.origin = if forced.contains(key) || user_sets.contains(key) {
                Origin::Flag
            } else if asked_keys.contains(key) {
                Origin::Prompt
            } else if user_file.contains(key) {
                Origin::File
            } else if let (Some((_, o)), Origin::File) = (carried.get(key), a.origin) {
                *o
            } else {
                a.origin
            };
        }
    };
    fix_origins(&mut answers, &asked_keys);
    // A default nobody chose must not silently drop files the project has.
    let must_ask = defaults_that_drop_files(req, &resolver, &answers, &previous, keeps, |alt| {
        inputs_for(&carried, &[asked.clone(), alt.to_vec()].concat())
    })?;
    if !must_ask.is_empty() {
        let Some(p) = prompter else {
            let listed: Vec<String> = must_ask
                .iter()
                .map(|(k, default, keep)| {
                    format!("`{k}` (its default {default} would remove files this project has; --set {k}={keep} keeps them)")
                })
                .collect();
            return Err(Error::Usage(format!(
                "answer these questions first: {}",
                listed.join("; ")
            )));
        };
        let mut asked = asked.clone();
        let mut asked_keys = asked_keys.clone();
        for (key, _, keep) in &must_ask {
            let v = ask(p, req.manifest, key, Some(keep))?;
            asked.push((key.clone(), v));
            asked_keys.insert(key.clone());
        }
        answers = resolver.resolve(&inputs_for(&carried, &asked), None)?;
        fix_origins(&mut answers, &asked_keys);
    }
    for a in &answers.items {
        let change = AnswerChange {
            key: a.key.clone(),
            from: previous.get(&a.key).map(|(v, _)| v.clone()),
            to: a.value.clone(),
            source: a.origin,
        };
        match &change.from {
            None => changes.new.push(change),
            Some(v) if *v != a.value.to_toml() => changes.changed.push(change),
            Some(_) => {}
        }
    }
    Ok((answers, changes))
}

/// Questions whose default (new, or changed since the project was made) drops files the
/// project has, with the default and a value that keeps them.
fn defaults_that_drop_files(
    req: &Request<'_>,
    resolver: &Resolver<'_>,
    answers: &Answers,
    previous: &BTreeMap<String, (toml::Value, String)>,
    keeps: &dyn Fn(&Answers) -> Result<usize>,
    inputs_with: impl Fn(&[(String, String)]) -> AnswerInputs,
) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    let candidates: Vec<_> = answers
        .items
        .iter()
        .filter(|a| matches!(a.origin, Origin::Default | Origin::Config))
        .filter(|a| match previous.get(&a.key) {
            None => true,
            Some((v, _)) => *v != a.value.to_toml(),
        })
        .collect();
    if candidates.is_empty() {
        return Ok(out);
    }
    let kept_now = keeps(answers)?;
    for a in candidates {
        let Some(q) = req.manifest.question(&a.key) else {
            continue;
        };
        let alternatives: Vec<String> = match previous.get(&a.key) {
            Some((old, _)) => vec![flag_text(old)],
            None => match (q.kind, &a.value) {
                (QuestionType::Bool, AnswerValue::Bool(b)) => vec![(!b).to_string()],
                (QuestionType::Choice, AnswerValue::Str(s)) => q
                    .choice_values()
                    .into_iter()
                    .filter(|c| c != s)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            },
        };
        for alt in alternatives {
            let inputs = inputs_with(&[(a.key.clone(), alt.clone())]);
            let Ok(other) = resolver.resolve(&inputs, None) else {
                continue;
            };
            if keeps(&other)? > kept_now {
                out.push((a.key.clone(), a.value.to_flag_text(), alt));
                break;
            }
        }
    }
    Ok(out)
}

/// Asks one question through the prompter; returns the answer as `--set` text.
fn ask(
    p: &mut dyn Prompter,
    manifest: &Manifest,
    key: &str,
    suggested: Option<&str>,
) -> Result<String> {
    let q = manifest
        .question(key)
        .ok_or_else(|| Error::Usage(format!("unknown question `{key}`")))?;
    let default = match suggested {
        Some(text) => Some(parse_text(q, text)?),
        None => None,
    };
    let check = |v: &AnswerValue| check_value(q, v);
    let progress = Progress {
        number: 1,
        total: 1,
        can_go_back: false,
    };
    // One question at a time, with nothing to go back to: a `Back` asks it again.
    loop {
        if let Asked::Value(v) = p.ask(q, default.as_ref(), &check, progress)? {
            return Ok(v.to_flag_text());
        }
    }
}
