//! A sink that panics kills the writer, but no record vanishes uncounted:
//! shutdown reports the panic, every accepted record is written or
//! dropped, and later calls (even blocked ones) are counted dropped.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uringlog::{Logger, Policy, ShutdownError, Sink, Target};
use uringlog_tests::SHUTDOWN;

struct Bomb {
    writes: u32,
    /// Lines accepted before the explosion.
    lines: Arc<AtomicU64>,
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
        if self.writes == 2 {
            panic!("sink exploded on purpose");
        }
        let n = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines.fetch_add(n, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_panicking_sink_keeps_the_books() {
    let lines = Arc::new(AtomicU64::new(0));
    let (logger, guard) = Logger::builder()
        .sink(Bomb {
            writes: 0,
            lines: lines.clone(),
        })
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
    uringlog::info!(logger, "after the crash");
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written + s.dropped), (5_001, 5_001));
}

/// Explodes on its `n`-th write.
struct BombAt(u32, u32);

impl Sink for BombAt {
    fn describe(&self) -> String {
        "bomb".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        self.0 += 1;
        if self.0 == self.1 {
            panic!("sink exploded on purpose");
        }
        Ok(())
    }
}

#[test]
fn a_panicking_second_sink_counts_each_record_once() {
    let (ok, out) = uringlog::MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(ok)
        .sink(BombAt(0, 2))
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
            .sink(BombAt(0, 3))
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
