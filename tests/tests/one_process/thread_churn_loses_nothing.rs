//! Hundreds of short-lived threads log and exit: nothing is lost and every
//! ring is released once drained.

use std::thread;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, sequences, temp_log, SHUTDOWN};

#[test]
fn thread_churn_loses_nothing_and_releases_rings() {
    let (_dir, path) = temp_log("churn.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .ring_capacity(4096)
        .build()
        .unwrap();
    let mut total = 0u64;
    for wave in 0..10u64 {
        let handles: Vec<_> = (0..30u64)
            .map(|k| {
                let logger = logger.clone();
                let t = wave * 30 + k;
                thread::spawn(move || {
                    for seq in 0..100u64 {
                        uringlog::info!(logger, "t={t} seq={seq}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        total += 3000;
    }
    logger.flush().unwrap();
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (total, total, 0));
    assert_eq!(s.live_producers, 0, "rings of exited threads are released");
    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, total);
    let seqs = sequences(&lines);
    assert_eq!(seqs.len(), 300);
    assert!(seqs.values().all(|v| *v == (0..100).collect::<Vec<u64>>()));
    guard.shutdown(SHUTDOWN).unwrap();
}
