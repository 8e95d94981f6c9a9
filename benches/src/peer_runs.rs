//! Section 9's runs of one logger folded into the figures its table row
//! shows. Every logger runs several times, in interleaved rounds (see
//! [`Plan::peers`](crate::plan::Plan::peers)), each run a fresh process;
//! one run's rate on a shared machine is as much the machine's luck as the
//! logger's, so a row gives the median over its runs, the rate with its
//! smallest and largest run, the most lines any run lost (a lossless
//! logger must lose none in any run) and the largest peak RSS.

use crate::measure::{median, spread};
use crate::peers::PeerResult;
use crate::suite::Measured;

/// The runs of one logger, in the order they ran.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRuns<'a> {
    /// The logger (one of [`PEERS`](crate::peers::PEERS)).
    pub name: &'a str,
    /// The runs that completed.
    pub ok: Vec<&'a PeerResult>,
    /// The runs that did not, as (run number from 1, why).
    pub failed: Vec<(usize, &'a str)>,
}

impl<'a> PeerRuns<'a> {
    /// Runs in all, completed or not.
    pub fn runs(&self) -> usize {
        self.ok.len() + self.failed.len()
    }

    /// The median of `f` over the completed runs (0 without one; the mean
    /// of the middle two for an even count).
    pub fn median(&self, f: impl Fn(&PeerResult) -> f64) -> f64 {
        median(&self.values(f))
    }

    /// The median, smallest and largest of `f` over the completed runs.
    pub fn spread(&self, f: impl Fn(&PeerResult) -> f64) -> (f64, f64, f64) {
        spread(&self.values(f))
    }

    /// The median rate, lines per second.
    pub fn lines_per_sec(&self) -> f64 {
        self.median(|r| r.lines_per_sec)
    }

    /// The most lines any completed run lost.
    pub fn most_lost(&self) -> u64 {
        self.ok.iter().map(|r| r.lines_lost()).max().unwrap_or(0)
    }

    /// The largest peak RSS of the completed runs, KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.ok.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0)
    }

    fn values(&self, f: impl Fn(&PeerResult) -> f64) -> Vec<f64> {
        self.ok.iter().map(|r| f(r)).collect()
    }
}

/// One [`PeerRuns`] per logger of `rows` (every run, a logger's runs
/// sharing its key), in the order the loggers first appear.
pub fn group(rows: &[Measured<String, PeerResult>]) -> Vec<PeerRuns<'_>> {
    let mut out: Vec<PeerRuns<'_>> = Vec::new();
    for m in rows {
        let at = match out.iter().position(|g| g.name == m.key) {
            Some(i) => i,
            None => {
                out.push(PeerRuns {
                    name: &m.key,
                    ok: Vec::new(),
                    failed: Vec::new(),
                });
                out.len() - 1
            }
        };
        let g = &mut out[at];
        let run = g.runs() + 1;
        match &m.result {
            Ok(r) => g.ok.push(r),
            Err(e) => g.failed.push((run, e)),
        }
    }
    out
}

/// The runs of `name` in `rows`, if at least one completed.
pub fn find<'a>(rows: &'a [Measured<String, PeerResult>], name: &str) -> Option<PeerRuns<'a>> {
    group(rows)
        .into_iter()
        .find(|g| g.name == name && !g.ok.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, rate: f64, lost: u64, rss: u64) -> Measured<String, PeerResult> {
        Measured {
            key: name.to_owned(),
            result: Ok(PeerResult {
                lines_per_sec: rate,
                lines_expected: 100,
                lines_found: 100 - lost,
                peak_rss_kib: rss,
                ..PeerResult::default()
            }),
        }
    }

    #[test]
    fn runs_fold_per_logger_in_first_seen_order_with_failures_numbered() {
        let failed = Measured {
            key: "b".to_owned(),
            result: Err("crashed".to_owned()),
        };
        let rows = vec![
            run("a", 3.0, 0, 10),
            run("b", 1.0, 7, 30),
            run("a", 1.0, 2, 40),
            failed,
            run("a", 2.0, 1, 20),
            run("b", 5.0, 0, 5),
        ];
        let g = group(&rows);
        assert_eq!(g.iter().map(|g| g.name).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!((g[0].runs(), g[1].runs()), (3, 3));
        assert_eq!(g[1].failed, vec![(2, "crashed")]);
        assert_eq!(g[0].spread(|r| r.lines_per_sec), (2.0, 1.0, 3.0));
        assert_eq!(g[0].lines_per_sec(), 2.0);
        assert_eq!(g[1].lines_per_sec(), 3.0);
        assert_eq!((g[0].most_lost(), g[1].most_lost()), (2, 7));
        assert_eq!((g[0].peak_rss_kib(), g[1].peak_rss_kib()), (40, 30));
        assert_eq!(find(&rows, "b").map(|g| g.ok.len()), Some(2));
    }

    #[test]
    fn a_logger_whose_runs_all_failed_is_not_found() {
        let rows = vec![Measured {
            key: "a".to_owned(),
            result: Err("no ring".to_owned()),
        }];
        assert_eq!(group(&rows)[0].failed, vec![(1, "no ring")]);
        assert!(find(&rows, "a").is_none());
        assert!(find(&rows, "b").is_none());
    }
}
