//! What the engine does when a producer's ring is full, and how it runs.

/// What a log call does when its thread's ring has no room for the record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// Wait for the writer to free room: spin briefly, then park. Never drops
    /// (except after shutdown, when the record is counted dropped, and on
    /// the writer thread itself — a sink, or a library it calls, logging
    /// into its own logger — which cannot wait for itself: there a record
    /// that finds the ring full is counted dropped).
    #[default]
    Block,
    /// Discard the new record and count it in `Stats::dropped`. Never waits.
    DropNewest,
    /// Discard the oldest records the writer has not taken yet to make room
    /// for the new one, counting each. Never waits, never locks.
    ///
    /// The ring is made of 64-byte slots (56 bytes of payload each, the first
    /// slot of a record spending 16 of them on the ring's own header), so it
    /// holds `ring_capacity / 64` slots and each record takes
    /// `ceil((16 + len) / 56)` of them, `len` being the framed record (16-byte
    /// header + target + message). The last record logged is always written.
    DropOldest,
}

/// Where records are formatted and written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// The caller enqueues into its ring; the writer thread formats and writes.
    #[default]
    Async,
    /// The caller formats the same bytes and writes them itself, under a
    /// mutex, before the call returns. The baseline the report compares to.
    Sync,
}

/// Where a message is formatted: by the writer from the arguments (the
/// default), or by the caller.
///
/// ```
/// use uringlog::{Formatting, Logger, MemorySink};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .formatting(Formatting::Caller)
///     .build()?;
/// uringlog::info!(logger, "x={:>4}", 7);
/// logger.flush()?;
/// assert!(out.text().ends_with("x=   7\n"));
/// # drop(guard);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Formatting {
    /// The macros copy integers, floats, `bool`, `char`, strings and byte
    /// slices into the record in binary and the writer formats the message;
    /// other types are formatted by the caller. Records refer to the log
    /// statement's static metadata by address, so they mean something only
    /// inside this process.
    #[default]
    Deferred,
    /// Every message is formatted by the caller and records carry text
    /// only: for records that must be readable outside this process (or
    /// after it is gone). Output is the same bytes either way.
    Caller,
}

/// When a producer's ring gets its memory.
///
/// A ring's pages are mapped by the kernel on first write; a record that
/// touches a new page waits for that (a minor fault, a few microseconds
/// on a virtual machine), once per page during the ring's first lap.
///
/// This applies to the lossless ring of `Policy::Block` and
/// `Policy::DropNewest`. The `Policy::DropOldest` ring is always mapped
/// lazily, whatever this says: a new ring writes none of its memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Prefault {
    /// Map the whole ring when the thread registers (its first log call):
    /// one `madvise(MADV_POPULATE_WRITE)`, so no later call faults. Each
    /// thread that logs costs its full ring in resident memory.
    #[default]
    Ring,
    /// Map pages as records first reach them: memory follows use (a
    /// thread that logs once costs a page or two), at the price of a fault
    /// in the calls that cross into a new page during the first lap.
    Lazy,
}

/// Which kernel interface the writer uses for file writes.
///
/// The environment variable `URINGLOG_BACKEND=pwrite|io_uring|auto`
/// overrides the builder's choice.
///
#[doc = include_str!("io/auto.md")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Probe io_uring once on the writer thread, then choose: io_uring for
    /// `Durability::Data` (its `fdatasync` does not block the writer);
    /// otherwise by measurement on this machine: the first batches
    /// alternate between pwrite and io_uring (a few MiB each, or 2 s) and
    /// the one that costs the writer thread less time per byte stays
    /// (pwrite on a tie). pwrite when io_uring is unavailable.
    /// [`crate::Logger::io_backend`] says which and why, with the figures.
    #[default]
    Auto,
    /// io_uring: up to `io_depth` batches in flight, `fdatasync` in the
    /// kernel; the writer thread never blocks in a write or sync call.
    /// `build()` fails with the reason when io_uring is unavailable.
    IoUring,
    /// `pwrite(2)` at offsets the writer tracks; each batch (and sync) is
    /// finished before the writer goes on.
    Pwrite,
}

/// How far the writer goes to make written records survive a crash.
///
/// [`crate::Logger::flush_sync`] makes everything logged before it durable
/// whatever this is set to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// Records are written to the kernel (the page cache); the kernel writes
    /// them back to disk in its own time. One exception: the writer holds
    /// each file a sink left (rotated away, reopened) open until a sync
    /// covers it, for `flush_sync`; once a sink has left 16 such files,
    /// a round of `fdatasync` of those files (not of the one being
    /// written) covers them and the writer lets them go (a file deleted
    /// meanwhile is let go unsynced at once).
    #[default]
    None,
    /// Also `fdatasync` every file sink periodically — after
    /// `sync_interval_bytes` written or `sync_interval_ms`, whichever comes
    /// first — and once more at shutdown. With io_uring the sync runs in the
    /// kernel while the writer keeps draining; with pwrite it blocks the writer.
    Data,
}
