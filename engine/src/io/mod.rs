//! I/O backends: how a batch reaches the kernel.
//!
//! One crate-private trait, [`IoBackend`], with a submit/complete shape so a
//! backend may keep several batches in flight (io_uring) or complete each
//! before returning (pwrite). The writer hands over a filled buffer and gets
//! it back in a [`Completion`] once the kernel is done with it; it never
//! touches a buffer between the two.
//!
//! [`open`] runs on the writer thread and chooses the backend: see
//! [`select`] for the `Auto` rule.

mod auto;
pub(crate) mod file_kind;
mod idle_inline;
pub(crate) mod pwrite;
mod select;
pub(crate) mod uring;

use crate::sink::SharedFd;
use crate::wake::EventRef;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) use select::{backend_from_env, open, IoConfig};

/// Which backend a logger uses, as reported by [`crate::Logger::io_backend`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// io_uring submissions from the writer thread.
    IoUring,
    /// `pwrite(2)` / `write(2)` from the writer thread (or the caller, in sync mode).
    Pwrite,
    /// `Backend::Auto` is still comparing the two on this machine: the
    /// first batches alternate between io_uring and pwrite, and the one
    /// that costs the writer less time per byte stays (the reason then
    /// quotes the figures).
    Measuring,
}

/// The backend in use and why it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoBackendInfo {
    /// The backend in use.
    pub kind: BackendKind,
    /// Why: requested, or why `Auto` chose it or fell back.
    pub reason: String,
}

impl fmt::Display for IoBackendInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            BackendKind::IoUring => "io_uring",
            BackendKind::Pwrite => "pwrite",
            BackendKind::Measuring => "auto",
        };
        write!(f, "{name}: {}", self.reason)
    }
}

/// Tells a backend to stop waiting for I/O that may never finish: set once
/// shutdown's timeout has expired. Writes still in the kernel are cancelled
/// (io_uring) or given up between two waits (streams), and fail with
/// `ECANCELED`; later ones fail at once. A logger and its backend share it.
///
/// It holds 0 while not set, else 1 + the milliseconds shutdown waited
/// before it gave up (saturating), so reports can say so.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cancel(Arc<AtomicU64>);

impl Cancel {
    /// Sets the token, for good, when shutdown gave up after waiting
    /// `after`; a later call changes nothing.
    pub(crate) fn cancel_after(&self, after: Duration) {
        let v = u64::try_from(after.as_millis()).map_or(u64::MAX, |ms| ms.saturating_add(1));
        // Relaxed: the value is all the token carries (the milliseconds
        // travel with the flag in one word); waits look at it every slice.
        let _ = (self.0).compare_exchange(0, v, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Sets the token, for good (how long shutdown waited is not known).
    #[cfg(test)]
    pub(crate) fn cancel(&self) {
        self.cancel_after(Duration::ZERO);
    }

    /// Whether the token is set.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// How long shutdown waited before it gave up, in milliseconds, once
    /// the token is set.
    pub(crate) fn gave_up_after_ms(&self) -> Option<u64> {
        // Relaxed: as in `cancel_after`.
        self.0.load(Ordering::Relaxed).checked_sub(1)
    }
}

/// Where the writer publishes the backend in use, for
/// [`crate::Logger::io_backend`]: set when the backend opens, and again
/// when `Backend::Auto` has decided.
#[derive(Debug, Default)]
pub(crate) struct BackendSlot(Mutex<Option<IoBackendInfo>>);

impl BackendSlot {
    /// Publishes `info`.
    pub(crate) fn set(&self, info: IoBackendInfo) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(info);
    }

    /// The backend published last, if any.
    pub(crate) fn get(&self) -> Option<IoBackendInfo> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Where a submitted batch goes (inline targets never reach a backend).
pub(crate) enum IoTarget {
    /// A regular file at an explicit offset (`O_DIRECT`).
    File { fd: SharedFd, offset: u64 },
    /// A regular file opened with `O_APPEND`, at its end: one write per
    /// sink in the kernel at a time, in order; after a failed one, the next
    /// starts only once the failure has been reported.
    Append { fd: SharedFd },
    /// A pipe, terminal or socket, in order.
    Stream { fd: SharedFd },
}

impl IoTarget {
    /// The explicit offset, for positioned writes.
    pub(crate) fn offset(&self) -> Option<u64> {
        match self {
            IoTarget::File { offset, .. } => Some(*offset),
            IoTarget::Append { .. } | IoTarget::Stream { .. } => None,
        }
    }

    /// The file, for appends.
    pub(crate) fn appended_to(&self) -> Option<SharedFd> {
        match self {
            IoTarget::Append { fd } => Some(fd.clone()),
            IoTarget::File { .. } | IoTarget::Stream { .. } => None,
        }
    }
}

/// One batch handed to a backend.
pub(crate) struct Submission {
    /// Index of the sink in the writer's list.
    pub sink: usize,
    pub target: IoTarget,
    /// The bytes to write; owned by the backend until completion.
    pub buf: Vec<u8>,
    /// Where the bytes start in `buf` (non-zero only for O_DIRECT batches,
    /// whose first byte must sit at an aligned address).
    pub start: usize,
    /// Records in `buf`.
    pub records: u64,
}

impl Submission {
    /// The bytes to write.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// A batch for the backends' tests: all of `buf` to `target`, from
    /// sink `sink`, holding `records` records.
    #[cfg(test)]
    pub(crate) fn for_test(sink: usize, target: IoTarget, buf: Vec<u8>, records: u64) -> Submission {
        Submission {
            sink,
            target,
            buf,
            start: 0,
            records,
        }
    }
}

/// A finished batch, returned to the writer with its buffer.
pub(crate) struct Completion {
    pub sink: usize,
    pub buf: Vec<u8>,
    /// Where the written bytes start in `buf`.
    pub start: usize,
    pub records: u64,
    /// File offset written at (`None` for appends and streams).
    pub offset: Option<u64>,
    /// The file, for appends: after a failed one the writer cuts the bytes
    /// that reached it (see `writer::append`).
    pub appended_to: Option<SharedFd>,
    /// Bytes the kernel accepted (`buf.len() - start` on success).
    pub written: usize,
    /// Why the write stopped early, if it did.
    pub error: Option<io::Error>,
}

impl Completion {
    /// Bytes the batch asked to write.
    pub(crate) fn requested(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether the backend gave the buffer up to a write still in the
    /// kernel (`Uring::abandon`): `buf` is then empty, so what was asked
    /// for and which bytes reached the file are unknown, though `written`
    /// may count some.
    pub(crate) fn buffer_abandoned(&self) -> bool {
        self.buf.is_empty()
    }
}

/// A request to make a file's data durable (`fdatasync`).
pub(crate) struct SyncRequest {
    pub sink: usize,
    pub fd: SharedFd,
    /// The writer's tag for it, returned in the completion.
    pub ticket: u64,
}

/// What a backend reports back.
pub(crate) enum Event {
    /// A write finished (reported in submission order).
    Write(Completion),
    /// A sync finished, after every write submitted before it was reported.
    Sync {
        sink: usize,
        ticket: u64,
        error: Option<io::Error>,
    },
}

/// A way of writing batches. Lives on the writer thread.
///
/// The writer calls [`IoBackend::make_room`] before it asks a sink where a
/// batch goes, then [`IoBackend::submit`]: every failure that finished
/// before the batch was routed has then been reported to its sink (which
/// may rewind its offset), and `submit` reports nothing before it has taken
/// the new batch — so no batch goes out with an offset reserved before a
/// rewind (see `writer::sinks`).
pub(crate) trait IoBackend {
    /// Reports whatever has finished and waits until one more write can be
    /// taken; the next `submit` then takes it before reporting anything.
    fn make_room(&mut self, done: &mut dyn FnMut(Event));
    /// Whether [`IoBackend::make_room`] would block now, waiting for a
    /// completion: every slot holds a write in flight (or, `Auto`, it may
    /// switch away from io_uring, which waits for the writes in flight).
    fn full(&self) -> bool {
        false
    }
    /// Starts writing `sub` (after [`IoBackend::make_room`]); it and any
    /// earlier submissions that finish are reported to `done`, writes in
    /// submission order.
    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event));
    /// Starts an `fdatasync` of `req.fd` covering every write submitted
    /// before it; reported to `done` once finished.
    fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event));
    /// Reports whatever has finished, without blocking.
    fn poll(&mut self, done: &mut dyn FnMut(Event));
    /// Gives the backend the writer's wake word, so that
    /// [`IoBackend::wait_some`] can also end on a notify. Called once, before
    /// any other method.
    fn attach_wake(&mut self, _wake: EventRef) {}
    /// Waits up to `timeout` (`None`: no limit) for something in flight to
    /// finish or, when the backend can, for the attached wake word to be
    /// woken while it still holds `futex_value`. Returns false at once when
    /// nothing is in flight: the caller then sleeps on the word itself.
    fn wait_some(
        &mut self,
        futex_value: u32,
        timeout: Option<Duration>,
        done: &mut dyn FnMut(Event),
    ) -> bool;
    /// Blocks until every submitted write and sync has been reported —
    /// or, once the [`Cancel`] token is set, until what is left has been
    /// cancelled (or leaked) and reported failed.
    fn wait_all(&mut self, done: &mut dyn FnMut(Event));
    /// Writes and syncs submitted and not yet reported.
    fn in_flight(&self) -> usize;
    /// Whether the next [`IoBackend::submit`] reports its write before it
    /// returns.
    fn reports_in_submit(&self) -> bool {
        false
    }
    /// Write submissions made to the kernel so far (syscalls or ring enters).
    fn submits(&self) -> u64;
}

/// `errno` as its symbolic name, for messages (`EPERM`, `ENOSYS`, ...).
pub(crate) fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::ENOSYS => "ENOSYS",
        libc::ENOMEM => "ENOMEM",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::ENFILE => "ENFILE",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EAGAIN => "EAGAIN",
        libc::EINTR => "EINTR",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        _ => "errno",
    }
}
