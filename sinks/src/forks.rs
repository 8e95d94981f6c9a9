//! Forks of this process, for a file sink about to truncate its file.
//!
//! Giving back preallocated blocks truncates a file to the size just
//! read (see `prealloc`). A child forked since the sink opened the file
//! may append to it (its logger's sink is a twin on the same path), and a
//! batch of the child's landing between the read and the truncation would
//! be cut — before the child wrote anything, nothing tells its parent. So
//! the sink asks [`unless_forked_since`] to truncate: not at all if the
//! process forked since the sink began, and no fork while it does.
//!
//! The count is guarded by a lock the `pthread_atfork` prepare handler
//! takes, so a fork waits for a truncation under way, and one that
//! starts after it finds the count moved.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use uringlog::__private::{
    register_fork_handler, ForkLock, FORK_HANDLER_HOOKED, FORK_HANDLER_UNHOOKED,
};

/// Forks made by this process and its ancestors since the handlers were
/// installed. Held across each fork by the handlers.
static FORKS: ForkLock<u64> = ForkLock::new(0);
/// Whether the fork handlers are installed (see `register_fork_handler`;
/// not a `OnceLock`, for the reason the syslog socket registry gives).
static HOOKED: AtomicU64 = AtomicU64::new(FORK_HANDLER_UNHOOKED);

extern "C" fn before_fork() {
    FORKS.hold_across_fork();
}

extern "C" fn after_fork_in_parent() {
    // SAFETY: `before_fork` took it in this thread, the one that forked.
    let mut forks = unsafe { FORKS.adopt() };
    *forks += 1;
}

extern "C" fn after_fork_in_child() {
    // Relaxed: the child's only thread is this one.
    HOOKED.store(FORK_HANDLER_HOOKED, Ordering::Relaxed);
    // SAFETY: `before_fork` took it in the thread that forked, this
    // process's only thread.
    let mut forks = unsafe { FORKS.adopt() };
    *forks += 1;
}

/// The count of forks now, installing the handlers first (once per
/// process). A failure to install them is returned: without them a
/// truncation could not know of a fork.
pub(crate) fn count() -> io::Result<u64> {
    register_fork_handler(&HOOKED, || {
        // SAFETY: the handlers are `extern "C"` functions that live for
        // the whole process.
        unsafe {
            libc::pthread_atfork(
                Some(before_fork),
                Some(after_fork_in_parent),
                Some(after_fork_in_child),
            )
        }
    })
    .map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot register the fork handler: pthread_atfork failed: {e}"),
        )
    })?;
    Ok(*FORKS.lock())
}

/// Runs `f` if the count is still `since` (no fork since), with no fork
/// while it runs; `None` if the process forked.
pub(crate) fn unless_forked_since<R>(since: u64, f: impl FnOnce() -> R) -> Option<R> {
    let forks = FORKS.lock();
    (*forks == since).then(f)
}
