//! logrotate's `copytruncate`: the file is truncated under a running
//! logger. The lines logged afterwards start at the new end of the file —
//! no hole of NUL bytes — for both backends.

use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

fn scenario(backend: Backend) {
    let (_dir, path) = uringlog_tests::temp_log("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(backend)
        .build()
        .unwrap();
    for i in 0..1000 {
        uringlog::info!(logger, "before seq={i}");
    }
    logger.flush().unwrap();
    // What copytruncate does: copy the file away, then truncate it in place.
    let copy = path.with_extension("log.1");
    uringlog_tests::copytruncate(&path, &copy);
    for i in 0..1000 {
        uringlog::info!(logger, "after seq={i}");
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (2000, 0), "{backend:?}");

    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.contains(&0),
        "{backend:?}: NUL bytes after truncation"
    );
    let lines = uringlog_tests::read_lines(&path);
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| {
            assert!(l.contains(" after seq="), "{backend:?}: {l}");
            uringlog_tests::field(l, "seq=").unwrap()
        })
        .collect();
    assert_eq!(seqs, (0..1000).collect::<Vec<_>>(), "{backend:?}");
    assert_eq!(uringlog_tests::read_lines(&copy).len(), 1000);
}

#[test]
fn copytruncate_leaves_no_hole() {
    scenario(Backend::Pwrite);
    if uringlog_tests::io_uring_available("copytruncate_leaves_no_hole (io_uring)") {
        scenario(Backend::IoUring);
    }
}
