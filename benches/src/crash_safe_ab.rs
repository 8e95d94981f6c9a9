//! Crash-safe mode beside the normal mode, measured as interleaved pairs:
//! the `uringlog` and `uringlog-crash-safe` peer jobs (the same workload,
//! each in a child process of its own) run one after the other, the order
//! alternating from pair to pair (normal first, then crash-safe first, …),
//! so a machine whose speed drifts during the run, or moves 2× between two
//! runs, weighs on both sides of each pair alike. Each pair gives one
//! throughput ratio (crash-safe ÷ normal) and one caller p50 difference
//! (crash-safe − normal); the report shows every pair and the median with
//! the smallest and largest, instead of one figure from each side.
//!
//! Control pairs, run between them the same way with the normal mode on
//! both sides, measure what the machine alone does to a pair: a
//! crash-safe pair's ratio or p50 difference is told apart from the
//! machine's pair-to-pair noise only where it falls outside theirs.

use crate::job::Job;
use crate::measure::{median, spread};
use crate::peers::{PeerJob, PeerResult, URINGLOG};
use crate::suite::Measured;
use crate::timer::TimerChoice;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The crash-safe row of the peers.
pub const CRASH_SAFE: &str = "uringlog-crash-safe";

/// Pairs in the report.
pub const PAIRS: usize = 6;

/// The targets: throughput ratio at least this, …
pub const TARGET_RATIO: f64 = 0.8;
/// … and caller p50 within this many ns of the normal mode's.
pub const TARGET_P50_NS: i64 = 10;

/// Each side of a pair starts once the machine is busy below this many
/// CPUs (every process; see `machine_load::wait_quiet`), …
pub const QUIET_CPUS: f64 = 0.3;
/// … or after this much waiting, and then the table says so.
pub const QUIET_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// One side of one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbKey {
    /// Which pair (0-based).
    pub pair: usize,
    /// The crash-safe side (else the normal mode); in a control pair,
    /// the side in the crash-safe side's place, also the normal mode.
    pub crash_safe: bool,
    /// A control pair: the normal mode on both sides.
    #[serde(default)]
    pub control: bool,
}

impl AbKey {
    /// The peer this side runs.
    pub fn peer(&self) -> &'static str {
        if self.crash_safe && !self.control {
            CRASH_SAFE
        } else {
            URINGLOG
        }
    }
}

/// The jobs of `pairs` pairs of `count` lines each, each followed by a
/// control pair when `control`, in the order to run them; `dir` gives
/// each its own directory.
pub fn jobs(
    pairs: usize,
    count: u64,
    dir: &mut dyn FnMut(&str) -> PathBuf,
    keep: bool,
    control: bool,
) -> Vec<(AbKey, Job)> {
    let mut jobs = Vec::new();
    for pair in 0..pairs {
        for control in [false, true].into_iter().take(1 + usize::from(control)) {
            // Normal first in even pairs, crash-safe first in odd ones.
            for crash_safe in [pair % 2 == 1, pair % 2 == 0] {
                let key = AbKey {
                    pair,
                    crash_safe,
                    control,
                };
                let name = key.peer();
                let job = Job::Peer(PeerJob {
                    name: name.to_owned(),
                    count,
                    dir: dir(&format!(
                        "ab-{}{name}",
                        if control { "control-" } else { "" }
                    )),
                    keep,
                    timer: TimerChoice::Auto,
                });
                jobs.push((key, job));
            }
        }
    }
    jobs
}

/// One pair whose two sides both ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Which pair.
    pub pair: usize,
    /// Whether crash-safe ran first.
    pub crash_safe_first: bool,
    /// The normal mode.
    pub normal: PeerResult,
    /// Crash-safe mode.
    pub crash_safe: PeerResult,
}

impl Pair {
    /// Crash-safe lines/s over normal lines/s.
    pub fn ratio(&self) -> f64 {
        self.crash_safe.lines_per_sec / self.normal.lines_per_sec.max(f64::MIN_POSITIVE)
    }

    /// Crash-safe caller p50 minus normal caller p50, ns.
    pub fn p50_diff_ns(&self) -> i64 {
        self.crash_safe.p50_ns as i64 - self.normal.p50_ns as i64
    }

    /// Whether either side's throughput phase ran beside other load
    /// (other processes or steal) of [`QUIET_CPUS`] or more.
    pub fn loaded(&self) -> bool {
        let busy = |r: &PeerResult| r.other.other_cpus + r.other.steal_cpus;
        busy(&self.normal).max(busy(&self.crash_safe)) >= QUIET_CPUS
    }
}

/// The pairs (the control pairs when `control`) whose two sides ran, in
/// pair order, and the errors of the others.
pub fn pairs(rows: &[Measured<AbKey, PeerResult>], control: bool) -> (Vec<Pair>, Vec<String>) {
    let (mut done, mut errors) = (Vec::new(), Vec::new());
    let last = (rows.iter().filter(|m| m.key.control == control))
        .map(|m| m.key.pair + 1)
        .max()
        .unwrap_or(0);
    for pair in 0..last {
        let side = |cs: bool| {
            rows.iter()
                .position(|m| {
                    m.key
                        == AbKey {
                            pair,
                            crash_safe: cs,
                            control,
                        }
                })
                .map(|i| (i, &rows[i].result))
        };
        match (side(false), side(true)) {
            (Some((i, Ok(n))), Some((j, Ok(c)))) => done.push(Pair {
                pair,
                crash_safe_first: j < i,
                normal: n.clone(),
                crash_safe: c.clone(),
            }),
            (a, b) => {
                let (kind, names) = match control {
                    false => ("pair", ["normal", "crash-safe"]),
                    true => ("control pair", ["normal A", "normal B"]),
                };
                for (what, r) in names.into_iter().zip([a, b]) {
                    match r {
                        Some((_, Err(e))) => {
                            errors.push(format!("{kind} {}, {what}: {e}", pair + 1))
                        }
                        None => errors.push(format!("{kind} {}, {what}: not run", pair + 1)),
                        Some((_, Ok(_))) => {}
                    }
                }
            }
        }
    }
    (done, errors)
}

/// The subsection: every pair, then the medians with their spread against
/// the targets; then the control pairs, if any ran, the same way.
pub fn render(s: &mut String, rows: &[Measured<AbKey, PeerResult>]) {
    if rows.is_empty() {
        return;
    }
    let (done, errors) = pairs(rows, false);
    let (control, control_errors) = pairs(rows, true);
    let _ = writeln!(
        s,
        "### Crash-safe beside normal, interleaved\n\n\
         `{URINGLOG}` and `{CRASH_SAFE}` as in the table above, run as {} pairs one right \
         after the other, the order alternating (normal first in pairs 1, 3, …); each pair \
         gives a throughput ratio (crash-safe ÷ normal, target ≥ {TARGET_RATIO}) and a \
         caller p50 difference (crash-safe − normal, target within ±{TARGET_P50_NS} ns). \
         Each side starts once the machine is quiet (below {QUIET_CPUS} CPUs busy, at most \
         {} s of waiting); \"other load\" is what the rest of the machine (other processes, \
         kernel threads, the hypervisor's steal) took during each side's timed lines, in CPUs: \
         a pair where it reached {QUIET_CPUS} is marked, since both sides then measure the \
         machine as much as the logger.\n",
        (rows.iter().filter(|m| !m.key.control))
            .map(|m| m.key.pair + 1)
            .max()
            .unwrap_or(0),
        QUIET_WAIT.as_secs()
    );
    table(s, &done, &errors, ["Normal", "Crash-safe"]);
    summary(s, &done, "crash-safe ÷ normal", "crash-safe − normal");
    if control.is_empty() && control_errors.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "Control: after each pair above, a pair with the normal mode on both sides (A and B, \
         run in the same alternating order and the same way). Both sides run the same code, \
         so whatever separates them is the machine: a crash-safe pair outside a target is \
         told apart from noise only by falling further outside than the control pairs do.\n"
    );
    table(s, &control, &control_errors, ["A", "B"]);
    summary(s, &control, "B ÷ A", "B − A");
}

/// One row per pair, then the pairs not measured.
fn table(s: &mut String, done: &[Pair], errors: &[String], [a, b]: [&str; 2]) {
    let _ = writeln!(
        s,
        "| Pair | First | {a} M lines/s | {b} M lines/s | Ratio | {a} p50 ns | {b} p50 ns | Δ p50 ns | Other load, CPUs ({} / {}) |",
        a.to_lowercase(),
        b.to_lowercase()
    );
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for p in done {
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {:+} | {:.1} / {:.1}{} |",
            p.pair + 1,
            if p.crash_safe_first { b } else { a }.to_lowercase(),
            p.normal.lines_per_sec / 1e6,
            p.crash_safe.lines_per_sec / 1e6,
            p.ratio(),
            p.normal.p50_ns,
            p.crash_safe.p50_ns,
            p.p50_diff_ns(),
            p.normal.other.other_cpus + p.normal.other.steal_cpus,
            p.crash_safe.other.other_cpus + p.crash_safe.other.steal_cpus,
            if p.loaded() { " (loaded)" } else { "" }
        );
    }
    let _ = writeln!(s);
    for e in errors {
        let _ = writeln!(s, "- not measured: {}", crate::render::cell(e));
    }
}

/// The medians with their spread, how many pairs meet each target, and
/// how many pairs ran loaded.
fn summary(s: &mut String, done: &[Pair], ratio: &str, diff: &str) {
    if done.is_empty() {
        let _ = writeln!(s);
        return;
    }
    let ratios: Vec<f64> = done.iter().map(Pair::ratio).collect();
    let diffs: Vec<f64> = done.iter().map(|p| p.p50_diff_ns() as f64).collect();
    let (r, rlo, rhi) = spread(&ratios);
    let (d, dlo, dhi) = spread(&diffs);
    let rate = |cs: bool| {
        let v: Vec<f64> = (done.iter())
            .map(|p| if cs { &p.crash_safe } else { &p.normal }.lines_per_sec)
            .collect();
        median(&v)
    };
    let of_medians = rate(true) / rate(false).max(f64::MIN_POSITIVE);
    let ratio_ok = ratios.iter().filter(|&&r| r >= TARGET_RATIO).count();
    let diff_ok = (done.iter())
        .filter(|p| p.p50_diff_ns().abs() <= TARGET_P50_NS)
        .count();
    let _ = writeln!(
        s,
        "Throughput ratio ({ratio}) over {} pairs: median **{r:.2}** (smallest {rlo:.2}, \
         largest {rhi:.2}; target ≥ {TARGET_RATIO}: {}; {ratio_ok} of {} pairs ≥ \
         {TARGET_RATIO}); the medians' ratio {of_medians:.2} ({:.2} ÷ {:.2} M lines/s). \
         Caller p50 difference ({diff}): median **{d:+.0} ns** (smallest {dlo:+.0}, largest \
         {dhi:+.0}; target within ±{TARGET_P50_NS} ns: {}; {diff_ok} of {} pairs within).\n",
        done.len(),
        if r >= TARGET_RATIO {
            "met by the median"
        } else {
            "not met"
        },
        done.len(),
        rate(true) / 1e6,
        rate(false) / 1e6,
        if d.abs() <= TARGET_P50_NS as f64 {
            "met by the median"
        } else {
            "not met"
        },
        done.len(),
    );
    let loaded = done.iter().filter(|p| p.loaded()).count();
    if loaded > 0 {
        let _ = writeln!(
            s,
            "{loaded} of {} pairs ran beside other load of {QUIET_CPUS} CPUs or more (marked): \
             their rates are the machine's as much as the logger's.\n",
            done.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rate: f64, p50: u64) -> PeerResult {
        PeerResult {
            lines_per_sec: rate,
            p50_ns: p50,
            ..PeerResult::default()
        }
    }

    /// The jobs of `pairs` pairs, their directories numbered in order.
    fn numbered_jobs(pairs: usize, control: bool) -> Vec<(AbKey, Job)> {
        let mut n = 0;
        let mut dir = |w: &str| {
            n += 1;
            PathBuf::from(format!("{n}-{w}"))
        };
        jobs(pairs, 10, &mut dir, false, control)
    }

    #[test]
    fn the_order_alternates_and_every_pair_has_both_sides() {
        let jobs = numbered_jobs(3, false);
        let keys: Vec<(usize, bool)> = jobs.iter().map(|(k, _)| (k.pair, k.crash_safe)).collect();
        assert_eq!(
            keys,
            [
                (0, false),
                (0, true),
                (1, true),
                (1, false),
                (2, false),
                (2, true)
            ]
        );
        assert!(jobs.iter().all(|(k, _)| !k.control));
    }

    #[test]
    fn each_pair_is_followed_by_a_control_pair_of_the_normal_mode_on_both_sides() {
        let jobs = numbered_jobs(2, true);
        let got: Vec<(usize, bool, bool, String, String)> = (jobs.iter())
            .map(|(k, j)| match j {
                Job::Peer(p) => (
                    k.pair,
                    k.control,
                    k.crash_safe,
                    p.name.clone(),
                    p.dir.display().to_string(),
                ),
                _ => panic!("not a peer job: {j:?}"),
            })
            .collect();
        let row = |pair, control, cs, name: &str, dir: &str| {
            (pair, control, cs, name.to_owned(), dir.to_owned())
        };
        assert_eq!(
            got,
            [
                row(0, false, false, URINGLOG, "1-ab-uringlog"),
                row(0, false, true, CRASH_SAFE, "2-ab-uringlog-crash-safe"),
                row(0, true, false, URINGLOG, "3-ab-control-uringlog"),
                row(0, true, true, URINGLOG, "4-ab-control-uringlog"),
                row(1, false, true, CRASH_SAFE, "5-ab-uringlog-crash-safe"),
                row(1, false, false, URINGLOG, "6-ab-uringlog"),
                row(1, true, true, URINGLOG, "7-ab-control-uringlog"),
                row(1, true, false, URINGLOG, "8-ab-control-uringlog"),
            ]
        );
    }

    #[test]
    fn pairs_give_ratios_and_differences_and_name_what_failed() {
        let m = |pair, crash_safe, r: Result<PeerResult, String>| Measured {
            key: AbKey {
                pair,
                crash_safe,
                control: false,
            },
            result: r,
        };
        let rows = vec![
            m(0, false, Ok(result(4e6, 60))),
            m(0, true, Ok(result(3e6, 68))),
            m(1, true, Ok(result(2e6, 70))),
            m(1, false, Ok(result(4e6, 66))),
            m(2, false, Err("boom".to_owned())),
            m(2, true, Ok(result(1e6, 1))),
        ];
        let mut loaded = result(3e6, 68);
        loaded.other = crate::machine_load::OtherLoad {
            other_cpus: 0.25,
            steal_cpus: 0.1,
        };
        let rows = [
            rows,
            vec![m(3, false, Ok(result(3e6, 60))), m(3, true, Ok(loaded))],
        ]
        .concat();
        let (done, errors) = pairs(&rows, false);
        assert_eq!(done.len(), 3);
        assert_eq!(
            done.iter().map(Pair::loaded).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(
            (
                done[0].ratio(),
                done[0].p50_diff_ns(),
                done[0].crash_safe_first
            ),
            (0.75, 8, false)
        );
        assert_eq!(
            (
                done[1].ratio(),
                done[1].p50_diff_ns(),
                done[1].crash_safe_first
            ),
            (0.5, 4, true)
        );
        assert_eq!(errors, ["pair 3, normal: boom"]);
        assert_eq!(spread(&[0.75, 0.5, 0.9]), (0.75, 0.5, 0.9));
        let mut s = String::new();
        render(&mut s, &rows);
        assert!(
            s.contains("| 1 | normal | 4.00 | 3.00 | 0.75 | 60 | 68 | +8 | 0.0 / 0.0 |"),
            "{s}"
        );
        assert!(
            s.contains("| 2 | crash-safe | 4.00 | 2.00 | 0.50 | 66 | 70 | +4 | 0.0 / 0.0 |"),
            "{s}"
        );
        assert!(
            s.contains("| 4 | normal | 3.00 | 3.00 | 1.00 | 60 | 68 | +8 | 0.0 / 0.3 (loaded) |"),
            "{s}"
        );
        assert!(
            s.contains("1 of 3 pairs ran beside other load of 0.3 CPUs or more (marked)"),
            "{s}"
        );
        assert!(
            s.contains("median **0.75** (smallest 0.50, largest 1.00; target ≥ 0.8: not met; 1 of 3 pairs ≥ 0.8)"),
            "{s}"
        );
        assert!(s.contains("median **+8 ns** (smallest +4, largest +8; target within ±10 ns: met by the median; 3 of 3 pairs within)"), "{s}");
        assert!(s.contains("- not measured: pair 3, normal: boom"), "{s}");
        assert!(!s.contains("Control"), "{s}");
        crate::render::check_tables(&s).unwrap();
    }

    #[test]
    fn control_pairs_are_shown_apart_with_their_own_spread() {
        let m = |pair, crash_safe, control, r: Result<PeerResult, String>| Measured {
            key: AbKey {
                pair,
                crash_safe,
                control,
            },
            result: r,
        };
        let rows = vec![
            m(0, false, false, Ok(result(4e6, 60))),
            m(0, true, false, Ok(result(3e6, 72))),
            m(0, false, true, Ok(result(4e6, 60))),
            m(0, true, true, Ok(result(2e6, 61))),
            m(1, true, false, Ok(result(4e6, 70))),
            m(1, false, false, Ok(result(4e6, 66))),
            m(1, true, true, Err("gone".to_owned())),
            m(1, false, true, Ok(result(5e6, 50))),
            m(2, false, true, Ok(result(5e6, 50))),
            m(2, true, true, Ok(result(6e6, 38))),
        ];
        let (done, errors) = pairs(&rows, false);
        assert_eq!((done.len(), errors.len()), (2, 0));
        let (control, errors) = pairs(&rows, true);
        assert_eq!(
            control
                .iter()
                .map(|p| (p.pair, p.ratio(), p.p50_diff_ns(), p.crash_safe_first))
                .collect::<Vec<_>>(),
            [(0, 0.5, 1, false), (2, 1.2, -12, false)]
        );
        assert_eq!(errors, ["control pair 2, normal B: gone"]);
        let mut s = String::new();
        render(&mut s, &rows);
        assert!(
            s.contains("run as 2 pairs one right after the other"),
            "{s}"
        );
        assert!(
            s.contains("Throughput ratio (crash-safe ÷ normal) over 2 pairs: median **0.88** (smallest 0.75, largest 1.00; target ≥ 0.8: met by the median; 1 of 2 pairs ≥ 0.8)"),
            "{s}"
        );
        let control_part = &s[s.find("Control:").expect("a control part")..];
        assert!(
            control_part.contains("| Pair | First | A M lines/s | B M lines/s | Ratio | A p50 ns | B p50 ns | Δ p50 ns | Other load, CPUs (a / b) |"),
            "{s}"
        );
        assert!(
            control_part.contains("| 1 | a | 4.00 | 2.00 | 0.50 | 60 | 61 | +1 | 0.0 / 0.0 |"),
            "{s}"
        );
        assert!(
            control_part.contains("| 3 | a | 5.00 | 6.00 | 1.20 | 50 | 38 | -12 | 0.0 / 0.0 |"),
            "{s}"
        );
        assert!(
            control_part.contains("- not measured: control pair 2, normal B: gone"),
            "{s}"
        );
        assert!(
            control_part.contains("Throughput ratio (B ÷ A) over 2 pairs: median **0.85** (smallest 0.50, largest 1.20; target ≥ 0.8: met by the median; 1 of 2 pairs ≥ 0.8)"),
            "{s}"
        );
        assert!(
            control_part.contains("Caller p50 difference (B − A): median **-6 ns** (smallest -12, largest +1; target within ±10 ns: met by the median; 1 of 2 pairs within)"),
            "{s}"
        );
        crate::render::check_tables(&s).unwrap();
    }
}
