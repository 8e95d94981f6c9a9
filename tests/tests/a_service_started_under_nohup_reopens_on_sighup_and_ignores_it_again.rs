//! A service started under `nohup` (or by a supervisor that ignores
//! `SIGHUP`) inherits `SIGHUP` ignored. A logger asked to reopen on it
//! still does (logrotate's `postrotate` sends it to such services too),
//! and once the logger is gone the signal is ignored again, as it was
//! before: the process does not take up the default, which ends it.

use std::time::{Duration, Instant};
use uringlog::Mode;
use uringlog_tests::signals::{handler_of, reopening_on_sighup};
use uringlog_tests::{read_lines, SHUTDOWN, WATCHDOG};

#[test]
fn a_service_started_under_nohup_reopens_on_sighup_and_ignores_it_again() {
    // SAFETY: `SIG_IGN` for SIGHUP, as nohup leaves it; no handler runs.
    unsafe { libc::signal(libc::SIGHUP, libc::SIG_IGN) };
    let dir = tempfile::tempdir().unwrap();
    for mode in [Mode::Async, Mode::Sync] {
        let path = dir.path().join(format!("{mode:?}.log"));
        let rotated = path.with_extension("log.1");
        let (logger, guard) = reopening_on_sighup(&path, mode);
        let ours = handler_of(libc::SIGHUP);
        assert_ne!(ours, libc::SIG_IGN, "{mode:?}: the handler is installed");
        uringlog::info!(logger, "before the rotation");
        logger.flush().unwrap();
        std::fs::rename(&path, &rotated).unwrap();
        // SAFETY: raising a signal whose handler is installed (checked above).
        assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
        let start = Instant::now();
        let mut after = 0;
        while std::fs::metadata(&path).map_or(true, |m| m.len() == 0) {
            assert!(start.elapsed() < WATCHDOG, "{mode:?}: never reopened");
            uringlog::info!(logger, "after seq={after}");
            after += 1;
            logger.flush().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(logger);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            (s.enqueued, s.written, s.dropped),
            (after + 1, after + 1, 0)
        );
        let (old, new) = (read_lines(&rotated), read_lines(&path));
        assert!(old[0].ends_with("before the rotation"), "{mode:?}: {old:?}");
        assert_eq!((old.len() + new.len()) as u64, after + 1, "{mode:?}");
        let last = format!("after seq={}", after - 1);
        assert!(new.last().unwrap().ends_with(&last), "{mode:?}: {new:?}");
        assert_eq!(
            handler_of(libc::SIGHUP),
            libc::SIG_IGN,
            "{mode:?}: ignored again"
        );
        // Ignored: were it the default, the process would end here.
        // SAFETY: raising an ignored signal.
        assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
    }
}
