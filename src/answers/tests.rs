use std::collections::VecDeque;
use std::path::Path;

use super::*;
use crate::blueprint::test_blueprint;

const MANIFEST: &str = r#"
name = "t"
version = "0.1.0"
description = "t"
[[question]]
key = "module"
validate = ["go_module_path"]
[[question]]
key = "project_name"
default = "{{ module | module_base }}"
validate = ["go_package_name"]
[[question]]
key = "db"
type = "choice"
default = "sqlite"
choices = ["sqlite", "postgres"]
[[question]]
key = "pool"
type = "integer"
default = 4
min = 1
max = 64
when = "db == 'postgres'"
[[question]]
key = "docker"
type = "bool"
default = true
[[question]]
key = "extras"
type = "multi"
default = []
choices = ["ci", "k8s"]
[[question]]
key = "slug"
default = "svc"
pattern = '^[a-z]+$'
"#;

fn resolve(inputs: &AnswerInputs) -> Result<Answers> {
    resolve_with(inputs, None)
}

fn resolve_with(inputs: &AnswerInputs, prompter: Option<&mut dyn Prompter>) -> Result<Answers> {
    let bp = test_blueprint(MANIFEST, &[]);
    let renderer = Renderer::new(&bp);
    Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    }
    .resolve(inputs, prompter)
}

fn sets(pairs: &[(&str, &str)]) -> AnswerInputs {
    AnswerInputs {
        sets: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..AnswerInputs::default()
    }
}

fn with_file(mut inputs: AnswerInputs, toml_text: &str) -> AnswerInputs {
    inputs.file = Some(AnswersFile::parse(Path::new("answers.toml"), toml_text, false).unwrap());
    inputs
}

#[test]
fn defaults_derive_from_earlier_answers() {
    let a = resolve(&sets(&[("module", "example.com/acme/users/v2")])).unwrap();
    assert_eq!(
        a.get("project_name"),
        Some(&AnswerValue::Str("users".into()))
    );
    assert_eq!(a.get("db"), Some(&AnswerValue::Str("sqlite".into())));
    assert_eq!(a.get("docker"), Some(&AnswerValue::Bool(true)));
    let origins: Vec<Origin> = a.items.iter().map(|i| i.origin).collect();
    assert_eq!(origins[0], Origin::Flag);
    assert_eq!(origins[1], Origin::Default);
}

#[test]
fn flag_wins_over_file_and_file_over_default() {
    let inputs = with_file(
        sets(&[("module", "example.com/x"), ("db", "postgres")]),
        "db = \"sqlite\"\nslug = \"fromfile\"\nmodule = \"example.com/y\"",
    );
    let a = resolve(&inputs).unwrap();
    assert_eq!(a.get("db"), Some(&AnswerValue::Str("postgres".into())));
    assert_eq!(
        a.get("module"),
        Some(&AnswerValue::Str("example.com/x".into()))
    );
    assert_eq!(a.get("slug"), Some(&AnswerValue::Str("fromfile".into())));
    let slug = a.items.iter().find(|i| i.key == "slug").unwrap();
    assert_eq!(slug.origin, Origin::File);
}

#[test]
fn a_later_set_for_the_same_key_wins() {
    let a = resolve(&sets(&[
        ("module", "example.com/x"),
        ("slug", "one"),
        ("slug", "two"),
    ]))
    .unwrap();
    assert_eq!(a.get("slug"), Some(&AnswerValue::Str("two".into())));
}

#[test]
fn when_false_gives_the_zero_value_and_refuses_an_answer() {
    let a = resolve(&sets(&[("module", "example.com/x")])).unwrap();
    let pool = a.items.iter().find(|i| i.key == "pool").unwrap();
    assert_eq!(
        (pool.value.clone(), pool.origin),
        (AnswerValue::Int(0), Origin::Skipped)
    );

    let err = resolve(&sets(&[("module", "example.com/x"), ("pool", "8")])).unwrap_err();
    assert!(
        matches!(err, Error::AnswerNotApplicable { ref key, .. } if key == "pool"),
        "{err}"
    );

    let a = resolve(&sets(&[
        ("module", "example.com/x"),
        ("db", "postgres"),
        ("pool", "8"),
    ]))
    .unwrap();
    assert_eq!(a.get("pool"), Some(&AnswerValue::Int(8)));
}

#[test]
fn invalid_values_name_the_key_and_the_rule() {
    let tests = [
        (
            vec![("module", "Example.com/x")],
            "module",
            "go_module_path",
        ),
        (
            vec![("module", "example.com/x\nreplace a => ../b")],
            "module",
            "control",
        ),
        (
            vec![("module", "example.com/x"), ("db", "mysql")],
            "db",
            "one of: sqlite, postgres",
        ),
        (
            vec![("module", "example.com/x"), ("docker", "maybe")],
            "docker",
            "true or false",
        ),
        (
            vec![
                ("module", "example.com/x"),
                ("db", "postgres"),
                ("pool", "0"),
            ],
            "pool",
            "at least 1",
        ),
        (
            vec![
                ("module", "example.com/x"),
                ("db", "postgres"),
                ("pool", "65"),
            ],
            "pool",
            "at most 64",
        ),
        (
            vec![
                ("module", "example.com/x"),
                ("db", "postgres"),
                ("pool", "x"),
            ],
            "pool",
            "whole number",
        ),
        (
            vec![("module", "example.com/x"), ("extras", "ci,helm")],
            "extras",
            "not a choice",
        ),
        (
            vec![("module", "example.com/x"), ("extras", "ci,ci")],
            "extras",
            "twice",
        ),
        (
            vec![("module", "example.com/x"), ("slug", "Bad")],
            "slug",
            "pattern",
        ),
        (
            vec![("module", "example.com/x"), ("project_name", "func")],
            "project_name",
            "go_package_name",
        ),
    ];
    for (give, want_key, want_rule) in tests {
        let err = resolve(&sets(&give)).unwrap_err();
        match &err {
            Error::InvalidAnswer { key, rule, .. } => {
                assert_eq!(key, want_key, "{give:?}");
                assert!(rule.contains(want_rule), "{give:?}: {rule}");
            }
            other => panic!("{give:?}: unexpected {other}"),
        }
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
    }
}

#[test]
fn a_derived_default_that_fails_says_it_was_derived() {
    let err = resolve(&sets(&[("module", "example.com/9lives")])).unwrap_err();
    match err {
        Error::InvalidAnswer { key, hint, .. } => {
            assert_eq!(key, "project_name");
            assert!(hint.contains("--set project_name="), "{hint}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn unknown_keys_are_errors_with_a_suggestion() {
    let err = resolve(&sets(&[("module", "example.com/x"), ("dockr", "true")])).unwrap_err();
    match err {
        Error::UnknownAnswerKey {
            key, suggestion, ..
        } => {
            assert_eq!(key, "dockr");
            assert_eq!(suggestion.as_deref(), Some("docker"));
        }
        other => panic!("{other}"),
    }
    let err = resolve(&with_file(
        sets(&[]),
        "module = \"example.com/x\"\nnope = 1",
    ))
    .unwrap_err();
    assert!(
        matches!(err, Error::UnknownAnswerKey { ref key, .. } if key == "nope"),
        "{err}"
    );
}

#[test]
fn all_missing_answers_are_listed_at_once() {
    const TWO_REQUIRED: &str = r#"
name = "t"
version = "0.1.0"
description = "t"
[[question]]
key = "module"
validate = ["go_module_path"]
[[question]]
key = "project_name"
default = "{{ module | module_base }}"
[[question]]
key = "owner"
[[question]]
key = "holder"
default = "The {{ project_name }} authors"
[[question]]
key = "docs"
type = "bool"
default = true
when = "holder != ''"
"#;
    let bp = test_blueprint(TWO_REQUIRED, &[]);
    let renderer = Renderer::new(&bp);
    let err = Resolver {
        manifest: &bp.manifest,
        renderer: &renderer,
    }
    .resolve(&AnswerInputs::default(), None)
    .unwrap_err();
    match &err {
        Error::MissingAnswers { missing } => {
            let keys: Vec<&str> = missing.iter().map(|m| m.key.as_str()).collect();
            assert_eq!(keys, vec!["module", "owner"]);
        }
        other => panic!("{other}"),
    }
    let help = format!("{:?}", miette::Report::new(err));
    assert!(
        help.contains("--set module=github.com/acme/example"),
        "{help}"
    );
}

#[test]
fn file_values_must_have_the_question_type() {
    let tests = [
        ("docker = \"yes\"", "true or false"),
        ("extras = \"ci\"", "list of strings"),
        ("extras = [1]", "list of strings"),
        ("slug = 3", "a string"),
        ("slug = 1.5", "a string"),
    ];
    for (give, want) in tests {
        let inputs = with_file(sets(&[("module", "example.com/x")]), give);
        let err = resolve(&inputs).unwrap_err();
        assert!(err.to_string().contains(want), "{give}: {err}");
    }
}

#[test]
fn json_answer_files_work_like_toml() {
    let file = AnswersFile::parse(
        Path::new("a.json"),
        r#"{"module": "example.com/x", "docker": false, "extras": ["k8s"]}"#,
        true,
    )
    .unwrap();
    let a = resolve(&AnswerInputs {
        file: Some(file),
        ..AnswerInputs::default()
    })
    .unwrap();
    assert_eq!(a.get("docker"), Some(&AnswerValue::Bool(false)));
    assert_eq!(
        a.get("extras"),
        Some(&AnswerValue::List(vec!["k8s".into()]))
    );
    for bad in ["[1, 2]", "{", "{\"module\": null}"] {
        let parsed = AnswersFile::parse(Path::new("a.json"), bad, true).and_then(|f| {
            resolve(&AnswerInputs {
                file: Some(f),
                ..AnswerInputs::default()
            })
        });
        assert!(parsed.is_err(), "{bad}");
    }
}

#[test]
fn set_parsing_splits_on_the_first_equals() {
    assert_eq!(parse_set("a=b=c").unwrap(), ("a".into(), "b=c".into()));
    assert_eq!(parse_set("a=").unwrap(), ("a".into(), "".into()));
    assert!(matches!(parse_set("foo"), Err(Error::BadSet { .. })));
    assert!(matches!(parse_set("=x"), Err(Error::BadSet { .. })));
}

/// Answers questions from a script, recording what it was asked; rejects like a terminal would.
#[derive(Default)]
struct Scripted {
    replies: VecDeque<AnswerValue>,
    asked: Vec<String>,
    progress: Vec<Progress>,
}

impl Prompter for Scripted {
    fn ask(
        &mut self,
        q: &Question,
        default: Option<&AnswerValue>,
        check: &dyn Fn(&AnswerValue) -> std::result::Result<(), String>,
        progress: Progress,
    ) -> Result<Asked> {
        self.asked.push(q.key.clone());
        self.progress.push(progress);
        loop {
            let reply = self.replies.pop_front().or_else(|| default.cloned());
            let Some(v) = reply else {
                return Err(Error::Interrupted);
            };
            if v == AnswerValue::Str("<back>".into()) {
                return Ok(Asked::Back);
            }
            if check(&v).is_ok() {
                return Ok(Asked::Value(v));
            }
        }
    }
}

#[test]
fn prompts_ask_only_what_is_missing_and_reask_on_invalid_input() {
    let mut p = Scripted {
        replies: VecDeque::from([
            AnswerValue::Str("not a module".into()),
            AnswerValue::Str("example.com/acme/shop".into()),
        ]),
        ..Scripted::default()
    };
    let a = resolve_with(&sets(&[("db", "postgres")]), Some(&mut p)).unwrap();
    assert_eq!(
        a.get("module"),
        Some(&AnswerValue::Str("example.com/acme/shop".into()))
    );
    assert_eq!(
        a.get("project_name"),
        Some(&AnswerValue::Str("shop".into()))
    );
    // db came from a flag, so it was not asked; pool was asked because db is postgres.
    assert_eq!(
        p.asked,
        vec!["module", "project_name", "pool", "docker", "extras", "slug"]
    );
}

#[test]
fn back_returns_to_the_previous_prompt_with_its_answer_offered_and_progress_counts() {
    let back = || AnswerValue::Str("<back>".into());
    let mut p = Scripted {
        replies: VecDeque::from([
            AnswerValue::Str("example.com/acme/shop".into()),
            // project_name: go back to module and change it.
            back(),
            AnswerValue::Str("example.com/acme/store".into()),
        ]),
        ..Scripted::default()
    };
    let a = resolve_with(&sets(&[("db", "postgres")]), Some(&mut p)).unwrap();
    assert_eq!(
        a.get("module"),
        Some(&AnswerValue::Str("example.com/acme/store".into()))
    );
    // The derived default follows the new module.
    assert_eq!(
        a.get("project_name"),
        Some(&AnswerValue::Str("store".into()))
    );
    assert_eq!(&p.asked[..3], ["module", "project_name", "module"]);
    // db came from a flag, so 6 of the 7 questions can be asked.
    let numbers: Vec<(usize, usize, bool)> = p
        .progress
        .iter()
        .map(|g| (g.number, g.total, g.can_go_back))
        .collect();
    assert_eq!(numbers[0], (1, 6, false));
    assert_eq!(numbers[1], (2, 6, true));
    assert_eq!(numbers[2], (1, 6, false));
}

fn org(text: &str) -> crate::config::OrgConfig {
    crate::config::OrgConfig::parse(Path::new("/etc/gogen/config.toml"), text).unwrap()
}

#[test]
fn org_defaults_presets_and_locks_take_their_places() {
    let mut inputs = sets(&[("module", "example.com/x")]);
    inputs.org = org(r#"
[defaults]
db = "postgres"
slug = "{{ project_name }}api"
unrelated_key = "ignored: other blueprints ask it"
[locked]
docker = false
[presets.prod]
answers = { pool = 32, slug = "prodapi" }
"#);
    let a = resolve(&inputs).unwrap();
    let origin = |k: &str| a.items.iter().find(|i| i.key == k).unwrap().origin;
    assert_eq!(a.get("db"), Some(&AnswerValue::Str("postgres".into())));
    assert_eq!(origin("db"), Origin::Config);
    assert_eq!(a.get("slug"), Some(&AnswerValue::Str("xapi".into())));
    assert_eq!(a.get("docker"), Some(&AnswerValue::Bool(false)));
    assert_eq!(origin("docker"), Origin::Locked);

    inputs.preset = Some(inputs.org.presets["prod"].clone());
    let a = resolve(&inputs).unwrap();
    assert_eq!(a.get("pool"), Some(&AnswerValue::Int(32)));
    assert_eq!(a.get("slug"), Some(&AnswerValue::Str("prodapi".into())));
    let origin = |k: &str| a.items.iter().find(|i| i.key == k).unwrap().origin;
    assert_eq!(origin("pool"), Origin::Preset);

    // A flag beats the preset; the preset beats the org default.
    inputs.sets.push(("slug".into(), "flagapi".into()));
    let a = resolve(&inputs).unwrap();
    assert_eq!(a.get("slug"), Some(&AnswerValue::Str("flagapi".into())));
}

#[test]
fn locked_values_cannot_be_changed_by_any_source() {
    let base = || {
        let mut inputs = sets(&[("module", "example.com/x")]);
        inputs.org = org("[locked]\ndocker = false\n[presets.p]\nanswers = { docker = true }\n");
        inputs
    };
    let mut by_flag = base();
    by_flag.sets.push(("docker".into(), "true".into()));
    let mut by_file = with_file(base(), "docker = true");
    by_file.sets.clear();
    by_file.sets.push(("module".into(), "example.com/x".into()));
    let mut by_preset = base();
    by_preset.preset = Some(by_preset.org.presets["p"].clone());
    for (inputs, want_origin) in [
        (by_flag, "--set"),
        (by_file, "answers.toml"),
        (by_preset, "preset `p`"),
    ] {
        match resolve(&inputs).unwrap_err() {
            Error::Locked {
                key, by, origin, ..
            } => {
                assert_eq!(key, "docker");
                assert_eq!(by, "/etc/gogen/config.toml");
                assert_eq!(origin, want_origin);
            }
            other => panic!("{other}"),
        }
    }
    // Repeating the locked value is fine.
    let mut same = base();
    same.sets.push(("docker".into(), "false".into()));
    assert!(resolve(&same).is_ok());
}

#[test]
fn a_preset_naming_an_unknown_key_is_an_error() {
    let mut inputs = sets(&[("module", "example.com/x")]);
    inputs.org = org("[presets.p]\nanswers = { dokcer = true }\n");
    inputs.preset = Some(inputs.org.presets["p"].clone());
    match resolve(&inputs).unwrap_err() {
        Error::UnknownAnswerKey {
            key,
            origin,
            suggestion,
        } => {
            assert_eq!((key.as_str(), origin.as_str()), ("dokcer", "preset `p`"));
            assert_eq!(suggestion.as_deref(), Some("docker"));
        }
        other => panic!("{other}"),
    }
}
