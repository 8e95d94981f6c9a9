//! `NullSink`: takes every batch and keeps nothing, so a benchmark measures
//! the engine (rings, writer, formatting) without the kernel.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uringlog::{Sink, Target};

/// A sink that discards its batches, counting their bytes.
#[derive(Debug, Default)]
pub struct NullSink {
    bytes: Arc<AtomicU64>,
}

impl NullSink {
    /// A sink and a handle on the bytes it has been given.
    pub fn new() -> (NullSink, Arc<AtomicU64>) {
        let s = NullSink::default();
        let bytes = s.bytes.clone();
        (s, bytes)
    }
}

impl Sink for NullSink {
    fn describe(&self) -> String {
        "null sink".to_owned()
    }

    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }

    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        // Relaxed: a statistic read after the logger has shut down.
        self.bytes.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}
