//! `uringlog::tracing::make_writer` under `tracing_subscriber::fmt`, with
//! the behaviours tracing-appender's `non_blocking` is tested for: every
//! event from many threads arrives (lossless under `Block`), drops are
//! counted under the lossy policies, everything is written by shutdown —
//! and each event is one record written as the fmt layer formatted it.

use std::io::Write as _;
use std::thread;
use tracing_subscriber::fmt::MakeWriter as _;
use uringlog::{Format, Level, Logger, MemorySink, Policy, Timestamp};
use uringlog_tests::{sequences, wait_until_stuck, GateSink, SHUTDOWN};

/// A fmt subscriber writing through `logger`, without time or colours.
fn fmt_subscriber(logger: &Logger) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_writer(uringlog::tracing::make_writer(logger))
        .with_ansi(false)
        .without_time()
        .finish()
}

#[test]
fn each_event_is_one_record_written_as_formatted() {
    let (sink, out) = MemorySink::new();
    let (json, json_out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .sink_with(
            json,
            uringlog::SinkOptions::new()
                .format(Format::json())
                .min_level(Level::Warn),
        )
        .build()
        .unwrap();
    tracing::subscriber::with_default(fmt_subscriber(&logger), || {
        let span = tracing::info_span!("req", id = 7);
        let _e = span.enter();
        tracing::info!(target: "app", user = "alice", "hello");
        tracing::warn!(target: "app", "careful");
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.text(),
        " INFO req{id=7}: app: hello user=\"alice\"\n WARN req{id=7}: app: careful\n"
    );
    assert_eq!(
        json_out.text(),
        " WARN req{id=7}: app: careful\n",
        "raw in any format"
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
}

#[test]
fn multi_threaded_writes_all_arrive() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    let threads: Vec<_> = (0..10)
        .map(|_| {
            let logger = logger.clone();
            thread::spawn(move || {
                tracing::subscriber::with_default(fmt_subscriber(&logger), || {
                    tracing::info!("Hello");
                });
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l.ends_with(": Hello")), "{lines:?}");
    assert_eq!((s.enqueued, s.written, s.dropped), (10, 10, 0));
}

#[test]
fn block_is_lossless_with_a_tiny_ring_and_keeps_order() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .ring_capacity(1024)
        .build()
        .unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let logger = logger.clone();
            thread::spawn(move || {
                tracing::subscriber::with_default(fmt_subscriber(&logger), || {
                    for seq in 0..5_000u64 {
                        tracing::info!("t={t} seq={seq}");
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // No flush: shutdown writes everything accepted.
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (20_000, 20_000, 0));
    let seqs = sequences(&out.lines());
    assert_eq!(seqs.len(), 4);
    for (t, s) in seqs {
        assert_eq!(s, (0..5_000).collect::<Vec<_>>(), "thread {t}");
    }
}

#[test]
fn lossy_policies_count_every_drop() {
    for policy in [Policy::DropNewest, Policy::DropOldest] {
        let (sink, gate) = GateSink::new();
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .policy(policy)
            .ring_capacity(4096)
            .build()
            .unwrap();
        tracing::subscriber::with_default(fmt_subscriber(&logger), || {
            tracing::info!("seq=0 first");
            wait_until_stuck(&gate.entered);
            for seq in 1..=1_000u64 {
                tracing::info!("seq={seq} while the writer is stuck");
            }
        });
        gate.release.send(()).unwrap();
        let s = guard.shutdown(SHUTDOWN).unwrap();
        let written = String::from_utf8(gate.lines.lock().unwrap().clone()).unwrap();
        assert_eq!(s.enqueued, 1_001, "{policy:?}");
        assert!(
            s.dropped > 0,
            "{policy:?}: a 4 KiB ring cannot hold 1000 lines"
        );
        assert_eq!(s.written + s.dropped, s.enqueued, "{policy:?}");
        assert_eq!(written.lines().count() as u64, s.written, "{policy:?}");
    }
}

#[test]
fn partial_writes_make_one_line_and_the_filter_applies() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .filter("info,quiet=off")
        .build()
        .unwrap();
    let mw = uringlog::tracing::make_writer(&logger);
    let mut w = mw.make_writer();
    w.write_all(b"part one, ").unwrap();
    w.write_all(b"part two\nstill the same record\n").unwrap();
    write!(w, "unterminated").unwrap();
    drop(w);
    tracing::subscriber::with_default(fmt_subscriber(&logger), || {
        tracing::error!(target: "quiet::x", "filtered after formatting");
        tracing::debug!(target: "app", "below the default");
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.text(),
        "part one, part two\nstill the same record\nunterminated\n"
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
}
