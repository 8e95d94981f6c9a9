//! A signal handler that logs copied values (the calls' fast path) on a
//! thread interrupted anywhere in its own calls, fast ones included: a
//! nested call that finds the thread's producer lent is counted lost,
//! every other one is written; the interrupted thread's records are all
//! written, in order, and the books balance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use uringlog::{Format, Logger, MemorySink, Timestamp};
use uringlog_tests::signals::{install_handler, storm_this_thread};
use uringlog_tests::SHUTDOWN;

const RECORDS: u64 = 20_000;
const SIGNALS: u64 = 2_000;

static LOGGER: OnceLock<Logger> = OnceLock::new();
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    let n = HANDLED.fetch_add(1, Ordering::Relaxed);
    if let Some(l) = LOGGER.get() {
        uringlog::info!(l, "sig={} {}", n, u64::MAX);
    }
}

#[test]
fn a_signal_handler_that_logs_copied_values_mid_call_keeps_the_books() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    LOGGER.set(logger).ok().unwrap();
    let l = LOGGER.get().unwrap();
    install_handler(libc::SIGUSR1, on_signal);
    let stormer = storm_this_thread(libc::SIGUSR1, SIGNALS, &HANDLED);
    // Logs until every signal has been handled, at least `RECORDS` times.
    let mut i = 0u64;
    while i < RECORDS || HANDLED.load(Ordering::Relaxed) < SIGNALS {
        assert!(i < 50 * RECORDS, "signals not handled");
        uringlog::info!(l, "main={} {} {}", i, -1i8, 'x');
        i += 1;
    }
    stormer.join().unwrap();
    l.flush().unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let handled = HANDLED.load(Ordering::Relaxed);
    assert_eq!(handled, SIGNALS);
    assert_eq!(s.enqueued, i + handled);
    assert_eq!(s.written + s.dropped, s.enqueued);
    let lines = out.lines();
    let main: Vec<u64> = lines
        .iter()
        .filter_map(|x| x.strip_prefix("INFO  main="))
        .map(|x| {
            assert!(x.ends_with(" -1 x"), "{x}");
            x.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(main, (0..i).collect::<Vec<_>>());
    let sig = lines.iter().filter(|x| x.starts_with("INFO  sig=")).count() as u64;
    assert!(lines
        .iter()
        .all(|x| x.starts_with("INFO  sig=") || x.starts_with("INFO  main=")));
    assert_eq!(sig, s.written - i);
    assert_eq!(s.dropped, handled - sig);
    eprintln!("{} of {handled} nested calls lost", s.dropped);
}
