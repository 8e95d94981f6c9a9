//! The writer leaves a ring holding less than its gathering threshold to
//! fill (the writer's `gathering`), and that never costs a record, a
//! request or a waiting producer more than a bounded delay: a lone record
//! is written with no further call; a flush right after a record covers it
//! without waiting for the threshold or the quiet time; a producer that
//! keeps trickling records without ever pausing still has them written
//! while it goes on; `Block` producers that wait for room while their ring
//! holds less than the threshold (a short record, then one needing most
//! of the ring) get every record through. Both backends, linger off and on. Every wait has
//! a generous watchdog (`wait_for`): reaching it means a record left
//! behind, not slowness.

use std::time::{Duration, Instant};
use uringlog::{Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{
    backends, field, finish_in_order, lingering_file_logger, read_lines, wait_for, SHUTDOWN,
    WATCHDOG,
};

/// One record at a time, each far below the threshold, each waited for
/// without a flush: the writer reads a held ring once it stops growing.
#[test]
fn a_lone_record_is_written_without_another_call() {
    const RECORDS: u64 = 20;
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("a_lone_record_is_written_without_another_call") {
        for linger_us in [0, 5_000] {
            let what = format!("{backend:?}, linger {linger_us} µs");
            let path = dir.path().join(format!("{backend:?}-{linger_us}.log"));
            let (logger, guard) = lingering_file_logger(&path, backend, linger_us);
            for i in 0..RECORDS {
                uringlog::info!(logger, "seq={i}");
                wait_for(&format!("{what}: record {i} never written"), || {
                    logger.stats().written > i
                });
            }
            finish_in_order(logger, guard, &path, RECORDS, &what);
        }
    }
}

/// A flush right after each record (a ring far below the threshold, its
/// producer not quiet for long) returns with the record in the file.
#[test]
fn a_flush_does_not_wait_for_the_threshold() {
    const RECORDS: u64 = 50;
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("a_flush_does_not_wait_for_the_threshold") {
        let what = format!("{backend:?}");
        let path = dir.path().join(format!("{backend:?}.log"));
        let (logger, guard) = lingering_file_logger(&path, backend, 5_000);
        for i in 0..RECORDS {
            uringlog::info!(logger, "seq={i}");
            logger.flush().unwrap();
            let lines = read_lines(&path);
            assert_eq!(lines.len() as u64, i + 1, "{what}: after flush {i}");
            assert_eq!(field(&lines[i as usize], "seq="), Some(i), "{what}");
        }
        finish_in_order(logger, guard, &path, RECORDS, &what);
    }
}

/// A producer that logs a small record every ~1 µs (never quiet long
/// enough for the writer to take it as paused) keeps logging until the
/// writer has written some of its records: the hold ends while it goes on
/// (at the threshold or the longest wait, whichever comes first).
#[test]
fn a_producer_that_never_pauses_has_its_records_written_while_it_logs() {
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("a_producer_that_never_pauses_has_its_records_written_while_it_logs") {
        let what = format!("{backend:?}");
        let path = dir.path().join(format!("{backend:?}.log"));
        let (logger, guard) = lingering_file_logger(&path, backend, 5_000);
        let started = Instant::now();
        let mut n = 0u64;
        while logger.stats().written == 0 {
            assert!(
                started.elapsed() < WATCHDOG,
                "{what}: nothing written while logging ({n} records)"
            );
            uringlog::info!(logger, "seq={n}");
            n += 1;
            let t = Instant::now();
            while t.elapsed() < Duration::from_micros(1) {
                std::hint::spin_loop();
            }
        }
        finish_in_order(logger, guard, &path, n, &what);
    }
}

/// `Block` producers on a 1 KiB ring (threshold 256 bytes) logging a
/// record of ~200 bytes, then one of ~900: the second waits for room
/// while the ring holds only the first, below the threshold, so the
/// writer takes it because its producer went quiet waiting. Every record
/// arrives, in order per thread.
#[test]
fn block_producers_with_records_near_the_ring_size_get_every_record_through() {
    const THREADS: u64 = 2;
    const PER_THREAD: u64 = 300;
    let dir = tempfile::tempdir().unwrap();
    for backend in
        backends("block_producers_with_records_near_the_ring_size_get_every_record_through")
    {
        let what = format!("{backend:?}");
        let path = dir.path().join(format!("{backend:?}.log"));
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .backend(backend)
            .policy(Policy::Block)
            .ring_capacity(1024)
            .build()
            .unwrap();
        let (short, long) = ("x".repeat(150), "x".repeat(850));
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let logger = logger.clone();
                let (short, long) = (short.as_str(), long.as_str());
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        let pad = if i % 2 == 0 { short } else { long };
                        uringlog::info!(logger, "t={t} seq={i} {pad}");
                    }
                });
            }
        });
        drop(logger);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        let n = THREADS * PER_THREAD;
        assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{what}");
        let lines = read_lines(&path);
        for t in 0..THREADS {
            let seqs: Vec<u64> = (lines.iter())
                .filter(|l| field(l, "t=") == Some(t))
                .filter_map(|l| field(l, "seq="))
                .collect();
            assert_eq!(
                seqs,
                (0..PER_THREAD).collect::<Vec<_>>(),
                "{what}, thread {t}"
            );
        }
    }
}
