//! Whether a sink's descriptor is a regular file, asked once per descriptor.
//!
//! An append or stream write needs to know it (see `pwrite::write_all`): a
//! regular file is written with a plain `write(2)`, anything else without
//! blocking in the kernel. Asking with `fstat(2)` before every batch cost
//! one system call per batch on the hot path of every file logger; the
//! answer is kept per sink, for the descriptor object (`SharedFd`) it was
//! asked of. A sink hands a new `SharedFd` when it opens another file
//! (reopen, rotation), which is asked again.
//!
//! The cache holds a `Weak` of the descriptor object: it does not keep the
//! file open, and while it holds the allocation no other `SharedFd` can be
//! allocated at the same address, so an address match is the same object.

use crate::sink::SharedFd;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::{Arc, Weak};

/// The answer per sink index, for the descriptor object last asked about.
#[derive(Debug, Default)]
pub(crate) struct FileKinds {
    known: Vec<Option<(Weak<dyn AsFd + Send + Sync>, bool)>>,
}

impl FileKinds {
    /// Whether `fd`, the descriptor of sink `sink`, is a regular file:
    /// `fstat` the first time this object is seen for the sink.
    pub(crate) fn is_regular(&mut self, sink: usize, fd: &SharedFd) -> bool {
        if sink >= self.known.len() {
            self.known.resize_with(sink + 1, || None);
        }
        let entry = &mut self.known[sink];
        if let Some((seen, regular)) = entry {
            if std::ptr::addr_eq(seen.as_ptr(), Arc::as_ptr(fd)) {
                return *regular;
            }
        }
        let regular = is_regular_file(fd.as_fd());
        *entry = Some((Arc::downgrade(fd), regular));
        regular
    }
}

/// `fstat` of `fd`; `None` when it fails.
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> Option<libc::stat> {
    // SAFETY: an all-zero stat is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable and `fd` is open for the duration of the call.
    let ok = unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } == 0;
    ok.then_some(st)
}

/// Whether `fd` is a regular file (`fstat`); false when it cannot be told.
pub(crate) fn is_regular_file(fd: BorrowedFd<'_>) -> bool {
    fstat(fd).is_some_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG)
}

/// Whether `fd`'s file has no name left (`st_nlink` is 0: deleted);
/// false when it cannot be told.
pub(crate) fn is_deleted(fd: BorrowedFd<'_>) -> bool {
    fstat(fd).is_some_and(|st| st.st_nlink == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    fn pipe() -> (SharedFd, File) {
        let mut fds = [0; 2];
        // SAFETY: `fds` is a writable array of two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just opened and are owned here.
        let (r, w) = unsafe {
            use std::os::fd::FromRawFd;
            (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1]))
        };
        (Arc::new(w), r)
    }

    #[test]
    fn each_sink_and_descriptor_gets_its_own_answer() {
        let dir = tempfile::tempdir().unwrap();
        let file: SharedFd = Arc::new(File::create(dir.path().join("f")).unwrap());
        let (pipe_w, _pipe_r) = pipe();
        let mut k = FileKinds::default();
        assert!(k.is_regular(0, &file));
        assert!(!k.is_regular(2, &pipe_w));
        // Asked again (cached), and alternating between sinks.
        for _ in 0..3 {
            assert!(k.is_regular(0, &file));
            assert!(!k.is_regular(2, &pipe_w));
        }
        // Sink 0 moves to a pipe (a new descriptor object): asked again.
        let (pipe2, _r2) = pipe();
        assert!(!k.is_regular(0, &pipe2));
        // And back to a regular file.
        let file2: SharedFd = Arc::new(File::create(dir.path().join("g")).unwrap());
        assert!(k.is_regular(0, &file2));
    }

    #[test]
    fn the_cache_does_not_keep_a_file_open() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create(dir.path().join("f")).unwrap());
        let mut k = FileKinds::default();
        let shared: SharedFd = file.clone();
        assert!(k.is_regular(0, &shared));
        drop(shared);
        // Only the caller's handle holds the file: the cache holds a Weak.
        assert_eq!(Arc::strong_count(&file), 1);
    }

    #[test]
    fn a_new_descriptor_object_is_asked_again_even_after_the_old_one_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let mut k = FileKinds::default();
        for i in 0..8 {
            // A regular file, dropped; then a pipe, possibly where it was.
            let f: SharedFd = Arc::new(File::create(dir.path().join(format!("f{i}"))).unwrap());
            assert!(k.is_regular(0, &f));
            drop(f);
            let (p, _r) = pipe();
            assert!(!k.is_regular(0, &p));
        }
    }
}
