//! User code runs inside a log call (`Display` of an argument, a field
//! value, a `tracing` field's `Debug`): when it panics the call counts as
//! not made (fields, `tracing`) or as dropped (a deferred argument), and
//! when it logs through the same logger the inner call is counted dropped.
//! Either way `written + dropped == enqueued`.

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
struct Reentrant<'a>(&'a Logger);
impl std::fmt::Debug for Reentrant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        uringlog::info!(self.0, "from inside a log call");
        f.write_str("reentrant")
    }
}

#[test]
fn panicking_and_reentrant_values_keep_the_books() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    let panics = |f: &dyn Fn()| assert!(catch_unwind(AssertUnwindSafe(f)).is_err());
    panics(&|| uringlog::info!(logger, "arg {}", Boom));
    panics(&|| uringlog::info!(logger, v = uringlog::display(Boom); "field"));
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
    tracing::subscriber::with_default(subscriber, || {
        panics(&|| tracing::info!(v = ?Boom, "tracing field"));
        tracing::info!(v = ?Reentrant(&logger), "outer");
    });
    uringlog::info!(logger, "after");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(out.lines(), ["INFO  \"outer\" v=reentrant", "INFO  after"]);
    // The deferred argument's panic and the re-entrant call are dropped.
    assert_eq!((s.enqueued, s.written, s.dropped), (4, 2, 2), "{s:?}");
}
