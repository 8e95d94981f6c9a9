//! With SQPOLL (a kernel thread polls the submission queue) every record
//! is written once, in order, and `io_backend()` says SQPOLL is on.

use std::time::Duration;
use uringlog::{Backend, BackendKind, Logger};
use uringlog_sinks::FileSink;

#[test]
fn io_uring_sqpoll_writes_every_record() {
    if !uringlog_tests::io_uring_available("io_uring_sqpoll_writes_every_record") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(Backend::IoUring)
        .sqpoll_idle_ms(10)
        .batch_bytes(8 * 1024)
        .build()
        .unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::IoUring);
    assert!(info.reason.contains(", SQPOLL"), "{info}");
    for i in 0..20_000u64 {
        uringlog::info!(logger, "seq={i}");
    }
    logger.flush().unwrap();
    logger.flush_sync().unwrap();
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (20_000, 0, 0));
    let seqs: Vec<u64> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..20_000).collect::<Vec<_>>());
}
