//! Real threads (1 to 4) log records of random sizes through small, odd
//! ring capacities under `Block` and `DropNewest`: deferred macro calls
//! (a copied string, and a user `Display` formatted by the caller) mixed
//! with pre-formatted `Logger::log` calls whose framed length is chosen
//! exactly (the whole ring, the ring less one byte, more than half the
//! ring, one byte too many). Records land on every offset of the ring, so
//! records that reach its end exactly, pass it by one byte, are skipped to
//! its start or split at it all occur.
//!
//! Checked through the public API: every record the logger kept is in the
//! file exactly once, whole, in each thread's order; under `Block` every
//! record that fits the ring is written; `written + dropped == enqueued`
//! and the oversized ones are exactly those longer than the ring.

use std::fmt;
use std::thread;
use uringlog::{Level, Logger, Policy};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, temp_log, SHUTDOWN};

/// Framing of a pre-formatted record without a call site: the header.
const HEADER_LEN: usize = 16;
/// The target of the pre-formatted records.
const TARGET: &str = "p";
const PER_THREAD: u64 = 3_000;

/// A value the caller formats (user code).
struct Pad(usize);

impl fmt::Display for Pad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..self.0 {
            f.write_str("y")?;
        }
        Ok(())
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What one thread logs: its records, and how many are too long for the ring.
fn log_thread(logger: &Logger, t: u64, cap: usize) -> u64 {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((t + 1) * 0x1234_5677) ^ cap as u64);
    let xs = "x".repeat(cap + 8);
    let mut oversized = 0;
    for seq in 0..PER_THREAD {
        let head = format!("t={t} seq={seq} ");
        // Framed length of a pre-formatted record with `n` padding bytes.
        let framed = |n: usize| HEADER_LEN + TARGET.len() + head.len() + n;
        let base = framed(0);
        match rng.below(8) {
            // Deferred: a copied string, small to about half the ring.
            0 | 1 => {
                let pad = &xs[..rng.below(cap / 2)];
                uringlog::info!(logger, "t={t} seq={seq} {pad}");
            }
            // Deferred with a value formatted by the caller.
            2 => {
                let pad = Pad(rng.below(cap / 3));
                uringlog::info!(logger, "t={t} seq={seq} {pad}");
            }
            // Pre-formatted, of an exact framed length.
            k => {
                let len = match k {
                    3 => cap,
                    4 => cap - 1,
                    5 => cap / 2 + 1 + rng.below(cap / 2 - 1),
                    6 => cap + 1,
                    _ => base + rng.below(cap / 4),
                };
                let n = len.saturating_sub(base);
                if framed(n) > cap {
                    oversized += 1;
                }
                logger.log(Level::Info, TARGET, format_args!("{head}{}", &xs[..n]));
            }
        }
    }
    oversized
}

/// One run; returns nothing, asserts everything.
fn run(policy: Policy, threads: u64, cap: usize) {
    let (_dir, path) = temp_log("wrap.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .policy(policy)
        .ring_capacity(cap)
        .batch_size(7)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let logger = logger.clone();
            thread::spawn(move || log_thread(&logger, t, cap))
        })
        .collect();
    let oversized: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    let what = format!("{policy:?}, {threads} threads, ring of {cap}: {stats:?}");
    assert_eq!(stats.enqueued, threads * PER_THREAD, "{what}");
    assert_eq!(stats.written + stats.dropped, stats.enqueued, "{what}");
    assert_eq!(stats.oversized, oversized, "{what}");
    if policy == Policy::Block {
        assert_eq!(stats.dropped, oversized, "{what}");
    }

    let lines = read_lines(&path);
    assert_eq!(lines.len() as u64, stats.written, "{what}");
    let mut last: Vec<Option<u64>> = vec![None; threads as usize];
    let mut per_thread = vec![0u64; threads as usize];
    for l in &lines {
        let t = uringlog_tests::field(l, "t=").unwrap_or_else(|| panic!("{what}: torn line {l:?}"));
        let s =
            uringlog_tests::field(l, "seq=").unwrap_or_else(|| panic!("{what}: torn line {l:?}"));
        let key = format!("seq={s}");
        let rest = l[l.find(&key).unwrap() + key.len()..].trim_start();
        assert!(
            rest.bytes().all(|b| b == b'x') || rest.bytes().all(|b| b == b'y'),
            "{what}: torn padding in {l:?}"
        );
        let prev = &mut last[t as usize];
        assert!(
            prev.map_or(true, |p| p < s),
            "{what}: t={t} seq={s} after {prev:?}"
        );
        *prev = Some(s);
        per_thread[t as usize] += 1;
    }
    if policy == Policy::Block {
        // Every record that fits is there: the oversized ones are the gaps.
        assert_eq!(
            per_thread.iter().sum::<u64>(),
            threads * PER_THREAD - oversized,
            "{what}"
        );
    }
}

#[test]
fn block_at_small_odd_capacities() {
    for (threads, cap) in [(1, 256), (2, 257), (3, 301), (4, 509), (1, 1021), (4, 263)] {
        run(Policy::Block, threads, cap);
    }
}

#[test]
fn drop_newest_at_small_odd_capacities() {
    for (threads, cap) in [(1, 256), (2, 257), (3, 301), (4, 509), (1, 1021), (4, 263)] {
        run(Policy::DropNewest, threads, cap);
    }
}
