//! `Builder`: validated configuration, limits and start-up.

use crate::clock::Clock;
use crate::error::BuildError;
use crate::filter::directive::Directives;
use crate::fork::{Lineage, Recipe};
use crate::format::Format;
use crate::io::uring::{FutexWait, UringConfig, DEFAULT_DEPTH, MAX_DEPTH};
use crate::io::{BackendKind, IoBackendInfo, IoConfig};
use crate::level::Level;
use crate::logger::Logger;
use crate::policy::{Backend, Durability, Formatting, Mode, Policy, Prefault};
use crate::room_spin::WriterCpu;
use crate::shared::{CallConfig, Padded, Shared};
use crate::shutdown::WriterGuard;
use crate::signal::Registration;
use crate::sink::{Sink, SinkContext, SinkOptions};
use crate::sync_mode::SyncWriter;
use crate::wake::{Barrier, BarrierChoice, EventRef, Linger};
use crate::writer::durability::SyncPlan;
use crate::writer::sinks::{SinkSet, SinkSlot};
use crate::writer::{self, WriterConfig};
use std::sync::Arc;
use std::time::Duration;

/// Default `ring_capacity`: bytes per producer ring.
pub const DEFAULT_RING_CAPACITY: usize = 256 * 1024;
/// Default `batch_size`: records per batch. A bound for very short lines
/// only: lines of more than 32 bytes reach [`DEFAULT_BATCH_BYTES`] first.
pub const DEFAULT_BATCH_SIZE: usize = 4096;
/// Default `batch_bytes`: bytes that close a batch, about 1,300 lines of
/// ~100 bytes.
///
/// Each batch costs one write system call or, with io_uring, one io-wq
/// worker wake-up (ext4 and tmpfs have no non-blocking buffered write, so
/// every write is punted to a worker), and these fixed costs fall with
/// the batch. So does one in the page cache: a batch ends on a whole
/// record, inside a page, and the folios the kernel allocates where one
/// write ends and the next begins are small (each is sized by the bytes
/// left in its write and by the alignment of its index): a 128 KiB batch
/// of 100-byte lines takes six folios where an aligned 128 KiB write
/// takes one. Measured on 2 CPUs (ext4, Linux 6.18; the bench example
/// `write_sizes`, its `batch` rows), the kernel's CPU per 100 bytes
/// appended was 55 ns in 25 KB writes (256 records, an earlier default)
/// and 39, 32, 28, 26 and 24 ns in writes of 64, 128, 256, 512 and
/// 1,024 KiB and a partial record. 1,000,000 lines through io_uring woke
/// threads 5,051 times with 256-record batches and 1,115 times with
/// 128 KiB ones (example `thread_costs`). A batch buffer stays resident at
/// this size once a batch has filled it (two in use with pwrite, up to
/// `io_depth` + 2 with io_uring): 256 KiB takes 13% off the kernel's cost
/// per byte of 128 KiB, but the bench's one-producer run peaked 0.4 to
/// 0.5 MiB higher (6.0 against 6.4 to 6.5 MiB), so the default stays at
/// 128 KiB; a service that logs at full rate and has the memory may set
/// more. A lone record is not held back: a batch also goes as soon as the
/// rings run dry.
pub const DEFAULT_BATCH_BYTES: usize = 128 * 1024;

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
// Every record a ring can hold has a length that fits the header's 32 bits.
const _: () = assert!(MAX_RING_CAPACITY <= u32::MAX as usize);
const _: () = assert!(MIN_BATCH_BYTES <= MAX_BATCH_BYTES && MIN_RING_CAPACITY <= MAX_RING_CAPACITY);
/// Largest `io_depth` accepted (batches in flight with io_uring).
pub const MAX_IO_DEPTH: usize = MAX_DEPTH;
/// Default `io_depth` (batches in flight with io_uring).
pub const DEFAULT_IO_DEPTH: usize = DEFAULT_DEPTH;
/// Smallest `sync_interval_bytes` accepted.
pub const MIN_SYNC_INTERVAL_BYTES: u64 = 64 * 1024;
/// Largest `sync_interval_ms` accepted (one hour).
pub const MAX_SYNC_INTERVAL_MS: u64 = 3_600_000;
/// Largest `sqpoll_idle_ms` accepted.
pub const MAX_SQPOLL_IDLE_MS: u32 = 60_000;
/// Default `linger_us`: how long the idle writer polls before it sleeps
/// until woken. Longer than the pauses of bursty logging (the report's
/// latency section pauses 3 ms), short enough that a writer idle for good
/// stops waking within a blink.
pub const DEFAULT_LINGER_US: u64 = 5_000;
/// Largest `linger_us` accepted (one minute, as `sqpoll_idle_ms`).
pub const MAX_LINGER_US: u64 = 60_000_000;

/// Configures and starts a logger.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`sink`](Builder::sink) | none (required) | where records go; call again to fan out |
/// | [`sink_with`](Builder::sink_with) | — | a sink with its own minimum level and format |
/// | [`format`](Builder::format) | `Format::text()` | format of sinks added without one |
/// | [`level`](Builder::level) | `Info` | minimum level accepted (the default of the filter) |
/// | [`filter`](Builder::filter) / [`filter_from_env`](Builder::filter_from_env) | none | per-target levels, `RUST_LOG` syntax |
/// | [`policy`](Builder::policy) | `Block` | what a call does when its ring is full |
/// | [`mode`](Builder::mode) | `Async` | writer thread, or write in the caller |
/// | [`formatting`](Builder::formatting) | `Deferred` | the writer formats from binary arguments, or the caller formats |
/// | [`prefault`](Builder::prefault) | `Ring` | map a ring's memory when its thread registers, or as records reach it |
/// | [`backend`](Builder::backend) | `Auto` | io_uring or pwrite |
/// | [`ring_capacity`](Builder::ring_capacity) | 256 KiB | bytes per producer ring (256 B ..= 1 GiB) |
/// | [`batch_size`](Builder::batch_size) | 4,096 | records per batch (1 ..= 1,048,576) |
/// | [`batch_bytes`](Builder::batch_bytes) | 128 KiB | bytes that close a batch (4 KiB ..= 64 MiB); with lines of more than 32 bytes the bound that applies |
/// | [`clock`](Builder::clock) | [`Clock::best`] (async), `Realtime` (sync) | timestamp source |
/// | [`durability`](Builder::durability) | `None` | periodic `fdatasync` of file sinks |
/// | [`sync_interval_bytes`](Builder::sync_interval_bytes) | 8 MiB | bytes between periodic syncs (`Durability::Data`) |
/// | [`sync_interval_ms`](Builder::sync_interval_ms) | 1000 | longest time between periodic syncs while writing |
/// | [`io_depth`](Builder::io_depth) | 2 | io_uring: batches in flight (1 ..= 32) |
/// | [`sqpoll_idle_ms`](Builder::sqpoll_idle_ms) | off | io_uring: a kernel thread polls the submission queue |
/// | [`linger_us`](Builder::linger_us) | 5,000 | how long the idle writer polls before it sleeps until woken (0 ..= 60,000,000; 0: at once) |
/// | [`reopen_on_signal`](Builder::reopen_on_signal) | off | a signal (e.g. `SIGHUP`) that makes file sinks reopen their paths |
/// | [`crash_safe`](Builder::crash_safe) | off | rings in files under a directory: records survive the process's death |
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
    formatting: Formatting,
    prefault: Prefault,
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
    linger_us: u64,
    reopen_signal: Option<i32>,
    fail_uring_probe: bool,
    /// Test hook: the wake protocol uses the fence fallback.
    wake_fence: bool,
    /// Test hook: io_uring waits as on kernels without `IORING_OP_FUTEX_WAIT`.
    no_uring_futex_wait: bool,
    /// `Block` producers park at once (see `test_no_room_spin`).
    no_room_spin: bool,
    /// Crash-safe mode's directory.
    crash_safe: Option<std::path::PathBuf>,
    /// Directives and where they came from.
    filter: Option<FilterSpec>,
}

/// Directives given to the builder.
#[derive(Clone)]
enum FilterSpec {
    /// `(directives, source)`: source is `"filter"` or a variable's name.
    Given(String, String),
    /// The variable is set but not valid Unicode.
    NotUnicode(String),
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            sinks: Vec::new(),
            format: Format::text(),
            level: Level::Info,
            policy: Policy::Block,
            mode: Mode::Async,
            formatting: Formatting::Deferred,
            prefault: Prefault::Ring,
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
            linger_us: DEFAULT_LINGER_US,
            reopen_signal: None,
            fail_uring_probe: false,
            wake_fence: false,
            no_uring_futex_wait: false,
            no_room_spin: false,
            crash_safe: None,
            filter: None,
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

    /// Per-target levels in the `env_logger` / `EnvFilter` directive
    /// syntax, for every front end (the macros, `log`, `tracing`):
    /// `"info,app::db=debug,hyper=off"`.
    ///
    /// Comma-separated items: a bare level sets the default level
    /// (overriding [`level`](Builder::level)); `target=level` sets the level
    /// of targets starting with `target` (a plain prefix, as in
    /// `env_logger`: `hyper` covers `hyper_util` too), the longest matching
    /// prefix winning; a bare `target` means `target=trace`. Levels are
    /// `trace`, `debug`, `info`, `warn`, `error`, `off`, in any case, or
    /// `0` (off) to `5` (trace) as `EnvFilter` takes them. An
    /// item that does not parse, or uses `EnvFilter`'s span/field filters,
    /// makes `build` fail with [`BuildError::InvalidFilter`] naming it.
    /// Calling it again replaces the directives.
    ///
    /// A disabled call site costs a cached decision, not a string
    /// comparison: see [`CallsiteCache`](crate::CallsiteCache).
    /// [`Logger::set_level`] later changes the default level only.
    ///
    /// ```
    /// use uringlog::{Format, Logger, MemorySink, Timestamp};
    /// let (sink, out) = MemorySink::new();
    /// let (logger, guard) = Logger::builder()
    ///     .sink(sink)
    ///     .format(Format::text().timestamp(Timestamp::Off))
    ///     .filter("warn,app::db=debug")
    ///     .build()?;
    /// uringlog::debug!(logger, target: "app::db", "query");
    /// uringlog::debug!(logger, target: "app::http", "dropped by the filter");
    /// uringlog::warn!(logger, target: "app::http", "slow");
    /// guard.shutdown(std::time::Duration::from_secs(5))?;
    /// assert_eq!(out.text(), "DEBUG app::db: query\nWARN  app::http: slow\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`Logger::set_level`]: crate::Logger::set_level
    pub fn filter(mut self, directives: impl Into<String>) -> Self {
        self.filter = Some(FilterSpec::Given(directives.into(), "filter".to_owned()));
        self
    }

    /// [`filter`](Builder::filter) with the value of the environment
    /// variable `var` (usually `"RUST_LOG"`), read now, when it is set and
    /// not blank; otherwise the builder is unchanged (its level stands).
    /// Errors name the variable.
    pub fn filter_from_env(mut self, var: &str) -> Self {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => {
                self.filter = Some(FilterSpec::Given(v, var.to_owned()));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                self.filter = Some(FilterSpec::NotUnicode(var.to_owned()));
            }
            _ => {}
        }
        self
    }

    /// Parses the directives; a bare level among them replaces `level`.
    fn directives(&mut self) -> Result<Directives, BuildError> {
        let (spec, source) = match self.filter.take() {
            None => return Ok(Directives::default()),
            Some(FilterSpec::NotUnicode(var)) => {
                return Err(BuildError::InvalidFilter {
                    source: var,
                    directive: String::new(),
                    reason: "the value is not valid Unicode".to_owned(),
                })
            }
            Some(FilterSpec::Given(spec, source)) => (spec, source),
        };
        let d = Directives::parse(&spec).map_err(|e| BuildError::InvalidFilter {
            source,
            directive: e.directive,
            reason: e.reason,
        })?;
        if let Some(level) = d.default {
            self.level = level;
        }
        Ok(d)
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

    /// Where messages are formatted: by the writer from the arguments
    /// (`Deferred`), or by the caller (`Caller`, for records that must be
    /// readable outside this process). The output bytes are the same.
    pub fn formatting(mut self, formatting: Formatting) -> Self {
        self.formatting = formatting;
        self
    }

    /// When a `Block`/`DropNewest` ring gets its memory: all at the
    /// thread's first call (`Ring`), or page by page as records reach it
    /// (`Lazy`). `DropOldest` rings are always written whole when created.
    pub fn prefault(mut self, prefault: Prefault) -> Self {
        self.prefault = prefault;
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

    /// How long the writer, out of work, keeps polling the rings before it
    /// sleeps until a record wakes it: `us` microseconds after it last took
    /// a record (or served a flush, sync or reopen).
    ///
    /// While it lingers the writer sleeps in steps of 50–200 µs (plus
    /// the kernel's timer slack) without telling producers, so a record
    /// logged then costs its caller no wake-up syscall (1–2 µs, the first
    /// call of each burst otherwise pays it) and reaches the sink within a
    /// step. The price is the writer's: a timer wake-up per step for `us`
    /// after each burst, none once it sleeps. 0 parks at once (every record
    /// into an idle writer then pays the wake-up). At most one minute.
    pub fn linger_us(mut self, us: u64) -> Self {
        self.linger_us = us;
        self
    }

    /// Reopens every file sink's path when the process receives `signo`
    /// (e.g. `libc::SIGHUP`, which most daemons reopen their logs on after
    /// logrotate renamed them): what [`Logger::reopen`] does, started by a
    /// signal. Sinks that rotate on their own are left alone.
    ///
    /// The handler does only async-signal-safe work: it counts the signal
    /// for every logger that asked for it and wakes that logger's writer
    /// (no lock, no allocation; at most one `futex` wake per logger), then
    /// calls the handler that was installed before, if there was one. A
    /// default disposition is replaced, not called: with `SIGHUP`, the
    /// process no longer terminates. The writer acts on the count at the
    /// top of every turn of its loop — before it takes further records
    /// from the rings when busy, at once when idle (the signal wakes it);
    /// in sync mode, before the next record is written. Records logged
    /// before that go to the old file.
    ///
    /// Several loggers may use the same signal. The handler stays while
    /// any of them runs or has a `Logger` handle alive, or a front end
    /// holds it (the `log` facade for good, a `tracing` layer or writer
    /// until it is dropped): a signal after
    /// [`WriterGuard::shutdown`] while the service still holds its logger
    /// is caught and does nothing (a `SIGHUP` left at its default would
    /// end the process). When the last of them is gone — writer stopped
    /// and last handle and front end dropped — the previous disposition
    /// comes back (unless another handler was installed on top of ours
    /// meanwhile; ours then stays and chains). A forked child keeps the
    /// handler it inherited for its whole life.
    /// `build` refuses signals that cannot be caught or that report faults
    /// (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`,
    /// `SIGTRAP`, `SIGSYS`, `SIGABRT`), and more than 32 running loggers
    /// reopening on signals at once (one shut down no longer counts, even
    /// while its handles live).
    pub fn reopen_on_signal(mut self, signo: i32) -> Self {
        self.reopen_signal = Some(signo);
        self
    }

    /// Crash-safe mode: each producer's ring is a preallocated file in
    /// `dir`, mapped shared, so every record whose log call returned
    /// survives the death of the process (`SIGKILL`, `abort`, a segfault)
    /// and is written by the next logger built on `dir` — first, in each
    /// producer's order, after one record saying how many were recovered,
    /// from which pid, and how many torn or corrupt ones were skipped.
    ///
    /// - `build` creates `dir` if missing and locks it: a second process
    ///   gets [`BuildError::CrashSafe`] naming the holder's pid.
    /// - The logging macros keep deferred formatting: the first record
    ///   from each call site appends the call site's description (format
    ///   string pieces, file, line, target) to a call-site table in `dir`,
    ///   and values under specs other than `{}` are formatted in the
    ///   caller; recovery renders each record from the dead process's
    ///   table, byte for byte what its writer would have written.
    /// - `Block` and `DropNewest` only: `DropOldest` and `Mode::Sync` are
    ///   refused ([`BuildError::Unsupported`]).
    /// - A shutdown that wrote every record it read leaves `dir` without
    ///   pending data, even when it timed out after the last write (a
    ///   slow `Sink::close`). A shutdown that gave up on a stuck sink
    ///   (see [`crate::WriterGuard::shutdown`]), or whose final writes
    ///   dropped records (a failed write, records a deferred sink left
    ///   unsettled), leaves it as a crash would, unlocked: what it counted
    ///   dropped is written by the next logger built on `dir` (file sinks
    ///   cut back first; other sinks may get records of the last commit
    ///   interval twice).
    /// - A forked child never touches the parent's ring files: it logs
    ///   through its own engine, whose rings are in memory (the directory
    ///   is the parent's). A child may build a crash-safe logger on
    ///   another directory. The directory's lock stays the parent's: a
    ///   child that outlives its parent (killed) does not keep the
    ///   service started again from building on the directory.
    ///
    /// What is guaranteed, per sink kind:
    ///
    /// - Files appended to (`FileSink`, the rolling sink's current file):
    ///   every record whose call returned is in the file exactly once, in
    ///   producer order; a batch in flight at the crash is cut back and
    ///   written again.
    /// - Rotation between the last commit and the crash: the records not
    ///   committed go to the file the recovering logger's sink names (the
    ///   new one), and are cut from the file they went to — a file renamed
    ///   within its directory (logrotate's rename, with or without
    ///   `reopen`) is found by its identity; a file truncated under the
    ///   logger (`copytruncate`) is cut to its length at the first batch
    ///   after the truncation. What `copytruncate` copied away after the
    ///   last commit is also in the copy. A file moved to another
    ///   directory, a file the state cannot name (its path longer than the
    ///   state's slot allows), and a truncation between two batches of one
    ///   commit interval can leave the batch in flight twice; after such a
    ///   truncation the cut can also fall inside a line. So can a file the
    ///   state file's owner does not own, unless root owns the state file
    ///   (a log owned by another user, say `root:adm` mode 664): a state
    ///   file another user could write names no file of the recovering
    ///   user's to cut, and the recovery record says it left one whole.
    /// - A file another writer appends to as well (a forked child logging
    ///   to the same file): recovery cuts no more than the dead process
    ///   counted as appended since its last commit, so the other writer's
    ///   lines are kept; when they follow the dead process's last batch,
    ///   that batch may be in the file twice (the recovery record says
    ///   so). One window remains: bytes are counted before they are
    ///   written, so a write that never landed (the process killed with
    ///   an `io_uring` write pending, or a failed write) lets up to that
    ///   many bytes the other writer appended meanwhile be cut.
    /// - Other sinks (stdout, memory, network): at least once — records of
    ///   the batch in flight at the crash may appear twice.
    /// - A recovery that cannot write everything fails `build` with
    ///   [`BuildError::CrashSafe`] naming the cause, and the directory
    ///   keeps everything for the next start: a write error (`EIO`, a full
    ///   disk), or a network sink that did not deliver the recovered
    ///   records within its flush timeout (its receiver down).
    /// - Only the death of the process is covered: after a power loss or a
    ///   kernel crash, what the page cache had not written back is gone;
    ///   torn records are detected by their crc32c and skipped (counted),
    ///   but for the newest record of each thread, whose crc the next
    ///   record would have carried: it is checked by its sequence number,
    ///   header and values only.
    /// - The call-site table deleted, cut short or replaced (a file, a
    ///   symlink, a FIFO at its name) by someone else while the process
    ///   runs is written again at the next commit; records pending when
    ///   the process dies before that are written with their values only
    ///   (counted in the recovery record), not skipped. A ring file cut
    ///   short while the process runs is a shared mapping losing its
    ///   pages: the next access to them kills the process with `SIGBUS`,
    ///   as for any `MAP_SHARED` file; leave `dir` to the logger.
    /// - A ring file found cut short (a disk that lost its tail) gives the
    ///   records before the cut whose crc32c is checked (the rule is in
    ///   the crate's `crash_safe::layout` docs); the rest is counted
    ///   skipped. Entries of `dir` named like its files (`ring-*`,
    ///   `sites-*`) that are FIFOs, sockets, devices or symbolic links are
    ///   never opened: said once, by path, and removed; a directory so
    ///   named fails `build` naming it, before anything is written, and
    ///   so does a `lock` that is not a regular file (never written
    ///   through: a symbolic link's target is not cut). A
    ///   recovered file that cannot be removed (append-only, immutable) is
    ///   said at each start and its records are not written again.
    /// - Recovered records that cannot be written (`EIO`, a full disk) make
    ///   `build` fail with [`BuildError::CrashSafe`] naming the error; `dir`
    ///   keeps them for the next attempt. Records that fail to write while
    ///   the process runs are counted dropped, not kept in `dir`.
    ///
    /// Recovery holds one ring file's bytes and at most 1 MiB of records
    /// in memory, however many ring files `dir` holds: past that it reads
    /// each ring file a second time, when it writes its records.
    ///
    /// The layout is versioned and checksummed, and recovery treats the
    /// files as untrusted. A file of a newer layout version (a directory
    /// left by a newer uringlog) fails `build` with
    /// [`BuildError::CrashSafe`] naming it, and stays as it is; so does a
    /// directory this process cannot create files in, before anything is
    /// recovered, and one holding a state file, ring file or call-site
    /// table that cannot be read (`EIO`, no permission), or a ring file
    /// or call-site table written by another process than the one the
    /// state file names (one of them copied in from another directory):
    /// each is named, and the directory kept as it is for a later start —
    /// no record taken for another directory's, none removed. The
    /// `uringlog-recover DIR [--out FILE]` binary does the same recovery
    /// offline.
    pub fn crash_safe(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.crash_safe = Some(dir.into());
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

    /// Test hook: the io_uring backend does not use `IORING_OP_FUTEX_WAIT`
    /// (waits as on kernels before 6.7), so that fallback can be tested
    /// where the opcode exists.
    #[doc(hidden)]
    pub fn test_no_io_uring_futex_wait(mut self) -> Self {
        self.no_uring_futex_wait = true;
        self
    }

    /// Test hook: a `Block` producer whose ring is full parks at once
    /// instead of spinning while the writer drains on another CPU (see
    /// `room_spin`), so the parking path can be tested on any machine.
    #[doc(hidden)]
    pub fn test_no_room_spin(mut self) -> Self {
        self.no_room_spin = true;
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
        check_range(
            "linger_us",
            self.linger_us as usize,
            0,
            MAX_LINGER_US as usize,
            "µs",
        )?;
        if let Some(signo) = self.reopen_signal {
            if let Some(reason) = crate::signal::refuse(signo) {
                return Err(signal_refused(signo, reason.to_owned()));
            }
        }
        Ok(())
    }

    /// Validates the configuration and starts the logger.
    ///
    /// In async mode this spawns the writer thread and returns once its I/O
    /// backend is open. Errors name the setting or the cause.
    ///
    /// It also keeps what a forked child needs to start the logger again
    /// (the settings and a copy of each sink that supports it, see
    /// [`Sink::for_fork_child`]) and lists the logger for the exit hook, so
    /// `std::process::exit` writes what was logged (see [`crate::WriterGuard`]).
    pub fn build(self) -> Result<(Logger, WriterGuard), BuildError> {
        let lineage = Arc::new(Lineage::new(self.recipe()));
        self.build_in(lineage)
    }

    /// What a forked child starts this logger again from.
    fn recipe(&self) -> Recipe {
        let mut twins = Vec::new();
        let mut missing = Vec::new();
        for (s, o) in &self.sinks {
            match crate::fork::copy_for_child(&**s) {
                Ok(twin) => twins.push((twin, *o)),
                Err(described) => missing.push(described),
            }
        }
        Recipe {
            settings: self.settings(),
            twins,
            missing,
        }
    }

    /// The settings, without the sinks.
    pub(crate) fn settings(&self) -> Builder {
        Builder {
            sinks: Vec::new(),
            format: self.format,
            level: self.level,
            policy: self.policy,
            mode: self.mode,
            formatting: self.formatting,
            prefault: self.prefault,
            backend: self.backend,
            ring_capacity: self.ring_capacity,
            batch_size: self.batch_size,
            batch_bytes: self.batch_bytes,
            clock: self.clock.clone(),
            durability: self.durability,
            sync_interval_bytes: self.sync_interval_bytes,
            sync_interval_ms: self.sync_interval_ms,
            io_depth: self.io_depth,
            sqpoll_idle_ms: self.sqpoll_idle_ms,
            linger_us: self.linger_us,
            fail_uring_probe: self.fail_uring_probe,
            reopen_signal: self.reopen_signal,
            filter: self.filter.clone(),
            wake_fence: self.wake_fence,
            no_uring_futex_wait: self.no_uring_futex_wait,
            no_room_spin: self.no_room_spin,
            // The directory is the parent's (locked by it, its rings in
            // it): a forked child's successor keeps its rings in memory.
            crash_safe: None,
        }
    }

    /// [`Builder::build`] as part of `lineage`: the logger's own, or in a
    /// forked child the inherited logger's (see `fork`).
    pub(crate) fn build_in(
        mut self,
        lineage: Arc<Lineage>,
    ) -> Result<(Logger, WriterGuard), BuildError> {
        self.validate()?;
        let targets = self.directives()?;
        // Before anything a forked child must know about (directory locks,
        // signal slots, the producer cache).
        crate::fork::install_hook().map_err(BuildError::ForkHandler)?;
        let crash = self.open_crash_safe()?;
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
        let ctx = SinkContext::new(self.policy);
        let slots: Vec<SinkSlot> = self
            .sinks
            .into_iter()
            .map(|(s, o)| {
                let level = o.min_level.unwrap_or(Level::Trace);
                SinkSlot::with_context(s, level, o.format.unwrap_or(format), &ctx)
            })
            .collect();
        let call_sites = slots.iter().any(SinkSlot::wants_call_site);
        let plan = SyncPlan {
            durability: self.durability,
            interval_bytes: self.sync_interval_bytes,
            interval: Duration::from_millis(self.sync_interval_ms),
        };
        let mut sinks = SinkSet::new(slots, self.batch_bytes, plan);
        if self.mode == Mode::Sync {
            // The caller writes each batch before it takes the next (the
            // writer thread reserves its own once its backend is known).
            sinks.reserve_buffers(0)?;
        }
        // Sync mode has no writer to wake: no need to register for membarrier.
        let wake = match self.mode {
            Mode::Sync => BarrierChoice::no_writer("sync mode"),
            _ => Barrier::detect(self.wake_fence),
        };
        let mut shared = Shared::new(
            level,
            min_sink.unwrap_or(Level::Trace),
            self.policy,
            self.mode,
            CallConfig {
                formatting: self.formatting,
                prefault: self.prefault,
                call_sites,
            },
            self.ring_capacity,
            self.clock.unwrap_or_else(|| match self.mode {
                Mode::Sync => Clock::Realtime,
                _ => Clock::best(),
            }),
        )
        .with_wake(wake)
        .with_targets(targets)
        .with_lineage(lineage);
        shared.crash_safe = crash.as_ref().map(|c| c.dir.clone());
        if self.no_room_spin {
            shared.writer_cpu = Padded(WriterCpu::off());
        }
        let shared = Arc::new(shared);
        let signal = match self.reopen_signal {
            Some(signo) => {
                // A signal wakes the writer; in sync mode the caller acts on it.
                let wake = (self.mode != Mode::Sync)
                    .then(|| EventRef::new(shared.clone(), |s: &Shared| &s.wake));
                let r = Registration::new(signo, wake);
                let r = r.map_err(|e| signal_refused(signo, e.to_string()))?;
                shared.lifecycle.keep_signal(r.hold());
                Some(r)
            }
            None => None,
        };
        if self.mode == Mode::Sync {
            return Ok(start_sync(shared, sinks, signal));
        }
        let io = IoConfig {
            backend: env_backend.as_ref().map_or(self.backend, |e| e.0),
            backend_source: env_backend.map(|e| e.1),
            uring: UringConfig {
                depth: self.io_depth,
                sqpoll_idle_ms: self.sqpoll_idle_ms,
                futex_wait: match self.no_uring_futex_wait {
                    true => FutexWait::Off,
                    false => FutexWait::IfAvailable,
                },
            },
            durability: self.durability,
            o_direct: any_direct_io,
            batch_bytes: self.batch_bytes,
            fail_probe: self.fail_uring_probe,
            cancel: shared.cancel.clone(),
        };
        let cfg = WriterConfig {
            io,
            batch_size: self.batch_size as u64,
            signal,
            crash,
            linger: Linger::new(Duration::from_micros(self.linger_us)),
        };
        let writer = writer::spawn(shared.clone(), sinks, cfg)?;
        let exit = crate::exit::register(&shared);
        let logger = Logger::from_shared(shared.clone(), None);
        Ok((
            logger,
            WriterGuard::new(shared, Some(writer), None, Some(exit)),
        ))
    }
}

impl Builder {
    /// Crash-safe mode: checks the configuration, locks the directory and
    /// reads what it holds; the writer writes that before `build` returns.
    fn open_crash_safe(&mut self) -> Result<Option<crate::crash_safe::CrashStart>, BuildError> {
        let Some(dir) = &self.crash_safe else {
            return Ok(None);
        };
        let refuse = |what: &str, reason: &str| BuildError::Unsupported {
            what: format!("crash_safe with {what}"),
            reason: reason.to_owned(),
        };
        if self.policy == Policy::DropOldest {
            return Err(refuse(
                "Policy::DropOldest",
                "the overwriting ring does not live in a file; use Block or DropNewest",
            ));
        }
        if self.mode == Mode::Sync {
            return Err(refuse(
                "Mode::Sync",
                "sync mode writes each record before the call returns and stages nothing",
            ));
        }
        let prefault = self.prefault == Prefault::Ring;
        let (dir, recovered) =
            crate::crash_safe::CrashDir::open(dir, self.ring_capacity, prefault)?;
        Ok(Some(crate::crash_safe::CrashStart { dir, recovered }))
    }
}

fn signal_refused(signo: i32, reason: String) -> BuildError {
    BuildError::Unsupported {
        what: format!("reopen_on_signal({signo})"),
        reason,
    }
}

/// A sync-mode logger: the caller writes, through its `SyncWriter`.
fn start_sync(
    shared: Arc<Shared>,
    sinks: SinkSet,
    signal: Option<Registration>,
) -> (Logger, WriterGuard) {
    shared.backend.set(IoBackendInfo {
        kind: BackendKind::Pwrite,
        reason: "sync mode: the caller writes each record with pwrite".to_owned(),
    });
    let w = Arc::new(SyncWriter::new(sinks, signal, shared.cancel.clone()));
    let logger = Logger::from_shared(shared.clone(), Some(w.clone()));
    (logger, WriterGuard::new(shared, None, Some(w), None))
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
