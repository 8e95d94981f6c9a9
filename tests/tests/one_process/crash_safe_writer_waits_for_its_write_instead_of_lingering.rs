//! In crash-safe mode the writer's next commit waits for the write in
//! flight, and a producer whose ring is full waits for that commit (ring
//! space returns only then). So a writer out of records with a write in
//! flight waits for the write's completion itself (registered, as a
//! sleeping writer), never a lingering step past it — however long it
//! would linger. The write here stays in flight until the test reads the
//! pipe it goes to: more than a pipe holds, and nothing read yet. A writer
//! with records left and every I/O slot taken waits for a completion too,
//! for a free slot.

use std::os::fd::OwnedFd;
use std::path::Path;
use uringlog::{Backend, Logger, WriterGuard, MAX_LINGER_US};
use uringlog_sinks::StreamSink;
use uringlog_tests::pipe::{fill, pipe, read_all, FILLER};
use uringlog_tests::{field, io_uring_available, wait_for, SHUTDOWN};

/// Records logged: their lines (about 110 bytes) are more than a pipe
/// holds (64 KiB); their records fit one ring (256 KiB), so the caller
/// never waits. Read as they come, they make two batches or more; the
/// writer, its two I/O slots (io_uring depth 2) taken, ends either out of
/// records with its writes in flight or waiting for a slot.
const RECORDS: u64 = 1500;

/// A crash-safe logger (its directory under `dir`) writing to the pipe
/// `write` through io_uring with `depth` slots, lingering for as long as
/// it may.
fn start(write: OwnedFd, depth: usize, dir: &Path) -> (Logger, WriterGuard) {
    Logger::builder()
        .sink(StreamSink::new(write, "pipe"))
        .backend(Backend::IoUring)
        .io_depth(depth)
        .linger_us(MAX_LINGER_US)
        .crash_safe(dir.join("cs"))
        .build()
        .unwrap()
}

#[test]
fn crash_safe_writer_waits_for_its_write_instead_of_lingering() {
    let test = "crash_safe_writer_waits_for_its_write_instead_of_lingering";
    if !io_uring_available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (read, write) = pipe();
    let (logger, guard) = start(write, 2, dir.path());
    for i in 0..RECORDS {
        uringlog::info!(logger, "in flight seq={i}");
    }
    // Failed before: the writer lingered (for a minute) instead.
    wait_for("the writer never waited for its write in flight", || {
        logger.writer_sleeping() || logger.writer_waits_for_slot()
    });
    let reader = read_all(read);
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, RECORDS, 0));
    let text = reader.join().unwrap();
    let seqs: Vec<u64> = text.lines().map(|l| field(l, "seq=").unwrap()).collect();
    assert_eq!(seqs, (0..RECORDS).collect::<Vec<_>>());
}

#[test]
fn a_writer_with_every_slot_taken_waits_for_a_completion() {
    let test = "a_writer_with_every_slot_taken_waits_for_a_completion";
    if !io_uring_available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (read, write) = pipe();
    let filled = fill(&write);
    let (logger, guard) = start(write, 1, dir.path());
    uringlog::info!(logger, "first seq=0");
    // Its batch takes the one slot and stays there: the pipe is full.
    wait_for("the first batch never went out", || {
        logger.stats().io_submits > 0 && logger.writer_sleeping()
    });
    assert!(!logger.writer_waits_for_slot());
    uringlog::info!(logger, "second seq=1");
    wait_for("the writer never waited for a free slot", || {
        logger.writer_waits_for_slot()
    });
    let reader = read_all(read);
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    let text = reader.join().unwrap();
    assert_eq!(text[..filled], FILLER.repeat(filled / FILLER.len()));
    let seqs: Vec<u64> = (text[filled..].lines())
        .map(|l| field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, [0, 1]);
}
