//! A rotation that cannot rename (the target name is taken) is counted and
//! reported; logging goes on into the current file with nothing dropped,
//! and the next period's rotation succeeds.

use std::time::Duration;
use uringlog::{Clock, FlushError, Format, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::logger_with;

/// 2026-11-28T04:30:00Z
const T04: u64 = 1_795_840_200_000_000_000;
const HOUR: u64 = 3600 * 1_000_000_000;

#[test]
fn rolling_rename_failure_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("app.2026-11-28T04.log");
    std::fs::write(&taken, "keep me\n").unwrap();
    let (clock, hand) = Clock::manual(T04);
    let sink = RollingFileSink::builder(dir.path(), "app")
        .period(Period::Hourly)
        .clock(clock.clone())
        .open()
        .unwrap();
    let (logger, guard) = logger_with(sink, Format::text().timestamp(Timestamp::Off), clock);
    uringlog::info!(logger, target: "t", "four");
    hand.advance_nanos(HOUR);
    uringlog::info!(logger, target: "t", "five");
    let active = dir.path().join("app.log");
    let msg = format!(
        "{a}: cannot rotate {a} to {t}: File exists (os error 17); still writing to {a}",
        a = active.display(),
        t = taken.display()
    );
    assert_eq!(
        logger.flush(),
        Err(FlushError::Io {
            failed_batches: 1,
            last: msg.clone()
        })
    );
    assert_eq!(logger.recent_errors(), [msg]);
    hand.advance_nanos(HOUR);
    uringlog::info!(logger, target: "t", "six");
    let stats = guard.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!((stats.written, stats.dropped, stats.errors), (3, 0, 1));

    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert_eq!(read("app.2026-11-28T04.log"), "keep me\n");
    assert_eq!(
        read("app.2026-11-28T05.log"),
        "INFO  t: four\nINFO  t: five\n"
    );
    assert_eq!(read("app.log"), "INFO  t: six\n");
}
