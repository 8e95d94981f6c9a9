//! The reopen signal's handler stays while the logger has a handle alive,
//! not only while its writer runs: a service that shut its logger down and
//! still holds it (exiting, say) gets a logrotate `SIGHUP` caught, where
//! the signal's default disposition, put back when the writer stopped,
//! ended the process. Once the last handle is dropped the disposition from
//! before comes back. Async and sync mode.

use uringlog::{Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

/// `SIGHUP`'s handler as installed now (`SIG_DFL` is 0).
fn sighup_handler() -> libc::sighandler_t {
    // SAFETY: an all-zero sigaction is a valid value to be written over.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    let r = unsafe { libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut old) };
    assert_eq!(r, 0, "sigaction: {}", std::io::Error::last_os_error());
    old.sa_sigaction
}

#[test]
fn a_reopen_signal_after_shutdown_is_caught_while_a_handle_lives() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        sighup_handler(),
        libc::SIG_DFL,
        "the test starts with the default"
    );
    for mode in [Mode::Async, Mode::Sync] {
        let path = dir.path().join(format!("{mode:?}.log"));
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .mode(mode)
            .reopen_on_signal(libc::SIGHUP)
            .build()
            .unwrap();
        uringlog::info!(logger, "before shutdown");
        let kept = logger.clone();
        drop(logger);
        let stats = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((stats.written, stats.dropped), (1, 0), "{mode:?}");
        assert_ne!(
            sighup_handler(),
            libc::SIG_DFL,
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
            libc::SIG_DFL,
            "{mode:?}: the last handle gone, the disposition from before is back"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }
}
