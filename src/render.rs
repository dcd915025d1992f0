//! The template engine as gogen configures it: minijinja with strict undefined, no
//! auto-escaping, Go-aware filters, and a loader that only sees the blueprint's own
//! in-memory files and the shared layers. Nothing here can read the filesystem, the
//! environment or run a process.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use crate::blueprint::{Blueprint, FileTree, SHARED_DIR};
use crate::error::{Error, Result, TemplateDiag};
use crate::golang;
use crate::manifest::Syntax;

/// Fuel for one render of an untrusted (folder) blueprint: plenty for real templates,
/// far too little for a `range(100000)` nest.
const UNTRUSTED_FUEL: u64 = 20_000_000;
/// Largest output of one rendered file; bigger means a runaway template.
pub const MAX_RENDERED_BYTES: usize = 8 * 1024 * 1024;

pub struct Renderer {
    default_env: Environment<'static>,
    square_env: Environment<'static>,
}

/// The variables a template sees.
pub type Context = BTreeMap<String, Value>;

impl Renderer {
    pub fn new(blueprint: &Blueprint) -> Self {
        let untrusted = !blueprint.origin.is_trusted();
        let make = |syntax: Syntax| {
            build_env(
                syntax,
                blueprint.files.clone(),
                blueprint.shared.clone(),
                untrusted,
            )
        };
        Renderer {
            default_env: make(Syntax::Default),
            square_env: make(Syntax::Square),
        }
    }

    fn env(&self, syntax: Syntax) -> &Environment<'static> {
        match syntax {
            Syntax::Default => &self.default_env,
            Syntax::Square => &self.square_env,
        }
    }

    /// Renders a template file of the blueprint (`template/...`) or of a layer (`_shared/...`).
    pub fn render_file(&self, name: &str, syntax: Syntax, ctx: &Context) -> Result<String> {
        let env = self.env(syntax);
        let out = guard(name, || {
            let template = env.get_template(name)?;
            template.render(Value::from(ctx.clone()))
        })?;
        check_size(name, out)
    }

    /// Renders a short template string (a path component or a default), naming it `name` in errors.
    pub fn render_str(&self, name: &str, source: &str, ctx: &Context) -> Result<String> {
        if !source.contains(['{', '[']) {
            return Ok(source.to_string());
        }
        let env = &self.default_env;
        let out = guard(name, || {
            env.render_named_str(name, source, Value::from(ctx.clone()))
        })?;
        check_size(name, out)
    }

    /// Evaluates a `when` expression to a boolean.
    pub fn eval_condition(&self, name: &str, expr: &str, ctx: &Context) -> Result<bool> {
        let env = &self.default_env;
        guard(name, || {
            let compiled = env.compile_expression(expr)?;
            Ok(compiled.eval(Value::from(ctx.clone()))?.is_true())
        })
    }

    /// Variables a template source reads (excluding what it defines itself), for lint.
    /// Fails with the syntax error if the source does not parse.
    pub fn variables_in(
        &self,
        source: &str,
        syntax: Syntax,
    ) -> std::result::Result<Vec<String>, String> {
        let env = self.env(syntax);
        let template = env
            .template_from_str(source)
            .map_err(|e| TemplateDiag::from_minijinja(&e, "template").message)?;
        let mut vars: Vec<String> = template.undeclared_variables(false).into_iter().collect();
        vars.sort();
        Ok(vars)
    }

    /// Variables an expression reads, for manifest checks.
    pub fn expression_variables(&self, expr: &str) -> std::result::Result<Vec<String>, String> {
        let compiled = self
            .default_env
            .compile_expression(expr)
            .map_err(|e| e.to_string())?;
        let mut vars: Vec<String> = compiled.undeclared_variables(false).into_iter().collect();
        vars.sort();
        Ok(vars)
    }
}

fn check_size(name: &str, out: String) -> Result<String> {
    if out.len() > MAX_RENDERED_BYTES {
        return Err(Error::LimitExceeded {
            limit: format!(
                "{name} rendered to more than {MAX_RENDERED_BYTES} bytes; a template is running away"
            ),
        });
    }
    Ok(out)
}

/// Runs a render, turning minijinja errors into diagnostics and engine panics into errors.
fn guard<T>(name: &str, f: impl FnOnce() -> std::result::Result<T, minijinja::Error>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            if e.kind() == ErrorKind::OutOfFuel {
                return Err(Error::LimitExceeded {
                    limit: format!("{name}: the template used up its rendering budget (fuel)"),
                });
            }
            Err(TemplateDiag::from_minijinja(&e, name).into())
        }
        Err(_) => Err(Error::Blueprint {
            blueprint: name.to_string(),
            message: "the template engine panicked while rendering this file".into(),
        }),
    }
}

fn syntax_config(syntax: Syntax) -> SyntaxConfig {
    let mut builder = SyntaxConfig::builder();
    builder
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    if syntax == Syntax::Square {
        builder
            .variable_delimiters("[[", "]]")
            .block_delimiters("[%", "%]")
            .comment_delimiters("[#", "#]");
    }
    builder
        .build()
        .expect("gogen's fixed delimiter sets are valid")
}

/// A template name is a `/`-separated path inside the blueprint or the shared folder.
/// Anything that could climb out (`..`, absolute, backslashes) is refused.
pub fn is_safe_template_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains(['\\', '\0'])
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

fn build_env(
    syntax: Syntax,
    files: Arc<FileTree>,
    shared: Arc<FileTree>,
    untrusted: bool,
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_syntax(syntax_config(syntax));
    env.set_debug(true);
    if untrusted {
        env.set_fuel(Some(UNTRUSTED_FUEL));
    }
    env.set_loader(move |name: &str| {
        if !is_safe_template_name(name) {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("template name {name:?} is not a path inside the blueprint"),
            ));
        }
        let shared_prefix = format!("{SHARED_DIR}/");
        let bytes = if name.starts_with(&shared_prefix) {
            shared.get(
                name.strip_prefix(SHARED_DIR)
                    .unwrap_or(name)
                    .trim_start_matches('/'),
            )
        } else {
            files.get(name)
        };
        match bytes {
            None => Ok(None),
            Some(b) => match std::str::from_utf8(b) {
                Ok(text) => Ok(Some(text.to_string())),
                Err(_) => Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("template {name:?} is not valid UTF-8"),
                )),
            },
        }
    });
    add_filters(&mut env);
    env
}

fn add_filters(env: &mut Environment<'static>) {
    env.add_filter("go_package", |s: &str| golang::go_package(s));
    env.add_filter("go_ident", |s: &str| golang::go_ident(s));
    env.add_filter("go_quote", |s: &str| golang::go_quote(s));
    env.add_filter("module_base", |s: &str| golang::module_base(s));
    env.add_filter("go_bool", |v: bool| if v { "true" } else { "false" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::Origin;
    use crate::blueprint::test_blueprint_with_shared;

    fn renderer_with(files: &[(&str, &str)], origin: Origin) -> Renderer {
        let mut bp = test_blueprint_with_shared(
            "name='t'\nversion='0.1.0'\ndescription='t'\n",
            files,
            &[("layer/part.jinja", "shared {{ name }}")],
        );
        bp.origin = origin;
        Renderer::new(&bp)
    }

    fn ctx(pairs: &[(&str, Value)]) -> Context {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn strict_undefined_fails_in_output_and_in_conditions() {
        let r = renderer_with(
            &[
                ("template/a.jinja", "{{ nope }}"),
                ("template/b.jinja", "{% if nope %}x{% endif %}"),
            ],
            Origin::BuiltIn,
        );
        for name in ["template/a.jinja", "template/b.jinja"] {
            let err = r
                .render_file(name, Syntax::Default, &Context::new())
                .unwrap_err();
            let text = err.to_string();
            assert!(text.contains(name) && text.contains("undefined"), "{text}");
        }
    }

    #[test]
    fn whitespace_settings_suit_source_code() {
        let r = renderer_with(
            &[("template/a.jinja", "a\n{% if on %}\nb\n{% endif %}\nc\n")],
            Origin::BuiltIn,
        );
        let out = r
            .render_file(
                "template/a.jinja",
                Syntax::Default,
                &ctx(&[("on", true.into())]),
            )
            .unwrap();
        assert_eq!(out, "a\nb\nc\n");
    }

    #[test]
    fn square_syntax_leaves_actions_and_go_templates_alone() {
        let r = renderer_with(
            &[(
                "template/ci.yml.jinja",
                "go: [[ v ]]\nrun: ${{ matrix.go }} {{ .Name }}\n[% if on %]x[% endif %]\n",
            )],
            Origin::BuiltIn,
        );
        let out = r
            .render_file(
                "template/ci.yml.jinja",
                Syntax::Square,
                &ctx(&[("v", "1.25".into()), ("on", true.into())]),
            )
            .unwrap();
        // trim_blocks eats the newline after a block tag, in either syntax.
        assert_eq!(out, "go: 1.25\nrun: ${{ matrix.go }} {{ .Name }}\nx");
    }

    #[test]
    fn includes_are_confined_to_the_blueprint_and_shared_layers() {
        let r = renderer_with(
            &[
                (
                    "template/ok.jinja",
                    "{% include '_shared/layer/part.jinja' %}",
                ),
                ("template/up.jinja", "{% include '../../etc/passwd' %}"),
                ("template/abs.jinja", "{% include '/etc/passwd' %}"),
                (
                    "template/missing.jinja",
                    "{% include 'partials/x.jinja' ignore missing %}.",
                ),
            ],
            Origin::BuiltIn,
        );
        let c = ctx(&[("name", "svc".into())]);
        assert_eq!(
            r.render_file("template/ok.jinja", Syntax::Default, &c)
                .unwrap(),
            "shared svc"
        );
        for name in ["template/up.jinja", "template/abs.jinja"] {
            let err = r.render_file(name, Syntax::Default, &c).unwrap_err();
            assert!(
                err.to_string().contains("not a path inside"),
                "{name}: {err}"
            );
        }
        assert_eq!(
            r.render_file("template/missing.jinja", Syntax::Default, &c)
                .unwrap(),
            "."
        );
    }

    #[test]
    fn go_filters_are_available() {
        let r = renderer_with(&[], Origin::BuiltIn);
        let out = r
            .render_str(
                "t",
                "{{ m | module_base }} {{ d | go_quote }} {{ on | go_bool }} {{ 'user-api' | go_ident }} {{ 'My-Svc' | go_package }}",
                &ctx(&[
                    ("m", "example.com/acme/users/v2".into()),
                    ("d", "say \"hi\"\n".into()),
                    ("on", false.into()),
                ]),
            )
            .unwrap();
        assert_eq!(out, r#"users "say \"hi\"\n" false UserAPI mysvc"#);
    }

    #[test]
    fn untrusted_blueprints_run_out_of_fuel() {
        let r = renderer_with(
            &[(
                "template/dos.jinja",
                "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            )],
            Origin::Folder {
                given: "./x".into(),
                root: "./x".into(),
            },
        );
        let err = r
            .render_file("template/dos.jinja", Syntax::Default, &Context::new())
            .unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
    }

    #[test]
    fn minijinja_number_comparison_is_not_a_panic() {
        let r = renderer_with(&[], Origin::BuiltIn);
        let out = r.render_str("t", "{{ 1.0 < 9007199254740993 }}", &Context::new());
        assert!(out.is_ok(), "{out:?}");
    }

    #[test]
    fn template_names_that_climb_out_are_unsafe() {
        for (give, want) in [
            ("template/a.jinja", true),
            ("_shared/x/y", true),
            ("../x", false),
            ("a/../b", false),
            ("/etc/passwd", false),
            ("a\\b", false),
            ("a//b", false),
            ("", false),
            ("./a", false),
        ] {
            assert_eq!(is_safe_template_name(give), want, "{give}");
        }
    }
}
