//! The engine configuration a measurement runs with, in a form that crosses
//! the process boundary (parent to child) and names itself in the report.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use uringlog::{Backend, Builder, Level, Logger, Mode, Policy, WriterGuard};
use uringlog_sinks::FileSink;

/// How records reach the file: the engine's `Mode` plus its `Backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    /// Async, `Backend::Auto` (what the engine picks).
    AsyncAuto,
    /// Async, `Backend::IoUring` forced.
    AsyncIoUring,
    /// Async, `Backend::Pwrite` forced.
    AsyncPwrite,
    /// `Mode::Sync`: the caller writes, one `pwrite` per record.
    Sync,
    /// Not the engine: the caller formats each line and appends it under a
    /// `Mutex<BufWriter<File>>` (the fair synchronous baseline).
    MutexBufWriter,
}

impl Route {
    /// Whether this is one of the engine's configurations.
    pub fn is_engine(self) -> bool {
        self != Route::MutexBufWriter
    }

    /// Whether records go through a writer thread.
    pub fn is_async(self) -> bool {
        matches!(
            self,
            Route::AsyncAuto | Route::AsyncIoUring | Route::AsyncPwrite
        )
    }
}

/// The backpressure policy (the engine's `Policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyName {
    /// `Policy::Block`.
    Block,
    /// `Policy::DropOldest`.
    DropOldest,
    /// `Policy::DropNewest`.
    DropNewest,
}

pub use uringlog::{
    DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE, DEFAULT_IO_DEPTH, DEFAULT_RING_CAPACITY,
};
/// Bytes a batch buffer holds beyond `batch_bytes` (room for the record
/// that crosses the limit), as the engine reserves it.
pub const BATCH_SLACK_BYTES: usize = 1024;

/// A complete logger configuration with one file sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Async with which backend, or sync.
    pub route: Route,
    /// Backpressure policy.
    pub policy: PolicyName,
    /// Bytes per producer ring.
    pub ring_capacity: usize,
    /// Records per batch.
    pub batch_size: usize,
    /// Bytes that close a batch early.
    pub batch_bytes: usize,
    /// io_uring batches in flight (`None`: the engine's default).
    pub io_depth: Option<usize>,
}

impl EngineConfig {
    /// The engine's defaults with `route`.
    pub fn default_with(route: Route) -> EngineConfig {
        EngineConfig {
            route,
            policy: PolicyName::Block,
            ring_capacity: DEFAULT_RING_CAPACITY,
            batch_size: DEFAULT_BATCH_SIZE,
            batch_bytes: DEFAULT_BATCH_BYTES,
            io_depth: None,
        }
    }

    /// Builds a logger writing to `file` (created or appended to). The error
    /// is the engine's own message (a `BuildError` or the sink's open error);
    /// the file is then left as it was.
    pub fn build(&self, file: &Path) -> Result<(Logger, WriterGuard), String> {
        self.build_with(file, |b| b)
    }

    /// As [`EngineConfig::build`], with `more` applied to the builder last.
    pub fn build_with(
        &self,
        file: &Path,
        more: impl FnOnce(Builder) -> Builder,
    ) -> Result<(Logger, WriterGuard), String> {
        let (mode, backend) = match self.route {
            Route::AsyncAuto => (Mode::Async, Backend::Auto),
            Route::AsyncIoUring => (Mode::Async, Backend::IoUring),
            Route::AsyncPwrite => (Mode::Async, Backend::Pwrite),
            Route::Sync => (Mode::Sync, Backend::Auto),
            Route::MutexBufWriter => return Err("not an engine configuration".to_owned()),
        };
        let policy = match self.policy {
            PolicyName::Block => Policy::Block,
            PolicyName::DropOldest => Policy::DropOldest,
            PolicyName::DropNewest => Policy::DropNewest,
        };
        let existed = file.exists();
        let sink = FileSink::new(file).map_err(|e| e.to_string())?;
        let mut builder = Logger::builder();
        if let Some(d) = self.io_depth {
            builder = builder.io_depth(d);
        }
        let built = builder
            .sink(sink)
            .level(Level::Info)
            .mode(mode)
            .backend(backend)
            .policy(policy)
            .ring_capacity(self.ring_capacity)
            .batch_size(self.batch_size)
            .batch_bytes(self.batch_bytes);
        let built = more(built).build();
        if built.is_err() && !existed {
            // The sink created the file; a logger that never started leaves none.
            let _ = std::fs::remove_file(file);
        }
        built.map_err(|e| e.to_string())
    }

    /// The engine's own buffer memory for `producers` threads, as the
    /// configuration bounds it (see [`BufferBytes`]).
    pub fn buffer_bytes(&self, producers: usize) -> BufferBytes {
        let batch = (self.batch_bytes + BATCH_SLACK_BYTES) as u64;
        let p = producers as u64;
        // What a producer's scratch buffers may keep between calls (the
        // engine keeps up to max(64 KiB, ring) in each of two).
        let scratch_max = 2 * SCRATCH_KEEP_BYTES.max(self.ring_capacity) as u64;
        let depth = self.io_depth.unwrap_or(DEFAULT_IO_DEPTH) as u64;
        match self.route {
            Route::MutexBufWriter => BufferBytes {
                rings: 0,
                batches: BUFWRITER_BYTES,
                batch_buffers: 1,
                scratch_max: 0,
            },
            Route::Sync => BufferBytes {
                rings: 0,
                batches: batch,
                batch_buffers: 1,
                scratch_max: scratch_max * p,
            },
            route => {
                // The batch being filled plus those in flight: pwrite
                // finishes each before the next; io_uring keeps up to
                // `io_depth` in flight (and Auto may, while it measures).
                let in_flight = if route == Route::AsyncPwrite {
                    1
                } else {
                    depth
                };
                BufferBytes {
                    rings: self.ring_capacity as u64 * p,
                    batches: batch * (1 + in_flight),
                    batch_buffers: 1 + in_flight,
                    scratch_max: scratch_max * p,
                }
            }
        }
    }
}

/// `BufWriter`'s default capacity.
pub const BUFWRITER_BYTES: u64 = 8 * 1024;
/// What a producer keeps of a scratch buffer between calls, at least (the
/// engine's `SCRATCH_KEEP_BYTES`).
pub const SCRATCH_KEEP_BYTES: usize = 64 * 1024;

/// The engine's buffer memory as its configuration bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferBytes {
    /// One ring per producer.
    pub rings: u64,
    /// Batch buffers: `(batch_bytes + 1 KiB)` each.
    pub batches: u64,
    /// How many batch buffers.
    pub batch_buffers: u64,
    /// Producers' scratch buffers at most (they grow only to the largest
    /// message formatted in the caller; the deferred fast path uses none).
    pub scratch_max: u64,
}

impl BufferBytes {
    /// Rings and batches: what is allocated whatever the messages.
    pub fn fixed(&self) -> u64 {
        self.rings + self.batches
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::AsyncAuto => "async (auto backend)",
            Route::AsyncIoUring => "async io_uring",
            Route::AsyncPwrite => "async pwrite",
            Route::Sync => "uringlog sync (one pwrite per record)",
            Route::MutexBufWriter => "Mutex<BufWriter> (caller formats)",
        })
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyName::Block => "BLOCK",
            PolicyName::DropOldest => "DROP_OLDEST",
            PolicyName::DropNewest => "DROP_NEWEST",
        })
    }
}
