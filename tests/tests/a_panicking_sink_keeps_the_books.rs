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
