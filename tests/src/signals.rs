//! Signals aimed at one thread, for tests of handlers that log.

use std::sync::atomic::{AtomicU64, Ordering};

/// Installs `handler` for `signal`: `SA_RESTART`, nothing masked while it
/// runs.
pub fn install_handler(signal: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction with a handler and an empty mask is valid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(signal, &sa, std::ptr::null_mut()), 0);
    }
}

/// Sends `signal` `count` times to the calling thread, from a thread of
/// its own, one at a time (a pending signal sent again is merged): each
/// once `handled`, which the handler counts up, says the last one was
/// handled. Returns that thread; the calling thread must live until it
/// is joined.
pub fn storm_this_thread(
    signal: libc::c_int,
    count: u64,
    handled: &'static AtomicU64,
) -> std::thread::JoinHandle<()> {
    // SAFETY: the calling thread's own id.
    let me = unsafe { libc::pthread_self() } as usize;
    std::thread::spawn(move || {
        for n in 0..count {
            // SAFETY: signals the calling thread, alive until this one is
            // joined (the caller's promise).
            let r = unsafe { libc::pthread_kill(me as libc::pthread_t, signal) };
            assert_eq!(r, 0);
            while handled.load(Ordering::Relaxed) <= n {
                std::thread::yield_now();
            }
        }
    })
}

/// The handler installed for `signal` now (`sa_sigaction`; `SIG_DFL` is 0).
pub fn handler_of(signal: libc::c_int) -> libc::sighandler_t {
    // SAFETY: an all-zero sigaction is a valid value to be written over.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    let r = unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) };
    assert_eq!(r, 0, "sigaction: {}", std::io::Error::last_os_error());
    old.sa_sigaction
}

/// A logger writing to a file at `path` in `mode` that reopens it on
/// `SIGHUP`.
pub fn reopening_on_sighup(
    path: &std::path::Path,
    mode: uringlog::Mode,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    uringlog::Logger::builder()
        .sink(uringlog_sinks::FileSink::new(path).unwrap())
        .mode(mode)
        .reopen_on_signal(libc::SIGHUP)
        .build()
        .unwrap()
}
