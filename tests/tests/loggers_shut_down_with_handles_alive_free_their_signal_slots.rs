//! A service that builds and shuts down loggers that reopen on a signal,
//! keeping a handle of each, can build as many as it likes: a shut-down
//! logger's handles keep the signal's handler (a `SIGHUP` after shutdown
//! is caught) but not one of the 32 slots, which count signals for
//! running loggers only. The slots were held until the last handle went,
//! and the 33rd build failed with "32 loggers already reopen on signals".
//! Running loggers are still limited, with an error that says so. Async
//! and sync mode.

use uringlog::{Logger, MemorySink, Mode, WriterGuard};
use uringlog_tests::SHUTDOWN;

/// Loggers that may reopen on signals at once (documented on the builder).
const MAX_REGISTRATIONS: usize = 32;

fn build(mode: Mode) -> Result<(Logger, WriterGuard), uringlog::BuildError> {
    Logger::builder()
        .sink(MemorySink::new().0)
        .mode(mode)
        .reopen_on_signal(libc::SIGHUP)
        .build()
}

#[test]
fn loggers_shut_down_with_handles_alive_free_their_signal_slots() {
    for mode in [Mode::Async, Mode::Sync] {
        let mut kept = Vec::new();
        for i in 0..3 * MAX_REGISTRATIONS {
            let (logger, guard) = build(mode).unwrap_or_else(|e| panic!("{mode:?} {i}: {e}"));
            uringlog::info!(logger, "record");
            let s = guard.shutdown(SHUTDOWN).unwrap();
            assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0), "{mode:?}");
            kept.push(logger);
        }
        // Caught by the handler the kept handles hold: were it the
        // default, the process would end here.
        // SAFETY: raising a signal whose handler is installed.
        assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
        let running: Vec<_> = (0..MAX_REGISTRATIONS)
            .map(|i| build(mode).unwrap_or_else(|e| panic!("{mode:?} running {i}: {e}")))
            .collect();
        let refused = build(mode).map(|_| ()).map_err(|e| e.to_string());
        let expected = "reopen_on_signal(1) is not supported: \
                        32 running loggers already reopen on signals";
        assert_eq!(refused, Err(expected.to_owned()), "{mode:?}");
        drop(running);
        drop(kept);
    }
}
