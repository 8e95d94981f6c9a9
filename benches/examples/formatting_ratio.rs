//! Same-run ratios of the ways a message can be formatted, end to end.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example formatting_ratio -- [LINES] [ROUNDS] [THREADS]
//! ```
//!
//! Each round runs, in turn, the same workload (the harness's four-argument
//! line, `LINES` calls split over `THREADS` producers, `FileSink` in a temp
//! directory, pwrite, `Block`) through:
//! - `deferred`: the macros, arguments in binary, the writer formats;
//! - `preformatted`: `Logger::log` with `format_args!` (the caller runs
//!   `core::fmt`, the path every call took before deferred records);
//! - `caller`: the macros on a logger with `Formatting::Caller`.
//!
//! Rounds interleave the paths so machine load hits them alike; the output
//! is each path's median end-to-end and caller-side rate and its ratio to
//! `preformatted`. Every file is checked for its line count.

use std::path::Path;
use std::time::{Duration, Instant};
use uringlog::{Backend, Formatting, Level, Logger};
use uringlog_bench::measure::{median, warm_page_cache};
use uringlog_bench::workload::{args, log_line, PATH_THROUGHPUT, TARGET};
use uringlog_sinks::FileSink;

const PATHS: [&str; 3] = ["deferred", "preformatted", "caller"];

/// One run: (end-to-end lines/s, caller-side lines/s).
fn run(path: &str, dir: &Path, lines: u64, threads: u64) -> (f64, f64) {
    let file = dir.join(format!("{path}.log"));
    let _ = std::fs::remove_file(&file);
    let formatting = match path {
        "caller" => Formatting::Caller,
        _ => Formatting::Deferred,
    };
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&file).expect("file sink"))
        .backend(Backend::Pwrite)
        .formatting(formatting)
        .build()
        .expect("logger");
    let per = lines / threads;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let logger = logger.clone();
            s.spawn(move || {
                for id in t * per..(t + 1) * per {
                    if path == "preformatted" {
                        let (user, status) = args(id);
                        logger.log(
                            Level::Info,
                            TARGET,
                            format_args!(
                                "request id={} user={} path={} status={}",
                                id, user, PATH_THROUGHPUT, status
                            ),
                        );
                    } else {
                        log_line(&logger, id, PATH_THROUGHPUT);
                    }
                }
            });
        }
    });
    let calls = start.elapsed();
    let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
    let all = start.elapsed();
    assert_eq!((s.written, s.dropped), (per * threads, 0), "{path}");
    let text = std::fs::read(&file).expect("read back");
    let n = text.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(n, per * threads, "{path}: lines in the file");
    let _ = std::fs::remove_file(&file);
    let total = (per * threads) as f64;
    (total / all.as_secs_f64(), total / calls.as_secs_f64())
}

fn main() {
    let mut a = std::env::args().skip(1);
    let lines: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let threads: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let dir = tempfile::tempdir().expect("temp dir");
    warm_page_cache(dir.path(), lines * 110).expect("warm page cache");
    // One untimed round first.
    for p in PATHS {
        run(p, dir.path(), lines / 4, threads);
    }
    let mut e2e = vec![Vec::new(); PATHS.len()];
    let mut call = vec![Vec::new(); PATHS.len()];
    for _ in 0..rounds {
        for (i, p) in PATHS.iter().enumerate() {
            let (e, c) = run(p, dir.path(), lines, threads);
            e2e[i].push(e / 1e6);
            call[i].push(c / 1e6);
        }
    }
    let base_e = median(&e2e[1]);
    let base_c = median(&call[1]);
    println!(
        "{lines} lines, {threads} producer(s), {rounds} interleaved rounds, medians (min..max)"
    );
    println!("| path | end to end M lines/s | vs preformatted | caller-side M calls/s | vs preformatted |");
    println!("|---|---|---|---|---|");
    for (i, p) in PATHS.iter().enumerate() {
        let (e, c) = (median(&e2e[i]), median(&call[i]));
        let range = |v: &[f64]| {
            let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = v.iter().cloned().fold(0.0, f64::max);
            format!("{lo:.2}..{hi:.2}")
        };
        println!(
            "| {p} | {e:.2} ({}) | {:.2}x | {c:.2} ({}) | {:.2}x |",
            range(&e2e[i]),
            e / base_e,
            range(&call[i]),
            c / base_c
        );
    }
}
