//! A sink that panics kills the writer, but no record vanishes uncounted:
//! shutdown reports the panic, every accepted record is written or
//! dropped, and later calls (even blocked ones) are counted dropped.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uringlog::{Logger, Policy, ShutdownError, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// A sink that explodes on its `explode_at`-th write and counts the lines
/// it accepted before.
struct Bomb {
    writes: u32,
    explode_at: u32,
    lines: Arc<AtomicU64>,
}

impl Bomb {
    fn at(explode_at: u32) -> (Bomb, Arc<AtomicU64>) {
        let lines = Arc::new(AtomicU64::new(0));
        let bomb = Bomb {
            writes: 0,
            explode_at,
            lines: lines.clone(),
        };
        (bomb, lines)
    }
}

impl Sink for Bomb {
    fn describe(&self) -> String {
        "bomb".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if self.writes == self.explode_at {
            panic!("sink exploded on purpose");
        }
        let n = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines.fetch_add(n, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_panicking_sink_keeps_the_books() {
    let (bomb, lines) = Bomb::at(2);
    let (logger, guard) = Logger::builder()
        .sink(bomb)
        .policy(Policy::Block)
        .ring_capacity(1024)
        .batch_size(4)
        .build()
        .unwrap();
    // Far more than the ring holds: under Block this would hang forever if
    // a dead writer left producers waiting.
    for i in 0..5_000 {
        uringlog::info!(logger, "record {i}");
    }
    let err = guard.shutdown(SHUTDOWN).unwrap_err();
    let ShutdownError::WriterPanicked { stats } = err else {
        panic!("expected WriterPanicked, got {err:?}");
    };
    assert_eq!(stats.enqueued, 5_000);
    assert_eq!(stats.written + stats.dropped, 5_000, "{stats:?}");
    assert_eq!(
        stats.written,
        lines.load(Ordering::SeqCst),
        "only the first batch made it"
    );
    assert!(stats.written >= 1 && stats.written <= 4);
    assert_eq!(
        logger.recent_errors().last().map(String::as_str),
        Some("the writer thread panicked: sink exploded on purpose")
    );
    uringlog::info!(logger, "after the crash");
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written + s.dropped), (5_001, 5_001));
}

#[test]
fn a_panicking_second_sink_counts_each_record_once() {
    let (ok, out) = uringlog::MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(ok)
        .sink(Bomb::at(2).0)
        .backend(uringlog::Backend::Pwrite)
        .ring_capacity(1024)
        .batch_size(4)
        .build()
        .unwrap();
    for i in 0..5_000 {
        uringlog::info!(logger, "record {i}");
    }
    let ShutdownError::WriterPanicked { stats } = guard.shutdown(SHUTDOWN).unwrap_err() else {
        panic!("expected WriterPanicked");
    };
    assert_eq!(stats.enqueued, 5_000);
    assert_eq!(stats.written + stats.dropped, 5_000, "{stats:?}");
    assert_eq!(stats.written, out.lines().len() as u64);
}

#[test]
fn a_panic_with_io_uring_batches_in_flight_keeps_the_books() {
    if !uringlog_tests::io_uring_available(
        "a_panic_with_io_uring_batches_in_flight_keeps_the_books",
    ) {
        return;
    }
    for _round in 0..5 {
        let (_dir, path) = uringlog_tests::temp_log("a.log");
        let (logger, guard) = Logger::builder()
            .sink(uringlog_sinks::FileSink::new(&path).unwrap())
            .sink(Bomb::at(3).0)
            .backend(uringlog::Backend::IoUring)
            .io_depth(4)
            .ring_capacity(64 * 1024)
            .batch_size(200)
            .build()
            .unwrap();
        for i in 0..5_000 {
            uringlog::info!(logger, "record {i} {:0200}", 0);
        }
        let ShutdownError::WriterPanicked { stats } = guard.shutdown(SHUTDOWN).unwrap_err() else {
            panic!("expected WriterPanicked");
        };
        let lines = std::fs::read_to_string(&path).unwrap().lines().count() as u64;
        assert_eq!(stats.written + stats.dropped, 5_000, "{stats:?}");
        assert_eq!(
            stats.written, lines,
            "written counts exactly the lines in the file"
        );
    }
}

/// A sink that writes everything and panics when dropped.
struct PanicsOnDrop;

impl Sink for PanicsOnDrop {
    fn describe(&self) -> String {
        "panics on drop".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("sink dropped with a panic");
    }
}

/// Every record was written before the sink's `Drop` panicked at close:
/// shutdown says the writer panicked, and why.
#[test]
fn a_sink_that_panics_when_dropped_is_reported_at_shutdown() {
    let (logger, guard) = Logger::builder().sink(PanicsOnDrop).build().unwrap();
    for i in 0..100 {
        uringlog::info!(logger, "record {i}");
    }
    let ShutdownError::WriterPanicked { stats } = guard.shutdown(SHUTDOWN).unwrap_err() else {
        panic!("expected WriterPanicked");
    };
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (100, 100, 0)
    );
    assert_eq!(
        logger.recent_errors(),
        vec!["the writer thread panicked: sink dropped with a panic".to_owned()]
    );
}
