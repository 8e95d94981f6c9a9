//! A signal handler that logs through another logger than the one its
//! thread is logging through, interrupting that thread anywhere in its
//! calls (the fast path's lend included): every record of the thread
//! reaches its own logger, in order, none reaches the handler's; the
//! handler's records reach the handler's logger or are counted lost
//! there; both loggers' books balance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use uringlog::{Format, Logger, MemoryHandle, MemorySink, Timestamp, WriterGuard};
use uringlog_tests::SHUTDOWN;

const RECORDS: u64 = 50_000;
const SIGNALS: u64 = 50_000;

/// The handler's logger.
static OTHER: OnceLock<Logger> = OnceLock::new();
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    let n = HANDLED.fetch_add(1, Ordering::Relaxed);
    if let Some(l) = OTHER.get() {
        uringlog::info!(l, "sig={} {}", n, u64::MAX);
    }
}

fn memory_logger() -> (Logger, WriterGuard, MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (l, g) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    (l, g, out)
}

#[test]
fn a_signal_handler_logging_through_another_logger_mid_call_keeps_each_ones_records() {
    let (main_logger, main_guard, main_out) = memory_logger();
    let (other, other_guard, other_out) = memory_logger();
    // The thread's producer for the handler's logger registered before any
    // signal: a registration allocates, which a handler must not do.
    uringlog::info!(other, "sig={} warm", 0u64);
    OTHER.set(other).ok().unwrap();
    // SAFETY: a zeroed sigaction with a handler and an empty mask is valid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut()), 0);
    }
    // SAFETY: the calling thread's own id.
    let me = unsafe { libc::pthread_self() } as usize;
    let stormer = std::thread::spawn(move || {
        for n in 0..SIGNALS {
            // SAFETY: signals the logging thread, alive until joined below.
            let r = unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR2) };
            assert_eq!(r, 0);
            // One at a time: a pending signal sent again is merged.
            while HANDLED.load(Ordering::Relaxed) <= n {
                std::hint::spin_loop();
            }
        }
    });
    let mut i = 0u64;
    while i < RECORDS || HANDLED.load(Ordering::Relaxed) < SIGNALS {
        assert!(i < 100 * RECORDS, "signals not handled");
        uringlog::info!(main_logger, "main={} {} {}", i, -1i8, 'x');
        i += 1;
    }
    stormer.join().unwrap();
    let handled = HANDLED.load(Ordering::Relaxed);
    assert_eq!(handled, SIGNALS);

    let m = main_guard.shutdown(SHUTDOWN).unwrap();
    let o = other_guard.shutdown(SHUTDOWN).unwrap();
    let main_lines = main_out.lines();
    let other_lines = other_out.lines();
    let strays = other_lines
        .iter()
        .filter(|x| !x.starts_with("INFO  sig="))
        .count();
    assert_eq!(strays, 0, "the thread's records in the handler's logger");
    let main: Vec<u64> = main_lines
        .iter()
        .map(|x| {
            let x = x
                .strip_prefix("INFO  main=")
                .unwrap_or_else(|| panic!("{x}"));
            assert!(x.ends_with(" -1 x"), "{x}");
            x.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(main, (0..i).collect::<Vec<_>>());
    assert_eq!((m.enqueued, m.written, m.dropped), (i, i, 0));
    // A handler call that finds the thread's producers lent is lost.
    assert_eq!(o.enqueued, handled + 1);
    assert_eq!(o.written + o.dropped, handled + 1);
    assert_eq!(other_lines.len() as u64, o.written);
    assert_eq!(other_lines[0], "INFO  sig=0 warm");
    let sig: Vec<u64> = other_lines[1..]
        .iter()
        .map(|x| {
            x["INFO  sig=".len()..]
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        sig.windows(2).all(|w| w[0] < w[1]),
        "handler's records out of order"
    );
    eprintln!("{} of {handled} handler calls lost", o.dropped);
}
