//! Typed errors of the core and the one place where they become exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

/// The documented exit codes (README, "Exit codes").
pub mod exit {
    pub const OK: u8 = 0;
    /// Generation failed: a broken blueprint, a template error, an unsafe or occupied target, I/O.
    pub const GENERATION_FAILED: u8 = 1;
    /// Usage error or invalid answers: bad flags, unknown blueprint, an answer that fails a rule.
    pub const USAGE: u8 = 2;
    /// The project was written, but a post-step (git, go mod download) failed.
    pub const POST_STEP_FAILED: u8 = 3;
    /// `gogen check`: an update is available (a newer blueprint, or answers no longer valid).
    pub const UPDATE_AVAILABLE: u8 = 4;
    /// `gogen update`/`add`/`remove`: applied with conflicts to resolve; `gogen check`:
    /// conflicts from an earlier update are still unresolved.
    pub const CONFLICTS: u8 = 5;
    /// Interrupted by Ctrl-C or a termination signal: nothing was written, or (after the
    /// project was in place) the project is complete.
    pub const INTERRUPTED: u8 = 130;
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error("unknown blueprint `{}`{}", short(.name), did_you_mean(.suggestion))]
    #[diagnostic(help(
        "run `gogen list` to see the blueprints, or pass a path to a blueprint folder"
    ))]
    UnknownBlueprint {
        name: String,
        suggestion: Option<String>,
    },

    #[error("blueprint `{blueprint}`: {message}")]
    Blueprint { blueprint: String, message: String },

    #[error("{file}: {message}")]
    Manifest { file: String, message: String },

    #[error("answer `{}` = {:?} is invalid: {rule}", short(.key), short(.value))]
    #[diagnostic(help("{hint}"))]
    InvalidAnswer {
        key: String,
        value: String,
        rule: String,
        hint: String,
    },

    #[error("unknown answer key `{}` (from {origin}){}", short(.key), did_you_mean(.suggestion))]
    #[diagnostic(help("`gogen info <blueprint>` lists the questions this blueprint asks"))]
    UnknownAnswerKey {
        key: String,
        origin: String,
        suggestion: Option<String>,
    },

    #[error("answer `{key}` (from {origin}) is not asked when {when}")]
    AnswerNotApplicable {
        key: String,
        origin: String,
        when: String,
    },

    #[error("missing answers: {}", .missing.iter().map(|m| m.key.as_str()).collect::<Vec<_>>().join(", "))]
    #[diagnostic(help("{}", missing_help(.missing)))]
    MissingAnswers { missing: Vec<MissingAnswer> },

    #[error("answers file {}: {message}", .path.display())]
    AnswersFile { path: PathBuf, message: String },

    #[error("invalid --set `{}`: {message}", short(.given))]
    #[diagnostic(help("write it as --set KEY=VALUE, e.g. --set module=github.com/acme/users"))]
    BadSet { given: String, message: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Template(Box<TemplateDiag>),

    #[error("{}: rendered path {:?} is not allowed: {rule}", short(.source_path), short(.rendered))]
    ForbiddenPath {
        source_path: String,
        rendered: String,
        rule: String,
    },

    #[error("output collision: {first} and {second} both produce `{path}`")]
    Collision {
        path: String,
        first: String,
        second: String,
    },

    #[error("{limit}")]
    LimitExceeded { limit: String },

    #[error("target {} is not empty{}", .target.display(), conflicts_text(.conflicts))]
    #[diagnostic(help(
        "choose a new directory, or pass --force to write into it (existing files that gogen generates are replaced; nothing else is touched)"
    ))]
    TargetNotEmpty {
        target: PathBuf,
        conflicts: Vec<String>,
    },

    #[error("unsafe target {}: {reason}", .path.display())]
    UnsafeTarget { path: PathBuf, reason: String },

    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("interrupted; nothing was written")]
    Interrupted,

    #[error("interrupted after {} was written; the project is complete, and no post-step was started", .target.display())]
    #[diagnostic(help("the post-steps (git init, go mod download) can be run by hand"))]
    InterruptedWritten { target: PathBuf },

    #[error("post-step `{step}` failed: {reason}")]
    #[diagnostic(help("the project is complete; rerun the step by hand: {rerun}"))]
    PostStep {
        step: String,
        reason: String,
        rerun: String,
    },

    #[error("{0}")]
    Usage(String),

    #[error("{} is not a gogen project: {reason}", .dir.display())]
    #[diagnostic(help(
        "a gogen project has the lock file .gogen.toml at its root (`gogen new` writes it); pass the project folder"
    ))]
    NotAProject { dir: PathBuf, reason: String },

    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Lifecycle { message: String, help: String },

    #[error("uncommitted changes in paths the update would touch:{}", list_text(.paths))]
    #[diagnostic(help(
        "commit or stash them first so the update can be reviewed and undone with git, or pass --allow-dirty"
    ))]
    Dirty { paths: Vec<String> },

    #[error("conflicts from the last update are not resolved:{}", list_text(.paths))]
    #[diagnostic(help(
        "resolve the conflict markers (and any .gogen-theirs files), commit, then run the command again; `gogen check` lists what is left"
    ))]
    PendingConflicts { paths: Vec<String> },

    #[error("unknown feature `{name}` for blueprint `{blueprint}`{}", did_you_mean(.suggestion))]
    #[diagnostic(help("{}", features_help(.known)))]
    UnknownFeature {
        name: String,
        blueprint: String,
        known: Vec<String>,
        suggestion: Option<String>,
    },

    #[error("org config {}: {message}", .path.display())]
    Config { path: PathBuf, message: String },

    #[error("answer `{}` is locked to {} by {by}; {origin} cannot change it", short(.key), short(.value))]
    #[diagnostic(help("locked values come from the org config; ask its owners to change it"))]
    Locked {
        key: String,
        value: String,
        by: String,
        origin: String,
    },
}

impl Error {
    /// Maps every error to its documented exit code; the only place that does so.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::UnknownBlueprint { .. }
            | Error::InvalidAnswer { .. }
            | Error::UnknownAnswerKey { .. }
            | Error::AnswerNotApplicable { .. }
            | Error::MissingAnswers { .. }
            | Error::AnswersFile { .. }
            | Error::BadSet { .. }
            | Error::Usage(_)
            | Error::Config { .. }
            | Error::Locked { .. }
            | Error::UnknownFeature { .. } => exit::USAGE,
            Error::NotAProject { .. }
            | Error::Lifecycle { .. }
            | Error::Dirty { .. }
            | Error::PendingConflicts { .. } => exit::GENERATION_FAILED,
            Error::Blueprint { .. }
            | Error::Manifest { .. }
            | Error::Template(_)
            | Error::ForbiddenPath { .. }
            | Error::Collision { .. }
            | Error::LimitExceeded { .. }
            | Error::TargetNotEmpty { .. }
            | Error::UnsafeTarget { .. }
            | Error::Io { .. } => exit::GENERATION_FAILED,
            Error::PostStep { .. } => exit::POST_STEP_FAILED,
            Error::Interrupted | Error::InterruptedWritten { .. } => exit::INTERRUPTED,
        }
    }

    pub fn process_exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_code())
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// One required answer that no source provided, with the flag that would provide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingAnswer {
    pub key: String,
    pub example: String,
}

fn missing_help(missing: &[MissingAnswer]) -> String {
    let flags: Vec<String> = missing
        .iter()
        .map(|m| format!("--set {}={}", m.key, shell_word(&m.example)))
        .collect();
    format!(
        "pass {} (or put them in an --answers file)",
        flags.join(" ")
    )
}

/// Values quoted in messages are cut short: a 1 MiB answer does not fill the terminal.
fn short(s: &str) -> std::borrow::Cow<'_, str> {
    crate::printable::shorten(s, 200)
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

fn list_text(paths: &[String]) -> String {
    let mut out = String::new();
    for p in paths.iter().take(20) {
        out.push_str("\n  ");
        out.push_str(p);
    }
    if paths.len() > 20 {
        out.push_str(&format!("\n  … and {} more", paths.len() - 20));
    }
    out
}

fn features_help(known: &[String]) -> String {
    if known.is_empty() {
        "this blueprint declares no features".into()
    } else {
        format!(
            "features of this blueprint: {} (`gogen info <blueprint>` describes them)",
            known.join(", ")
        )
    }
}

fn conflicts_text(conflicts: &[String]) -> String {
    if conflicts.is_empty() {
        return String::new();
    }
    const SHOWN: usize = 20;
    let mut out = String::from("; these paths would be overwritten:");
    for c in conflicts.iter().take(SHOWN) {
        out.push_str("\n  ");
        out.push_str(c);
    }
    if conflicts.len() > SHOWN {
        out.push_str(&format!("\n  … and {} more", conflicts.len() - SHOWN));
    }
    out
}

/// Quotes a word for a POSIX shell when it needs it, so printed commands can be pasted.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A template error with the blueprint file, line and a source snippet.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
pub struct TemplateDiag {
    pub message: String,
    #[source_code]
    pub source_code: Option<miette::NamedSource<String>>,
    #[label("here")]
    pub span: Option<miette::SourceSpan>,
}

impl TemplateDiag {
    pub fn from_minijinja(err: &minijinja::Error, fallback_name: &str) -> Self {
        let name = err.name().unwrap_or(fallback_name).to_string();
        let mut message = match err.line() {
            Some(line) => format!("template error in {name}:{line}: {}", err.kind()),
            None => format!("template error in {name}: {}", err.kind()),
        };
        if let Some(detail) = err.detail() {
            message.push_str(": ");
            message.push_str(detail);
        }
        let source_code = err
            .template_source()
            .map(|src| miette::NamedSource::new(name.clone(), src.to_string()));
        let span = err
            .range()
            .filter(|_| source_code.is_some())
            .map(|r| miette::SourceSpan::from(r.start..r.end));
        TemplateDiag {
            message,
            source_code,
            span,
        }
    }
}

impl From<TemplateDiag> for Error {
    fn from(d: TemplateDiag) -> Self {
        Error::Template(Box::new(d))
    }
}
