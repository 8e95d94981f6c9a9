//! A storm of reopen signals while `Block` producers fill tiny rings, and
//! while other loggers on the same signal are built and dropped: every
//! signal interrupts some thread (often one asleep in the wake protocol's
//! futex wait, or the writer in `io_uring_enter`) and notifies the writer;
//! dropping a logger withdraws its slot while handlers may be running. No
//! record is lost or duplicated, per-thread order holds, nothing hangs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use uringlog::{Backend, Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{io_uring_available, read_lines, sequences, strictly_increasing, SHUTDOWN};

const THREADS: u64 = 3;
const RECORDS: u64 = 4_000;
/// Bounds the storm whatever the producers do.
const MAX_SIGNALS: u64 = 200_000;
/// Loggers built and dropped on the same signal during the storm.
const CHURN: usize = 40;

fn storm(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("storm.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .backend(backend)
        .policy(Policy::Block)
        .ring_capacity(4096)
        .batch_size(8)
        .reopen_on_signal(libc::SIGUSR2)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let stormer = {
        let (stop, sent) = (stop.clone(), sent.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) && sent.load(Ordering::Relaxed) < MAX_SIGNALS {
                // SAFETY: signals this process; the loggers' handler is installed.
                assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) }, 0);
                sent.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let churn = {
        let dir = dir.path().to_owned();
        thread::spawn(move || {
            for i in 0..CHURN {
                let (l, g) = Logger::builder()
                    .sink(FileSink::new(dir.join(format!("churn{i}.log"))).unwrap())
                    .reopen_on_signal(libc::SIGUSR2)
                    .build()
                    .unwrap();
                uringlog::info!(l, "churn={i}");
                drop(l);
                let s = g.shutdown(SHUTDOWN).unwrap();
                assert_eq!((s.written, s.dropped), (1, 0));
            }
        })
    };
    let producers: Vec<_> = (0..THREADS)
        .map(|t| {
            let l = logger.clone();
            thread::spawn(move || {
                for i in 0..RECORDS {
                    uringlog::info!(l, "t={t} seq={i}");
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    churn.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    stormer.join().unwrap();
    assert!(sent.load(Ordering::Relaxed) > 0);
    eprintln!("{backend:?}: {} signals", sent.load(Ordering::Relaxed));
    logger.flush().unwrap();
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors),
        (THREADS * RECORDS, THREADS * RECORDS, 0, 0),
        "{backend:?}"
    );
    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, THREADS * RECORDS, "{backend:?}");
    let per_thread = sequences(&lines);
    for t in 0..THREADS {
        assert_eq!(
            per_thread[&t],
            (0..RECORDS).collect::<Vec<_>>(),
            "{backend:?}"
        );
        assert!(strictly_increasing(&per_thread[&t]));
    }
}

#[test]
fn a_signal_storm_while_logging_loses_nothing() {
    storm(Backend::Pwrite);
    if io_uring_available("a_signal_storm_while_logging_loses_nothing") {
        storm(Backend::IoUring);
    }
}
