//! A span field recorded later (`Span::record`) runs the value's `Debug`
//! inside the layer. A value that logs an event in that very span gets the
//! event written (the layer reads the span's fields for it: they must not
//! be locked meanwhile), and a value that panics leaves the span usable:
//! later events in it are written with the fields recorded so far.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;
use tracing_subscriber::prelude::*;
use uringlog::{Format, Logger, MemorySink, Timestamp};
use uringlog_tests::SHUTDOWN;

/// Logs a `tracing` event (in the current span) while being formatted.
struct LogsAnEvent;
impl std::fmt::Debug for LogsAnEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tracing::info!("from inside record");
        f.write_str("logged")
    }
}

struct Boom;
impl std::fmt::Debug for Boom {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("a span value that panics")
    }
}

#[test]
fn a_span_value_that_logs_or_panics_leaves_the_span_usable() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    let layer = uringlog::tracing::layer(&logger);
    let (done_tx, done) = mpsc::channel();
    // On its own thread, so that a deadlock fails the test instead of
    // hanging it.
    std::thread::spawn(move || {
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("s", a = 1u64, b = tracing::field::Empty);
            let _e = span.enter();
            span.record("b", tracing::field::debug(LogsAnEvent));
            tracing::info!("after record");
            let r = catch_unwind(AssertUnwindSafe(|| {
                span.record("b", tracing::field::debug(Boom));
            }));
            assert!(r.is_err());
            tracing::info!("after a panic");
        });
        done_tx.send(()).unwrap();
    });
    done.recv_timeout(Duration::from_secs(60))
        .expect("the span's fields stayed locked while its value logged");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "INFO  s{a=1}: from inside record",
            "INFO  s{a=1 b=logged}: after record",
            "INFO  s{a=1 b=logged}: after a panic",
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0), "{s:?}");
}
