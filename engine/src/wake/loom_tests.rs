//! Loom models of the wake protocol.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p uringlog --release --lib loom`.
//! A lost wake-up shows as a deadlock, which loom reports as a failure.

use super::*;
use crate::sync::{Arc, AtomicBool, AtomicU64};
use loom::thread;

fn model(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.check(f);
}

/// An event count, a ring, and a producer thread that commits one record
/// to it and notifies.
fn one_record() -> (Arc<EventCount>, Arc<AtomicU64>, thread::JoinHandle<()>) {
    let ec = Arc::new(EventCount::new(Barrier::Membarrier));
    let ring = Arc::new(AtomicU64::new(0));
    let (e, r) = (ec.clone(), ring.clone());
    let producer = thread::spawn(move || {
        r.store(1, Ordering::Release);
        e.notify();
    });
    (ec, ring, producer)
}

/// A producer commits a record and notifies while the writer goes to
/// sleep: the writer always sees the record.
#[test]
fn loom_wake_one_producer_one_writer() {
    model(3, || {
        let (ec, ring, producer) = one_record();
        assert!(ec.wait_until(|| ring.load(Ordering::Acquire) == 1, None));
        producer.join().unwrap();
        assert_eq!(ec.word.load(Ordering::Relaxed) & WAITERS, 0);
    });
}

/// Two producers, each committing once: the writer waits for both, and a
/// claim by the first never swallows the second's record.
#[test]
fn loom_wake_two_producers() {
    model(2, || {
        let ec = Arc::new(EventCount::new(Barrier::Fence));
        let ring = Arc::new(AtomicU64::new(0));
        let spawn = |ec: &Arc<EventCount>, ring: &Arc<AtomicU64>| {
            let (e, r) = (ec.clone(), ring.clone());
            thread::spawn(move || {
                r.fetch_add(1, Ordering::Release);
                e.notify();
            })
        };
        let (a, b) = (spawn(&ec, &ring), spawn(&ec, &ring));
        assert!(ec.wait_until(|| ring.load(Ordering::Acquire) == 2, None));
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// Two flushers wait for one acknowledgement: both are woken.
#[test]
fn loom_wake_two_waiters() {
    model(2, || {
        let ec = Arc::new(EventCount::new(Barrier::Membarrier));
        let done = Arc::new(AtomicBool::new(false));
        let spawn = |ec: &Arc<EventCount>, done: &Arc<AtomicBool>| {
            let (e, d) = (ec.clone(), done.clone());
            thread::spawn(move || assert!(e.wait_until(|| d.load(Ordering::Acquire), None)))
        };
        let (a, b) = (spawn(&ec, &done), spawn(&ec, &done));
        done.store(true, Ordering::Release);
        ec.notify();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(ec.word.load(Ordering::Relaxed) & WAITERS, 0);
    });
}

/// A waiter withdraws (as after a timeout) while a notify races with it,
/// then waits again: the count stays exact and the second wait is woken.
#[test]
fn loom_wake_cancel_races_with_notify() {
    model(3, || {
        let ec = Arc::new(EventCount::new(Barrier::Fence));
        let flag = Arc::new(AtomicBool::new(false));
        let (e, f) = (ec.clone(), flag.clone());
        let notifier = thread::spawn(move || {
            f.store(true, Ordering::Release);
            e.notify();
        });
        let key = ec.prepare_wait();
        let _ = ec.cancel(key);
        assert!(ec.wait_until(|| flag.load(Ordering::Acquire), None));
        notifier.join().unwrap();
        assert_eq!(ec.word.load(Ordering::Relaxed) & WAITERS, 0);
    });
}

/// The writer lingers (polls, unregistered, a lingering sleep between
/// polls) before it registers, while a producer commits and notifies at
/// any point: the writer always sees the record, and when it saw it while
/// lingering the producer's notify made no wake-up (nobody registered).
#[test]
fn loom_wake_a_lingering_writer_misses_nothing() {
    model(3, || {
        let (ec, ring, producer) = one_record();
        let linger = Linger::new(Duration::from_secs(1));
        let ready = || ring.load(Ordering::Acquire) == 1;
        let mut seen_lingering = false;
        for _ in 0..2 {
            if ready() {
                seen_lingering = true;
                break;
            }
            linger.sleep(Linger::STEP_MIN);
        }
        if !seen_lingering {
            assert!(ec.wait_until(ready, None));
        }
        producer.join().unwrap();
        if seen_lingering {
            assert_eq!(ec.counts(), (0, 0));
        }
        assert_settled(&ec);
    });
}

/// No more wake-ups than sleeps, and no waiter left registered.
fn assert_settled(ec: &EventCount) {
    let (waits, wakes) = ec.counts();
    assert!(wakes <= waits);
    assert_eq!(ec.word.load(Ordering::Relaxed) & WAITERS, 0);
}

/// The model has teeth: without the notifier's fence the store-buffering
/// race loses the wake-up, and loom finds the deadlock.
#[test]
#[should_panic(expected = "deadlock")]
fn loom_wake_without_the_fence_loses_a_wake_up() {
    model(3, || {
        let ec = Arc::new(EventCount::new(Barrier::Fence));
        let ring = Arc::new(AtomicU64::new(0));
        let (e, r) = (ec.clone(), ring.clone());
        let producer = thread::spawn(move || {
            r.store(1, Ordering::Relaxed);
            if e.word.load(Ordering::Relaxed) & WAITERS != 0 {
                e.notify_slow();
            }
        });
        assert!(ec.wait_until(|| ring.load(Ordering::Relaxed) == 1, None));
        producer.join().unwrap();
    });
}

/// A ring of `CAP` units, full, as a blocked `Block` producer sees it:
/// the writer releases one unit at a time and wakes the producer only
/// once half the ring is free (`notify_if`, as `RingShared::room_released_in`).
const CAP: u64 = 4;

/// An event count and a full ring's `tail` and `head`.
fn full_ring() -> (Arc<EventCount>, Arc<AtomicU64>, Arc<AtomicU64>) {
    let ec = Arc::new(EventCount::new(Barrier::Membarrier));
    (ec, Arc::new(AtomicU64::new(CAP)), Arc::new(AtomicU64::new(0)))
}

/// Free units as the writer sees them after releasing up to `head`.
fn free(tail: &AtomicU64, head: &AtomicU64) -> u64 {
    CAP - (tail.load(Ordering::Acquire) - head.load(Ordering::Acquire))
}

/// The writer releases the full ring unit by unit, waking at the
/// threshold only, while the producer waits for half the ring, pushes
/// two units and waits for half again: it is never left asleep, and it
/// is woken no more often than it resumes.
#[test]
fn loom_wake_a_blocked_producer_at_half_the_ring() {
    model(2, || {
        let (ec, tail, head) = full_ring();
        let (e, t, h) = (ec.clone(), tail.clone(), head.clone());
        // The writer: releases what is committed until all 6 units are.
        let writer = thread::spawn(move || {
            let mut released = 0;
            while released < CAP + 2 {
                if h.load(Ordering::Relaxed) == t.load(Ordering::Acquire) {
                    thread::yield_now();
                    continue;
                }
                released += 1;
                h.store(released, Ordering::Release);
                e.notify_if(|| free(&t, &h) >= CAP / 2);
            }
        });
        for _ in 0..2 {
            assert!(ec.wait_until(|| free(&tail, &head) >= CAP / 2, None));
            if tail.load(Ordering::Relaxed) < CAP + 2 {
                tail.fetch_add(2, Ordering::Release);
            }
        }
        writer.join().unwrap();
        assert_settled(&ec);
    });
}

/// The model has teeth: a writer whose threshold is above what the
/// producer waits for (here: never met) leaves it asleep, and loom finds
/// the deadlock.
#[test]
#[should_panic(expected = "deadlock")]
fn loom_wake_a_threshold_above_the_waiters_loses_a_wake_up() {
    model(2, || {
        let (ec, tail, head) = full_ring();
        let (e, t, h) = (ec.clone(), tail.clone(), head.clone());
        let writer = thread::spawn(move || {
            for released in 1..=CAP / 2 {
                h.store(released, Ordering::Release);
                e.notify_if(|| free(&t, &h) > CAP / 2);
            }
        });
        assert!(ec.wait_until(|| free(&tail, &head) >= CAP / 2, None));
        writer.join().unwrap();
    });
}

/// The room channel as a `Block` producer uses it (`RingShared::room`,
/// `room_spin`): plain fences on both sides whatever the logger's barrier,
/// and the producer polls its condition a few times (a spin, unregistered)
/// before it registers. The writer releases unit by unit and wakes at the
/// threshold; the producer is never left asleep, whichever poll or
/// registration the release lands between.
#[test]
fn loom_wake_a_producer_that_spins_then_parks_on_plain_fences() {
    model(2, || {
        let ec = Arc::new(EventCount::new(Barrier::Fence));
        let (tail, head) = (Arc::new(AtomicU64::new(CAP)), Arc::new(AtomicU64::new(0)));
        let (e, t, h) = (ec.clone(), tail.clone(), head.clone());
        let writer = thread::spawn(move || {
            for released in 1..=CAP {
                h.store(released, Ordering::Release);
                e.notify_if(|| free(&t, &h) >= CAP / 2);
            }
        });
        let ready = || free(&tail, &head) >= CAP / 2;
        // The spin: a bounded number of looks, then the park.
        if !(0..2).any(|_| ready()) {
            assert!(ec.wait_until(ready, None));
        }
        writer.join().unwrap();
        assert_settled(&ec);
    });
}
