//! `log` records turned into `tracing` events by `tracing_log::LogTracer`
//! (which `tracing_subscriber`'s `init()` installs by default) reach
//! `uringlog::tracing::layer` under the logger's filter. Such an event's
//! own target is `log` (one callsite per level), the record's target a
//! field: `LogTracer` asks the subscriber's `enabled` with the record's
//! target first, and the layer keeps what that decision let through,
//! with or without a per-layer filter.

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use uringlog::Logger;
use uringlog_tests::{bare_memory_logger, SHUTDOWN};

#[test]
fn log_records_through_log_tracer_follow_the_target_directives() {
    tracing_log::LogTracer::init().unwrap();
    let (logger, guard, out) = bare_memory_logger(Logger::builder().filter("warn,app=debug"));
    let records = || {
        let line = line!() + 1;
        log::debug!(target: "app::db", "in");
        log::info!(target: "other", "below the default");
        log::warn!(target: "other", "warn");
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
    let (me, file) = (module_path!(), file!());
    let lines = |line: u32| {
        [
            format!(
                "DEBUG \"in\" log.target=app::db log.module_path={me} \
                 log.file={file} log.line={line}"
            ),
            format!(
                "WARN  \"warn\" log.target=other log.module_path={me} \
                 log.file={file} log.line={}",
                line + 2
            ),
        ]
    };
    assert_eq!(out.lines(), [lines(first), lines(second)].concat());
    assert_eq!((s.enqueued, s.written, s.dropped), (4, 4, 0));
}
