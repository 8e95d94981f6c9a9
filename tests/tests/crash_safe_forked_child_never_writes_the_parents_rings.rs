//! Crash-safe mode after `fork`: the child shares the parent's ring files
//! (`MAP_SHARED`), so a record it logs must not land in them — it would be
//! written by the parent's writer and collide with the parent's next
//! record. The child's records are counted dropped (in the child) and
//! the parent's file holds exactly the parent's records.

use std::time::Duration;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::read_lines;

#[test]
fn a_forked_child_logs_nothing_into_the_parents_rings() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap();
    uringlog::info!(logger, "parent before");
    logger.flush().unwrap();
    // SAFETY: the child only logs (no lock is held across the fork by
    // this thread) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        for i in 0..1000 {
            uringlog::info!(logger, "child {}", i);
        }
        let s = logger.stats();
        let code = if s.dropped == s.enqueued - 1 { 0 } else { 1 };
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    uringlog::info!(logger, "parent after");
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    let lines = read_lines(&log);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("parent before") && lines[1].ends_with("parent after"));
}
