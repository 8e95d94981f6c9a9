//! `set_level` cannot lower the logger below the lowest level any sink
//! takes: a record that passed the filter always has a sink, so the books
//! balance in both modes.

use uringlog::{Level, Logger, MemorySink, Mode};
use uringlog_tests::SHUTDOWN;

fn run(mode: Mode) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink_with_level(sink, Level::Warn)
        .level(Level::Trace)
        .mode(mode)
        .build()
        .unwrap();
    assert_eq!(logger.level(), Level::Warn);
    logger.set_level(Level::Info);
    assert_eq!(logger.level(), Level::Warn);
    for i in 0..10 {
        uringlog::info!(logger, "i={i}");
        uringlog::warn!(logger, "w={i}");
    }
    logger.set_level(Level::Error);
    uringlog::warn!(logger, "filtered");
    uringlog::error!(logger, "kept");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (11, 11, 0));
    assert_eq!(out.lines().len(), 11);
}

#[test]
fn set_level_is_floored_at_the_sinks_async() {
    run(Mode::Async);
}

#[test]
fn set_level_is_floored_at_the_sinks_sync() {
    run(Mode::Sync);
}
