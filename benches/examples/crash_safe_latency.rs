//! Caller latency of crash-safe mode beside the normal mode, in one
//! process: rounds of the report's latency phase (bursts of timed calls
//! with a pause between them, each call timed with `Instant` as the
//! report does), the two modes alternating, a fresh logger writing to a
//! file each time. Prints each round's p50 and p90 and the median of the
//! per-round p50 differences (crash-safe − normal): a quicker look at the
//! report's "Δ p50" than `uringlog-bench crash-safe-ab`.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example crash_safe_latency -- [ROUNDS] [BURSTS]
//! ```

use std::time::{Duration, Instant};
use uringlog::Logger;
use uringlog_bench::peers::{BURST_LEN, BURST_PAUSE};
use uringlog_bench::workload::{log_line, PATH_LATENCY};
use uringlog_sinks::FileSink;

fn main() {
    let mut a = std::env::args().skip(1);
    let rounds: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(6);
    let bursts: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let base = std::env::temp_dir().join(format!("crash_safe_latency-{}", std::process::id()));
    std::fs::create_dir_all(&base).expect("temporary directory");
    let mut diffs = Vec::new();
    for round in 0..rounds {
        let mut p50 = [0u64; 2];
        // Normal first in even rounds, crash-safe first in odd ones.
        for crash_safe in [round % 2 == 1, round % 2 == 0] {
            let (p, p90) = phase(&base, crash_safe, bursts);
            p50[crash_safe as usize] = p;
            let name = if crash_safe { "crash-safe" } else { "normal" };
            println!("round {round} {name:>10}: p50 {p} ns, p90 {p90} ns");
        }
        diffs.push(p50[1] as i64 - p50[0] as i64);
    }
    diffs.sort_unstable();
    println!(
        "p50 difference (crash-safe − normal): median {:+} ns (smallest {:+}, largest {:+})",
        diffs[diffs.len() / 2],
        diffs[0],
        diffs[diffs.len() - 1]
    );
    let _ = std::fs::remove_dir_all(&base);
}

/// One latency phase on a fresh logger: (p50, p90) in ns.
fn phase(base: &std::path::Path, crash_safe: bool, bursts: usize) -> (u64, u64) {
    let file = base.join("latency.log");
    let mut b = Logger::builder().sink(FileSink::new(&file).expect("file sink"));
    if crash_safe {
        b = b.crash_safe(base.join("crash-safe"));
    }
    let (logger, guard) = b.build().expect("logger");
    for id in 0..2 * BURST_LEN as u64 {
        log_line(&logger, id, PATH_LATENCY);
    }
    logger.flush().expect("flush");
    let mut lat = Vec::with_capacity(bursts * BURST_LEN);
    let mut id = 0u64;
    for _ in 0..bursts {
        for _ in 0..BURST_LEN {
            let t = Instant::now();
            log_line(&logger, id, PATH_LATENCY);
            lat.push(t.elapsed().as_nanos() as u64);
            id += 1;
        }
        std::thread::sleep(BURST_PAUSE);
    }
    guard.shutdown(Duration::from_secs(10)).expect("shutdown");
    let _ = std::fs::remove_file(&file);
    lat.sort_unstable();
    (lat[lat.len() / 2], lat[lat.len() * 9 / 10])
}
