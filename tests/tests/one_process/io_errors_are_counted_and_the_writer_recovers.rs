//! A sink that fails: every lost record is counted, the error is reported
//! with its cause, and writing resumes when the fault clears.

use uringlog::{FlushError, Logger, MemorySink};
use uringlog_tests::SHUTDOWN;

#[test]
fn io_errors_are_counted_and_the_writer_recovers() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    uringlog::info!(logger, "ok 1");
    logger.flush().unwrap();

    out.set_failing(Some(libc::ENOSPC));
    for i in 0..10 {
        uringlog::info!(logger, "lost {i}");
    }
    match logger.flush() {
        Err(FlushError::Io {
            failed_batches,
            last,
        }) => {
            assert!(failed_batches >= 1);
            assert!(
                last.starts_with("write to memory failed after 0 of "),
                "{last}"
            );
            assert!(
                last.ends_with("No space left on device (os error 28)"),
                "{last}"
            );
        }
        other => panic!("expected an I/O flush error, got {other:?}"),
    }
    let mid = logger.stats();
    assert_eq!((mid.written, mid.dropped), (1, 10));
    assert!(mid.errors >= 1);

    out.set_failing(None);
    for i in 0..5 {
        uringlog::info!(logger, "ok again {i}");
    }
    logger.flush().unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (16, 6, 10));
    assert_eq!(s.errors, mid.errors);
    let lines = out.lines();
    assert_eq!(lines.len(), 6);
    assert!(lines.iter().all(|l| !l.contains("lost")));
    assert!(logger
        .recent_errors()
        .iter()
        .all(|e| e.contains("os error 28")));
}
