//! How often a `Block` producer waits for ring space, normal mode beside
//! crash-safe mode (where space comes back only at the writer's commits):
//! counts, less sensitive to a busy machine than rates.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example crash_safe_waits -- 1000000 3 [pwrite|io_uring] [normal|crash-safe]
//! ```
//!
//! Logs `N` workload lines into a file with the pwrite backend, or
//! io_uring when asked (one backend, so it does not change between runs),
//! `R` rounds alternating normal and
//! crash-safe (or of one mode only, when named: for `strace -c -f`), and prints per round: the rate, the process's CPU time per
//! line, the producer thread's own CPU time per line and its minor page
//! faults (`getrusage(RUSAGE_THREAD)` around the calls: a store to a
//! `MAP_SHARED` page the kernel write-protected after writeback faults
//! again), the writer's CPU time per line, the producer's waits for room
//! and the wake-ups that ended them, the batches written.

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
    let (cpu, t, mine) = (process_cpu_s(), Instant::now(), thread_usage());
    for id in 0..n {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    let mine = thread_usage().since(&mine);
    let (waits, wakes) = logger.producer_room_wake_counts();
    let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
    let secs = t.elapsed().as_secs_f64();
    let cpu_ns = (process_cpu_s() - cpu) * 1e9 / n as f64;
    assert_eq!(s.written, n);
    println!(
        "{:<10} {:6.2} M lines/s  cpu {:5.1} ns/line (producer {:5.1}, writer {:5.1})  \
         producer minor faults {:5}  room waits {:6}  wakes {:6}  batches {:6}",
        if crash_safe { "crash-safe" } else { "normal" },
        n as f64 / secs / 1e6,
        cpu_ns,
        mine.cpu_ns / n as f64,
        s.writer_cpu_ns as f64 / n as f64,
        mine.minor_faults,
        waits,
        wakes,
        s.batches
    );
    let _ = std::fs::remove_file(&file);
}

/// The calling thread's CPU time and minor page faults so far.
struct Usage {
    cpu_ns: f64,
    minor_faults: i64,
}

impl Usage {
    fn since(&self, before: &Usage) -> Usage {
        Usage {
            cpu_ns: self.cpu_ns - before.cpu_ns,
            minor_faults: self.minor_faults - before.minor_faults,
        }
    }
}

fn thread_usage() -> Usage {
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a live, writable `rusage`; getrusage only writes it.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    let ns = |t: libc::timeval| t.tv_sec as f64 * 1e9 + t.tv_usec as f64 * 1e3;
    Usage {
        cpu_ns: ns(ru.ru_utime) + ns(ru.ru_stime),
        minor_faults: ru.ru_minflt,
    }
}

fn main() {
    let mut a = std::env::args().skip(1);
    let n: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let backend = match a.next().as_deref() {
        Some("io_uring") => Backend::IoUring,
        _ => Backend::Pwrite,
    };
    let only = a.next();
    let dir = tempfile::tempdir().expect("temp dir");
    for r in 0..rounds {
        for crash_safe in [r % 2 == 1, r % 2 == 0] {
            match only.as_deref() {
                Some("normal") if crash_safe => continue,
                Some("crash-safe") if !crash_safe => continue,
                _ => round(dir.path(), n, crash_safe, backend),
            }
        }
    }
}
