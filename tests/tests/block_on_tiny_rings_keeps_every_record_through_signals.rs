//! `Block` on rings from the smallest allowed to a few KiB, odd sizes
//! included, four producers each logging records of random sizes up to
//! nearly the whole ring — deferred (reserved in place, skipping to the
//! ring's start near its end) and pre-formatted (split at the end) mixed —
//! while a thread keeps interrupting their sleeps with a signal whose
//! handler does nothing (installed without `SA_RESTART`, so a futex wait
//! returns `EINTR`): every record is written once, in order per producer,
//! nothing is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use uringlog::{Backend, Level, Logger, MemorySink, Policy};
use uringlog_tests::{sequences, SHUTDOWN};

const PRODUCERS: u64 = 4;
const RECORDS: u64 = 1_500;

extern "C" fn nothing(_: libc::c_int) {}

/// Installs `nothing` for `SIGUSR1`, without `SA_RESTART`.
fn install_handler() {
    // SAFETY: a zeroed `sigaction` is valid (no flags, empty mask); the
    // handler is async-signal-safe (it does nothing).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = nothing as *const () as usize;
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
}

/// A xorshift step.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn producer(l: Logger, t: u64, cap: usize, seed: u64) {
    let mut x = seed ^ (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for seq in 0..RECORDS {
        let r = next(&mut x);
        // Framing takes under 80 bytes: every record fits the ring.
        let pad = "p".repeat((r % (cap as u64 - 80)) as usize);
        if r & 1 == 0 {
            uringlog::info!(l, "t={} seq={} {}", t, seq, pad);
        } else {
            l.log(Level::Info, "x", format_args!("t={t} seq={seq} {pad}"));
        }
    }
}

fn storm(cap: usize, seed: u64) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .backend(Backend::Pwrite)
        .ring_capacity(cap)
        .batch_size(3)
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|t| {
            let (l, tx) = (logger.clone(), tx.clone());
            std::thread::spawn(move || {
                // SAFETY: no preconditions.
                tx.send(unsafe { libc::pthread_self() }).unwrap();
                producer(l, t, cap, seed);
            })
        })
        .collect();
    let threads: Vec<libc::pthread_t> = (0..PRODUCERS).map(|_| rx.recv().unwrap()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let signaller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for &t in &threads {
                    // SAFETY: `t` is joined only after this thread stops.
                    unsafe { libc::pthread_kill(t, libc::SIGUSR1) };
                }
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
        })
    };
    for p in producers {
        p.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    signaller.join().unwrap();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let all = PRODUCERS * RECORDS;
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (all, all, 0),
        "ring of {cap}"
    );
    let seqs = sequences(&out.lines());
    for t in 0..PRODUCERS {
        assert_eq!(
            seqs[&t],
            (0..RECORDS).collect::<Vec<_>>(),
            "ring of {cap}, producer {t}"
        );
    }
}

#[test]
fn block_on_tiny_rings_keeps_every_record_through_signals() {
    install_handler();
    for (i, cap) in [256usize, 257, 383, 777, 4097].into_iter().enumerate() {
        storm(cap, i as u64 + 1);
    }
}
