//! End-to-end lines/s for the text line vs JSON lines, with and without
//! structured fields, and fan-out to two file sinks (same format: formatted
//! once and copied; different formats: formatted twice).
//!
//! `cargo run --release -p uringlog-sinks --example formats_bench [lines] [case filter]`
//!
//! One producer thread, `Policy::Block`, files in a temporary directory,
//! timed from the first call to the end of shutdown (everything written).
//! Each case runs once to warm up; then five rounds run every case in turn
//! (so a noisy neighbour hurts all cases alike) and the best run is shown.

use std::time::{Duration, Instant};
use uringlog::{Format, Logger, SinkOptions};
use uringlog_sinks::FileSink;

#[derive(Clone, Copy)]
enum Call {
    Plain,
    Fields,
}

struct Case {
    name: &'static str,
    formats: &'static [Format],
    call: Call,
}

const CASES: &[Case] = &[
    Case {
        name: "text, 1 sink",
        formats: &[Format::text()],
        call: Call::Plain,
    },
    Case {
        name: "json, 1 sink",
        formats: &[Format::json()],
        call: Call::Plain,
    },
    Case {
        name: "text + 2 fields, 1 sink",
        formats: &[Format::text()],
        call: Call::Fields,
    },
    Case {
        name: "json + 2 fields, 1 sink",
        formats: &[Format::json()],
        call: Call::Fields,
    },
    Case {
        name: "text, 2 sinks (same format)",
        formats: &[Format::text(), Format::text()],
        call: Call::Plain,
    },
    Case {
        name: "text + json, 2 sinks",
        formats: &[Format::text(), Format::json()],
        call: Call::Plain,
    },
];

/// Seconds to log `lines` records through `case` and shut down; bytes written.
fn run(case: &Case, lines: u64) -> (f64, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut b = Logger::builder();
    for (i, f) in case.formats.iter().enumerate() {
        let sink = FileSink::new(dir.path().join(format!("{i}.log"))).expect("open");
        b = b.sink_with(sink, SinkOptions::new().format(*f));
    }
    let (logger, guard) = b.build().expect("build");
    let mut p = logger.producer();
    let t = Instant::now();
    for i in 0..lines {
        match case.call {
            Call::Plain => uringlog::info!(
                p,
                "request id={} user={} path={}",
                i,
                "alice",
                "/api/v1/items"
            ),
            Call::Fields => {
                uringlog::info!(p, id = i, user = "alice"; "request path={}", "/api/v1/items")
            }
        }
    }
    drop(p);
    let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!((s.written, s.dropped), (lines, 0));
    (secs, s.bytes_written)
}

fn main() {
    let lines: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let cases: Vec<&Case> = CASES.iter().filter(|c| c.name.contains(&filter)).collect();
    println!("{lines} lines per run, best of 5 rounds after a warm-up\n");
    for case in &cases {
        run(case, lines / 4);
    }
    let mut best = vec![(f64::MAX, 0u64); cases.len()];
    for _ in 0..5 {
        for (i, case) in cases.iter().enumerate() {
            let r = run(case, lines);
            if r.0 < best[i].0 {
                best[i] = r;
            }
        }
    }
    println!("| case | M lines/s | bytes/line (all sinks) | vs text, 1 sink |");
    println!("|---|---|---|---|");
    let base = lines as f64 / best[0].0;
    for (case, (secs, bytes)) in cases.iter().zip(best) {
        let rate = lines as f64 / secs;
        println!(
            "| {} | {:.2} | {:.0} | {:.2}x |",
            case.name,
            rate / 1e6,
            bytes as f64 / lines as f64,
            rate / base
        );
    }
}
