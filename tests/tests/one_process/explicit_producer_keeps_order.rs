//! An explicit `Producer` (no thread-local lookup) keeps its records'
//! order, may move to another thread, and releases its ring when dropped.

use std::thread;
use uringlog::{Logger, MemorySink};
use uringlog_tests::{sequences, SHUTDOWN};

#[test]
fn explicit_producer_keeps_order_across_a_move() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(2048)
        .build()
        .unwrap();
    let mut p = logger.producer();
    for seq in 0..5_000u64 {
        uringlog::info!(p, "t=1 seq={seq}");
    }
    let p = thread::spawn(move || {
        let mut p = p;
        for seq in 5_000..10_000u64 {
            uringlog::info!(p, "t=1 seq={seq}");
        }
        p
    })
    .join()
    .unwrap();
    drop(p);
    logger.flush().unwrap();
    assert_eq!(logger.stats().live_producers, 0);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (10_000, 10_000));
    assert_eq!(
        sequences(&out.lines())[&1],
        (0..10_000).collect::<Vec<u64>>()
    );
}
