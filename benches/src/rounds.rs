//! Section 1's large rows as interleaved rounds: the thread counts of one
//! route run one after the other, each in a child process of its own with
//! one timed repetition after a warm-up one, and the rounds repeat that,
//! the order of the thread counts rotating from round to round (1, 2, 4;
//! then 2, 4, 1; …). A machine whose speed drifts during the report — a
//! shared machine does, by 2× at times — then weighs on both sides of each
//! "vs 1 thread" ratio alike: the table shows the median over rounds of
//! the ratio to the one-thread run of the same round, with the smallest
//! and largest, rather than a ratio of two medians taken minutes apart.
//!
//! The workload is unchanged: each run is the whole `count` calls shared
//! among its threads.

use crate::plan::ThroughputKey;
use crate::suite::Measured;
use crate::throughput::{rate, ThroughputResult};

/// The thread counts (or, for section 9, the loggers) of round `round`,
/// rotated: `items` (one thread first) starting at position
/// `round % len`.
pub fn order<T: Clone>(items: &[T], round: usize) -> Vec<T> {
    let n = items.len().max(1);
    (0..items.len())
        .map(|i| items[(round + i) % n].clone())
        .collect()
}

/// Folds the rounds' results into one row per key, in the order keys
/// first appear: the repetitions of every round that ran, each tagged
/// with its round ([`crate::throughput::Rep::round`]), and the largest
/// peak RSS. A key whose rounds all failed keeps the first error.
pub fn merge(
    rows: Vec<Measured<ThroughputKey, ThroughputResult>>,
) -> Vec<Measured<ThroughputKey, ThroughputResult>> {
    let mut out: Vec<Measured<ThroughputKey, ThroughputResult>> = Vec::new();
    let mut seen: Vec<(ThroughputKey, usize)> = Vec::new();
    for m in rows {
        let round = match seen.iter_mut().find(|(k, _)| *k == m.key) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                seen.push((m.key, 1));
                0
            }
        };
        let tagged = m.result.map(|mut r| {
            r.reps.iter_mut().for_each(|x| x.round = Some(round));
            r
        });
        let Some(row) = out.iter_mut().find(|o| o.key == m.key) else {
            out.push(Measured {
                key: m.key,
                result: tagged,
            });
            continue;
        };
        match (&mut row.result, tagged) {
            (Ok(a), Ok(b)) => {
                a.reps.extend(b.reps);
                a.peak_rss_kib = a.peak_rss_kib.max(b.peak_rss_kib);
            }
            (r @ Err(_), Ok(b)) => *r = Ok(b),
            (_, Err(_)) => {}
        }
    }
    out
}

/// The ratios of `many`'s lines/s to `one`'s, one per round both ran,
/// in round order (repetitions without a round are not paired).
pub fn ratios(many: &ThroughputResult, one: &ThroughputResult) -> Vec<f64> {
    let mut v: Vec<(usize, f64)> = many
        .reps
        .iter()
        .filter_map(|m| {
            let round = m.round?;
            let o = one.reps.iter().find(|o| o.round == Some(round))?;
            let base = rate(o.file.found, o.end_to_end_s);
            (base > 0.0).then(|| (round, rate(m.file.found, m.end_to_end_s) / base))
        })
        .collect();
    v.sort_by_key(|(r, _)| *r);
    v.into_iter().map(|(_, x)| x).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Route;
    use crate::measure::spread;
    use crate::throughput::Rep;
    use crate::verify::FileCheck;

    fn key(threads: usize) -> ThroughputKey {
        ThroughputKey {
            route: Route::AsyncPwrite,
            count: 1_000,
            threads,
        }
    }

    /// A result of one repetition: `found` lines in `secs`.
    fn one_rep(found: u64, secs: f64, rss: u64) -> ThroughputResult {
        ThroughputResult {
            count: 1_000,
            reps: vec![Rep {
                end_to_end_s: secs,
                file: FileCheck {
                    found,
                    ..FileCheck::default()
                },
                ..Rep::default()
            }],
            peak_rss_kib: rss,
            ..ThroughputResult::default()
        }
    }

    #[test]
    fn the_order_rotates_from_round_to_round() {
        assert_eq!(order(&[1, 2, 4], 0), vec![1, 2, 4]);
        assert_eq!(order(&[1, 2, 4], 1), vec![2, 4, 1]);
        assert_eq!(order(&[1, 2, 4], 2), vec![4, 1, 2]);
        assert_eq!(order(&[1, 2, 4], 3), vec![1, 2, 4]);
        assert_eq!(order::<usize>(&[], 5), Vec::<usize>::new());
    }

    #[test]
    fn rounds_merge_into_one_row_per_key_and_ratios_pair_by_round() {
        let m = |t, r: Result<ThroughputResult, String>| Measured {
            key: key(t),
            result: r,
        };
        let rows = vec![
            // Round 0: 1 then 2 threads; round 1: 2 then 1; round 2: 1 failed.
            m(1, Ok(one_rep(1_000, 1.0, 10))),
            m(2, Ok(one_rep(1_000, 0.5, 30))),
            m(2, Ok(one_rep(1_000, 2.0, 20))),
            m(1, Ok(one_rep(1_000, 4.0, 40))),
            m(1, Err("crashed".to_owned())),
            m(2, Ok(one_rep(1_000, 1.0, 5))),
        ];
        let merged = merge(rows);
        assert_eq!(merged.len(), 2);
        assert_eq!((merged[0].key, merged[1].key), (key(1), key(2)));
        let one = merged[0].result.as_ref().unwrap();
        let two = merged[1].result.as_ref().unwrap();
        let rounds = |r: &ThroughputResult| r.reps.iter().map(|x| x.round).collect::<Vec<_>>();
        assert_eq!(rounds(one), vec![Some(0), Some(1)]);
        assert_eq!(rounds(two), vec![Some(0), Some(1), Some(2)]);
        assert_eq!((one.peak_rss_kib, two.peak_rss_kib), (40, 30));
        // Round 0: 2,000 / 1,000 lines/s; round 1: 500 / 250; round 2 unpaired.
        assert_eq!(ratios(two, one), vec![2.0, 2.0]);
        assert_eq!(spread(&[2.0, 0.5, 1.0]), (1.0, 0.5, 2.0));
        assert_eq!(spread(&[]), (0.0, 0.0, 0.0));
    }

    #[test]
    fn a_key_whose_rounds_all_failed_keeps_its_first_error() {
        let rows = vec![
            Measured {
                key: key(4),
                result: Err("first".to_owned()),
            },
            Measured {
                key: key(4),
                result: Err("second".to_owned()),
            },
        ];
        let merged = merge(rows);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].result, Err("first".to_owned()));
    }
}
