//! `keep_files` after the wall clock went back: the files rotated before
//! the step carry later hours than any written after it, yet they are the
//! oldest, and retention deletes them first — never the file it has just
//! rotated.

use uringlog::Timestamp;
use uringlog_tests::{file_names, hourly_rolling_logger, log_alone_at, nov_28, SHUTDOWN};

#[test]
fn rolling_retention_after_the_clock_goes_back_deletes_the_oldest_written() {
    let dir = tempfile::tempdir().unwrap();
    let (logger, guard, hand) =
        hourly_rolling_logger(dir.path(), nov_28(0, 0), Timestamp::Off, |b| {
            b.keep_files(3)
        });
    log_alone_at(&logger, &hand, nov_28(4, 30), "a");
    log_alone_at(&logger, &hand, nov_28(5, 10), "b"); // 04 holds a
    log_alone_at(&logger, &hand, nov_28(6, 10), "c"); // 05 holds b
    log_alone_at(&logger, &hand, nov_28(2, 20), "d"); // back 3 h 50 min
    log_alone_at(&logger, &hand, nov_28(3, 5), "e"); // 02 holds c d; 04 (a) goes
    log_alone_at(&logger, &hand, nov_28(4, 5), "f"); // 03 holds e; 05 (b) goes
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.written, stats.dropped, stats.errors), (6, 0, 0));

    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert_eq!(
        file_names(dir.path()),
        ["app.2026-11-28T02.log", "app.2026-11-28T03.log", "app.log"]
    );
    assert_eq!(read("app.2026-11-28T02.log"), "INFO  t: c\nINFO  t: d\n");
    assert_eq!(read("app.2026-11-28T03.log"), "INFO  t: e\n");
    assert_eq!(read("app.log"), "INFO  t: f\n");
}
