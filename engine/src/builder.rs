//! `Builder`: validated configuration, limits and start-up.

use crate::clock::Clock;
use crate::error::BuildError;
use crate::format::Format;
use crate::io::uring::{UringConfig, DEFAULT_DEPTH, MAX_DEPTH};
use crate::io::{BackendKind, IoBackendInfo, IoConfig};
use crate::level::Level;
use crate::logger::Logger;
use crate::policy::{Backend, Durability, Mode, Policy};
use crate::shared::Shared;
use crate::shutdown::WriterGuard;
use crate::sink::{Sink, SinkOptions};
use crate::sync_mode::SyncWriter;
use crate::wake::{Barrier, BarrierChoice};
use crate::writer::durability::SyncPlan;
use crate::writer::sinks::{SinkSet, SinkSlot};
use crate::writer::{self, WriterConfig};
use std::sync::Arc;
use std::time::Duration;

/// Default `ring_capacity`: bytes per producer ring.
pub const DEFAULT_RING_CAPACITY: usize = 256 * 1024;
/// Default `batch_size`: records per batch. About 25 KiB of ~100-byte lines;
/// a sweep on 2 CPUs measured 128–256 records 10–15% faster end to end than
/// 1024 (fewer, larger writes lose to the writer chasing the producer less).
pub const DEFAULT_BATCH_SIZE: usize = 256;
/// Default `batch_bytes`: bytes that close a batch early.
pub const DEFAULT_BATCH_BYTES: usize = 256 * 1024;

/// Smallest ring accepted: room for a header, a target and a short message.
pub const MIN_RING_CAPACITY: usize = 256;
/// Largest ring accepted (per producer thread).
pub const MAX_RING_CAPACITY: usize = 1 << 30;
/// Largest `batch_size` accepted.
pub const MAX_BATCH_SIZE: usize = 1 << 20;
/// Smallest `batch_bytes` accepted.
pub const MIN_BATCH_BYTES: usize = 4 * 1024;
/// Largest `batch_bytes` accepted.
pub const MAX_BATCH_BYTES: usize = 64 << 20;
const _: () = assert!(MIN_RING_CAPACITY > crate::record::HEADER_LEN * 4);
const _: () = assert!(MIN_BATCH_BYTES <= MAX_BATCH_BYTES && MIN_RING_CAPACITY <= MAX_RING_CAPACITY);
/// Largest `io_depth` accepted (batches in flight with io_uring).
pub const MAX_IO_DEPTH: usize = MAX_DEPTH;
/// Smallest `sync_interval_bytes` accepted.
pub const MIN_SYNC_INTERVAL_BYTES: u64 = 64 * 1024;
/// Largest `sync_interval_ms` accepted (one hour).
pub const MAX_SYNC_INTERVAL_MS: u64 = 3_600_000;
/// Largest `sqpoll_idle_ms` accepted.
pub const MAX_SQPOLL_IDLE_MS: u32 = 60_000;

/// Configures and starts a logger.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`sink`](Builder::sink) | none (required) | where records go; call again to fan out |
/// | [`sink_with`](Builder::sink_with) | — | a sink with its own minimum level and format |
/// | [`format`](Builder::format) | `Format::text()` | format of sinks added without one |
/// | [`level`](Builder::level) | `Info` | minimum level accepted |
/// | [`policy`](Builder::policy) | `Block` | what a call does when its ring is full |
/// | [`mode`](Builder::mode) | `Async` | writer thread, or write in the caller |
/// | [`backend`](Builder::backend) | `Auto` | io_uring or pwrite |
/// | [`ring_capacity`](Builder::ring_capacity) | 256 KiB | bytes per producer ring (256 B ..= 1 GiB) |
/// | [`batch_size`](Builder::batch_size) | 256 | records per batch (1 ..= 1,048,576) |
/// | [`batch_bytes`](Builder::batch_bytes) | 256 KiB | bytes that close a batch early (4 KiB ..= 64 MiB) |
/// | [`clock`](Builder::clock) | [`Clock::best`] (async), `Realtime` (sync) | timestamp source |
/// | [`durability`](Builder::durability) | `None` | periodic `fdatasync` of file sinks |
/// | [`sync_interval_bytes`](Builder::sync_interval_bytes) | 8 MiB | bytes between periodic syncs (`Durability::Data`) |
/// | [`sync_interval_ms`](Builder::sync_interval_ms) | 1000 | longest time between periodic syncs while writing |
/// | [`io_depth`](Builder::io_depth) | 2 | io_uring: batches in flight (1 ..= 32) |
/// | [`sqpoll_idle_ms`](Builder::sqpoll_idle_ms) | off | io_uring: a kernel thread polls the submission queue |
///
/// The environment variable `URINGLOG_BACKEND=pwrite|io_uring|auto`
/// overrides [`backend`](Builder::backend), for operators.
///
/// A record larger than the ring (header + target + message) is dropped and
/// counted in `Stats::dropped` and `Stats::oversized`: it is never split.
#[must_use = "a builder does nothing until .build()"]
pub struct Builder {
    sinks: Vec<(Box<dyn Sink>, SinkOptions)>,
    format: Format,
    level: Level,
    policy: Policy,
    mode: Mode,
    backend: Backend,
    ring_capacity: usize,
    batch_size: usize,
    batch_bytes: usize,
    /// `None`: [`Clock::best`] in async mode, `Realtime` in sync mode.
    clock: Option<Clock>,
    durability: Durability,
    sync_interval_bytes: u64,
    sync_interval_ms: u64,
    io_depth: usize,
    sqpoll_idle_ms: Option<u32>,
    fail_uring_probe: bool,
    /// Test hook: the wake protocol uses the fence fallback.
    wake_fence: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            sinks: Vec::new(),
            format: Format::text(),
            level: Level::Info,
            policy: Policy::Block,
            mode: Mode::Async,
            backend: Backend::Auto,
            ring_capacity: DEFAULT_RING_CAPACITY,
            batch_size: DEFAULT_BATCH_SIZE,
            batch_bytes: DEFAULT_BATCH_BYTES,
            clock: None,
            durability: Durability::None,
            sync_interval_bytes: 8 << 20,
            sync_interval_ms: 1000,
            io_depth: DEFAULT_DEPTH,
            sqpoll_idle_ms: None,
            fail_uring_probe: false,
            wake_fence: false,
        }
    }
}

impl Builder {
    /// Adds a sink that takes every record the logger accepts.
    pub fn sink(self, sink: impl Sink) -> Self {
        self.sink_with(sink, SinkOptions::new())
    }

    /// Adds a sink that takes only records at `min_level` or above.
    pub fn sink_with_level(self, sink: impl Sink, min_level: Level) -> Self {
        self.sink_with(sink, SinkOptions::new().min_level(min_level))
    }

    /// Adds a sink with its own minimum level and format. Sinks that share
    /// a format share the formatting work: each record is formatted once
    /// per distinct format.
    ///
    /// ```
    /// use uringlog::{Format, Level, Logger, MemorySink, SinkOptions};
    /// let (all, all_out) = MemorySink::new();
    /// let (bad, bad_out) = MemorySink::new();
    /// let (logger, guard) = Logger::builder()
    ///     .sink(all)
    ///     .sink_with(bad, SinkOptions::new().min_level(Level::Warn).format(Format::json()))
    ///     .build()?;
    /// uringlog::info!(logger, "fine");
    /// uringlog::warn!(logger, disk = "sda"; "slow");
    /// guard.shutdown(std::time::Duration::from_secs(5))?;
    /// assert_eq!(all_out.lines().len(), 2);
    /// assert!(bad_out.text().ends_with(r#""msg":"slow","disk":"sda"}
    /// "#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sink_with(mut self, sink: impl Sink, options: SinkOptions) -> Self {
        self.sinks.push((Box::new(sink), options));
        self
    }

    /// The format of sinks added without one in their [`SinkOptions`].
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The minimum level accepted.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// What a call does when its thread's ring is full.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Async (writer thread) or sync (the caller writes).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The I/O backend.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Bytes in each producer's ring.
    pub fn ring_capacity(mut self, bytes: usize) -> Self {
        self.ring_capacity = bytes;
        self
    }

    /// Records gathered before a batch is written.
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = records;
        self
    }

    /// Bytes that close a batch before `batch_size` records are gathered.
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes;
        self
    }

    /// The timestamp source.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Whether file sinks are `fdatasync`ed periodically; see [`Durability`].
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// With `Durability::Data`: bytes written between periodic syncs.
    pub fn sync_interval_bytes(mut self, bytes: u64) -> Self {
        self.sync_interval_bytes = bytes;
        self
    }

    /// With `Durability::Data`: the longest time between periodic syncs
    /// while records are being written.
    pub fn sync_interval_ms(mut self, ms: u64) -> Self {
        self.sync_interval_ms = ms;
        self
    }

    /// io_uring only: batches submitted and not yet completed at once. The
    /// writer fills the next buffer while the kernel copies the previous ones.
    pub fn io_depth(mut self, batches: usize) -> Self {
        self.io_depth = batches;
        self
    }

    /// io_uring only: a kernel thread polls the submission queue, so the
    /// writer submits without a system call. It keeps a core busy while
    /// records flow (and for `idle_ms` after): worth it only with a core to
    /// spare and a writer thread that is the bottleneck.
    pub fn sqpoll_idle_ms(mut self, idle_ms: u32) -> Self {
        self.sqpoll_idle_ms = Some(idle_ms);
        self
    }

    /// Test hook: the io_uring probe fails as if `io_uring_setup` returned
    /// `EPERM`, so fallback paths can be tested where io_uring works.
    #[doc(hidden)]
    pub fn test_fail_io_uring_probe(mut self) -> Self {
        self.fail_uring_probe = true;
        self
    }

    /// Test hook: producers and the writer pair their wake-up fences with a
    /// `SeqCst` fence on both sides, as where `membarrier` is refused, so
    /// that fallback can be tested where `membarrier` works.
    #[doc(hidden)]
    pub fn test_wake_fence_fallback(mut self) -> Self {
        self.wake_fence = true;
        self
    }

    fn validate(&self) -> Result<(), BuildError> {
        if self.sinks.is_empty() {
            return Err(BuildError::NoSink);
        }
        check_range(
            "ring_capacity",
            self.ring_capacity,
            MIN_RING_CAPACITY,
            MAX_RING_CAPACITY,
            "bytes",
        )?;
        check_range("batch_size", self.batch_size, 1, MAX_BATCH_SIZE, "records")?;
        check_range(
            "batch_bytes",
            self.batch_bytes,
            MIN_BATCH_BYTES,
            MAX_BATCH_BYTES,
            "bytes",
        )?;
        check_range("io_depth", self.io_depth, 1, MAX_IO_DEPTH, "batches")?;
        if self.sync_interval_bytes < MIN_SYNC_INTERVAL_BYTES {
            return Err(BuildError::InvalidValue {
                setting: "sync_interval_bytes",
                value: self.sync_interval_bytes,
                reason: format!("too small: the minimum is {MIN_SYNC_INTERVAL_BYTES} bytes"),
            });
        }
        check_range(
            "sync_interval_ms",
            self.sync_interval_ms as usize,
            1,
            MAX_SYNC_INTERVAL_MS as usize,
            "ms",
        )?;
        if let Some(idle) = self.sqpoll_idle_ms {
            check_range(
                "sqpoll_idle_ms",
                idle as usize,
                1,
                MAX_SQPOLL_IDLE_MS as usize,
                "ms",
            )?;
        }
        Ok(())
    }

    /// Validates the configuration and starts the logger.
    ///
    /// In async mode this spawns the writer thread and returns once its I/O
    /// backend is open. Errors name the setting or the cause.
    pub fn build(self) -> Result<(Logger, WriterGuard), BuildError> {
        self.validate()?;
        let env_backend = crate::io::backend_from_env()?;
        let any_direct_io = self
            .sinks
            .iter()
            .any(|(s, _)| s.direct_io_alignment().is_some());
        let min_sink = self
            .sinks
            .iter()
            .map(|(_, o)| o.min_level.unwrap_or(Level::Trace))
            .min();
        let level = self.level.max(min_sink.unwrap_or(Level::Trace));
        let format = self.format;
        let slots = self
            .sinks
            .into_iter()
            .map(|(s, o)| {
                let level = o.min_level.unwrap_or(Level::Trace);
                SinkSlot::new(s, level, o.format.unwrap_or(format))
            })
            .collect();
        let plan = SyncPlan {
            durability: self.durability,
            interval_bytes: self.sync_interval_bytes,
            interval: Duration::from_millis(self.sync_interval_ms),
        };
        let sinks = SinkSet::new(slots, self.batch_bytes, plan);
        let (sync_writer, sinks) = match self.mode {
            Mode::Sync => (Some(Arc::new(SyncWriter::new(sinks))), None),
            _ => (None, Some(sinks)),
        };
        // Sync mode has no writer to wake: no need to register for membarrier.
        let wake = match self.mode {
            Mode::Sync => BarrierChoice {
                barrier: Barrier::Fence,
                note: "sync mode: no writer to wake".to_owned(),
            },
            _ => Barrier::detect(self.wake_fence),
        };
        let shared = Arc::new(Shared::new(
            level,
            min_sink.unwrap_or(Level::Trace),
            self.policy,
            self.mode,
            self.ring_capacity,
            self.clock.unwrap_or_else(|| match self.mode {
                Mode::Sync => Clock::Realtime,
                _ => Clock::best(),
            }),
            wake,
        ));
        let logger = Logger {
            shared: shared.clone(),
            sync_writer: sync_writer.clone(),
        };
        let Some(sinks) = sinks else {
            let _ = shared.backend.set(IoBackendInfo {
                kind: BackendKind::Pwrite,
                reason: "sync mode: the caller writes each record with pwrite".to_owned(),
            });
            return Ok((logger, WriterGuard::new(shared, None, sync_writer)));
        };
        let io = IoConfig {
            backend: env_backend.as_ref().map_or(self.backend, |e| e.0),
            backend_source: env_backend.map(|e| e.1),
            uring: UringConfig {
                depth: self.io_depth,
                sqpoll_idle_ms: self.sqpoll_idle_ms,
            },
            durability: self.durability,
            o_direct: any_direct_io,
            batch_bytes: self.batch_bytes,
            fail_probe: self.fail_uring_probe,
        };
        let cfg = WriterConfig {
            io,
            batch_size: self.batch_size as u64,
        };
        let writer = writer::spawn(shared.clone(), sinks, cfg)?;
        Ok((logger, WriterGuard::new(shared, Some(writer), None)))
    }
}

fn check_range(
    setting: &'static str,
    v: usize,
    min: usize,
    max: usize,
    unit: &str,
) -> Result<(), BuildError> {
    if v < min || v > max {
        let why = if v == 0 {
            format!("must be at least {min} {unit}")
        } else if v < min {
            format!("too small: one record needs room; the minimum is {min} {unit}")
        } else {
            format!("too large: the maximum is {max} {unit}")
        };
        return Err(BuildError::InvalidValue {
            setting,
            value: v as u64,
            reason: why,
        });
    }
    Ok(())
}
