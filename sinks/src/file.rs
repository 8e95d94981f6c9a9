//! `FileSink`: one regular file, written at offsets the sink reserves.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uringlog::{Sink, Target, WriteOutcome};

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

/// Appends to one file, creating it if missing.
///
/// The sink writes at explicit offsets starting at the file's length when
/// opened (not `O_APPEND`), so one logger should own the file. After a
/// failed write it rewinds to the failed batch's offset and truncates the
/// partial bytes, so a later batch leaves no hole or torn line.
#[derive(Debug)]
pub struct FileSink {
    file: ActiveFile,
    /// Opened with `O_DIRECT`.
    o_direct: bool,
}

/// The alignment [`FileSink::new_o_direct`] asks of `O_DIRECT` writes: 4096
/// bytes, a multiple of the logical block size of common devices.
pub const DIRECT_IO_ALIGN: usize = 4096;

impl FileSink {
    /// Opens (or creates, mode 0644) `path` for appending.
    pub fn new(path: impl AsRef<Path>) -> Result<FileSink, OpenError> {
        Ok(FileSink {
            file: ActiveFile::open(path.as_ref(), 0)?,
            o_direct: false,
        })
    }

    /// Opens (or creates) `path` for appending with `O_DIRECT`: writes
    /// bypass the page cache and go to the disk as the writer submits them.
    ///
    /// The engine writes whole [`DIRECT_IO_ALIGN`]-byte blocks from aligned
    /// buffers, padding the last block with zeros and rewriting it with the
    /// next batch; the file is truncated to its real length at shutdown
    /// (after a crash it may end in up to one block of zeros). Fails with
    /// the OS reason where the file system refuses `O_DIRECT`.
    pub fn new_o_direct(path: impl AsRef<Path>) -> Result<FileSink, OpenError> {
        Ok(FileSink {
            file: ActiveFile::open(path.as_ref(), libc::O_DIRECT)?,
            o_direct: true,
        })
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

    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        if outcome.error.is_some() {
            if let Some(at) = outcome.offset {
                self.file.rewind(at);
            }
        }
    }

    fn direct_io_alignment(&self) -> Option<usize> {
        self.o_direct.then_some(DIRECT_IO_ALIGN)
    }

    fn close(&mut self) -> io::Result<()> {
        if self.o_direct {
            // Drop the zero padding after the last record.
            self.file.file.set_len(self.file.offset)?;
        }
        Ok(())
    }
}

/// An open log file and the offset of its next batch; shared by the file
/// sinks.
#[derive(Debug)]
pub(crate) struct ActiveFile {
    pub path: PathBuf,
    pub file: Arc<File>,
    /// Offset the next batch is written at: the bytes reserved so far.
    pub offset: u64,
}

impl ActiveFile {
    /// Opens (or creates, mode 0644) `path`, positioned at its end.
    /// `flags` are added to the open flags (`O_DIRECT` or 0).
    pub(crate) fn open(path: &Path, flags: i32) -> Result<ActiveFile, OpenError> {
        let path = path.to_path_buf();
        let open = || -> io::Result<(File, u64)> {
            let f = OpenOptions::new()
                .read(flags & libc::O_DIRECT != 0) // to reread a partial block
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_CLOEXEC | flags)
                .open(&path)?;
            let meta = f.metadata()?;
            if !meta.is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not a regular file",
                ));
            }
            Ok((f, meta.len()))
        };
        match open() {
            Ok((f, len)) => Ok(ActiveFile {
                path,
                file: Arc::new(f),
                offset: len,
            }),
            Err(source) => Err(OpenError { path, source }),
        }
    }

    /// Reserves `offset .. offset + len` for the next batch.
    pub(crate) fn reserve(&mut self, len: usize) -> Target {
        let offset = self.offset;
        self.offset += len as u64;
        Target::File {
            fd: self.file.clone(),
            offset,
        }
    }

    /// After a failed write at `at`: the next batch goes there, and the
    /// partial bytes are cut off.
    pub(crate) fn rewind(&mut self, at: u64) {
        if at < self.offset {
            self.offset = at;
            let _ = self.file.set_len(at);
        }
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
        match s.target(4).unwrap() {
            Target::File { offset, .. } => assert_eq!(offset, 4),
            t => panic!("unexpected target {t:?}"),
        }
        match s.target(10).unwrap() {
            Target::File { offset, .. } => assert_eq!(offset, 8),
            t => panic!("unexpected target {t:?}"),
        }
    }
}
