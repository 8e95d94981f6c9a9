//! A rotation whose name is taken — by another program's file, or by this
//! sink's own file for the same hour after the wall clock went back —
//! leaves that file as it is and takes the next free sequence number
//! (`app.2026-11-28T04.000001.log`); nothing is dropped and no error is
//! reported.

use uringlog::Timestamp;
use uringlog_tests::{file_names, hourly_rolling_logger, log_alone_at, nov_28, SHUTDOWN};

#[test]
fn rolling_onto_a_taken_name_keeps_both_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.2026-11-28T04.log"), "keep me\n").unwrap();
    let (logger, guard, hand) =
        hourly_rolling_logger(dir.path(), nov_28(0, 0), Timestamp::Off, |b| b);
    log_alone_at(&logger, &hand, nov_28(4, 30), "four");
    log_alone_at(&logger, &hand, nov_28(5, 0), "five"); // 04 is taken: 04.000001 holds four
    log_alone_at(&logger, &hand, nov_28(4, 50), "back"); // back 10 min, into 04 again
    log_alone_at(&logger, &hand, nov_28(5, 10), "again"); // 04.000002 holds five back
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.written, stats.dropped, stats.errors), (4, 0, 0));

    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert_eq!(
        file_names(dir.path()),
        [
            "app.2026-11-28T04.000001.log",
            "app.2026-11-28T04.000002.log",
            "app.2026-11-28T04.log",
            "app.log"
        ]
    );
    assert_eq!(read("app.2026-11-28T04.log"), "keep me\n");
    assert_eq!(read("app.2026-11-28T04.000001.log"), "INFO  t: four\n");
    assert_eq!(
        read("app.2026-11-28T04.000002.log"),
        "INFO  t: five\nINFO  t: back\n"
    );
    assert_eq!(read("app.log"), "INFO  t: again\n");
}
