//! Every way into the engine — the deferred macros, caller formatting,
//! fields, `Producer::log`, the `log` facade, the tracing layer and
//! `make_writer`, a `DropOldest` ring — wakes a sleeping writer with its
//! record, exactly once: the writer has no timeout that would notice the
//! record instead, so a path that forgot to notify shows as a record that
//! never arrives (a generous watchdog, not a hang), and one that woke the
//! writer twice shows in the wake-up count.

use tracing_subscriber::prelude::*;
use uringlog::{Formatting, Level, Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, wait_for, SHUTDOWN};

/// Logs one record with `log` into a sleeping writer; checks it is written
/// and cost exactly one wake-up.
fn wakes_once(logger: &Logger, what: &str, log: impl FnOnce()) {
    let written = logger.stats().written;
    // Nothing else is logged: registered, the writer then sleeps until notified.
    wait_for("the writer never went to sleep", || {
        logger.writer_sleeping()
    });
    let (_, wakes) = logger.writer_wake_counts();
    log();
    wait_for(&format!("{what}: its record never woke the writer"), || {
        logger.stats().written > written
    });
    assert_eq!(logger.stats().written, written + 1, "{what}");
    let (_, after) = logger.writer_wake_counts();
    assert_eq!(after - wakes, 1, "{what}: wake-ups for one record");
}

#[test]
fn every_front_end_wakes_a_sleeping_writer_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("front.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .level(Level::Info)
        .init_global()
        .unwrap();
    wakes_once(&logger, "deferred macro", || {
        uringlog::info!(logger, "deferred n={}", 1)
    });
    wakes_once(
        &logger,
        "fields",
        || uringlog::info!(logger, n = 2; "fields"),
    );
    let mut p = logger.producer();
    wakes_once(&logger, "Producer::log", || {
        p.log(Level::Info, "app", format_args!("producer n={}", 3))
    });
    // The producer's exit wakes the writer too (it retires the ring), so it
    // goes before the next count.
    drop(p);
    wakes_once(&logger, "log facade", || log::info!("facade n={}", 4));
    let layer = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
    wakes_once(&logger, "tracing layer", || {
        tracing::subscriber::with_default(layer, || tracing::info!(n = 5, "layer"))
    });
    let fmt = tracing_subscriber::fmt()
        .with_writer(uringlog::tracing::make_writer(&logger))
        .with_ansi(false)
        .without_time()
        .finish();
    wakes_once(&logger, "make_writer", || {
        tracing::subscriber::with_default(fmt, || tracing::info!(n = 6, "make_writer"))
    });
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (6, 0));
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 6, "{lines:?}");
    for (line, n) in lines.iter().zip(1..) {
        assert!(
            line.contains(&format!("n={n}")) || line.contains(&format!("n: {n}")),
            "{line}"
        );
    }
}

#[test]
fn caller_formatting_and_drop_oldest_wake_a_sleeping_writer_exactly_once() {
    for (what, formatting, policy) in [
        ("caller formatting", Formatting::Caller, Policy::Block),
        ("DropOldest", Formatting::Deferred, Policy::DropOldest),
        ("DropNewest", Formatting::Deferred, Policy::DropNewest),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .formatting(formatting)
            .policy(policy)
            .build()
            .unwrap();
        for n in 0..3 {
            wakes_once(&logger, what, || uringlog::info!(logger, "{what} n={}", n));
        }
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (3, 0), "{what}");
        assert_eq!(read_lines(&path).len(), 3, "{what}");
    }
}
