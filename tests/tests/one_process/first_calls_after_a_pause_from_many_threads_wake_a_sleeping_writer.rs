//! Threads that each log a burst after a pause into a sleeping writer,
//! all at once: the first call of each burst rebases its thread's emptied
//! ring on the fast path (`after_pause`: its record goes to the start of
//! the buffer) and wakes the writer as any record does. No flush is made
//! (it would wake the writer itself): every round's records are written
//! without one, so no wake-up is lost after a rebase (a lost one shows as
//! records that never arrive, caught by a watchdog); every record is
//! written once, in its thread's order, and the books balance, under
//! `Block` and `DropNewest`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use uringlog::{Clock, Format, Logger, MemorySink, Policy, Timestamp};
use uringlog_tests::{next_ring_offset, sequences, wait_for, PAUSE, SHUTDOWN};

const THREADS: u64 = 4;
const ROUNDS: u64 = 40;
const PAD: &str = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";

/// Deterministic pseudo-random numbers (xorshift).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Logs `ROUNDS` bursts on thread `t`, each started by `go` and ended
/// by `done`: a pause, a first record, then up to 8 more (none every
/// third round). Returns where
/// the record after each first one went in the ring (asserted by the
/// caller: a panic here would leave the others at a barrier).
fn bursts(
    logger: &Logger,
    m: &uringlog::ManualClock,
    t: u64,
    go: &Barrier,
    done: &Barrier,
    logged: &AtomicU64,
) -> Vec<usize> {
    let mut rng = 0x9E37_79B9_7F4A_7C15 ^ (t + 1);
    let mut seq = 0u64;
    let mut after_first = Vec::new();
    for round in 0..ROUNDS {
        go.wait();
        m.advance_nanos(PAUSE);
        uringlog::info!(logger, "t={} seq={} first", t, seq);
        seq += 1;
        after_first.push(next_ring_offset(logger));
        // Every third round, the first records alone: their wake-ups are
        // the round's only ones.
        let more = if round % 3 == 0 {
            0
        } else {
            next(&mut rng) % 9
        };
        for _ in 0..more {
            let pad = &PAD[..(next(&mut rng) % 72) as usize];
            uringlog::info!(logger, "t={} seq={} pad={}", t, seq, pad);
            seq += 1;
        }
        logged.fetch_add(1 + more, Ordering::Relaxed);
        done.wait();
    }
    after_first
}

fn scenario(policy: Policy) {
    let (clock, m) = Clock::manual(1_000_000_000);
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(policy)
        .ring_capacity(4096)
        .clock(clock)
        .build()
        .unwrap();
    let (go, done) = (
        Arc::new(Barrier::new(THREADS as usize + 1)),
        Arc::new(Barrier::new(THREADS as usize + 1)),
    );
    let logged = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (logger, m, go, done, logged) = (
                logger.clone(),
                m.clone(),
                go.clone(),
                done.clone(),
                logged.clone(),
            );
            thread::spawn(move || bursts(&logger, &m, t, &go, &done, &logged))
        })
        .collect();
    for round in 0..ROUNDS {
        wait_for("the writer never slept", || logger.writer_sleeping());
        go.wait();
        done.wait();
        let n = logged.load(Ordering::Relaxed);
        wait_for(
            &format!("{policy:?}, round {round}: {n} records not written: lost wake-up"),
            || logger.stats().written == n,
        );
    }
    let after_first: Vec<Vec<usize>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // Records of one call site in binary have one length: the ring was
    // rebased when the next record goes right after the first, as it did
    // after the thread's first record of all, every round.
    let one = after_first[0][0];
    for (t, at) in after_first.iter().enumerate() {
        assert_eq!(
            at,
            &vec![one; ROUNDS as usize],
            "{policy:?}: thread {t} rebased every round"
        );
    }
    let n = logged.load(Ordering::Relaxed);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{policy:?}");
    let lines = out.lines();
    assert_eq!(lines.len() as u64, n);
    let seqs = sequences(&lines);
    assert_eq!(seqs.len() as u64, THREADS);
    for (t, v) in seqs {
        assert_eq!(
            v,
            (0..v.len() as u64).collect::<Vec<_>>(),
            "{policy:?}: thread {t} in order"
        );
    }
}

#[test]
fn block_producers_wake_a_sleeping_writer_after_each_pause() {
    scenario(Policy::Block);
}

#[test]
fn drop_newest_producers_wake_a_sleeping_writer_after_each_pause() {
    scenario(Policy::DropNewest);
}
