//! A record larger than the ring cannot fit: it is dropped and counted
//! (`dropped` and `oversized`), never deadlocks, and the records around
//! it are written in order.

use uringlog::{Logger, MemorySink, Policy};
use uringlog_tests::SHUTDOWN;

fn run(policy: Policy) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(policy)
        .ring_capacity(1024)
        .build()
        .unwrap();
    let big = "x".repeat(2000);
    uringlog::info!(logger, "before");
    uringlog::info!(logger, "{big}");
    uringlog::info!(logger, "after");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.oversized),
        (3, 2, 1, 1)
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].ends_with(": before"));
    assert!(lines[1].ends_with(": after"));
}

#[test]
fn oversized_record_is_counted_under_block() {
    run(Policy::Block);
}

#[test]
fn oversized_record_is_counted_under_drop_newest() {
    run(Policy::DropNewest);
}

#[test]
fn a_record_that_just_fits_is_written() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .ring_capacity(1024)
        .build()
        .unwrap();
    let target = "t";
    // 16-byte header + 1-byte target + message == 1024 bytes exactly.
    let msg = "y".repeat(1024 - 16 - target.len());
    uringlog::info!(logger, target: target, "{msg}");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (1, 0));
    assert!(out.text().ends_with(&format!("t: {msg}\n")));
}
