//! `let (logger, _) = …build()?` drops the guard at once: the writer keeps
//! running while any `Logger` handle lives, and the last handle dropped
//! drains and stops it. A guard dropped after every handle, or shut down
//! explicitly, stops the writer as before.

use uringlog::{Format, Logger, MemorySink, Policy, Timestamp};
use uringlog_tests::SHUTDOWN;

fn builder(sink: MemorySink) -> uringlog::Builder {
    Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(Policy::Block)
}

#[test]
fn a_guard_bound_to_underscore_loses_nothing() {
    let (sink, out) = MemorySink::new();
    let (logger, _) = builder(sink).build().unwrap();
    for i in 0..100 {
        uringlog::info!(logger, "r{i}");
    }
    logger.flush().unwrap();
    assert_eq!(out.lines().len(), 100);
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (100, 100, 0));
    assert!(!logger.is_shut_down());
    assert!(!out.is_closed());
    // A clone outlives the original; only the last handle stops the writer.
    let clone = logger.clone();
    drop(logger);
    uringlog::info!(clone, "after the first handle");
    assert!(!out.is_closed());
    drop(clone);
    // Dropping the last handle drained and closed synchronously.
    assert!(out.is_closed());
    let lines = out.lines();
    assert_eq!(lines.len(), 101);
    assert_eq!(lines[100], "INFO  after the first handle");
}

#[test]
fn handles_on_other_threads_keep_it_running_until_the_last_goes() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = builder(sink).build().unwrap();
    drop(guard);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let l = logger.clone();
            std::thread::spawn(move || {
                for i in 0..2_000 {
                    uringlog::info!(l, "t={t} seq={i}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let producer_only = logger.producer();
    drop(logger);
    assert!(
        out.is_closed(),
        "explicit producers do not keep the writer alive"
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 8_000);
    for (t, seqs) in uringlog_tests::sequences(&lines) {
        assert_eq!(seqs, (0..2_000).collect::<Vec<_>>(), "thread {t}");
    }
    drop(producer_only);
}

#[test]
fn a_guard_dropped_after_every_handle_or_shut_down_stops_at_once() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = builder(sink).build().unwrap();
    uringlog::info!(logger, "one");
    drop(logger);
    assert!(!out.is_closed(), "the guard still lives");
    drop(guard);
    assert!(out.is_closed());
    assert_eq!(out.lines(), ["INFO  one"]);

    let (sink, out) = MemorySink::new();
    let (logger, guard) = builder(sink).build().unwrap();
    uringlog::info!(logger, "two");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert!(
        out.is_closed(),
        "an explicit shutdown does not wait for handles"
    );
    assert_eq!((s.enqueued, s.written), (1, 1));
    uringlog::info!(logger, "late");
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 1, 1));
}

#[test]
fn sync_mode_follows_the_same_rule() {
    let (sink, out) = MemorySink::new();
    let (logger, _) = builder(sink).mode(uringlog::Mode::Sync).build().unwrap();
    uringlog::info!(logger, "sync");
    assert!(!out.is_closed());
    drop(logger);
    assert!(out.is_closed());
    assert_eq!(out.lines(), ["INFO  sync"]);
}

#[test]
fn front_end_handles_do_not_keep_it_running() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = builder(sink).build().unwrap();
    let layer = uringlog::tracing::layer(&logger);
    let writer = uringlog::tracing::make_writer(&logger);
    let probe = logger.producer();
    drop(guard);
    uringlog::info!(logger, "before");
    drop(logger);
    assert!(
        out.is_closed(),
        "a layer or writer (as in a global subscriber) must not keep a parked guard from draining"
    );
    assert_eq!(out.lines(), ["INFO  before"]);
    use tracing_subscriber::prelude::*;
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || tracing::info!("after shutdown"));
    drop(writer);
    drop(probe);
    assert_eq!(out.lines(), ["INFO  before"]);
}
