//! A thread that logs through the logger (its cached producer) and
//! through an explicit `Logger::producer` has two rings. Each pass reads
//! the rings in the order they were registered, so records the thread
//! logged through one before it logged through the other come out first.
//! The writer's gathering must not change that: holding one of the
//! thread's rings back (below its threshold) while reading the other — the
//! other abandoned (its producer dropped) or past its threshold — let the
//! thread's later records overtake its earlier ones.
//!
//! The writer is stalled in its first write (a gated sink) while the
//! thread logs, so every record meets the same pass, whatever the timing.

use std::cell::RefCell;
use uringlog::{Format, Level, Logger, Timestamp};
use uringlog_tests::{wait_for, wait_until_stuck, GateSink, SHUTDOWN};

/// Ring bytes: a gathering threshold of 1 KiB.
const RING: usize = 4096;
/// Records of ~60 bytes that take a ring past its threshold.
const BURST: u64 = 30;

/// A logger on a gated sink, stalled in the write of its first record
/// (logged by `first`); runs `then` while it is, releases it and waits
/// for `n` records in all; returns the lines.
fn stalled(first: impl FnOnce(&Logger), then: impl FnOnce(&Logger), n: u64) -> Vec<String> {
    let (sink, gate) = GateSink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .ring_capacity(RING)
        .build()
        .unwrap();
    first(&logger);
    wait_until_stuck(&gate.entered);
    then(&logger);
    gate.release.send(()).unwrap();
    // No flush: it would read every ring at once, in order.
    wait_for("records never written", || logger.stats().written == n);
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0));
    let text = String::from_utf8(gate.lines.lock().unwrap().clone()).unwrap();
    text.lines().map(str::to_owned).collect()
}

fn via_producer(p: &mut uringlog::Producer, msg: &str) {
    p.log(Level::Info, "t", format_args!("{msg}"));
}

fn expected(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("INFO  t: {n}")).collect()
}

fn burst(prefix: &str) -> Vec<String> {
    (0..BURST)
        .map(|i| format!("{prefix}{i:02} padded to about sixty bytes"))
        .collect()
}

#[test]
fn a_dropped_producers_records_wait_for_the_threads_earlier_ones() {
    let lines = stalled(
        |l| uringlog::info!(l, target: "t", "first"),
        |l| {
            uringlog::info!(l, target: "t", "cached");
            let mut p = l.producer();
            via_producer(&mut p, "explicit, then dropped");
        },
        3,
    );
    assert_eq!(
        lines,
        expected(&["first", "cached", "explicit, then dropped"])
    );
}

#[test]
fn a_producer_past_its_threshold_waits_for_the_threads_earlier_records() {
    let words = burst("explicit ");
    let lines = stalled(
        |l| uringlog::info!(l, target: "t", "first"),
        |l| {
            uringlog::info!(l, target: "t", "cached");
            let mut p = l.producer();
            for w in &words {
                via_producer(&mut p, w);
            }
        },
        2 + BURST,
    );
    let mut want = vec!["first", "cached"];
    want.extend(words.iter().map(String::as_str));
    assert_eq!(lines, expected(&want));
}

#[test]
fn the_cached_producer_past_its_threshold_waits_for_an_explicit_ones_earlier_records() {
    let words = burst("cached ");
    let p = RefCell::new(None);
    let lines = stalled(
        |l| via_producer(p.borrow_mut().insert(l.producer()), "first"),
        |l| {
            via_producer(p.borrow_mut().as_mut().unwrap(), "explicit");
            for w in &words {
                uringlog::info!(l, target: "t", "{w}");
            }
        },
        2 + BURST,
    );
    drop(p);
    let mut want = vec!["first", "explicit"];
    want.extend(words.iter().map(String::as_str));
    assert_eq!(lines, expected(&want));
}

/// A ring registered before the thread's two is retired (its thread
/// exited) in the very pass that reads them: the rest keep their order.
/// Before, the last ring took the retired one's place, ahead of the
/// thread's first ring — in a flush's pass as well.
#[test]
fn a_ring_retired_before_them_leaves_the_threads_rings_in_order() {
    let (exit, told) = std::sync::mpsc::channel::<()>();
    let other = RefCell::new(None);
    let lines = stalled(
        |l| {
            let l = l.clone();
            let t = std::thread::spawn(move || {
                uringlog::info!(l, target: "t", "another thread");
                told.recv().unwrap();
            });
            *other.borrow_mut() = Some(t);
        },
        |l| {
            uringlog::info!(l, target: "t", "cached");
            let mut p = l.producer();
            via_producer(&mut p, "explicit");
            exit.send(()).unwrap();
            other.borrow_mut().take().unwrap().join().unwrap();
        },
        3,
    );
    assert_eq!(lines, expected(&["another thread", "cached", "explicit"]));
}
