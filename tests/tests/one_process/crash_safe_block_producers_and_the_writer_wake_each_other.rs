//! Crash-safe mode follows the same wake protocol as memory rings: a
//! `Block` producer whose ring file is full sleeps until the writer's
//! commit gives the space back, and a record committed into a sleeping
//! writer wakes it. Neither side has a timeout left that would notice
//! instead, so a lost wake-up shows as a watchdog failure, not a delay.

use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use uringlog::{Backend, Logger, Policy, Sink, Target};
use uringlog_sinks::FileSink;
use uringlog_tests::{
    assert_one_wake_up_per_record, field, io_uring_available, read_lines, wait_for, SHUTDOWN,
    WATCHDOG,
};

/// Records the `Block` producer logs into a ring file of a few records.
const BLOCKED: u64 = 2_000;
/// Records of the trickle into a sleeping writer.
const TRICKLE: u64 = 100;

/// A sink that holds the writer inside `write_inline` until opened, and
/// keeps what it was given.
struct Gate {
    open: Arc<(Mutex<bool>, Condvar)>,
    got: Arc<Mutex<Vec<u8>>>,
}

impl Sink for Gate {
    fn describe(&self) -> String {
        "gate".to_owned()
    }

    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }

    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        let (open, cv) = &*self.open;
        let mut g = open.lock().unwrap();
        while !*g {
            g = cv.wait(g).unwrap();
        }
        self.got.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
}

/// The writer is held while a `Block` producer fills its ring file and
/// goes to sleep on it; once released, the writer's commits give the space
/// back and wake the producer, again and again, until every record is in.
fn block_producer_is_woken_by_commits(fence_fallback: bool) {
    let dir = tempfile::tempdir().unwrap();
    let open = Arc::new((Mutex::new(false), Condvar::new()));
    let got = Arc::new(Mutex::new(Vec::new()));
    let gate = Gate {
        open: open.clone(),
        got: got.clone(),
    };
    let mut b = Logger::builder()
        .sink(gate)
        .crash_safe(dir.path().join("rings"))
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(4);
    if fence_fallback {
        b = b.test_wake_fence_fallback();
    }
    let (logger, guard) = b.build().unwrap();
    let (tx, rx) = mpsc::channel();
    let l = logger.clone();
    thread::spawn(move || {
        for i in 0..BLOCKED {
            uringlog::info!(l, "blocked seq={i}");
        }
        tx.send(()).unwrap();
    });
    wait_for(
        "the Block producer never slept on its full ring file",
        || logger.producers_waiting_for_room() == 1,
    );
    assert!(
        logger.stats().enqueued < BLOCKED,
        "the ring file held every record: nothing was blocked"
    );
    *open.0.lock().unwrap() = true;
    open.1.notify_all();
    rx.recv_timeout(WATCHDOG)
        .expect("a Block producer on a ring file never woke: lost wake-up");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (BLOCKED, BLOCKED, 0));
    let text = String::from_utf8(got.lock().unwrap().clone()).unwrap();
    let seqs: Vec<u64> = text.lines().map(|l| field(l, "seq=").unwrap()).collect();
    assert_eq!(seqs, (0..BLOCKED).collect::<Vec<_>>());
}

#[test]
fn a_block_producer_on_a_full_ring_file_is_woken_when_the_writer_frees_room() {
    block_producer_is_woken_by_commits(false);
}

#[test]
fn a_block_producer_on_a_full_ring_file_is_woken_with_the_fence_fallback() {
    block_producer_is_woken_by_commits(true);
}

/// Records logged one at a time, each into a sleeping writer: each is
/// written, with one wake-up each (see `assert_one_wake_up_per_record`).
fn trickle(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trickle.log");
    let rings = dir.path().join("rings");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .crash_safe(&rings)
        .backend(backend)
        .build()
        .unwrap();
    for i in 0..TRICKLE {
        wait_for("the writer never slept", || logger.writer_sleeping());
        uringlog::info!(logger, "trickle seq={i}");
        wait_for(
            &format!("{backend:?}: record {i} not written: lost wake-up"),
            || logger.stats().written > i,
        );
    }
    assert_one_wake_up_per_record(
        logger.writer_wake_counts(),
        TRICKLE,
        backend,
        &format!("{backend:?}"),
    );
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (TRICKLE, TRICKLE, 0));
    let seqs: Vec<u64> = read_lines(&path)
        .iter()
        .map(|l| field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..TRICKLE).collect::<Vec<_>>());
}

#[test]
fn records_into_a_sleeping_crash_safe_writer_are_written_pwrite() {
    trickle(Backend::Pwrite);
}

#[test]
fn records_into_a_sleeping_crash_safe_writer_are_written_io_uring() {
    if io_uring_available("records_into_a_sleeping_crash_safe_writer_are_written_io_uring") {
        trickle(Backend::IoUring);
    }
}
