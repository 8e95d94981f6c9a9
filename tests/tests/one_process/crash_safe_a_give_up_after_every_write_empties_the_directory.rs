//! Crash-safe mode: whether shutdown leaves the directory's pending
//! records for the next start depends on whether any record read may not
//! have reached the sinks, not on when shutdown gave up.
//!
//! A sink whose `close` blocks past the shutdown timeout: shutdown gives
//! up after every record was written. The directory is emptied, and the
//! next logger built on it writes nothing again. (Before, the give-up kept
//! the records read since the last commit, and the next start wrote them
//! a second time.) A sink stuck in a write when shutdown gives up still
//! leaves them for the next start; so does a deferred sink that never
//! settles them, though shutdown did not give up (before, its records
//! were counted dropped and removed with the directory: lost).

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uringlog::{Completion, FlushError, Format, Logger, MemorySink, RecordBatch, Settled};
use uringlog::{ShutdownError, Sink, SinkContext, SinkOptions, Target, Timestamp};
use uringlog_tests::{crash_and_recover, stuck_crash_safe_logger, wait_for, wait_until_stuck};

const RECORDS: usize = 10;

/// An inline sink whose first write waits for `first`, and whose `close`
/// waits for `close`.
struct SlowClose {
    first: Option<Receiver<()>>,
    close: Receiver<()>,
    entered: Arc<AtomicBool>,
    bytes: Arc<Mutex<Vec<u8>>>,
}

/// The test's side of a [`SlowClose`].
struct Handles {
    first: Sender<()>,
    close: Sender<()>,
    entered: Arc<AtomicBool>,
    bytes: Arc<Mutex<Vec<u8>>>,
}

fn slow_close() -> (SlowClose, Handles) {
    let (first, first_rx) = channel();
    let (close, close_rx) = channel();
    let entered = Arc::new(AtomicBool::new(false));
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let sink = SlowClose {
        first: Some(first_rx),
        close: close_rx,
        entered: entered.clone(),
        bytes: bytes.clone(),
    };
    let handles = Handles {
        first,
        close,
        entered,
        bytes,
    };
    (sink, handles)
}

impl Sink for SlowClose {
    fn describe(&self) -> String {
        "slow close".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        if let Some(rx) = self.first.take() {
            self.entered.store(true, Ordering::SeqCst);
            rx.recv().unwrap();
        }
        self.bytes.lock().unwrap().extend_from_slice(batch);
        Ok(())
    }
    fn close(&mut self) -> io::Result<()> {
        self.close.recv().unwrap();
        Ok(())
    }
}

/// The lines a new logger built on `dir` writes (recovers), without
/// timestamps or targets.
fn next_start(dir: &Path) -> Vec<String> {
    let (sink, lines) = MemorySink::new();
    let plain = Format::text().timestamp(Timestamp::Off).without_target();
    let (_l, guard) = Logger::builder()
        .sink_with(sink, SinkOptions::new().format(plain))
        .crash_safe(dir)
        .build()
        .unwrap();
    guard.shutdown(Duration::from_secs(30)).unwrap();
    lines.lines()
}

/// Records read only once shutdown began (the writer was held in its
/// first write until then) are all written before the sink's `close`
/// outlasts the timeout: the directory holds no pending data after, and
/// the next start recovers nothing.
#[test]
fn a_slow_close_after_every_write_leaves_nothing_to_recover() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (sink, h) = slow_close();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(1 << 20)
        .crash_safe(&dir)
        .build()
        .unwrap();
    uringlog::info!(logger, "first");
    wait_until_stuck(&h.entered);
    for i in 0..RECORDS {
        uringlog::info!(logger, "seq={i}");
    }
    let shutdown = std::thread::spawn(move || guard.shutdown(Duration::from_millis(300)));
    wait_for("shutdown never began", || logger.is_shut_down());
    // The writer now reads the records only in its final drain.
    h.first.send(()).unwrap();
    let err = shutdown.join().unwrap().unwrap_err();
    assert!(matches!(err, ShutdownError::Timeout { .. }), "{err:?}");
    h.close.send(()).unwrap();
    // Returns once the writer has ended.
    assert_eq!(logger.flush(), Err(FlushError::ShutDown));
    let s = logger.stats();
    let all = 1 + RECORDS as u64;
    assert_eq!((s.enqueued, s.written, s.dropped), (all, all, 0), "{s:?}");
    let bytes = String::from_utf8(h.bytes.lock().unwrap().clone()).unwrap();
    let written: Vec<&str> = bytes.lines().collect();
    assert_eq!(written.len(), 1 + RECORDS, "{bytes}");
    for (i, l) in written[1..].iter().enumerate() {
        assert!(l.ends_with(&format!("seq={i}")), "{l}");
    }
    // No state file, ring file or call-site table: only the lock file.
    assert_eq!(uringlog_tests::file_names(&dir), ["lock"]);
    assert_eq!(next_start(&dir), Vec::<String>::new());
}

/// A sink stuck in a write when shutdown gives up: the records logged
/// behind it stay in the directory, and the next start writes them.
#[test]
fn a_sink_stuck_in_a_write_still_leaves_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (logger, guard, gate) = stuck_crash_safe_logger(&dir);
    for i in 0..RECORDS {
        uringlog::info!(logger, "seq={i}");
    }
    let lines = crash_and_recover(&dir, logger, guard, gate);
    let seqs: Vec<&String> = lines.iter().filter(|l| l.contains("seq=")).collect();
    assert_eq!(seqs.len(), RECORDS, "{lines:?}");
    for (i, l) in seqs.iter().enumerate() {
        assert!(l.ends_with(&format!("seq={i}")), "{l}");
    }
    assert!(lines[0].contains("crash-safe recovery:"), "{lines:?}");
}

/// A deferred sink that takes every record and never settles one.
struct NeverSettles;

impl Sink for NeverSettles {
    fn describe(&self) -> String {
        "never settles".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        unreachable!("deferred sinks get accept")
    }
    fn completion(&mut self, _ctx: &SinkContext) -> Completion {
        Completion::Deferred {
            flush_timeout: Duration::from_millis(100),
        }
    }
    fn accept(&mut self, _batch: &RecordBatch<'_>, _done: &mut Settled) -> io::Result<()> {
        Ok(())
    }
    fn settle(&mut self, _wait: Duration, _done: &mut Settled) {}
}

/// A shutdown within its timeout whose deferred sink leaves every record
/// unsettled (counted dropped): the directory keeps them, and the next
/// start writes them.
#[test]
fn records_a_deferred_sink_never_settled_stay_for_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (logger, guard) = Logger::builder()
        .sink(NeverSettles)
        .ring_capacity(1 << 20)
        .crash_safe(&dir)
        .build()
        .unwrap();
    for i in 0..RECORDS {
        uringlog::info!(logger, "seq={i}");
    }
    let s = guard.shutdown(Duration::from_secs(1)).unwrap();
    let all = RECORDS as u64;
    assert_eq!((s.enqueued, s.written, s.dropped), (all, 0, all), "{s:?}");
    let lines = next_start(&dir);
    assert_eq!(lines.len(), 1 + RECORDS, "{lines:?}");
    let said = format!("crash-safe recovery: {RECORDS} records recovered");
    assert!(lines[0].contains(&said), "{lines:?}");
    for (i, l) in lines[1..].iter().enumerate() {
        assert!(l.ends_with(&format!("seq={i}")), "{l}");
    }
}
