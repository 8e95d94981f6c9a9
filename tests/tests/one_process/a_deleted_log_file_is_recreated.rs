//! The log file is deleted under a running logger: within about a second
//! of logging (the sink checks its path at most once a second, before a
//! batch) the path exists again and receives the later lines, in order.
//! The test waits for that to happen, bounded by a generous deadline; it
//! never asserts a timing.

use std::path::Path;
use std::time::{Duration, Instant};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

/// Far beyond the documented second: only a broken reopen reaches it.
const DEADLINE: Duration = Duration::from_secs(60);

fn seqs_in(path: &Path) -> Vec<u64> {
    match std::fs::read_to_string(path) {
        Ok(t) => t
            .lines()
            .map(|l| uringlog_tests::field(l, "seq=").unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn scenario(backend: Backend) {
    let (_dir, path) = uringlog_tests::temp_log("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(backend)
        .build()
        .unwrap();
    uringlog::info!(logger, "before");
    logger.flush().unwrap();
    std::fs::remove_file(&path).unwrap();

    let start = Instant::now();
    let mut seq = 0u64;
    while seqs_in(&path).is_empty() {
        assert!(start.elapsed() < DEADLINE, "{backend:?}: never recreated");
        uringlog::info!(logger, "after seq={seq}");
        seq += 1;
        logger.flush().unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..100 {
        uringlog::info!(logger, "after seq={seq}");
        seq += 1;
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.written, s.dropped, s.errors),
        (seq + 1, 0, 0),
        "{backend:?}"
    );
    // The first lines went to the deleted file; the rest, in order, here.
    let got = seqs_in(&path);
    let first = got[0];
    assert!(
        first > 0,
        "{backend:?}: the check runs at most once a second"
    );
    assert_eq!(got, (first..seq).collect::<Vec<_>>(), "{backend:?}");
}

#[test]
fn a_deleted_log_file_is_recreated() {
    scenario(Backend::Pwrite);
    if uringlog_tests::io_uring_available("a_deleted_log_file_is_recreated (io_uring)") {
        scenario(Backend::IoUring);
    }
}
