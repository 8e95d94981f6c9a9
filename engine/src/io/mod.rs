//! I/O backends: how a batch reaches the kernel.
//!
//! One crate-private trait, [`IoBackend`], with a submit/complete shape so a
//! backend may keep several batches in flight (io_uring) or complete each
//! before returning (pwrite). The writer hands over a filled buffer and gets
//! it back in a [`Completion`] once the kernel is done with it; it never
//! touches a buffer between the two.

pub(crate) mod pwrite;

use crate::error::BuildError;
use crate::policy::Backend;
use crate::sink::SharedFd;
use std::fmt;
use std::io;

/// Which backend a logger uses, as reported by [`crate::Logger::io_backend`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// io_uring submissions from the writer thread.
    IoUring,
    /// `pwrite(2)` / `write(2)` from the writer thread (or the caller, in sync mode).
    Pwrite,
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
        };
        write!(f, "{name}: {}", self.reason)
    }
}

/// Where a submitted batch goes (inline targets never reach a backend).
pub(crate) enum IoTarget {
    /// A regular file at an explicit offset.
    File { fd: SharedFd, offset: u64 },
    /// A pipe, terminal or socket, in order.
    Stream { fd: SharedFd },
}

/// One batch handed to a backend.
pub(crate) struct Submission {
    /// Index of the sink in the writer's list.
    pub sink: usize,
    pub target: IoTarget,
    /// The formatted lines; owned by the backend until completion.
    pub buf: Vec<u8>,
    /// Records in `buf`.
    pub records: u64,
}

/// A finished batch, returned to the writer with its buffer.
pub(crate) struct Completion {
    pub sink: usize,
    pub buf: Vec<u8>,
    pub records: u64,
    /// File offset written at (`None` for streams).
    pub offset: Option<u64>,
    /// Bytes the kernel accepted (`buf.len()` on success).
    pub written: usize,
    /// Why the write stopped early, if it did.
    pub error: Option<io::Error>,
}

/// A way of writing batches. Lives on the writer thread.
pub(crate) trait IoBackend {
    /// Starts writing `sub`; it and any earlier submissions that finish are
    /// reported to `done`, in submission order.
    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Completion));
    /// Blocks until every submitted batch has been reported to `done`.
    fn wait_all(&mut self, done: &mut dyn FnMut(Completion));
    /// Write submissions made to the kernel so far (syscalls or ring enters).
    fn submits(&self) -> u64;
}

/// Opens the backend `requested` on the calling (writer) thread.
pub(crate) fn open(requested: Backend) -> Result<(Box<dyn IoBackend>, IoBackendInfo), BuildError> {
    match requested {
        Backend::Pwrite => Ok((
            Box::new(pwrite::Pwrite::default()),
            IoBackendInfo {
                kind: BackendKind::Pwrite,
                reason: "requested".to_owned(),
            },
        )),
        Backend::IoUring => Err(BuildError::IoUringUnavailable {
            reason: "this build has no io_uring backend yet".to_owned(),
        }),
        Backend::Auto => Ok((
            Box::new(pwrite::Pwrite::default()),
            IoBackendInfo {
                kind: BackendKind::Pwrite,
                reason: "auto: this build has no io_uring backend yet".to_owned(),
            },
        )),
    }
}
