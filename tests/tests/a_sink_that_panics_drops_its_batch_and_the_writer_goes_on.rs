//! A sink's `write_inline` is user code: when it panics, the batch it was
//! given is counted dropped and the error reported, as for a failed write,
//! and the writer (in sync mode, the calling thread) goes on with the next
//! batch. The books balance after shutdown.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use uringlog::{FlushError, Logger, Mode, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Keeps what it is given, and panics on its second write.
struct PanicsOnce {
    writes: Arc<AtomicU32>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Sink for PanicsOnce {
    fn describe(&self) -> String {
        "panics-once".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        if self.writes.fetch_add(1, Ordering::Relaxed) == 1 {
            panic!("sink panics on purpose");
        }
        let text = String::from_utf8_lossy(batch);
        let mut lines = self.lines.lock().unwrap();
        lines.extend(
            text.lines()
                .map(|l| l.rsplit(": ").next().unwrap().to_owned()),
        );
        Ok(())
    }
}

#[test]
fn a_sink_that_panics_drops_its_batch_and_the_writer_goes_on() {
    for mode in [Mode::Async, Mode::Sync] {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = PanicsOnce {
            writes: Arc::new(AtomicU32::new(0)),
            lines: lines.clone(),
        };
        let (logger, guard) = Logger::builder().sink(sink).mode(mode).build().unwrap();
        let mut flushes = Vec::new();
        for i in 0..5 {
            uringlog::info!(logger, "record {}", i);
            // One batch per record.
            flushes.push(
                logger
                    .flush()
                    .map_err(|e| matches!(e, FlushError::Io { .. })),
            );
        }
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            (s.enqueued, s.written, s.dropped, s.errors),
            (5, 4, 1, 1),
            "{mode:?}: {s:?}"
        );
        assert_eq!(
            flushes,
            [Ok(()), Err(true), Ok(()), Ok(()), Ok(())],
            "{mode:?}"
        );
        let lines = lines.lock().unwrap().clone();
        assert_eq!(
            lines,
            ["record 0", "record 2", "record 3", "record 4"],
            "{mode:?}"
        );
        let errors = logger.recent_errors();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("the sink panicked: sink panics on purpose")),
            "{mode:?}: {errors:?}"
        );
    }
}
