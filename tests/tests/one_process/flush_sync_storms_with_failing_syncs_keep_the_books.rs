//! Many threads log and call `flush`, `flush_sync` and
//! `flush_sync_timeout` (zero and unbounded) at once, into a file, a
//! device whose every `fdatasync` fails (`/dev/null`: `EINVAL`) and a
//! deferred sink that settles later: every `flush_sync` that returns at
//! all hears of the failed sync, naming the device and the errno; a
//! `flush_sync` racing shutdown returns (`ShutDown`, or the sync's
//! answer), never hangs; afterwards every record is in the file once, in
//! order per thread, and the books balance. Async (both backends) and
//! sync mode give the same answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Backend, FlushError, Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::holding::{write_all, Holding};
use uringlog_tests::{backends, read_lines, sequences, temp_log, NullDevice, SHUTDOWN};

const THREADS: u64 = 6;
const RECORDS: u64 = 300;
const SYNC_FAILED: &str = "fdatasync of null device failed: Invalid argument (os error 22)";

/// Whether `r`, a `flush_sync`'s answer, is the failed sync.
fn is_failed_sync(r: &Result<(), FlushError>) -> bool {
    matches!(r, Err(FlushError::Io { last, .. }) if last == SYNC_FAILED)
}

fn scenario(mode: Mode, backend: Backend) {
    let what = format!("{mode:?} {backend:?}");
    let (_dir, path) = temp_log("storm.log");
    let settled = Arc::new(AtomicU64::new(0));
    let count = settled.clone();
    let later = Holding::new("later", Duration::from_secs(30), move |held, done| {
        count.fetch_add(held.len() as u64, Ordering::Relaxed);
        write_all(held, done);
    });
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .sink(NullDevice::new())
        .sink(later)
        .mode(mode)
        .backend(backend)
        .batch_size(16)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (logger, what) = (logger.clone(), &what);
            s.spawn(move || {
                for seq in 0..RECORDS {
                    uringlog::info!(logger, "t={} seq={}", t, seq);
                    match (seq + t) % 12 {
                        0 => {
                            let r = logger.flush_sync();
                            assert!(is_failed_sync(&r), "{what}: flush_sync answered {r:?}");
                        }
                        3 => {
                            let r = logger.flush_sync_timeout(Duration::MAX);
                            assert!(is_failed_sync(&r), "{what}: flush_sync answered {r:?}");
                        }
                        5 => {
                            let r = logger.flush_sync_timeout(Duration::ZERO);
                            let ok = matches!(r, Err(FlushError::Timeout { timeout_ms: 0 }))
                                || is_failed_sync(&r);
                            assert!(ok, "{what}: flush_sync_timeout(0) answered {r:?}");
                        }
                        7 | 9 => {
                            // A plain flush hears of failed syncs too, or
                            // finds them reported already.
                            let r = logger.flush();
                            assert!(r.is_ok() || is_failed_sync(&r), "{what}: flush {r:?}");
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    // Records logged, then syncs racing shutdown.
    let racers: Vec<_> = (0..3)
        .map(|_| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                loop {
                    let r = logger.flush_sync();
                    let done = matches!(r, Err(FlushError::ShutDown));
                    answers.push(r);
                    if done || answers.len() > 100_000 {
                        return answers;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    for r in racers {
        let answers = r.join().unwrap();
        assert!(
            matches!(answers.last(), Some(Err(FlushError::ShutDown))),
            "{what}: a flush_sync racing shutdown never heard of it"
        );
        for a in &answers[..answers.len() - 1] {
            assert!(
                is_failed_sync(a),
                "{what}: flush_sync racing shutdown: {a:?}"
            );
        }
    }
    let n = THREADS * RECORDS;
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{what}");
    assert_eq!(
        settled.load(Ordering::Relaxed),
        n,
        "{what}: the deferred sink settled all"
    );
    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, n, "{what}");
    let seqs = sequences(&lines);
    for t in 0..THREADS {
        let want: Vec<u64> = (0..RECORDS).collect();
        assert_eq!(seqs[&t], want, "{what}: thread {t}");
    }
}

#[test]
fn async_flush_sync_storms_hear_of_every_failed_sync() {
    for backend in backends("async_flush_sync_storms_hear_of_every_failed_sync") {
        scenario(Mode::Async, backend);
    }
}

#[test]
fn sync_mode_flush_sync_storms_hear_of_every_failed_sync() {
    scenario(Mode::Sync, Backend::Pwrite);
}
