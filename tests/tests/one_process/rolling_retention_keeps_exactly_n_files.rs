//! With `keep_files(4)`, ten files' worth of records leave exactly four
//! files: the three newest rotated ones and the active file.

use std::time::Duration;
use uringlog::{Clock, Format, Timestamp};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::{file_names, logger_with};

#[test]
fn rolling_retention_keeps_exactly_n_files() {
    let dir = tempfile::tempdir().unwrap();
    let sink = RollingFileSink::builder(dir.path(), "app")
        .max_file_bytes(100)
        .keep_files(4)
        .open()
        .unwrap();
    let (clock, _) = Clock::manual(0);
    let (logger, guard) = logger_with(sink, Format::text().timestamp(Timestamp::Off), clock);
    // "INFO  r: n=NN\n" is 14 bytes: 7 records per 100-byte file.
    for n in 0..70 {
        uringlog::info!(logger, target: "r", "n={n:02}");
    }
    let stats = guard.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!((stats.written, stats.errors), (70, 0));

    let names = file_names(dir.path());
    assert_eq!(
        names,
        [
            "app.000007.log",
            "app.000008.log",
            "app.000009.log",
            "app.log"
        ]
    );
    let first = std::fs::read_to_string(dir.path().join("app.000007.log")).unwrap();
    assert_eq!(first.lines().next(), Some("INFO  r: n=42"));
    let last = std::fs::read_to_string(dir.path().join("app.log")).unwrap();
    assert_eq!(last.lines().last(), Some("INFO  r: n=69"));
}
