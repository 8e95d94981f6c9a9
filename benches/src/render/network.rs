//! Section 10: the syslog sink against rsyslogd's own intake, beside the
//! file sink, and the caller's latency with the receiver down.

use super::{cell, nanos};
use crate::network::NetworkResult;
use crate::suite::ReportData;
use crate::targets::thousands;
use std::fmt::Write as _;

/// Section 10.
pub fn section(s: &mut String, d: &ReportData) {
    of(s, &d.network);
}

/// Section 10 from its result alone.
pub fn of(s: &mut String, r: &Result<NetworkResult, String>) {
    let _ = writeln!(s, "## 10. Network sinks (syslog)\n");
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(s, "Not run: {}\n", cell(e));
            return;
        }
    };
    let _ = writeln!(
        s,
        "One producer, {} records per run, RFC 5424 to a local rsyslogd ({}) whose ruleset \
         writes each message to a file before it reads the next (TCP) or acknowledges it \
         (RELP). Rates are end to end — until the receiver's file holds every record — as the \
         median of {} interleaved rounds, with the slowest and fastest round and the spread \
         (max − min) / median as the noise of this shared machine. The ceiling is rsyslogd's \
         own intake: the same messages, pre-framed, written by a plain blocking socket.\n",
        thousands(r.records),
        cell(&r.rsyslogd),
        r.rates.raw_blast.len()
    );
    let (ceiling, _, _) = NetworkResult::summary(&r.rates.raw_blast);
    let _ = writeln!(
        s,
        "| way | records/s (median) | slowest – fastest | noise | vs the ceiling |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    let rows = [
        (
            "raw pre-framed TCP blast (rsyslogd's intake)",
            &r.rates.raw_blast,
        ),
        ("`SyslogSink::tcp` (octet counting)", &r.rates.tcp),
        ("`SyslogSink::relp` (acknowledged)", &r.rates.relp),
        ("`FileSink` (same run, for scale)", &r.rates.file),
    ];
    for (name, v) in rows {
        let (m, lo, hi) = NetworkResult::summary(v);
        let _ = writeln!(
            s,
            "| {name} | {} | {} – {} | {:.0}% | {:.2}x |",
            thousands(m as u64),
            thousands(lo as u64),
            thousands(hi as u64),
            100.0 * (hi - lo) / m.max(1e-9),
            m / ceiling.max(1e-9)
        );
    }
    latency(s, r);
}

fn latency(s: &mut String, r: &NetworkResult) {
    let _ = writeln!(
        s,
        "\nCaller-side latency per call (bursts, `DropNewest`): with nobody listening the \
         sink buffers, backs off and drops what does not fit; the caller never waits on the \
         network. Each call timed with {}; every figure includes one timer pair, {} around \
         an empty call.\n",
        r.timer,
        nanos(r.timing_overhead_ns as f64)
    );
    let _ = writeln!(s, "| sink | p50 | p99 | p99.9 | max |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for (name, l) in &r.latency {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} |",
            nanos(l.p50_ns as f64),
            nanos(l.p99_ns as f64),
            nanos(l.p999_ns as f64),
            nanos(l.max_ns as f64)
        );
    }
    let _ = writeln!(s, "\n| run | enqueued | written | dropped | errors |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for (name, c) in &r.counts {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} |",
            thousands(c.enqueued),
            thousands(c.written),
            thousands(c.dropped),
            c.errors
        );
    }
    let _ = writeln!(s);
}
