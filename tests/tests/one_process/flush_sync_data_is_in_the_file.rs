//! `flush_sync` returns only after everything logged before it is written
//! and synced: the marker logged just before is in the file when it
//! returns, while other threads keep logging.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;

fn scenario(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(backend)
        .batch_bytes(8 * 1024)
        .build()
        .unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (logger, stop) = (logger.clone(), &stop);
            s.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    uringlog::info!(logger, "background t={t} seq={i}");
                    i += 1;
                    // A steady trickle (~16 K records/s per thread): the
                    // syncs overlap logging without the file growing so
                    // fast that syncing and rereading it dominates the test.
                    if i % 16 == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            });
        }
        for k in 0..20u64 {
            uringlog::info!(logger, "marker k={k}");
            logger.flush_sync().unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            let wanted = format!(" marker k={k}\n");
            assert!(
                text.contains(&wanted),
                "{backend:?}: marker {k} missing after flush_sync"
            );
            assert!(
                logger.stats().syncs > k,
                "{backend:?}: a sync per flush_sync"
            );
        }
        stop.store(true, Ordering::Relaxed);
    });
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (s.enqueued, 0, 0));
    assert!(s.syncs >= 20);
}

#[test]
fn flush_sync_data_is_in_the_file() {
    scenario(Backend::Pwrite);
    if uringlog_tests::io_uring_available("flush_sync_data_is_in_the_file (io_uring)") {
        scenario(Backend::IoUring);
    }
}
