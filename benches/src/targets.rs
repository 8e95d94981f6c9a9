//! Targets vs actual: the seed report's targets and the design's goals,
//! each judged against this run's figures.

use crate::config::Route;
use crate::delivery::{DeliveryResult, Pattern, Subject};
use crate::latency::LatencyResult;
use crate::peer_runs::PeerRuns;
use crate::peers::URINGLOG;
use crate::suite::ReportData;
use crate::throughput::ThroughputResult;

/// One target and how this run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target as stated.
    pub target: String,
    /// This run's figure, with where it comes from.
    pub actual: String,
    /// `Some(met)`, or `None` when this run did not measure it.
    pub met: Option<bool>,
}

impl Target {
    fn new(target: &str, actual: String, met: Option<bool>) -> Target {
        Target {
            target: target.to_owned(),
            actual,
            met,
        }
    }

    fn unmeasured(target: &str, why: &str) -> Target {
        Target::new(target, why.to_owned(), None)
    }

    /// ✅ Met, ❌ Not met, or — not measured.
    pub fn status(&self) -> &'static str {
        match self.met {
            Some(true) => "✅ Met",
            Some(false) => "❌ Not met",
            None => "— not measured",
        }
    }
}

/// What `Backend::Auto` ended up with in each repetition of the batch-size
/// row with the engine's defaults (`io_backend()` after shutdown).
pub fn auto_decisions(d: &ReportData) -> Vec<&str> {
    d.batch
        .iter()
        .filter(|m| m.key == crate::config::DEFAULT_BATCH_SIZE)
        .filter_map(|m| m.result.as_ref().ok())
        .flat_map(|r| r.reps.iter().map(|x| x.backend.as_str()))
        .collect()
}

/// The async route `Backend::Auto` chose in most repetitions of the default
/// configuration: io_uring when it chose io_uring, else pwrite (also when it
/// did not decide within the run, as its trial starts with pwrite).
pub fn auto_route(d: &ReportData) -> Route {
    let v = auto_decisions(d);
    let uring = v.iter().filter(|b| b.starts_with("io_uring")).count();
    if uring * 2 > v.len() {
        Route::AsyncIoUring
    } else {
        Route::AsyncPwrite
    }
}

/// The throughput result for `route`, `count` calls, `threads` producers.
pub fn throughput(
    d: &ReportData,
    route: Route,
    count: u64,
    threads: usize,
) -> Option<&ThroughputResult> {
    let m = d.throughput.iter().find(|m| {
        let k = &m.key;
        k.route == route && k.count == count && k.threads == threads
    })?;
    m.result.as_ref().ok()
}

/// The latency result for `route`.
pub fn latency(d: &ReportData, route: Route) -> Option<&LatencyResult> {
    let m = d.latency.iter().find(|m| m.key == route)?;
    m.result.as_ref().ok()
}

/// Every latency run of `route` that succeeded: the table's first, then
/// its repeats in fresh processes (section 2).
pub fn latency_runs(d: &ReportData, route: Route) -> Vec<&LatencyResult> {
    let repeats = d.latency_repeats.iter().filter(|m| m.key.route == route);
    let first = latency(d, route).into_iter();
    first
        .chain(repeats.filter_map(|m| m.result.as_ref().ok()))
        .collect()
}

/// A latency figure over the runs of a mode: `median (min–max)` in ns,
/// with the runs counted; `None` without a run.
pub fn over_runs(runs: &[&LatencyResult], f: impl Fn(&LatencyResult) -> u64) -> Option<RunSpread> {
    let v: Vec<u64> = runs.iter().map(|r| f(r)).collect();
    let (&min, &max) = (v.iter().min()?, v.iter().max()?);
    let (median, ..) = crate::measure::spread(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
    Some(RunSpread {
        median,
        min,
        max,
        runs: v.len(),
    })
}

/// See [`over_runs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSpread {
    /// Median over the runs (the mean of the middle two for an even count).
    pub median: f64,
    /// Smallest.
    pub min: u64,
    /// Largest.
    pub max: u64,
    /// Runs.
    pub runs: usize,
}

impl RunSpread {
    /// `40 ns` for one run, `40 ns, median of 5 processes (30–50 ns)` for
    /// more (`40 ns in each of 5 processes` when they agree).
    pub fn describe(&self) -> String {
        if self.runs < 2 {
            return format!("{} ns", thousands(self.median.round() as u64));
        }
        if self.min == self.max {
            return format!(
                "{} ns in each of {} processes",
                thousands(self.min),
                self.runs
            );
        }
        format!(
            "{} ns, median of {} processes ({}–{} ns)",
            thousands(self.median.round() as u64),
            self.runs,
            thousands(self.min),
            thousands(self.max)
        )
    }
}

/// The runs of the peer row `name`, if one completed.
pub fn peer<'a>(d: &'a ReportData, name: &str) -> Option<PeerRuns<'a>> {
    crate::peer_runs::find(&d.peers, name)
}

/// Where a figure over a peer's runs comes from: `section 9's peer run`
/// for one, `section 9's peer runs, median of 3` for more (`each` added
/// when the figure compares two loggers).
pub fn peer_source(runs: usize, each: bool) -> String {
    match (runs, each) {
        (1, _) => "section 9's peer run".to_owned(),
        (n, false) => format!("section 9's peer runs, median of {n}"),
        (n, true) => format!("section 9's peer runs, median of {n} each"),
    }
}

/// The seed's latency target, as this report judges it.
pub const LATENCY_TARGET: &str = "<1ms latency (caller-side: time in the log call)";

/// The seed's four targets.
pub fn seed_targets(d: &ReportData) -> Vec<Target> {
    let route = auto_route(d);
    let big = throughput(d, route, d.sizes.large, 1);
    let mut v = Vec::new();
    v.push(match big {
        Some(r) => {
            let rate = r.lines_per_sec();
            let actual = format!(
                "{} logs/s (section 1, {route}, {} calls)",
                thousands(rate as u64),
                thousands(r.count)
            );
            Target::new("100K+ logs/sec", actual, Some(rate >= 100_000.0))
        }
        None => Target::unmeasured("100K+ logs/sec", "throughput run failed"),
    });
    v.push(match latency(d, route) {
        Some(l) => {
            let s = &l.summary;
            let actual = format!(
                "p99.9 {} ns, mean {:.0} ns (section 2, {route}): time in the log call only; \
                 when the line reaches the file is not this figure",
                thousands(s.p999_ns),
                s.mean_ns
            );
            Target::new(LATENCY_TARGET, actual, Some(s.p999_ns < 1_000_000))
        }
        None => Target::unmeasured(LATENCY_TARGET, "latency run failed"),
    });
    v.push(match big {
        Some(r) => {
            let mib = r.peak_rss_kib as f64 / 1024.0;
            let actual = format!("{mib:.1} MiB peak RSS of the whole process (section 1, {route})");
            Target::new("<50MB memory", actual, Some(mib < 50.0))
        }
        None => Target::unmeasured("<50MB memory", "throughput run failed"),
    });
    v.push(shutdown_target(d));
    v
}

fn shutdown_target(d: &ReportData) -> Target {
    let reps: Vec<f64> = d
        .throughput
        .iter()
        .filter(|m| m.key.route.is_async())
        .filter_map(|m| m.result.as_ref().ok())
        .flat_map(|r| r.reps.iter().map(|x| x.shutdown_s))
        .collect();
    if reps.is_empty() {
        return Target::unmeasured("<5s shutdown", "no async run completed");
    }
    let slowest = reps.iter().copied().fold(0.0, f64::max);
    let actual = format!(
        "slowest of {} async runs: {:.2} ms",
        reps.len(),
        slowest * 1e3
    );
    Target::new("<5s shutdown", actual, Some(slowest < 5.0))
}

/// The project's first milestone and goal.
pub fn design_targets(d: &ReportData) -> Vec<Target> {
    let route = auto_route(d);
    let (rate, rate_from) = match (peer(d, URINGLOG), throughput(d, route, d.sizes.large, 1)) {
        (Some(p), _) => (
            Some(p.lines_per_sec()),
            format!(
                "{}, {} lines",
                peer_source(p.ok.len(), false),
                thousands(p.ok[0].lines_expected)
            ),
        ),
        (None, Some(r)) => (
            Some(r.lines_per_sec()),
            format!("section 1, {route}, {} calls", thousands(r.count)),
        ),
        (None, None) => (None, String::new()),
    };
    let mut v = Vec::new();
    for (name, min) in [
        ("milestone: ≥ 5 M lines/s end to end", 5e6),
        ("goal: ≥ 20 M lines/s end to end", 20e6),
    ] {
        v.push(match rate {
            Some(x) => Target::new(
                name,
                format!("{:.2} M lines/s ({rate_from})", x / 1e6),
                Some(x >= min),
            ),
            None => Target::unmeasured(name, "throughput run failed"),
        });
    }
    let runs = latency_runs(d, route);
    let p50 = over_runs(&runs, |r| r.summary.p50_ns);
    for (name, max) in [
        ("milestone: p50 ≤ 150 ns", 150.0),
        ("goal: p50 ≤ 40 ns", 40.0),
    ] {
        v.push(match p50 {
            Some(x) => Target::new(
                name,
                format!("{} (section 2, {route})", x.describe()),
                Some(x.median <= max),
            ),
            None => Target::unmeasured(name, "latency run failed"),
        });
    }
    v.push(spdlog_target(d));
    v.push(match over_runs(&runs, |r| r.summary.p999_ns) {
        Some(x) => Target::new(
            "goal: p99.9 ≤ 150 ns",
            format!("{} (section 2, {route})", x.describe()),
            Some(x.median <= 150.0),
        ),
        None => Target::unmeasured("goal: p99.9 ≤ 150 ns", "latency run failed"),
    });
    v.push(memory_target(d, route));
    v.push(delivery_target(d, route));
    v
}

/// Issue-level goal: a record logged into an idle engine reaches the file
/// within 1 ms p99; judged on every trickle row of the delivery table.
fn delivery_target(d: &ReportData, route: Route) -> Target {
    let name = "goal: a record logged into an idle engine is readable in the file within 1 ms p99";
    let rows: Vec<_> = d
        .delivery
        .iter()
        .filter(|m| matches!(m.key.subject, Subject::Engine(c) if c.route == route))
        .filter(|m| matches!(m.key.pattern, Pattern::Trickle { .. }))
        .collect();
    let ok: Vec<&DeliveryResult> = rows.iter().filter_map(|m| m.result.as_ref().ok()).collect();
    if rows.is_empty() || ok.len() < rows.len() {
        return Target::unmeasured(name, "delivery runs missing or failed");
    }
    let worst = ok.iter().map(|r| r.p99_ns).max().unwrap_or(0);
    let missing: u64 = ok.iter().map(|r| r.missing()).sum();
    let actual = format!(
        "worst p99 {:.0} µs over {} trickles (0.1–60 ms apart), {missing} never seen ({route})",
        worst as f64 / 1e3,
        ok.len()
    );
    Target::new(name, actual, Some(worst < 1_000_000 && missing == 0))
}

fn spdlog_target(d: &ReportData) -> Target {
    let name = "milestone: p99.9 below spdlog-rs's (same workload)";
    match (peer(d, URINGLOG), peer(d, "spdlog-rs")) {
        (Some(u), Some(s)) => {
            let p999 = |p: &PeerRuns| p.median(|r| r.p999_ns as f64).round() as u64;
            let (ours, theirs) = (p999(&u), p999(&s));
            let runs = peer_source(u.ok.len().max(s.ok.len()), true);
            Target::new(
                name,
                format!(
                    "{} ns vs spdlog-rs {} ns ({runs}: the same burst workload for both)",
                    thousands(ours),
                    thousands(theirs)
                ),
                Some(ours < theirs),
            )
        }
        _ => Target::unmeasured(name, "peers not run"),
    }
}

fn memory_target(d: &ReportData, route: Route) -> Target {
    let name = "milestone and goal: peak RSS ≤ 2 MiB above an empty process";
    match (throughput(d, route, d.sizes.large, 1), &d.idle_rss_kib) {
        (Some(r), Ok(idle)) => {
            let above = r.peak_rss_kib.saturating_sub(*idle) as f64 / 1024.0;
            let harness = match &d.harness_rss_kib {
                Ok(h) => format!(
                    "; {:.2} MiB above the harness run with nothing logged",
                    r.peak_rss_kib.saturating_sub(*h) as f64 / 1024.0
                ),
                Err(_) => String::new(),
            };
            let actual = format!(
                "{above:.2} MiB above (section 1, {route}, {} calls{harness})",
                thousands(r.count)
            );
            Target::new(name, actual, Some(above <= 2.0))
        }
        _ => Target::unmeasured(name, "a run failed"),
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
