//! The same records through `IoUring` and `Pwrite` give byte-identical
//! files, buffered and with `O_DIRECT`.

use std::time::Duration;
use uringlog::{Backend, Clock, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::{io_uring_available, o_direct_available};

/// Logs `n` records per round from one of two threads in turn (a manual
/// clock; a flush ends each round, so the order is fixed) and returns the file.
fn run(backend: Backend, direct: bool, depth: usize, batch_bytes: usize, n: u64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.log");
    std::fs::write(&path, "existing line\n").unwrap();
    let (clock, hand) = Clock::manual(1_764_305_809_123_456_000);
    let sink = if direct {
        FileSink::new_o_direct(&path).unwrap()
    } else {
        FileSink::new(&path).unwrap()
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(backend)
        .io_depth(depth)
        .batch_bytes(batch_bytes)
        .batch_size(64)
        .clock(clock)
        .build()
        .unwrap();
    for round in 0..8u64 {
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..n {
                    if i % 97 == 0 {
                        hand.advance_nanos(1_000_003);
                    }
                    let pad = "x".repeat((i % 300) as usize);
                    uringlog::info!(logger, "round={round} t={} seq={i} {pad}", round % 2);
                }
                logger.flush().unwrap();
            });
        });
    }
    let stats = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped, stats.errors),
        (8 * n, 8 * n, 0, 0)
    );
    std::fs::read(&path).unwrap()
}

#[test]
fn io_uring_output_matches_pwrite() {
    if !io_uring_available("io_uring_output_matches_pwrite") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let direct_ok = o_direct_available("io_uring_output_matches_pwrite (O_DIRECT)", dir.path());
    for (depth, batch) in [(1, 4096), (2, 64 * 1024), (4, 4096)] {
        let a = run(Backend::Pwrite, false, depth, batch, 3000);
        assert!(a.starts_with(b"existing line\n"));
        let mut others = vec![("io_uring", run(Backend::IoUring, false, depth, batch, 3000))];
        if direct_ok {
            others.push((
                "pwrite O_DIRECT",
                run(Backend::Pwrite, true, depth, batch, 3000),
            ));
            others.push((
                "io_uring O_DIRECT",
                run(Backend::IoUring, true, depth, batch, 3000),
            ));
        }
        for (what, b) in others {
            assert_eq!(a.len(), b.len(), "{what}, depth {depth} batch {batch}");
            assert!(a == b, "{what}, depth {depth} batch {batch}: files differ");
        }
    }
}
