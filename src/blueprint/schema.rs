//! A blueprint's questions as JSON Schema (2020-12), so a portal can render the form and
//! check an answers file before calling gogen. Types, choices with descriptions, patterns,
//! ranges, literal defaults and required keys map directly; a `when` condition becomes an
//! `if`/`then`/`else` that requires the answer (or allows it) only when the condition holds.
//!
//! `when` expressions are translated from a small subset of the template language:
//! `key`, `not e`, `e and e`, `e or e`, `(e)`, `key == literal`, `key != literal`,
//! `'value' in key` (multi) and `key in ['a', 'b']`. Anything else is reported by
//! `gogen blueprint lint` and exported as a plain `x-gogen-when` annotation.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::blueprint::manifest::{Manifest, Question, QuestionType, Validator};

pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Strings may never hold a control character (C0, DEL or C1), for every question.
const NO_CONTROL: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// CheckPath as far as a regular expression can say it: a lowercase first element with a dot,
/// elements that neither start nor end with a dot. gogen also applies the rules a pattern
/// cannot (Windows names, major-version suffixes), see `x-gogen-validate`.
const MODULE_PATH: &str = "^(?=[^/]*\\.)[a-z0-9]([a-z0-9.-]*[a-z0-9-])?(/[A-Za-z0-9_~-]([A-Za-z0-9._~-]*[A-Za-z0-9_~-])?)*$";
const PACKAGE_NAME: &str = "^[a-z][a-z0-9]*$";
const IDENTIFIER: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

pub fn answers_schema(manifest: &Manifest) -> Value {
    let defaults: BTreeMap<&str, &Question> = manifest
        .questions
        .iter()
        .map(|q| (q.key.as_str(), q))
        .collect();
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut conditions = Vec::new();
    for q in &manifest.questions {
        properties.insert(q.key.clone(), property(q));
        let must_answer = q.default.is_none();
        match &q.when {
            None => {
                if must_answer {
                    required.push(json!(q.key));
                }
            }
            Some(when) => {
                let mut then = json!({});
                if must_answer {
                    then = json!({ "required": [q.key] });
                }
                let absent = json!({ "properties": { q.key.clone(): false } });
                match translate(when, &defaults) {
                    Ok(condition) => conditions.push(json!({
                        "if": condition,
                        "then": then,
                        "else": absent,
                    })),
                    Err(_) => {
                        // Not expressible: the schema stays permissive for this key.
                    }
                }
            }
        }
    }
    let mut schema = json!({
        "$schema": DIALECT,
        "$id": format!("urn:gogen:blueprint:{}:{}:answers", manifest.name, manifest.version),
        "title": format!("Answers for the {} blueprint {}", manifest.name, manifest.version),
        "description": manifest.description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if !conditions.is_empty() {
        schema["allOf"] = Value::Array(conditions);
    }
    schema
}

fn property(q: &Question) -> Value {
    let mut p = Map::new();
    p.insert("title".into(), json!(q.prompt_text()));
    if let Some(help) = &q.help {
        p.insert("description".into(), json!(help));
    }
    match q.kind {
        QuestionType::String => {
            p.insert("type".into(), json!("string"));
            let mut patterns = vec![json!({ "pattern": NO_CONTROL })];
            for v in &q.validate {
                match v {
                    Validator::GoModulePath => patterns.push(json!({ "pattern": MODULE_PATH })),
                    Validator::GoPackageName => {
                        patterns.push(json!({ "pattern": PACKAGE_NAME }));
                        let mut banned: Vec<&str> = crate::golang::KEYWORDS.to_vec();
                        banned.push("main");
                        patterns.push(json!({ "not": { "enum": banned } }));
                    }
                    Validator::GoIdentifier => {
                        patterns.push(json!({ "pattern": IDENTIFIER }));
                        let mut banned: Vec<&str> = crate::golang::KEYWORDS.to_vec();
                        banned.push("_");
                        patterns.push(json!({ "not": { "enum": banned } }));
                    }
                    Validator::SingleLine => {}
                }
            }
            if let Some(pattern) = &q.pattern {
                patterns.push(json!({ "pattern": pattern }));
            }
            p.insert("allOf".into(), Value::Array(patterns));
            if !q.validate.is_empty() {
                let names: Vec<&str> = q.validate.iter().map(|v| v.as_str()).collect();
                p.insert("x-gogen-validate".into(), json!(names));
            }
        }
        QuestionType::Bool => {
            p.insert("type".into(), json!("boolean"));
        }
        QuestionType::Integer => {
            p.insert("type".into(), json!("integer"));
            if let Some(min) = q.min {
                p.insert("minimum".into(), json!(min));
            }
            if let Some(max) = q.max {
                p.insert("maximum".into(), json!(max));
            }
        }
        QuestionType::Choice => {
            p.insert("type".into(), json!("string"));
            p.insert("oneOf".into(), choices(q));
        }
        QuestionType::Multi => {
            p.insert("type".into(), json!("array"));
            p.insert("items".into(), json!({ "oneOf": choices(q) }));
            p.insert("uniqueItems".into(), json!(true));
        }
    }
    match &q.default {
        Some(toml::Value::String(s)) if s.contains('{') => {
            p.insert("x-gogen-default".into(), json!(s));
        }
        Some(d) => {
            p.insert("default".into(), toml_to_json(d));
        }
        None => {}
    }
    if let Some(when) = &q.when {
        p.insert("x-gogen-when".into(), json!(when));
    }
    Value::Object(p)
}

fn choices(q: &Question) -> Value {
    Value::Array(
        q.choices
            .iter()
            .map(|c| {
                let mut o = Map::new();
                o.insert("const".into(), json!(c.value()));
                o.insert("title".into(), json!(c.value()));
                if let Some(h) = c.help() {
                    o.insert("description".into(), json!(h));
                }
                Value::Object(o)
            })
            .collect(),
    )
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        other => json!(other.to_string()),
    }
}

// ---- `when` → schema -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Int(i64),
    Bool(bool),
    Eq,
    Ne,
    In,
    And,
    Or,
    Not,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Token::LParen);
                i += 1;
            }
            ')' => {
                out.push(Token::RParen);
                i += 1;
            }
            '[' => {
                out.push(Token::LBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::RBracket);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '=' | '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(if c == '=' { Token::Eq } else { Token::Ne });
                i += 2;
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .ok_or("unterminated string")?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                if text.contains('\\') {
                    return Err("escapes in strings are not supported".into());
                }
                out.push(Token::Str(text));
                i += end + 2;
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token::Int(
                    text.parse().map_err(|_| format!("bad number {text}"))?,
                ));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(match word.as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "in" => Token::In,
                    "true" | "True" => Token::Bool(true),
                    "false" | "False" => Token::Bool(false),
                    _ => Token::Ident(word),
                });
            }
            other => return Err(format!("unsupported character {other:?}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    questions: &'a BTreeMap<&'a str, &'a Question>,
}

/// Translates a `when` expression into a schema condition over an answers object,
/// counting an absent key as its default (what gogen does).
pub fn translate(expr: &str, questions: &BTreeMap<&str, &Question>) -> Result<Value, String> {
    let mut p = Parser {
        tokens: tokenize(expr)?,
        pos: 0,
        questions,
    };
    let v = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(format!("unexpected {:?}", p.tokens[p.pos]));
    }
    Ok(v)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Value, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            json!({ "anyOf": parts })
        })
    }

    fn and(&mut self) -> Result<Value, String> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            json!({ "allOf": parts })
        })
    }

    fn not(&mut self) -> Result<Value, String> {
        if self.peek() == Some(&Token::Not) {
            self.pos += 1;
            return Ok(json!({ "not": self.not()? }));
        }
        self.comparison()
    }

    fn question(&self, key: &str) -> Result<&Question, String> {
        self.questions
            .get(key)
            .copied()
            .ok_or_else(|| format!("`{key}` is not a question"))
    }

    fn literal(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(json!(s)),
            Some(Token::Int(i)) => Ok(json!(i)),
            Some(Token::Bool(b)) => Ok(json!(b)),
            other => Err(format!("expected a literal, found {other:?}")),
        }
    }

    fn comparison(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::LParen) => {
                let v = self.or()?;
                match self.next() {
                    Some(Token::RParen) => Ok(v),
                    other => Err(format!("expected `)`, found {other:?}")),
                }
            }
            Some(Token::Ident(key)) => {
                let q = self.question(&key)?.clone();
                match self.peek() {
                    Some(Token::Eq) | Some(Token::Ne) => {
                        let negate = self.next() == Some(Token::Ne);
                        let value = self.literal()?;
                        let eq = equals(&q, &value)?;
                        Ok(if negate { json!({ "not": eq }) } else { eq })
                    }
                    Some(Token::In) => {
                        self.pos += 1;
                        if self.next() != Some(Token::LBracket) {
                            return Err("expected a list after `in`".into());
                        }
                        let mut options = Vec::new();
                        loop {
                            options.push(equals(&q, &self.literal()?)?);
                            match self.next() {
                                Some(Token::Comma) => continue,
                                Some(Token::RBracket) => break,
                                other => {
                                    return Err(format!("expected `,` or `]`, found {other:?}"));
                                }
                            }
                        }
                        Ok(json!({ "anyOf": options }))
                    }
                    _ => truthy(&q),
                }
            }
            Some(Token::Str(item)) => {
                if self.next() != Some(Token::In) {
                    return Err("a string must be followed by `in <multi question>`".into());
                }
                let key = match self.next() {
                    Some(Token::Ident(k)) => k,
                    other => {
                        return Err(format!("expected a question after `in`, found {other:?}"));
                    }
                };
                let q = self.question(&key)?.clone();
                if q.kind != QuestionType::Multi {
                    return Err(format!("`'{item}' in {key}` needs a multi question"));
                }
                let contains =
                    json!({ "properties": { key.clone(): { "contains": { "const": item } } } });
                let default_has = matches!(&q.default, Some(toml::Value::Array(a)) if a.iter().any(|v| v.as_str() == Some(item.as_str())));
                Ok(present_or_default(&key, contains, default_has))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// `key == value`, where an absent key means its default.
fn equals(q: &Question, value: &Value) -> Result<Value, String> {
    let default = match &q.default {
        Some(toml::Value::String(s)) if s.contains('{') => {
            return Err(format!(
                "`{}` has a templated default, so its absent value is unknown to a schema",
                q.key
            ));
        }
        Some(d) => Some(toml_to_json(d)),
        None => None,
    };
    let test = json!({ "properties": { q.key.clone(): { "const": value } } });
    Ok(present_or_default(
        &q.key,
        test,
        default.as_ref() == Some(value),
    ))
}

fn truthy(q: &Question) -> Result<Value, String> {
    match q.kind {
        QuestionType::Bool => equals(q, &json!(true)),
        QuestionType::String | QuestionType::Choice => Ok(json!({ "not": equals(q, &json!(""))? })),
        QuestionType::Integer => Ok(json!({ "not": equals(q, &json!(0))? })),
        QuestionType::Multi => {
            let test = json!({ "properties": { q.key.clone(): { "minItems": 1 } } });
            let default_non_empty =
                matches!(&q.default, Some(toml::Value::Array(a)) if !a.is_empty());
            Ok(present_or_default(&q.key, test, default_non_empty))
        }
    }
}

/// The condition holds when the key is present and passes `test`, or is absent and its
/// default would pass.
fn present_or_default(key: &str, test: Value, default_passes: bool) -> Value {
    if default_passes {
        json!({ "anyOf": [ { "not": { "required": [key] } }, test ] })
    } else {
        json!({ "allOf": [ { "required": [key] }, test ] })
    }
}

/// Why a `when` expression cannot become a schema condition, if it cannot.
pub fn untranslatable(manifest: &Manifest, expr: &str) -> Option<String> {
    untranslatable_among(&questions_by_key(manifest), expr)
}

/// The questions by key, built once for many `untranslatable_among` calls.
pub fn questions_by_key(manifest: &Manifest) -> BTreeMap<&str, &Question> {
    manifest
        .questions
        .iter()
        .map(|q| (q.key.as_str(), q))
        .collect()
}

pub fn untranslatable_among(questions: &BTreeMap<&str, &Question>, expr: &str) -> Option<String> {
    translate(expr, questions).err()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
name = "t"
version = "1.0.0"
description = "t"
[[question]]
key = "module"
validate = ["go_module_path"]
[[question]]
key = "docker"
type = "bool"
default = true
[[question]]
key = "image"
when = "docker"
[[question]]
key = "db"
type = "choice"
default = "sqlite"
choices = ["sqlite", { value = "postgres", help = "pgx" }]
[[question]]
key = "pool"
type = "integer"
default = 4
min = 1
when = "db == 'postgres' and not docker"
[[question]]
key = "extras"
type = "multi"
default = ["ci"]
choices = ["ci", "k8s"]
[[question]]
key = "replicas"
type = "integer"
default = 2
when = "'k8s' in extras or db in ['postgres']"
"#;

    #[test]
    fn maps_types_choices_defaults_and_required() {
        let m = Manifest::parse(MANIFEST).unwrap();
        let s = answers_schema(&m);
        assert_eq!(s["$schema"], DIALECT);
        assert_eq!(s["required"], json!(["module"]));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["properties"]["docker"]["type"], "boolean");
        assert_eq!(s["properties"]["docker"]["default"], true);
        assert_eq!(s["properties"]["db"]["oneOf"][1]["const"], "postgres");
        assert_eq!(s["properties"]["db"]["oneOf"][1]["description"], "pgx");
        assert_eq!(s["properties"]["pool"]["minimum"], 1);
        assert_eq!(s["properties"]["extras"]["uniqueItems"], true);
        // Three questions have `when`, all translatable.
        assert_eq!(s["allOf"].as_array().unwrap().len(), 3);
        // `image` has no default, so it is required exactly when docker holds.
        assert_eq!(s["allOf"][0]["then"], json!({ "required": ["image"] }));
        assert_eq!(
            s["allOf"][0]["else"],
            json!({ "properties": { "image": false } })
        );
    }

    #[test]
    fn untranslatable_conditions_are_reported() {
        let m = Manifest::parse(MANIFEST).unwrap();
        for (give, want) in [
            ("module | length > 3", "unsupported character"),
            ("nope", "not a question"),
            ("'x' in db", "multi"),
            ("db == ", "expected a literal"),
        ] {
            let err = untranslatable(&m, give).expect(give);
            assert!(err.contains(want), "{give}: {err}");
        }
        assert_eq!(
            untranslatable(&m, "docker and (db != 'sqlite' or not docker)"),
            None
        );
    }
}
