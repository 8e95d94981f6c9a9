//! The report's caller-latency measurement alone, one line of figures, for
//! A/B runs of two builds alternated on a noisy machine.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example call_latency
//! target/release/examples/call_latency [io_uring|pwrite] [BURSTS] [BURST_LEN] [PAUSE_US]
//! ```
//!
//! Runs the harness's latency job (`latency::run`: the workload line timed
//! with `Instant` around each call, bursts then a pause, a file sink in a
//! fresh temporary directory) with the report's sizes by default (200
//! bursts of 1,000 calls, 3 ms pauses) and prints: all calls' p50, p90,
//! p99, p99.9; the in-burst calls' p50 and p99.9; the after-pause calls'
//! p50; the empty timed call's median. Call it in a fresh process, as the
//! report does.

use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::latency::{run, LatencyJob};

fn main() {
    let mut a = std::env::args().skip(1);
    let route = match a.next().as_deref() {
        Some("pwrite") => Route::AsyncPwrite,
        _ => Route::AsyncIoUring,
    };
    let mut num = |d: u64| a.next().and_then(|s| s.parse().ok()).unwrap_or(d);
    let bursts = num(200) as usize;
    let burst_len = num(1_000) as usize;
    let pause_us = num(3_000);
    let dir = std::env::temp_dir().join(format!("call_latency-{}", std::process::id()));
    let job = LatencyJob {
        cfg: EngineConfig::default_with(route),
        bursts,
        burst_len,
        pause_us,
        dir: dir.clone(),
        keep: false,
    };
    let r = run(&job).expect("latency run");
    let _ = std::fs::remove_dir_all(&dir);
    let s = &r.summary;
    println!(
        "p50 {} p90 {} p99 {} p99.9 {} | burst p50 {} p99.9 {} | after-pause p50 {} | empty {}",
        s.p50_ns,
        s.p90_ns,
        s.p99_ns,
        s.p999_ns,
        r.in_burst.p50_ns,
        r.in_burst.p999_ns,
        r.after_pause.p50_ns,
        r.overhead_ns
    );
}
