//! `log` records turned into `tracing` events by `tracing_log::LogTracer`
//! (which `tracing_subscriber`'s `init()` installs by default) reach
//! `uringlog::tracing::layer` as the `log` facade would log them: under
//! the record's own target, file and line, in the span scope, filtered by
//! the record's target. Such an event's own target is `log` (one callsite
//! per level), the record's metadata `log.*` fields: none of them is shown.

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use uringlog::{Format, Logger, Timestamp};
use uringlog_tests::{memory_logger, SHUTDOWN};

#[test]
fn log_records_through_log_tracer_keep_their_target_and_call_site() {
    tracing_log::LogTracer::init().unwrap();
    let format = Format::text().timestamp(Timestamp::Off).with_call_site();
    let (logger, guard, out) = memory_logger(Logger::builder().filter("warn,app=debug"), format);
    let records = || {
        let span = tracing::warn_span!("req", id = 7u8);
        let _e = span.enter();
        let line = line!() + 1;
        log::debug!(target: "app::db", "in");
        log::info!(target: "other", "below the default");
        log::warn!(target: "other", "warn {}", 1);
        line
    };
    let plain = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
    let first = tracing::subscriber::with_default(plain, records);
    let filtered = uringlog::tracing::layer(&logger).with_filter(LevelFilter::TRACE);
    let filtered = tracing_subscriber::registry().with(filtered);
    // Matched against the event's own target, `log`, the directives
    // would refuse the debug record (with or without this filter).
    let second = tracing::subscriber::with_default(filtered, records);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let file = file!();
    let lines = |line: u32| {
        [
            format!("DEBUG req{{id=7}}: app::db {file}:{line}: in"),
            format!("WARN  req{{id=7}}: other {file}:{}: warn 1", line + 2),
        ]
    };
    // Before, each line read `DEBUG req{id=7}: log: "in" log.target=app::db
    // log.module_path=… log.file=… log.line=…`.
    assert_eq!(out.lines(), [lines(first), lines(second)].concat());
    assert_eq!((s.enqueued, s.written, s.dropped), (4, 4, 0));
}
