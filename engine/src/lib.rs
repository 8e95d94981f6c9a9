//! uringlog: an asynchronous logging engine for latency-sensitive Linux services.
//!
//! A log call serializes its record into the calling thread's own wait-free
//! ring and returns; one writer thread drains every ring, formats and batches
//! the records and hands them to the kernel (pwrite, or io_uring).
//!
//! # Guarantees
//!
//! - **Hot path**: no allocation (once the thread's format buffer has grown),
//!   no lock, no syscall — except sleeping when `Policy::Block` waits for
//!   room, and one `futex` wake when the record finds the writer asleep (one
//!   per writer sleep, however long the burst). For a while after its last
//!   work the writer lingers instead of sleeping ([`Builder::linger_us`]):
//!   a record logged then pays no wake-up and is noticed within 250 µs. A
//!   record logged into an engine idle for longer wakes the writer at once;
//!   no record waits for a timeout to be noticed beyond a lingering step.
//! - **Order**: records from one thread (or one [`Producer`]) reach a sink in
//!   the order they were logged. Across threads, drain order.
//! - **Accounting**: `enqueued` counts every call that passed the level
//!   filter; after shutdown `written + dropped == enqueued` exactly. `Block`
//!   never drops a record for want of ring space (it waits); I/O errors,
//!   oversized records and calls after shutdown are still counted dropped.
//! - **Process exit**: a process that ends without shutting the logger
//!   down (`std::process::exit`, `_exit`, `abort`, a fatal signal) loses
//!   what its rings and unwritten batches held, uncounted; what
//!   [`Logger::flush`] saw written is in the kernel and survives it.
//!   Returning from `main` drains (the guard's `Drop`). The crate is Linux
//!   only: elsewhere it is one `compile_error!`.
//! - **No silent loss**: records refused by a policy, larger than the ring,
//!   logged after shutdown or lost to an I/O error are counted in
//!   [`Stats::dropped`]; I/O errors in [`Stats::errors`] and
//!   [`Logger::recent_errors`]. The writer never panics on I/O errors.
//! - **One record, one line**: no line break of any kind (LF, CR, U+0085,
//!   U+2028, U+2029) inside a record, in text or JSON lines, and an
//!   unambiguous grammar for each (see [`Format`]).
//! - **Bounded memory**: one ring of `ring_capacity` bytes per producer
//!   thread, batch buffers bounded by `batch_bytes` plus one record. A
//!   message or field set larger than the ring stops being copied once it
//!   is certain not to fit, and is counted oversized.
//! - **User code inside a call**: a `Display`, `Debug` or [`FieldValue`]
//!   that panics — through the macros, [`Logger::log`], a [`Producer`], the
//!   `log` facade or the `tracing` layer — counts its call enqueued and
//!   dropped and leaves the thread's producer working; one that logs has
//!   its record written (before the record it was formatting). A sink that
//!   logs on the writer thread (or a library it calls through the `log`
//!   facade or `tracing`) has its records written or counted, never
//!   blocks, and never loops; `flush` and `shutdown` called there fail at
//!   once.
//! - **Signal handlers** may log. A handler that interrupts a log call on
//!   its own thread does not wait for it: its record is counted enqueued
//!   and dropped, and the interrupted call goes on unharmed. Through a
//!   logger the thread has already logged through, a call whose arguments
//!   are all copied in binary (integers, floats, `bool`, `char`, strings
//!   and byte slices, `{}` placeholders) takes no lock and allocates
//!   nothing (once the thread's buffer has grown, as on the hot path); its
//!   one possible syscall is the writer's `futex` wake-up,
//!   which is async-signal-safe. Not async-signal-safe: a thread's first
//!   call through a logger (it registers a producer: an allocation and a
//!   lock), a call site's first record in crash-safe mode (it is added to
//!   the directory's table), and calls that format in the caller (user
//!   `Display`/`Debug` values, other format specs in crash-safe mode,
//!   [`Formatting::Caller`], [`Logger::log`], fields, the `log` facade):
//!   their formatting may allocate, for one when the handler interrupted a
//!   call that was using the thread's buffer.
//! - **Shutdown is bounded**: after [`WriterGuard::shutdown`]'s timeout,
//!   blocked producers return, in-flight I/O is cancelled and the writer
//!   ends, counting what it did not write as dropped.
//! - **Process exit and fork**: `exit()` (and returning from `main`) drains
//!   every logger whose guard was not shut down, within
//!   [`EXIT_DRAIN_TIMEOUT`]; `_exit`, `abort` and fatal signals lose what is
//!   not yet written. A forked child logs through what it inherited as a
//!   fresh process would: a writer of its own, the parent's unwritten
//!   records never written twice, its own counters (see [`Sink::for_fork_child`]).
//! - **I/O**: [`Backend::IoUring`] keeps up to `io_depth` batches in flight
//!   and syncs in the kernel; [`Backend::Pwrite`] writes each batch before
//!   going on; [`Backend::Auto`] chooses and [`Logger::io_backend`] says why.
//!   [`Logger::flush`] means "written to the kernel", [`Logger::flush_sync`]
//!   "and `fdatasync`ed"; [`Durability::Data`] syncs periodically.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use uringlog::{Level, Logger, MemorySink, Policy};
//!
//! let (sink, output) = MemorySink::new();
//! let (logger, guard) = Logger::builder()
//!     .sink(sink)
//!     .policy(Policy::Block)
//!     .level(Level::Info)
//!     .build()?;
//!
//! uringlog::info!(logger, "request id={} user={}", 42, "alice");
//! uringlog::debug!(logger, "not shown: below the level");
//! uringlog::warn!(logger, user = "alice", id = 42; "slow request");
//! logger.flush()?;
//! assert!(output.text().contains("INFO  rust_out: request id=42 user=alice\n"));
//! assert!(output.text().ends_with("WARN  rust_out: \"slow request\" user=alice id=42\n"));
//!
//! let stats = guard.shutdown(Duration::from_secs(5))?;
//! assert_eq!((stats.enqueued, stats.written, stats.dropped), (2, 2, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

// Linux only: io_uring, `pwritev2`, `O_APPEND`/`O_DIRECT` semantics,
// `/proc` and `gettid`. Elsewhere the crate is this one error, rather
// than a wall of unresolved names.
#[cfg(not(target_os = "linux"))]
compile_error!(
    "uringlog supports Linux only (it writes with io_uring and pwrite and reads /proc); \
     build it for a target with target_os = \"linux\""
);

mod macros;

/// Expands to `items` on Linux and to nothing elsewhere (see above).
macro_rules! linux_only {
    ($($item:item)*) => { $( #[cfg(target_os = "linux")] $item )* };
}

linux_only! {

mod builder;
mod callsite;
mod clock;
mod crash_safe;
mod deferred;
mod dirs;
mod error;
mod exit;
mod facade;
pub mod field;
mod filter;
mod fork;
mod fork_lock;
mod format;
mod front_ends;
mod io;
mod level;
mod lifecycle;
mod logger;
mod payload;
mod policy;
mod producer;
mod record;
mod reopen;
mod ring;
mod room_spin;
mod shared;
mod shutdown;
mod signal;
mod signal_mask;
mod sink;
mod stats;
mod sync;
mod sync_mode;
mod tid;
#[cfg(feature = "tracing")]
pub mod tracing;
mod wake;
mod writer;

/// How a unit test skips where the machine lacks a feature (shared with
/// the integration tests, which reach it through `uringlog_tests`).
#[cfg(test)]
#[path = "../../tests/src/skip.rs"]
#[allow(dead_code)] // Not every `Needs` is used by the unit tests.
mod test_skip;

pub use builder::{
    Builder, DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE, DEFAULT_IO_DEPTH, DEFAULT_LINGER_US,
    DEFAULT_RING_CAPACITY, MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_IO_DEPTH, MAX_LINGER_US,
    MAX_RING_CAPACITY, MAX_SQPOLL_IDLE_MS,
    MAX_SYNC_INTERVAL_MS, MIN_BATCH_BYTES, MIN_RING_CAPACITY, MIN_SYNC_INTERVAL_BYTES,
};
pub use callsite::CallSite;
pub use clock::{Clock, ManualClock, TscRate};
pub use error::{BuildError, FlushError, ReopenError, ShutdownError};
pub use exit::EXIT_DRAIN_TIMEOUT;
pub use facade::logger;
pub use field::{display, DebugValue, DisplayValue, Field, FieldValue, FieldWriter, Fields, Value};
pub use filter::CallsiteCache;
pub use format::{Format, Record, RecordFormat, Rfc3339, Styling, TimeOffset, Timestamp};
pub use io::{BackendKind, IoBackendInfo};
pub use level::{Level, ParseLevelError};
pub use logger::Logger;
#[doc(hidden)]
pub use macros::__field_key;
pub use policy::{Backend, Durability, Formatting, Mode, Policy, Prefault};
pub use producer::Producer;
pub use shutdown::{WriterGuard, DROP_SHUTDOWN_TIMEOUT};
pub use sink::{
    Backlog, BatchInfo, BatchLimit, BatchRecord, Completion, MemoryHandle, MemorySink, RecordBatch,
    ReopenCause, Settled, SharedFd, Sink, SinkContext, SinkOptions, Target, Ticket, WriteOutcome,
};
pub use stats::Stats;

/// The proleptic Gregorian date of a day counted from 1970-01-01.
#[doc(hidden)]
#[deprecated(since = "0.1.0", note = "not a logging API; it will be removed")]
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    clock::civil_from_days(days)
}

/// Shows a field value through its `Debug` impl.
#[doc(hidden)]
#[deprecated(
    since = "0.1.0",
    note = "use `uringlog::field::debug`: `uringlog::debug` also names the `debug!` macro"
)]
pub fn debug<T: std::fmt::Debug>(value: T) -> DebugValue<T> {
    field::debug(value)
}

/// What the macros (and the sibling crates) use; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::{CallSite, CustomFmt, Slot};
    pub use crate::clock::civil_from_days;
    /// `create_dir_all` that says why a path that exists is not taken
    /// (see `dirs`).
    pub use crate::dirs::create_dir_all;
    pub use crate::deferred::encode::{
        Cursor, CustomSpecs, EncodeArgs, FmtArg, Plain, PlainArg, PlainCopy, PlainVal, PreBuf,
        ViaCopy, ViaFmt, ViaPlain, Wrap,
    };
    pub use crate::deferred::fails_as_format::ExpPrecision;
    pub use uringlog_macros::deferred;
    /// Registers a `pthread_atfork` handler once per process, safely
    /// across forks (see `fork::install_in`): its child handler stores
    /// [`FORK_HANDLER_HOOKED`] in the state.
    pub use crate::fork::{
        install_in as register_fork_handler, HOOKED as FORK_HANDLER_HOOKED,
        UNHOOKED as FORK_HANDLER_UNHOOKED,
    };
    /// The count of the process's forks, and a section run only if it has
    /// not moved, with no fork during it (for a file sink about to
    /// truncate its file; see `fork::forks`).
    pub use crate::fork::{forks, unless_forked_since};
    /// A lock that a forked child can free or a fork handler hold across
    /// the fork (see `fork_lock`).
    pub use crate::fork_lock::{ForkLock, ForkLockGuard};

    /// Crash-safe recovery over arbitrary bytes (the fuzz target's entry).
    #[cfg(fuzzing)]
    pub fn fuzz_recover(input: &[u8]) {
        crate::crash_safe::recover::fuzz(input)
    }
}
}
