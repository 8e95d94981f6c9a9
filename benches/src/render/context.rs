//! Sections 8, 9 and 11: the machine, the peers side by side, and a real
//! service when its benchmark was run.

use super::{cell, nanos, timed_with, Charts};
use crate::measure::median;
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
    let ran: Vec<&crate::peers::PeerResult> = d
        .peers
        .iter()
        .filter_map(|m| m.result.as_ref().ok())
        .collect();
    let _ = writeln!(
        s,
        "The same workload through every logger, each in its own child process (peak RSS is \
         per logger: `VmHWM` through the warm-up and throughput phases, before the file is \
         read back), one run each: {} warm-up lines, then {} lines from one thread timed \
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
         lines/s over the peer's.\n",
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
    let base = crate::targets::peer(d, URINGLOG).map(|p| p.lines_per_sec);
    let _ = writeln!(
        s,
        "| Logger | Lossless by config | M lines/s | MB/s | CPUs | Write syscalls | p50 ns | p99.9 ns | Peak RSS | Lines lost | Bytes/line | {URINGLOG} ÷ peer |"
    );
    let _ = writeln!(
        s,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for m in &d.peers {
        let (lossless, why) = lossless_by_config(&m.key);
        let lossless = format!("{}: {why}", if lossless { "yes" } else { "no" });
        let r = match &m.result {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(
                    s,
                    "| {} | {lossless} | not run: {} | — | — | — | — | — | — | — | — | — |",
                    m.key,
                    cell(e)
                );
                continue;
            }
        };
        let ratio = match base {
            Some(b) if r.lines_per_sec > 0.0 => format!("{:.2}x", b / r.lines_per_sec),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            s,
            "| {} | {lossless} | {:.2} | {:.0} | {:.2} | {} | {} | {} | {:.1} MiB | {} | {:.0} | {ratio} |",
            m.key,
            r.lines_per_sec / 1e6,
            r.mb_per_sec(),
            r.cpus_used(),
            thousands(r.write_syscalls),
            r.p50_ns,
            thousands(r.p999_ns),
            r.peak_rss_kib as f64 / 1024.0,
            thousands(r.lines_lost()),
            r.bytes_per_line
        );
    }
    let _ = writeln!(s);
    crate::crash_safe_ab::render(s, &d.crash_safe_ab);
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
