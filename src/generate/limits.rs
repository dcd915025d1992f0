//! Hard limits for rendering untrusted blueprints, on top of the fuel budget the template
//! engine enforces itself:
//! - a time budget for all rendering of one generation, and a bound on how much the live
//!   heap may grow during one render (intermediate values), both watched by a thread
//!   that stops gogen with exit 1, naming the file and the limit;
//! - a large stack for the work (see `run_on_big_stack`), and a guard that turns a stack
//!   overflow (a value nested millions deep at run time) into exit 1 with a message
//!   instead of an abort.
//!
//! Rendering happens before anything is written, so stopping the process there leaves
//! nothing behind.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// The system allocator, counting live bytes and refusing to let one render grow the heap
/// past its ceiling: the check runs before the memory is asked for, on the thread that
/// asks, so it holds however busy the machine is (a watching thread may not get to run
/// before a doubling list has taken all memory).
pub struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Live bytes a render may reach (0: no render is being watched).
static CEILING: AtomicUsize = AtomicUsize::new(0);
/// The growth that ceiling allows, for the message.
static MEMORY_LIMIT: AtomicUsize = AtomicUsize::new(0);

#[inline]
fn before_growth(by: usize) {
    let ceiling = CEILING.load(Ordering::Relaxed);
    if ceiling != 0 && LIVE.load(Ordering::Relaxed).saturating_add(by) > ceiling {
        over_memory();
    }
}

#[cold]
fn over_memory() {
    // Only the first to get here reports; turning the ceiling off first lets the report
    // itself allocate.
    if CEILING.swap(0, Ordering::SeqCst) == 0 {
        return;
    }
    let name = current_name();
    fail(&format!(
        "{name}: the template's values grew past the memory budget of {} MiB",
        MEMORY_LIMIT.load(Ordering::SeqCst) >> 20
    ));
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are
// read and updated on the side (and a render over its ceiling ends the process before
// the allocation is made).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        before_growth(layout.size());
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        before_growth(layout.size());
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            before_growth(new_size - layout.size());
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Bytes currently allocated on the heap.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Whether a fatal limit message should also go to stdout as a JSON error document.
static JSON_ERRORS: AtomicBool = AtomicBool::new(false);

pub fn report_as_json(on: bool) {
    JSON_ERRORS.store(on, Ordering::Relaxed);
}

struct Active {
    name: String,
    deadline: Instant,
    time_limit: Duration,
}

static ACTIVE: Mutex<Option<Active>> = Mutex::new(None);
static WATCHDOG: Once = Once::new();

/// A render in progress under the time and memory limits; dropping it ends the watch.
pub struct Watch {
    started: Instant,
}

impl Watch {
    /// Starts watching a render of `name`, which may take `time_left` of the generation's
    /// `time_limit`, and may grow the heap by at most `memory_limit` bytes.
    pub fn start(
        name: &str,
        time_left: Duration,
        time_limit: Duration,
        memory_limit: usize,
    ) -> Self {
        WATCHDOG.call_once(|| {
            let _ = std::thread::Builder::new()
                .name("render-watchdog".into())
                .spawn(watchdog);
        });
        set_current_name(name);
        let now = Instant::now();
        *active() = Some(Active {
            name: name.to_string(),
            deadline: now + time_left,
            time_limit,
        });
        MEMORY_LIMIT.store(memory_limit, Ordering::SeqCst);
        CEILING.store(
            live_bytes().saturating_add(memory_limit).max(1),
            Ordering::SeqCst,
        );
        Watch { started: now }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        CEILING.store(0, Ordering::SeqCst);
        *active() = None;
    }
}

fn active() -> std::sync::MutexGuard<'static, Option<Active>> {
    ACTIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Time is wall-clock, so a thread watches it (a render stuck in one long operation
/// never returns to check it).
fn watchdog() {
    loop {
        std::thread::sleep(Duration::from_millis(5));
        let guard = active();
        let Some(a) = guard.as_ref() else {
            continue;
        };
        if Instant::now() > a.deadline {
            fail(&format!(
                "{}: rendering went past the time budget of {} s for the whole generation",
                a.name,
                a.time_limit.as_secs()
            ));
        }
    }
}

/// Ends the process from the watchdog: nothing has been written yet.
fn fail(message: &str) -> ! {
    crate::signals::restore_terminal();
    let message = crate::printable::printable(message);
    if JSON_ERRORS.load(Ordering::Relaxed) {
        let doc = serde_json::json!({
            "schema_version": crate::generate::JSON_SCHEMA_VERSION,
            "error": { "exit_code": crate::error::exit::GENERATION_FAILED, "message": message },
        });
        let _ = rustix::io::write(rustix::stdio::stdout(), format!("{doc:#}\n").as_bytes());
    }
    let text = format!("  × {message}; nothing was written\n");
    let _ = rustix::io::write(rustix::stdio::stderr(), text.as_bytes());
    std::process::exit(i32::from(crate::error::exit::GENERATION_FAILED));
}

// ---- stack ----

/// Stack for the thread that does gogen's work: deep enough for every legitimate template
/// by a wide margin. Only the pages touched are ever committed.
const BIG_STACK: usize = 256 << 20;

/// The name of what is being rendered, readable from the stack-overflow handler, which
/// runs on the same thread that writes it.
struct NameBuf(UnsafeCell<[u8; 256]>);
// SAFETY: written only by the work thread and read only by a signal handler running on
// that same thread; a torn read can only garble the name in a message.
unsafe impl Sync for NameBuf {}
static NAME: NameBuf = NameBuf(UnsafeCell::new([0; 256]));
static NAME_LEN: AtomicUsize = AtomicUsize::new(0);

/// The name set by the last `Watch::start`, copied out.
fn current_name() -> String {
    let n = NAME_LEN.load(Ordering::SeqCst);
    // SAFETY: see NameBuf; only the work thread writes it.
    let bytes = unsafe { &(&*NAME.0.get())[..n] };
    String::from_utf8_lossy(bytes).into_owned()
}

fn set_current_name(name: &str) {
    let bytes = name.as_bytes();
    let n = bytes.len().min(255);
    NAME_LEN.store(0, Ordering::SeqCst);
    // SAFETY: see NameBuf.
    unsafe { (&mut *NAME.0.get())[..n].copy_from_slice(&bytes[..n]) };
    NAME_LEN.store(n, Ordering::SeqCst);
}

/// The work thread's stack, guard page included: `[low, high)`.
static STACK_LOW: AtomicUsize = AtomicUsize::new(0);
static STACK_HIGH: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` on a thread with a large stack, where a stack overflow ends gogen with exit 1
/// and a message rather than an abort.
pub fn run_on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    one_heap_arena();
    std::thread::scope(|scope| {
        let work = || {
            record_stack_bounds();
            install_overflow_handler();
            f()
        };
        let handle = std::thread::Builder::new()
            .name("gogen".into())
            .stack_size(BIG_STACK)
            .spawn_scoped(scope, work);
        match handle {
            Ok(h) => h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => unreachable_small_stack(),
        }
    })
}

/// glibc gives each new thread its own heap arena, grown a few pages at a time with
/// `mprotect` (some 300 calls and page faults per `gogen new`). The work thread is the only
/// one that allocates much while the main thread waits for it, so all share one arena.
fn one_heap_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes the allocator's own lock and only changes a tuning parameter.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn unreachable_small_stack() -> ! {
    let _ = rustix::io::write(
        rustix::stdio::stderr(),
        b"gogen: cannot start a thread with a large enough stack\n",
    );
    std::process::exit(i32::from(crate::error::exit::GENERATION_FAILED));
}

fn record_stack_bounds() {
    // SAFETY: plain queries of the calling thread's attributes.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let mut guard: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_getguardsize(&attr, &mut guard);
        libc::pthread_attr_destroy(&mut attr);
        if ok {
            let low = (addr as usize).saturating_sub(guard.max(4096) + (64 << 10));
            STACK_LOW.store(low, Ordering::SeqCst);
            STACK_HIGH.store(addr as usize + (64 << 10), Ordering::SeqCst);
        }
    }
}

static mut PREVIOUS_SEGV: Option<libc::sigaction> = None;
static mut PREVIOUS_BUS: Option<libc::sigaction> = None;
static HANDLER: Once = Once::new();

fn install_overflow_handler() {
    HANDLER.call_once(|| {
        // SAFETY: installs a handler that only uses async-signal-safe calls (write,
        // tcsetattr, _exit) or hands the signal to the handler that was there before.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGSEGV, &action, &mut old) == 0 {
                PREVIOUS_SEGV = Some(old);
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut old) == 0 {
                PREVIOUS_BUS = Some(old);
            }
        }
    });
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: called by the kernel with a valid siginfo; only async-signal-safe work.
    unsafe {
        let addr = (*info).si_addr() as usize;
        let (low, high) = (
            STACK_LOW.load(Ordering::SeqCst),
            STACK_HIGH.load(Ordering::SeqCst),
        );
        if low != 0 && addr >= low && addr < high {
            crate::signals::restore_terminal();
            let err = rustix::stdio::stderr();
            let _ = rustix::io::write(err, b"  \xc3\x97 ");
            let n = NAME_LEN.load(Ordering::SeqCst);
            if n > 0 {
                let _ = rustix::io::write(err, &(&*NAME.0.get())[..n]);
                let _ = rustix::io::write(err, b": ");
            }
            let _ = rustix::io::write(
                err,
                b"the template nests values too deeply (gogen's stack is used up); nothing was written\n",
            );
            libc::_exit(i32::from(crate::error::exit::GENERATION_FAILED));
        }
        let previous = if sig == libc::SIGBUS {
            (*std::ptr::addr_of!(PREVIOUS_BUS)).as_ref()
        } else {
            (*std::ptr::addr_of!(PREVIOUS_SEGV)).as_ref()
        };
        match previous {
            Some(old) if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN => {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(old.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                    f(sig);
                }
            }
            _ => {
                // Not ours: let the fault happen again with the default action.
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}
