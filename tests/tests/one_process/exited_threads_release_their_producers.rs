//! Producers of exited threads are released in every mode, including
//! threads that first log after shutdown: memory does not grow with the
//! number of threads ever created, and their calls are still counted.

use std::thread;
use uringlog::{Logger, MemorySink, Mode};
use uringlog_tests::SHUTDOWN;

fn spawn_loggers(logger: &Logger, n: usize) {
    for _ in 0..n {
        let l = logger.clone();
        thread::spawn(move || uringlog::info!(l, "from a short-lived thread"))
            .join()
            .unwrap();
    }
}

#[test]
fn sync_mode_releases_exited_threads() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    spawn_loggers(&logger, 50);
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.live_producers), (50, 50, 0));
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(out.lines().len(), 50);
}

#[test]
fn threads_that_first_log_after_shutdown_hold_no_ring() {
    let (sink, _out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    uringlog::info!(logger, "before");
    guard.shutdown(SHUTDOWN).unwrap();
    spawn_loggers(&logger, 50);
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (51, 1, 50));
    // Only the main thread's ring (it is still alive) remains.
    assert_eq!(s.live_producers, 1);
}
