//! In crash-safe mode the writer's next commit waits for the write in
//! flight, and a producer whose ring is full waits for that commit (ring
//! space returns only then). So a writer out of records with a write in
//! flight waits for the write's completion itself (registered, as a
//! sleeping writer), never a lingering step past it — however long it
//! would linger. The write here stays in flight until the test reads the
//! pipe it goes to: more than a pipe holds, and nothing read yet.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use uringlog::{Backend, Logger, MAX_LINGER_US};
use uringlog_sinks::StreamSink;
use uringlog_tests::{field, io_uring_available, wait_for, SHUTDOWN};

/// Records logged: their lines (about 110 bytes) are more than a pipe
/// holds (64 KiB) but fit the two batches the writer may have in flight
/// (128 KiB each, io_uring depth 2), so it runs out of records with its
/// writes in flight; their records fit one ring (256 KiB), so the caller
/// never waits.
const RECORDS: u64 = 1500;

/// A pipe: (read end, write end).
fn pipe() -> (std::fs::File, OwnedFd) {
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

#[test]
fn crash_safe_writer_waits_for_its_write_instead_of_lingering() {
    let test = "crash_safe_writer_waits_for_its_write_instead_of_lingering";
    if !io_uring_available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut read, write) = pipe();
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(write, "pipe"))
        .backend(Backend::IoUring)
        .linger_us(MAX_LINGER_US)
        .crash_safe(dir.path().join("cs"))
        .build()
        .unwrap();
    for i in 0..RECORDS {
        uringlog::info!(logger, "in flight seq={i}");
    }
    // Failed before: the writer lingered (for a minute) instead.
    wait_for("the writer never waited for its write in flight", || {
        logger.writer_sleeping()
    });
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        read.read_to_string(&mut text).unwrap();
        text
    });
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, RECORDS, 0));
    let text = reader.join().unwrap();
    let seqs: Vec<u64> = text.lines().map(|l| field(l, "seq=").unwrap()).collect();
    assert_eq!(seqs, (0..RECORDS).collect::<Vec<_>>());
}
