//! A process forks while another of its threads builds and drops loggers
//! that reopen on a signal. Each child builds such a logger itself and
//! logs through it. The signal's registrations are serialized by a lock
//! that the building thread may hold at the fork; it does not exist in the
//! child to free it, and the child's build waited for it forever (about
//! one fork in a hundred here). The child's fork handler frees it now.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Logger, MemorySink, Mode};
use uringlog_tests::{wait_child, SHUTDOWN};

/// Forks; each one lands somewhere in the other thread's loop.
const FORKS: usize = 1_000;

fn reopening_logger() -> Result<(Logger, uringlog::WriterGuard), uringlog::BuildError> {
    Logger::builder()
        .sink(MemorySink::new().0)
        .mode(Mode::Sync)
        .reopen_on_signal(libc::SIGUSR1)
        .build()
}

/// The child's part: the exit code (0 when it built, logged and wrote).
fn in_child() -> i32 {
    let Ok((logger, guard)) = reopening_logger() else {
        return 1;
    };
    uringlog::info!(logger, "child");
    match guard.shutdown(SHUTDOWN) {
        Ok(s) if (s.enqueued, s.written, s.dropped) == (1, 1, 0) => 0,
        _ => 2,
    }
}

#[test]
fn a_fork_while_a_thread_builds_a_reopening_logger_never_hangs_the_child() {
    static STOP: AtomicBool = AtomicBool::new(false);
    let builder = std::thread::spawn(|| {
        let mut built = 0u64;
        while !STOP.load(Ordering::Relaxed) {
            drop(reopening_logger().unwrap());
            built += 1;
        }
        built
    });
    for i in 0..FORKS {
        // SAFETY: the child builds a logger, logs and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(in_child()) };
        }
        let code = wait_child(pid, &format!("child {i} hung building its logger"));
        assert_eq!(code, 0, "child {i}");
    }
    STOP.store(true, Ordering::Relaxed);
    assert!(builder.join().unwrap() > 0);
}
