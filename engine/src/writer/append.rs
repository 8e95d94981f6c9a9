//! What a failed append leaves: the bytes of it that reached the file are
//! cut off again while they are still the file's last bytes.
//!
//! An append ([`crate::Target::Append`]) that fails after `w > 0` bytes (a
//! short write, then `ENOSPC`, `EFBIG`, `EIO`) leaves a prefix of its batch
//! at the file's end: whole records and, usually, a torn one. Its records
//! are counted dropped, so the writer takes those bytes out before anything
//! else of the sink is written (the backend starts nothing later of the
//! sink until the failure has been reported, see `io::uring`):
//! - it reads the file's last `w` bytes back and compares them with the
//!   batch's first `w` bytes; when they match it truncates the file to
//!   where they began. The file then holds exactly the records counted
//!   written, and no torn line is ever followed by more records.
//! - when they do not match (another writer appended after them, or the
//!   file was truncated meanwhile) they are left alone — cutting would
//!   destroy someone else's records — and the error report says so.
//!
//! The check reads the bytes back (one `pread` per 8 KiB), then reads the
//! file's length once more and cuts only if it has not changed: a write by
//! another process that lands between those last two system calls
//! (`fstat`, `ftruncate`) is cut off with ours; one that lands earlier
//! makes the bytes stay (reported). No system call closes that window. The file the sink appends to is
//! opened for reading as well where permissions allow; where they do not,
//! the bytes cannot be checked and stay (reported).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Bytes compared per `pread`.
const CHUNK: usize = 8 * 1024;

/// What [`cut_failed_append`] did.
#[derive(Debug)]
pub(crate) enum Cut {
    /// The bytes were the file's last ones and are gone: the file now ends at `at`.
    Done { at: u64 },
    /// The file does not end with them (another writer appended after
    /// them, or it was truncated).
    NotAtEnd,
    /// They could not be checked or cut.
    Failed(io::Error),
}

impl Cut {
    /// The end of a failed-write report, after "... failed after W of R
    /// bytes" (`written`), for a batch whose first `head` bytes, its first
    /// record's start, were written by the batch before (see
    /// `writer::sinks::aligned`; cut with it).
    pub(crate) fn describe(&self, written: usize, head: usize) -> String {
        let those = match head {
            0 => format!("those {written} bytes"),
            _ => format!(
                "those {written} bytes and the {head} before them (the start of its first record)"
            ),
        };
        match self {
            Cut::Done { at } => format!("; {those} were cut off (the file ends at {at})"),
            Cut::NotAtEnd => format!(
                "; {those} are no longer the file's end (another writer appended after them, or \
                 it was truncated): where they remain, they end in a torn line"
            ),
            Cut::Failed(e) => format!("; {those} stay in the file (cannot cut them: {e})"),
        }
    }
}

/// Cuts `written` — the bytes a failed append put in `fd` — off the end of
/// the file if they are still its last bytes. `None` for `written`: the
/// bytes are not known (an abandoned ring), so nothing is cut.
pub(crate) fn cut_failed_append(fd: BorrowedFd<'_>, written: Option<&[u8]>) -> Cut {
    cut_checked(fd, written, || {})
}

/// [`cut_failed_append`]; `after_check` runs once the bytes were found at
/// the file's end, before the cut (tests let another writer append there).
fn cut_checked(fd: BorrowedFd<'_>, written: Option<&[u8]>, after_check: impl FnOnce()) -> Cut {
    let Some(written) = written else {
        return Cut::Failed(io::Error::other("the written bytes are unknown"));
    };
    let len = match file_len(fd) {
        Ok(l) => l,
        Err(e) => return Cut::Failed(e),
    };
    let Some(start) = len.checked_sub(written.len() as u64) else {
        return Cut::NotAtEnd;
    };
    match ends_with(fd, start, written) {
        Ok(true) => {}
        Ok(false) => return Cut::NotAtEnd,
        Err(e) => return Cut::Failed(e),
    }
    after_check();
    // The check took a read per CHUNK: look at the length again right
    // before cutting, so only a write landing between these two calls
    // (fstat, ftruncate) can be cut with ours.
    match file_len(fd) {
        Ok(now) if now == len => {}
        Ok(_) => return Cut::NotAtEnd,
        Err(e) => return Cut::Failed(e),
    }
    // SAFETY: `fd` is an open descriptor borrowed for the duration of the call.
    match unsafe { libc::ftruncate(fd.as_raw_fd(), start as libc::off_t) } {
        0 => Cut::Done { at: start },
        _ => Cut::Failed(io::Error::last_os_error()),
    }
}

fn file_len(fd: BorrowedFd<'_>) -> io::Result<u64> {
    // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `st` is a valid, writable stat buffer.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.st_size as u64)
}

/// Whether the file's bytes from `start` on are exactly `expected`.
fn ends_with(fd: BorrowedFd<'_>, start: u64, expected: &[u8]) -> io::Result<bool> {
    let mut buf = [0u8; CHUNK];
    let mut done = 0usize;
    while done < expected.len() {
        let want = (expected.len() - done).min(CHUNK);
        // SAFETY: `buf` is writable for `want <= CHUNK` bytes and `fd` is
        // open for the duration of the call.
        let r = unsafe {
            libc::pread(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                want,
                (start + done as u64) as libc::off_t,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let n = r as usize;
        if n == 0 || buf[..n] != expected[done..done + n] {
            return Ok(false);
        }
        done += n;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::os::fd::AsFd;

    fn file(content: &[u8]) -> (tempfile::TempDir, std::fs::File) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, content).unwrap();
        let f = OpenOptions::new().read(true).append(true).open(&p).unwrap();
        (dir, f)
    }

    #[test]
    fn the_torn_tail_is_cut_when_it_is_the_files_end() {
        let (_d, mut f) = file(b"one\ntwo\n");
        f.write_all(b"three\nfo").unwrap(); // a failed batch's first 8 bytes
        let cut = cut_failed_append(f.as_fd(), Some(b"three\nfo"));
        assert!(matches!(cut, Cut::Done { at: 8 }), "{cut:?}");
        assert_eq!(f.metadata().unwrap().len(), 8);
    }

    #[test]
    fn bytes_another_writer_appended_after_them_are_left_alone() {
        let (_d, mut f) = file(b"one\n");
        f.write_all(b"two\nthr").unwrap();
        f.write_all(b"other process\n").unwrap();
        let cut = cut_failed_append(f.as_fd(), Some(b"two\nthr"));
        assert!(matches!(cut, Cut::NotAtEnd), "{cut:?}");
        assert_eq!(f.metadata().unwrap().len(), 25);
        let (_d, f) = file(b"ab");
        let cut = cut_failed_append(f.as_fd(), Some(b"xabc"));
        assert!(
            matches!(cut, Cut::NotAtEnd),
            "shorter than the bytes: {cut:?}"
        );
    }

    #[test]
    fn a_line_another_writer_appends_after_the_check_is_not_cut() {
        let (d, mut f) = file(b"one\n");
        f.write_all(b"two\nthr").unwrap();
        let other = || {
            let mut o = OpenOptions::new().append(true).open(d.path().join("f"));
            o.as_mut().unwrap().write_all(b"other\n").unwrap();
        };
        let cut = cut_checked(f.as_fd(), Some(b"two\nthr"), other);
        assert!(matches!(cut, Cut::NotAtEnd), "{cut:?}");
        assert_eq!(
            std::fs::read(d.path().join("f")).unwrap(),
            b"one\ntwo\nthrother\n"
        );
    }

    #[test]
    fn a_write_only_file_cannot_be_checked_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"x\n").unwrap();
        let f = OpenOptions::new().append(true).open(&p).unwrap();
        let cut = cut_failed_append(f.as_fd(), Some(b"x\n"));
        assert_eq!(
            cut.describe(2, 0),
            "; those 2 bytes stay in the file (cannot cut them: Bad file descriptor (os error 9))"
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"x\n");
    }
}
