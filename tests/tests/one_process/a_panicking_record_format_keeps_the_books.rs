//! A sink's own format that panics on the writer thread, in the middle of
//! a ring's records, kills the writer, but every record is counted once:
//! written (the batches before), or dropped (the records formatted into
//! the batch that never went, those still in the ring, and under
//! `DropOldest` the one taken from its ring for the format that panicked).
//!
//! The same holds with three threads logging records of every size from
//! empty to past the ring (the largest that fit, and oversized ones),
//! deferred and pre-formatted, into a small ring under each policy, with
//! one sink or two (a fan-out), and in crash-safe mode; each thread's
//! lines keep their order, and without the panic every written record is
//! in both sinks.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use uringlog::{
    Format, Level, Logger, Policy, RecordFormat, ShutdownError, Sink, SinkOptions, Target,
    Timestamp,
};
use uringlog_tests::{BombFormat, SHUTDOWN};

/// Keeps the bytes it is handed; formats with a `BombFormat`.
struct Lines {
    out: Arc<Mutex<Vec<u8>>>,
    explode_at: u64,
}

impl Lines {
    fn new(explode_at: u64) -> (Lines, Arc<Mutex<Vec<u8>>>) {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Lines {
            out: out.clone(),
            explode_at,
        };
        (sink, out)
    }
}

impl Sink for Lines {
    fn describe(&self) -> String {
        "lines".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        self.out.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        Some(Box::new(BombFormat::new(self.explode_at)))
    }
}

#[test]
fn a_format_that_panics_mid_ring_counts_each_record_once() {
    for (explode_at, policy) in [1, 2, 7, 50]
        .into_iter()
        .flat_map(|e| [(e, Policy::Block), (e, Policy::DropOldest)])
    {
        let (sink, out) = Lines::new(explode_at);
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .policy(policy)
            .batch_size(1_000)
            .build()
            .unwrap();
        // Many records in the ring before the writer reads them, so the
        // panic comes in the middle of one read.
        let mut p = logger.producer();
        for i in 0..200 {
            uringlog::info!(p, "record {i}");
        }
        drop(p);
        let ShutdownError::WriterPanicked { stats } = guard.shutdown(SHUTDOWN).unwrap_err() else {
            panic!("expected WriterPanicked");
        };
        assert_eq!(stats.enqueued, 200);
        let lines = out.lock().unwrap().iter().filter(|&&b| b == b'\n').count();
        assert_eq!(stats.written, lines as u64);
        assert_eq!(
            (stats.written, stats.dropped),
            (stats.written, 200 - stats.written),
            "explode at {explode_at} under {policy:?}: {stats:?}"
        );
    }
}

/// One logger of the given shape, three threads, the books checked.
fn run(policy: Policy, explode_at: u64, two_sinks: bool, ring: usize, cs: bool) {
    let (sink, out) = Lines::new(explode_at);
    let (mem, mem_out) = uringlog::MemorySink::new();
    let mut b = Logger::builder()
        .sink(sink)
        .policy(policy)
        .ring_capacity(ring)
        .batch_size(64);
    let dir = tempfile::tempdir().unwrap();
    if cs {
        b = b.crash_safe(dir.path());
    }
    if two_sinks {
        b = b.sink_with(
            mem,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off)),
        );
    }
    let (logger, guard) = b.build().unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let hs: Vec<_> = (0..3u64)
        .map(|t| {
            let l = logger.clone();
            let calls = calls.clone();
            std::thread::spawn(move || {
                let pad = "x".repeat(ring + 200);
                for i in 0..2000u64 {
                    let n = ((i * 37 + t * 11) % (ring as u64 + 100)) as usize;
                    if i % 2 == 0 {
                        uringlog::info!(l, "t{} i{} {}", t, i, &pad[..n]);
                    } else {
                        l.log(Level::Info, "t", format_args!("t{t} i{i} {}", &pad[..n]));
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let res = guard.shutdown(SHUTDOWN).map(|_| ());
    let s = logger.stats();
    let calls = calls.load(Ordering::Relaxed);
    assert_eq!(
        s.enqueued, calls,
        "{policy:?} {explode_at} {two_sinks} {ring}: {s:?} {res:?}"
    );
    assert_eq!(
        s.written + s.dropped,
        s.enqueued,
        "{policy:?} {explode_at} {two_sinks} {ring}: {s:?} {res:?}"
    );
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let mut last: HashMap<u64, u64> = HashMap::new();
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        let mut it = line.split(' ');
        let t: u64 = it.next().unwrap()[1..].parse().unwrap();
        let i: u64 = it.next().unwrap()[1..].parse().unwrap();
        if let Some(p) = last.insert(t, i) {
            assert!(i > p, "order {line}");
        }
    }
    assert_eq!(
        n, s.written,
        "{policy:?} {explode_at} {two_sinks} {ring}: {s:?}"
    );
    if explode_at == u64::MAX && two_sinks {
        assert_eq!(mem_out.lines().len() as u64, s.written);
    }
}

#[test]
fn a_panicking_format_keeps_the_books_at_every_record_size() {
    for ring in [4096usize, 4160] {
        for policy in [Policy::DropOldest, Policy::DropNewest, Policy::Block] {
            for two in [false, true] {
                for explode in [u64::MAX, 1, 500] {
                    for cs in [false, policy != Policy::DropOldest] {
                        run(policy, explode, two, ring, cs);
                    }
                }
            }
        }
    }
}
