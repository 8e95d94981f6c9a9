//! Kernels before 6.7 have no `IORING_OP_FUTEX_WAIT`: there the writer,
//! asleep with writes in flight, cannot be woken through the ring by a
//! producer and looks at its wake word between bounded waits instead. The
//! test hook switches the opcode off where it exists, so that path runs
//! for real: a write stays in flight on a pipe nobody reads yet, the writer
//! sleeps on it, records logged meanwhile are still all delivered, in order.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::StreamSink;
use uringlog_tests::SHUTDOWN;

/// More than a pipe holds: the first write stays in the kernel.
const BIG: usize = 256 * 1024;

#[test]
fn io_uring_without_futex_wait_delivers_every_record() {
    let test = "io_uring_without_futex_wait_delivers_every_record";
    if !uringlog_tests::io_uring_available(test) {
        return;
    }
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just created and are owned here.
    let (mut reader, write_end) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            OwnedFd::from_raw_fd(fds[1]),
        )
    };
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(write_end, "pipe"))
        .backend(Backend::IoUring)
        .test_no_io_uring_futex_wait()
        .ring_capacity(1 << 20)
        .build()
        .unwrap();
    let backend = logger.io_backend().to_string();
    assert!(
        backend.contains("no IORING_OP_FUTEX_WAIT (disabled by the test hook)"),
        "{backend}"
    );
    uringlog::info!(logger, "big {}", "x".repeat(BIG));
    // The writer submits it and goes to sleep with it in flight.
    std::thread::sleep(Duration::from_millis(50));
    for i in 0..100 {
        uringlog::info!(logger, "small {i}");
        if i % 10 == 0 {
            std::thread::sleep(Duration::from_millis(3));
        }
    }
    let drain = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break, // the writer closed the pipe
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => panic!("reading the pipe: {e}"),
            }
        }
        out
    });
    logger.flush_timeout(SHUTDOWN).unwrap();
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    drop(logger);
    let out = String::from_utf8(drain.join().unwrap()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (101, 101, 0)
    );
    assert_eq!(lines.len(), 101);
    assert!(lines[0].ends_with(&format!("big {}", "x".repeat(BIG))));
    for (i, line) in lines[1..].iter().enumerate() {
        assert!(line.ends_with(&format!("small {i}")), "{line}");
    }
}
