//! `fork()` with a logger that reopens on a signal: the handler's slots
//! (at most 32 loggers reopen on signals at once) belong to the parent's
//! loggers, whose writers are not in the child. The child starts with
//! every slot free: it can build all 32 of its own, a signal reaches the
//! child's loggers, and dropping the inherited logger in the child
//! releases nothing of theirs (before, it could free the slot and restore
//! the signal's default action, which then killed the child).

use std::time::Duration;
use uringlog::{Logger, MemorySink, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, wait_for as until, SHUTDOWN, WATCHDOG};

/// Loggers that may reopen on signals at once (documented on the builder).
const MAX_REGISTRATIONS: usize = 32;

/// The child's part; returns what went wrong, if anything.
fn in_child(inherited: (Logger, uringlog::WriterGuard), dir: &std::path::Path) -> Option<String> {
    let path = dir.join("child.log");
    let (own, guard) = Logger::builder()
        .sink(FileSink::new(&path).ok()?)
        .reopen_on_signal(libc::SIGUSR2)
        .build()
        .map_err(|e| format!("first: {e}"))
        .ok()?;
    let mut others = Vec::new();
    for i in 1..MAX_REGISTRATIONS {
        let built = Logger::builder()
            .sink(MemorySink::new().0)
            .mode(Mode::Sync)
            .reopen_on_signal(libc::SIGUSR2)
            .build();
        match built {
            Ok(l) => others.push(l),
            Err(e) => return Some(format!("logger {i} of {MAX_REGISTRATIONS}: {e}")),
        }
    }
    // The inherited logger's registration goes with it, in this process.
    drop(inherited);
    uringlog::info!(own, "before");
    own.flush().ok()?;
    std::fs::rename(&path, dir.join("child.log.1")).ok()?;
    // SAFETY: raising a signal whose handler the child's loggers installed.
    unsafe { libc::raise(libc::SIGUSR2) };
    let start = std::time::Instant::now();
    while !path.exists() {
        if start.elapsed() > WATCHDOG {
            return Some("the signal never reopened the child's file".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    uringlog::info!(own, "after");
    let s = guard.shutdown(SHUTDOWN).ok()?;
    if (s.enqueued, s.written, s.dropped) != (2, 2, 0) {
        return Some(format!("{s:?}"));
    }
    drop(others);
    None
}

#[test]
fn a_forked_child_owns_its_signal_slots() {
    let dir = tempfile::tempdir().unwrap();
    let parent_log = dir.path().join("parent.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&parent_log).unwrap())
        .mode(Mode::Sync)
        .reopen_on_signal(libc::SIGUSR2)
        .build()
        .unwrap();
    uringlog::info!(logger, "parent before");
    // SAFETY: the child builds loggers, logs and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let problem = in_child((logger, guard), dir.path());
        if let Some(p) = &problem {
            eprintln!("child: {p}");
        }
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(i32::from(problem.is_some())) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status:#x}"
    );
    assert_eq!(read_lines(&dir.path().join("child.log.1")).len(), 1);
    let after = read_lines(&dir.path().join("child.log"));
    assert!(after.len() == 1 && after[0].ends_with("after"), "{after:?}");
    // The parent's registration is intact: its signal still reopens.
    std::fs::rename(&parent_log, dir.path().join("parent.log.1")).unwrap();
    // SAFETY: raising a signal whose handler the parent's logger installed.
    assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
    uringlog::info!(logger, "parent after");
    until("the parent's reopen", || parent_log.exists());
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    let lines = read_lines(&parent_log);
    assert!(
        lines.len() == 1 && lines[0].ends_with("parent after"),
        "{lines:?}"
    );
}
