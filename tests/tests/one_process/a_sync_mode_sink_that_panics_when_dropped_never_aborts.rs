//! A sync-mode sink whose `Drop` panics — after a panic in its write, or
//! at a clean shutdown — is dropped by the logger with the panic caught and
//! reported: no call, no handle's drop and no thread-local destructor (a
//! producer cache holding the last handle, where a panic aborts the
//! process) sees it, and the books balance.

use std::io;
use uringlog::{Logger, Mode, ShutdownError, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Panics writing its `explode_at`-th batch, and always when dropped.
struct Bomb {
    batches: u32,
    explode_at: u32,
}

impl Sink for Bomb {
    fn describe(&self) -> String {
        "bomb".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        self.batches += 1;
        if self.batches == self.explode_at {
            panic!("write exploded on purpose");
        }
        Ok(())
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("drop exploded on purpose");
    }
}

fn logger(explode_at: u32) -> (Logger, uringlog::WriterGuard) {
    let bomb = Bomb {
        batches: 0,
        explode_at,
    };
    Logger::builder()
        .sink(bomb)
        .mode(Mode::Sync)
        .build()
        .unwrap()
}

/// Every handle but `logger` goes in a thread whose producer cache is
/// dropped at its exit; then the last one is dropped here.
fn drop_handles(logger: Logger) {
    let other = logger.clone();
    let thread = std::thread::spawn(move || uringlog::info!(other, "from a thread"));
    assert!(thread.join().is_ok(), "a thread-local destructor panicked");
    let last = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(logger)));
    assert!(last.is_ok(), "dropping the last handle panicked");
}

#[test]
fn a_sink_that_panics_writing_and_dropped() {
    let (logger, guard) = logger(3);
    let mut reached_caller = 0;
    for i in 0..10 {
        let call = std::panic::catch_unwind(|| uringlog::info!(logger, "record {i}"));
        reached_caller += u32::from(call.is_err());
    }
    let s = logger.stats();
    assert_eq!(
        (reached_caller, s.enqueued, s.written, s.dropped),
        (0, 10, 2, 8)
    );
    let errors = logger.recent_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("write exploded on purpose")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "a sink panicked when dropped in sync mode (drop exploded on purpose)"),
        "{errors:?}"
    );
    let err = guard.shutdown(SHUTDOWN).unwrap_err();
    let ShutdownError::WriterPanicked { stats } = err else {
        panic!("expected WriterPanicked, got {err:?}");
    };
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (10, 2, 8));
    drop_handles(logger);
}

#[test]
fn a_sink_that_panics_only_when_dropped_at_shutdown() {
    let (logger, guard) = logger(u32::MAX);
    for i in 0..5 {
        uringlog::info!(logger, "record {i}");
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped, s.errors), (5, 5, 0, 1));
    assert_eq!(
        logger.recent_errors(),
        ["a sink panicked when dropped in sync mode (drop exploded on purpose)"]
    );
    uringlog::info!(logger, "after shutdown");
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (6, 5, 1));
    drop_handles(logger);
}
