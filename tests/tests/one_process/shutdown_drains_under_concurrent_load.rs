//! Shutting down while threads are still logging: everything accepted
//! before the cut is written, everything after is counted dropped, and
//! the books balance exactly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use uringlog::{Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, sequences, strictly_increasing, temp_log, SHUTDOWN};

fn run(policy: Policy) {
    let (_dir, path) = temp_log("s.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(policy)
        .ring_capacity(8192)
        .build()
        .unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..3u64)
        .map(|t| {
            let (logger, started) = (logger.clone(), started.clone());
            thread::spawn(move || {
                let mut seq = 0u64;
                while !logger.is_shut_down() || seq < 1000 {
                    uringlog::info!(logger, "t={t} seq={seq}");
                    seq += 1;
                    if seq == 1000 {
                        started.store(true, Ordering::SeqCst);
                    }
                }
                seq
            })
        })
        .collect();
    while !started.load(Ordering::SeqCst) {
        thread::yield_now();
    }
    let at_shutdown = guard.shutdown(SHUTDOWN).unwrap();
    let calls: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let s = logger.stats();
    assert_eq!(s.enqueued, calls);
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    assert_eq!(
        s.written, at_shutdown.written,
        "nothing is written after shutdown returns"
    );
    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, s.written);
    for (t, seq) in sequences(&lines) {
        assert!(strictly_increasing(&seq), "thread {t} out of order");
        assert_eq!(seq[0], 0, "thread {t} lost its first record");
    }
}

#[test]
fn shutdown_under_load_balances_the_books_with_block() {
    run(Policy::Block);
}

#[test]
fn shutdown_under_load_balances_the_books_with_drop_newest() {
    run(Policy::DropNewest);
}
