//! Two threads call `flush_sync` while the writer is busy, so one round
//! of syncs answers both; the sync fails (a file that cannot be synced):
//! each call returns the error, not only the first to return.

use std::sync::Barrier;
use std::time::Duration;
use uringlog::{Backend, FlushError, Logger};
use uringlog_tests::{wait_until_stuck, GateSink, NullDevice};

#[test]
fn flush_sync_from_several_threads_each_hears_of_a_failed_sync() {
    let (gate, g) = GateSink::new();
    let (logger, guard) = Logger::builder()
        .sink(gate)
        .sink(NullDevice::new())
        .backend(Backend::Pwrite)
        .build()
        .unwrap();
    uringlog::info!(logger, "stuck");
    wait_until_stuck(&g.entered);
    let start = Barrier::new(3);
    let results: Vec<Result<(), FlushError>> = std::thread::scope(|s| {
        let calls: Vec<_> = (0..2)
            .map(|_| {
                let (logger, start) = (logger.clone(), &start);
                s.spawn(move || {
                    start.wait();
                    logger.flush_sync()
                })
            })
            .collect();
        start.wait();
        // Both calls take their tickets while the writer is stuck (most
        // likely; the outcome asserted does not depend on it).
        std::thread::sleep(Duration::from_millis(100));
        g.release.send(()).unwrap();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for r in &results {
        match r {
            Err(FlushError::Io { last, .. }) => assert_eq!(
                last,
                "fdatasync of null device failed: Invalid argument (os error 22)"
            ),
            other => panic!("a failed sync answered as {other:?}: {results:?}"),
        }
    }
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
}
