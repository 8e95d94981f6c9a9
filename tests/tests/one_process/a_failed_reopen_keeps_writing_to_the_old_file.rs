//! `reopen()` when the path cannot be opened (its directory is gone): the
//! call says which path and why, the error is counted, and logging goes on
//! into the file open before — nothing is lost.

use std::time::Duration;
use uringlog::{Logger, ReopenError};
use uringlog_sinks::FileSink;

#[test]
fn a_failed_reopen_keeps_writing_to_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("logs");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    uringlog::info!(logger, "one");
    let kept = dir.path().join("kept.log");
    std::fs::rename(&path, &kept).unwrap();
    std::fs::remove_dir(&sub).unwrap();

    let e = logger.reopen().unwrap_err();
    let expected = format!(
        "cannot reopen {}: No such file or directory (os error 2); still writing to the file open before",
        path.display()
    );
    assert_eq!(
        e,
        ReopenError::Failed {
            sinks: 1,
            last: expected
        }
    );
    uringlog::info!(logger, "two");
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (2, 0, 1));
    let lines = uringlog_tests::read_lines(&kept);
    assert_eq!(lines.len(), 2);
    assert!(lines[0].ends_with(" one") && lines[1].ends_with(" two"));
    assert_eq!(logger.reopen(), Err(ReopenError::ShutDown));
}
