//! Eight `Block` producers on tiny rings, on a machine of two CPUs, whose
//! writer is stuck in a slow sink (it sleeps in every write) or dies (the
//! sink panics) while they spin or park for room: with a slow sink every
//! record is written once and in order; with a dying one every producer
//! returns, and `written + dropped == enqueued`.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;
use uringlog::{Format, Logger, Policy, ShutdownError, Sink, Target, Timestamp};
use uringlog_tests::{sequences, SHUTDOWN};

const THREADS: u64 = 8;

/// Sleeps in every write; panics at write `panic_at` (0: never).
struct Slow {
    writes: u64,
    panic_at: u64,
    out: Arc<Mutex<Vec<u8>>>,
    lines: Arc<AtomicU64>,
}

impl Sink for Slow {
    fn describe(&self) -> String {
        "slow".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if self.writes == self.panic_at {
            panic!("slow sink died");
        }
        std::thread::sleep(Duration::from_micros(300));
        self.out.lock().unwrap().extend_from_slice(batch);
        let n = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines.fetch_add(n, Ordering::SeqCst);
        Ok(())
    }
}

fn run(
    panic_at: u64,
    per_thread: u64,
    crash_safe: Option<&std::path::Path>,
) -> (
    Result<uringlog::Stats, ShutdownError>,
    Vec<String>,
    u64,
    Logger,
) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let lines = Arc::new(AtomicU64::new(0));
    let sink = Slow {
        writes: 0,
        panic_at,
        out: out.clone(),
        lines: lines.clone(),
    };
    let mut b = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(16);
    if let Some(dir) = crash_safe {
        b = b.crash_safe(dir);
    }
    let (logger, guard) = b.build().unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let l = logger.clone();
            thread::spawn(move || {
                for seq in 0..per_thread {
                    uringlog::info!(l, "t={} seq={} pad={:040}", t, seq, 0);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let r = guard.shutdown(SHUTDOWN);
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let got: Vec<String> = text.lines().map(str::to_owned).collect();
    (r, got, lines.load(Ordering::SeqCst), logger)
}

#[test]
fn eight_producers_blocked_on_a_slow_sink_keep_every_record_in_order() {
    let per_thread = 400;
    let (r, lines, _, _) = run(0, per_thread, None);
    let stats = r.unwrap();
    let total = THREADS * per_thread;
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (total, total, 0)
    );
    assert_eq!(lines.len() as u64, total);
    let seqs = sequences(&lines);
    assert_eq!(seqs.len() as u64, THREADS);
    for (t, s) in seqs {
        assert_eq!(s, (0..per_thread).collect::<Vec<_>>(), "thread {t}");
    }
}

#[test]
fn eight_producers_blocked_when_the_writer_dies_all_return_and_the_books_close() {
    let per_thread = 2000;
    let (r, lines, counted, logger) = run(20, per_thread, None);
    let Err(ShutdownError::WriterPanicked { stats }) = r else {
        panic!("expected WriterPanicked, got {r:?}");
    };
    let total = THREADS * per_thread;
    assert_eq!(stats.enqueued, total);
    assert_eq!(stats.written + stats.dropped, total, "{stats:?}");
    assert_eq!(stats.written, counted);
    assert_eq!(lines.len() as u64, counted);
    // What was written is each thread's records from the first, in order.
    for (t, s) in sequences(&lines) {
        assert_eq!(s, (0..s.len() as u64).collect::<Vec<_>>(), "thread {t}");
    }
    assert_eq!(
        logger.recent_errors().last().map(String::as_str),
        Some("the writer thread panicked: slow sink died")
    );
}

/// The same in crash-safe mode: the rings are files whose room comes back
/// at the keeper's commits.
#[test]
fn eight_crash_safe_producers_blocked_on_a_slow_sink_keep_every_record_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let per_thread = 300;
    let (r, lines, _, _) = run(0, per_thread, Some(&tmp.path().join("cs")));
    let stats = r.unwrap();
    let total = THREADS * per_thread;
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (total, total, 0)
    );
    let seqs = sequences(&lines);
    assert_eq!(seqs.len() as u64, THREADS);
    for (t, s) in seqs {
        assert_eq!(s, (0..per_thread).collect::<Vec<_>>(), "thread {t}");
    }
}
