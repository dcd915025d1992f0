//! The exported JSON Schema and gogen agree on answers files: an independent validator
//! (the `jsonschema` crate) and gogen's own resolution accept and refuse the same files.

use std::path::Path;

use gogen::answers::{AnswerInputs, AnswersFile, Resolver};
use gogen::blueprint::manifest::{Question, QuestionType, Validator};
use gogen::generate::{self, Context};
use serde_json::{Map, Value, json};

use crate::util::*;

/// Values to try for a question: some it must accept, some it must refuse.
fn candidates(q: &Question) -> Vec<Value> {
    match q.kind {
        QuestionType::Bool => vec![json!(true), json!(false), json!("yes"), json!(1)],
        QuestionType::Integer => {
            let mut v = vec![json!(1), json!("3"), json!(2.5)];
            for bound in [q.min, q.max].into_iter().flatten() {
                v.extend([json!(bound), json!(bound - 1), json!(bound + 1)]);
            }
            v
        }
        QuestionType::Choice => {
            let mut v: Vec<Value> = q.choice_values().into_iter().map(|c| json!(c)).collect();
            v.extend([json!("not-a-choice"), json!(""), json!(true)]);
            v
        }
        QuestionType::Multi => {
            let all: Vec<&str> = q.choice_values();
            let mut v = vec![json!([]), json!([all[0]]), json!(all), json!(["nope"])];
            v.push(json!([all[0], all[0]]));
            v.push(json!(all[0]));
            v
        }
        QuestionType::String => {
            let mut v = vec![
                json!("plain text"),
                json!("line\nbreak"),
                json!("tab\there"),
                json!(7),
            ];
            if q.validate.contains(&Validator::GoModulePath) {
                v.extend([
                    json!("example.com/acme/svc"),
                    json!("github.com/BurntSushi/toml"),
                    json!("Example.com/x"),
                    json!("example/x"),
                    json!("x.y/.hidden"),
                    json!("x.y/z."),
                    json!("-x.com/y"),
                ]);
            }
            if q.validate.contains(&Validator::GoPackageName) {
                v.extend([
                    json!("svc"),
                    json!("svc2"),
                    json!("func"),
                    json!("main"),
                    json!("My-Svc"),
                    json!("9x"),
                ]);
            }
            if q.validate.contains(&Validator::GoIdentifier) {
                v.extend([json!("Name"), json!("_x"), json!("type"), json!("1x")]);
            }
            if let Some(p) = &q.pattern {
                let _ = p;
                v.extend([
                    json!("Hello"),
                    json!("hello, world!"),
                    json!("1abc"),
                    json!(""),
                ]);
            }
            v
        }
    }
}

fn base_answers(manifest: &gogen::blueprint::manifest::Manifest) -> Map<String, Value> {
    let case = &manifest.tests[0];
    case.answers
        .iter()
        .map(|(k, v)| {
            let j = match v {
                toml::Value::String(s) => json!(s),
                toml::Value::Integer(i) => json!(i),
                toml::Value::Boolean(b) => json!(b),
                toml::Value::Array(a) => {
                    json!(a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>())
                }
                other => json!(other.to_string()),
            };
            (k.clone(), j)
        })
        .collect()
}

fn agree_on(reference: &str) -> usize {
    let ctx = Context::default();
    let (bp, renderer) = generate::load(&ctx, reference).unwrap();
    let schema = gogen::blueprint::schema::answers_schema(&bp.manifest);
    let validator =
        jsonschema::draft202012::new(&schema).expect("the exported schema is valid 2020-12");
    let base = base_answers(&bp.manifest);
    let mut files = vec![Map::new(), base.clone()];
    for q in &bp.manifest.questions {
        let mut without = base.clone();
        without.remove(&q.key);
        files.push(without);
        for value in candidates(q) {
            let mut with = base.clone();
            with.insert(q.key.clone(), value);
            files.push(with);
        }
        // Pairs: this question's candidates with every choice of each choice/bool question.
        for other in &bp.manifest.questions {
            if other.key == q.key
                || !matches!(other.kind, QuestionType::Bool | QuestionType::Choice)
            {
                continue;
            }
            for v in candidates(other).into_iter().take(3) {
                for mine in candidates(q).into_iter().take(2) {
                    let mut pair = base.clone();
                    pair.insert(other.key.clone(), v.clone());
                    pair.insert(q.key.clone(), mine);
                    files.push(pair);
                }
            }
        }
    }
    files.push({
        let mut unknown = base.clone();
        unknown.insert("no_such_question".into(), json!(1));
        unknown
    });
    let resolver = Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    };
    let mut disagreements = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for doc in &files {
        let text = Value::Object(doc.clone()).to_string();
        let schema_ok = validator.is_valid(&Value::Object(doc.clone()));
        let gogen_ok =
            AnswersFile::parse(Path::new("answers.json"), &text, true).and_then(|file| {
                resolver.resolve(
                    &AnswerInputs {
                        file: Some(file),
                        ..AnswerInputs::default()
                    },
                    None,
                )
            });
        if schema_ok != gogen_ok.is_ok() {
            disagreements.push(format!(
                "{text}\n  schema: {schema_ok}, gogen: {:?}",
                gogen_ok.map(|_| ()).map_err(|e| e.to_string())
            ));
        }
        if schema_ok {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        disagreements.is_empty(),
        "{reference}: {} of {} answer files disagree:\n{}",
        disagreements.len(),
        files.len(),
        disagreements.join("\n")
    );
    assert!(
        accepted > 5 && refused > 5,
        "{reference}: a one-sided corpus proves nothing"
    );
    eprintln!("{reference}: {accepted} accepted, {refused} refused, all agreed");
    files.len()
}

#[test]
fn schema_and_gogen_agree_on_the_example_blueprint() {
    assert!(agree_on(&hello_blueprint()) > 50);
}

#[test]
fn schema_and_gogen_agree_on_every_built_in_blueprint() {
    for name in gogen::blueprint::built_in_names() {
        agree_on(&name);
    }
}

#[test]
fn info_schema_prints_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gogen(tmp.path())
        .args(["info", &hello_blueprint(), "--schema"])
        .assert()
        .code(0);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        doc["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(doc["required"], json!(["module"]));
    assert_eq!(
        doc["properties"]["style"]["oneOf"][1]["description"],
        "a JSON object per greeting"
    );
}
