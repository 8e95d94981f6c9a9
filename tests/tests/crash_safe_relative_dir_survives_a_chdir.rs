//! A crash-safe directory given as a relative path is the one the path
//! named at `build`: a process that changes its working directory later
//! (a daemon's `chdir("/")`) still creates the ring files of threads that
//! log for the first time afterwards, and the call-site table, there, so
//! their records survive a crash. Before, both were created relative to
//! the new working directory (or, failing that, the ring was kept in
//! memory) and recovery from the directory lost those records.
//!
//! One test in this binary: it changes the process's working directory.

use std::path::Path;
use std::time::Duration;
use uringlog::{Format, Logger, MemorySink, SinkOptions, Timestamp};

#[test]
fn a_relative_crash_safe_dir_survives_a_chdir() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::env::set_current_dir(tmp.path()).unwrap();
    let (logger, guard, gate) = uringlog_tests::stuck_crash_safe_logger(Path::new("cs"));
    std::env::set_current_dir(&elsewhere).unwrap();
    // A thread whose first record comes after the move: a new ring file,
    // and a new call site for the table.
    let l = logger.clone();
    std::thread::spawn(move || {
        for i in 0..5 {
            uringlog::info!(l, "after the move i={}", i);
        }
    })
    .join()
    .unwrap();
    guard.shutdown(Duration::from_millis(300)).unwrap_err();
    gate.release.send(()).unwrap();
    let _ = logger.flush();
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing made here"
    );
    let (sink, lines) = MemorySink::new();
    let plain = Format::text().timestamp(Timestamp::Off).without_target();
    let (_l, guard) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(plain))
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap();
    guard.shutdown(Duration::from_secs(30)).unwrap();
    let lines = lines.lines();
    assert_eq!(
        lines[0],
        format!(
            "WARN  crash-safe recovery: 6 records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
            std::process::id()
        )
    );
    let mut want = vec!["INFO  stuck".to_owned()];
    want.extend((0..5).map(|i| format!("INFO  after the move i={i}")));
    assert_eq!(lines[1..], want[..]);
}
