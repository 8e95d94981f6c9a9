//! How often a `Block` producer waits for ring space, normal mode beside
//! crash-safe mode (where space comes back only at the writer's commits):
//! counts, less sensitive to a busy machine than rates.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example crash_safe_waits -- 1000000 3 [io_uring]
//! ```
//!
//! Logs `N` workload lines into a file with the pwrite backend, or
//! io_uring when asked (one backend, so it does not change between runs),
//! `R` rounds alternating normal and
//! crash-safe, and prints per round: the rate, the process's CPU time per
//! line, the producer's waits for room and the wake-ups that ended them,
//! the batches written.

use std::time::{Duration, Instant};
use uringlog::{Backend, Logger, Policy};
use uringlog_bench::measure::{process_cpu_s, warm_page_cache, WARM_BYTES_PER_LINE};
use uringlog_bench::workload::{log_line, PATH_THROUGHPUT};

fn round(dir: &std::path::Path, n: u64, crash_safe: bool, backend: Backend) {
    let file = dir.join(if crash_safe { "cs.log" } else { "normal.log" });
    let _ = std::fs::remove_file(&file);
    warm_page_cache(dir, n * WARM_BYTES_PER_LINE).expect("warm");
    let mut b = Logger::builder()
        .sink(uringlog_sinks::FileSink::new(&file).expect("file"))
        .policy(Policy::Block)
        .backend(backend);
    if crash_safe {
        b = b.crash_safe(dir.join("cs"));
    }
    let (logger, guard) = b.build().expect("logger");
    let (cpu, t) = (process_cpu_s(), Instant::now());
    for id in 0..n {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    let (waits, wakes) = logger.producer_room_wake_counts();
    let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
    let secs = t.elapsed().as_secs_f64();
    let cpu_ns = (process_cpu_s() - cpu) * 1e9 / n as f64;
    assert_eq!(s.written, n);
    println!(
        "{:<10} {:6.2} M lines/s  cpu {:5.1} ns/line  room waits {:6}  wakes {:6}  batches {:6}",
        if crash_safe { "crash-safe" } else { "normal" },
        n as f64 / secs / 1e6,
        cpu_ns,
        waits,
        wakes,
        s.batches
    );
    let _ = std::fs::remove_file(&file);
}

fn main() {
    let mut a = std::env::args().skip(1);
    let n: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let backend = match a.next().as_deref() {
        Some("io_uring") => Backend::IoUring,
        _ => Backend::Pwrite,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for r in 0..rounds {
        for crash_safe in [r % 2 == 1, r % 2 == 0] {
            round(dir.path(), n, crash_safe, backend);
        }
    }
}
