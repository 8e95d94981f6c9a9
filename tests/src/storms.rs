//! Pause storms: threads that log a burst after each pause of a manual
//! clock, all at once, round after round, joined every round by a thread
//! that exits right after its first call.

use std::sync::Barrier;
use uringlog::{Logger, ManualClock};

/// Ids of the threads that live for one round start here (`first + round`).
pub const SHORT_LIVED: u64 = 100;

/// Records thread `t` logs in round `round` of a storm: 1 for a
/// short-lived thread, else 1 to `most`.
pub fn burst_len(t: u64, round: u64, most: u64) -> u64 {
    if t >= SHORT_LIVED {
        1
    } else {
        1 + (round * 5 + t * 7) % most
    }
}

/// Sequence numbers thread `t` (a persistent one) gives the records of
/// rounds `rounds`.
pub fn seqs_of(t: u64, rounds: std::ops::Range<u64>, most: u64) -> std::ops::Range<u64> {
    let len = |r: std::ops::Range<u64>| r.map(|r| burst_len(t, r, most)).sum::<u64>();
    len(0..rounds.start)..len(0..rounds.end)
}

/// Runs `rounds` rounds on `threads` persistent threads. Each round the
/// clock moves on by `pause`, `before(round)` runs, every thread logs its
/// burst with `burst(logger, t, round, seq)` (`seq` its next sequence
/// number, which `burst` moves on), a short-lived thread `SHORT_LIVED +
/// round` logs its one record and exits, then `after(round)` runs.
#[allow(clippy::too_many_arguments)]
pub fn storm(
    logger: &Logger,
    hand: &ManualClock,
    pause: u64,
    threads: u64,
    rounds: u64,
    burst: fn(&Logger, u64, u64, &mut u64),
    mut before: impl FnMut(u64),
    mut after: impl FnMut(u64),
) {
    let (go, done) = (
        Barrier::new(threads as usize + 1),
        Barrier::new(threads as usize + 1),
    );
    std::thread::scope(|s| {
        for t in 0..threads {
            let (logger, go, done) = (logger.clone(), &go, &done);
            s.spawn(move || {
                let mut seq = 0;
                for round in 0..rounds {
                    go.wait();
                    burst(&logger, t, round, &mut seq);
                    done.wait();
                }
            });
        }
        for round in 0..rounds {
            hand.advance_nanos(pause);
            before(round);
            go.wait();
            let l = logger.clone();
            std::thread::spawn(move || burst(&l, SHORT_LIVED + round, round, &mut 0))
                .join()
                .unwrap();
            done.wait();
            after(round);
        }
    });
}
