//! A child forked from a process whose logger reopens on `SIGHUP` logs
//! through the inherited logger (which starts its own writer there), then
//! shuts it down and still holds the handle: a `SIGHUP` then is caught, as
//! in the parent. The child's writer let go of the signal when it ended
//! and, the holds inherited having been forgotten at the fork, gave the
//! signal back to its default disposition, which ended the child. Async
//! and sync mode.

use uringlog::{Logger, Mode, WriterGuard};
use uringlog_tests::signals::reopening_on_sighup;
use uringlog_tests::{read_lines, wait_child, SHUTDOWN};

/// The child's part; returns what went wrong, if anything.
fn in_child(logger: Logger, guard: WriterGuard) -> Option<String> {
    uringlog::info!(logger, "child");
    let s = guard.shutdown(SHUTDOWN).ok()?;
    if (s.enqueued, s.written, s.dropped) != (1, 1, 0) {
        return Some(format!("child's shutdown: {s:?}"));
    }
    // SAFETY: raising a signal; the handler inherited must catch it.
    unsafe { libc::raise(libc::SIGHUP) };
    uringlog::info!(logger, "after shutdown");
    let s = logger.stats();
    if (s.enqueued, s.written, s.dropped) != (2, 1, 1) {
        return Some(format!("after shutdown: {s:?}"));
    }
    None
}

#[test]
fn a_forked_child_keeps_the_reopen_handler_while_it_holds_the_inherited_logger() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [Mode::Async, Mode::Sync] {
        let path = dir.path().join(format!("{mode:?}.log"));
        let (logger, guard) = reopening_on_sighup(&path, mode);
        uringlog::info!(logger, "parent");
        logger.flush().unwrap();
        // SAFETY: the child logs, shuts down and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let problem = in_child(logger, guard);
            if let Some(p) = &problem {
                eprintln!("child: {p}");
            }
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(i32::from(problem.is_some())) };
        }
        let code = wait_child(pid, "the child hung");
        assert_eq!(code, 0, "{mode:?}: the child failed");
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0), "{mode:?}");
        drop(logger);
        let lines = read_lines(&path);
        let ends: Vec<_> = lines
            .iter()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(ends, ["parent", "child"], "{mode:?}");
    }
}
