//! A sink's batch limit is asked after every batch and may come and go;
//! the writer's loop for one plain sink is chosen again at each submission
//! (a limited sink takes the general loop, which cuts batches at the
//! limit). A sink whose limit is there after every other batch must get,
//! across the switches, exactly the bytes of a sink that never has one,
//! in more batches (the cuts) and some longer than the limit.

use std::io;
use std::sync::{Arc, Mutex};
use uringlog::{BatchLimit, Clock, Level, Logger, MemorySink, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Bytes a limited batch may hold (one record more when it starts it).
const LIMIT: u64 = 300;

/// Takes batches inline; bounded by `LIMIT` after every odd batch.
struct Toggling {
    batches: Arc<Mutex<Vec<Vec<u8>>>>,
    routed: u64,
}

impl Sink for Toggling {
    fn describe(&self) -> String {
        "toggling".into()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        self.routed += 1;
        Ok(Target::Inline)
    }
    fn batch_limit(&self) -> BatchLimit {
        match self.routed % 2 {
            1 => BatchLimit::new(LIMIT, u64::MAX),
            _ => BatchLimit::NONE,
        }
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        self.batches.lock().unwrap().push(batch.to_vec());
        Ok(())
    }
}

fn log_all(l: &Logger, hand: &uringlog::ManualClock) -> u64 {
    let mut n = 0;
    for round in 0..12u64 {
        for i in 0..25u64 {
            hand.advance_nanos(999_999 * (i % 3));
            match i % 3 {
                0 => l.log(
                    Level::Info,
                    "pre",
                    format_args!("round {round} pre {i} \"q\""),
                ),
                1 => uringlog::warn!(l, "round {} deferred {} {}", round, i, "tab\there"),
                _ => uringlog::info!(l, target: "f", k = i; "round {} fields", round),
            }
            n += 1;
        }
        l.flush().unwrap();
    }
    n
}

#[test]
fn a_batch_limit_that_comes_and_goes_keeps_the_bytes() {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let toggling = Toggling {
        batches: batches.clone(),
        routed: 0,
    };
    let (mem, out) = MemorySink::new();
    let mut counts = Vec::new();
    for sink in [Box::new(toggling) as Box<dyn Sink>, Box::new(mem)] {
        let (clock, hand) = Clock::manual(1_795_841_809_000_000_000);
        let (logger, guard) = Logger::builder().sink(sink).clock(clock).build().unwrap();
        let n = log_all(&logger, &hand);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0));
        counts.push(s.batches);
    }
    let batches = batches.lock().unwrap();
    let got: Vec<u8> = batches.concat();
    assert!(got == out.bytes(), "the toggling sink's bytes differ");
    assert_eq!(got.iter().filter(|&&b| b == b'\n').count(), 300);
    // Both states were met: batches cut at the limit, and batches longer.
    let (toggling, plain) = (counts[0], counts[1]);
    assert_eq!(toggling, batches.len() as u64);
    assert!(
        toggling > plain,
        "{toggling} batches, {plain} without a limit"
    );
    assert!(batches.iter().any(|b| b.len() as u64 > 2 * LIMIT));
}
