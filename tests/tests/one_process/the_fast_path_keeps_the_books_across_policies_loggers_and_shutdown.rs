//! The call's fast path (copied arguments straight into the thread's
//! recent producer's ring) where it must step aside or share the thread:
//! `DropOldest` (no fast path: every drop counted), three loggers taking
//! turns call by call (each gets its own records, in order), records of
//! exactly the ring's capacity and one byte over (in binary, then as
//! text), a `Display` that logs through the fast path of the same and
//! another logger, and a shutdown while threads are mid-call.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use uringlog::{Logger, MemoryHandle, Policy, Stats, WriterGuard};
use uringlog_tests::SHUTDOWN;

/// Text lines without timestamp or target on a memory sink, crash-safe
/// in `dir` when given.
fn logger(
    policy: Policy,
    ring: usize,
    dir: Option<&std::path::Path>,
) -> (Logger, WriterGuard, MemoryHandle) {
    let mut b = Logger::builder().policy(policy).ring_capacity(ring);
    if let Some(d) = dir {
        b = b.crash_safe(d);
    }
    uringlog_tests::bare_memory_logger(b)
}

fn books(s: &Stats) -> (u64, u64, u64) {
    (s.enqueued, s.written, s.dropped)
}

/// The number after `key` on each line that has it.
fn numbers(lines: &[String], key: &str) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|x| uringlog_tests::field(x, key))
        .collect()
}

/// `DropOldest` has no fast path: a tiny overwriting ring under a burst
/// of copied-argument calls keeps the newest records, in order, the last
/// one included, and counts every other one dropped.
#[test]
fn drop_oldest_on_a_tiny_ring_keeps_the_newest_and_counts_every_drop() {
    let (l, g, out) = logger(Policy::DropOldest, 4096, None);
    const N: u64 = 20_000;
    for i in 0..N {
        uringlog::info!(l, "n={} {} {}", i, u128::MAX, -1i8);
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines();
    let ns = numbers(&lines, "n=");
    assert_eq!(ns.len(), lines.len());
    assert!(ns.windows(2).all(|w| w[0] < w[1]), "out of order");
    assert_eq!(ns.last(), Some(&(N - 1)), "the newest record is kept");
    assert!(lines
        .iter()
        .all(|x| x.ends_with(&format!(" {} -1", u128::MAX))));
    assert_eq!(books(&s), (N, lines.len() as u64, N - lines.len() as u64));
    assert!(
        s.dropped > 0,
        "a 4 KiB ring took {N} records without a drop"
    );
}

/// One thread calls three loggers in turn, call by call (so the cache
/// misses at every call): a lossless one, a crash-safe one and a
/// `DropOldest` one, copied and caller-formatted arguments mixed. Each
/// gets exactly its own records, in order.
#[test]
fn three_loggers_taking_turns_call_by_call_get_their_own_records_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let loggers = [
        logger(Policy::Block, 4096, None),
        logger(Policy::Block, 4096, Some(dir.path())),
        logger(Policy::DropOldest, 1 << 20, None),
    ];
    const N: u64 = 5_000;
    let mut want: [Vec<String>; 3] = Default::default();
    for i in 0..N {
        for (k, (l, _, _)) in loggers.iter().enumerate() {
            if i % 7 == 3 {
                let s = format!("s{k}");
                uringlog::info!(l, "k={} i={} {}", k, i, s);
            } else {
                uringlog::info!(l, "k={} i={} {}", k, i, 'x');
            }
            let tail = if i % 7 == 3 {
                format!("s{k}")
            } else {
                "x".into()
            };
            want[k].push(format!("INFO  k={k} i={i} {tail}"));
        }
    }
    for (k, (_, g, out)) in loggers.into_iter().enumerate() {
        let s = g.shutdown(SHUTDOWN).unwrap();
        assert_eq!(out.lines(), want[k], "logger {k}");
        assert_eq!(books(&s), (N, N, 0), "logger {k}");
    }
}

/// Records at a ring's limit `max` (its capacity; in crash-safe mode
/// what one frame holds) and one byte over: one of exactly `max` bytes in
/// binary is written (the ring waits until it is empty); one byte more
/// goes as text, which fits; a text of exactly `max` bytes is written,
/// one byte more is oversized: counted dropped and oversized, once.
/// Small records between them move the ring's ends, so the large ones
/// wrap.
fn at_the_limit(policy: Policy, dir: Option<&std::path::Path>, max: usize) {
    const CAP: usize = 4096;
    // header 16, target "t", call-site address 8, a string's tag and length 5.
    let binary_exact = max - 16 - 1 - 8 - 5;
    // As text: the header, the target and the message.
    let text_exact = max - 16 - 1;
    let sizes = [binary_exact, binary_exact + 1, text_exact, text_exact + 1];
    let what = format!("{policy:?}, crash-safe {}", dir.is_some());
    let (l, g, out) = logger(policy, CAP, dir);
    let mut want = Vec::new();
    let mut calls = 0;
    for round in 0..4u64 {
        for (j, &n) in sizes.iter().enumerate() {
            for k in 0..3u64 {
                uringlog::info!(l, target: "t", "small r={} j={} k={}", round, j, k);
                want.push(format!("INFO  small r={round} j={j} k={k}"));
                calls += 1;
            }
            if policy == Policy::DropNewest {
                // The ring empty for the large record (else refused).
                l.flush().unwrap();
            }
            let big = "y".repeat(n);
            uringlog::info!(l, target: "t", "{}", big.as_str());
            calls += 1;
            if n <= text_exact {
                want.push(format!("INFO  {big}"));
            }
            if policy == Policy::DropNewest {
                // The ring empty again for the small ones.
                l.flush().unwrap();
            }
        }
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines();
    assert_eq!(lines.len(), want.len(), "{what}");
    for (i, (got, w)) in lines.iter().zip(&want).enumerate() {
        let cut = |x: &str| format!("{} bytes: {}", x.len(), &x[..x.len().min(60)]);
        assert!(got == w, "{what}: line {i} is {}, not {}", cut(got), cut(w));
    }
    assert_eq!(books(&s), (calls, calls - 4, 4), "{what}");
    assert_eq!(s.oversized, 4, "{what}");
}

#[test]
fn records_of_the_ring_capacity_and_one_byte_over() {
    at_the_limit(Policy::Block, None, 4096);
    at_the_limit(Policy::DropNewest, None, 4096);
}

/// The same in crash-safe mode, where a frame is a 16-byte prefix, the
/// record and padding to 8 bytes (the limit leaves room for the most
/// padding). Under `DropNewest` the large records follow a flush: the
/// ring file's space must be back when it returns.
#[test]
fn crash_safe_records_of_the_frame_limit_and_one_byte_over() {
    let tmp = tempfile::tempdir().unwrap();
    at_the_limit(Policy::Block, Some(&tmp.path().join("b")), 4096 - 16 - 7);
    at_the_limit(
        Policy::DropNewest,
        Some(&tmp.path().join("d")),
        4096 - 16 - 7,
    );
}

/// A value whose `Display` logs copied values through the fast path of
/// the logger it is logged to and of another one.
struct Chatty<'a> {
    same: &'a Logger,
    other: &'a Logger,
    i: u64,
}

impl fmt::Display for Chatty<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uringlog::info!(self.same, "inner same {}", self.i);
        uringlog::info!(self.other, "inner other {}", self.i);
        uringlog::info!(self.same, "inner same again {}", self.i);
        write!(f, "chatty {}", self.i)
    }
}

#[test]
fn a_display_that_logs_through_the_fast_path_of_its_logger_and_another() {
    let (a, ga, out_a) = logger(Policy::Block, 4096, None);
    let (b, gb, out_b) = logger(Policy::Block, 4096, None);
    let (mut want_a, mut want_b) = (Vec::new(), Vec::new());
    for i in 0..500u64 {
        uringlog::info!(a, "before {}", i);
        let c = Chatty {
            same: &a,
            other: &b,
            i,
        };
        uringlog::info!(a, "outer {} {}", c, i);
        uringlog::info!(b, "b {}", i);
        want_a.extend([
            format!("INFO  before {i}"),
            format!("INFO  inner same {i}"),
            format!("INFO  inner same again {i}"),
            format!("INFO  outer chatty {i} {i}"),
        ]);
        want_b.extend([format!("INFO  inner other {i}"), format!("INFO  b {i}")]);
    }
    let (sa, sb) = (
        ga.shutdown(SHUTDOWN).unwrap(),
        gb.shutdown(SHUTDOWN).unwrap(),
    );
    assert_eq!(out_a.lines(), want_a);
    assert_eq!(out_b.lines(), want_b);
    assert_eq!(books(&sa), (2000, 2000, 0));
    assert_eq!(books(&sb), (1000, 1000, 0));
}

/// Threads log copied values on tiny `Block` rings (often waiting for
/// room) while the logger shuts down, and go on after: every call is
/// counted once, written or dropped, and each thread's written records
/// are a prefix of its calls (nothing after a gap).
fn shutdown_mid_call(dir: Option<&std::path::Path>) {
    let (l, g, out) = logger(Policy::Block, 256, dir);
    const THREADS: u64 = 4;
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (l, stop, calls, started) =
                (l.clone(), stop.clone(), calls.clone(), started.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                // Until well after shutdown returned.
                let mut after = 0;
                while after < 1_000 {
                    uringlog::info!(l, "t={} seq={} {}", t, i, u64::MAX);
                    i += 1;
                    if i == 1_000 {
                        started.fetch_add(1, Ordering::SeqCst);
                    }
                    if stop.load(Ordering::Relaxed) {
                        after += 1;
                    }
                }
                calls.fetch_add(i, Ordering::SeqCst);
            })
        })
        .collect();
    uringlog_tests::wait_for("every thread logging", || {
        started.load(Ordering::SeqCst) == THREADS
    });
    let at_shutdown = g.shutdown(SHUTDOWN).unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let s = l.stats();
    let calls = calls.load(Ordering::SeqCst);
    let lines = out.lines();
    assert_eq!(s.enqueued, calls);
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    assert_eq!(s.written, at_shutdown.written);
    assert_eq!(lines.len() as u64, s.written);
    let seqs = uringlog_tests::sequences(&lines);
    for (t, v) in seqs {
        assert_eq!(v, (0..v.len() as u64).collect::<Vec<_>>(), "thread {t}");
    }
}

#[test]
fn a_shutdown_while_threads_are_mid_call_counts_every_call_once() {
    shutdown_mid_call(None);
    let dir = tempfile::tempdir().unwrap();
    shutdown_mid_call(Some(dir.path()));
}

/// Crash-safe `DropNewest`: 200 records that each fill the ring file,
/// `flush` (a `Logger::flush` or `Logger::flush_sync`) after each. It
/// returns with the space of what it wrote back (as in memory), so none
/// of them is refused.
fn each_flush_gives_the_ring_file_back(flush: impl Fn(&Logger)) {
    let tmp = tempfile::tempdir().unwrap();
    let (l, g, out) = logger(Policy::DropNewest, 4096, Some(tmp.path()));
    // The frame limit (4096 - 16 - 7) less header, target, address, tag
    // and length.
    let big = "z".repeat(4096 - 16 - 7 - 16 - 1 - 8 - 5);
    const N: u64 = 200;
    for _ in 0..N {
        uringlog::info!(l, target: "t", "{}", big.as_str());
        flush(&l);
    }
    let s = g.shutdown(SHUTDOWN).unwrap();
    assert_eq!(books(&s), (N, N, 0));
    assert_eq!(out.lines().len() as u64, N);
}

#[test]
fn crash_safe_a_flush_gives_the_ring_file_back_before_it_returns() {
    each_flush_gives_the_ring_file_back(|l| l.flush().unwrap());
}

#[test]
fn crash_safe_a_flush_sync_gives_the_ring_file_back_before_it_returns() {
    each_flush_gives_the_ring_file_back(|l| l.flush_sync().unwrap());
}
