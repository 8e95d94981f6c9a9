//! Sections 1–5: the seed report's measurements.

use super::{bytes, cell, duration, mib, nanos, spread, timed_with, Charts};
use crate::backpressure::RING_RECORDS;
use crate::config::{EngineConfig, PolicyName, Route};
use crate::latency::{LatencyResult, TRACED_CALLS};
use crate::plan::{REPEATED_LATENCY_ROUTES, ROUTES};
use crate::rounds;
use crate::suite::ReportData;
use crate::targets::{latency_runs, over_runs, thousands, throughput as find};
use crate::threads::ThreadCase;
use crate::throughput::ThroughputResult;
use crate::workload::record_bytes;
use std::fmt::Write as _;

/// Section 1: async backends vs sync and the baseline, small and large
/// runs, then threads.
pub fn throughput(s: &mut String, d: &ReportData) {
    let z = &d.sizes;
    let _ = writeln!(s, "## 1. Throughput comparison\n");
    let _ = writeln!(
        s,
        "Time runs from the first `info!` call until `shutdown` has returned, i.e. every \
         record is in the file; \"calls returned\" is when the last call came back. Each \
         cell is the median of the repetitions (n in the heading), each with a fresh logger \
         and file after one warm-up repetition, with the lowest and highest in brackets. \
         Every line is counted by reading the file back. The speed-up is against {}, the \
         fair synchronous baseline; {} is the seed's kind of sync mode.\n",
        Route::MutexBufWriter,
        Route::Sync
    );
    for (count, reps) in [(z.small, z.reps_small), (z.large, large_runs(d))] {
        let _ = writeln!(
            s,
            "### {} `info!` calls, one thread (n={reps})\n",
            thousands(count)
        );
        let _ = writeln!(s, "| Mode | Backend used | Calls returned | Time | Throughput | Speedup vs {} | Lines in file |", Route::MutexBufWriter);
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---|");
        let base = find(d, Route::MutexBufWriter, count, 1).map(ThroughputResult::lines_per_sec);
        for m in d
            .throughput
            .iter()
            .filter(|m| m.key.count == count && m.key.threads == 1)
        {
            let r = match &m.result {
                Ok(r) => r,
                Err(e) => {
                    let _ = writeln!(
                        s,
                        "| {} | not run: {} | — | — | — | — | — |",
                        m.key.route,
                        cell(e)
                    );
                    continue;
                }
            };
            let speedup = match (m.key.route, base) {
                (Route::MutexBufWriter, _) => "1.0x (baseline)".to_owned(),
                (_, Some(b)) if b > 0.0 => format!("**{:.1}x**", r.lines_per_sec() / b),
                _ => "—".to_owned(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {speedup} | {} |",
                m.key.route,
                cell(&backends(r)),
                spread(r.calls_s(), r.calls_range(), duration),
                spread(r.end_to_end_s(), r.end_to_end_range(), duration),
                rate(r),
                lines(r)
            );
        }
        let _ = writeln!(s);
    }
    threads(s, d);
}

/// Lines/s with its spread.
fn rate(r: &ThroughputResult) -> String {
    spread(r.lines_per_sec(), r.rate_range(), |v| thousands(v as u64)) + " logs/s"
}

/// The backend of each repetition, once each when they agree.
fn backends(r: &ThroughputResult) -> String {
    let mut v: Vec<&str> = r.reps.iter().map(|x| x.backend.as_str()).collect();
    v.dedup();
    match v.as_slice() {
        [] => r.backend.clone(),
        [one] => (*one).to_owned(),
        many => many.join(" / "),
    }
}

fn lines(r: &ThroughputResult) -> String {
    let found = r.reps.iter().map(|x| x.file.found).min().unwrap_or(0);
    format!(
        "{} / {} (fewest of {})",
        thousands(found),
        thousands(r.count),
        r.reps.len()
    )
}

/// Timed runs of a large row: one per round, or (results from before
/// the rounds) the repetitions of its job.
fn large_runs(d: &ReportData) -> usize {
    match d.sizes.rounds_large {
        0 => d.sizes.reps_large,
        n => n,
    }
}

/// A row's lines/s against one thread's: the median of the per-round
/// ratios with the smallest and largest when the runs were interleaved
/// (see `rounds`), else the ratio of the medians.
fn scaling(r: &ThroughputResult, one: Option<&ThroughputResult>) -> String {
    let Some(one) = one else {
        return "—".to_owned();
    };
    let per_round = rounds::ratios(r, one);
    if per_round.is_empty() {
        return format!("{:.2}x", r.lines_per_sec() / one.lines_per_sec().max(1e-9));
    }
    let (mid, lo, hi) = crate::measure::spread(&per_round);
    if per_round.len() == 1 {
        return format!("{mid:.2}x");
    }
    format!("{mid:.2}x ({lo:.2}–{hi:.2})")
}

fn threads(s: &mut String, d: &ReportData) {
    let z = &d.sizes;
    let counts: Vec<String> = std::iter::once(1)
        .chain(z.threads.iter().copied())
        .map(|t| t.to_string())
        .collect();
    let _ = writeln!(
        s,
        "### {} calls in all from {} producer threads (n={})\n",
        thousands(z.large),
        and_list(&counts),
        large_runs(d)
    );
    if z.rounds_large > 0 {
        let _ = writeln!(
            s,
            "Run as {} interleaved round{}: a round runs every thread count of a mode once, \
             one after the other, each in a process of its own after a warm-up repetition, \
             the order rotating from round to round (1, 2, 4, then 2, 4, 1, …). \"vs 1 \
             thread\" is the median over rounds of the ratio to the one-thread run of the \
             same round, smallest and largest in brackets, so a machine whose speed drifts \
             during the report weighs on both sides of each ratio alike.\n",
            z.rounds_large,
            if z.rounds_large == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        s,
        "| Mode | Threads | Time | Throughput | vs 1 thread | Lines in file |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
    for route in ROUTES {
        let one = find(d, route, z.large, 1);
        for m in d
            .throughput
            .iter()
            .filter(|m| m.key.count == z.large && m.key.route == route)
        {
            let t = m.key.threads;
            let Ok(r) = &m.result else {
                let _ = writeln!(s, "| {route} | {t} | not run | — | — | — |");
                continue;
            };
            let scale = scaling(r, one);
            let e2e = spread(r.end_to_end_s(), r.end_to_end_range(), duration);
            let _ = writeln!(
                s,
                "| {route} | {t} | {e2e} | {} | {scale} | {} |",
                rate(r),
                lines(r)
            );
        }
    }
    let _ = writeln!(s);
}

/// `a, b and c`.
pub fn and_list(v: &[String]) -> String {
    match v {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Section 2: caller-side latency at a controlled rate, and the first calls.
pub fn latency(s: &mut String, d: &ReportData, charts: &Charts) {
    let z = &d.sizes;
    let _ = writeln!(s, "## 2. Latency\n");
    let _ = writeln!(s, "### Caller-side: time spent in the log call\n");
    let _ = writeln!(
        s,
        "What a caller waits for, not when its line reaches the file (delivery, log call to \
         line in the file, is measured separately and, where this run measured it, shown \
         after this part). Each call timed on the caller's side with {}: {} \
         bursts of {} calls, {} ms pause after each so the writer drains and the ring never \
         fills. One run per mode, a fresh process each: percentiles are over its calls, not \
         over repetitions. Every figure includes one timer pair, whose cost is the row \
         \"Timing overhead (empty call)\" (the same pair around nothing). The first call of \
         each burst (after the pause, its caches cold) is {:.2} % of the calls, so the \
         percentiles from there up are mostly that call: it and the rest of a burst are \
         also shown apart.\n",
        timed_with(
            d.latency
                .iter()
                .filter_map(|m| m.result.as_ref().ok().map(|r| r.timer))
        ),
        z.bursts,
        thousands(z.burst_len as u64),
        z.pause_us as f64 / 1e3,
        100.0 / z.burst_len.max(1) as f64
    );
    let ran: Vec<(Route, &LatencyResult)> = d
        .latency
        .iter()
        .filter_map(|m| m.result.as_ref().ok().map(|r| (m.key, r)))
        .collect();
    let _ = write!(s, "| Metric |");
    for (route, _) in &ran {
        let _ = write!(s, " {route} |");
    }
    let _ = writeln!(s, "\n|---|{}", "---:|".repeat(ran.len()));
    type Row = (&'static str, fn(&LatencyResult) -> String);
    let rows: [Row; 14] = [
        ("Avg enqueue latency", |r| nanos(r.summary.mean_ns)),
        ("Steady-state latency (mean after the first burst)", |r| {
            nanos(r.steady_mean_ns)
        }),
        ("First call (fresh process)", |r| {
            nanos(r.first_calls_ns.first().copied().unwrap_or(0) as f64)
        }),
        ("p50", |r| nanos(r.summary.p50_ns as f64)),
        ("p90", |r| nanos(r.summary.p90_ns as f64)),
        ("p99", |r| nanos(r.summary.p99_ns as f64)),
        ("p99.9", |r| nanos(r.summary.p999_ns as f64)),
        ("p99.99", |r| nanos(r.summary.p9999_ns as f64)),
        ("max", |r| nanos(r.summary.max_ns as f64)),
        ("First call of each burst (after the pause): p50", |r| {
            nanos(r.after_pause.p50_ns as f64)
        }),
        ("First call of each burst (after the pause): p99", |r| {
            nanos(r.after_pause.p99_ns as f64)
        }),
        ("Calls within a burst (all but the first): p99.9", |r| {
            nanos(r.in_burst.p999_ns as f64)
        }),
        ("Timing overhead (empty call)", |r| {
            nanos(r.overhead_ns as f64)
        }),
        ("Calls measured", |r| thousands(r.summary.calls)),
    ];
    for (name, f) in rows {
        let _ = write!(s, "| {name} |");
        for (_, r) in &ran {
            let _ = write!(s, " {} |", f(r));
        }
        let _ = writeln!(s);
    }
    for m in &d.latency {
        if let Err(e) = &m.result {
            let _ = writeln!(s, "\n{}: not run: {}", m.key, cell(e));
        }
    }
    repeats(s, d);
    trace(s, &ran);
    match &charts.latency {
        Some(p) => {
            let _ = writeln!(s, "\n![Latency histogram]({p})\n");
        }
        None => {
            let _ = writeln!(s);
        }
    }
}

/// The async modes over their runs in fresh processes (the table's and
/// the repeats): median and range of each figure.
fn repeats(s: &mut String, d: &ReportData) {
    if d.latency_repeats.is_empty() {
        return;
    }
    let runs: Vec<(Route, Vec<&LatencyResult>)> = REPEATED_LATENCY_ROUTES
        .iter()
        .map(|&route| (route, latency_runs(d, route)))
        .collect();
    let _ = writeln!(
        s,
        "\n### The async modes in {} fresh processes each\n\n\
         A run's p99.9 rests on its {} first calls after a pause, and how slow those are \
         depends on the CPU the process runs on and on what the machine does meanwhile, for \
         the whole process: so each async mode ran {} times, each in a fresh process (the \
         table above is the first run; the others ran after it, mode by mode in turn). Median \
         over the runs, smallest and largest in brackets.\n",
        d.sizes.latency_runs, d.sizes.bursts, d.sizes.latency_runs
    );
    let _ = write!(s, "| Metric |");
    for (route, r) in &runs {
        let _ = write!(s, " {route} ({} runs) |", r.len());
    }
    let _ = writeln!(s, "\n|---|{}", "---:|".repeat(runs.len()));
    type Row = (&'static str, fn(&LatencyResult) -> u64);
    let rows: [Row; 6] = [
        ("p50", |r| r.summary.p50_ns),
        ("p99", |r| r.summary.p99_ns),
        ("p99.9", |r| r.summary.p999_ns),
        ("First call of each burst (after the pause): p50", |r| {
            r.after_pause.p50_ns
        }),
        ("Calls within a burst (all but the first): p99.9", |r| {
            r.in_burst.p999_ns
        }),
        ("Timing overhead (empty call)", |r| r.overhead_ns),
    ];
    for (name, f) in rows {
        let _ = write!(s, "| {name} |");
        for (_, r) in &runs {
            let cell = match over_runs(r, f) {
                Some(x) => spread(x.median, (x.min as f64, x.max as f64), nanos),
                None => "—".to_owned(),
            };
            let _ = write!(s, " {cell} |");
        }
        let _ = writeln!(s);
    }
    for m in &d.latency_repeats {
        if let Err(e) = &m.result {
            let _ = writeln!(s, "\n{}: not run: {}", m.key, cell(e));
        }
    }
}

fn trace(s: &mut String, ran: &[(Route, &LatencyResult)]) {
    let _ = writeln!(
        s,
        "\n### Trace of the first {TRACED_CALLS} calls (caller-side)\n\n```"
    );
    for (route, r) in ran {
        let _ = writeln!(s, "{route}:");
        for (i, ns) in r.first_calls_ns.iter().enumerate() {
            let note = if i == 0 {
                " (warmup: registers this thread's producer)"
            } else {
                ""
            };
            let _ = writeln!(s, "Call {i}: enqueue_time={}{note}", nanos(*ns as f64));
        }
    }
    let _ = writeln!(s, "```");
}

/// Section 3: peak RSS per process, the engine's own buffers, and memory
/// per thread by policy.
pub fn memory(s: &mut String, d: &ReportData) {
    let z = &d.sizes;
    let cfg = EngineConfig::default_with(Route::AsyncIoUring);
    let _ = writeln!(s, "## 3. Memory\n");
    let _ = writeln!(
        s,
        "Peak RSS of the child process that ran {} calls, while it logged: `VmHWM`, started \
         anew before each timed repetition (freed heap memory handed back first) and read \
         at its shutdown, before the harness reads the file back to check it; the highest \
         of its repetitions. The idle process is the same executable doing nothing. \
         (`getrusage` is not used: its peak includes the memory a process replaced at \
         `exec`, for a child the parent's.) \"Engine buffers\" is what the configuration bounds: one ring of {} \
         per producer, plus batch buffers of {} each (`batch_bytes` + {}): the one being \
         filled and those in flight — one for pwrite, `io_depth` = {} for io_uring (and for \
         `Auto` while it measures); sync mode has no ring and one batch buffer. On top, each \
         producer keeps two scratch buffers that grow only to the largest message formatted \
         in the caller (the deferred fast path uses none): up to {} per producer.\n",
        thousands(z.large),
        bytes(cfg.ring_capacity as u64),
        bytes((cfg.batch_bytes + crate::config::BATCH_SLACK_BYTES) as u64),
        bytes(crate::config::BATCH_SLACK_BYTES as u64),
        crate::config::DEFAULT_IO_DEPTH,
        bytes(cfg.buffer_bytes(1).scratch_max),
    );
    let _ = writeln!(
        s,
        "\"The harness alone\" runs the one-producer job of {} calls with nothing logged: the \
         same warming, threads and files, each call's arguments made and dropped. It is the \
         memory of the measuring program's own code and data, which every row below holds \
         too; \"above the harness alone\" is the rest (one-producer rows).\n",
        thousands(z.large)
    );
    let _ = writeln!(s, "| Mode | Threads | Peak RSS (process) | Above an idle process | Above the harness alone | Engine buffers (configuration) | + scratch, at most |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    let idle = d.idle_rss_kib.as_ref().ok().copied();
    let harness = d.harness_rss_kib.as_ref().ok().copied();
    // A baseline's row: its peak and, for the harness, how far above idle.
    let baseline = |name: &str, r: &Result<u64, String>, from: Option<u64>| match r {
        Ok(k) => {
            let above = from.map_or("—".to_owned(), |i| mib(k.saturating_sub(i)));
            format!("| {name} | — | {} | {above} | — | — | — |", mib(*k))
        }
        Err(e) => format!("| {name} | — | not run: {} | — | — | — | — |", cell(e)),
    };
    let _ = writeln!(
        s,
        "{}",
        baseline("idle process (no logger)", &d.idle_rss_kib, None)
    );
    let harness_row = baseline(
        "the harness alone (nothing logged)",
        &d.harness_rss_kib,
        idle,
    );
    let _ = writeln!(s, "{harness_row}");
    let max_t = z.threads.iter().copied().max().unwrap_or(1);
    for route in ROUTES {
        for t in [1, max_t] {
            let Some(r) = find(d, route, z.large, t) else {
                let _ = writeln!(s, "| {route} | {t} | not run | — | — | — | — |");
                continue;
            };
            let above = |b: Option<u64>| {
                b.map_or("—".to_owned(), |i| mib(r.peak_rss_kib.saturating_sub(i)))
            };
            let above_harness = if t == 1 {
                above(harness)
            } else {
                "—".to_owned()
            };
            let buf = EngineConfig::default_with(route).buffer_bytes(t);
            let _ = writeln!(
                s,
                "| {route} | {t} | {} | {} | {above_harness} | {} | {} |",
                mib(r.peak_rss_kib),
                above(idle),
                bytes(buf.fixed()),
                bytes(buf.scratch_max)
            );
        }
    }
    let _ = writeln!(s);
    per_thread(s, d);
}

/// Memory per thread and per policy, and thread churn.
fn per_thread(s: &mut String, d: &ReportData) {
    if d.threads.is_empty() {
        return;
    }
    let n = d.sizes.memory_threads;
    let ring = bytes(crate::config::DEFAULT_RING_CAPACITY as u64);
    let _ = writeln!(s, "### Memory per thread, by policy\n");
    let _ = writeln!(
        s,
        "{} threads each log one record and stay alive; resident memory (`/proc/self/statm`) \
         is read before they start and once the writer holds every ring: the difference over \
         {} is one thread's cost. Then {} threads, one after another, spawn, log once and \
         exit (churn). Rings of {ring}, async, engine defaults otherwise. Which memory is \
         touched when: `Block` and `DropNewest` use the lossless ring, which by default \
         (`Prefault::Ring`) is mapped in full when the thread registers, so no later call \
         takes a page fault (each thread that logs costs its whole ring); `Prefault::Lazy` \
         maps it as records reach it; `DropOldest`'s ring is always mapped as records reach \
         it. One run per row.\n",
        thousands(n as u64),
        thousands(n as u64),
        thousands(n as u64)
    );
    let _ = writeln!(
        s,
        "| Case | Resident per thread | Above the control | Churn per thread | Written / dropped |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|");
    let control = d
        .threads
        .iter()
        .find(|m| m.key == ThreadCase::Control)
        .and_then(|m| m.result.as_ref().ok())
        .map(|r| r.kib_per_thread());
    for m in &d.threads {
        let Ok(r) = &m.result else {
            let e = m.result.as_ref().err().map_or(String::new(), |e| cell(e));
            let _ = writeln!(s, "| {} | not run: {e} | — | — | — |", m.key);
            continue;
        };
        let k = r.kib_per_thread();
        let above = match (m.key, control) {
            (ThreadCase::Control, _) | (_, None) => "—".to_owned(),
            (_, Some(c)) => format!("{:.1} KiB", k - c),
        };
        let _ = writeln!(
            s,
            "| {} | {k:.1} KiB | {above} | {} | {} / {} |",
            m.key,
            nanos(r.churn_ns_per_thread),
            thousands(r.counts.written),
            thousands(r.counts.dropped)
        );
    }
    let _ = writeln!(s);
}

/// Section 4: throughput by records per batch.
pub fn batch(s: &mut String, d: &ReportData) {
    let _ = writeln!(s, "## 4. Batch size sweep\n");
    let _ = writeln!(
        s,
        "{} calls, one thread, async with `Backend::Auto`, engine defaults but `batch_size`; \
         a batch also closes at `batch_bytes` ({}) or when the rings run dry. Median of {} \
         repetitions, lowest and highest in brackets; writes are the engine's `io_submits` of \
         the last repetition; \"Auto\" is what `Backend::Auto` ended up with in each \
         repetition (\"measuring\": it had not decided when the run ended).\n",
        thousands(d.sizes.large),
        bytes(crate::config::DEFAULT_BATCH_BYTES as u64),
        d.sizes.reps_large
    );
    let best = d
        .batch
        .iter()
        .filter_map(|m| m.result.as_ref().ok().map(|r| (m.key, r.lines_per_sec())))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k);
    let _ = writeln!(
        s,
        "| Batch Size | Time | Throughput | Writes | Auto | Notes |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---|---|");
    for m in &d.batch {
        let b = m.key;
        let Ok(r) = &m.result else {
            let _ = writeln!(s, "| {b} | not run | — | — | — | — |");
            continue;
        };
        let mut notes = Vec::new();
        if Some(b) == best {
            notes.push("🏆 Best");
        }
        if b == crate::config::DEFAULT_BATCH_SIZE {
            notes.push("engine default");
        }
        let writes = r.reps.last().map_or(0, |x| x.counts.io_submits);
        let t = spread(r.end_to_end_s(), r.end_to_end_range(), duration);
        let bold = if Some(b) == best { "**" } else { "" };
        let _ = writeln!(
            s,
            "| {bold}{b}{bold} | {t} | {bold}{}{bold} | {} | {} | {} |",
            rate(r),
            thousands(writes),
            auto_kinds(r),
            notes.join(", ")
        );
    }
    let _ = writeln!(s);
}

/// The backend `Auto` ended with in each repetition, by name.
fn auto_kinds(r: &ThroughputResult) -> String {
    let names: Vec<&str> = r
        .reps
        .iter()
        .map(|x| match x.backend.split(':').next().unwrap_or("") {
            "auto" => "measuring",
            other => other,
        })
        .collect();
    names.join(", ")
}

/// Records of `rec` framed bytes the `DropOldest` ring of `cap` bytes holds
/// (the engine's documented geometry: `cap / 64` slots, a record takes
/// `ceil((16 + rec) / 56)` of them).
fn drop_oldest_records(cap: usize, rec: usize) -> usize {
    (cap / 64) / (16 + rec).div_ceil(56)
}

/// Section 5: the three policies with a ring of about 100 records.
pub fn backpressure(s: &mut String, d: &ReportData) {
    let calls = d.sizes.backpressure_calls;
    let rec = record_bytes(calls);
    let cap = RING_RECORDS * rec;
    let _ = writeln!(s, "## 5. Backpressure policies\n");
    let _ = writeln!(
        s,
        "A ring of {cap} bytes: room for ~{RING_RECORDS} records of {rec} bytes. {calls} calls \
         back to back from one thread, async (`Backend::Auto`), engine defaults otherwise. \
         DROP_OLDEST's ring is made of 64-byte slots (56 bytes of payload, a record's first \
         slot spending 16 on the ring's header), so the same bytes hold about {} of these \
         records.\n",
        drop_oldest_records(cap, rec)
    );
    let _ = writeln!(s, "| Policy | Behavior | Enqueued | Written | Dropped | Lines in file | written + dropped = enqueued |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---|");
    for m in &d.backpressure {
        let what = match m.key {
            PolicyName::Block => "waits when the ring is full",
            PolicyName::DropOldest => "discards the oldest unwritten records",
            PolicyName::DropNewest => "skips new records when full",
        };
        let Ok(r) = &m.result else {
            let e = m.result.as_ref().err().map_or(String::new(), |e| cell(e));
            let _ = writeln!(s, "| {} | {what} | not run: {e} | — | — | — | — |", m.key);
            continue;
        };
        let c = &r.counts;
        let pct = |x: u64| {
            format!(
                "{} ({:.1}%)",
                thousands(x),
                100.0 * x as f64 / calls.max(1) as f64
            )
        };
        let ok = if c.balanced() { "✅" } else { "❌" };
        let _ = writeln!(
            s,
            "| {} | {what} | {} / {} | {} | {} | {} | {ok} |",
            m.key,
            thousands(c.enqueued),
            thousands(calls),
            pct(c.written),
            pct(c.dropped),
            thousands(r.file.lines)
        );
    }
    let _ = writeln!(s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throughput::Rep;
    use crate::verify::FileCheck;

    /// A result whose repetitions each wrote 1,000 lines in `secs[i]`,
    /// in round `rounds[i]`.
    fn result(secs: &[f64], rounds: &[Option<usize>]) -> ThroughputResult {
        let reps = secs
            .iter()
            .zip(rounds)
            .map(|(&s, &round)| Rep {
                end_to_end_s: s,
                file: FileCheck {
                    found: 1_000,
                    ..FileCheck::default()
                },
                round,
                ..Rep::default()
            })
            .collect();
        ThroughputResult {
            count: 1_000,
            reps,
            ..ThroughputResult::default()
        }
    }

    #[test]
    fn scaling_is_the_median_of_per_round_ratios_with_their_range() {
        let r = |v: &[usize]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        // Per round: 1.0 / 1.0, 4.0 / 1.0, 1.0 / 2.0 -> ratios 1, 4, 0.5.
        let one = result(&[1.0, 4.0, 1.0], &r(&[0, 1, 2]));
        let two = result(&[1.0, 1.0, 2.0], &r(&[0, 1, 2]));
        assert_eq!(scaling(&two, Some(&one)), "1.00x (0.50–4.00)");
        // The ratio of the medians would have said 1.00x too, but from
        // 1.0 s against 1.0 s of different rounds; one round: no range.
        let (one1, two1) = (result(&[2.0], &r(&[0])), result(&[1.0], &r(&[0])));
        assert_eq!(scaling(&two1, Some(&one1)), "2.00x");
        // Runs of jobs of their own (no rounds): the ratio of the medians.
        let (a, b) = (
            result(&[2.0, 2.0], &[None, None]),
            result(&[1.0, 3.0], &[None, None]),
        );
        assert_eq!(scaling(&b, Some(&a)), "1.00x");
        assert_eq!(scaling(&b, None), "—");
    }
}
