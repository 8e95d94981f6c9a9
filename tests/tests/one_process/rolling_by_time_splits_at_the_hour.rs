//! Hourly rotation by record time: records on either side of an injected
//! hour boundary land in their own hour's file, even within one batch.

use std::time::Duration;
use uringlog::{Clock, Format, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::{file_names, logger_with};

/// 2026-11-28T04:59:59Z
const BEFORE: u64 = 1_795_841_999_000_000_000;

#[test]
fn rolling_by_time_splits_at_the_hour() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, hand) = Clock::manual(BEFORE);
    let sink = RollingFileSink::builder(dir.path(), "app")
        .period(Period::Hourly)
        .clock(clock.clone())
        .open()
        .unwrap();
    let (logger, guard) = logger_with(sink, Format::text().timestamp(Timestamp::Seconds), clock);
    for n in 0..3 {
        uringlog::info!(logger, target: "t", "before {n}");
    }
    hand.advance_nanos(1_000_000_000); // 05:00:00 exactly
    for n in 0..3 {
        uringlog::info!(logger, target: "t", "after {n}");
    }
    hand.advance_nanos(2 * 3600 * 1_000_000_000 + 900 * 1_000_000_000); // 07:15:00
    uringlog::info!(logger, target: "t", "later");
    let stats = guard.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!((stats.written, stats.dropped, stats.errors), (7, 0, 0));

    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert_eq!(
        read("app.2026-11-28T04.log"),
        "2026-11-28T04:59:59Z INFO  t: before 0\n\
         2026-11-28T04:59:59Z INFO  t: before 1\n\
         2026-11-28T04:59:59Z INFO  t: before 2\n"
    );
    assert_eq!(
        read("app.2026-11-28T05.log"),
        "2026-11-28T05:00:00Z INFO  t: after 0\n\
         2026-11-28T05:00:00Z INFO  t: after 1\n\
         2026-11-28T05:00:00Z INFO  t: after 2\n"
    );
    assert_eq!(read("app.log"), "2026-11-28T07:15:00Z INFO  t: later\n");
    assert_eq!(file_names(dir.path()).len(), 3);
}
