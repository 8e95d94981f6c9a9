//! User code inside a deferred call: a `Display` that panics leaves the
//! books balanced (the call is counted dropped), one that logs through the
//! same logger is counted unroutable (enqueued and dropped), and the
//! thread's later calls are written as usual.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use uringlog::{Logger, MemorySink};
use uringlog_tests::SHUTDOWN;

struct Panics;

impl fmt::Display for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("display failed")
    }
}

struct LogsInside<'a>(&'a Logger);

impl fmt::Display for LogsInside<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uringlog::info!(self.0, "from inside {}", 1);
        f.write_str("outer")
    }
}

#[test]
fn a_panicking_display_is_counted_dropped() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    uringlog::info!(logger, target: "t", "before {}", 1);
    let r = catch_unwind(AssertUnwindSafe(|| {
        uringlog::info!(logger, target: "t", "x={} y={}", 2, Panics);
    }));
    assert!(r.is_err());
    uringlog::info!(logger, target: "t", "after {}", 3);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 2, 1));
    let lines = out.lines();
    assert!(
        lines[0].ends_with("t: before 1") && lines[1].ends_with("t: after 3"),
        "{lines:?}"
    );
}

#[test]
fn a_display_that_logs_is_counted_unroutable() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    uringlog::info!(logger, target: "t", "{} {}", LogsInside(&logger), 5);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 1, 1));
    assert!(out.text().ends_with("t: outer 5\n"));
}
