//! A signal handler that logs through a logger whose producer the thread
//! used last, while that thread is registering a producer for another
//! logger: the list of the thread's producers is being changed (a closed
//! logger's producer removed, the others moved down, the new one pushed),
//! so the handler's call must not reach the producer where it was. It is
//! counted enqueued and dropped, as any call nested in another of the
//! same thread; the thread's records before and after are written once,
//! in order.
//!
//! The signal lands there deterministically: the new logger is crash-safe,
//! and its ring file (created by the thread's first record) is larger
//! than `RLIMIT_FSIZE` allows, so the kernel sends `SIGXFSZ` to the thread
//! from inside that `fallocate`; the ring then falls back to memory.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
use uringlog_tests::{text_memory_logger, SHUTDOWN};

/// The logger the handler logs through.
static CACHED: OnceLock<Logger> = OnceLock::new();
/// How often the handler ran.
static SIGNALS: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_sigxfsz(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
    if let Some(l) = CACHED.get() {
        l.log(Level::Info, "t", format_args!("from the handler"));
    }
}

#[test]
fn a_signal_handler_that_logs_while_a_producer_registers_keeps_the_books() {
    // The thread's producers: [first, cached], `cached` the most recent.
    let (first, first_guard, _) = text_memory_logger();
    let (cached, cached_guard, out) = text_memory_logger();
    first.log(Level::Info, "t", format_args!("first"));
    cached.log(Level::Info, "t", format_args!("before"));
    assert!(CACHED.set(cached.clone()).is_ok());
    // Shut down: the next registration removes its producer, moving
    // `cached`'s down one place in the list.
    first_guard.shutdown(SHUTDOWN).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (sink, crash_out) = MemorySink::new();
    let (crash_safe, crash_guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .crash_safe(dir.path())
        .ring_capacity(1 << 20)
        .build()
        .unwrap();

    // SAFETY: installs a handler for a signal nothing else in this test
    // binary uses; the handler only touches atomics and logs.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigxfsz as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGXFSZ, &sa, std::ptr::null_mut()), 0);
    }
    // Below the ring file (1 MiB and its header), above every other file.
    uringlog_tests::set_fsize(256 * 1024);
    crash_safe.log(Level::Info, "t", format_args!("crash-safe"));
    uringlog_tests::set_fsize(libc::RLIM_INFINITY);
    assert_eq!(
        SIGNALS.load(Ordering::SeqCst),
        1,
        "one SIGXFSZ, from the ring file"
    );

    cached.log(Level::Info, "t", format_args!("after"));
    cached.log(Level::Info, "t", format_args!("and after"));
    let s = cached_guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.text(),
        "INFO  t: before\nINFO  t: after\nINFO  t: and after\n"
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (4, 3, 1));

    let s = crash_guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(crash_out.text(), "INFO  t: crash-safe\n");
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
}
