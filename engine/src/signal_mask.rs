//! Sections no signal handler of their thread runs inside: [`hold_off`]
//! and [`restore`].
//!
//! A signal handler runs on the thread the signal interrupts, in the
//! middle of whatever it was doing. A handler that forks there runs the
//! `pthread_atfork` prepare handlers on that thread, and one that takes a
//! lock the interrupted code holds waits for ever: the holder is the
//! waiter. So the locks that the fork handlers take
//! ([`crate::fork_lock::ForkLock`]) are held with the asynchronous signals
//! blocked on the holding thread: a signal arriving meanwhile stays
//! pending and its handler runs as soon as the lock is freed.
//!
//! Synchronous fault signals (`SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`,
//! `SIGTRAP`, `SIGSYS`) stay unblocked: one raised by a fault while
//! blocked ends the process without its handler (Rust's own stack
//! overflow report is such a handler). Both calls are async-signal-safe
//! (`pthread_sigmask`).

/// Signals a fault raises in the faulting thread: never blocked.
const FAULTS: [libc::c_int; 6] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGSYS,
];

/// Blocks every asynchronous signal on this thread; returns the mask from
/// before, for [`restore`].
pub(crate) fn hold_off() -> libc::sigset_t {
    let mut all = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    let mut before = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigfillset` initializes `all`; `sigdelset` takes valid
    // signal numbers; `pthread_sigmask` reads `all` and writes `before`,
    // both alive for the call, and cannot fail with a valid `how`.
    unsafe {
        libc::sigfillset(all.as_mut_ptr());
        for signo in FAULTS {
            libc::sigdelset(all.as_mut_ptr(), signo);
        }
        let r = libc::pthread_sigmask(libc::SIG_BLOCK, all.as_ptr(), before.as_mut_ptr());
        debug_assert_eq!(r, 0);
        before.assume_init()
    }
}

/// Puts back this thread's signal mask from before [`hold_off`]; a signal
/// that arrived meanwhile is handled before this returns.
pub(crate) fn restore(before: &libc::sigset_t) {
    // SAFETY: `before` is a mask `hold_off` read; no old mask is asked for.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, before, std::ptr::null_mut()) };
    debug_assert_eq!(r, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's mask.
    fn current() -> libc::sigset_t {
        let mut now = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: asks for the mask only (no set given).
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), now.as_mut_ptr());
            now.assume_init()
        }
    }

    /// Whether `signo` is in `set`.
    fn has(set: &libc::sigset_t, signo: libc::c_int) -> bool {
        // SAFETY: `set` is initialized; `signo` is a valid signal number.
        unsafe { libc::sigismember(set, signo) == 1 }
    }

    /// Held off: the asynchronous signals are blocked, the faults are not;
    /// restored: the mask is as before.
    #[test]
    fn asynchronous_signals_are_held_off_and_faults_are_not() {
        let before = current();
        let held = hold_off();
        let during = current();
        restore(&held);
        let after = current();
        for signo in [libc::SIGUSR1, libc::SIGALRM, libc::SIGTERM, libc::SIGHUP] {
            assert!(has(&during, signo), "signal {signo} held off");
        }
        for signo in FAULTS {
            assert!(!has(&during, signo), "fault signal {signo} left open");
        }
        for signo in 1..libc::SIGRTMAX() {
            let was = has(&before, signo);
            assert_eq!((has(&held, signo), has(&after, signo)), (was, was), "{signo}");
        }
    }
}
