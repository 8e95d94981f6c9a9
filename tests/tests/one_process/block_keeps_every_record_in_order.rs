//! Under `Block`, N threads × M records through a small ring: every record
//! is written exactly once and each thread's records keep their order.

use std::thread;
use uringlog::{Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, sequences, strictly_increasing, temp_log, SHUTDOWN};

const THREADS: u64 = 4;
const PER_THREAD: u64 = 50_000;

#[test]
fn block_keeps_every_record_in_order() {
    let (_dir, path) = temp_log("block.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(Policy::Block)
        .ring_capacity(4096) // ~40 records: producers must wait often
        .batch_size(64)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let logger = logger.clone();
            thread::spawn(move || {
                for seq in 0..PER_THREAD {
                    uringlog::info!(
                        logger,
                        "t={t} seq={seq} padding=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(stats.enqueued, THREADS * PER_THREAD);
    assert_eq!(stats.written, THREADS * PER_THREAD);
    assert_eq!(stats.dropped, 0);

    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, THREADS * PER_THREAD);
    let seqs = sequences(&lines);
    assert_eq!(seqs.len() as u64, THREADS);
    for (t, s) in seqs {
        assert_eq!(
            s,
            (0..PER_THREAD).collect::<Vec<_>>(),
            "thread {t} lost or reordered records"
        );
        assert!(strictly_increasing(&s));
    }
}
