//! The command-line layer: turns clap arguments into core requests, and core results into
//! text or JSON. The core (everything outside `cli`) never sees a clap type.

mod args;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

pub use args::Cli;
use args::{BlueprintCommand, BlueprintNewArgs, Command, InfoArgs, LintArgs, ListArgs, NewArgs};

use crate::answers::{AnswerInputs, AnswersFile, parse_set};
use crate::error::{Error, Result, exit};
use crate::generate::{self, Context, NewRequest};
use crate::poststep::PostStepOptions;
use crate::terminal::{TerminalPrompter, can_prompt};

/// The whole program: parse, run, print, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let json = wants_json(&cli.command);
    // Long messages stay on one line so they can be grepped and pasted.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    if let Err(e) = crate::signals::install() {
        eprintln!("gogen: warning: cannot install the signal handler: {e}");
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => report(e, json),
    }
}

fn wants_json(command: &Command) -> bool {
    match command {
        Command::New(a) => a.json,
        Command::List(a) => a.json,
        Command::Info(a) => a.json || a.schema,
        Command::Blueprint(BlueprintCommand::Lint(a)) => a.json,
        _ => false,
    }
}

fn report(e: Error, json: bool) -> ExitCode {
    // A reader that stopped early (`gogen list | head -1`) is not an error.
    if let Error::Io { source, .. } = &e
        && source.kind() == std::io::ErrorKind::BrokenPipe
    {
        return ExitCode::SUCCESS;
    }
    let code = e.process_exit_code();
    if json {
        let doc = serde_json::json!({
            "schema_version": generate::JSON_SCHEMA_VERSION,
            "error": { "exit_code": e.exit_code(), "message": e.to_string() },
        });
        println!("{doc:#}");
    }
    eprintln!("{:?}", miette::Report::new(e));
    code
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = || Context::from_env(&|k| std::env::var(k).ok());
    match cli.command {
        Command::New(a) => new(&ctx()?, a),
        Command::List(a) => list(&ctx()?, a),
        Command::Info(a) => info(&ctx()?, a),
        Command::Blueprint(BlueprintCommand::Lint(a)) => lint(&ctx()?, a),
        Command::Blueprint(BlueprintCommand::New(a)) => blueprint_new(a),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "gogen", &mut script);
            std::io::stdout()
                .write_all(&script)
                .map_err(|e| Error::io("write", "stdout", e))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut out = std::io::stdout();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::io("write", "stdout", e))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn new(ctx: &Context, a: NewArgs) -> Result<ExitCode> {
    let sets = a
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>>>()?;
    let file = a.answers.as_deref().map(AnswersFile::read).transpose()?;
    let request = NewRequest {
        blueprint: a.blueprint.clone(),
        target: a.dir.clone(),
        inputs: AnswerInputs {
            sets,
            file,
            ..AnswerInputs::default()
        },
        preset: a.preset.clone(),
        dry_run: a.dry_run,
        force: a.force,
        fsync: a.fsync,
        post: PostStepOptions {
            git: !a.no_git,
            go_mod_download: a.go_mod_download,
        },
    };
    let interactive = can_prompt(a.no_input);
    let mut prompter = TerminalPrompter::new();
    let outcome = generate::new_project(
        ctx,
        &request,
        if interactive {
            Some(&mut prompter)
        } else {
            None
        },
    )?;
    let mut stdout = std::io::stdout().lock();
    if a.json {
        output::new_json(&mut stdout, &outcome)?;
    } else {
        output::new_text(&mut stdout, &outcome)?;
    }
    if interactive && !a.json {
        let replay = output::equivalent_command(&a.blueprint, &outcome);
        eprintln!("\nTo generate the same project without prompts:\n  {replay}");
    }
    let _ = stdout.flush();
    match outcome.post_step_error {
        Some(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            Ok(ExitCode::from(exit::POST_STEP_FAILED))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn list(ctx: &Context, a: ListArgs) -> Result<ExitCode> {
    let blueprints = generate::list(ctx)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = serde_json::json!({
            "schema_version": generate::JSON_SCHEMA_VERSION,
            "blueprints": blueprints,
        });
        output::write_json(&mut out, &doc)?;
    } else {
        output::list_text(&mut out, &blueprints)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn info(ctx: &Context, a: InfoArgs) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if a.schema {
        let (bp, _) = generate::load(ctx, &a.blueprint)?;
        output::write_json(&mut out, &crate::schema::answers_schema(&bp.manifest))?;
        return Ok(ExitCode::SUCCESS);
    }
    let info = generate::info(ctx, &a.blueprint)?;
    if a.json {
        output::info_json(&mut out, &info)?;
    } else {
        output::info_text(&mut out, &info)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn lint(ctx: &Context, a: LintArgs) -> Result<ExitCode> {
    let options = crate::lint::LintOptions {
        go: a.go,
        postgres_url: std::env::var("GOGEN_TEST_POSTGRES_URL")
            .ok()
            .filter(|s| !s.is_empty()),
    };
    let report = crate::lint::lint(ctx, &a.blueprint, &options)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = serde_json::json!({
            "schema_version": generate::JSON_SCHEMA_VERSION,
            "blueprint": report.blueprint,
            "errors": report.errors(),
            "findings": report.findings,
            "renderings": report.renderings,
        });
        output::write_json(&mut out, &doc)?;
    } else {
        output::lint_text(&mut out, &report)?;
    }
    Ok(if report.errors() > 0 {
        ExitCode::from(exit::GENERATION_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn blueprint_new(a: BlueprintNewArgs) -> Result<ExitCode> {
    let plan = crate::scaffold::new_blueprint(&a.dir, a.name.as_deref())?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Created blueprint {} ({} files). Next:\n  gogen blueprint lint {}\n  gogen new {} /tmp/try --set module=example.com/acme/try",
        a.dir.display(),
        plan.files.len(),
        a.dir.display(),
        a.dir.display()
    )
    .map_err(|e| Error::io("write", "stdout", e))?;
    Ok(ExitCode::SUCCESS)
}
