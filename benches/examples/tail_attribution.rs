//! What the slow calls are: each call timed with `rdtsc`, then the
//! thread's minor faults and context switches read (`getrusage`, outside
//! the timed region) so every slow call is attributed.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example tail_attribution -- ring|lazy [BURSTS] [BURST_LEN] [PAUSE_US]
//! ```
//!
//! A fresh logger and thread, the harness's workload line, bursts of calls
//! with a pause between them (as the report's latency section). A call
//! slower than 1 µs is put down to a page fault (minor faults rose), to
//! preemption (involuntary switches rose), to parking (voluntary switches
//! rose: `Block` waiting, never expected here) or to "other" (a wake-up
//! syscall, an interrupt, cache misses).

use std::time::{Duration, Instant};
use uringlog::{Backend, Logger, Prefault};
use uringlog_bench::workload::{log_line, PATH_LATENCY};
use uringlog_sinks::FileSink;

fn usage() -> (u64, u64, u64) {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut r) };
    (r.ru_minflt as u64, r.ru_nvcsw as u64, r.ru_nivcsw as u64)
}

#[inline(always)]
fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `rdtsc` has no preconditions on x86-64.
    return unsafe { core::arch::x86_64::_rdtsc() };
    #[cfg(not(target_arch = "x86_64"))]
    return Instant::now().elapsed().as_nanos() as u64;
}

fn main() {
    let mut a = std::env::args().skip(1);
    let prefault = match a.next().as_deref() {
        Some("lazy") => Prefault::Lazy,
        _ => Prefault::Ring,
    };
    let bursts: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let burst_len: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let pause_us: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    // Ticks per ns, measured over 20 ms.
    let (t0, i0) = (ticks(), Instant::now());
    std::thread::sleep(Duration::from_millis(20));
    let per_ns = (ticks() - t0) as f64 / i0.elapsed().as_nanos() as f64;
    let dir = tempfile::tempdir().expect("temp dir");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(dir.path().join("tail.log")).expect("sink"))
        .backend(Backend::Pwrite)
        .prefault(prefault)
        .build()
        .expect("logger");
    let n = bursts * burst_len;
    let mut lat = Vec::with_capacity(n as usize);
    let mut cause = [0u64; 4];
    let mut cause_ns = [0u64; 4];
    let mut faults_total = 0;
    let mut before = usage();
    let mut id = 0;
    for _ in 0..bursts {
        for _ in 0..burst_len {
            let t = ticks();
            log_line(&logger, id, PATH_LATENCY);
            let ns = ((ticks() - t) as f64 / per_ns) as u64;
            let now = usage();
            let (f, v, i) = (now.0 - before.0, now.1 - before.1, now.2 - before.2);
            before = usage();
            faults_total += f;
            if ns > 1000 && id > 0 {
                let c = if f > 0 {
                    0
                } else if i > 0 {
                    1
                } else if v > 0 {
                    2
                } else {
                    3
                };
                cause[c] += 1;
                cause_ns[c] += ns;
            }
            lat.push(ns);
            id += 1;
        }
        std::thread::sleep(Duration::from_micros(pause_us));
    }
    let s = guard.shutdown(Duration::from_secs(30)).expect("shutdown");
    assert_eq!(s.written, n);
    let first = lat[0];
    lat.sort_unstable();
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "prefault {prefault:?}, {bursts} bursts of {burst_len}, pause {pause_us} us: first call {first} ns, p50 {} ns, p99 {} ns, p99.9 {} ns, p99.99 {} ns, max {} ns",
        p(0.5), p(0.99), p(0.999), p(0.9999), p(1.0)
    );
    println!("minor faults during calls: {faults_total}");
    let slow: u64 = cause.iter().sum();
    println!(
        "calls over 1 us: {slow} of {n} ({:.3}%)",
        slow as f64 * 100.0 / n as f64
    );
    for (i, name) in [
        "page fault",
        "preempted",
        "parked",
        "other (wake-up syscall, interrupt, cache)",
    ]
    .iter()
    .enumerate()
    {
        if cause[i] > 0 {
            println!(
                "  {name}: {} calls, mean {} ns",
                cause[i],
                cause_ns[i] / cause[i]
            );
        }
    }
}
