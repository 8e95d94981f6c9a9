//! A reopen signal wakes an idle writer: the handler notifies the writer
//! (async-signal-safely), so after a rename-style rotation the new file
//! appears without any record logged, flush or timeout. The writer has no
//! timeout at all when idle, so a handler that did not wake it shows as a
//! file that never appears (a generous watchdog, not a hang).

use std::path::Path;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::{io_uring_available, read_lines, wait_for as until, SHUTDOWN};

/// Rotations per backend.
const ROTATIONS: usize = 5;

fn rotate_by_signal(backend: Backend, path: &Path) {
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .backend(backend)
        .reopen_on_signal(libc::SIGUSR1)
        .build()
        .unwrap();
    for r in 0..ROTATIONS {
        uringlog::info!(logger, "rotation={r}");
        until("a record never written", || {
            logger.stats().written == r as u64 + 1
        });
        until("the writer never went to sleep", || {
            logger.writer_sleeping()
        });
        let (_, wakes) = logger.writer_wake_counts();
        std::fs::rename(path, path.with_extension(format!("log.{r}"))).unwrap();
        // SAFETY: raising a signal whose handler the logger installed.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
        until(
            &format!("{backend:?}: rotation {r}: the signal never woke the writer"),
            || path.exists(),
        );
        let (_, after) = logger.writer_wake_counts();
        assert_eq!(after - wakes, 1, "{backend:?}: one signal, one wake-up");
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (ROTATIONS as u64, 0, 0));
    for r in 0..ROTATIONS {
        let lines = read_lines(&path.with_extension(format!("log.{r}")));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].ends_with(&format!("rotation={r}")), "{lines:?}");
    }
    assert!(read_lines(path).is_empty());
}

#[test]
fn a_reopen_signal_wakes_a_sleeping_writer() {
    let dir = tempfile::tempdir().unwrap();
    rotate_by_signal(Backend::Pwrite, &dir.path().join("pwrite.log"));
    if io_uring_available("a_reopen_signal_wakes_a_sleeping_writer") {
        rotate_by_signal(Backend::IoUring, &dir.path().join("uring.log"));
    }
}
