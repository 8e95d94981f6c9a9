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
