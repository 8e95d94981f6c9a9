//! The first call after a pause (a gap of more than 2^18 clock units)
//! finds its ring emptied by the writer and rebases it: its record goes to
//! the start of the buffer, not after the records already written. This
//! holds on the call path that formats nothing in the caller (a deferred
//! call of copied arguments), where the first call after a pause stays on
//! the fast path, as on the path of a call formatted in the caller. The
//! place of the next record is read from `Logger::call_path_addresses`
//! (the buffer's start, then the place of the next record). A manual
//! clock makes the pause.

use uringlog::{
    Clock, Format, Logger, ManualClock, MemoryHandle, MemorySink, Policy, Timestamp, WriterGuard,
};
use uringlog_tests::{next_ring_offset, PAUSE, SHUTDOWN};

/// Logs `seq` the way `deferred` says: copied arguments, or a format spec
/// no argument can be copied under (`{:?}` of a tuple: formatted here).
fn log(logger: &Logger, deferred: bool, seq: u64) {
    if deferred {
        uringlog::info!(logger, "seq={} of the run", seq);
    } else {
        uringlog::info!(logger, "seq={:?} of the run", (seq,));
    }
}

/// A logger of `policy` with a 4 KiB ring and a manual clock, after five
/// records logged the way `deferred` says, one nanosecond apart; where the
/// next record goes in the ring.
fn five_records(
    policy: Policy,
    deferred: bool,
) -> (Logger, WriterGuard, MemoryHandle, ManualClock, usize) {
    let (clock, manual) = Clock::manual(1_000_000_000);
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .ring_capacity(4096)
        .policy(policy)
        .clock(clock)
        .build()
        .expect("logger");
    for seq in 0..5 {
        manual.advance_nanos(1);
        log(&logger, deferred, seq);
    }
    let before = next_ring_offset(&logger);
    (logger, guard, out, manual, before)
}

fn scenario(deferred: bool) {
    let (logger, guard, out, manual, before) = five_records(Policy::Block, deferred);
    assert!(before > 0, "deferred {deferred}: five records went in");
    logger.flush().expect("flush");
    manual.advance_nanos(PAUSE);
    log(&logger, deferred, 5);
    let after = next_ring_offset(&logger);
    // Every record of one call site here has one length: after a rebase
    // the next record goes right after the one record at the start.
    assert_eq!(
        after,
        before / 5,
        "deferred {deferred}: rebased to the start"
    );
    manual.advance_nanos(1);
    log(&logger, deferred, 6);
    assert_eq!(next_ring_offset(&logger), 2 * after, "deferred {deferred}");
    let stats = guard.shutdown(SHUTDOWN).expect("shutdown");
    assert_eq!(
        (stats.written, stats.dropped),
        (7, 0),
        "deferred {deferred}"
    );
    let expected: String = (0..7)
        .map(|seq| match deferred {
            true => format!("INFO  seq={seq} of the run\n"),
            false => format!("INFO  seq=({seq},) of the run\n"),
        })
        .collect();
    assert_eq!(out.text(), expected);
}

#[test]
fn a_deferred_call_after_a_pause_writes_from_the_start() {
    scenario(true);
}

#[test]
fn a_call_formatted_here_after_a_pause_writes_from_the_start() {
    scenario(false);
}

/// A first call after a pause whose record is larger than the ring (a
/// string of copied arguments) rebases the emptied ring on the fast path,
/// then takes the full path, which counts it oversized and dropped; the
/// next call, no pause, writes from the start.
#[test]
fn an_oversized_first_call_after_a_pause_is_counted_and_rebases_the_ring() {
    let big = "b".repeat(5000);
    for policy in [Policy::Block, Policy::DropNewest] {
        let (logger, guard, out, manual, before) = five_records(policy, true);
        logger.flush().expect("flush");
        manual.advance_nanos(PAUSE);
        uringlog::info!(logger, "big={}", big.as_str());
        assert_eq!(next_ring_offset(&logger), 0, "{policy:?}: rebased");
        manual.advance_nanos(1);
        log(&logger, true, 5);
        assert_eq!(next_ring_offset(&logger), before / 5, "{policy:?}");
        let stats = guard.shutdown(SHUTDOWN).expect("shutdown");
        assert_eq!(
            (
                stats.enqueued,
                stats.written,
                stats.dropped,
                stats.oversized
            ),
            (7, 6, 1, 1),
            "{policy:?}"
        );
        let expected: String = (0..6)
            .map(|seq| format!("INFO  seq={seq} of the run\n"))
            .collect();
        assert_eq!(out.text(), expected, "{policy:?}");
    }
}
