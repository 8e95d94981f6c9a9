//! A signal handler that logs copied values (the calls' fast path) on a
//! thread that logs in bursts, each after a pause and with its ring
//! emptied by a flush: the first call after a pause, which rebases the
//! emptied ring and notes its call site's types (`after_pause`), is now
//! the thread's own, now the handler's (every other handler moves the
//! manual clock on by a pause first), and the handler interrupts the
//! thread anywhere: in a call (its own call then finds the producer lent
//! and is counted lost), between calls, in a flush. Every record of the
//! thread is written once and in order, every handler's record that was
//! not counted lost is written once and in order, and the books balance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use uringlog::{Clock, Format, Logger, ManualClock, MemorySink, Timestamp};
use uringlog_tests::signals::{install_handler, storm_this_thread};
use uringlog_tests::{strictly_increasing, PAUSE, SHUTDOWN};

const RECORDS: u64 = 20_000;
const SIGNALS: u64 = 2_000;
/// Records of the thread between two pauses.
const BURST: u64 = 16;

static LOGGER: OnceLock<Logger> = OnceLock::new();
static CLOCK: OnceLock<ManualClock> = OnceLock::new();
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    let n = HANDLED.fetch_add(1, Ordering::Relaxed);
    if let (Some(l), Some(clock)) = (LOGGER.get(), CLOCK.get()) {
        if n % 2 == 0 {
            // One atomic add: async-signal-safe.
            clock.advance_nanos(PAUSE);
        }
        uringlog::info!(l, "sig={} {}", n, u64::MAX);
    }
}

#[test]
fn a_signal_handler_that_logs_after_a_pause_keeps_the_books() {
    let (clock, hand) = Clock::manual(1_000_000_000);
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .ring_capacity(64 * 1024)
        .clock(clock)
        .build()
        .unwrap();
    CLOCK.set(hand).ok().unwrap();
    LOGGER.set(logger).ok().unwrap();
    let (l, hand) = (LOGGER.get().unwrap(), CLOCK.get().unwrap());
    // The thread's producer is registered before any handler runs (a
    // registration allocates: not for a handler).
    uringlog::info!(l, "main=start {} {}", -1i8, 'x');
    install_handler(libc::SIGUSR1, on_signal);
    let stormer = storm_this_thread(libc::SIGUSR1, SIGNALS, &HANDLED);
    // Logs until every signal has been handled, at least `RECORDS` times.
    let mut i = 0u64;
    while i < RECORDS || HANDLED.load(Ordering::Relaxed) < SIGNALS {
        assert!(i < 50 * RECORDS, "signals not handled");
        if i % BURST == 0 {
            l.flush().unwrap();
            hand.advance_nanos(PAUSE);
        }
        uringlog::info!(l, "main={} {} {}", i, -1i8, 'x');
        i += 1;
    }
    stormer.join().unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let handled = HANDLED.load(Ordering::Relaxed);
    assert_eq!(handled, SIGNALS);
    assert_eq!(s.enqueued, 1 + i + handled);
    assert_eq!(s.written + s.dropped, s.enqueued);
    let lines = out.lines();
    assert_eq!(lines[0], "INFO  main=start -1 x");
    let main: Vec<u64> = (lines.iter())
        .filter_map(|x| x.strip_prefix("INFO  main="))
        .skip(1)
        .map(|x| {
            assert!(x.ends_with(" -1 x"), "{x}");
            x.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(main, (0..i).collect::<Vec<_>>());
    let sig: Vec<u64> = (lines.iter())
        .filter_map(|x| x.strip_prefix("INFO  sig="))
        .map(|x| {
            let (n, rest) = x.split_once(' ').unwrap();
            assert_eq!(rest, u64::MAX.to_string());
            n.parse().unwrap()
        })
        .collect();
    assert_eq!(main.len() + sig.len() + 1, lines.len(), "no other line");
    assert!(strictly_increasing(&sig), "the handlers' records in order");
    assert_eq!(sig.len() as u64, s.written - 1 - i);
    assert_eq!(s.dropped, handled - sig.len() as u64);
    eprintln!("{} of {handled} nested calls lost", s.dropped);
}
