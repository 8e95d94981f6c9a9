//! The call-site table deleted while a crash-safe logger runs (by hand, a
//! cleanup job): the next call site's registration, or the writer at its
//! next commit, notices and writes a new table holding every call site so
//! far, so records from before and after the deletion are recovered; a
//! crash before that leaves records recovery cannot render: they are
//! written with their values only, counted, and the recovery record says
//! why.
//!
//! A logger whose sink never completes a batch keeps every record pending;
//! its shutdown gives up and leaves the directory as a crash would.

use std::path::Path;
use std::time::Duration;
use uringlog::Logger;

/// Removes the call-site tables in `dir`; how many there were.
fn remove_tables(dir: &Path) -> usize {
    let tables = uringlog_tests::call_site_tables(dir);
    for t in &tables {
        std::fs::remove_file(t).unwrap();
    }
    tables.len()
}

#[test]
fn a_new_call_site_writes_the_deleted_table_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (logger, guard, gate) = uringlog_tests::stuck_crash_safe_logger(&dir);
    for i in 0..10 {
        uringlog::info!(logger, "first site i={}", i);
    }
    assert_eq!(remove_tables(&dir), 1);
    for i in 0..10 {
        uringlog::info!(logger, "second site i={}", i);
        uringlog::info!(logger, "first site again i={}", i);
    }
    let lines = uringlog_tests::crash_and_recover(&dir, logger, guard, gate);
    assert_eq!(
        lines[0],
        format!(
            "WARN  crash-safe recovery: 31 records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
            std::process::id()
        )
    );
    let mut want = vec!["INFO  stuck".to_owned()];
    want.extend((0..10).map(|i| format!("INFO  first site i={i}")));
    for i in 0..10 {
        want.push(format!("INFO  second site i={i}"));
        want.push(format!("INFO  first site again i={i}"));
    }
    assert_eq!(lines[1..], want[..]);
}

#[test]
fn records_whose_table_was_deleted_are_counted_and_the_reason_given() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (logger, guard, gate) = uringlog_tests::stuck_crash_safe_logger(&dir);
    // One call site, registered by the first call only.
    let log = |i: u64| uringlog::info!(logger, "only site i={}", i);
    (0..10).for_each(log);
    assert_eq!(remove_tables(&dir), 1);
    (10..25).for_each(log);
    let lines = uringlog_tests::crash_and_recover(&dir, logger, guard, gate);
    assert_eq!(
        lines[0],
        format!(
            "WARN  crash-safe recovery: 26 records recovered from process {} (generation 1), 0 torn or corrupt records skipped, 26 of them written with their values only: their call site is not in the directory's call-site table (deleted or cut short)",
            std::process::id()
        )
    );
    let bare = |l: &String| {
        l.split_once(" not in the call-site table] ")
            .unwrap()
            .1
            .to_owned()
    };
    let mut want = vec!["values:".to_owned()];
    want.extend((0..25).map(|i| format!("values: {i}")));
    assert_eq!(lines[1..].iter().map(bare).collect::<Vec<_>>(), want);
}

#[test]
fn the_writer_writes_the_deleted_table_again_at_its_next_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let sink = uringlog_sinks::FileSink::new(tmp.path().join("app.log")).unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .crash_safe(&dir)
        .build()
        .unwrap();
    let log = |i: u64| uringlog::info!(logger, "kept site i={}", i);
    log(0);
    logger.flush().unwrap();
    assert_eq!(remove_tables(&dir), 1);
    // A flushed record is one batch and one commit (right after the
    // batch completed, which may be after the flush returned), which
    // checks the table.
    log(1);
    logger.flush().unwrap();
    let piece = b"kept site i=";
    uringlog_tests::wait_for("the table written again", || {
        let table = std::fs::read(dir.join("sites-1")).unwrap_or_default();
        table.windows(piece.len()).any(|w| w == piece)
    });
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written), (2, 2));
}
