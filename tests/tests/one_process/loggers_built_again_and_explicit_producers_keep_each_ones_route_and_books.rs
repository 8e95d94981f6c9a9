//! One thread builds two loggers at a time, logs through both in turn,
//! call by call, through each logger and an explicit producer of each,
//! then shuts both down, logs once more through each way, and drops them;
//! round after round, so that a logger's engine may be built where a
//! dropped one's was (the address the thread's cache keyed the old one
//! by). One logger of each pair takes the quick route (the TSC clock with
//! `membarrier` wake-ups, under `Block` or, on a small ring, `DropNewest`),
//! the other does not (a manual clock under `Block`, `DropNewest`,
//! `DropOldest`, sync or crash-safe mode, or plain fences). Each logger
//! gets only its own records, each way's in order, a manual clock's at
//! its exact time; the calls after shutdown are counted dropped, and
//! written plus dropped is every call.

use uringlog::{Clock, Format, Logger, ManualClock, MemoryHandle, Mode, Policy, Timestamp};
use uringlog_tests::{nov_28, SHUTDOWN};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Quick,
    QuickDropNewest,
    Manual,
    ManualDropNewest,
    ManualDropOldest,
    ManualSync,
    ManualCrashSafe,
    Fences,
}

const OTHERS: [Kind; 6] = [
    Kind::Manual,
    Kind::ManualDropNewest,
    Kind::ManualDropOldest,
    Kind::ManualSync,
    Kind::ManualCrashSafe,
    Kind::Fences,
];

struct One {
    kind: Kind,
    logger: Logger,
    producer: uringlog::Producer,
    guard: uringlog::WriterGuard,
    out: MemoryHandle,
    hand: Option<ManualClock>,
    /// Its place in the pair (see [`turn`]).
    place: usize,
    /// Calls made through the logger and through the producer.
    calls: u64,
    _dir: tempfile::TempDir,
}

fn build(kind: Kind) -> One {
    let dir = tempfile::tempdir().unwrap();
    let (sink, out) = uringlog::MemorySink::new();
    let mut b = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Nanos).without_target());
    let mut hand = None;
    if !matches!(kind, Kind::Quick | Kind::QuickDropNewest | Kind::Fences) {
        let (clock, h) = Clock::manual(nov_28(1, 0));
        b = b.clock(clock);
        hand = Some(h);
    }
    b = match kind {
        Kind::Quick | Kind::Manual => b,
        Kind::QuickDropNewest | Kind::ManualDropNewest => {
            b.policy(Policy::DropNewest).ring_capacity(4096)
        }
        Kind::ManualDropOldest => b.policy(Policy::DropOldest),
        Kind::ManualSync => b.mode(Mode::Sync),
        Kind::ManualCrashSafe => b.crash_safe(dir.path()),
        Kind::Fences => b.test_wake_fence_fallback(),
    };
    let (logger, guard) = b.build().unwrap();
    let producer = logger.producer();
    One {
        kind,
        logger,
        producer,
        guard,
        out,
        hand,
        place: 0,
        calls: 0,
        _dir: dir,
    }
}

/// Through which way call `n` of a round goes: 0 the logger (the thread's
/// cached producer), 1 the explicit producer; one call in five.
fn via(n: u64) -> u64 {
    u64::from(n % 5 == 4)
}

/// Which logger of the pair call `n` of a round goes to: runs of seven,
/// so that the thread's cache serves all but a run's first call through
/// a logger, its miss then finding the other's producer there.
fn turn(n: u64) -> usize {
    (n / 7 % 2) as usize
}

/// Call `n` of a round, which a manual clock shows as nanoseconds.
fn call(o: &mut One, n: u64) {
    if let Some(h) = &o.hand {
        h.set_unix_nanos(nov_28(1, 0) + n);
    }
    if via(n) == 0 {
        uringlog::info!(o.logger, "via={} n={} {}", 0u8, n, u64::MAX);
    } else {
        uringlog::info!(o.producer, "via={} n={} {}", 1u8, n, u64::MAX);
    }
    o.calls += 1;
}

/// Shuts `o` down, logs once more each way, and checks its lines and books.
fn check(mut o: One) {
    let kind = o.kind;
    let s = o.guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(s.enqueued, o.calls, "{kind:?}");
    assert_eq!(s.written + s.dropped, o.calls, "{kind:?}");
    if !matches!(
        kind,
        Kind::QuickDropNewest | Kind::ManualDropNewest | Kind::ManualDropOldest
    ) {
        assert_eq!(s.dropped, 0, "{kind:?}");
    }
    uringlog::info!(o.logger, "late {}", 1u8);
    uringlog::info!(o.producer, "late {}", 2u8);
    drop(o.producer);
    let late = o.logger.stats();
    assert_eq!(
        (late.enqueued, late.written, late.dropped),
        (o.calls + 2, s.written, s.dropped + 2),
        "{kind:?}"
    );
    let lines = o.out.lines();
    assert_eq!(lines.len() as u64, s.written, "{kind:?}");
    let mut next = [0u64; 2];
    for line in &lines {
        let (ts, rest) = line.split_once(' ').unwrap();
        let rest = rest.strip_prefix("INFO  via=").unwrap();
        let way = uringlog_tests::field(line, "via=").unwrap();
        let n = uringlog_tests::field(line, "n=").unwrap();
        assert_eq!(rest, format!("{way} n={n} {}", u64::MAX), "{kind:?}");
        // Each way's calls are written in order; a ring that drops
        // leaves gaps.
        assert_eq!((turn(n), way), (o.place, via(n)), "{kind:?}: {line}");
        assert!(n >= next[way as usize], "{kind:?}: {line}");
        next[way as usize] = n + 1;
        if o.hand.is_some() {
            let want = format!("2026-11-28T01:00:00.{n:09}Z");
            assert_eq!(ts, want, "{kind:?}: {line}");
        }
    }
}

#[test]
fn each_logger_of_each_round_keeps_its_own_records_times_and_books() {
    const ROUNDS: usize = 60;
    const CALLS: u64 = 700;
    for r in 0..ROUNDS {
        let quick = if r % 2 == 0 {
            Kind::Quick
        } else {
            Kind::QuickDropNewest
        };
        let mut pair = [build(quick), build(OTHERS[r % OTHERS.len()])];
        if r % 3 == 1 {
            pair.swap(0, 1);
        }
        pair[1].place = 1;
        for n in 0..CALLS {
            call(&mut pair[turn(n)], n);
        }
        let [a, b] = pair;
        // In turn: the first checked is dropped before the other's
        // shutdown, while the thread's cache may still key it.
        check(a);
        check(b);
    }
}
