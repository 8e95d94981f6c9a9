//! `reopen()` while two threads keep logging: every line is in the renamed
//! file or the new one, exactly once, and each thread's lines are split
//! cleanly — a prefix in the old file, the rest in the new one, in order.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

const PER_THREAD: u64 = 20_000;

fn scenario(backend: Backend) {
    let (_dir, path) = uringlog_tests::temp_log("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(backend)
        .batch_bytes(4096)
        .build()
        .unwrap();
    let rotated = path.with_extension("log.1");
    let halfway = AtomicBool::new(false);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (logger, halfway) = (&logger, &halfway);
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    uringlog::info!(logger, "t={t} seq={i}");
                    if i == PER_THREAD / 2 {
                        halfway.store(true, Ordering::Relaxed);
                    }
                }
            });
        }
        while !halfway.load(Ordering::Relaxed) {
            std::thread::yield_now();
        }
        std::fs::rename(&path, &rotated).unwrap();
        logger.reopen().unwrap();
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (2 * PER_THREAD, 0, 0));

    let old = uringlog_tests::sequences(&uringlog_tests::read_lines(&rotated));
    let new = uringlog_tests::sequences(&uringlog_tests::read_lines(&path));
    for t in 0..2 {
        let (a, b) = (
            old.get(&t).cloned().unwrap_or_default(),
            new.get(&t).cloned().unwrap_or_default(),
        );
        assert!(!a.is_empty(), "{backend:?} t={t}: lines before the reopen");
        let mut all = a.clone();
        all.extend(&b);
        assert_eq!(
            all,
            (0..PER_THREAD).collect::<Vec<_>>(),
            "{backend:?} t={t}"
        );
    }
}

#[test]
fn reopen_under_load_splits_each_threads_lines_cleanly() {
    scenario(Backend::Pwrite);
    let test = "reopen_under_load_splits_each_threads_lines_cleanly (io_uring)";
    if uringlog_tests::io_uring_available(test) {
        scenario(Backend::IoUring);
    }
}
