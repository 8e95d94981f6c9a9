//! `uringlog::tracing::layer` under fields a hostile caller records: a
//! `Debug` that panics in `span.record(..)` fails that call only (the
//! span's later events still log, with the fields recorded before), and a
//! `message` of any type is the message, as the fmt layer shows it; a key
//! or string holding a brace is quoted inside a span's braces; an error
//! keeps its causes; a span field recorded again holds its latest value.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tracing::field;
use tracing_subscriber::prelude::*;
use uringlog::{Format, Logger, MemoryHandle, MemorySink, Timestamp, WriterGuard};
use uringlog_tests::SHUTDOWN;

fn text_logger() -> (Logger, WriterGuard, MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    (logger, guard, out)
}

/// Runs `f` with a subscriber made of the registry and `logger`'s layer.
fn traced(logger: &Logger, f: impl FnOnce()) {
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(logger));
    tracing::subscriber::with_default(subscriber, f);
}

struct Boom;
impl std::fmt::Debug for Boom {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("a value that panics")
    }
}

#[test]
fn a_panic_in_on_record_leaves_the_span_usable() {
    let (logger, guard, out) = text_logger();
    traced(&logger, || {
        let span = tracing::info_span!("req", id = 7u64, a = field::Empty, b = field::Empty);
        let _e = span.enter();
        span.record("a", 1u8);
        let r = catch_unwind(AssertUnwindSafe(|| span.record("b", field::debug(Boom))));
        assert!(r.is_err(), "the recording call panics, as the value did");
        // Before: the span's extensions were poisoned, and this panicked.
        tracing::info!("after");
        span.record("b", "ok");
        tracing::info!("again");
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "INFO  req{id=7 a=1}: after",
            "INFO  req{id=7 a=1 b=ok}: again"
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
}

#[derive(Debug)]
struct Failure;
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk on fire")
    }
}
impl std::error::Error for Failure {}

#[test]
fn a_message_of_any_type_is_the_message() {
    let (logger, guard, out) = text_logger();
    traced(&logger, || {
        tracing::info!(message = 5u8);
        tracing::info!(message = -5i64, k = 1u8);
        tracing::info!(k = 1u8, message = 2.5f64);
        tracing::info!(message = true);
        tracing::info!(message = u128::MAX);
        let err: &(dyn std::error::Error + 'static) = &Failure;
        tracing::info!(message = err);
        tracing::info!(message = ?Some(1));
        tracing::info!(message = %"shown");
        // Bytes, as the fmt layer shows them; before, the message was
        // empty and the bytes a field named `message`.
        tracing::info!(message = b"hi\xff".as_slice());
        tracing::info!(k = 1u8, message = b"hi\xff".as_slice());
    });
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "INFO  5",
            // Followed by fields, the text format quotes a message that
            // could read as a value.
            "INFO  \"-5\" k=1",
            "INFO  \"2.5\" k=1",
            "INFO  true",
            "INFO  340282366920938463463374607431768211455",
            "INFO  disk on fire",
            "INFO  Some(1)",
            "INFO  shown",
            "INFO  [68 69 ff]",
            "INFO  \"[68 69 ff]\" k=1",
        ]
    );
}

#[test]
fn a_brace_in_a_span_field_is_quoted_so_the_braces_close_where_they_should() {
    let (logger, guard, out) = text_logger();
    traced(&logger, || {
        for v in ["a}b", "{", "x:y", "a}: b"] {
            let span = tracing::info_span!("s", v, "k}" = 1u8);
            let _e = span.enter();
            tracing::info!(w = v, "m");
        }
    });
    guard.shutdown(SHUTDOWN).unwrap();
    // Outside the braces (the event's own fields) a brace needs no quotes.
    assert_eq!(
        out.lines(),
        [
            "INFO  s{v=\"a}b\" \"k}\"=1}: \"m\" w=a}b",
            "INFO  s{v=\"{\" \"k}\"=1}: \"m\" w={",
            "INFO  s{v=x:y \"k}\"=1}: \"m\" w=x:y",
            "INFO  s{v=\"a}: b\" \"k}\"=1}: \"m\" w=\"a}: b\"",
        ]
    );
}

/// An error caused by another.
#[derive(Debug)]
struct Wrapped(Failure);
impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request failed")
    }
}
impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn an_error_field_keeps_its_causes_as_the_fmt_layer_does() {
    let (logger, guard, out) = text_logger();
    let (sink, fmt_out) = MemorySink::new();
    let (fmt_logger, fmt_guard) = Logger::builder().sink(sink).build().unwrap();
    let events = || {
        let err: &(dyn std::error::Error + 'static) = &Wrapped(Failure);
        tracing::warn!(err, "io");
        let plain: &(dyn std::error::Error + 'static) = &Failure;
        tracing::warn!(plain, "no cause");
    };
    traced(&logger, events);
    let fmt = tracing_subscriber::fmt()
        .with_writer(uringlog::tracing::make_writer(&fmt_logger))
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing::subscriber::with_default(fmt, events);
    guard.shutdown(SHUTDOWN).unwrap();
    fmt_guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "WARN  \"io\" err=\"request failed\" err.sources=\"[disk on fire]\"",
            "WARN  \"no cause\" plain=\"disk on fire\"",
        ]
    );
    // The same fields as the fmt layer (which quotes differently).
    assert_eq!(
        fmt_out.lines(),
        [
            " WARN io err=request failed err.sources=[disk on fire]",
            " WARN no cause plain=disk on fire",
        ]
    );
}

#[test]
fn a_span_field_recorded_again_holds_its_latest_value() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::json().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    traced(&logger, || {
        let span = tracing::info_span!("req", id = 7u64, status = field::Empty, n = 1u8);
        let _e = span.enter();
        span.record("status", 200u16);
        tracing::info!("first");
        span.record("status", "failed");
        span.record("n", 2u8);
        span.record("status", 503u16);
        tracing::info!("second");
    });
    guard.shutdown(SHUTDOWN).unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Before, the span object held "status":200 and "status#2":503: a
    // reader of `status` saw the stale value.
    assert_eq!(
        lines,
        [
            serde_json::json!({"level": "INFO", "msg": "first",
                "spans": [{"name": "req", "id": 7, "n": 1, "status": 200}]}),
            serde_json::json!({"level": "INFO", "msg": "second",
                "spans": [{"name": "req", "id": 7, "n": 2, "status": 503}]}),
        ]
    );
    let keys: Vec<String> = out.lines()[1]
        .split("\"spans\":")
        .nth(1)
        .unwrap()
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert_eq!(keys, ["name", "req", "id", "n", "status"], "each key once");
}
