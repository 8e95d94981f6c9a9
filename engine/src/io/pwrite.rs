//! The pwrite backend: each batch is written before `submit` returns.
//!
//! Positioned files get `pwrite(2)` at the offset the sink reserved; a
//! short write is continued at `offset + written`, `EINTR` is retried.
//! Appended files get `write(2)` (an `O_APPEND` file then advances its file
//! position to the end of our bytes, which the sink reads after a failure).
//! Streams get `pwritev2(2)` with `RWF_NOWAIT` (a plain `write(2)` where
//! the descriptor refuses the flag: terminals, or is a regular file); `EAGAIN` waits in `poll(2)`
//! for the descriptor to drain, [`STREAM_WAIT_SLICE`] at a time, until the
//! [`Cancel`] token says to give up (`ECANCELED`): a pipe nobody reads
//! holds the writer only until shutdown's timeout. Any other error ends the
//! batch and is returned in its [`Completion`]. A sync is `fdatasync(2)` on
//! the writer thread: it blocks the writer for as long as the disk takes.

use super::file_kind::FileKinds;
use super::{Cancel, Completion, Event, IoBackend, IoTarget, Submission, SyncRequest};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;

/// Longest one wait for a full stream to drain before the cancel token is
/// looked at again.
pub(crate) const STREAM_WAIT_SLICE: Duration = Duration::from_millis(20);

/// The synchronous backend.
#[derive(Debug, Default)]
pub(crate) struct Pwrite {
    /// Write syscalls made.
    submits: u64,
    cancel: Cancel,
    /// Whether each sink's descriptor is a regular file.
    kinds: FileKinds,
}

impl Pwrite {
    /// A backend that gives up waiting on streams once `cancel` is set.
    pub(crate) fn new(cancel: Cancel) -> Pwrite {
        Pwrite {
            submits: 0,
            cancel,
            kinds: FileKinds::default(),
        }
    }
}

impl IoBackend for Pwrite {
    fn make_room(&mut self, _done: &mut dyn FnMut(Event)) {}

    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
        let offset = sub.target.offset();
        let res = match &sub.target {
            IoTarget::File { fd, offset } => {
                write_all_at(fd.as_fd(), sub.bytes(), *offset, &mut self.submits)
            }
            IoTarget::Append { fd } | IoTarget::Stream { fd } => {
                let regular = self.kinds.is_regular(sub.sink, fd);
                let (submits, cancel) = (&mut self.submits, &self.cancel);
                write_all(fd.as_fd(), sub.bytes(), regular, submits, cancel)
            }
        };
        let (written, error) = match res {
            Ok(()) => (sub.bytes().len(), None),
            Err((n, e)) => (n, Some(e)),
        };
        done(Event::Write(Completion {
            sink: sub.sink,
            buf: sub.buf,
            start: sub.start,
            records: sub.records,
            offset,
            appended_to: sub.target.appended_to(),
            written,
            error,
        }));
    }

    fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event)) {
        done(Event::Sync {
            sink: req.sink,
            ticket: req.ticket,
            error: fdatasync(req.fd.as_fd()).err(),
        });
    }

    fn poll(&mut self, _done: &mut dyn FnMut(Event)) {}

    fn wait_some(
        &mut self,
        _futex_value: u32,
        _timeout: Option<Duration>,
        _done: &mut dyn FnMut(Event),
    ) -> bool {
        false // nothing is ever in flight
    }

    fn wait_all(&mut self, _done: &mut dyn FnMut(Event)) {}

    fn in_flight(&self) -> usize {
        0
    }

    fn reports_in_submit(&self) -> bool {
        true
    }

    fn submits(&self) -> u64 {
        self.submits
    }
}

/// `fdatasync(2)`, retried on `EINTR`.
pub(crate) fn fdatasync(fd: BorrowedFd<'_>) -> io::Result<()> {
    loop {
        // SAFETY: `fd` is an open descriptor borrowed for the duration of the call.
        if unsafe { libc::fdatasync(fd.as_raw_fd()) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Reads the `len` bytes at `base` (aligned) of a file that may be open
/// with `O_DIRECT`: one aligned read of an `align`-byte block.
pub(crate) fn read_at(
    fd: BorrowedFd<'_>,
    base: u64,
    len: usize,
    align: usize,
) -> io::Result<Vec<u8>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let mut raw = vec![0u8; 2 * align];
    let pad = (align - raw.as_ptr() as usize % align) % align;
    let n = loop {
        let block = &mut raw[pad..pad + align];
        // SAFETY: `block` is a valid writable slice of `align` bytes and
        // `fd` is open for the duration of the call.
        let r = unsafe {
            libc::pread(
                fd.as_raw_fd(),
                block.as_mut_ptr().cast(),
                align,
                base as libc::off_t,
            )
        };
        if r >= 0 {
            break r as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    if n < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the file is shorter than its logged length ({} < {})",
                base + n as u64,
                base + len as u64
            ),
        ));
    }
    Ok(raw[pad..pad + len].to_vec())
}

/// Writes all of `buf` at `offset`; on error, how much was written and why.
pub(crate) fn write_all_at(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    offset: u64,
    submits: &mut u64,
) -> Result<(), (usize, io::Error)> {
    let mut done = 0usize;
    while done < buf.len() {
        let rest = &buf[done..];
        *submits += 1;
        // SAFETY: `rest` is a valid readable slice for `rest.len()` bytes and
        // `fd` is an open descriptor borrowed for the duration of the call.
        let r = unsafe {
            libc::pwrite(
                fd.as_raw_fd(),
                rest.as_ptr().cast(),
                rest.len(),
                (offset + done as u64) as libc::off_t,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err((done, e));
        }
        if r == 0 {
            return Err((
                done,
                io::Error::new(io::ErrorKind::WriteZero, "pwrite wrote 0 bytes"),
            ));
        }
        done += r as usize;
    }
    Ok(())
}

/// Writes all of `buf` to a stream or an `O_APPEND` file, without blocking
/// in the kernel where the descriptor allows it (not a regular file:
/// `regular` is false), waiting out `EAGAIN` until `cancel` is set.
/// A regular file is written with a plain `write`: `poll` always calls it
/// writable, so a non-blocking write that would wait for memory or the
/// disk would be retried in a busy loop.
pub(crate) fn write_all(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    regular: bool,
    submits: &mut u64,
    cancel: &Cancel,
) -> Result<(), (usize, io::Error)> {
    let mut done = 0usize;
    let mut nowait = !regular;
    while done < buf.len() {
        let rest = &buf[done..];
        *submits += 1;
        let r = if nowait {
            let iov = libc::iovec {
                iov_base: rest.as_ptr() as *mut libc::c_void,
                iov_len: rest.len(),
            };
            // SAFETY: `iov` describes a valid readable slice (the kernel
            // only reads it), the count is 1, offset -1 means the current
            // position, and `fd` is open for the duration of the call.
            unsafe { libc::pwritev2(fd.as_raw_fd(), &iov, 1, -1, libc::RWF_NOWAIT) }
        } else {
            // SAFETY: as in `write_all_at`: valid slice, open borrowed descriptor.
            unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) }
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => {
                    if cancel.is_cancelled() {
                        return Err((done, io::Error::from_raw_os_error(libc::ECANCELED)));
                    }
                    wait_writable(fd);
                    continue;
                }
                // The descriptor (a terminal, an old kernel) refuses the flag.
                Some(libc::EOPNOTSUPP | libc::EINVAL | libc::ENOSYS) if nowait => {
                    nowait = false;
                    continue;
                }
                _ => return Err((done, e)),
            }
        }
        if r == 0 {
            return Err((
                done,
                io::Error::new(io::ErrorKind::WriteZero, "write wrote 0 bytes"),
            ));
        }
        done += r as usize;
    }
    Ok(())
}

/// Waits up to [`STREAM_WAIT_SLICE`] for `fd` to accept writes.
fn wait_writable(fd: BorrowedFd<'_>) {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    let ms = STREAM_WAIT_SLICE.as_millis() as libc::c_int;
    // SAFETY: `p` is one valid pollfd and the count passed is 1.
    unsafe { libc::poll(&mut p, 1, ms) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Read;
    use std::sync::Arc;

    #[test]
    fn writes_at_offsets_and_counts_syscalls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = Arc::new(File::create(&path).unwrap());
        let mut b = Pwrite::default();
        let mut out = Vec::new();
        for (off, text) in [(0u64, "hello "), (6, "world\n")] {
            b.submit(
                Submission {
                    sink: 0,
                    target: IoTarget::File {
                        fd: f.clone(),
                        offset: off,
                    },
                    buf: text.as_bytes().to_vec(),
                    start: 0,
                    records: 1,
                },
                &mut |e| {
                    if let Event::Write(c) = e {
                        out.push((c.offset, c.written, c.error.is_none()))
                    }
                },
            );
        }
        assert_eq!(out, vec![(Some(0), 6, true), (Some(6), 6, true)]);
        assert_eq!(b.submits(), 2);
        let mut s = String::new();
        File::open(&path).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world\n");
    }

    #[test]
    fn errors_come_back_in_the_completion() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro");
        File::create(&path).unwrap();
        let f = Arc::new(File::open(&path).unwrap()); // read-only: EBADF on write
        let mut b = Pwrite::default();
        let mut errs = Vec::new();
        b.submit(
            Submission {
                sink: 0,
                target: IoTarget::File { fd: f, offset: 0 },
                buf: b"x".to_vec(),
                start: 0,
                records: 1,
            },
            &mut |e| {
                if let Event::Write(c) = e {
                    errs.push(c.error.map(|e| e.raw_os_error()))
                }
            },
        );
        assert_eq!(errs, vec![Some(Some(libc::EBADF))]);
    }
}
