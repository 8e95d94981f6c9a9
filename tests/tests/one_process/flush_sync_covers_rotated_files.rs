//! `flush_sync` syncs every file written since the last sync, including
//! the one a rotation just closed, on both backends.
use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::RollingFileSink;

#[test]
fn flush_sync_covers_rotated_files() {
    for backend in [Backend::Pwrite, Backend::IoUring] {
        let d = tempfile::tempdir().unwrap();
        let sink = RollingFileSink::builder(d.path(), "app")
            .max_file_bytes(4096)
            .open()
            .unwrap();
        if backend == Backend::IoUring
            && !uringlog_tests::io_uring_available("flush_sync_covers_rotated_files")
        {
            continue;
        }
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .backend(backend)
            .build()
            .unwrap();
        // ~3 KiB into app.log, flushed (written, not synced).
        for i in 0..30 {
            uringlog::info!(logger, "{i:090}");
        }
        logger.flush().unwrap();
        // More: the sink rotates, rotated files hold data never synced.
        for i in 0..30 {
            uringlog::info!(logger, "{i:090}");
        }
        logger.flush_sync().unwrap();
        let files = std::fs::read_dir(d.path()).unwrap().count();
        let syncs = logger.stats().syncs;
        guard.shutdown(Duration::from_secs(10)).unwrap();
        assert!(files >= 2, "{backend:?}: the sink rotated");
        // Nothing was synced before `flush_sync`, so every file gets one
        // fdatasync: the rotated ones and the active one.
        assert_eq!(
            syncs, files as u64,
            "{backend:?}: one fdatasync per file written"
        );
    }
}
