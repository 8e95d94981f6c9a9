//! Hourly rotation when the wall clock steps back (NTP, an operator):
//! logging goes on into the active file, which takes the hour of the new
//! time and rolls at that hour's end, named for it — not only once the
//! clock has passed the boundary it had reached before the step. A jump
//! forward over several hours rolls once, into the new hour, with no
//! file for the hours skipped. Nothing is dropped and no error is
//! reported.

use uringlog::Timestamp;
use uringlog_tests::{file_names, hourly_rolling_logger, log_alone_at, nov_28, SHUTDOWN};

#[test]
fn rolling_by_time_after_the_clock_goes_back_rolls_at_the_next_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let (logger, guard, hand) =
        hourly_rolling_logger(dir.path(), nov_28(0, 0), Timestamp::Seconds, |b| b);
    log_alone_at(&logger, &hand, nov_28(4, 30), "a");
    log_alone_at(&logger, &hand, nov_28(5, 10), "b"); // rolls: 04 holds a
    log_alone_at(&logger, &hand, nov_28(2, 20), "c"); // back 2 h 50 min: no roll
    log_alone_at(&logger, &hand, nov_28(2, 40), "d");
    log_alone_at(&logger, &hand, nov_28(3, 5), "e"); // the new time's next hour: rolls, 02 holds b c d
    log_alone_at(&logger, &hand, nov_28(3, 59), "f");
    log_alone_at(&logger, &hand, nov_28(8, 15), "g"); // forward over four hours: rolls once, 03 holds e f
    log_alone_at(&logger, &hand, nov_28(9, 0), "h"); // rolls: 08 holds g
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
