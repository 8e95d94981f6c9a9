//! `MemorySink`: keeps every byte in memory, with switchable failures.

use super::{Sink, Target};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

/// A sink that appends batches to a shared `Vec<u8>`; for tests and tools.
///
/// [`MemoryHandle::set_failing`] makes every following write fail with the
/// given errno until it is cleared, so tests can inject I/O faults.
///
/// ```
/// let (sink, handle) = uringlog::MemorySink::new();
/// let (logger, guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
/// uringlog::info!(logger, "hello {}", 1);
/// guard.shutdown(std::time::Duration::from_secs(5)).unwrap();
/// assert!(handle.text().ends_with("hello 1\n"));
/// ```
#[derive(Debug)]
pub struct MemorySink {
    inner: Arc<Mutex<Inner>>,
}

/// Reads what a [`MemorySink`] received and controls its failures.
#[derive(Clone, Debug)]
pub struct MemoryHandle {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    bytes: Vec<u8>,
    batches: u64,
    /// When set, writes fail with this errno.
    failing: Option<i32>,
    closed: bool,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemorySink {
    /// A new empty sink and its handle.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> (MemorySink, MemoryHandle) {
        let inner = Arc::new(Mutex::new(Inner::default()));
        (
            MemorySink {
                inner: inner.clone(),
            },
            MemoryHandle { inner },
        )
    }
}

impl MemoryHandle {
    /// Every byte written so far.
    pub fn bytes(&self) -> Vec<u8> {
        lock(&self.inner).bytes.clone()
    }

    /// Every byte written so far, as text (lossy for invalid UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.inner).bytes).into_owned()
    }

    /// The lines written so far, without their newlines.
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }

    /// Batches received so far.
    pub fn batches(&self) -> u64 {
        lock(&self.inner).batches
    }

    /// Whether the writer closed the sink.
    pub fn is_closed(&self) -> bool {
        lock(&self.inner).closed
    }

    /// Makes every following write fail with `errno` (`Some`) or succeed (`None`).
    pub fn set_failing(&self, errno: Option<i32>) {
        lock(&self.inner).failing = errno;
    }
}

impl Sink for MemorySink {
    fn describe(&self) -> String {
        "memory".to_owned()
    }

    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }

    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let mut g = lock(&self.inner);
        if let Some(errno) = g.failing {
            return Err(io::Error::from_raw_os_error(errno));
        }
        g.bytes.extend_from_slice(batch);
        g.batches += 1;
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        lock(&self.inner).closed = true;
        Ok(())
    }
}
