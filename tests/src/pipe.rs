//! Pipes whose next write stays in flight until the test reads them.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A pipe: (read end, write end).
pub fn pipe() -> (std::fs::File, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just opened and are owned here alone.
    unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

/// What [`fill`] writes: one 8-byte line, repeated.
pub const FILLER: &str = "filler.\n";

/// Shrinks `pipe` (its write end) to a page and fills it to the brim with
/// [`FILLER`] lines, so that the next write to it stays in flight until
/// something is read; returns the bytes written.
pub fn fill(pipe: &OwnedFd) -> usize {
    let size = shrink(pipe);
    let mut w = std::fs::File::from(pipe.try_clone().unwrap());
    // `size` bytes fit without blocking (a page size is a multiple of a
    // line's 8 bytes).
    w.write_all(FILLER.repeat(size / FILLER.len()).as_bytes())
        .unwrap();
    size
}

/// Shrinks `pipe` (its write end) to a page; returns its size in bytes.
pub fn shrink(pipe: &OwnedFd) -> usize {
    // SAFETY: plain fcntl calls on a pipe the caller owns.
    let size = unsafe {
        assert!(libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) >= 4096);
        libc::fcntl(pipe.as_raw_fd(), libc::F_GETPIPE_SZ)
    };
    usize::try_from(size).unwrap()
}

/// Reads `read` to its end on a thread of its own.
pub fn read_all(mut read: std::fs::File) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        read.read_to_string(&mut text).unwrap();
        text
    })
}
