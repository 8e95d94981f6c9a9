//! `DropNewest` with a tiny ring: records are refused rather than waited
//! for, every refusal is counted, and what is written keeps its order.

use std::thread;
use uringlog::{Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, sequences, strictly_increasing, temp_log, SHUTDOWN};

#[test]
fn drop_newest_counts_every_drop() {
    let (_dir, path) = temp_log("dn.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(Policy::DropNewest)
        .ring_capacity(1024)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..3u64)
        .map(|t| {
            let logger = logger.clone();
            thread::spawn(move || {
                for seq in 0..100_000u64 {
                    uringlog::info!(logger, "t={t} seq={seq}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(stats.enqueued, 300_000);
    assert_eq!(stats.written + stats.dropped, stats.enqueued);
    assert_eq!(stats.errors, 0);

    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, stats.written);
    for (t, s) in sequences(&lines) {
        assert!(
            strictly_increasing(&s),
            "thread {t}: written records out of order"
        );
    }
}

#[test]
fn drop_newest_never_drops_when_the_ring_has_room() {
    let (_dir, path) = temp_log("room.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(Policy::DropNewest)
        .build()
        .unwrap();
    for i in 0..500 {
        uringlog::info!(logger, "seq={i}");
    }
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (500, 500, 0)
    );
    assert_eq!(read_lines(&path).len(), 500);
}
