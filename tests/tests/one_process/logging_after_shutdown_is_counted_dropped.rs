//! Log calls after shutdown never panic and are counted dropped.

use uringlog::{Logger, MemorySink, Mode};
use uringlog_tests::SHUTDOWN;

fn run(mode: Mode) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).mode(mode).build().unwrap();
    uringlog::info!(logger, "kept");
    let at = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((at.enqueued, at.written, at.dropped), (1, 1, 0));
    assert!(out.is_closed());
    for i in 0..10 {
        uringlog::warn!(logger, "late {i}");
    }
    let mut p = logger.producer();
    uringlog::error!(p, "late from a producer");
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (12, 1, 11));
    assert_eq!(out.lines().len(), 1);
}

#[test]
fn logging_after_shutdown_is_counted_dropped_async() {
    run(Mode::Async);
}

#[test]
fn logging_after_shutdown_is_counted_dropped_sync() {
    run(Mode::Sync);
}

/// Thousands of producers that outlive the shutdown, log once more and are
/// then dropped together, newest first: the next `stats()` retires every
/// ring once, each late record counted dropped, none twice.
#[test]
fn thousands_of_producers_dropped_after_shutdown_are_retired_once() {
    const N: u64 = 5_000;
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(4096)
        .build()
        .unwrap();
    let mut producers: Vec<_> = (0..N).map(|_| logger.producer()).collect();
    for (i, p) in producers.iter_mut().enumerate() {
        uringlog::info!(p, "before {i}");
    }
    let at = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((at.enqueued, at.written, at.dropped), (N, N, 0));
    for (i, p) in producers.iter_mut().enumerate() {
        uringlog::warn!(p, "late {i}");
    }
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (2 * N, N, N));
    assert_eq!(s.live_producers, N);
    // Dropped newest first: the order in which the live rings were registered, reversed.
    while producers.pop().is_some() {}
    for _ in 0..2 {
        let s = logger.stats();
        assert_eq!((s.enqueued, s.written, s.dropped), (2 * N, N, N));
        assert_eq!(s.live_producers, 0);
    }
    assert_eq!(out.lines().len() as u64, N);
}
