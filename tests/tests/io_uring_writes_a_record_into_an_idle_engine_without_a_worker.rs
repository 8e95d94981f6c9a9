//! A record logged into an idle io_uring engine reaches the file without
//! waking a second thread: on file systems without non-blocking buffered
//! writes (ext4, ...) an `IORING_OP_WRITE` is punted to an io-wq worker
//! (`iou-wrk-<tid>`), which must then be woken and scheduled before the
//! line is in the file. Small appends into an idle ring are written by the
//! writer itself, so a trickle of records never starts a worker.

use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, temp_log, SHUTDOWN};

/// This process's io-wq worker threads.
fn io_workers() -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("iou-wrk"))
        .count()
}

#[test]
fn io_uring_writes_a_record_into_an_idle_engine_without_a_worker() {
    let test = "io_uring_writes_a_record_into_an_idle_engine_without_a_worker";
    if !uringlog_tests::io_uring_available(test) {
        return;
    }
    let (_dir, path) = temp_log("trickle.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(Backend::IoUring)
        .build()
        .unwrap();
    for i in 0..20 {
        uringlog::info!(logger, "trickle record {i}");
        // The flush returns once the record is written: the next one finds
        // the engine idle again.
        logger.flush_timeout(SHUTDOWN).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(io_workers(), 0, "{}", logger.io_backend());
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (20, 20, 0));
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 20);
    for (i, line) in lines.iter().enumerate() {
        assert!(line.ends_with(&format!("trickle record {i}")), "{line}");
    }
}
