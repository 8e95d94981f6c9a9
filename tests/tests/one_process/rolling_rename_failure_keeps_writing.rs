//! A rotation that cannot rename (the directory is append-only, `chattr
//! +a`: new files may be made, none renamed) is counted and reported;
//! logging goes on into the current file with nothing dropped, and the
//! next period's rotation, once the directory allows it again, succeeds.
//! Needs root (for the attribute).

use std::time::Duration;
use uringlog::{FlushError, Timestamp};
use uringlog_tests::{hourly_rolling_logger, set_append_only};

/// 2026-11-28T04:30:00Z
const T04: u64 = 1_795_840_200_000_000_000;
const HOUR: u64 = 3600 * 1_000_000_000;

/// Clears the attribute however the test ends, so the directory can go.
struct AppendOnly<'a>(&'a std::path::Path);

impl Drop for AppendOnly<'_> {
    fn drop(&mut self) {
        set_append_only(self.0, false);
    }
}

#[test]
fn rolling_rename_failure_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let (logger, guard, hand) = hourly_rolling_logger(dir.path(), T04, Timestamp::Off, |b| b);
    uringlog::info!(logger, target: "t", "four");
    logger.flush().unwrap();
    set_append_only(dir.path(), true);
    let append_only = AppendOnly(dir.path());
    hand.advance_nanos(HOUR);
    uringlog::info!(logger, target: "t", "five");
    let active = dir.path().join("app.log");
    let msg = format!(
        "{a}: cannot rotate {a} to {t}: Operation not permitted (os error 1); still writing to {a}",
        a = active.display(),
        t = dir.path().join("app.2026-11-28T04.log").display()
    );
    assert_eq!(
        logger.flush(),
        Err(FlushError::Io {
            failed_batches: 1,
            last: msg.clone()
        })
    );
    assert_eq!(logger.recent_errors(), [msg]);
    drop(append_only);
    hand.advance_nanos(HOUR);
    uringlog::info!(logger, target: "t", "six");
    let stats = guard.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!((stats.written, stats.dropped, stats.errors), (3, 0, 1));

    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert_eq!(
        uringlog_tests::file_names(dir.path()),
        ["app.2026-11-28T05.log", "app.log"]
    );
    assert_eq!(
        read("app.2026-11-28T05.log"),
        "INFO  t: four\nINFO  t: five\n"
    );
    assert_eq!(read("app.log"), "INFO  t: six\n");
}
