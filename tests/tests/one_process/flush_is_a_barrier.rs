//! `flush()` returns only once every record logged before it, from any
//! thread, is in the file.

use std::sync::mpsc;
use std::thread;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, temp_log, SHUTDOWN};

#[test]
fn flush_is_a_barrier_for_the_calling_thread() {
    let (_dir, path) = temp_log("f.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    for round in 1..=20u64 {
        for i in 0..(round * 37) {
            uringlog::info!(logger, "round={round} i={i}");
        }
        logger.flush().unwrap();
        let expected: u64 = (1..=round).map(|r| r * 37).sum();
        assert_eq!(
            read_lines(&path).len() as u64,
            expected,
            "after flush {round}"
        );
    }
    guard.shutdown(SHUTDOWN).unwrap();
}

#[test]
fn flush_covers_records_other_threads_logged_before_it() {
    let (_dir, path) = temp_log("f2.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..3u64)
        .map(|t| {
            let (logger, tx) = (logger.clone(), tx.clone());
            thread::spawn(move || {
                for i in 0..1000u64 {
                    uringlog::info!(logger, "t={t} seq={i}");
                }
                tx.send(()).unwrap();
                // Keep the thread (and its ring) alive past the flush.
                thread::park_timeout(std::time::Duration::from_millis(200));
            })
        })
        .collect();
    for _ in 0..3 {
        rx.recv().unwrap();
    }
    logger.flush().unwrap();
    assert_eq!(read_lines(&path).len(), 3000);
    for w in workers {
        w.thread().unpark();
        w.join().unwrap();
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (3000, 0));
}

#[test]
fn flush_after_shutdown_says_so() {
    let (_dir, path) = temp_log("f3.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        logger.flush().unwrap_err().to_string(),
        "logger is shut down"
    );
}
