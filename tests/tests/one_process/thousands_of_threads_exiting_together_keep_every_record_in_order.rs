//! Waves of hundreds of threads, each logging a few records through the
//! logger (its cached producer) and an explicit producer, then exiting
//! together (a barrier), so that writer passes retire many rings at
//! once, while a long-lived thread logs all along: every record is
//! written once, each ring's records in order, the long-lived ring's
//! records in order across every retirement, the counts exact, and the
//! exited threads' rings released.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::{field, read_lines, temp_log, SHUTDOWN};

const WAVES: u64 = 4;
const THREADS: u64 = 300;
/// Records per thread through the logger, then through its producer.
const CACHED: u64 = 5;
const EXPLICIT: u64 = 2;

fn churn(crash_safe: bool) {
    let (dir, path) = temp_log("churn.log");
    let mut b = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .ring_capacity(4096);
    if crash_safe {
        b = b.crash_safe(dir.path().join("cs"));
    }
    let (logger, guard) = b.build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let steady_calls = Arc::new(AtomicU64::new(0));
    let steady = {
        let (l, stop, calls) = (logger.clone(), stop.clone(), steady_calls.clone());
        std::thread::spawn(move || {
            let mut seq = 0u64;
            while !stop.load(Ordering::Relaxed) {
                uringlog::info!(l, "steady seq={} {}", seq, u64::MAX);
                seq += 1;
                if seq % 64 == 0 {
                    std::thread::yield_now();
                }
            }
            calls.store(seq, Ordering::SeqCst);
        })
    };
    for wave in 0..WAVES {
        let exit_together = Arc::new(Barrier::new(THREADS as usize));
        let handles: Vec<_> = (0..THREADS)
            .map(|k| {
                let (l, barrier) = (logger.clone(), exit_together.clone());
                let t = wave * THREADS + k;
                std::thread::spawn(move || {
                    for seq in 0..CACHED {
                        uringlog::info!(l, "cached t={} seq={} {}", t, seq, 'x');
                    }
                    let mut p = l.producer();
                    for seq in 0..EXPLICIT {
                        uringlog::info!(p, "explicit t={} seq={} {}", t, seq, -1i64);
                    }
                    barrier.wait();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    steady.join().unwrap();
    logger.flush().unwrap();
    let steady_n = steady_calls.load(Ordering::SeqCst);
    let total = WAVES * THREADS * (CACHED + EXPLICIT) + steady_n;
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (total, total, 0));
    uringlog_tests::wait_for("the exited threads' rings released", || {
        logger.stats().live_producers == 0
    });
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((end.enqueued, end.written, end.dropped), (total, total, 0));

    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, total);
    let mut cached = vec![Vec::new(); (WAVES * THREADS) as usize];
    let mut explicit = vec![Vec::new(); (WAVES * THREADS) as usize];
    let mut steady_seqs = Vec::new();
    for line in &lines {
        let seq = field(line, "seq=").unwrap_or_else(|| panic!("{line}"));
        if line.contains("steady seq=") {
            steady_seqs.push(seq);
            continue;
        }
        let t = field(line, "t=").unwrap() as usize;
        match line.contains("cached t=") {
            true => cached[t].push(seq),
            false => explicit[t].push(seq),
        }
    }
    assert_eq!(
        steady_seqs,
        (0..steady_n).collect::<Vec<_>>(),
        "steady thread"
    );
    for t in 0..cached.len() {
        assert_eq!(
            cached[t],
            (0..CACHED).collect::<Vec<_>>(),
            "thread {t}, cached"
        );
        assert_eq!(
            explicit[t],
            (0..EXPLICIT).collect::<Vec<_>>(),
            "thread {t}, explicit"
        );
    }
    if crash_safe {
        // Shut down cleanly: the directory holds nothing to recover.
        let cs = dir.path().join("cs");
        let left: Vec<_> = std::fs::read_dir(&cs)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        let (l2, g2) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .crash_safe(&cs)
            .build()
            .unwrap();
        drop(l2);
        let s2 = g2.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            s2.enqueued, 0,
            "recovered after a clean shutdown; left {left:?}"
        );
        assert_eq!(read_lines(&path).len() as u64, total);
    }
}

#[test]
fn thousands_of_threads_exiting_together_keep_every_record_in_order() {
    churn(false);
}

#[test]
fn thousands_of_threads_exiting_together_keep_every_record_in_order_crash_safe() {
    churn(true);
}
