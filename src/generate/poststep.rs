//! Post-steps run after the project is in place: `git init` + a first commit, and an
//! opt-in `go mod download`. Fixed argument lists, no shell, and no answer ever becomes
//! an argument. A failure keeps the project and says how to rerun the step.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::signals;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    GitInit,
    GoModDownload,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::GitInit => "git-init",
            StepKind::GoModDownload => "go-mod-download",
        }
    }

    /// The commands, for the plan and for "rerun it by hand" advice.
    pub fn commands(self) -> &'static [&'static [&'static str]] {
        match self {
            StepKind::GitInit => &[
                &["git", "init", "--quiet"],
                &["git", "add", "--all"],
                &[
                    "git",
                    "-c",
                    "core.hooksPath=/dev/null",
                    "-c",
                    "commit.gpgsign=false",
                    "commit",
                    "--quiet",
                    "--no-verify",
                    "-m",
                    "Initial commit from gogen",
                ],
            ],
            StepKind::GoModDownload => &[&["go", "mod", "download"]],
        }
    }

    /// The commands as one line a POSIX shell runs as written (each word quoted as needed).
    pub fn display_commands(self) -> String {
        self.commands()
            .iter()
            .map(|c| {
                c.iter()
                    .map(|w| crate::error::shell_word(w))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" && ")
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum StepStatus {
    Planned,
    Skipped { reason: String },
    Done,
    Failed { reason: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct PostStep {
    pub name: &'static str,
    pub command: String,
    #[serde(flatten)]
    pub status: StepStatus,
    #[serde(skip)]
    pub kind: StepKind,
    /// Asked for explicitly (`--go-mod-download`): when it cannot run, that is a failure
    /// (exit 3), not a quiet skip.
    #[serde(skip)]
    pub requested: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct PostStepOptions {
    pub git: bool,
    pub go_mod_download: bool,
}

/// Decides which steps will run and which are skipped, before anything is written.
pub fn plan_steps(target: &Path, options: PostStepOptions) -> Vec<PostStep> {
    let step = |kind: StepKind, status: StepStatus| PostStep {
        name: kind.name(),
        command: kind.display_commands(),
        status,
        kind,
        requested: kind == StepKind::GoModDownload && options.go_mod_download,
    };
    let git_status = if !options.git {
        StepStatus::Skipped {
            reason: "--no-git".into(),
        }
    } else if let Some(reason) = git_blocker(target) {
        StepStatus::Skipped { reason }
    } else {
        StepStatus::Planned
    };
    let go_status = if options.go_mod_download {
        if tool_runs("go", &["version"], Path::new(".")) {
            StepStatus::Planned
        } else {
            StepStatus::Skipped {
                reason: "`go` is not on PATH".into(),
            }
        }
    } else {
        StepStatus::Skipped {
            reason: "opt in with --go-mod-download".into(),
        }
    };
    vec![
        step(StepKind::GitInit, git_status),
        step(StepKind::GoModDownload, go_status),
    ]
}

fn command(program: &str, args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "");
    cmd
}

fn tool_runs(program: &str, args: &[&str], dir: &Path) -> bool {
    let mut cmd = command(program, args, dir);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    matches!(signals::output(&mut cmd, true), Some(Ok(out)) if out.status.success())
}

fn git_output(args: &[&str], dir: &Path) -> Option<String> {
    let mut cmd = command("git", args, dir);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let out = signals::output(&mut cmd, true)?.ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Why git init must not run here, if there is a reason.
fn git_blocker(target: &Path) -> Option<String> {
    if !tool_runs("git", &["--version"], Path::new(".")) {
        return Some("`git` is not on PATH".into());
    }
    let probe = nearest_existing(target);
    if git_output(&["rev-parse", "--is-inside-work-tree"], &probe).as_deref() == Some("true") {
        return Some("the target is inside a git work tree".into());
    }
    let name = git_output(&["config", "user.name"], &probe).unwrap_or_default();
    let email = git_output(&["config", "user.email"], &probe).unwrap_or_default();
    if name.is_empty() || email.is_empty() {
        return Some(
            "git has no identity (set user.name and user.email) so no commit can be made".into(),
        );
    }
    None
}

fn nearest_existing(target: &Path) -> std::path::PathBuf {
    let mut current = Some(target);
    while let Some(p) = current {
        if !p.as_os_str().is_empty() && p.is_dir() {
            return p.to_path_buf();
        }
        current = p.parent();
    }
    std::path::PathBuf::from(".")
}

/// Runs the planned steps in order; the first failure stops and is returned. A signal stops
/// the running step (and everything it started) and no further one starts: the result is
/// then `Error::InterruptedWritten`.
pub fn run_steps(target: &Path, steps: &mut [PostStep]) -> Result<()> {
    let interrupted = || Error::InterruptedWritten {
        target: target.to_path_buf(),
    };
    let rerun = |kind: StepKind| {
        format!(
            "cd {} && {}",
            crate::error::shell_word(&target.display().to_string()),
            kind.display_commands()
        )
    };
    let mut unavailable = None;
    for step in steps.iter_mut() {
        if let (true, StepStatus::Skipped { reason }) = (step.requested, &step.status) {
            let reason = reason.clone();
            step.status = StepStatus::Failed {
                reason: reason.clone(),
            };
            unavailable.get_or_insert(Error::PostStep {
                step: step.name.to_string(),
                reason,
                rerun: rerun(step.kind),
            });
            continue;
        }
        if !matches!(step.status, StepStatus::Planned) {
            continue;
        }
        for argv in step.kind.commands() {
            let mut cmd = command(argv[0], &argv[1..], target);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            let Some(output) = signals::output(&mut cmd, true) else {
                step.status = StepStatus::Skipped {
                    reason: "interrupted".into(),
                };
                return Err(interrupted());
            };
            if signals::interrupted() {
                step.status = StepStatus::Failed {
                    reason: "interrupted".into(),
                };
                return Err(interrupted());
            }
            let failure = match output {
                Ok(out) if out.status.success() => None,
                Ok(out) => Some(format!(
                    "`{}` exited with {}: {}",
                    argv.join(" "),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )),
                Err(e) => Some(format!("cannot run `{}`: {e}", argv[0])),
            };
            if let Some(reason) = failure {
                step.status = StepStatus::Failed {
                    reason: reason.clone(),
                };
                return Err(Error::PostStep {
                    step: step.name.to_string(),
                    reason,
                    rerun: rerun(step.kind),
                });
            }
        }
        step.status = StepStatus::Done;
    }
    unavailable.map_or(Ok(()), Err)
}
