//! The engine configuration a measurement runs with, in a form that crosses
//! the process boundary (parent to child) and names itself in the report.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use uringlog::{Backend, Level, Logger, Mode, Policy, WriterGuard};
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
    /// `Mode::Sync`: the caller writes.
    Sync,
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

pub use uringlog::{DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE, DEFAULT_RING_CAPACITY};
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
        let (mode, backend) = match self.route {
            Route::AsyncAuto => (Mode::Async, Backend::Auto),
            Route::AsyncIoUring => (Mode::Async, Backend::IoUring),
            Route::AsyncPwrite => (Mode::Async, Backend::Pwrite),
            Route::Sync => (Mode::Sync, Backend::Auto),
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
            .batch_bytes(self.batch_bytes)
            .build();
        if built.is_err() && !existed {
            // The sink created the file; a logger that never started leaves none.
            let _ = std::fs::remove_file(file);
        }
        built.map_err(|e| e.to_string())
    }

    /// The engine's own buffer memory for `producers` threads, as the
    /// configuration bounds it: one ring per producer plus, for the one file
    /// sink, the batch being filled and the one being written (pwrite keeps
    /// one batch in flight). Sync mode has no ring and one batch buffer.
    pub fn buffer_bytes(&self, producers: usize) -> u64 {
        let batch = (self.batch_bytes + BATCH_SLACK_BYTES) as u64;
        match self.route {
            Route::Sync => batch,
            _ => (self.ring_capacity * producers) as u64 + 2 * batch,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::AsyncAuto => "async (auto backend)",
            Route::AsyncIoUring => "async io_uring",
            Route::AsyncPwrite => "async pwrite",
            Route::Sync => "sync",
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
