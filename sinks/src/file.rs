//! `FileSink`: one regular file, appended to.

use crate::active::{ActiveFile, SurvivedErrors};
pub use crate::active::{OpenError, DEFAULT_PREALLOCATE_BYTES};
use std::io;
use std::path::{Path, PathBuf};
use uringlog::{ReopenCause, Sink, Target, WriteOutcome};

/// Appends to one file, creating it if missing.
///
/// # Appending
///
/// The file is opened with `O_APPEND`: every batch lands at the file's end
/// as it is when the write runs, whoever else truncates or appends to it.
/// - Truncated under the logger (logrotate's `copytruncate`): the next
///   batch goes at the new end; no hole, no NUL bytes.
/// - Shared by several loggers or processes: their batches interleave
///   whole (each batch of whole lines is one `write`), none overwrites
///   another.
/// - A failed write (disk full, `EFBIG`, `EIO`): the batch's records are
///   counted dropped. The bytes of it that reached the file are read back
///   and, while they are still the file's last bytes, cut off before
///   anything more is written: a file only this logger writes holds exactly
///   the records counted written, and never a torn line followed by more
///   records. When another writer appended after them they stay (cutting
///   would destroy its lines), and the error report says so. The cut
///   happens only if the file's length, read again right before it, has
///   not changed: another process's write landing between those two
///   system calls (`fstat`, `ftruncate`) is cut too — so a file shared
///   with another process that appends while this logger's writes fail
///   can lose a line of that process's. (The check needs read access; a
///   file the logger may only write keeps the bytes, reported.)
///
/// # Reopening
///
/// - [`uringlog::Logger::reopen`], or the signal chosen with
///   [`uringlog::Builder::reopen_on_signal`]: between two batches, after
///   every batch in flight to the file completed, the sink closes the file
///   and opens the path again, creating it if it was renamed away or
///   deleted (rename-style rotation: rename, then signal).
/// - Deleted or replaced under the logger: at most once a second, before
///   submitting a batch, the writer asks whether the path still names the
///   open file (one `stat(2)`). When the path is missing the sink creates
///   it; when it names another file the sink opens that one; writing goes
///   on there. Batches submitted within a second of the deletion may go
///   to the deleted file and are lost with it (they count as written);
///   any batch submitted later goes to the new one. An idle logger does
///   not check: its next batch does.
/// - A reopen that fails (the directory is gone, no permission) keeps
///   writing to the file open before; the error is counted in
///   `Stats::errors` and reported in `Logger::recent_errors`.
///
/// # Forked children
///
/// A child created by `fork(2)` that logs opens the path again for
/// appending (see [`Sink::for_fork_child`]): parent and child then append
/// whole batches to the same file, neither overwriting the other; the
/// child's sink does not preallocate (see *Preallocation*). An
/// `O_DIRECT` sink is not shared with a child (its offsets are the
/// parent's): there its records are counted dropped, and reported.
///
/// # Aligned writes
///
/// Under load, the writer ends its writes to the file at aligned offsets
/// (multiples of 64 KiB with the default `batch_bytes`), inside a record,
/// and writes the rest of that record first thing in its next write: the
/// page cache then holds the file in large folios, which costs the kernel
/// less per byte (on ext4 about a quarter less; see
/// [`Sink::may_split_records`] for when the writer does
/// it). Between two such writes — while the writer takes records without
/// a pause, a batch's time — the file ends inside a record; a batch
/// written because the writer ran dry, a flush, a reopen and shutdown
/// always end on a record. Nothing is lost or counted differently: a
/// failed write takes the record's start out of the file with its own
/// bytes. A process killed meanwhile leaves the file ending inside a
/// record (as a kill in the middle of any write may); one that calls
/// `exit` does not: the writer writes the rest as it drains, or, when a
/// sink's own code calls `exit` on the writer thread, the record's start
/// is taken out again.
///
/// A record another writer appends in between would land inside one of
/// ours. A `fork` waits (usually well under a millisecond, at most half a
/// second) until the writer has written the rest of the record it began,
/// and the parent's writer aligns no more after it (a child's sink
/// appends to the file too). The writer also stops aligning once the file
/// grows by bytes it did not write (until the sink reopens) — which it
/// sees only after the fact: a file that other processes append to, at
/// any time, should be opened with [`FileSink::shared`]`(true)`, which
/// keeps every write whole.
///
/// So should a file that is copied and cut to nothing under the logger
/// (logrotate's `copytruncate`): a copy taken while the file ends inside
/// a record ends with that record's start. The writer sees the cut before
/// its next write and writes the record whole at the start of the cut
/// file (and aligns no more until the sink reopens), so the live file
/// holds whole lines; the copy's last line is torn. Rotating by renaming
/// the file and asking for a reopen keeps both files whole.
///
/// # Preallocation
///
/// Asked to ([`FileSink::preallocate_bytes`]; off by default, see
/// [`DEFAULT_PREALLOCATE_BYTES`] for why), the sink reserves disk blocks
/// ahead of the file's end, a step at a time, with
/// `fallocate(FALLOC_FL_KEEP_SIZE)`: the file system then does less work
/// per page written in the writer thread (on ext4, about a quarter less
/// kernel time for the writer, though not a faster logger).
/// The file's size never changes by it — readers, `tail -f` and a process
/// killed mid-run see exactly the bytes written — only `st_blocks` runs
/// ahead. The blocks not used are freed when the sink closes, reopens the
/// path, or (rolling sink) rotates. A file system that refuses
/// (`EOPNOTSUPP`), a full disk, a file another process appends to: the
/// sink writes as it would without. `O_DIRECT` files are not preallocated, nor
/// is the file of a forked child's sink: its parent appends to it too, and
/// the child could give blocks back only by truncating it, which would
/// cut a batch of the parent's landing at that moment. For the same
/// reason a sink whose process forked since the sink began gives nothing
/// back (up to one step stays reserved past the end), nor does one whose
/// file another writer appended to. Giving back truncates the file to
/// the size read just before: set the step to 0 for a file another
/// program may start writing or truncating (`copytruncate`) just as the
/// sink leaves it.
///
/// # `O_DIRECT`
///
/// [`FileSink::new_o_direct`] writes aligned blocks at offsets the sink
/// tracks (never `O_APPEND`): one logger must own the file. A truncation
/// under the logger leaves a hole up to the logger's offset, and bytes
/// another writer appends are overwritten. A failed batch rewinds the
/// offset and cuts the file there. Reopening cuts the old file to its real
/// length (dropping the last block's zero padding) before it opens the path.
///
/// # Example
///
/// ```
/// use uringlog::Logger;
/// use uringlog_sinks::FileSink;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// let (logger, guard) = Logger::builder().sink(FileSink::new(&path)?).build()?;
/// uringlog::info!(logger, id = 7; "stored");
/// logger.flush()?; // in the kernel: readable now
/// assert!(std::fs::read_to_string(&path)?.ends_with(" INFO  rust_out: \"stored\" id=7\n"));
/// guard.shutdown(std::time::Duration::from_secs(5))?;
///
/// let err = FileSink::new(dir.path().join("missing/dir/app.log")).unwrap_err();
/// assert!(err.to_string().contains("missing/dir/app.log"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileSink {
    file: ActiveFile,
    /// Opened with `O_DIRECT`.
    o_direct: bool,
    /// Every write holds whole records (see [`FileSink::shared`]).
    shared: bool,
    errors: SurvivedErrors,
}

/// The alignment [`FileSink::new_o_direct`] asks of `O_DIRECT` writes: 4096
/// bytes, a multiple of the logical block size of common devices.
pub const DIRECT_IO_ALIGN: usize = 4096;

impl FileSink {
    /// Opens (or creates, mode 0644) `path` for appending.
    ///
    /// Fails, naming the path and the reason, when it cannot be opened or
    /// is not a regular file (a directory, a FIFO — with or without a
    /// reader, never blocking —, a socket or a device).
    pub fn new(path: impl AsRef<Path>) -> Result<FileSink, OpenError> {
        FileSink::open(path.as_ref(), false)
    }

    /// Opens (or creates) `path` for `O_DIRECT` writes: they bypass the
    /// page cache and go to the disk as the writer submits them.
    ///
    /// The engine writes whole [`DIRECT_IO_ALIGN`]-byte blocks from aligned
    /// buffers at offsets the sink tracks, padding the last block with zeros
    /// and rewriting it with the next batch; the file is truncated to its
    /// real length at shutdown and when reopened (after a crash it may end
    /// in up to one block of zeros). Fails with the OS reason where the file
    /// system refuses `O_DIRECT`.
    pub fn new_o_direct(path: impl AsRef<Path>) -> Result<FileSink, OpenError> {
        FileSink::open(path.as_ref(), true)
    }

    fn open(path: &Path, o_direct: bool) -> Result<FileSink, OpenError> {
        Ok(FileSink {
            file: ActiveFile::open(path, o_direct)?,
            o_direct,
            shared: false,
            errors: SurvivedErrors::default(),
        })
    }

    /// Whether other processes append to this file too (`true`), so that
    /// every write must hold whole records; the default is `false` (see
    /// *Aligned writes*). A forked child's sink and the parent's after the
    /// fork write whole records whatever this says.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let sink = uringlog_sinks::FileSink::new(dir.path().join("app.log"))?.shared(true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shared(mut self, shared: bool) -> FileSink {
        self.shared = shared;
        self
    }

    /// Reserves `bytes` of disk ahead of the file's end at a time (see
    /// *Preallocation*); 0 turns preallocation off. The default is
    /// [`DEFAULT_PREALLOCATE_BYTES`]; more than
    /// [`MAX_PREALLOCATE_BYTES`](crate::MAX_PREALLOCATE_BYTES) is taken as
    /// that. Nothing for `O_DIRECT` files.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let sink = uringlog_sinks::FileSink::new(dir.path().join("app.log"))?.preallocate_bytes(16 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn preallocate_bytes(mut self, bytes: u64) -> FileSink {
        self.file = self.file.preallocating(bytes);
        self
    }

    /// The former name of [`FileSink::new_o_direct`].
    #[doc(hidden)]
    #[deprecated(note = "renamed to `FileSink::new_o_direct`")]
    pub fn new_direct(path: impl AsRef<Path>) -> Result<FileSink, OpenError> {
        FileSink::new_o_direct(path)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

impl Sink for FileSink {
    fn describe(&self) -> String {
        self.file.path.display().to_string()
    }

    fn target(&mut self, len: usize) -> io::Result<Target> {
        Ok(self.file.reserve(len))
    }

    fn take_error(&mut self) -> Option<io::Error> {
        self.errors.take()
    }

    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        if let Some(e) = self.file.done(outcome) {
            self.errors.push(e);
        }
    }

    fn path_changed(&mut self) -> bool {
        self.file.path_changed()
    }

    fn reopen(&mut self, _cause: ReopenCause) -> io::Result<()> {
        if let Some(e) = self.file.reopen()? {
            self.errors.push(e);
        }
        Ok(())
    }

    fn direct_io_alignment(&self) -> Option<usize> {
        self.o_direct.then_some(DIRECT_IO_ALIGN)
    }

    fn may_split_records(&self) -> bool {
        !self.shared && !self.o_direct
    }

    fn close(&mut self) -> io::Result<()> {
        // Drops the zero padding after the last record (O_DIRECT).
        self.file.trim()?;
        self.file.give_back().map_or(Ok(()), Err)
    }

    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        (!self.o_direct).then(|| {
            let twin = FileTwin {
                path: self.file.path.clone(),
                absolute: self.file.absolute().to_path_buf(),
            };
            Box::new(twin) as Box<dyn Sink>
        })
    }
}

/// What a logger keeps of a [`FileSink`] for forked children: the path
/// only (no descriptor kept open). A child opens it again for appending.
struct FileTwin {
    /// As given, for messages.
    path: PathBuf,
    /// As first opened (a later `chdir` does not move it).
    absolute: PathBuf,
}

impl Sink for FileTwin {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "{}: kept for forked children, not written to",
                self.describe()
            ),
        ))
    }

    /// Without preallocation: the parent appends to the file too, and
    /// giving blocks back truncates it to a size read just before, which
    /// would cut a batch of the parent's landing in between. Shared, for
    /// the same reason: each write holds whole records.
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        let sink = FileSink::new(&self.absolute).ok()?.preallocate_bytes(0);
        let mut sink = sink.shared(true);
        sink.file.path.clone_from(&self.path);
        Some(Box::new(sink))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unopenable_path_names_the_path_and_the_reason() {
        let e = FileSink::new("/nonexistent-dir/x/app.log").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot open log file /nonexistent-dir/x/app.log: No such file or directory (os error 2)"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = FileSink::new(dir.path()).unwrap_err();
        assert!(e
            .to_string()
            .starts_with(&format!("cannot open log file {}: ", dir.path().display())));
        assert_eq!(e.source.raw_os_error(), Some(libc::EISDIR));
    }

    #[test]
    fn appends_after_existing_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, "old\n").unwrap();
        let mut s = FileSink::new(&p).unwrap();
        assert!(matches!(s.target(4).unwrap(), Target::Append { .. }));
        let d = FileSink::new_o_direct(&p).unwrap();
        assert_eq!(d.file.len, 4);
    }
}
