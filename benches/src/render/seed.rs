//! Sections 1–5: the seed report's measurements.

use super::{bytes, cell, duration, mib, nanos, Charts};
use crate::backpressure::RING_RECORDS;
use crate::config::{EngineConfig, PolicyName, Route};
use crate::latency::LatencyResult;
use crate::plan::ROUTES;
use crate::suite::ReportData;
use crate::targets::{thousands, throughput as find};
use crate::throughput::ThroughputResult;
use crate::workload::record_bytes;
use std::fmt::Write as _;

/// Section 1: async backends vs sync, small and large runs, then threads.
pub fn throughput(s: &mut String, d: &ReportData) {
    let z = &d.sizes;
    let _ = writeln!(s, "## 1. Throughput comparison\n");
    let _ = writeln!(
        s,
        "Time runs from the first `info!` call until `shutdown` has returned, i.e. every \
         record is in the file; \"calls returned\" is when the last call came back. \
         Median of {} (small) / {} (large) repetitions, each with a fresh logger and file, \
         after one warm-up repetition. Every line is counted by reading the file back.\n",
        z.reps_small, z.reps_large
    );
    for count in [z.small, z.large] {
        let _ = writeln!(s, "### {} `info!` calls, one thread\n", thousands(count));
        let _ = writeln!(s, "| Mode | Backend used | Calls returned | Time | Throughput | Speedup | Lines in file |");
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
        let sync = find(d, Route::Sync, count, 1).map(ThroughputResult::lines_per_sec);
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
            let speedup = match (m.key.route, sync) {
                (Route::Sync, _) => "1.0x (baseline)".to_owned(),
                (_, Some(b)) if b > 0.0 => format!("**{:.1}x**", r.lines_per_sec() / b),
                _ => "—".to_owned(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} logs/s | {speedup} | {} |",
                m.key.route,
                cell(&r.backend),
                duration(r.calls_s()),
                duration(r.end_to_end_s()),
                thousands(r.lines_per_sec() as u64),
                lines(r)
            );
        }
        let _ = writeln!(s);
    }
    threads(s, d);
}

fn lines(r: &ThroughputResult) -> String {
    let found = r.reps.iter().map(|x| x.file.found).min().unwrap_or(0);
    format!("{} / {}", thousands(found), thousands(r.count))
}

fn threads(s: &mut String, d: &ReportData) {
    let z = &d.sizes;
    let _ = writeln!(
        s,
        "### {} calls in all from 1, 2 and 4 producer threads\n",
        thousands(z.large)
    );
    let _ = writeln!(
        s,
        "| Mode | Threads | Time | Throughput | vs 1 thread | Lines in file |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    for route in ROUTES {
        let one = find(d, route, z.large, 1).map(ThroughputResult::lines_per_sec);
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
            let scale = one.map_or("—".to_owned(), |o| {
                format!("{:.2}x", r.lines_per_sec() / o.max(1e-9))
            });
            let rate = thousands(r.lines_per_sec() as u64);
            let e2e = duration(r.end_to_end_s());
            let _ = writeln!(
                s,
                "| {route} | {t} | {e2e} | {rate} logs/s | {scale} | {} |",
                lines(r)
            );
        }
    }
    let _ = writeln!(s);
}

/// Section 2: caller-side latency at a controlled rate, and the first calls.
pub fn latency(s: &mut String, d: &ReportData, charts: &Charts) {
    let z = &d.sizes;
    let _ = writeln!(s, "## 2. Latency\n");
    let _ = writeln!(
        s,
        "Each call timed on the caller's side with `Instant::now()`: {} bursts of {} calls, \
         {} ms pause after each so the writer drains and the ring never fills. A fresh \
         process per mode. Figures include the timing overhead shown.\n",
        z.bursts,
        thousands(z.burst_len as u64),
        z.pause_us as f64 / 1e3
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
    let rows: [Row; 11] = [
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

fn trace(s: &mut String, ran: &[(Route, &LatencyResult)]) {
    let _ = writeln!(s, "\n### Trace of the first 10 calls\n\n```");
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

/// Section 3: peak RSS per process, and the engine's own buffers.
pub fn memory(s: &mut String, d: &ReportData) {
    let z = &d.sizes;
    let _ = writeln!(s, "## 3. Memory\n");
    let _ = writeln!(
        s,
        "Peak RSS (`getrusage`) of the child process that ran {} calls; \"engine buffers\" \
         is what the configuration bounds: one ring per producer plus, per sink, the batch \
         being filled and the one being written ((batch_bytes + 1 KiB) each; sync mode: \
         no ring, one batch buffer).\n",
        thousands(z.large)
    );
    let _ = writeln!(s, "| Mode | Threads | Peak RSS (process) | Above an idle process | Engine buffers (configuration) |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    let idle = d.idle_rss_kib.as_ref().ok().copied();
    match &d.idle_rss_kib {
        Ok(k) => {
            let _ = writeln!(s, "| idle process (no logger) | — | {} | — | — |", mib(*k));
        }
        Err(e) => {
            let _ = writeln!(
                s,
                "| idle process (no logger) | — | not run: {} | — | — |",
                cell(e)
            );
        }
    }
    let max_t = z.threads.iter().copied().max().unwrap_or(1);
    for route in ROUTES {
        for t in [1, max_t] {
            let Some(r) = find(d, route, z.large, t) else {
                let _ = writeln!(s, "| {route} | {t} | not run | — | — |");
                continue;
            };
            let above = idle.map_or("—".to_owned(), |i| mib(r.peak_rss_kib.saturating_sub(i)));
            let buf = bytes(EngineConfig::default_with(route).buffer_bytes(t));
            let _ = writeln!(
                s,
                "| {route} | {t} | {} | {above} | {buf} |",
                mib(r.peak_rss_kib)
            );
        }
    }
    let _ = writeln!(s);
}

/// Section 4: throughput by records per batch.
pub fn batch(s: &mut String, d: &ReportData) {
    let _ = writeln!(s, "## 4. Batch size sweep\n");
    let backend = d
        .batch
        .iter()
        .find_map(|m| m.result.as_ref().ok())
        .map_or("—".to_owned(), |r| cell(&r.backend));
    let _ = writeln!(
        s,
        "{} calls, one thread, async with `Backend::Auto` ({backend}), engine defaults but \
         `batch_size`; a batch also closes at `batch_bytes` (256 KiB) or when the rings run dry.\n",
        thousands(d.sizes.large)
    );
    let best = d
        .batch
        .iter()
        .filter_map(|m| m.result.as_ref().ok().map(|r| (m.key, r.lines_per_sec())))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k);
    let _ = writeln!(s, "| Batch Size | Time | Throughput | Writes | Notes |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---|");
    for m in &d.batch {
        let b = m.key;
        let Ok(r) = &m.result else {
            let _ = writeln!(s, "| {b} | not run | — | — | — |");
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
        let (t, rate) = (
            duration(r.end_to_end_s()),
            thousands(r.lines_per_sec() as u64),
        );
        let bold = if Some(b) == best { "**" } else { "" };
        let _ = writeln!(
            s,
            "| {bold}{b}{bold} | {t} | {bold}{rate} logs/s{bold} | {} | {} |",
            thousands(writes),
            notes.join(", ")
        );
    }
    let _ = writeln!(s);
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
