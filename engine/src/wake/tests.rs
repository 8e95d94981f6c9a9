//! Tests of the event count with real futexes and both barriers (the
//! interleavings are in `loom_tests`).

use super::*;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc;
use std::thread;

/// Runs `f` on a thread and fails if it has not returned within `secs`
/// (a lost wake-up hangs instead of failing otherwise).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("a wait did not return: lost wake-up")
}

fn both_barriers() -> [Barrier; 2] {
    [Barrier::detect(false).barrier, Barrier::Fence]
}

#[test]
fn the_test_hook_forces_the_fence() {
    let BarrierChoice { barrier: b, note } = Barrier::detect(true);
    assert_eq!(b, Barrier::Fence);
    assert_eq!(
        note,
        "wake-ups: a SeqCst fence per record (forced by the test hook)"
    );
    let BarrierChoice { barrier: b, note } = Barrier::detect(false);
    match b {
        Barrier::Membarrier => assert!(note.contains("membarrier"), "{note}"),
        Barrier::Fence => assert!(note.starts_with("wake-ups: a SeqCst fence"), "{note}"),
    }
}

#[test]
fn notify_without_waiters_makes_no_syscall() {
    for b in both_barriers() {
        let ec = EventCount::new(b);
        for _ in 0..1000 {
            ec.notify();
        }
        assert_eq!(ec.counts(), (0, 0));
    }
}

#[test]
fn a_notify_between_prepare_and_commit_is_not_lost() {
    for b in both_barriers() {
        let ec = EventCount::new(b);
        let key = ec.prepare_wait();
        ec.notify();
        // The claim moved the epoch: the wait returns at once.
        assert_eq!(ec.commit_wait(key, None), Woken::Notified);
        assert_eq!(ec.counts(), (1, 1));
        ec.notify();
        assert_eq!(ec.counts(), (1, 1), "the claim left no waiter behind");
    }
}

#[test]
fn cancel_withdraws_and_reports_a_claim() {
    let ec = EventCount::new(Barrier::Fence);
    let key = ec.prepare_wait();
    assert!(!ec.cancel(key));
    ec.notify();
    assert_eq!(ec.counts(), (1, 0), "nobody to wake after cancel");
    let key = ec.prepare_wait();
    ec.notify();
    assert!(ec.cancel(key), "claimed before the cancel");
    ec.notify();
    assert_eq!(ec.counts(), (2, 1));
}

#[test]
fn a_timed_out_wait_withdraws_its_registration() {
    let ec = EventCount::new(Barrier::Fence);
    let key = ec.prepare_wait();
    let deadline = Instant::now() + Duration::from_millis(5);
    assert_eq!(ec.commit_wait(key, Some(deadline)), Woken::TimedOut);
    ec.notify();
    assert_eq!(ec.counts(), (1, 0));
    assert!(!ec.wait_until(|| false, Some(Instant::now())));
}

#[test]
fn a_burst_of_notifies_wakes_a_sleeper_once() {
    for b in both_barriers() {
        let ec = Arc::new(EventCount::new(b));
        let flag = Arc::new(AtomicBool::new(false));
        let (e, f) = (ec.clone(), flag.clone());
        let waiter = thread::spawn(move || e.wait_until(|| f.load(Ordering::Acquire), None));
        // Let the waiter register (not needed for correctness).
        while ec.counts().0 == 0 {
            thread::yield_now();
        }
        flag.store(true, Ordering::Release);
        for _ in 0..10_000 {
            ec.notify();
        }
        assert!(within(30, move || waiter.join().unwrap()));
        let (waits, wakes) = ec.counts();
        // One wake-up, or none: a waiter slow to re-check (preempted
        // between registering and its heavy fence) sees the flag and
        // withdraws before the first notify, which then finds no waiter.
        assert!(waits >= 1, "the waiter registered");
        assert!(wakes <= 1, "at most one wake-up for the burst, not {wakes}");
    }
}

/// Two threads hand a counter back and forth, each sleeping until the
/// other's step: every round needs a wake-up that must not be lost.
#[test]
fn ping_pong_loses_no_wake_up_with_either_barrier() {
    const ROUNDS: u64 = 20_000;
    for b in both_barriers() {
        let ec = Arc::new(EventCount::new(b));
        let n = Arc::new(AtomicU64::new(0));
        let (e, c) = (ec.clone(), n.clone());
        let other = thread::spawn(move || {
            for i in (1..ROUNDS).step_by(2) {
                e.wait_until(|| c.load(Ordering::Acquire) == i, None);
                c.store(i + 1, Ordering::Release);
                e.notify();
            }
        });
        let (e, c) = (ec.clone(), n.clone());
        within(60, move || {
            for i in (0..ROUNDS).step_by(2) {
                e.wait_until(|| c.load(Ordering::Acquire) == i, None);
                c.store(i + 1, Ordering::Release);
                e.notify();
            }
            other.join().unwrap();
        });
        assert_eq!(n.load(Ordering::Relaxed), ROUNDS);
        let (waits, wakes) = ec.counts();
        assert!(wakes <= waits, "{wakes} wakes > {waits} waits");
    }
}

#[test]
fn a_full_waiter_count_degrades_to_polling() {
    let ec = EventCount::new(Barrier::Fence);
    let keys: Vec<WaitKey> = (0..WAITERS).map(|_| ec.prepare_wait()).collect();
    let crowded = ec.prepare_wait();
    assert_eq!(crowded.bound(), Some(FALLBACK_SLEEP));
    assert_eq!(ec.commit_wait(crowded, None), Woken::TimedOut);
    ec.notify();
    for k in keys {
        assert_eq!(ec.commit_wait(k, None), Woken::Notified);
    }
    assert_eq!(ec.counts(), (u64::from(WAITERS), 1));
}

#[test]
fn a_linger_sleeps_in_growing_steps_until_its_period_after_the_last_work_is_over() {
    let t0 = Instant::now();
    let (us, ms) = (Duration::from_micros, Duration::from_millis);
    let linger = Linger::new(ms(5));
    // Lingering off: register at once.
    assert_eq!(Linger::new(Duration::ZERO).next_sleep(t0, t0), None);
    // A quarter of the idle time, from the shortest step to the longest.
    assert_eq!(linger.next_sleep(t0, t0), Some(Linger::STEP_MIN));
    assert_eq!(linger.next_sleep(t0, t0 + us(100)), Some(us(50)));
    assert_eq!(linger.next_sleep(t0, t0 + us(400)), Some(us(100)));
    assert_eq!(linger.next_sleep(t0, t0 + ms(4)), Some(Linger::STEP_MAX));
    // Near its end: only what is left; at or past it: register.
    let near = t0 + ms(5) - us(20);
    assert_eq!(linger.next_sleep(t0, near), Some(us(20)));
    assert_eq!(linger.next_sleep(t0, t0 + ms(5)), None);
    assert_eq!(linger.next_sleep(t0, t0 + ms(6)), None);
}
