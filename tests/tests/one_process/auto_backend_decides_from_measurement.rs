//! `Backend::Auto`: io_uring for `Durability::Data` by rule; otherwise the
//! first batches alternate between pwrite and io_uring and the cheaper per
//! byte stays, with the figures in `io_backend()`. Records written while
//! the backends take turns arrive whole and in order.

use std::time::Duration;
use uringlog::{Backend, BackendKind, Durability, Logger, MemorySink};
use uringlog_sinks::FileSink;

/// Records logged at least.
const RECORDS: u64 = 200_000;
/// Records logged at most while Auto is still measuring.
const MAX_RECORDS: u64 = 20_000_000;
/// Records between two looks at `io_backend()`.
const CHUNK: u64 = 50_000;

#[test]
fn auto_backend_decides_from_measurement() {
    if !uringlog_tests::io_uring_available("auto_backend_decides_from_measurement") {
        return;
    }
    let (sink, _) = MemorySink::new();
    let (logger, _guard) = Logger::builder()
        .sink(sink)
        .backend(Backend::Auto)
        .durability(Durability::Data)
        .build()
        .unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::IoUring, "{info}");
    assert!(info.reason.starts_with(
        "Durability::Data (a rule, not measured): fdatasync runs in the kernel while the writer keeps draining"
    ));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auto.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::Measuring, "{info}");
    assert!(
        info.to_string().starts_with(
            "auto: measuring: batches alternate between pwrite and io_uring (4 at a time) until each \
             has written 16 batches and 4 MiB (or 2 s have passed)"
        ),
        "{info}"
    );
    // Until Auto has decided: it does once each backend has its busy
    // batches, or at the first turn after its 2 s window, so a bounded
    // number of records always gets there.
    let mut logged = 0u64;
    while logged < RECORDS
        || logger.io_backend().kind == BackendKind::Measuring && logged < MAX_RECORDS
    {
        for i in logged..logged + CHUNK {
            uringlog::info!(
                logger,
                "record {i} of the trial, padded to about a hundred bytes"
            );
        }
        logged += CHUNK;
        logger.flush().unwrap();
    }
    let info = logger.io_backend();
    assert!(
        matches!(info.kind, BackendKind::IoUring | BackendKind::Pwrite),
        "{info}"
    );
    // Busy turns compared, or (a writer idle between most batches on a
    // loaded machine) too little to compare: either way measured, with the
    // figures it decided on.
    assert!(info.reason.starts_with("measured"), "{info}");
    for figure in ["io_uring ", "pwrite ", "batches"] {
        assert!(info.reason.contains(figure), "{figure:?} not in {info}");
    }
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((stats.written, stats.dropped), (logged, 0));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut n = 0u64;
    for line in text.lines() {
        let want = format!("record {n} of the trial");
        assert!(line.contains(&want), "line {n}: {line}");
        n += 1;
    }
    assert_eq!(n, logged);

    let test = "auto_backend_decides_from_measurement (O_DIRECT)";
    if !uringlog_tests::o_direct_available(test, dir.path()) {
        return;
    }
    let sink = FileSink::new_o_direct(dir.path().join("d.log")).unwrap();
    let (logger, _guard) = Logger::builder().sink(sink).build().unwrap();
    let info = logger.io_backend();
    assert_eq!(info.kind, BackendKind::Measuring, "{info}");
    assert!(
        info.reason.contains("; O_DIRECT sink, 128 KiB batches"),
        "{info}"
    );
}
