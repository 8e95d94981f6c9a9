//! `Durability::Data` syncs every file after `sync_interval_bytes`, after
//! `sync_interval_ms` even when the logger goes quiet, and at shutdown;
//! `Durability::None` never syncs on its own.

use std::time::{Duration, Instant};
use uringlog::{Backend, Durability, Logger};
use uringlog_sinks::FileSink;

fn logger(
    backend: Backend,
    durability: Durability,
    interval_ms: u64,
) -> (Logger, uringlog::WriterGuard, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(dir.path().join("app.log")).unwrap())
        .backend(backend)
        .batch_bytes(16 * 1024)
        .durability(durability)
        .sync_interval_bytes(64 * 1024)
        .sync_interval_ms(interval_ms)
        .build()
        .unwrap();
    (logger, guard, dir)
}

fn scenario(backend: Backend) {
    // By bytes: ~1 MiB at a 64 KiB interval, and a last sync at shutdown.
    let (l, g, _d) = logger(backend, Durability::Data, 3_600_000);
    for i in 0..10_000u64 {
        uringlog::info!(l, "seq={i} {}", "d".repeat(64));
    }
    let s = g.shutdown(Duration::from_secs(10)).unwrap();
    assert!(s.syncs >= 2, "{backend:?}: {s:?}");
    assert_eq!((s.written, s.errors), (10_000, 0));

    // By time: one record, then quiet; the sync still comes.
    let (l, g, _d) = logger(backend, Durability::Data, 1);
    uringlog::info!(l, "lonely");
    l.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while l.stats().syncs == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        l.stats().syncs,
        1,
        "{backend:?}: one periodic sync while idle"
    );
    drop(g);

    // None: no sync unless asked.
    let (l, g, _d) = logger(backend, Durability::None, 1);
    for i in 0..10_000u64 {
        uringlog::info!(l, "seq={i} {}", "n".repeat(64));
    }
    let s = g.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.syncs, s.written), (0, 10_000));
}

#[test]
fn durability_data_syncs_periodically() {
    scenario(Backend::Pwrite);
    if uringlog_tests::io_uring_available("durability_data_syncs_periodically (io_uring)") {
        scenario(Backend::IoUring);
    }
}
