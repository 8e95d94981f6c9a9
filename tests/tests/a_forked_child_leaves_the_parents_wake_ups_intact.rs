//! `fork()` while the writer sleeps: the child inherits a copy of the wake
//! word with the writer's registration in it. The child's calls go to its
//! own engine (a writer of its own, started on its first call), so they
//! never claim that copy; they do not hang or crash, and are written to
//! the same file (`FileSink` serves a child) before the child exits. The
//! parent's writer is still registered and is woken by the parent's next
//! records, each written exactly once; the parent counts only its own.

use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, wait_child, wait_for as until, SHUTDOWN};

#[test]
fn a_forked_child_leaves_the_parents_wake_ups_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fork.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    let mut p = logger.producer();
    uringlog::info!(p, "parent seq=0");
    until("first record", || logger.stats().written == 1);
    until("the writer never slept", || logger.writer_sleeping());
    let (_, wakes) = logger.writer_wake_counts();
    // SAFETY: the child logs through the producer it inherited (which
    // starts the child's engine), flushes and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        for i in 0..10 {
            uringlog::info!(p, "child seq={i}");
        }
        let flushed = logger.flush().is_ok();
        let s = logger.stats();
        let ok = flushed && (s.enqueued, s.written, s.dropped) == (10, 10, 0);
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert_eq!(wait_child(pid, "the child hung in a log call"), 0);
    assert!(
        logger.writer_sleeping(),
        "the child's claim reached the parent"
    );
    assert_eq!(logger.writer_wake_counts().1, wakes);
    for i in 1..=5u64 {
        uringlog::info!(p, "parent seq={i}");
        until("a parent record after fork was never written", || {
            logger.stats().written == i + 1
        });
    }
    drop(p);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (6, 6, 0));
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 16, "{lines:?}");
    assert!(lines[0].ends_with("parent seq=0"), "{}", lines[0]);
    for (line, i) in lines[1..11].iter().zip(0..) {
        assert!(line.ends_with(&format!("child seq={i}")), "{line}");
    }
    for (line, i) in lines[11..].iter().zip(1..) {
        assert!(line.ends_with(&format!("parent seq={i}")), "{line}");
    }
}
