//! The reopen signal's handler stays while the logger has a handle alive,
//! not only while its writer runs: a service that shut its logger down and
//! still holds it (exiting, say) gets a logrotate `SIGHUP` caught, where
//! the signal's default disposition, put back when the writer stopped,
//! ended the process. Once the last handle is dropped the disposition from
//! before comes back. Async and sync mode.

use uringlog::Mode;
use uringlog_tests::signals::{handler_of, reopening_on_sighup};
use uringlog_tests::SHUTDOWN;

/// `SIGHUP`'s handler as installed now.
fn sighup_handler() -> libc::sighandler_t {
    handler_of(libc::SIGHUP)
}

#[test]
fn a_reopen_signal_after_shutdown_is_caught_while_a_handle_lives() {
    let dir = tempfile::tempdir().unwrap();
    // The disposition inherited: the default, or `SIG_IGN` under nohup.
    let before = sighup_handler();
    for mode in [Mode::Async, Mode::Sync] {
        let path = dir.path().join(format!("{mode:?}.log"));
        let (logger, guard) = reopening_on_sighup(&path, mode);
        uringlog::info!(logger, "before shutdown");
        let kept = logger.clone();
        drop(logger);
        let stats = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((stats.written, stats.dropped), (1, 0), "{mode:?}");
        assert_ne!(
            sighup_handler(),
            before,
            "{mode:?}: shut down with a handle alive, the handler must stay"
        );
        // Caught: were it the default, the process would end here.
        // SAFETY: raising a signal whose handler is installed (checked above).
        assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
        uringlog::info!(kept, "after shutdown");
        assert_eq!(kept.stats().written, 1, "{mode:?}");
        drop(kept);
        assert_eq!(
            sighup_handler(),
            before,
            "{mode:?}: the last handle gone, the disposition from before is back"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }
}
