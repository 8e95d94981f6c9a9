//! User code runs inside a front end's log call (`Display` of a `log`
//! argument or key-value, `Debug` of a `tracing` field or message): when it
//! panics the call is counted enqueued and dropped, and when it logs through
//! the same logger the inner record is written, before the outer one — as
//! with the macros (`panicking_or_logging_formatters_keep_the_books.rs`).
//! Either way `written + dropped == enqueued`.
//!
//! `tracing`'s fmt layer formats an event before it asks the writer for a
//! `make_writer` line: a value that panics there never reaches uringlog,
//! so nothing is counted for it. (The fmt layer keeps the half-formatted
//! text in its thread's buffer and writes it before that thread's next
//! event, on the same line: that is the fmt layer's doing, not ours.)

use std::panic::{catch_unwind, AssertUnwindSafe};
use tracing_subscriber::prelude::*;
use uringlog::{Format, Logger, MemorySink, Timestamp};
use uringlog_tests::SHUTDOWN;

struct Boom;
impl std::fmt::Display for Boom {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("a value that panics")
    }
}
impl std::fmt::Debug for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A value whose formatting logs through `logger` first.
struct Reentrant<'a>(&'a Logger, &'static str);
impl std::fmt::Debug for Reentrant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        uringlog::info!(self.0, "inner {}", self.1);
        f.write_str("reentrant")
    }
}
impl std::fmt::Display for Reentrant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

fn panics(f: impl FnOnce()) {
    assert!(catch_unwind(AssertUnwindSafe(f)).is_err());
}

fn text() -> Format {
    Format::text().timestamp(Timestamp::Off).without_target()
}

#[test]
fn the_tracing_layer_counts_a_panic_dropped_and_writes_a_nested_call() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).format(text()).build().unwrap();
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
    tracing::subscriber::with_default(subscriber, || {
        panics(|| tracing::info!(v = ?Boom, "tracing field"));
        panics(|| tracing::info!("message {:?}", Boom));
        panics(|| tracing::info!(v = %Boom, "display field"));
        tracing::info!(v = ?Reentrant(&logger, "layer"), "outer");
        let span = tracing::info_span!("s", a = 1u64);
        let _e = span.enter();
        tracing::info!(v = %Reentrant(&logger, "in a span"), "outer in a span");
    });
    uringlog::info!(logger, "after");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "INFO  inner layer",
            "INFO  \"outer\" v=reentrant",
            "INFO  inner in a span",
            "INFO  s{a=1}: \"outer in a span\" v=reentrant",
            "INFO  after"
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (8, 5, 3), "{s:?}");
}

#[test]
fn make_writer_never_sees_a_value_that_panics_and_writes_a_nested_call() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(uringlog::tracing::make_writer(&logger))
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(v = ?Reentrant(&logger, "writer"), "outer");
        panics(|| tracing::info!(v = ?Boom, "tracing field"));
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("inner writer"), "{lines:?}");
    assert_eq!(lines[1], " INFO outer v=reentrant", "{lines:?}");
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0), "{s:?}");
}

#[test]
fn the_log_facade_counts_a_panic_dropped_and_writes_a_nested_call() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(text())
        .init_global()
        .unwrap();
    panics(|| log::info!("arg {}", Boom));
    panics(|| log::info!(v:% = Boom; "key-value"));
    log::info!("outer {}", Reentrant(&logger, "arg"));
    log::info!(v:% = Reentrant(&logger, "key-value"); "outer");
    log::info!("after");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "INFO  inner arg",
            "INFO  outer reentrant",
            "INFO  inner key-value",
            "INFO  \"outer\" v=reentrant",
            "INFO  after"
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (7, 5, 2), "{s:?}");
}
