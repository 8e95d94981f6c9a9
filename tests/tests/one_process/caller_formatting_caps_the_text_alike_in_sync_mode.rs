//! With `Formatting::Caller` a message is capped as the text it formats
//! to, in sync mode as in async mode: numbers whose text does not fit the
//! ring (though their binary would) make the record oversized in both,
//! counted and not written; a text of exactly the cap is written in both.
//! With `Formatting::Deferred` both write them (the ring holds the binary).

use uringlog::{Formatting, Logger, Mode, Policy};
use uringlog_tests::SHUTDOWN;

const RING: usize = 1024;

/// 1e300 shown with `{}`: 301 digits.
const F: f64 = 1e300;
/// 20 digits.
const U: u64 = u64::MAX;

/// Logs a message of exactly the cap as text (header 16, target `t`:
/// `RING - 17` bytes), then one a byte longer; returns
/// `(written, dropped, oversized)` and the lengths of the lines written.
fn run(mode: Mode, formatting: Formatting, policy: Policy) -> ((u64, u64, u64), Vec<usize>) {
    let (l, g, out) = uringlog_tests::bare_memory_logger(
        Logger::builder()
            .mode(mode)
            .formatting(formatting)
            .policy(policy)
            .ring_capacity(RING),
    );
    // 3 × 301 + 4 × 20 + 24 = 1007 bytes.
    uringlog::info!(l, target: "t", "{}{}{}{}{}{}{}abcdefghijklmnopqrstuvwx", F, F, F, U, U, U, U);
    uringlog::info!(l, target: "t", "{}{}{}{}{}{}{}abcdefghijklmnopqrstuvwxy", F, F, F, U, U, U, U);
    let s = g.shutdown(SHUTDOWN).unwrap();
    let lines = out.lines().iter().map(|x| x.len()).collect();
    ((s.written, s.dropped, s.oversized), lines)
}

#[test]
fn caller_formatting_caps_the_text_alike_in_sync_mode() {
    // "INFO  " and the message.
    let exact = 6 + RING - 17;
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        for mode in [Mode::Async, Mode::Sync] {
            let what = format!("{mode:?} {policy:?}");
            let caller = run(mode, Formatting::Caller, policy);
            if policy == Policy::DropOldest {
                // The overwriting ring's slots hold less than its capacity,
                // and sync mode caps as that ring does.
                assert_eq!(caller, ((0, 2, 2), vec![]), "{what} Caller");
            } else {
                assert_eq!(caller, ((1, 1, 1), vec![exact]), "{what} Caller");
            }
            let deferred = run(mode, Formatting::Deferred, policy);
            assert_eq!(
                deferred,
                ((2, 0, 0), vec![exact, exact + 1]),
                "{what} Deferred"
            );
        }
    }
}
