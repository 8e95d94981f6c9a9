//! Log calls after shutdown never panic and are counted dropped; a
//! thread logging on through a shutdown cannot hold it up.

use std::sync::{mpsc, Arc, Mutex};
use uringlog::{Logger, MemorySink, Mode};
use uringlog_tests::{SHUTDOWN, WATCHDOG};

/// The fewest bytes a record takes in a ring: its header.
const HEADER_LEN: u64 = 16;

fn run(mode: Mode) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder().sink(sink).mode(mode).build().unwrap();
    uringlog::info!(logger, "kept");
    let at = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((at.enqueued, at.written, at.dropped), (1, 1, 0));
    assert!(out.is_closed());
    for i in 0..10 {
        uringlog::warn!(logger, "late {i}");
    }
    let mut p = logger.producer();
    uringlog::error!(p, "late from a producer");
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (12, 1, 11));
    assert_eq!(out.lines().len(), 1);
}

#[test]
fn logging_after_shutdown_is_counted_dropped_async() {
    run(Mode::Async);
}

#[test]
fn logging_after_shutdown_is_counted_dropped_sync() {
    run(Mode::Sync);
}

/// Thousands of producers that outlive the shutdown, log once more and are
/// then dropped together, newest first: the next `stats()` retires every
/// ring once, each late record counted dropped, none twice.
#[test]
fn thousands_of_producers_dropped_after_shutdown_are_retired_once() {
    const N: u64 = 5_000;
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(4096)
        .build()
        .unwrap();
    let mut producers: Vec<_> = (0..N).map(|_| logger.producer()).collect();
    for (i, p) in producers.iter_mut().enumerate() {
        uringlog::info!(p, "before {i}");
    }
    let at = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((at.enqueued, at.written, at.dropped), (N, N, 0));
    for (i, p) in producers.iter_mut().enumerate() {
        uringlog::warn!(p, "late {i}");
    }
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (2 * N, N, N));
    assert_eq!(s.live_producers, N);
    // Dropped newest first: the order in which the live rings were registered, reversed.
    while producers.pop().is_some() {}
    for _ in 0..2 {
        let s = logger.stats();
        assert_eq!((s.enqueued, s.written, s.dropped), (2 * N, N, N));
        assert_eq!(s.live_producers, 0);
    }
    assert_eq!(out.lines().len() as u64, N);
}

/// A sink whose every write tells the test it began (with its lines),
/// then waits for the test's go-ahead, or for the test to hang up.
struct Lockstep {
    began: mpsc::Sender<usize>,
    go: mpsc::Receiver<()>,
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl uringlog::Sink for Lockstep {
    fn describe(&self) -> String {
        "lockstep".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<uringlog::Target> {
        Ok(uringlog::Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
        self.bytes.lock().unwrap().extend_from_slice(batch);
        let _ = self
            .began
            .send(batch.iter().filter(|&&b| b == b'\n').count());
        let _ = self.go.recv();
        Ok(())
    }
}

/// A thread that goes on logging while the writer drains at shutdown,
/// each record taken by the writer before the next is logged (so its
/// ring never fills up), puts at most the room its ring had into it:
/// then its calls are counted dropped, and the close ends although the
/// thread never stops. What is written is the first records, in order.
/// Through an explicit producer or (`cached`) the logger's thread-local
/// one, whose fast path learns its route from the cache's key.
fn logging_on_while_shutdown_drains(cached: bool) {
    const RING: usize = 4096;
    const LATE: u64 = 2_000;
    let (began, writes) = mpsc::channel();
    let (go, go_rx) = mpsc::channel();
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let sink = Lockstep {
        began,
        go: go_rx,
        bytes: bytes.clone(),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(RING)
        .batch_size(1)
        .build()
        .unwrap();
    let mut p = logger.producer();
    let mut log = |i: u64| {
        if cached {
            uringlog::info!(logger, "n={}", i);
        } else {
            uringlog::info!(p, "n={}", i);
        }
    };
    let write_begins = |what: &str| writes.recv_timeout(WATCHDOG).expect(what);
    log(0);
    assert_eq!(write_begins("the first record's write"), 1);
    // The writer waits in that write; shutdown begins behind it.
    let shutdown = std::thread::spawn(move || guard.shutdown(SHUTDOWN));
    uringlog_tests::wait_for("shutdown to begin", || logger.is_shut_down());
    let mut first_dropped = None;
    for i in 1..=LATE {
        let dropped = logger.stats().dropped;
        log(i);
        let kept = logger.stats().dropped == dropped;
        match (first_dropped, kept) {
            (None, true) => {
                // The write before goes on, and the writer takes this one.
                go.send(()).unwrap();
                assert_eq!(write_begins("a late record's write"), 1);
            }
            (None, false) => {
                first_dropped = Some(i);
                go.send(()).unwrap();
            }
            (Some(_), kept) => assert!(!kept, "record {i} kept after a drop"),
        }
    }
    drop(go);
    let at = shutdown.join().unwrap().expect("shutdown");
    let written = first_dropped.unwrap_or(LATE + 1);
    assert!(
        (written - 1) * HEADER_LEN <= RING as u64,
        "{} records went into a ring of {RING} bytes after shutdown began",
        written - 1
    );
    let text = String::from_utf8(bytes.lock().unwrap().clone()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let ns: Vec<u64> = lines
        .iter()
        .filter_map(|x| uringlog_tests::field(x, "n="))
        .collect();
    assert_eq!(ns, (0..written).collect::<Vec<_>>());
    // The thread may have been inside a call when shutdown took its stats.
    assert_eq!(at.written, written);
    assert!(at.pending() <= 1, "{at:?}");
    let s = logger.stats();
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (LATE + 1, written, LATE + 1 - written)
    );
}

#[test]
fn a_thread_logging_on_while_shutdown_drains_puts_at_most_its_ring_into_it() {
    logging_on_while_shutdown_drains(false);
}

#[test]
fn a_thread_logging_on_through_its_cache_while_shutdown_drains_puts_at_most_its_ring_into_it() {
    logging_on_while_shutdown_drains(true);
}
