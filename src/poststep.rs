//! Post-steps run after the project is in place: `git init` + a first commit, and an
//! opt-in `go mod download`. Fixed argument lists, no shell, and no answer ever becomes
//! an argument. A failure keeps the project and says how to rerun the step.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::error::{Error, Result};

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

    pub fn display_commands(self) -> String {
        self.commands()
            .iter()
            .map(|c| c.join(" "))
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
    command(program, args, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn git_output(args: &[&str], dir: &Path) -> Option<String> {
    let out = command("git", args, dir)
        .stderr(Stdio::null())
        .output()
        .ok()?;
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

/// Runs the planned steps in order; the first failure stops and is returned.
pub fn run_steps(target: &Path, steps: &mut [PostStep]) -> Result<()> {
    for step in steps.iter_mut() {
        if !matches!(step.status, StepStatus::Planned) {
            continue;
        }
        for argv in step.kind.commands() {
            let output = command(argv[0], &argv[1..], target)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .output();
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
                    rerun: format!(
                        "cd {} && {}",
                        crate::error::shell_word(&target.display().to_string()),
                        step.kind.display_commands()
                    ),
                });
            }
        }
        step.status = StepStatus::Done;
    }
    Ok(())
}
