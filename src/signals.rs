//! Ctrl-C and termination signals (SIGINT, SIGTERM, SIGHUP), handled by the phase the
//! process is in:
//! - idle (nothing on disk to undo, e.g. at a prompt): restore the terminal, say
//!   "interrupted" on a line of its own, and exit 130 at once;
//! - busy (a git fetch into a temporary folder, or writing the project): only raise the
//!   flag and pass the signal on to running children; the code checks the flag between
//!   steps and unwinds, so the staging folder, an undone merge or the temporary checkout
//!   is cleaned up by the code that made it;
//! - written (the project is complete, post-steps may run): the same, and no post-step
//!   starts once the signal was seen; gogen exits 130 saying the project is complete.
//!
//! The flag is set inside the signal handler itself, so it is visible at once; the rest
//! runs on a watcher thread. Post-step children run in a process group of their own, so a
//! signal reaches everything they started; a git fetch stays in gogen's group because ssh
//! may need the terminal for a host key or a passphrase.

use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::error::exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Busy,
    Written,
}

struct State {
    phase: Phase,
    busy_depth: usize,
    /// Running children: (pid, whether it leads its own process group).
    children: Vec<(i32, bool)>,
}

static STATE: Mutex<State> = Mutex::new(State {
    phase: Phase::Idle,
    busy_depth: 0,
    children: Vec::new(),
});
static SEEN: AtomicBool = AtomicBool::new(false);
static TERMINAL: OnceLock<Vec<(i32, rustix::termios::Termios)>> = OnceLock::new();

const SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handlers. Call once, from the binary, before any prompt.
pub fn install() -> Result<(), String> {
    save_terminal();
    for sig in SIGNALS {
        signal_hook::flag::register(sig, &SEEN).map_err(|e| e.to_string())?;
    }
    let mut signals = signal_hook::iterator::Signals::new(SIGNALS).map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                handle(sig);
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn handle(sig: i32) {
    // The lock is held to the end: the main thread cannot start a child or change phase
    // while this decides, and an exit here happens with the state it saw.
    let st = state();
    forward(&st.children, sig);
    if st.phase == Phase::Idle {
        report_interrupted();
        std::process::exit(i32::from(exit::INTERRUPTED));
    }
}

static REPORTED: Mutex<bool> = Mutex::new(false);

/// Gives the terminal back and says "interrupted; nothing was written", once. Two paths
/// get here for one Ctrl-C at a prompt, in either order: this watcher (the key became a
/// signal) and the main thread (the prompt's read failed with `Interrupted`, or read the key
/// itself in raw mode). Whichever comes second waits for the first to finish printing.
pub fn report_interrupted() {
    let mut reported = REPORTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !*reported {
        restore_terminal();
        raw_stderr("\n  × interrupted; nothing was written\n".as_bytes());
        *reported = true;
    }
}

fn forward(children: &[(i32, bool)], sig: i32) {
    use rustix::process::{Pid, Signal, kill_process, kill_process_group};
    let signal = match sig {
        signal_hook::consts::SIGINT => Signal::INT,
        signal_hook::consts::SIGHUP => Signal::HUP,
        _ => Signal::TERM,
    };
    for &(pid, group) in children {
        let Some(pid) = Pid::from_raw(pid) else {
            continue;
        };
        let send = |s: Signal| {
            let _ = if group {
                kill_process_group(pid, s)
            } else {
                kill_process(pid, s)
            };
        };
        send(signal);
        // A stopped child (e.g. one that read from the terminal) acts on it only once
        // continued.
        send(Signal::CONT);
    }
}

fn raw_stderr(bytes: &[u8]) {
    let _ = rustix::io::write(rustix::stdio::stderr(), bytes);
}

/// Remembers the terminal settings of stdin and stderr, so a signal at any moment (even
/// while a prompt has the terminal in raw mode) can put them back.
fn save_terminal() {
    let mut saved = Vec::new();
    for fd in [0, 2] {
        // SAFETY: 0 and 2 stay open for the life of the process.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        if rustix::termios::isatty(borrowed)
            && let Ok(t) = rustix::termios::tcgetattr(borrowed)
        {
            saved.push((fd, t));
        }
    }
    let _ = TERMINAL.set(saved);
}

/// Echo and line mode back as they were before any prompt, and the cursor visible.
pub fn restore_terminal() {
    let Some(saved) = TERMINAL.get() else {
        return;
    };
    for (fd, t) in saved {
        // SAFETY: see save_terminal.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(*fd) };
        let _ = rustix::termios::tcsetattr(borrowed, rustix::termios::OptionalActions::Now, t);
    }
    if saved.iter().any(|(fd, _)| *fd == 2) {
        raw_stderr(b"\x1b[?25h");
    }
}

/// Has a signal arrived?
pub fn interrupted() -> bool {
    SEEN.load(Ordering::SeqCst)
}

/// Holds the process busy: a signal only raises the flag until the guard is dropped.
/// Guards nest.
pub struct Busy {
    _private: (),
}

impl Busy {
    pub fn begin() -> Self {
        let mut st = state();
        st.busy_depth += 1;
        if st.phase == Phase::Idle {
            st.phase = Phase::Busy;
        }
        Busy { _private: () }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut st = state();
        st.busy_depth -= 1;
        if st.busy_depth == 0 && st.phase == Phase::Busy {
            st.phase = Phase::Idle;
        }
    }
}

/// The project is in place: from now on a signal never exits at once, since what is left
/// (post-steps) is stopped and reported by the code that runs it.
pub fn project_written() {
    state().phase = Phase::Written;
}

/// Runs a child and collects its output. It is never started once a signal was seen, and
/// a signal while it runs is passed on to it (to its whole process group with
/// `own_group`). Returns `None` when interrupted before it could start.
pub fn output(cmd: &mut Command, own_group: bool) -> Option<std::io::Result<Output>> {
    let child: Child = {
        let mut st = state();
        if interrupted() {
            return None;
        }
        if own_group {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        match cmd.spawn() {
            Ok(c) => {
                st.children.push((c.id() as i32, own_group));
                c
            }
            Err(e) => return Some(Err(e)),
        }
    };
    let pid = child.id() as i32;
    let out = child.wait_with_output();
    state().children.retain(|(p, _)| *p != pid);
    Some(out)
}
