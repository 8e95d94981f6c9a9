//! The log call's fast path (a call of copied arguments written straight
//! into the thread's ring) against hostile callers: arguments that panic
//! while they are evaluated, evaluated with side effects, references to
//! references, `&mut`, `Copy` types with their own `Display`, records
//! larger than the ring, calls after shutdown and a full ring under
//! `DropNewest`. Every line equals `format!`, and the books balance.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use uringlog::{Logger, MemoryHandle, Mode, Policy, WriterGuard};
use uringlog_tests::SHUTDOWN;

/// A `Copy` newtype whose `Display` is not its number's.
#[derive(Clone, Copy)]
struct Hex(u32);

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

/// A logger of text lines without timestamp or target on a memory sink,
/// crash-safe in `dir` when given.
fn logger(
    mode: Mode,
    policy: Policy,
    ring: usize,
    dir: Option<&std::path::Path>,
) -> (Logger, WriterGuard, MemoryHandle) {
    let mut b = Logger::builder()
        .mode(mode)
        .policy(policy)
        .ring_capacity(ring);
    if let Some(d) = dir {
        b = b.crash_safe(d);
    }
    uringlog_tests::bare_memory_logger(b)
}

/// Logs `$($t)*` through the macro and records what `format!` makes of it.
macro_rules! both {
    ($l:expr, $want:expr, $($t:tt)*) => {{
        uringlog::info!($l, $($t)*);
        $want.push(format!("INFO  {}", format!($($t)*)));
    }};
}

/// Every value kind the fast path copies, at its extremes, twice each so
/// that the second call of a site is a fast one.
fn log_values(l: &Logger, want: &mut Vec<String>) {
    for _ in 0..2 {
        both!(
            l,
            want,
            "{} {} {} {} {}",
            u8::MAX,
            u16::MAX,
            u32::MAX,
            u64::MAX,
            u128::MAX
        );
        both!(
            l,
            want,
            "{} {} {} {} {}",
            i8::MIN,
            i16::MIN,
            i32::MIN,
            i64::MIN,
            i128::MIN
        );
        both!(
            l,
            want,
            "{} {} {} {}",
            usize::MAX,
            isize::MIN,
            i64::MAX,
            i128::MAX
        );
        both!(
            l,
            want,
            "{} {} {} {}",
            f32::NAN,
            f32::INFINITY,
            -0.0f32,
            f32::MIN_POSITIVE
        );
        both!(
            l,
            want,
            "{} {} {} {:?}",
            f64::NAN,
            f64::NEG_INFINITY,
            -0.0f64,
            f64::MAX
        );
        both!(l, want, "{} {} {:?} {}", true, false, 'x', 'é');
        let (n, s) = (7u64, String::from("owned"));
        let mut m = -3i32;
        let r = &&n;
        both!(l, want, "{} {} {} {}", r, &&&n, &mut m, &s);
        let h = Hex(255);
        both!(l, want, "{} {} {:>6}|", h, &h, Hex(16));
        let c = std::cell::Cell::new(9u32);
        both!(l, want, "{} {:?}", c.get(), c.get());
    }
}

fn check_values(mode: Mode, dir: Option<&std::path::Path>) {
    let (l, g, out) = logger(mode, Policy::Block, 1 << 16, dir);
    let mut want = Vec::new();
    log_values(&l, &mut want);
    let s = g.shutdown(SHUTDOWN).unwrap();
    assert_eq!(out.lines(), want, "{mode:?} crash-safe {}", dir.is_some());
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (want.len() as u64, want.len() as u64, 0)
    );
}

#[test]
fn copied_values_render_like_format_in_every_mode() {
    check_values(Mode::Async, None);
    check_values(Mode::Sync, None);
    let dir = tempfile::tempdir().unwrap();
    check_values(Mode::Async, Some(dir.path()));
}

/// An argument that panics while the call's arguments are evaluated
/// leaves nothing counted, and the thread's later calls (fast ones) log.
#[test]
fn a_panicking_argument_counts_nothing_and_later_calls_log() {
    let dir = tempfile::tempdir().unwrap();
    for d in [None, Some(dir.path())] {
        let (l, g, out) = logger(Mode::Async, Policy::Block, 1 << 16, d);
        let boom = |i: u64| -> u64 {
            if i % 3 == 1 {
                panic!("argument {i}");
            }
            i
        };
        let mut want = Vec::new();
        for i in 0..30u64 {
            let r = catch_unwind(AssertUnwindSafe(|| {
                uringlog::info!(l, "a={} b={} c={}", i, boom(i), i * 2);
            }));
            assert_eq!(r.is_err(), i % 3 == 1, "call {i}");
            if i % 3 != 1 {
                want.push(format!("INFO  a={i} b={i} c={}", i * 2));
            }
        }
        let s = g.shutdown(SHUTDOWN).unwrap();
        assert_eq!(out.lines(), want, "crash-safe {}", d.is_some());
        assert_eq!((s.enqueued, s.written, s.dropped), (20, 20, 0));
    }
}

/// Each argument is evaluated exactly once, in order, before the call.
#[test]
fn each_argument_is_evaluated_once_in_order() {
    let (l, g, out) = logger(Mode::Async, Policy::Block, 1 << 16, None);
    let seen = std::cell::RefCell::new(Vec::new());
    let note = |v: u32| {
        seen.borrow_mut().push(v);
        v
    };
    for _ in 0..3 {
        uringlog::info!(l, "{} {} {}", note(1), note(2), note(3));
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    assert_eq!(*seen.borrow(), [1, 2, 3, 1, 2, 3, 1, 2, 3]);
    assert_eq!(out.lines(), vec!["INFO  1 2 3".to_string(); 3]);
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0));
}

/// Records of copied arguments larger than the ring, or exactly filling
/// it, and calls after shutdown, are each counted once.
#[test]
fn oversized_records_and_calls_after_shutdown_are_counted_once() {
    let (l, g, out) = logger(Mode::Async, Policy::Block, 4096, None);
    let big = "x".repeat(5000);
    let mut small = 0u64;
    for i in 0..10u64 {
        uringlog::info!(l, "{} {}", i, 1u8);
        uringlog::info!(l, "{} {}", i, big.as_str());
        small += 1;
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    for i in 0..5u64 {
        uringlog::info!(l, "after {}", i);
    }
    let after = l.stats();
    assert_eq!(out.lines().len() as u64, small);
    assert_eq!((s.enqueued, s.written, s.dropped), (20, 10, 10));
    assert_eq!((after.enqueued, after.written, after.dropped), (25, 10, 15));
}

/// A full ring under `DropNewest`: every call is either written or
/// dropped, counted once, the written ones in order.
#[test]
fn drop_newest_on_a_tiny_ring_keeps_the_books() {
    let (l, g, out) = logger(Mode::Async, Policy::DropNewest, 4096, None);
    for i in 0..20_000u64 {
        uringlog::info!(l, "n={} {}", i, u128::MAX);
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines();
    assert_eq!(s.enqueued, 20_000);
    assert_eq!(s.written + s.dropped, s.enqueued);
    assert_eq!(lines.len() as u64, s.written);
    let ns: Vec<u64> = lines
        .iter()
        .map(|x| {
            x["INFO  n=".len()..]
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(ns.windows(2).all(|w| w[0] < w[1]), "out of order");
}

/// The same in crash-safe mode: records of copied arguments larger than
/// the ring file's ring, and a full ring under `DropNewest`.
#[test]
fn crash_safe_oversized_and_full_rings_keep_the_books() {
    let dir = tempfile::tempdir().unwrap();
    let (l, g, out) = logger(Mode::Async, Policy::DropNewest, 4096, Some(dir.path()));
    let big = "x".repeat(5000);
    for i in 0..10u64 {
        uringlog::info!(l, "{} {}", i, big.as_str());
    }
    for i in 0..20_000u64 {
        uringlog::info!(l, "n={} {}", i, u128::MAX);
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines();
    assert_eq!(s.enqueued, 20_010);
    assert_eq!(s.written + s.dropped, s.enqueued);
    assert!(s.dropped >= 10);
    assert_eq!(lines.len() as u64, s.written);
    assert!(lines.iter().all(|x| x.starts_with("INFO  n=")));
}
