//! `DropOldest`: a producer never waits; when its ring is full the oldest
//! records the writer has not taken are discarded, each one counted, and
//! the newest records — the last one always — are written.

use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc, Mutex};
use uringlog::{Logger, MemorySink, Policy};
use uringlog_tests::{field, strictly_increasing, wait_until_stuck, GateSink, SHUTDOWN};

#[test]
fn drop_oldest_under_a_flood_balances_and_keeps_the_last_record() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::DropOldest)
        .ring_capacity(4096)
        .build()
        .unwrap();
    let mut p = logger.producer();
    for seq in 0..200_000u64 {
        uringlog::info!(p, "seq={seq}");
    }
    drop(p);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(s.enqueued, 200_000);
    assert_eq!(s.written + s.dropped, 200_000, "{s:?}");
    let seqs = seqs_in(&out.lines());
    assert_eq!(seqs.len() as u64, s.written);
    assert!(strictly_increasing(&seqs));
    assert_eq!(
        seqs.last(),
        Some(&199_999),
        "the last record is always written"
    );
}

/// The `seq=` number of every line.
fn seqs_in(lines: &[String]) -> Vec<u64> {
    lines.iter().map(|l| field(l, "seq=").unwrap()).collect()
}

/// A `DropOldest` logger whose writer gets stuck in its first write until
/// `release` is sent.
struct Gated {
    logger: Logger,
    guard: uringlog::WriterGuard,
    entered: Arc<AtomicBool>,
    release: mpsc::Sender<()>,
    lines: Arc<Mutex<Vec<u8>>>,
}

impl Gated {
    fn start(ring_capacity: usize, batch_size: usize) -> Gated {
        let (sink, gate) = GateSink::new();
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .policy(Policy::DropOldest)
            .ring_capacity(ring_capacity)
            .batch_size(batch_size)
            .build()
            .unwrap();
        Gated {
            logger,
            guard,
            entered: gate.entered,
            release: gate.release,
            lines: gate.lines,
        }
    }
}

#[test]
fn drop_oldest_keeps_exactly_the_newest_records_the_ring_holds() {
    // 64 slots of 64 bytes. Each record below is a 16-byte header, a 1-byte
    // target and a 23-byte message (40 bytes), plus the ring's 16-byte slot
    // header: 56 bytes, one slot. So the ring holds the newest 64.
    let Gated {
        logger,
        guard,
        entered,
        release: tx,
        lines,
    } = Gated::start(64 * 64, 256);
    let mut p = logger.producer();
    uringlog::info!(p, target: "t", "seq=0000000 first-one.");
    wait_until_stuck(&entered);
    for seq in 1..=1000u64 {
        uringlog::info!(p, target: "t", "seq={seq:07} a-record.");
    }
    tx.send(()).unwrap();
    drop(p);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    let seqs: Vec<u64> = text.lines().map(|l| field(l, "seq=").unwrap()).collect();
    let mut want = vec![0];
    want.extend(937..=1000);
    assert_eq!(seqs, want);
    assert_eq!((s.enqueued, s.written, s.dropped), (1001, 65, 936));
}

#[test]
fn seed_scenario_with_a_hundred_record_ring() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::DropOldest)
        .ring_capacity(100 * 192) // ~100 records of three 64-byte slots each
        .build()
        .unwrap();
    for i in 0..1000u64 {
        uringlog::info!(
            logger,
            "seed scenario message number seq={i:04} with some padding text"
        );
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(s.enqueued, 1000);
    assert_eq!(s.written + s.dropped, 1000);
    let seqs = seqs_in(&out.lines());
    assert_eq!(seqs.len() as u64, s.written);
    assert!(strictly_increasing(&seqs));
    assert_eq!(seqs.last(), Some(&999));
}

#[test]
fn flush_covers_every_record_in_a_large_drop_oldest_ring() {
    // 4 MiB: far more records than one drain pass used to take.
    let Gated {
        logger,
        guard,
        entered,
        release: tx,
        lines,
    } = Gated::start(4 << 20, 1);
    uringlog::info!(logger, "seq=0");
    wait_until_stuck(&entered);
    for seq in 1..=20_000u64 {
        uringlog::info!(logger, "seq={seq}");
    }
    tx.send(()).unwrap();
    logger.flush().unwrap();
    let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    let s = logger.stats();
    assert_eq!(s.dropped, 0, "the ring held every record: {s:?}");
    assert_eq!(text.lines().count(), 20_001);
    guard.shutdown(SHUTDOWN).unwrap();
}
