//! Ctrl-C and termination signals. A `TempDir` is not dropped when the process is killed
//! by a signal, so the handler removes the staging folder itself, unless a commit is
//! under way: then it only raises a flag and the commit rolls back at its next step.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::exit;

#[derive(Default)]
struct State {
    staging: Vec<PathBuf>,
    committing: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    staging: Vec::new(),
    committing: false,
});
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. Call once, from the binary.
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let st = state();
        if st.committing {
            return;
        }
        for path in &st.staging {
            let _ = std::fs::remove_dir_all(path);
        }
        // Prompts hide the cursor; give it back before leaving.
        let _ = console::Term::stderr().show_cursor();
        std::process::exit(i32::from(exit::INTERRUPTED));
    })
    .map_err(|e| e.to_string())
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Registers a staging folder for removal on a signal, for as long as the guard lives.
pub struct StagingGuard {
    path: PathBuf,
}

impl StagingGuard {
    pub fn new(path: PathBuf) -> Self {
        state().staging.push(path.clone());
        StagingGuard { path }
    }
}

impl Drop for StagingGuard {
    fn drop(&mut self) {
        state().staging.retain(|p| p != &self.path);
    }
}

/// While it lives, a signal only sets the flag; the commit checks it and rolls back.
pub struct CommitGuard(());

impl Default for CommitGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl CommitGuard {
    pub fn new() -> Self {
        state().committing = true;
        CommitGuard(())
    }
}

impl Drop for CommitGuard {
    fn drop(&mut self) {
        state().committing = false;
    }
}
