//! Ctrl-C and termination signals, handled by the phase the process is in:
//! - idle (nothing touched yet, e.g. at a prompt): exit 130 at once;
//! - working (from the first change on disk until the project is in place): only raise a
//!   flag; the writer checks it between steps and unwinds, so removing the staging folder or
//!   undoing a merge never races with its own writes;
//! - done (the project is complete, post-steps may run): exit 130, saying so.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Working,
    Done,
}

static PHASE: Mutex<Phase> = Mutex::new(Phase::Idle);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn phase() -> std::sync::MutexGuard<'static, Phase> {
    PHASE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. Call once, from the binary.
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let now = *phase();
        if now == Phase::Working {
            return;
        }
        // Prompts hide the cursor; give it back before leaving.
        let _ = console::Term::stderr().show_cursor();
        if now == Phase::Done {
            eprintln!("gogen: interrupted after the project was written; it is complete");
        }
        std::process::exit(i32::from(exit::INTERRUPTED));
    })
    .map_err(|e| e.to_string())
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Holds the process in the working phase. Dropped without `finish`, it returns to idle
/// (everything was undone); `finish` moves on to done.
pub struct WorkGuard {
    finished: bool,
}

impl WorkGuard {
    pub fn begin() -> Self {
        *phase() = Phase::Working;
        WorkGuard { finished: false }
    }

    /// The project is in place.
    pub fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for WorkGuard {
    fn drop(&mut self) {
        *phase() = if self.finished {
            Phase::Done
        } else {
            Phase::Idle
        };
    }
}
