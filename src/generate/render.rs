//! The template engine as gogen configures it: minijinja with strict undefined, no
//! auto-escaping, Go-aware filters, and a loader that only sees the blueprint's own
//! in-memory files and the shared layers. Nothing here can read the filesystem, the
//! environment or run a process.
//!
//! Untrusted (folder and git) blueprints render under one budget for the whole
//! generation: fuel (the engine's own count of instructions and of the bytes and slots it
//! creates), output bytes, and time; a watchdog bounds how far the heap may grow during a
//! render (`limits`). Every template source and expression is checked for nesting before
//! it is parsed, so no chain of operators can exhaust the parser's stack.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use crate::blueprint::manifest::Syntax;
use crate::blueprint::{Blueprint, FileTree, SHARED_DIR};
use crate::error::{Error, Result, TemplateDiag};
use crate::generate::limits::Watch;
use crate::golang;

/// The budget one generation from an untrusted blueprint may spend on rendering. A copy of
/// any built-in blueprint fits many times over (a test checks it).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// minijinja fuel, shared by every render of the generation.
    pub fuel: u64,
    /// Bytes of rendered output, all files and strings together.
    pub output_bytes: usize,
    /// Wall-clock time spent rendering, all renders together.
    pub time: Duration,
    /// How far the heap may grow during one render.
    pub memory: usize,
}

pub const UNTRUSTED_LIMITS: Limits = Limits {
    fuel: 20_000_000,
    output_bytes: 128 << 20,
    time: Duration::from_secs(10),
    memory: 512 << 20,
};

/// Largest output of one rendered file; bigger means a runaway template.
pub const MAX_RENDERED_BYTES: usize = 8 * 1024 * 1024;
/// Most operators one expression or tag may hold. Each can add a level to the parsed
/// tree; real templates use a handful.
pub const MAX_EXPRESSION_OPERATORS: usize = 1_000;

/// What is left of the budget.
#[derive(Debug)]
struct Budget {
    limits: Limits,
    fuel_left: u64,
    output_left: usize,
    time_left: Duration,
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Budget {
            limits,
            fuel_left: limits.fuel,
            output_left: limits.output_bytes,
            time_left: limits.time,
        }
    }
}

pub struct Renderer {
    default_env: Mutex<Environment<'static>>,
    square_env: Mutex<Environment<'static>>,
    /// `None` for built-in blueprints, which are trusted.
    budget: Option<Mutex<Budget>>,
    files: Arc<FileTree>,
    shared: Arc<FileTree>,
}

/// The variables a template sees: a map value, cheap to clone and to pass.
#[derive(Debug, Clone)]
pub struct Context(Value);

impl Context {
    pub fn from_map(map: BTreeMap<String, Value>) -> Self {
        Context(Value::from(map))
    }

    pub fn empty() -> Self {
        Context::from_map(BTreeMap::new())
    }

    pub fn value(&self) -> Value {
        self.0.clone()
    }
}

/// A context that grows as answers are resolved: each lookup sees the answers so far,
/// without rebuilding the map for every question.
#[derive(Debug, Default)]
pub struct Scope {
    vars: RwLock<BTreeMap<String, Value>>,
}

impl Object for Scope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let vars = self.vars.read().unwrap_or_else(|p| p.into_inner());
        vars.get(key.as_str()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let vars = self.vars.read().unwrap_or_else(|p| p.into_inner());
        Enumerator::Values(vars.keys().map(|k| Value::from(k.as_str())).collect())
    }
}

impl Scope {
    pub fn new() -> Arc<Self> {
        Arc::new(Scope::default())
    }

    pub fn set(&self, key: &str, value: Value) {
        let mut vars = self.vars.write().unwrap_or_else(|p| p.into_inner());
        vars.insert(key.to_string(), value);
    }

    pub fn remove(&self, key: &str) {
        let mut vars = self.vars.write().unwrap_or_else(|p| p.into_inner());
        vars.remove(key);
    }

    pub fn context(self: &Arc<Self>) -> Context {
        Context(Value::from_dyn_object(self.clone()))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Renderer {
    pub fn new(blueprint: &Blueprint) -> Self {
        let untrusted = !blueprint.origin.is_trusted();
        let make = |syntax: Syntax| {
            Mutex::new(build_env(
                syntax,
                blueprint.files.clone(),
                blueprint.shared.clone(),
                untrusted,
            ))
        };
        Renderer {
            default_env: make(Syntax::Default),
            square_env: make(Syntax::Square),
            budget: untrusted.then(|| Mutex::new(Budget::new(UNTRUSTED_LIMITS))),
            files: blueprint.files.clone(),
            shared: blueprint.shared.clone(),
        }
    }

    /// A renderer for an untrusted blueprint under other limits (tests use small ones).
    pub fn with_limits(blueprint: &Blueprint, limits: Limits) -> Self {
        let mut r = Renderer::new(blueprint);
        r.budget = Some(Mutex::new(Budget::new(limits)));
        for env in [&r.default_env, &r.square_env] {
            lock(env).set_fuel(Some(limits.fuel));
        }
        r
    }

    /// Starts a new budget (each rendering that `blueprint lint` checks gets its own).
    pub fn reset_budget(&self) {
        if let Some(b) = &self.budget {
            let mut b = lock(b);
            *b = Budget::new(b.limits);
        }
    }

    /// Whether renders run without a budget (a trusted, built-in blueprint): evaluating
    /// the same thing twice then costs nothing but time.
    pub fn is_unbudgeted(&self) -> bool {
        self.budget.is_none()
    }

    /// Fuel used so far under the budget (`None` for a trusted blueprint).
    pub fn fuel_used(&self) -> Option<u64> {
        self.budget.as_ref().map(|b| {
            let b = lock(b);
            b.limits.fuel - b.fuel_left
        })
    }

    fn env(&self, syntax: Syntax) -> MutexGuard<'_, Environment<'static>> {
        match syntax {
            Syntax::Default => lock(&self.default_env),
            Syntax::Square => lock(&self.square_env),
        }
    }

    /// Runs one render under the budget: the fuel left is the engine's limit, the time and
    /// memory left are watched, and what was used is taken off.
    fn budgeted(
        &self,
        name: &str,
        syntax: Syntax,
        run: impl FnOnce(&Environment<'static>) -> std::result::Result<(String, u64), minijinja::Error>,
    ) -> Result<String> {
        let mut env = self.env(syntax);
        let Some(budget) = &self.budget else {
            let (out, _) = guard(name, None, || run(&env))?;
            return check_size(name, out);
        };
        let (fuel_left, time_left, limits) = {
            let b = lock(budget);
            (b.fuel_left, b.time_left, b.limits)
        };
        if fuel_left == 0 || time_left.is_zero() {
            return Err(out_of_fuel(name, &limits));
        }
        env.set_fuel(Some(fuel_left));
        let watch = Watch::start(name, time_left, limits.time, limits.memory);
        let result = guard(name, Some(&limits), || run(&env));
        let elapsed = watch.elapsed();
        drop(watch);
        let mut b = lock(budget);
        b.time_left = b.time_left.saturating_sub(elapsed);
        let (out, used) = match result {
            Ok(v) => v,
            Err(e) => {
                if matches!(e, Error::LimitExceeded { .. }) {
                    b.fuel_left = 0;
                }
                return Err(e);
            }
        };
        b.fuel_left = b.fuel_left.saturating_sub(used);
        if out.len() > b.output_left {
            return Err(Error::LimitExceeded {
                limit: format!(
                    "{name}: the generation's rendered output went past its budget of {} MiB",
                    limits.output_bytes >> 20
                ),
            });
        }
        b.output_left -= out.len();
        check_size(name, out)
    }

    fn check_source(
        &self,
        name: &str,
        source: &str,
        syntax: Syntax,
        expression: bool,
    ) -> Result<()> {
        if self.budget.is_none() {
            return Ok(());
        }
        check_nesting(source, syntax, expression).map_err(|(line, found)| Error::LimitExceeded {
            limit: format!(
                "{name}:{line}: an expression with {found} operators is nested deeper than the limit of {MAX_EXPRESSION_OPERATORS}; split it up"
            ),
        })
    }

    /// Renders a template file of the blueprint (`template/...`) or of a layer (`_shared/...`).
    pub fn render_file(&self, name: &str, syntax: Syntax, ctx: &Context) -> Result<String> {
        let source =
            lookup(&self.files, &self.shared, name).and_then(|b| std::str::from_utf8(b).ok());
        if let Some(source) = source.filter(|_| self.budget.is_some()) {
            // Included files are checked by the loader; this one is checked here so the
            // error is the limit's own.
            self.check_source(name, source, syntax, false)?;
        }
        // A file without a single tag renders to itself: the engine is skipped (the 94 KB
        // tools go.sum of the service layer is all text). The budget still counts its bytes.
        if let Some(text) = source.filter(|s| !has_tag_start(s, syntax)) {
            return self.budgeted(name, syntax, |_| Ok((text.to_string(), 0)));
        }
        let measured = self.budget.is_some();
        self.budgeted(name, syntax, |env| match source {
            // Compiled from the file's own bytes (the loader would copy them) and dropped
            // after this render: each file is rendered once, and a cache of every compiled
            // file only grows the heap. Includes still go through the loader and its cache.
            Some(source) => {
                render_measured(&env.template_from_named_str(name, source)?, ctx, measured)
            }
            // Missing or not UTF-8: the loader reports it.
            None => render_measured(&env.get_template(name)?, ctx, measured),
        })
    }

    /// Renders a short template string (a path component or a default), naming it `name` in errors.
    pub fn render_str(&self, name: &str, source: &str, ctx: &Context) -> Result<String> {
        if !source.contains(['{', '[']) {
            return Ok(source.to_string());
        }
        self.check_source(name, source, Syntax::Default, false)?;
        let measured = self.budget.is_some();
        self.budgeted(name, Syntax::Default, |env| {
            render_measured(&env.template_from_named_str(name, source)?, ctx, measured)
        })
    }

    /// Evaluates a `when` expression to a boolean.
    pub fn eval_condition(&self, name: &str, expr: &str, ctx: &Context) -> Result<bool> {
        self.check_source(name, expr, Syntax::Default, true)?;
        if self.budget.is_none() {
            let env = self.env(Syntax::Default);
            return guard(name, None, || {
                let compiled = env.compile_expression(expr)?;
                Ok(compiled.eval(ctx.value())?.is_true())
            });
        }
        // Under a budget, evaluate it as a tiny template so the fuel it uses is known.
        let source = format!("{{% if ({expr}\n) %}}1{{% endif %}}");
        let out = self.budgeted(name, Syntax::Default, |env| {
            env.compile_expression(expr)?;
            render_measured(&env.template_from_named_str(name, &source)?, ctx, true)
        })?;
        Ok(out == "1")
    }

    /// Variables a template source reads (excluding what it defines itself), for lint.
    /// Fails with the syntax error if the source does not parse.
    pub fn variables_in(
        &self,
        source: &str,
        syntax: Syntax,
    ) -> std::result::Result<Vec<String>, String> {
        self.check_source("template", source, syntax, false)
            .map_err(|e| e.to_string())?;
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
        self.check_source("expression", expr, Syntax::Default, true)
            .map_err(|e| e.to_string())?;
        let env = self.env(Syntax::Default);
        let compiled = env.compile_expression(expr).map_err(|e| e.to_string())?;
        let mut vars: Vec<String> = compiled.undeclared_variables(false).into_iter().collect();
        vars.sort();
        Ok(vars)
    }
}

/// Whether `text` holds the start of a tag (`{{`, `{%`, `{#`, or `[[`, `[%`, `[#` in the
/// square syntax). Without one the engine outputs the text unchanged: the whitespace
/// settings only act next to tags, and a trailing newline is kept.
fn has_tag_start(text: &str, syntax: Syntax) -> bool {
    let open = match syntax {
        Syntax::Default => b'{',
        Syntax::Square => b'[',
    };
    let bytes = text.as_bytes();
    memchr::memchr_iter(open, bytes)
        .any(|i| matches!(bytes.get(i + 1), Some(&b) if b == open || b == b'%' || b == b'#'))
}

/// Renders, and with `measured` also reports the fuel the render used.
fn render_measured(
    template: &minijinja::Template<'_, '_>,
    ctx: &Context,
    measured: bool,
) -> std::result::Result<(String, u64), minijinja::Error> {
    if !measured {
        return Ok((template.render(ctx.value())?, 0));
    }
    let captured = template.render_captured(ctx.value())?;
    let used = captured
        .state()
        .fuel_levels()
        .map(|(used, _)| used)
        .unwrap_or(0);
    Ok((captured.into_output(), used))
}

fn out_of_fuel(name: &str, limits: &Limits) -> Error {
    Error::LimitExceeded {
        limit: format!(
            "{name}: the blueprint used up its rendering budget of {} fuel for the whole generation (shared by every file and expression)",
            limits.fuel
        ),
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
fn guard<T>(
    name: &str,
    limits: Option<&Limits>,
    f: impl FnOnce() -> std::result::Result<T, minijinja::Error>,
) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            if e.kind() == ErrorKind::OutOfFuel {
                return Err(match limits {
                    Some(l) => out_of_fuel(name, l),
                    None => Error::LimitExceeded {
                        limit: format!("{name}: the template used up its rendering budget (fuel)"),
                    },
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

/// The most operators in one tag (or in a whole expression), with its line, when that is
/// over the limit. Counted on the engine's own tokens, outside strings and raw blocks, so
/// nothing a template hides from the count reaches the parser.
fn check_nesting(
    source: &str,
    syntax: Syntax,
    expression: bool,
) -> std::result::Result<(), (usize, usize)> {
    use minijinja::machinery::Token;
    let mut count = 0usize;
    for token in minijinja::machinery::tokenize(source, expression, syntax_config(syntax)) {
        // A source that does not tokenize is reported by the parser with its own error.
        let Ok((token, span)) = token else {
            return Ok(());
        };
        let deepens = match token {
            Token::VariableStart | Token::BlockStart | Token::VariableEnd | Token::BlockEnd => {
                count = 0;
                false
            }
            Token::Ident(word) => matches!(word, "not" | "and" | "or" | "is" | "in" | "if"),
            Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::FloorDiv
            | Token::Pow
            | Token::Mod
            | Token::Dot
            | Token::Tilde
            | Token::Pipe
            | Token::Eq
            | Token::Ne
            | Token::Gt
            | Token::Gte
            | Token::Lt
            | Token::Lte
            | Token::BracketOpen
            | Token::ParenOpen
            | Token::BraceOpen => true,
            _ => false,
        };
        if deepens {
            count += 1;
            if count > MAX_EXPRESSION_OPERATORS {
                return Err((span.start_line as usize, count));
            }
        }
    }
    Ok(())
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

/// A template by loader name: `_shared/<layer>/...` from the layers, anything else from
/// the blueprint's own files.
fn lookup<'a>(files: &'a FileTree, shared: &'a FileTree, name: &str) -> Option<&'a [u8]> {
    match name
        .strip_prefix(SHARED_DIR)
        .and_then(|r| r.strip_prefix('/'))
    {
        Some(rest) => shared.get(rest),
        None => files.get(name),
    }
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
        env.set_fuel(Some(UNTRUSTED_LIMITS.fuel));
    }
    env.set_loader(move |name: &str| {
        if !is_safe_template_name(name) {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("template name {name:?} is not a path inside the blueprint"),
            ));
        }
        match lookup(&files, &shared, name) {
            None => Ok(None),
            Some(b) => match std::str::from_utf8(b) {
                Ok(text) => {
                    if untrusted && let Err((line, found)) = check_nesting(text, syntax, false) {
                        return Err(minijinja::Error::new(
                            ErrorKind::InvalidOperation,
                            format!(
                                "{name}:{line}: an expression with {found} operators is nested deeper than the limit of {MAX_EXPRESSION_OPERATORS}; split it up"
                            ),
                        ));
                    }
                    Ok(Some(text.to_string()))
                }
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
        Context::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
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
                .render_file(name, Syntax::Default, &Context::empty())
                .unwrap_err();
            let text = err.to_string();
            assert!(text.contains(name) && text.contains("undefined"), "{text}");
        }
    }

    /// What the engine itself makes of `text`, with no variables.
    fn engine_output(text: &str, syntax: Syntax) -> std::result::Result<String, String> {
        let env = build_env(
            syntax,
            Arc::new(FileTree::default()),
            Arc::new(FileTree::default()),
            false,
        );
        env.template_from_str(text)
            .and_then(|t| t.render(()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_file_without_tags_renders_to_itself_as_the_engine_would() {
        let mut texts: Vec<String> = [
            "",
            "\n",
            "no newline at the end",
            "two trailing newlines\n\n",
            "crlf\r\nlines\r\n",
            "func f() { if x { return } }\n",
            "}} %} #} ]] %] #] stray closers\n",
            "{ {\t{\n{ % { # [ [ [ % [ #\n",
            "   indented\n\t\ttabs   \n",
            "x := a[i] + b[j:k]\nm := map[string]int{}\n",
            "ends with an opener {",
            "ends with an opener [",
            "unicode: é ü 日本 \u{1F600}\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every built-in file without tags, in the syntax it is rendered in or not.
        let built_in = crate::blueprint::shared_tree();
        texts.extend(
            built_in
                .iter()
                .filter_map(|(_, b)| std::str::from_utf8(b).ok())
                .map(str::to_string),
        );
        let mut fast = 0;
        for text in &texts {
            for syntax in [Syntax::Default, Syntax::Square] {
                if has_tag_start(text, syntax) {
                    continue;
                }
                fast += 1;
                let r = renderer_with(&[("template/f.jinja", text.as_str())], Origin::BuiltIn);
                let ours = r
                    .render_file("template/f.jinja", syntax, &Context::empty())
                    .unwrap();
                assert_eq!(Ok(ours), engine_output(text, syntax), "{text:?} {syntax:?}");
            }
        }
        assert!(fast > 20, "{fast}");
        for (text, syntax) in [
            ("a {{ x }}", Syntax::Default),
            ("a {%- if x %}", Syntax::Default),
            ("a {# c #}", Syntax::Default),
            ("a [[ x ]]", Syntax::Square),
            ("a [% if x %]", Syntax::Square),
            ("a [# c #]", Syntax::Square),
        ] {
            assert!(has_tag_start(text, syntax), "{text:?}");
        }
    }

    #[test]
    fn an_untrusted_file_without_tags_still_counts_against_the_output_budget() {
        let text = "x".repeat(100);
        let mut bp = test_blueprint_with_shared(
            "name='t'\nversion='0.1.0'\ndescription='t'\n",
            &[
                ("template/a.jinja", text.as_str()),
                ("template/b.jinja", text.as_str()),
            ],
            &[],
        );
        bp.origin = Origin::Git { pinned: "x".into() };
        let limits = Limits {
            output_bytes: 150,
            ..UNTRUSTED_LIMITS
        };
        let r = Renderer::with_limits(&bp, limits);
        r.render_file("template/a.jinja", Syntax::Default, &Context::empty())
            .unwrap();
        let err = r
            .render_file("template/b.jinja", Syntax::Default, &Context::empty())
            .unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
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
        let mut bp = test_blueprint_with_shared(
            "name='t'\nversion='0.1.0'\ndescription='t'\n",
            &[(
                "template/dos.jinja",
                "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            )],
            &[],
        );
        bp.origin = Origin::Folder {
            given: "./x".into(),
            root: "./x".into(),
        };
        let r = Renderer::with_limits(
            &bp,
            Limits {
                fuel: 500_000,
                time: Duration::from_secs(600),
                ..UNTRUSTED_LIMITS
            },
        );
        let err = r
            .render_file("template/dos.jinja", Syntax::Default, &Context::empty())
            .unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
    }

    #[test]
    fn a_copy_of_any_built_in_blueprint_fits_the_untrusted_budget_many_times_over() {
        for name in crate::blueprint::built_in_names() {
            let mut bp = crate::blueprint::load_built_in(&name).unwrap();
            bp.origin = Origin::Folder {
                given: "./copy".into(),
                root: "./copy".into(),
            };
            let renderer = Renderer::new(&bp);
            for case in &bp.manifest.tests {
                renderer.reset_budget();
                let inputs = crate::answers::AnswerInputs {
                    sets: case.sets(),
                    ..Default::default()
                };
                let answers = crate::answers::Resolver {
                    manifest: &bp.manifest,
                    renderer: &renderer,
                }
                .resolve(&inputs, None)
                .unwrap();
                crate::generate::plan::plan(&bp, &renderer, &answers)
                    .unwrap_or_else(|e| panic!("{name}/{}: {e}", case.name));
                let used = renderer.fuel_used().unwrap();
                assert!(
                    used * 5 < UNTRUSTED_LIMITS.fuel,
                    "{name}/{}: {used} fuel is more than a fifth of the budget",
                    case.name
                );
            }
        }
    }

    #[test]
    fn one_fuel_budget_covers_every_file_of_a_generation() {
        // Each file alone fits; together they do not.
        let heavy = "{% for a in range(100) %}{% for b in range(100) %}{% endfor %}{% endfor %}x";
        let files: Vec<(String, &str)> = (0..40)
            .map(|i| (format!("template/f{i}.jinja"), heavy))
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
        let mut bp =
            test_blueprint_with_shared("name='t'\nversion='0.1.0'\ndescription='t'\n", &refs, &[]);
        bp.origin = Origin::Folder {
            given: "./x".into(),
            root: "./x".into(),
        };
        let r = Renderer::with_limits(
            &bp,
            Limits {
                fuel: 200_000,
                time: Duration::from_secs(600),
                ..UNTRUSTED_LIMITS
            },
        );
        r.render_file("template/f0.jinja", Syntax::Default, &Context::empty())
            .unwrap();
        let err = (1..40)
            .map(|i| {
                r.render_file(
                    &format!("template/f{i}.jinja"),
                    Syntax::Default,
                    &Context::empty(),
                )
            })
            .find_map(|res| res.err())
            .expect("the shared budget runs out");
        assert!(err.to_string().contains("shared by every file"), "{err}");
    }

    #[test]
    fn operator_chains_are_refused_before_parsing() {
        let r = renderer_with(
            &[],
            Origin::Folder {
                given: "./x".into(),
                root: "./x".into(),
            },
        );
        let chains = [
            format!("{{{{ {}true }}}}", "not ".repeat(30_000)),
            format!("{{{{ 'x'{} }}}}", "|upper".repeat(50_000)),
            format!("{{{{ 1{} }}}}", "+1".repeat(50_000)),
            format!("{{{{ x{} }}}}", ".a".repeat(50_000)),
        ];
        for source in &chains {
            let err = r.render_str("t", source, &Context::empty()).unwrap_err();
            assert!(
                err.to_string().contains("nested deeper than the limit"),
                "{err}"
            );
        }
        let err = r
            .eval_condition(
                "when",
                &format!("{}true", "not ".repeat(30_000)),
                &Context::empty(),
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("nested deeper than the limit"),
            "{err}"
        );
        // Strings and raw blocks do not count.
        let fine = format!(
            "{{{{ '{}' }}}}{{% raw %}}{}{{% endraw %}}",
            "|".repeat(5000),
            "{{ a|b }}".repeat(2000)
        );
        assert!(r.render_str("t", &fine, &Context::empty()).is_ok());
    }

    #[test]
    fn minijinja_number_comparison_is_not_a_panic() {
        let r = renderer_with(&[], Origin::BuiltIn);
        let out = r.render_str("t", "{{ 1.0 < 9007199254740993 }}", &Context::empty());
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
