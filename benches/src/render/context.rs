//! Sections 8, 9 and 11: the machine, the peers side by side (each row over
//! its logger's runs), and a real service when its benchmark was run.

use super::{cell, mib, nanos, timed_with, Charts};
use crate::measure::median;
use crate::peer_runs::{group, PeerRuns};
use crate::peers::{lossless_by_config, BURSTS, BURST_LEN, BURST_PAUSE, URINGLOG, WARMUP_LINES};
use crate::suite::ReportData;
use crate::targets::{auto_route, thousands};
use std::fmt::Write as _;

/// Section 8.
pub fn system(s: &mut String, d: &ReportData, charts: &Charts) {
    let y = &d.system;
    let auto = crate::targets::auto_decisions(d);
    let decided = auto.iter().filter(|b| !b.starts_with("auto")).count();
    let _ = writeln!(s, "## 8. System information\n\n```");
    let _ = writeln!(s, "CPU:             {}", y.cpu_model);
    let _ = writeln!(s, "Cores:           {}", y.cores);
    let _ = writeln!(s, "Kernel:          {}", y.kernel);
    let _ = writeln!(s, "File system:     {}", y.file_system);
    let _ = writeln!(s, "io_uring:        {}", y.io_uring);
    let _ = writeln!(s, "io_uring_disabled sysctl: {}", y.io_uring_sysctl);
    let _ = writeln!(
        s,
        "Backend::Auto:   decided in {decided} of {} default runs (section 1 compares); \
         route used for the summary and targets: {}",
        auto.len(),
        auto_route(d)
    );
    let _ = writeln!(s, "rustc:           {}", y.rustc);
    let _ = writeln!(s, "Build profile:   {}", y.profile);
    let _ = writeln!(s, "```\n");
    if let Some(p) = &charts.sweep {
        let _ = writeln!(
            s,
            "Tuning sweep of this machine (`scripts/tune.sh`):\n\n![Tuning sweep]({p})\n"
        );
    }
    for n in &charts.notes {
        let _ = writeln!(s, "Note: {}\n", cell(n));
    }
}

/// Section 9.
pub fn peers(s: &mut String, d: &ReportData) {
    let _ = writeln!(s, "## 9. Peers side by side\n");
    if d.peers.is_empty() {
        let _ = writeln!(
            s,
            "Not run in this report (`--quick` or `--no-peers`); the full report runs them.\n"
        );
        return;
    }
    let groups = group(&d.peers);
    let rounds = groups.iter().map(PeerRuns::runs).max().unwrap_or(1);
    let ran: Vec<&crate::peers::PeerResult> = d
        .peers
        .iter()
        .filter_map(|m| m.result.as_ref().ok())
        .collect();
    let (runs, cells) = match rounds {
        1 => ("one run each".to_owned(), String::new()),
        n => (
            format!(
                "each run {n} times as interleaved rounds (every logger once a round in the \
                 table's order, each round starting one logger further on), every run a fresh \
                 process"
            ),
            format!(
                " Each cell is over a logger's runs: M lines/s is the median of its {n} runs \
                 with the slowest and the fastest in brackets; MB/s, CPUs, write syscalls, \
                 p50, p99.9 and bytes/line are the medians only; lines lost is the most any \
                 run lost; peak RSS the largest of the runs; \"{URINGLOG} ÷ peer\" is the \
                 ratio of the median rates."
            ),
        ),
    };
    let _ = writeln!(
        s,
        "The same workload through every logger, each in its own child process (peak RSS is \
         per logger: `VmHWM` through the warm-up and throughput phases, before the file is \
         read back), {runs}: {} warm-up lines, then {} lines from one thread timed \
         until all are in the file, every line counted by reading the file back (lossy \
         loggers cannot look fast), then {BURSTS} bursts of {BURST_LEN} calls {} ms apart, \
         each call timed on the caller's side with {}, the same for every logger (every \
         figure includes one timer pair: {} around an empty call, median over the loggers' \
         processes; these p50 and p99.9 are this section's own, beside section 2's). Every \
         logger gets the same \
         message and, where its API has one, the same target. \"Lossless by config\" is \
         decided by how the logger is set up (a queue that blocks when full, or none), not by \
         whether it happened to drop here; the summary compares only with those. MB/s counts \
         the bytes of the lines in the file; write syscalls are the process's `syscw` \
         (`/proc/self/io`) during the timed lines (io_uring writes are no system calls). \
         CPUs is the process's CPU time during the timed lines over their wall time: \
         below 1 for a logger with a background thread, its caller and its writer took \
         turns on one CPU (or the machine gave the process less than one), and its rate is \
         then bounded by the two costs added, not by the slower one. \
         uringlog runs with the engine's defaults. \"{URINGLOG} ÷ peer\" is uringlog's \
         lines/s over the peer's.{cells}\n",
        thousands(WARMUP_LINES),
        thousands(d.sizes.large),
        BURST_PAUSE.as_millis(),
        timed_with(ran.iter().map(|r| r.timer)),
        nanos(median(
            &ran.iter()
                .map(|r| r.timing_overhead_ns as f64)
                .collect::<Vec<_>>()
        ))
    );
    peer_table(s, &groups);
    crate::crash_safe_ab::render(s, &d.crash_safe_ab);
}

/// Section 9's table, a row per logger, then the runs that failed of the
/// loggers that have figures.
fn peer_table(s: &mut String, groups: &[PeerRuns]) {
    let base = groups
        .iter()
        .find(|g| g.name == URINGLOG && !g.ok.is_empty())
        .map(PeerRuns::lines_per_sec);
    let _ = writeln!(
        s,
        "| Logger | Lossless by config | M lines/s | MB/s | CPUs | Write syscalls | p50 ns | p99.9 ns | Peak RSS | Lines lost | Bytes/line | {URINGLOG} ÷ peer |"
    );
    let _ = writeln!(
        s,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for g in groups {
        let _ = writeln!(s, "{}", peer_row(g, base));
    }
    let _ = writeln!(s);
    let failed: Vec<String> = (groups.iter().filter(|g| !g.ok.is_empty()))
        .flat_map(|g| {
            (g.failed.iter()).map(|(run, e)| format!("{}, run {run}: not run: {}", g.name, cell(e)))
        })
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(
            s,
            "Runs that failed (the row's figures are over the others): {}.\n",
            failed.join("; ")
        );
    }
}

/// One row of section 9's table: the medians over `g`'s runs (see
/// [`crate::peer_runs`]), the ratio to uringlog's median rate `base`.
fn peer_row(g: &PeerRuns, base: Option<f64>) -> String {
    let (lossless, why) = lossless_by_config(g.name);
    let lossless = format!("{}: {why}", if lossless { "yes" } else { "no" });
    if g.ok.is_empty() {
        let e = g.failed.first().map_or("no run", |(_, e)| e);
        return format!(
            "| {} | {lossless} | not run: {} | — | — | — | — | — | — | — | — | — |",
            g.name,
            cell(e)
        );
    }
    let (rate, lo, hi) = g.spread(|r| r.lines_per_sec / 1e6);
    let rate = match lo == hi {
        true => format!("{rate:.2}"),
        false => format!("{rate:.2} ({}–{})", run_rate(lo), run_rate(hi)),
    };
    let whole = |f: fn(&crate::peers::PeerResult) -> u64| g.median(|r| f(r) as f64).round() as u64;
    let ratio = match base {
        Some(b) if g.lines_per_sec() > 0.0 => format!("{:.2}x", b / g.lines_per_sec()),
        _ => "—".to_owned(),
    };
    format!(
        "| {} | {lossless} | {rate} | {:.0} | {:.2} | {} | {} | {} | {} | {} | {:.0} | {ratio} |",
        g.name,
        g.median(|r| r.mb_per_sec()),
        g.median(|r| r.cpus_used()),
        thousands(whole(|r| r.write_syscalls)),
        whole(|r| r.p50_ns),
        thousands(whole(|r| r.p999_ns)),
        mib(g.peak_rss_kib()),
        thousands(g.most_lost()),
        g.median(|r| r.bytes_per_line)
    )
}

/// The slowest or fastest run's M lines/s beside the median: one decimal
/// from 10 up, two below (where one would hide most of the spread).
fn run_rate(m: f64) -> String {
    match m >= 10.0 {
        true => format!("{m:.1}"),
        false => format!("{m:.2}"),
    }
}

/// Section 11, only when `scripts/service_bench.sh` left its table.
pub fn service(s: &mut String, charts: &Charts) {
    let Some(table) = &charts.service else {
        return;
    };
    let _ = writeln!(
        s,
        "## 11. A real service: HTTP requests through `tracing`
"
    );
    let _ = writeln!(
        s,
        "From `scripts/service_bench.sh` (its own run, not this report's): a hyper service \
         with one tokio worker, each request in a `request` span logging one \
         `tracing::info!` with three fields, driven by wrk on loopback.\n"
    );
    let _ = writeln!(s, "{}\n", table.trim_end());
}
