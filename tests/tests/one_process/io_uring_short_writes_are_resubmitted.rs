//! A pipe that accepts a little at a time makes the kernel complete
//! io_uring writes short (and with `EAGAIN`): the writer resubmits the
//! remainder, so the reader gets every line once, in order.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Backend, Logger, SharedFd, Sink, Target};
use uringlog_tests::io_uring_available;

/// Writes to a pipe as a stream.
struct PipeSink(SharedFd);

impl Sink for PipeSink {
    fn describe(&self) -> String {
        "pipe".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Stream { fd: self.0.clone() })
    }
}

fn pipe() -> (File, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 succeeded, so both descriptors are open and ours.
    let (r, w) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The smallest pipe (one page) and a non-blocking write end: a write
    // larger than the free room is accepted in part.
    // SAFETY: plain fcntl calls on a descriptor we own.
    unsafe {
        libc::fcntl(w.as_fd().as_raw_fd_(), libc::F_SETPIPE_SZ, 4096);
        libc::fcntl(w.as_fd().as_raw_fd_(), libc::F_SETFL, libc::O_NONBLOCK);
    }
    (r, w)
}

trait RawFdExt {
    fn as_raw_fd_(&self) -> i32;
}
impl RawFdExt for std::os::fd::BorrowedFd<'_> {
    fn as_raw_fd_(&self) -> i32 {
        std::os::fd::AsRawFd::as_raw_fd(self)
    }
}

#[test]
fn io_uring_short_writes_are_resubmitted() {
    if !io_uring_available("io_uring_short_writes_are_resubmitted") {
        return;
    }
    let (mut r, w) = pipe();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut chunk = [0u8; 1500];
        loop {
            match r.read(&mut chunk) {
                Ok(0) => return all,
                Ok(n) => all.extend_from_slice(&chunk[..n]),
                Err(e) => panic!("read: {e}"),
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    });
    let fd: SharedFd = Arc::new(w);
    let (logger, guard) = Logger::builder()
        .sink(PipeSink(fd))
        .backend(Backend::IoUring)
        .io_depth(4)
        .batch_bytes(16 * 1024)
        .build()
        .unwrap();
    let n = 20_000u64;
    for i in 0..n {
        uringlog::info!(logger, "seq={i} {}", "y".repeat((i % 64) as usize));
    }
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    drop(logger);
    let text = String::from_utf8(reader.join().unwrap()).unwrap();
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..n).collect::<Vec<_>>());
    assert_eq!((stats.written, stats.dropped, stats.errors), (n, 0, 0));
    assert!(
        stats.io_submits > stats.batches,
        "short writes were resubmitted: {} submits for {} batches",
        stats.io_submits,
        stats.batches
    );
}
