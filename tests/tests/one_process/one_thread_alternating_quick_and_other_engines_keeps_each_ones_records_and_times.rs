//! One thread logs in turn, call by call, to engines whose producers take
//! different fast paths: the usual engine (the TSC clock with
//! `membarrier` wake-ups: the quick path), one with plain fences, and
//! ones on a manual clock in async, `DropOldest`, sync, crash-safe and
//! caller-formatting mode. Some calls log from inside a value's
//! `Display` to the same logger and to the next one, and the loggers
//! are shut down and built again part-way. Each logger gets exactly its
//! own records, in order, each stamped with its own clock's time: a
//! manual clock's exact time, the others' within the run; a call after
//! its shutdown is counted dropped.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use uringlog::{
    Clock, Format, Formatting, Logger, ManualClock, MemoryHandle, Mode, Policy, Timestamp,
};
use uringlog_tests::{assert_all_written, logger_with, nov_28, SHUTDOWN};

/// The kinds of engine taking turns.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Usual,
    Fences,
    Manual,
    ManualDropOldest,
    ManualSync,
    ManualCrashSafe,
    ManualCaller,
}

const KINDS: [Kind; 7] = [
    Kind::Usual,
    Kind::Fences,
    Kind::Manual,
    Kind::ManualDropOldest,
    Kind::ManualSync,
    Kind::ManualCrashSafe,
    Kind::ManualCaller,
];

struct One {
    kind: Kind,
    logger: Logger,
    guard: uringlog::WriterGuard,
    out: MemoryHandle,
    hand: Option<ManualClock>,
    /// Each record's message and, on a manual clock, its time.
    want: Vec<(String, Option<u64>)>,
    _dir: tempfile::TempDir,
}

fn build(kind: Kind, k: usize) -> One {
    let dir = tempfile::tempdir().unwrap();
    let (sink, out) = uringlog::MemorySink::new();
    let mut b = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Nanos).without_target())
        .ring_capacity(1 << 20);
    let mut hand = None;
    if !matches!(kind, Kind::Usual | Kind::Fences) {
        let (clock, h) = Clock::manual(nov_28(k as u64, 0));
        b = b.clock(clock);
        hand = Some(h);
    }
    b = match kind {
        Kind::Usual | Kind::Manual => b,
        Kind::Fences => b.test_wake_fence_fallback(),
        Kind::ManualDropOldest => b.policy(Policy::DropOldest),
        Kind::ManualSync => b.mode(Mode::Sync),
        Kind::ManualCrashSafe => b.crash_safe(dir.path()),
        Kind::ManualCaller => b.formatting(Formatting::Caller),
    };
    let (logger, guard) = b.build().unwrap();
    One {
        kind,
        logger,
        guard,
        out,
        hand,
        want: Vec::new(),
        _dir: dir,
    }
}

/// How `unix_nanos` shows on a line (the engine's own rendering, on a
/// manual clock): times of one format compare as their strings do.
fn shown_at(unix_nanos: u64) -> String {
    let (sink, out) = uringlog::MemorySink::new();
    let format = Format::text().timestamp(Timestamp::Nanos).without_target();
    let (l, g) = logger_with(sink, format, Clock::manual(unix_nanos).0);
    uringlog::info!(l, "x");
    drop(l);
    assert_all_written(&g.shutdown(SHUTDOWN).unwrap(), 1, "reference");
    out.lines()[0].split_once(' ').unwrap().0.to_owned()
}

/// The time shown for `nanos` on a manual clock.
fn shown(nanos: u64) -> String {
    let h = (nanos - nov_28(0, 0)) / 3_600_000_000_000;
    let rest = nanos - nov_28(h, 0);
    assert!(rest < 60_000_000_000);
    format!(
        "2026-11-28T{h:02}:00:{:02}.{:09}Z",
        rest / 1_000_000_000,
        rest % 1_000_000_000
    )
}

/// A value whose `Display` logs to two loggers first.
struct Nested<'a> {
    same: &'a Logger,
    other: &'a Logger,
    n: u64,
}

impl fmt::Display for Nested<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uringlog::info!(self.same, "inner same n={}", self.n);
        uringlog::info!(self.other, "inner other n={}", self.n);
        write!(f, "nested {}", self.n)
    }
}

/// The time now, `by` seconds later, as a line shows it.
fn now_shown(by: i64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    shown_at((now.as_nanos() as i64 + by * 1_000_000_000) as u64)
}

/// Shuts `o` down and checks its lines and books.
fn check(o: One, from: &str) {
    let kind = o.kind;
    let s = o.guard.shutdown(SHUTDOWN).unwrap();
    // A call after the shutdown, through the producer this thread has,
    // is counted dropped.
    uringlog::info!(o.logger, "late {}", 1u8);
    let late = o.logger.stats();
    let to = now_shown(2);
    let lines = o.out.lines();
    let n = o.want.len() as u64;
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0), "{kind:?}");
    assert_eq!(
        (late.enqueued, late.written, late.dropped),
        (n + 1, n, 1),
        "{kind:?}"
    );
    assert_eq!(lines.len(), o.want.len(), "{kind:?}");
    for (line, (msg, at)) in lines.iter().zip(&o.want) {
        let (ts, rest) = line.split_once(' ').unwrap();
        assert_eq!(rest, format!("INFO  {msg}"), "{kind:?}");
        match at {
            Some(at) => assert_eq!(ts, shown(*at), "{kind:?}: {line}"),
            None => assert!(
                from <= ts && ts <= to.as_str(),
                "{kind:?}: {line} not in {from}..={to}"
            ),
        }
    }
}

#[test]
fn each_engine_gets_its_own_records_with_its_own_clocks_time() {
    let from = now_shown(-2);
    let mut all: Vec<One> = KINDS
        .iter()
        .enumerate()
        .map(|(k, &kind)| build(kind, k))
        .collect();
    const ROUNDS: u64 = 3_000;
    let count = all.len();
    for i in 0..ROUNDS {
        for k in 0..count {
            let at = all[k].hand.as_ref().map(|h| {
                h.set_unix_nanos(nov_28(k as u64, 0) + i * 1_000_003);
                h.unix_nanos()
            });
            let o = &all[k];
            if i % 10 == 7 {
                let next = (k + 1) % count;
                let v = Nested {
                    same: &o.logger,
                    other: &all[next].logger,
                    n: i,
                };
                uringlog::info!(o.logger, "i={} {}", i, v);
                let next_at = all[next].hand.as_ref().map(|h| h.unix_nanos());
                all[k].want.push((format!("inner same n={i}"), at));
                all[next].want.push((format!("inner other n={i}"), next_at));
                all[k].want.push((format!("i={i} nested {i}"), at));
            } else {
                uringlog::info!(o.logger, "i={} k={} s={}", i, k, "abc");
                all[k].want.push((format!("i={i} k={k} s=abc"), at));
            }
            if i % 1000 == 999 && k % 2 == (i / 1000) as usize % 2 {
                // Shut down and built again: the thread's producer of the
                // old one is left behind.
                let fresh = build(all[k].kind, k);
                check(std::mem::replace(&mut all[k], fresh), &from);
            }
        }
    }
    for o in all {
        check(o, &from);
    }
}

/// A value whose `Display` logs to a logger this thread never logged to
/// (its producer registered inside the call).
struct First<'a>(&'a Logger);

impl fmt::Display for First<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uringlog::info!(self.0, "first {}", 1u8);
        f.write_str("outer")
    }
}

/// Each kind's first call on this thread is made from inside a call to
/// another kind's logger: the producer registered there serves every
/// later call, and both loggers keep exactly their records.
#[test]
fn a_first_call_from_inside_another_engines_call_registers_its_producer() {
    let from = now_shown(-2);
    for (k, &outer_kind) in KINDS.iter().enumerate() {
        for (j, &inner_kind) in KINDS.iter().enumerate() {
            let mut outer = build(outer_kind, k);
            let mut inner = build(inner_kind, j);
            let at = |o: &One| o.hand.as_ref().map(|h| h.unix_nanos());
            uringlog::info!(outer.logger, "n={} {}", 0u8, First(&inner.logger));
            let (a, b) = (at(&outer), at(&inner));
            inner.want.push(("first 1".to_owned(), b));
            outer.want.push(("n=0 outer".to_owned(), a));
            for n in 1..50u64 {
                uringlog::info!(inner.logger, "inner n={}", n);
                inner.want.push((format!("inner n={n}"), b));
                uringlog::info!(outer.logger, "outer n={}", n);
                outer.want.push((format!("outer n={n}"), a));
            }
            check(outer, &from);
            check(inner, &from);
        }
    }
}
