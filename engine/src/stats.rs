//! Counters: what was logged, written, dropped, and what it cost.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a logger's counters.
///
/// `enqueued` counts every log call that passed the level filter. Once every
/// log call has returned and the writer has shut down,
/// `written + dropped == enqueued` exactly, whatever the policy or fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Log calls that passed the level filter.
    pub enqueued: u64,
    /// Records that will never be written: refused by `DropNewest`,
    /// overwritten by `DropOldest`, larger than the ring, logged after
    /// shutdown, or lost to an I/O error.
    pub dropped: u64,
    /// Records the kernel accepted.
    pub written: u64,
    /// Bytes the kernel accepted.
    pub bytes_written: u64,
    /// Batches written.
    pub batches: u64,
    /// Write submissions made to the kernel (write syscalls or io_uring enters).
    pub io_submits: u64,
    /// I/O errors seen by the writer: each failed batch counts once, and so
    /// does each error a sink survived without dropping records (a failed
    /// rotation; see `Sink::take_error`).
    pub errors: u64,
    /// Of `dropped`: records larger than the ring could ever hold.
    pub oversized: u64,
    /// Producer rings registered and not yet released (a ring is released
    /// once its thread has exited and the writer has drained it).
    pub live_producers: u64,
    /// `fdatasync`s completed (periodic, `flush_sync`, shutdown, and of a
    /// rotating sink's older files let go between rounds).
    pub syncs: u64,
    /// CPU time of the writer thread (user + system, `RUSAGE_THREAD`), as
    /// measured at its last flush, sync request or shutdown.
    pub writer_cpu_ns: u64,
}

impl Stats {
    /// Records accepted but neither written nor dropped yet.
    pub fn pending(&self) -> u64 {
        self.enqueued
            .saturating_sub(self.written)
            .saturating_sub(self.dropped)
    }
}

/// Counters owned by one producer; only its thread writes them.
#[derive(Debug, Default)]
pub(crate) struct ProducerCounters {
    pub enqueued: AtomicU64,
    pub dropped: AtomicU64,
    pub oversized: AtomicU64,
}

/// Adds one to a counter that only the calling thread writes: a plain load
/// and store, no read-modify-write. Relaxed: readers only sum snapshots.
#[inline]
pub(crate) fn bump(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Counters owned by the writer (or, in sync mode, updated under its mutex).
#[derive(Debug, Default)]
pub(crate) struct WriterCounters {
    pub written: AtomicU64,
    pub bytes_written: AtomicU64,
    pub batches: AtomicU64,
    pub io_submits: AtomicU64,
    pub errors: AtomicU64,
    /// Records lost to I/O errors or left behind at shutdown.
    pub dropped: AtomicU64,
    pub syncs: AtomicU64,
    /// Stored (not added) by the writer.
    pub writer_cpu_ns: AtomicU64,
    /// Lingering sleeps the writer took (see `wake`'s "Lingering").
    pub linger_sleeps: AtomicU64,
}

impl WriterCounters {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes back `n` counted by an earlier [`WriterCounters::add`].
    pub(crate) fn take_back(c: &AtomicU64, n: u64) {
        c.fetch_sub(n, Ordering::Relaxed);
    }

    pub(crate) fn fill(&self, s: &mut Stats) {
        s.written += self.written.load(Ordering::Relaxed);
        s.bytes_written += self.bytes_written.load(Ordering::Relaxed);
        s.batches += self.batches.load(Ordering::Relaxed);
        s.io_submits += self.io_submits.load(Ordering::Relaxed);
        s.errors += self.errors.load(Ordering::Relaxed);
        s.dropped += self.dropped.load(Ordering::Relaxed);
        s.syncs += self.syncs.load(Ordering::Relaxed);
        s.writer_cpu_ns += self.writer_cpu_ns.load(Ordering::Relaxed);
    }
}

/// CPU time the calling thread has used (user + system), in nanoseconds.
pub(crate) fn thread_cpu_ns() -> u64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable rusage; RUSAGE_THREAD needs no other argument.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut r) } != 0 {
        return 0;
    }
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    ns(r.ru_utime) + ns(r.ru_stime)
}

impl ProducerCounters {
    pub(crate) fn fill(&self, s: &mut Stats) {
        s.enqueued += self.enqueued.load(Ordering::Relaxed);
        s.dropped += self.dropped.load(Ordering::Relaxed);
        s.oversized += self.oversized.load(Ordering::Relaxed);
    }
}
