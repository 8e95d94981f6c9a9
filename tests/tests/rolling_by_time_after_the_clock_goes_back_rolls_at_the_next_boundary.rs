//! Hourly rotation when the wall clock steps back (NTP, an operator):
//! logging goes on into the active file, which takes the hour of the new
//! time and rolls at that hour's end, named for it — not only once the
//! clock has passed the boundary it had reached before the step. A jump
//! forward over several hours rolls once, into the new hour, with no
//! file for the hours skipped. Nothing is dropped and no error is
//! reported.

use uringlog::{Clock, Format, Logger, ManualClock, Timestamp};
use uringlog_sinks::{Period, RollingFileSink};
use uringlog_tests::{file_names, logger_with, SHUTDOWN};

/// 2026-11-28T00:00:00Z
const DAY: u64 = 1_795_824_000_000_000_000;
const MIN: u64 = 60 * 1_000_000_000;

/// Sets the clock to `hh:mm` of that day and logs `msg` in a batch of its own.
fn log_at(logger: &Logger, hand: &ManualClock, hh: u64, mm: u64, msg: &str) {
    hand.set_unix_nanos(DAY + (hh * 60 + mm) * MIN);
    uringlog::info!(logger, target: "t", "{}", msg);
    logger.flush().unwrap();
}

#[test]
fn rolling_by_time_after_the_clock_goes_back_rolls_at_the_next_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, hand) = Clock::manual(DAY);
    let sink = RollingFileSink::builder(dir.path(), "app")
        .period(Period::Hourly)
        .clock(clock.clone())
        .open()
        .unwrap();
    let format = Format::text().timestamp(Timestamp::Seconds);
    let (logger, guard) = logger_with(sink, format, clock);
    log_at(&logger, &hand, 4, 30, "a");
    log_at(&logger, &hand, 5, 10, "b"); // rolls: 04 holds a
    log_at(&logger, &hand, 2, 20, "c"); // back 2 h 50 min: no roll
    log_at(&logger, &hand, 2, 40, "d");
    log_at(&logger, &hand, 3, 5, "e"); // the new time's next hour: rolls, 02 holds b c d
    log_at(&logger, &hand, 3, 59, "f");
    log_at(&logger, &hand, 8, 15, "g"); // forward over four hours: rolls once, 03 holds e f
    log_at(&logger, &hand, 9, 0, "h"); // rolls: 08 holds g
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.written, stats.dropped, stats.errors), (8, 0, 0));

    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    let line = |hh: u64, mm: u64, m: &str| format!("2026-11-28T{hh:02}:{mm:02}:00Z INFO  t: {m}\n");
    assert_eq!(
        file_names(dir.path()),
        [
            "app.2026-11-28T02.log",
            "app.2026-11-28T03.log",
            "app.2026-11-28T04.log",
            "app.2026-11-28T08.log",
            "app.log"
        ]
    );
    assert_eq!(read("app.2026-11-28T04.log"), line(4, 30, "a"));
    assert_eq!(
        read("app.2026-11-28T02.log"),
        [line(5, 10, "b"), line(2, 20, "c"), line(2, 40, "d")].concat()
    );
    assert_eq!(
        read("app.2026-11-28T03.log"),
        [line(3, 5, "e"), line(3, 59, "f")].concat()
    );
    assert_eq!(read("app.2026-11-28T08.log"), line(8, 15, "g"));
    assert_eq!(read("app.log"), line(9, 0, "h"));
}
