//! Draining at process exit: `exit()` writes what was already logged.
//!
//! A [`crate::WriterGuard`] drains the rings when it is shut down or
//! dropped. When it never is — the process calls `std::process::exit`, the
//! guard lives in a `static`, or it was `mem::forget`-ed — the records still
//! in the rings would vanish with the process, uncounted. So `build()` puts
//! every async logger on a process-wide list, and the first build installs
//! one `atexit(3)` hook that shuts down every logger still on it, waiting at
//! most [`EXIT_DRAIN_TIMEOUT`] for all of them together.
//!
//! The list is global state, which the engine otherwise avoids: exit is
//! process-wide, and a hook run by `exit` has no other way to find the
//! loggers. It holds nothing but pointers to loggers not yet shut down.
//!
//! # What each way of ending the process does
//!
//! - `exit(3)`, `std::process::exit`, returning from `main`: the hook shuts
//!   each listed logger down as [`crate::WriterGuard::shutdown`] would:
//!   every record logged before it runs is written, or counted dropped if
//!   the timeout expires (the writer then gives up as shutdown does).
//!   Records logged after it ran (by other threads still running, later
//!   `atexit` hooks, thread-local destructors) are counted dropped. So are
//!   those the exiting thread logs from an `atexit` hook registered after
//!   the logger was built, which runs before this one: glibc's `exit` runs
//!   the exiting thread's thread-local destructors before any hook, and
//!   the thread's producer goes with them (a call without one is counted
//!   dropped).
//!   Called on a logger's writer thread (a sink calling `exit`), the hook
//!   stops that logger without waiting for it, and takes the start of a
//!   record the writer began in its file (see `writer::sinks::aligned`)
//!   out again: the file ends on a whole record.
//! - `_exit(2)`, `abort()`, a fatal signal's default action (`SIGKILL`,
//!   `SIGTERM` unhandled, `SIGSEGV`), `execve(2)`: no hook runs. Records
//!   still in the rings or in batches not yet submitted are lost, uncounted
//!   (the process and its counters are gone); what the kernel accepted is
//!   in the page cache and survives the process. A service that wants
//!   `SIGTERM` to drain handles it and calls `exit`.
//! - In a child forked from a logging process, inherited loggers are
//!   drained through the writer the child started for them, if any (see
//!   `fork`); the parent's records are never written by the child.
//!
//! # The list
//!
//! Lock-free (see `list`), so the hook never waits for a lock that another
//! thread holds — or that a thread holds which no longer exists, in a forked
//! child. Each entry is a weak reference (`Weak::into_raw`): the list keeps
//! no logger alive, and the reference keeps the allocation from being
//! reused while the entry exists. A guard's shutdown takes its entry back;
//! the hook takes whatever is left; exactly one of them gets each.

mod list;

use crate::shared::Shared;
use crate::stats::WriterCounters;
use list::{Entry, List};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// Longest the exit hook waits for every listed logger to drain, in all.
pub const EXIT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the hook waits for writers that gave up to end.
const GIVE_UP_GRACE: Duration = Duration::from_millis(500);

/// Every logger whose guard has not shut it down.
#[cfg(not(loom))]
fn list() -> &'static List<Shared> {
    static LIST: List<Shared> = List::new();
    &LIST
}

/// Under loom, whose atomics cannot live in a `static`, made on first use
/// (only the models run there, and they build their own lists).
#[cfg(loom)]
fn list() -> &'static List<Shared> {
    static LIST: std::sync::OnceLock<List<Shared>> = std::sync::OnceLock::new();
    LIST.get_or_init(List::new)
}
/// Whether the `atexit` hook is installed.
static HOOKED: AtomicBool = AtomicBool::new(false);

/// A logger's place on the list, held by its guard.
#[derive(Debug)]
pub(crate) struct ExitSlot(Entry<'static, Shared>);

/// Puts `shared` on the list (installing the hook on first use).
pub(crate) fn register(shared: &Arc<Shared>) -> ExitSlot {
    install_hook();
    let ptr = Weak::into_raw(Arc::downgrade(shared)).cast_mut();
    ExitSlot(list().insert(ptr))
}

/// Takes `shared` off the list (its guard is shutting it down); nothing
/// if the hook took it first.
pub(crate) fn unregister(slot: &ExitSlot) {
    if let Some(ptr) = slot.0.remove() {
        // SAFETY: the list held this weak reference (from `register`), and
        // `remove` handed it back to us alone.
        drop(unsafe { Weak::from_raw(ptr) });
    }
}

fn install_hook() {
    if HOOKED.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds.
    // A failure (no room for another hook) leaves exit without a drain,
    // as before; there is nothing better to do about it here.
    let _ = unsafe { libc::atexit(at_exit) };
}

/// The hook: shuts down every listed logger, in parallel, within the bound.
extern "C" fn at_exit() {
    // No panic may unwind into C.
    let _ = std::panic::catch_unwind(drain_all);
}

fn drain_all() {
    let deadline = Instant::now() + EXIT_DRAIN_TIMEOUT;
    let mut taken: Vec<Arc<Shared>> = Vec::new();
    list().take_all(|p| {
        // SAFETY: the list held this weak reference; `take_all` handed it
        // to us alone.
        let weak = unsafe { Weak::from_raw(p) };
        taken.extend(weak.upgrade());
    });
    // Inherited through fork: not this process's to drain (a successor
    // started here is on the list in its own right).
    let engines: Vec<&Arc<Shared>> = taken.iter().filter(|s| s.is_here()).collect();
    for e in &engines {
        e.begin_shutdown(deadline);
    }
    if let Some(e) = engines.iter().find(|e| e.on_writer_thread()) {
        // Its writer, suspended in a sink's code, never writes the rest
        // of a record it began in a file: the start comes out again.
        if let Some(n) = crate::writer::sinks::aligned::cut_begun_here() {
            WriterCounters::take_back(&e.counters.bytes_written, n);
        }
    }
    for e in engines.iter().filter(|e| !e.on_writer_thread()) {
        if !wait_done(e, deadline) {
            e.give_up(EXIT_DRAIN_TIMEOUT);
            wait_done(e, Instant::now() + GIVE_UP_GRACE);
        }
    }
}

/// Waits until `e`'s writer has ended or `deadline` passes; whether it ended.
fn wait_done(e: &Shared, deadline: Instant) -> bool {
    loop {
        // Acquire: pairs with the writer's Release store on its way out.
        if e.writer_done.load(Ordering::Acquire) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        // No lock, no condition variable: polling keeps the hook free of
        // anything another thread could hold.
        std::thread::sleep(Duration::from_millis(1));
    }
}
