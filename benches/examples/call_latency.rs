//! The harness's caller-latency phase, taken apart: the normal mode and
//! crash-safe mode alternately in one process, each call timed as the
//! harness times it (its `CallTimer`: the TSC where the engine keeps time
//! with it, else `Instant`), with the distribution at the clock's
//! resolution and the first call of each burst apart.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example call_latency
//! target/release/examples/call_latency DIR [PAUSE_US] [ROUNDS] [empty] [instant]
//! ```
//!
//! `DIR` holds the log files and crash-safe directories (removed after).
//! Each round runs both modes: 50,000 warm-up lines, then 200 bursts of
//! 1,000 timed calls with `PAUSE_US` (default 3,000, the harness's pause)
//! after each. `empty` times an empty statement in place of the call
//! (what the clock and a cold return from the pause cost alone); `instant`
//! times with `Instant` whatever the CPU (the harness's timer before).
//! Prints per mode and round: percentiles, the first call after each
//! pause (p50, p90), the calls within a burst (p99.9), and the count of
//! calls per 10 ns below 120 ns.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use uringlog::{Logger, Policy};
use uringlog_bench::timer::{CallTimer, TimerChoice};
use uringlog_bench::workload::{log_line, PATH_LATENCY};
use uringlog_sinks::FileSink;

const BURSTS: usize = 200;
const BURST_LEN: usize = 1_000;

fn pct(v: &[u64], q: f64) -> u64 {
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

fn run(crash_safe: bool, tag: &str, dir: &Path, pause: Duration, empty: bool, timer: &CallTimer) {
    let sink = FileSink::new(dir.join(format!("{tag}.log"))).expect("sink");
    let mut b = Logger::builder().sink(sink).policy(Policy::Block);
    if crash_safe {
        b = b.crash_safe(dir.join(format!("{tag}.crash-safe")));
    }
    let (logger, guard) = b.build().expect("logger");
    for id in 0..50_000 {
        log_line(&logger, id, PATH_LATENCY);
    }
    logger.flush().expect("flush");
    let mut all = Vec::with_capacity(BURSTS * BURST_LEN);
    let mut first = Vec::with_capacity(BURSTS);
    let mut within = Vec::with_capacity(BURSTS * BURST_LEN);
    let mut id = 0;
    for _ in 0..BURSTS {
        for k in 0..BURST_LEN {
            let d = timer.time(|| {
                if empty {
                    black_box(id);
                } else {
                    log_line(&logger, id, PATH_LATENCY);
                }
            });
            if k == 0 {
                first.push(d);
            } else {
                within.push(d);
            }
            all.push(d);
            id += 1;
        }
        std::thread::sleep(pause);
    }
    let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
    assert_eq!(s.written, s.enqueued, "{tag}: records lost");
    for v in [&mut all, &mut first, &mut within] {
        v.sort_unstable();
    }
    println!(
        "{tag:10} p10 {} p50 {} p90 {} p99 {} p99.9 {} | first after pause p50 {} p90 {} | within a burst p99.9 {}",
        pct(&all, 0.1),
        pct(&all, 0.5),
        pct(&all, 0.9),
        pct(&all, 0.99),
        pct(&all, 0.999),
        pct(&first, 0.5),
        pct(&first, 0.9),
        pct(&within, 0.999),
    );
    let mut h = BTreeMap::new();
    for &x in all.iter().take_while(|&&x| x < 120) {
        *h.entry(x / 10 * 10).or_insert(0u32) += 1;
    }
    println!("{tag:10} per 10 ns: {h:?}");
}

fn main() {
    let mut a = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        a.next()
            .expect("usage: call_latency DIR [PAUSE_US] [ROUNDS] [empty] [instant]"),
    );
    let pause = Duration::from_micros(a.next().map_or(3_000, |s| s.parse().expect("PAUSE_US")));
    let rounds: usize = a.next().map_or(3, |s| s.parse().expect("ROUNDS"));
    let words: Vec<String> = a.collect();
    let empty = words.iter().any(|w| w == "empty");
    let timer = CallTimer::new(match words.iter().any(|w| w == "instant") {
        true => TimerChoice::Instant,
        false => TimerChoice::Auto,
    });
    println!(
        "timer: {} (rate known to {:.2} ppm); empty timed call p50 {} ns",
        timer.kind(),
        timer.rate_error_ppm(),
        timer.overhead_ns()
    );
    std::fs::create_dir_all(&dir).expect("DIR");
    for i in 0..rounds {
        run(false, &format!("normal{i}"), &dir, pause, empty, &timer);
        run(true, &format!("crash{i}"), &dir, pause, empty, &timer);
    }
    for i in 0..rounds {
        for tag in [format!("normal{i}"), format!("crash{i}")] {
            let _ = std::fs::remove_file(dir.join(format!("{tag}.log")));
            let _ = std::fs::remove_dir_all(dir.join(format!("{tag}.crash-safe")));
        }
    }
}
