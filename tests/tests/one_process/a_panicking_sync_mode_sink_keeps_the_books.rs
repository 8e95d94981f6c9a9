//! In sync mode a sink runs in the logging caller. One that panics — asked
//! where a batch goes, writing it, or told how a write went — ends the
//! logger as a panicking sink ends the writer thread in async mode: the
//! caller's call returns, the record it was writing is counted dropped, so
//! is every later one, and shutdown reports the panic. The books balance
//! whatever the sink does.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uringlog::{Logger, Mode, ShutdownError, Sink, Target, WriteOutcome};
use uringlog_tests::SHUTDOWN;

/// Where the sink panics.
#[derive(Clone, Copy, Debug)]
enum Where {
    Target,
    WriteInline,
    OnWrite,
}

/// Panics in `at` on its `explode_at`-th batch; counts the lines it took before.
struct Bomb {
    at: Where,
    batches: u32,
    explode_at: u32,
    lines: Arc<AtomicU64>,
}

impl Bomb {
    fn tick(&mut self, here: Where) {
        if std::mem::discriminant(&here) == std::mem::discriminant(&self.at) {
            self.batches += 1;
            if self.batches == self.explode_at {
                panic!("sink exploded on purpose in {here:?}");
            }
        }
    }
}

impl Sink for Bomb {
    fn describe(&self) -> String {
        "bomb".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        self.tick(Where::Target);
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        self.tick(Where::WriteInline);
        let n = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines.fetch_add(n, Ordering::SeqCst);
        Ok(())
    }
    fn on_write(&mut self, _outcome: &WriteOutcome<'_>) {
        self.tick(Where::OnWrite);
    }
}

fn scenario(at: Where) {
    let lines = Arc::new(AtomicU64::new(0));
    let bomb = Bomb {
        at,
        batches: 0,
        explode_at: 3,
        lines: lines.clone(),
    };
    let (logger, guard) = Logger::builder()
        .sink(bomb)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    let mut reached_caller = 0;
    for i in 0..10 {
        let call = std::panic::catch_unwind(|| uringlog::info!(logger, "record {i}"));
        reached_caller += u32::from(call.is_err());
    }
    let s = logger.stats();
    assert_eq!(s.enqueued, 10, "{at:?}");
    assert_eq!(s.written + s.dropped, 10, "{at:?}: {s:?}");
    assert_eq!(
        reached_caller, 0,
        "{at:?}: the sink's panic stays in the logger"
    );
    let err = guard.shutdown(SHUTDOWN).unwrap_err();
    let ShutdownError::WriterPanicked { stats } = err else {
        panic!("{at:?}: expected WriterPanicked, got {err:?}");
    };
    // Records 0 and 1 went through; record 2's batch panicked in the sink.
    // Told how a write went, the sink had the line already, and the record
    // was counted written before the sink was told.
    let written = match at {
        Where::Target | Where::WriteInline => 2,
        Where::OnWrite => 3,
    };
    assert_eq!(
        (stats.written, stats.dropped),
        (written, 10 - written),
        "{at:?}: {stats:?}"
    );
    assert_eq!(lines.load(Ordering::SeqCst), written, "{at:?}");
    assert!(
        logger
            .recent_errors()
            .iter()
            .any(|e| e.contains("sink exploded on purpose")),
        "{at:?}: {:?}",
        logger.recent_errors()
    );
}

#[test]
fn a_sink_that_panics_when_asked_where_a_batch_goes() {
    scenario(Where::Target);
}

#[test]
fn a_sink_that_panics_writing_a_batch() {
    scenario(Where::WriteInline);
}

#[test]
fn a_sink_that_panics_when_told_how_a_write_went() {
    scenario(Where::OnWrite);
}
