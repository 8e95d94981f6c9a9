//! Under `Block`, a producer whose ring is full sleeps until the writer has
//! freed half of it, not until the first record leaves: the writer's first
//! releases wake nobody, the one that frees half the ring wakes the producer
//! once, and every record is still written once, in order.
//!
//! The sink lets the writer through one record (one batch) at a time; when
//! the writer enters the write of record k, records 1..=k have left the ring
//! and their releases (and any wake-up) are done.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use uringlog::{Backend, Logger, Policy, Sink, Target};
use uringlog_tests::{sequences, wait_for, SHUTDOWN};

const RING: usize = 4096;
const RECORDS: u64 = 200;
/// Records well under half the ring (each is ~100 bytes).
const FEW: u64 = 5;

/// Writes one batch per permit; counts the writes begun.
struct Turnstile {
    permits: mpsc::Receiver<()>,
    entered: Arc<AtomicU64>,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Sink for Turnstile {
    fn describe(&self) -> String {
        "turnstile".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        // A closed channel (the test is done releasing) lets everything by.
        let _ = self.permits.recv();
        self.out.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
}

#[test]
fn a_blocked_producer_resumes_at_half_its_ring() {
    let (permit, permits) = mpsc::channel();
    let entered = Arc::new(AtomicU64::new(0));
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = Turnstile {
        permits,
        entered: entered.clone(),
        out: out.clone(),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .backend(Backend::Pwrite)
        .ring_capacity(RING)
        .batch_size(1)
        .build()
        .unwrap();
    let l = logger.clone();
    let producer = std::thread::spawn(move || {
        for seq in 0..RECORDS {
            uringlog::info!(l, "t=0 seq={seq} padding={:060}", 0);
        }
    });
    // The writer holds record 1 in the sink; the producer fills the ring
    // and sleeps.
    wait_for("the writer in its first write", || {
        entered.load(Ordering::SeqCst) == 1
    });
    wait_for("the producer asleep on a full ring", || {
        logger.producers_waiting_for_room() == 1
    });
    assert_eq!(logger.producer_room_wake_counts(), (1, 0));
    // Let records through one by one: a few do not free half the ring.
    for k in 1..=FEW {
        permit.send(()).unwrap();
        wait_for("the writer in its next write", || {
            entered.load(Ordering::SeqCst) == k + 1
        });
        assert_eq!(
            logger.producer_room_wake_counts(),
            (1, 0),
            "{} records left a ring of {RING} bytes: not half of it, so no wake-up",
            k + 1
        );
        assert_eq!(logger.producers_waiting_for_room(), 1);
    }
    // One at a time until the producer is woken: exactly once, when half
    // the ring is free.
    let mut k = FEW;
    while logger.producer_room_wake_counts().1 == 0 {
        assert!(k < RECORDS, "the producer was never woken");
        permit.send(()).unwrap();
        k += 1;
        wait_for("the writer in its next write", || {
            entered.load(Ordering::SeqCst) == k + 1
        });
    }
    let (waits, wakes) = logger.producer_room_wake_counts();
    assert_eq!(wakes, 1, "one wake-up for the releases up to half the ring");
    assert!((1..=2).contains(&waits), "{waits} registrations");
    drop(permit);
    producer.join().unwrap();
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (RECORDS, RECORDS, 0)
    );
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let seqs = sequences(&lines);
    assert_eq!(
        seqs.values().next().unwrap(),
        &(0..RECORDS).collect::<Vec<_>>()
    );
}

/// Records larger than half the ring: the writer wakes a producer at half
/// the ring, before such a record fits; the producer waits again, and is
/// woken again by a later release, never left asleep. Two producers, small
/// and large records mixed, one record per batch so room comes back in
/// the smallest steps. The producers park at once (no spinning while the
/// writer drains on another CPU, which would often find room first).
#[test]
fn records_larger_than_half_the_ring_get_through() {
    const PER_THREAD: u64 = 2_000;
    let (sink, out) = uringlog::MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(1)
        .test_no_room_spin()
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    // The producers stay alive (their rings and counts with them) until
    // the wake books are read.
    let leave = Arc::new(std::sync::Barrier::new(3));
    let producers: Vec<_> = (0..2)
        .map(|t| {
            let (l, done, leave) = (logger.clone(), done.clone(), leave.clone());
            std::thread::spawn(move || {
                for seq in 0..PER_THREAD {
                    let pad = if seq % 3 == 0 { 600 } else { 8 };
                    uringlog::info!(l, "t={t} seq={seq} {:pad$}", 0);
                }
                done.fetch_add(1, Ordering::SeqCst);
                leave.wait();
            })
        })
        .collect();
    wait_for("both producers done", || done.load(Ordering::SeqCst) == 2);
    let (waits, wakes) = logger.producer_room_wake_counts();
    assert!(
        wakes > 0 && wakes <= waits,
        "the producers slept for room and were woken: {waits} sleeps, {wakes} wake-ups"
    );
    leave.wait();
    for p in producers {
        p.join().unwrap();
    }
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    let all = 2 * PER_THREAD;
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (all, all, 0)
    );
    let lines: Vec<String> = out.text().lines().map(str::to_owned).collect();
    let seqs = sequences(&lines);
    for t in 0..2 {
        assert_eq!(seqs[&t], (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
    }
}
