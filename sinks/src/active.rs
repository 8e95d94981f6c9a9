//! `ActiveFile`: the open log file of a file sink — how it is opened,
//! where each batch goes, what a failed batch leaves, and whether the path
//! still names it. Shared by [`crate::FileSink`] and the rolling sink.
//!
//! # Two ways of writing
//!
//! - **Append** (every buffered file): opened with `O_APPEND`, each batch
//!   lands at the file's end as it is when the write runs
//!   ([`Target::Append`]). A file truncated under the logger (logrotate's
//!   `copytruncate`) gets the next batch at its new end, with no hole;
//!   several loggers or processes appending to one file interleave whole
//!   batches (each batch is one `write`, which the kernel appends under the
//!   inode lock) and never overwrite each other. `len` is only this sink's
//!   count of the file's bytes (its length at open plus what it appended),
//!   used to rotate by size.
//! - **Positioned** (`O_DIRECT`): aligned writes at offsets the sink
//!   reserves from `len` ([`Target::File`]), the next batch rewriting the
//!   last partial block. One logger must own the file: bytes another writer
//!   appends are overwritten, and a truncation under the logger leaves a
//!   hole up to the logger's offset.
//!
//! # What a failed batch leaves
//!
//! Its records are counted dropped, so none of its bytes may stay:
//! - positioned: the sink rewinds to the batch's offset and truncates the
//!   file there (the engine has nothing later in flight to that file);
//! - append: the engine reads back the bytes of the batch that reached the
//!   file and, while they are still the file's last bytes, cuts them off
//!   before the sink writes anything more; when another writer appended
//!   after them they stay, and the error report says so. For that check
//!   the file is opened for reading too where its permissions allow.

use crate::prealloc::Preallocation;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uringlog::{Target, WriteOutcome};

/// The step [`crate::FileSink`] and the rolling sink preallocate by
/// default: 0, off. Measured on ext4 with 2 CPUs (16 interleaved runs of
/// 5 M lines, off against 16 MiB steps), preallocation cut the writer
/// thread's system time by about a quarter but raised its user time, and
/// the lines per second fell (median ratio 0.94, 13 runs of 16 below).
/// Where the time went was not measured; a likely part is the file
/// system's own threads converting the reserved blocks as they are
/// written back, on the CPUs the producer and the writer need. Turn it on
/// where that measures better.
pub const DEFAULT_PREALLOCATE_BYTES: u64 = 0;

/// A file could not be opened for logging.
#[derive(Debug)]
pub struct OpenError {
    /// The path that was tried.
    pub path: PathBuf,
    /// The operating system's reason.
    pub source: io::Error,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot open log file {}: {}",
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// How batches are placed in the file (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    Append,
    Positioned,
}

/// An open log file; see the module docs.
#[derive(Debug)]
pub(crate) struct ActiveFile {
    /// The path as given, for messages.
    pub path: PathBuf,
    /// The path made absolute when first opened, so a later `chdir` does
    /// not move the file that reopening and path checks look at.
    absolute: PathBuf,
    pub file: Arc<File>,
    /// Positioned: the offset of the next batch (the bytes reserved so
    /// far). Append: the file's length at open plus the bytes appended
    /// since, less failed batches.
    pub len: u64,
    placement: Placement,
    /// `(st_dev, st_ino)` of the open file, to tell whether the path still
    /// names it.
    id: (u64, u64),
    /// Append: bytes handed out (`reserve`) not yet told landed or failed
    /// (`done`); at most one batch's, the engine keeping one write per
    /// appended file in the kernel. Positioned: 0.
    in_flight: u64,
    /// Blocks reserved ahead of the end (append only).
    prealloc: Preallocation,
}

/// What is reserved ahead of a file of `len` bytes placed by `placement`:
/// `step` bytes when appending (0: never), nothing for `O_DIRECT` files.
fn preallocation(placement: Placement, step: u64, len: u64) -> Preallocation {
    let step = match placement {
        Placement::Append => step,
        Placement::Positioned => 0,
    };
    Preallocation::new(step, len, len)
}

impl ActiveFile {
    /// Opens (or creates, mode 0644) `path` for appending, or with
    /// `O_DIRECT` for positioned writes.
    ///
    /// Never blocks: a FIFO (with or without a reader), socket or device is
    /// refused with "not a regular file".
    /// Preallocates [`DEFAULT_PREALLOCATE_BYTES`] ahead when appending
    /// (see [`ActiveFile::preallocating`]).
    pub(crate) fn open(path: &Path, o_direct: bool) -> Result<ActiveFile, OpenError> {
        let placement = match o_direct {
            true => Placement::Positioned,
            false => Placement::Append,
        };
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        ActiveFile::open_at(path, absolute, placement, DEFAULT_PREALLOCATE_BYTES)
    }

    /// The file, preallocating `step` bytes ahead of its end (0: never;
    /// `O_DIRECT` files never are). See `prealloc`.
    pub(crate) fn preallocating(mut self, step: u64) -> ActiveFile {
        self.prealloc = preallocation(self.placement, step, self.len);
        self
    }

    fn open_at(
        path: &Path,
        absolute: PathBuf,
        placement: Placement,
        step: u64,
    ) -> Result<ActiveFile, OpenError> {
        match open_regular(&absolute, placement) {
            Ok((file, meta)) => Ok(ActiveFile {
                path: path.to_path_buf(),
                absolute,
                file: Arc::new(file),
                len: meta.len(),
                placement,
                id: (meta.dev(), meta.ino()),
                in_flight: 0,
                prealloc: preallocation(placement, step, meta.len()),
            }),
            Err(source) => Err(OpenError {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Where the next batch of `len` bytes goes; reserves it.
    pub(crate) fn reserve(&mut self, len: usize) -> Target {
        let at = self.len;
        let len = len as u64;
        let fd = self.file.clone();
        match self.placement {
            Placement::Append => {
                (self.prealloc).ahead(&self.file, at, self.in_flight, len);
                self.len += len;
                self.in_flight += len;
                Target::Append { fd }
            }
            Placement::Positioned => {
                self.len += len;
                Target::File { fd, offset: at }
            }
        }
    }

    /// Told the outcome of a batch to this file (every one, in order):
    /// it is no longer in flight. A failed one goes on to [`ActiveFile::failed`].
    pub(crate) fn done(&mut self, o: &WriteOutcome<'_>) -> Option<io::Error> {
        if self.placement == Placement::Append {
            self.in_flight = self.in_flight.saturating_sub(o.requested as u64);
        }
        match o.error {
            Some(_) => self.failed(o),
            None => None,
        }
    }

    /// Frees the blocks preallocated past the file's end. Nothing while a
    /// batch is in flight to the file: truncating could cut it. Returns an
    /// error to report when it could not.
    pub(crate) fn give_back(&mut self) -> Option<io::Error> {
        if self.in_flight > 0 {
            return None;
        }
        let e = self.prealloc.give_back(&self.file, self.len).err()?;
        let msg = format!(
            "cannot free the blocks preallocated past the end of {}: {e}",
            self.path.display()
        );
        Some(io::Error::new(e.kind(), msg))
    }

    /// After a batch to this file failed: takes its bytes out again (see
    /// the module docs). Returns an error to report when it could not.
    fn failed(&mut self, o: &WriteOutcome<'_>) -> Option<io::Error> {
        match (self.placement, o.offset) {
            (Placement::Positioned, Some(at)) if at < self.len => {
                self.len = at;
                self.file.set_len(at).err().map(|e| {
                    let msg = format!("cannot cut {} back to {at}: {e}", self.path.display());
                    io::Error::new(e.kind(), msg)
                })
            }
            (Placement::Positioned, _) => None,
            (Placement::Append, _) => {
                // The engine cut what reached the file — with, when the
                // batch began inside a record, that record's start, which
                // an earlier batch wrote: the file's own length says
                // where it ends, plus what is still handed out.
                self.len = match self.file.metadata() {
                    Ok(m) => m.len() + self.in_flight,
                    Err(_) => self.len.saturating_sub(o.requested as u64),
                };
                None
            }
        }
    }

    /// The preallocation step (0: off).
    pub(crate) fn preallocate_bytes(&self) -> u64 {
        self.prealloc.step()
    }

    /// `(st_dev, st_ino)` of the open file.
    pub(crate) fn id(&self) -> (u64, u64) {
        self.id
    }

    /// The path made absolute when the file was first opened.
    pub(crate) fn absolute(&self) -> &Path {
        &self.absolute
    }

    /// Whether `path` no longer names the open file: it is missing, it is
    /// another file, or one of its directories is no longer a directory
    /// (`ENOTDIR`: something else took its name). One `stat(2)`; another
    /// error (say, a permission) says no.
    pub(crate) fn path_changed(&self) -> bool {
        match std::fs::metadata(&self.absolute) {
            Ok(m) => (m.dev(), m.ino()) != self.id,
            Err(e) => {
                e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR)
            }
        }
    }

    /// Opens the path again (creating it) and switches to it; on failure
    /// keeps the current file, and the blocks preallocated ahead in it. A
    /// positioned file is first cut to its real length (its last block's
    /// zero padding). The blocks preallocated past the end of the file
    /// left are freed; an error doing so is returned in the `Ok` (the
    /// reopen went on).
    pub(crate) fn reopen(&mut self) -> io::Result<Option<io::Error>> {
        self.trim()?;
        let next = self.open_again()?;
        let freed = self.give_back();
        *self = next;
        Ok(freed)
    }

    /// The file at the path now (created if missing), opened as this one
    /// was and preallocating by the same step, for the same sink: a fork
    /// since this one began is one since that one did (a child's sink
    /// reopens the path too); this one stays as it is. The error says
    /// writing goes on in this one.
    pub(crate) fn open_again(&self) -> io::Result<ActiveFile> {
        let step = self.prealloc.step();
        match ActiveFile::open_at(&self.path, self.absolute.clone(), self.placement, step) {
            Ok(mut next) => {
                next.prealloc.began_with(&self.prealloc);
                Ok(next)
            }
            Err(e) => {
                let msg = format!("{}; still writing to the file open before", e.source);
                Err(io::Error::new(e.source.kind(), msg))
            }
        }
    }

    /// Positioned: cuts the file to its real length (the zero padding of
    /// its last block goes). Nothing for appended files.
    pub(crate) fn trim(&self) -> io::Result<()> {
        match self.placement {
            Placement::Positioned => self.file.set_len(self.len),
            Placement::Append => Ok(()),
        }
    }
}

/// Opens `path` without blocking and checks that it is a regular file.
fn open_regular(path: &Path, placement: Placement) -> io::Result<(File, std::fs::Metadata)> {
    let flags = match placement {
        Placement::Append => libc::O_APPEND,
        Placement::Positioned => libc::O_DIRECT,
    };
    let not_regular = || io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
    // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a
    // reader (without one, Linux answers ENXIO at once, as for a socket).
    // Read access rereads a partial O_DIRECT block and lets the engine
    // check a failed append's bytes; a write-only file does without.
    let open = |read: bool| {
        OpenOptions::new()
            .read(read)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK | flags)
            .open(path)
    };
    let f = match open(true) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && placement == Placement::Append => {
            open(false)
        }
        r => r,
    };
    let f = f.map_err(|e| match e.raw_os_error() {
        Some(libc::ENXIO) if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) => not_regular(),
        _ => e,
    })?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    // Regular files ignore O_NONBLOCK for write(2), but io_uring would turn
    // it into EAGAIN completions: clear it.
    // SAFETY: `f` is an open descriptor; F_SETFL takes an int of flags.
    if unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((f, meta))
}

/// Errors a sink survived, kept for `Sink::take_error` (the writer takes
/// several per batch); at most [`SurvivedErrors::MAX`], later ones dropped.
#[derive(Debug, Default)]
pub(crate) struct SurvivedErrors(std::collections::VecDeque<io::Error>);

impl SurvivedErrors {
    /// Errors kept at most.
    pub(crate) const MAX: usize = 64;

    pub(crate) fn push(&mut self, e: io::Error) {
        if self.0.len() < Self::MAX {
            self.0.push_back(e);
        }
    }

    pub(crate) fn take(&mut self) -> Option<io::Error> {
        self.0.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_changes_when_the_file_is_deleted_or_replaced() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let f = ActiveFile::open(&p, false).unwrap();
        assert!(!f.path_changed());
        std::fs::rename(&p, d.path().join("a.log.1")).unwrap();
        assert!(f.path_changed(), "renamed away");
        std::fs::write(&p, "someone else's\n").unwrap();
        assert!(f.path_changed(), "replaced");
        std::fs::remove_file(&p).unwrap();
        assert!(f.path_changed(), "deleted");
    }

    #[test]
    fn a_relative_path_keeps_naming_the_same_file_after_chdir() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let cwd = std::env::current_dir().unwrap();
        std::env::set_current_dir(a.path()).unwrap();
        let mut f = ActiveFile::open(Path::new("rel.log"), false).unwrap();
        std::env::set_current_dir(b.path()).unwrap();
        let changed = f.path_changed();
        let reopened = f.reopen();
        std::env::set_current_dir(cwd).unwrap();
        assert!(!changed, "rel.log in the new directory is not the file");
        reopened.unwrap();
        assert!(!b.path().join("rel.log").exists());
        assert_eq!(f.path, Path::new("rel.log"), "messages keep the given path");
    }

    #[test]
    fn reopening_follows_the_path_and_appends_to_what_is_there() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let mut f = ActiveFile::open(&p, false).unwrap();
        std::fs::rename(&p, d.path().join("a.log.1")).unwrap();
        std::fs::write(&p, "new\n").unwrap();
        f.reopen().unwrap();
        assert!(!f.path_changed());
        assert_eq!(f.len, 4);
        assert!(matches!(f.reserve(3), Target::Append { .. }));
        assert_eq!(f.len, 7);
    }
}
