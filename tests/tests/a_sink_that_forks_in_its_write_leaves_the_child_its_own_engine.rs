//! A sync-mode sink forks inside its write, in the middle of a log call
//! through a `Logger` (the call holds the thread's cached producer then).
//! The child finishes that call and logs on through the same handle, on
//! the same thread: those records go to the child's own engine and are
//! counted there, never through the producer the thread cached in the
//! parent; the parent's books are its own.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use uringlog::{Logger, Mode, Sink, Target};
use uringlog_tests::{wait_child, SHUTDOWN};

/// Forks at its second write and says the pid (0 in the child); has no
/// copy for a child, so a child's engine counts its records dropped.
struct ForksAtSecondWrite {
    writes: u32,
    pid: Arc<AtomicI32>,
}

impl Sink for ForksAtSecondWrite {
    fn describe(&self) -> String {
        "forks at its second write".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if self.writes == 2 {
            // SAFETY: the child only logs, reads its stats and `_exit`s.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            self.pid.store(pid, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[test]
fn a_sink_that_forks_in_its_write_leaves_the_child_its_own_engine() {
    let pid = Arc::new(AtomicI32::new(-1));
    let sink = ForksAtSecondWrite {
        writes: 0,
        pid: pid.clone(),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    uringlog::info!(logger, "first");
    uringlog::info!(logger, "second, which forks");
    let pid = pid.load(Ordering::SeqCst);
    if pid == 0 {
        for i in 0..3 {
            uringlog::info!(logger, "in the child {i}");
        }
        let s = logger.stats();
        // The child's engine: its three calls, dropped (no sink for it).
        let code = match (s.enqueued, s.written, s.dropped) {
            (3, 0, 3) => 0,
            _ => 1,
        };
        // SAFETY: leaves the child at once, running nothing of the parent's.
        unsafe { libc::_exit(code) };
    }
    assert_eq!(wait_child(pid, "the child hung"), 0, "the child's books");
    uringlog::info!(logger, "third, in the parent");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0));
}
