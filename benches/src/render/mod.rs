//! Renders a [`ReportData`] as `PERFORMANCE_REPORT.md`: the seed report's
//! tables in its order, then what the seed never had.

mod auto;
mod context;
pub mod delivery;
mod network;
mod seed;
mod verdicts;

use crate::checklist::checklist;
use crate::config::Route;
use crate::suite::ReportData;
use crate::targets::{auto_route, latency, thousands, throughput};
use std::fmt::Write as _;

/// Section headings, in order; the smoke test checks every one is present.
pub const SECTIONS: [&str; 10] = [
    "## 1. Throughput comparison",
    "## 2. Latency",
    "## 3. Memory",
    "## 4. Batch size sweep",
    "## 5. Backpressure policies",
    "## 6. Verification checklist",
    "## 7. Targets vs actual",
    "## 8. System information",
    "## 9. Peers side by side",
    "## 10. Network sinks (syslog)",
];

/// Charts drawn for the report, as paths relative to the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Charts {
    /// Latency histogram.
    pub latency: Option<String>,
    /// Tuning sweep (from `scripts/tune.sh`), when one was run.
    pub sweep: Option<String>,
    /// The real-service table (from `scripts/service_bench.sh`), when one
    /// was run: its Markdown, shown as is.
    pub service: Option<String>,
    /// Why a chart is missing.
    pub notes: Vec<String>,
}

/// The whole report.
pub fn render(d: &ReportData, charts: &Charts) -> String {
    let mut s = String::new();
    header(&mut s, d);
    seed::throughput(&mut s, d);
    auto::check(&mut s, d);
    seed::latency(&mut s, d, charts);
    delivery::delivery(&mut s, &d.sizes.delivery, &d.delivery);
    seed::memory(&mut s, d);
    seed::batch(&mut s, d);
    seed::backpressure(&mut s, d);
    verdicts::checklist(&mut s, d);
    verdicts::targets(&mut s, d);
    context::system(&mut s, d, charts);
    context::peers(&mut s, d);
    network::section(&mut s, d);
    context::service(&mut s, charts);
    s
}

/// Section 10 alone (the `network` subcommand).
pub fn network_section(r: &Result<crate::network::NetworkResult, String>) -> String {
    let mut s = String::new();
    network::of(&mut s, r);
    s
}

fn header(s: &mut String, d: &ReportData) {
    let _ = writeln!(s, "# uringlog performance report\n");
    let _ = writeln!(s, "> **Test date**: {}  ", utc_date(d.started_unix_s));
    let _ = writeln!(s, "> **Test command**: `{}`  ", d.command);
    let _ = writeln!(
        s,
        "> **Run**: {} ({:.0} s in all); every figure below comes from this run\n",
        if d.sizes.peers {
            "full report"
        } else {
            "without peers"
        },
        d.total_s
    );
    let _ = writeln!(s, "## Summary\n");
    let route = auto_route(d);
    let large = d.sizes.large;
    let find = |r| throughput(d, r, large, 1);
    if let (Some(a), Some(b)) = (find(route), find(Route::MutexBufWriter)) {
        let _ = write!(
            s,
            "- {} calls, one thread, every line in the file (median of {}): {route} {} logs/s vs \
             {} {} logs/s — **{:.1}x**",
            thousands(large),
            a.reps.len(),
            thousands(a.lines_per_sec() as u64),
            Route::MutexBufWriter,
            thousands(b.lines_per_sec() as u64),
            a.lines_per_sec() / b.lines_per_sec().max(1e-9)
        );
        match find(Route::Sync) {
            Some(c) => {
                let _ = writeln!(
                    s,
                    "; {:.1}x {} ({} logs/s).",
                    a.lines_per_sec() / c.lines_per_sec().max(1e-9),
                    Route::Sync,
                    thousands(c.lines_per_sec() as u64)
                );
            }
            None => {
                let _ = writeln!(s, ".");
            }
        }
    }
    if let Some(l) = latency(d, route) {
        let m = &l.summary;
        let _ = writeln!(
            s,
            "- Caller-side latency (time spent in the log call, section 2, {route}): p50 {} ns, \
             p99.9 {} ns, mean {:.0} ns.",
            m.p50_ns,
            thousands(m.p999_ns),
            m.mean_ns
        );
    }
    peers_headline(s, d);
    let checks = checklist(d);
    let passed = checks.iter().filter(|c| c.pass).count();
    let _ = writeln!(
        s,
        "- Verification checklist: {passed} of {} checks pass.\n",
        checks.len()
    );
}

/// uringlog against the fastest peer of the same workload that cannot lose
/// a record by its configuration, if peers ran: medians over their runs.
fn peers_headline(s: &mut String, d: &ReportData) {
    let Some(ours) = crate::targets::peer(d, crate::peers::URINGLOG) else {
        return;
    };
    let best = crate::peer_runs::group(&d.peers)
        .into_iter()
        .filter(|g| !g.name.contains(crate::peers::URINGLOG))
        .filter(|g| crate::peers::lossless_by_config(g.name).0)
        .filter(|g| !g.ok.is_empty())
        .max_by(|a, b| a.lines_per_sec().total_cmp(&b.lines_per_sec()));
    if let Some(peer) = best {
        let runs = ours.ok.len().max(peer.ok.len());
        let each = match runs {
            1 => "one run each".to_owned(),
            n => format!("median of {n} runs each"),
        };
        let (a, b) = (ours.lines_per_sec(), peer.lines_per_sec());
        let _ = writeln!(
            s,
            "- Peers, same workload (section 9, {each}): uringlog {:.2} M lines/s vs the \
             fastest peer that is lossless by configuration, {}, {:.2} M lines/s ({:.1}x).",
            a / 1e6,
            peer.name,
            b / 1e6,
            a / b.max(1e-9)
        );
    }
}

/// `median (min–max)` of a figure, each shown by `f`.
pub fn spread(median: f64, (lo, hi): (f64, f64), f: impl Fn(f64) -> String) -> String {
    if lo == hi {
        return f(median);
    }
    format!("{} ({}–{})", f(median), f(lo), f(hi))
}

/// `YYYY-MM-DD HH:MM UTC` from Unix seconds.
pub fn utc_date(unix_s: u64) -> String {
    let days = (unix_s / 86_400) as i64;
    let (h, m) = ((unix_s % 86_400) / 3600, (unix_s % 3600) / 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02} UTC")
}

/// Seconds in a readable unit.
pub fn duration(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// Nanoseconds, switching to µs from 10 µs up.
pub fn nanos(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{} ns", thousands(ns.round() as u64))
    }
}

/// How the calls of `timers` (one per run) were timed: the one timer,
/// or each that some run used.
pub fn timed_with(timers: impl IntoIterator<Item = crate::timer::TimerKind>) -> String {
    let mut seen = Vec::new();
    for t in timers {
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    match seen.as_slice() {
        [] => "no timer (nothing ran)".to_owned(),
        [one] => one.to_string(),
        many => {
            let each: Vec<String> = many.iter().map(|t| t.to_string()).collect();
            format!("{} (each in some of the runs)", each.join(" or "))
        }
    }
}

/// KiB as MiB.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Bytes as KiB or MiB.
pub fn bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.2} MiB", b as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}

/// An error message made safe for one table cell.
pub fn cell(e: &str) -> String {
    e.replace('|', "/").replace('\n', " ")
}

/// Checks that every Markdown table in `md` has as many cells in each row
/// as in its header; the first offending row otherwise.
pub fn check_tables(md: &str) -> Result<(), String> {
    let mut header: Option<usize> = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let cells = line.matches('|').count();
        match header {
            None => header = Some(cells),
            Some(h) if h != cells => {
                return Err(format!(
                    "{cells} separators where the header has {h}: {line}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::PeerResult;
    use crate::plan::Sizes;
    use crate::suite::Measured;

    fn empty() -> ReportData {
        ReportData {
            command: "x".into(),
            started_unix_s: 0,
            total_s: 1.0,
            sizes: Sizes::new(true, true),
            system: Default::default(),
            throughput: Vec::new(),
            latency: Vec::new(),
            latency_repeats: Vec::new(),
            delivery: Vec::new(),
            idle_rss_kib: Err("not run".into()),
            harness_rss_kib: Err("not run".into()),
            threads: Vec::new(),
            batch: Vec::new(),
            backpressure: Vec::new(),
            peers: Vec::new(),
            crash_safe_ab: Vec::new(),
            network: Err("not run".into()),
        }
    }

    #[test]
    fn peer_rows_match_the_header_and_show_ratios_and_errors() {
        let mut d = empty();
        let row = |name: &str, rate: f64| Measured {
            key: name.to_owned(),
            result: Ok(PeerResult {
                lines_per_sec: rate,
                lines_expected: 10,
                lines_found: 9,
                bytes_per_line: 98.4,
                peak_rss_kib: 2048,
                elapsed_s: 0.2,
                cpu_s: 0.3,
                ..PeerResult::default()
            }),
        };
        d.peers = vec![
            row("uringlog", 4e6),
            Measured {
                key: "uringlog-io_uring".into(),
                result: Err("no | ring".into()),
            },
            row("other", 1e6),
        ];
        let text = render(&d, &Charts::default());
        check_tables(&text).unwrap();
        assert!(
            text.contains(
                "| other | no: unknown | 1.00 | 98 | 1.50 | 0 | 0 | 0 | 2.0 MiB | 1 | 98 | 4.00x |"
            ),
            "{text}"
        );
        assert!(text.contains("| uringlog-io_uring | yes: Policy::Block | not run: no / ring |"));
        assert!(check_tables("| a | b |\n|---|---|\n| 1 |\n").is_err());
    }

    /// One run of a peer: `rate` lines/s, `lost` of 1,000,000 lines lost,
    /// the other figures as given.
    fn peer_run(
        name: &str,
        rate: f64,
        lost: u64,
        fig: [u64; 4],
        cpu_s: f64,
    ) -> Measured<String, PeerResult> {
        let [write_syscalls, p50_ns, p999_ns, peak_rss_kib] = fig;
        Measured {
            key: name.to_owned(),
            result: Ok(PeerResult {
                lines_per_sec: rate,
                elapsed_s: 0.5,
                cpu_s,
                lines_expected: 1_000_000,
                lines_found: 1_000_000 - lost,
                bytes_per_line: 98.0,
                write_syscalls,
                p50_ns,
                p999_ns,
                peak_rss_kib,
                ..PeerResult::default()
            }),
        }
    }

    /// Three rounds of three loggers, rotated as the plan runs them, one
    /// of ftlog's runs failed.
    fn three_rounds() -> ReportData {
        let mut d = empty();
        let u = |rate, fig, cpu| peer_run("uringlog", rate, 0, fig, cpu);
        let sp = |rate, lost, fig| peer_run("spdlog-rs", rate, lost, fig, 0.9);
        let ft = |rate, lost| peer_run("ftlog", rate, lost, [7_000, 350, 9_000, 38_000], 0.9);
        d.peers = vec![
            u(16.6e6, [700, 90, 400, 6_000], 1.0),
            sp(3e6, 0, [12_000, 281, 5_610, 6_656]),
            ft(0.31e6, 530_988),
            sp(2e6, 3, [12_500, 300, 6_000, 6_656]),
            Measured {
                key: "ftlog".to_owned(),
                result: Err("crashed | twice".into()),
            },
            u(11.9e6, [720, 80, 1_200, 6_200], 0.9),
            ft(0.45e6, 0),
            u(13.9e6, [710, 100, 391, 6_100], 0.95),
            sp(4e6, 0, [11_000, 250, 5_000, 6_656]),
        ];
        d
    }

    #[test]
    fn peer_rows_show_the_median_over_runs_with_the_rates_spread() {
        let d = three_rounds();
        let text = render(&d, &Charts::default());
        check_tables(&text).unwrap();
        for want in [
            "| uringlog | yes: Policy::Block | 13.90 (11.9–16.6) | 1362 | 1.90 | 710 | 90 | 400 | 6.1 MiB | 0 | 98 | 1.00x |",
            "| spdlog-rs | yes: OverflowStrategy/Policy::Block | 3.00 (2.00–4.00) | 294 | 1.80 | 12,000 | 281 | 5,610 | 6.5 MiB | 3 | 98 | 4.63x |",
            "| ftlog | no: default channel: discards when full | 0.38 (0.31–0.45) | 37 | 1.80 | 7,000 | 350 | 9,000 | 37.1 MiB | 530,988 | 98 | 36.58x |",
            "Runs that failed (the row's figures are over the others): ftlog, run 2: not run: crashed / twice.",
            "), each run 3 times as interleaved rounds (every logger once a round in the table's order, each round starting one logger further on), every run a fresh process: 50,000 warm-up lines",
            "M lines/s is the median of its 3 runs with the slowest and the fastest in brackets;",
            "- Peers, same workload (section 9, median of 3 runs each): uringlog 13.90 M lines/s vs the fastest peer that is lossless by configuration, spdlog-rs, 3.00 M lines/s (4.6x).",
            "| milestone: ≥ 5 M lines/s end to end | 13.90 M lines/s (section 9's peer runs, median of 3, 1,000,000 lines) | ✅ Met |",
            "| milestone: p99.9 below spdlog-rs's (same workload) | 400 ns vs spdlog-rs 5,610 ns (section 9's peer runs, median of 3 each: the same burst workload for both) | ✅ Met |",
        ] {
            assert!(text.contains(want), "no {want:?} in\n{text}");
        }
        assert!(!text.contains("one run each"), "{text}");
    }

    #[test]
    fn the_lines_lost_cell_is_the_worst_runs() {
        // spdlog-rs lost 0, 3 and 0 lines: neither its first run nor its
        // median; ftlog 530,988 and 0 (a failed run between them).
        let d = three_rounds();
        let text = render(&d, &Charts::default());
        let lost = |name: &str| {
            let row = text
                .lines()
                .find(|l| l.starts_with(&format!("| {name} | ")))
                .unwrap_or_else(|| panic!("no row {name} in\n{text}"));
            row.split(" | ").nth(9).unwrap().to_owned()
        };
        assert_eq!(lost("uringlog"), "0");
        assert_eq!(lost("spdlog-rs"), "3");
        assert_eq!(lost("ftlog"), "530,988");
    }

    #[test]
    fn the_memory_table_shows_each_row_above_the_idle_process_and_the_harness() {
        use crate::config::Route;
        use crate::plan::ThroughputKey;
        use crate::throughput::ThroughputResult;
        let mut d = empty();
        d.idle_rss_kib = Ok(2048);
        d.harness_rss_kib = Ok(3072);
        let (count, max_t) = (d.sizes.large, *d.sizes.threads.iter().max().unwrap());
        d.throughput = [(1, 5632), (max_t, 6656)]
            .into_iter()
            .map(|(threads, peak_rss_kib)| Measured {
                key: ThroughputKey {
                    route: Route::AsyncPwrite,
                    count,
                    threads,
                },
                result: Ok(ThroughputResult {
                    count,
                    threads,
                    peak_rss_kib,
                    ..ThroughputResult::default()
                }),
            })
            .collect();
        let text = render(&d, &Charts::default());
        check_tables(&text).unwrap();
        for row in [
            "| idle process (no logger) | — | 2.0 MiB | — | — | — | — |",
            "| the harness alone (nothing logged) | — | 3.0 MiB | 1.0 MiB | — | — | — |",
            "| async pwrite | 1 | 5.5 MiB | 3.5 MiB | 2.5 MiB | 514.0 KiB |",
        ] {
            assert!(text.contains(row), "no {row:?} in\n{text}");
        }
        let four = format!("| async pwrite | {max_t} | 6.5 MiB | 4.5 MiB | — |");
        assert!(text.contains(&four), "no {four:?} in\n{text}");
        assert!(
            text.contains("2.50 MiB above the harness run with nothing logged"),
            "{text}"
        );
    }

    #[test]
    fn latency_repeats_are_shown_and_judged_by_their_median_over_processes() {
        use crate::config::Route;
        use crate::latency::LatencyResult;
        use crate::measure::LatencySummary;
        use crate::plan::LatencyRun;
        let mut d = empty();
        d.sizes.latency_runs = 3;
        let run = |p50_ns: u64, p999_ns: u64| LatencyResult {
            summary: LatencySummary {
                p50_ns,
                p999_ns,
                ..LatencySummary::default()
            },
            after_pause: Box::new(LatencySummary {
                p50_ns: p999_ns * 2,
                ..LatencySummary::default()
            }),
            ..LatencyResult::default()
        };
        // The table's runs: pwrite's p99.9 is its worst of three.
        d.latency = vec![
            Measured {
                key: Route::AsyncIoUring,
                result: Ok(run(50, 200)),
            },
            Measured {
                key: Route::AsyncPwrite,
                result: Ok(run(40, 470)),
            },
        ];
        let repeat = |route, run_no, result| Measured {
            key: LatencyRun { route, run: run_no },
            result,
        };
        d.latency_repeats = vec![
            repeat(Route::AsyncIoUring, 2, Ok(run(30, 100))),
            repeat(Route::AsyncPwrite, 2, Ok(run(30, 140))),
            repeat(Route::AsyncIoUring, 3, Err("no | ring".into())),
            repeat(Route::AsyncPwrite, 3, Ok(run(20, 150))),
        ];
        let same = crate::targets::RunSpread {
            median: 40.0,
            min: 40,
            max: 40,
            runs: 2,
        };
        assert_eq!(same.describe(), "40 ns in each of 2 processes");
        let text = render(&d, &Charts::default());
        check_tables(&text).unwrap();
        for row in [
            "| Metric | async io_uring (2 runs) | async pwrite (3 runs) |",
            "| p50 | 40 ns (30 ns–50 ns) | 30 ns (20 ns–40 ns) |",
            "| p99.9 | 150 ns (100 ns–200 ns) | 150 ns (140 ns–470 ns) |",
            "| First call of each burst (after the pause): p50 | 300 ns (200 ns–400 ns) | 300 ns (280 ns–940 ns) |",
            "async io_uring, run 3: not run: no / ring",
        ] {
            assert!(text.contains(row), "no {row:?} in\n{text}");
        }
        // The goals take the median over the processes of the route the
        // report judges (pwrite: Auto made no decision in this data).
        assert!(
            text.contains("150 ns, median of 3 processes (140–470 ns) (section 2, async pwrite)"),
            "{text}"
        );
        assert!(
            text.contains("30 ns, median of 3 processes (20–40 ns) (section 2, async pwrite)"),
            "{text}"
        );
    }

    #[test]
    fn latency_and_peer_sections_name_the_timer_of_their_runs() {
        use crate::config::Route;
        use crate::latency::LatencyResult;
        use crate::timer::TimerKind;
        let mut d = empty();
        let lat = |timer| LatencyResult {
            timer,
            ..LatencyResult::default()
        };
        d.latency = vec![
            Measured {
                key: Route::AsyncIoUring,
                result: Ok(lat(TimerKind::Tsc)),
            },
            Measured {
                key: Route::AsyncPwrite,
                result: Ok(lat(TimerKind::Tsc)),
            },
        ];
        let peer = |name: &str, timer, timing_overhead_ns| Measured {
            key: name.to_owned(),
            result: Ok(PeerResult {
                timer,
                timing_overhead_ns,
                ..PeerResult::default()
            }),
        };
        d.peers = vec![
            peer("uringlog", TimerKind::Tsc, 30),
            peer("spdlog-rs", TimerKind::Instant, 40),
            peer("mutex-bufwriter", TimerKind::Tsc, 31),
        ];
        let text = render(&d, &Charts::default());
        let tsc = "the TSC (`rdtsc; lfence` before, `rdtscp` after), its rate measured \
                   against `CLOCK_MONOTONIC`";
        let latency = format!("Each call timed on the caller's side with {tsc}: ");
        assert!(text.contains(&latency), "no {latency:?} in\n{text}");
        assert!(!text.contains("`Instant::now()`:"), "{text}");
        let peers = format!(
            "each call timed on the caller's side with {tsc} or `Instant::now()` before, \
             `elapsed()` after (each in some of the runs), the same for every logger (every \
             figure includes one timer pair: 31 ns around an empty call, median over the \
             loggers' processes;"
        );
        assert!(text.contains(&peers), "no {peers:?} in\n{text}");
    }

    #[test]
    fn the_headline_compares_only_with_peers_lossless_by_configuration() {
        let mut d = empty();
        let row = |name: &str, rate: f64| Measured {
            key: name.to_owned(),
            result: Ok(PeerResult {
                lines_per_sec: rate,
                lines_expected: 10,
                lines_found: 10,
                ..PeerResult::default()
            }),
        };
        // ftlog's default channel discards: fastest here, but never the
        // comparison, even though it lost nothing in this run.
        d.peers = vec![
            row("uringlog", 4e6),
            row("ftlog", 9e6),
            row("spdlog-rs", 2e6),
        ];
        let text = render(&d, &Charts::default());
        assert!(
            text.contains("lossless by configuration, spdlog-rs, 2.00 M lines/s (2.0x)"),
            "{text}"
        );
        assert!(text.contains("| ftlog | no: default channel: discards when full |"));
    }

    #[test]
    fn the_service_section_shows_the_scripts_table_only_when_there_is_one() {
        let d = empty();
        let none = render(&d, &Charts::default());
        assert!(!none.contains("## 11."));
        let table = "| setup | requests/s |\n|---|---:|\n| layer | 5 |\n";
        let charts = Charts {
            service: Some(table.to_owned()),
            ..Charts::default()
        };
        let with = render(&d, &charts);
        let at = with.find("## 11. A real service").expect("section 11");
        assert!(with[at..].contains(table));
        check_tables(&with).unwrap();
    }

    #[test]
    fn dates_and_units() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(1_795_833_409), "2026-11-28 02:36 UTC");
        assert_eq!(duration(0.0268), "26.80 ms");
        assert_eq!(duration(2.5), "2.500 s");
        assert_eq!(duration(0.000_123_4), "123.4 µs");
        assert_eq!(nanos(123.4), "123 ns");
        assert_eq!(nanos(27_500.0), "27.5 µs");
        assert_eq!(nanos(2_556.0), "2,556 ns");
        assert_eq!(bytes(3 << 20), "3.00 MiB");
        assert_eq!(cell("a|b\nc"), "a/b c");
    }
}
