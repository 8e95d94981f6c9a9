//! A producer that pauses (a gap of more than 2^18 clock units between two
//! calls) rebases its byte ring when the writer has emptied it: the next
//! record goes to the start of the buffer. Under thousands of pause/burst
//! cycles on rings of a few KiB, racing a writer that drains at any
//! moment, with a clock that jumps forward and back, every record is
//! written once, whole and in its producer's order (deferred and
//! pre-formatted records mixed), and the books close
//! (`written + dropped == enqueued`) under `Block` and `DropNewest`.
//!
//! A manual clock makes the pauses: each burst starts more than the pause
//! after the last call, so every burst that finds its ring emptied rebases
//! it, without the test sleeping.

use std::thread;
use uringlog::{Clock, Format, Logger, MemorySink, Policy, Timestamp};
use uringlog_tests::{sequences, PAUSE, SHUTDOWN};

const RING: usize = 2048;
const PAD: &str = match std::str::from_utf8(&[b'x'; 4096]) {
    Ok(s) => s,
    Err(_) => panic!(),
};

/// Deterministic pseudo-random numbers (xorshift).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn logger(policy: Policy, clock: Clock) -> (Logger, uringlog::WriterGuard, uringlog::MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .policy(policy)
        .ring_capacity(RING)
        .batch_size(8)
        .clock(clock)
        .build()
        .unwrap();
    (logger, guard, out)
}

/// The line record `seq` of thread `t` with `pad` bytes of padding makes.
fn line(t: u64, seq: u64, pad: usize) -> String {
    format!("INFO  t={t} seq={seq} pad={}", &PAD[..pad])
}

/// One call site for the records of a given padding.
fn log_pad(logger: &Logger, t: u64, seq: u64, pad: usize) {
    uringlog::info!(logger, "t={} seq={} pad={}", t, seq, &PAD[..pad]);
}

/// `threads` producers, `cycles` bursts each of 1 to 12 records of up to
/// `max_pad` bytes of padding, every burst after a pause (the shared clock
/// jumps; with `backwards`, every fourth jump goes back instead). Returns
/// each thread's lines as logged, in order.
fn bursts(
    logger: &Logger,
    m: &uringlog::ManualClock,
    threads: u64,
    cycles: u64,
    max_pad: u64,
    backwards: bool,
) -> Vec<Vec<String>> {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let logger = logger.clone();
            let m = m.clone();
            thread::spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15 ^ (t + 1);
                let mut logged = Vec::new();
                let mut seq = 0;
                for c in 0..cycles {
                    if backwards && c % 4 == 3 {
                        m.set_unix_nanos(m.unix_nanos().saturating_sub(3 * PAUSE));
                    } else {
                        m.advance_nanos(PAUSE);
                    }
                    for _ in 0..=next(&mut rng) % 12 {
                        let pad = (next(&mut rng) % max_pad) as usize;
                        if pad % 3 == 0 {
                            // The pre-formatted path (no rebase of its own)
                            // between deferred calls that rebase.
                            let args = format_args!("t={t} seq={seq} pad={}", &PAD[..pad]);
                            logger.log(uringlog::Level::Info, "pre", args);
                        } else {
                            uringlog::info!(logger, "t={} seq={} pad={}", t, seq, &PAD[..pad]);
                        }
                        logged.push(line(t, seq, pad));
                        seq += 1;
                    }
                    // Now and then give the writer time to empty the ring.
                    for _ in 0..next(&mut rng) % 2000 {
                        std::hint::spin_loop();
                    }
                }
                logged
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Lines of thread `t` in `lines`, in order.
fn of_thread(lines: &[String], t: u64) -> Vec<String> {
    let key = format!("INFO  t={t} ");
    lines
        .iter()
        .filter(|l| l.starts_with(&key))
        .cloned()
        .collect()
}

/// Shuts down and checks that every record `logged` (per thread) was
/// written once, whole and in its thread's order, and nothing dropped.
fn assert_every_record(
    guard: uringlog::WriterGuard,
    out: &uringlog::MemoryHandle,
    logged: &[Vec<String>],
) {
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    let total: usize = logged.iter().map(Vec::len).sum();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (total as u64, total as u64, 0)
    );
    let lines = out.lines();
    assert_eq!(lines.len(), total);
    for (t, want) in logged.iter().enumerate() {
        assert!(
            of_thread(&lines, t as u64) == *want,
            "thread {t}: records lost, torn or reordered"
        );
    }
}

#[test]
fn block_keeps_every_record_through_thousands_of_rebases() {
    let (clock, m) = Clock::manual(1_000_000_000);
    let (logger, guard, out) = logger(Policy::Block, clock);
    let logged = bursts(&logger, &m, 3, 3000, 600, false);
    assert_every_record(guard, &out, &logged);
}

#[test]
fn block_keeps_every_record_with_a_clock_that_goes_back() {
    let (clock, m) = Clock::manual(1_000_000_000_000);
    let (logger, guard, out) = logger(Policy::Block, clock);
    let logged = bursts(&logger, &m, 2, 2000, 900, true);
    assert_every_record(guard, &out, &logged);
}

#[test]
fn drop_newest_keeps_the_books_and_the_order_through_rebases() {
    let (clock, m) = Clock::manual(1_000_000_000);
    let (logger, guard, out) = logger(Policy::DropNewest, clock);
    let logged = bursts(&logger, &m, 3, 3000, 600, false);
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    let total: usize = logged.iter().map(Vec::len).sum();
    assert_eq!(stats.enqueued, total as u64);
    assert_eq!(stats.written + stats.dropped, total as u64, "{stats:?}");
    let lines = out.lines();
    assert_eq!(lines.len() as u64, stats.written);
    for (t, want) in logged.iter().enumerate() {
        // What was written is a subsequence of what was logged, whole.
        let got = of_thread(&lines, t as u64);
        let mut rest = want.iter();
        for l in &got {
            assert!(
                rest.any(|w| w == l),
                "thread {t}: {l:?} torn, reordered or never logged"
            );
        }
    }
    let seqs = sequences(&lines);
    assert_eq!(seqs.len(), 3);
}

/// Right after a rebase the whole ring is free at its start: the largest
/// record the ring takes goes there whole, one byte more is oversized
/// (dropped, counted), and a full `DropNewest` ring drops the next record.
#[test]
fn a_record_of_the_whole_ring_after_a_rebase_is_written_whole() {
    for policy in [Policy::Block, Policy::DropNewest] {
        let (clock, m) = Clock::manual(1_000_000_000);
        let (logger, guard, out) = logger(policy, clock);
        // The largest padding written: found with the ring emptied each time.
        let mut fits = Vec::new();
        for pad in RING - 200..RING {
            m.advance_nanos(1);
            let dropped = logger.stats().dropped;
            log_pad(&logger, 9, 0, pad);
            logger.flush().unwrap();
            fits.push(logger.stats().dropped == dropped);
        }
        let largest = RING - 200 + fits.iter().take_while(|&&f| f).count() - 1;
        assert!(
            fits.iter().skip(largest + 1 - (RING - 200)).all(|&f| !f) && largest < RING - 1,
            "{policy:?}: the records that fit are not a prefix: {fits:?}"
        );
        let before = logger.stats();
        // Records at odd places, emptied, then a pause: rebased.
        let mut want = Vec::new();
        for seq in 1..400u64 {
            let small = (seq as usize * 37) % 300;
            log_pad(&logger, 1, seq, small);
            want.push(line(1, seq, small));
            logger.flush().unwrap();
            m.advance_nanos(PAUSE);
            log_pad(&logger, 1, seq, largest);
            want.push(line(1, seq, largest));
            log_pad(&logger, 1, seq, largest + 1);
            logger.flush().unwrap();
        }
        let stats = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!(
            stats.dropped - before.dropped,
            399,
            "{policy:?}: one oversized record per cycle"
        );
        assert_eq!(stats.written - before.written, 2 * 399);
        assert_eq!(stats.written + stats.dropped, stats.enqueued);
        assert_eq!(of_thread(&out.lines(), 1), want, "{policy:?}");
    }
}
