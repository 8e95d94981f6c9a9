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
