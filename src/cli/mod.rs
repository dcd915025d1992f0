//! The command-line layer: turns clap arguments into core requests, and core results into
//! text or JSON. The core (everything outside `cli`) never sees a clap type.

mod args;
mod complete;
mod help;
mod lifecycle;
mod lifecycle_output;
mod output;
pub mod prompt;
pub mod term;

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

pub use args::Cli;
use args::{BlueprintCommand, BlueprintNewArgs, Command, InfoArgs, LintArgs, ListArgs, NewArgs};

use crate::answers::{AnswerInputs, AnswersFile, parse_set};
use crate::cli::prompt::{TerminalPrompter, can_prompt};
use crate::error::{Error, Result, exit};
use crate::generate::poststep::PostStepOptions;
use crate::generate::{self, Context, NewRequest};

/// The whole program: parse, run, print, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash gogen -- ...`) is answered and exits.
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let parsed = command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout (exit 0); usage errors, which quote the
            // arguments, to stderr as plain escaped text (exit 2).
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::from(exit::OK);
            }
            term::stderr_text(&e.to_string());
            return ExitCode::from(exit::USAGE);
        }
    };
    let json = wants_json(&cli.command);
    if let Err(e) = crate::signals::install() {
        term::stderr_text(&format!(
            "gogen: warning: cannot install the signal handler: {e}"
        ));
    }
    crate::generate::limits::report_as_json(json);
    // The work runs on a thread with a large stack; a stack overflow there (a template
    // nesting values millions deep) ends with exit 1 and a message, not an abort.
    crate::generate::limits::run_on_big_stack(move || match run(cli) {
        Ok(code) => code,
        Err(e) => report(e, json),
    })
}

fn wants_json(command: &Command) -> bool {
    match command {
        Command::New(a) => a.json,
        Command::List(a) => a.json,
        Command::Info(a) => a.json || a.schema,
        Command::Blueprint(BlueprintCommand::Lint(a)) => a.json,
        Command::Check(a) => a.json,
        Command::Update(a) => a.apply.json,
        Command::Add(a) | Command::Remove(a) => a.apply.json,
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
        let _ = term::stdout_json(&doc);
    }
    if matches!(e, Error::Interrupted) {
        // The signal watcher may be saying the same at this moment: one of them does.
        crate::signals::report_interrupted();
    } else {
        term::stderr_error(&e);
    }
    code
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = || Context::from_env(&|k| std::env::var(k).ok());
    match cli.command {
        Command::New(a) => new(&ctx()?, a),
        Command::List(a) => list(&ctx()?, a),
        Command::Info(a) => info(&ctx()?, a),
        Command::Check(a) => lifecycle::check(&ctx()?, a),
        Command::Update(a) => lifecycle::update(&ctx()?, a),
        Command::Add(a) => lifecycle::feature(&ctx()?, a, true),
        Command::Remove(a) => lifecycle::feature(&ctx()?, a, false),
        Command::Blueprint(BlueprintCommand::Lint(a)) => lint(&ctx()?, a),
        Command::Blueprint(BlueprintCommand::New(a)) => blueprint_new(a),
        Command::Completions { shell } => completions(shell),
        Command::Man(a) => man(a),
    }
}

/// The command line with its run-time parts (the long version names the built-ins).
fn command() -> clap::Command {
    // Listing the built-ins costs a load of each: only when --version is asked for.
    if !std::env::args_os().any(|a| a == "--version") {
        return Cli::command();
    }
    let version: &'static str = Box::leak(help::long_version().into_boxed_str());
    Cli::command().long_version(version)
}

/// The registration script for a shell: it asks gogen itself for the candidates, so
/// blueprint names and `--set` keys are current (search path included).
fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    use clap_complete::env::EnvCompleter;
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &clap_complete::env::Bash,
        clap_complete::Shell::Zsh => &clap_complete::env::Zsh,
        clap_complete::Shell::Fish => &clap_complete::env::Fish,
        clap_complete::Shell::Elvish => &clap_complete::env::Elvish,
        clap_complete::Shell::PowerShell => &clap_complete::env::Powershell,
        _ => return Err(Error::Usage(format!("no completions for {shell}"))),
    };
    let mut script = Vec::new();
    completer
        .write_registration("COMPLETE", "gogen", "gogen", "gogen", &mut script)
        .map_err(|e| Error::io("write", "stdout", e))?;
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| Error::io("write", "stdout", e))?;
    Ok(ExitCode::SUCCESS)
}

/// One page (to stdout) or a page per command (`--out DIR`), each with the environment
/// and files sections.
fn man(a: args::ManArgs) -> Result<ExitCode> {
    let mut root = command().disable_help_subcommand(true);
    root.build();
    let Some(dir) = a.out else {
        let mut page = Vec::new();
        render_page(&root, &mut page)?;
        std::io::stdout()
            .write_all(&page)
            .map_err(|e| Error::io("write", "stdout", e))?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    let mut written = Vec::new();
    fn walk(cmd: &clap::Command, dir: &std::path::Path, written: &mut Vec<String>) -> Result<()> {
        let mut page = Vec::new();
        render_page(cmd, &mut page)?;
        let name = format!("{}.1", cmd.get_display_name().unwrap_or(cmd.get_name()));
        let path = dir.join(&name);
        std::fs::write(&path, page).map_err(|e| Error::io("write", &path, e))?;
        written.push(name);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, dir, written)?;
        }
        Ok(())
    }
    walk(&root, &dir, &mut written)?;
    term::stdout_text(
        format!(
            "Wrote {} pages to {}: {}\n",
            written.len(),
            dir.display(),
            written.join(" ")
        )
        .as_bytes(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn render_page(cmd: &clap::Command, out: &mut Vec<u8>) -> Result<()> {
    let io = |e| Error::io("write", "the man page", e);
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out).map_err(io)?;
    man.render_name_section(out).map_err(io)?;
    man.render_synopsis_section(out).map_err(io)?;
    man.render_description_section(out).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out).map_err(io)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(out).map_err(io)?;
    }
    let mut roff = roff::Roff::new();
    roff.control("SH", ["EXIT STATUS"]).text([roff::roman(
        "0 ok, 1 generation failed, 2 usage or invalid answers, 3 post-step failed (the project was written), 4 an update is available (check), 5 conflicts to resolve (update, add, remove, check), 130 interrupted.",
    )]);
    for (heading, entries) in help::MAN_SECTIONS {
        roff.control("SH", [*heading]);
        for (term, text) in *entries {
            roff.control("TP", [])
                .text([roff::bold(*term)])
                .text([roff::roman(*text)]);
        }
    }
    roff.to_writer(out).map_err(io)?;
    man.render_version_section(out).map_err(io)?;
    Ok(())
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
    let mut answered: Option<crate::answers::Answers> = None;
    let result = generate::new_project_with(
        ctx,
        &request,
        prompter_if(interactive, &mut prompter),
        &mut |answers| answered = Some(answers.clone()),
    );
    // Nothing typed at a prompt is lost: a failure after the questions shows the command
    // that gives the same answers without asking.
    let replay = answered
        .as_ref()
        .filter(|ans| {
            ans.items
                .iter()
                .any(|x| x.origin == crate::answers::Origin::Prompt)
        })
        .map(|ans| output::equivalent_command(&a.blueprint, a.dir.as_deref(), ans));
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            if let Some(replay) = &replay
                && !matches!(e, Error::InterruptedWritten { .. })
            {
                term::stderr_text(&format!(
                    "Your answers are kept. Once the problem below is fixed, run:\n  {replay}\n"
                ));
            }
            return Err(e);
        }
    };
    let mut out = Vec::new();
    if a.json {
        output::new_json(&mut out, &outcome)?;
    } else {
        output::new_text(&mut out, &outcome)?;
    }
    term::stdout_text(&out)?;
    if let Some(replay) = replay.filter(|_| !a.json) {
        term::stderr_text(&format!(
            "\nTo generate the same project without prompts:\n  {replay}"
        ));
    }
    if crate::signals::interrupted() {
        return Err(Error::InterruptedWritten {
            target: outcome.target.clone(),
        });
    }
    match outcome.post_step_error {
        Some(e) => {
            term::stderr_error(&e);
            Ok(ExitCode::from(exit::POST_STEP_FAILED))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The terminal prompter when prompting is allowed.
fn prompter_if(
    interactive: bool,
    prompter: &mut TerminalPrompter,
) -> Option<&mut dyn crate::answers::Prompter> {
    if interactive { Some(prompter) } else { None }
}

fn list(ctx: &Context, a: ListArgs) -> Result<ExitCode> {
    let blueprints = generate::list(ctx)?;
    let mut out = Vec::new();
    if a.json {
        let doc = serde_json::json!({
            "schema_version": generate::JSON_SCHEMA_VERSION,
            "blueprints": blueprints,
        });
        output::write_json(&mut out, &doc)?;
    } else {
        output::list_text(&mut out, &blueprints)?;
    }
    term::stdout_text(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn info(ctx: &Context, a: InfoArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    if a.schema {
        let (bp, _) = generate::load(ctx, &a.blueprint)?;
        output::write_json(
            &mut out,
            &crate::blueprint::schema::answers_schema(&bp.manifest),
        )?;
        term::stdout_text(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let info = generate::info(ctx, &a.blueprint)?;
    if a.json {
        output::info_json(&mut out, &info)?;
    } else {
        output::info_text(&mut out, &info)?;
    }
    term::stdout_text(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn lint(ctx: &Context, a: LintArgs) -> Result<ExitCode> {
    let options = crate::blueprint::lint::LintOptions {
        go: a.go,
        postgres_url: std::env::var("GOGEN_TEST_POSTGRES_URL")
            .ok()
            .filter(|s| !s.is_empty()),
    };
    let report = crate::blueprint::lint::lint(ctx, &a.blueprint, &options)?;
    let mut out = Vec::new();
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
    term::stdout_text(&out)?;
    Ok(if report.errors() > 0 {
        ExitCode::from(exit::GENERATION_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn blueprint_new(a: BlueprintNewArgs) -> Result<ExitCode> {
    let plan = crate::blueprint::scaffold::new_blueprint(&a.dir, a.name.as_deref())?;
    // Commands that work as written: the folder as a path (`mybp` alone would be read as
    // a blueprint name), quoted for the shell, and a sibling output folder that is free.
    let shown = crate::blueprint::scaffold::as_path_reference(&a.dir);
    let base = a
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "blueprint".into());
    let try_dir = (1..)
        .map(|i| {
            if i == 1 {
                format!("{base}-try")
            } else {
                format!("{base}-try-{i}")
            }
        })
        .find(|d| std::fs::symlink_metadata(d).is_err())
        .expect("some name is free");
    let text = format!(
        "Created blueprint {} ({} files). Next:\n  gogen blueprint lint {}\n  gogen new {} {} --no-input --set module=example.com/acme/try\n",
        a.dir.display(),
        plan.files.len(),
        crate::error::shell_word(&shown),
        crate::error::shell_word(&shown),
        crate::error::shell_word(&try_dir),
    );
    term::stdout_text(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
