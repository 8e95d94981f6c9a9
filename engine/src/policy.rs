//! What the engine does when a producer's ring is full, and how it runs.

/// What a log call does when its thread's ring has no room for the record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// Wait for the writer to free room: spin briefly, then park. Never drops
    /// (except after shutdown, when the record is counted dropped).
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

/// Which kernel interface the writer uses for file writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Pick at build time and say why: see [`crate::Logger::io_backend`].
    #[default]
    Auto,
    /// io_uring; `build()` fails with the reason when it is unavailable.
    IoUring,
    /// `pwrite(2)` at offsets the writer tracks.
    Pwrite,
}
