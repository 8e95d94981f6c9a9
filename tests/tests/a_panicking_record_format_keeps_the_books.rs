//! A sink's own format that panics on the writer thread, in the middle of
//! a ring's records, kills the writer, but every record is counted once:
//! written (the batches before), or dropped (the records formatted into
//! the batch that never went, those still in the ring, and under
//! `DropOldest` the one taken from its ring for the format that panicked).

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uringlog::{Logger, Policy, Record, RecordFormat, ShutdownError, Sink, Target};
use uringlog_tests::SHUTDOWN;

/// Panics on its `explode_at`-th record.
struct BombFormat {
    seen: u64,
    explode_at: u64,
}

impl RecordFormat for BombFormat {
    fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
        self.seen += 1;
        if self.seen == self.explode_at {
            panic!("format exploded on purpose");
        }
        out.extend_from_slice(rec.message());
        out.push(b'\n');
    }
}

/// Counts the lines it is handed; formats with a `BombFormat`.
struct Lines {
    lines: Arc<AtomicU64>,
    explode_at: u64,
}

impl Sink for Lines {
    fn describe(&self) -> String {
        "lines".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let n = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines.fetch_add(n, Ordering::SeqCst);
        Ok(())
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        Some(Box::new(BombFormat {
            seen: 0,
            explode_at: self.explode_at,
        }))
    }
}

#[test]
fn a_format_that_panics_mid_ring_counts_each_record_once() {
    for (explode_at, policy) in [1, 2, 7, 50]
        .into_iter()
        .flat_map(|e| [(e, Policy::Block), (e, Policy::DropOldest)])
    {
        let lines = Arc::new(AtomicU64::new(0));
        let sink = Lines {
            lines: lines.clone(),
            explode_at,
        };
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
        assert_eq!(stats.written, lines.load(Ordering::SeqCst));
        assert_eq!(
            (stats.written, stats.dropped),
            (stats.written, 200 - stats.written),
            "explode at {explode_at} under {policy:?}: {stats:?}"
        );
    }
}
