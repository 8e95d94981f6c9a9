//! Which lines of the call path miss after a pause, and by how much: the
//! report's rhythm (bursts of log calls, a 3 ms sleep after each), where
//! after each sleep, before the burst's first call, one byte of each line
//! `Logger::call_path_addresses` names is read alone, timed
//! (`lfence; rdtsc; lfence` around a volatile read), in turn from a
//! starting line that moves each burst (the first line read on a page pays
//! its TLB miss). A line of this program's own, stored to at the end of
//! every burst, is read the same way (`own line`): what a line the writer
//! never touches costs after the sleep. The CPU is kept busy for 2 µs
//! first, so its waking is not timed.
//!
//! A line the writer wrote during the pause (`ring head`, after it drained
//! the burst) comes from the other core; a line only this thread uses
//! comes from wherever the sleep left it (the shared cache, or memory).
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example pause_lines
//! target/release/examples/pause_lines [BURSTS] [BURST_LEN] [PAUSE_US]
//! ```
//!
//! Defaults: 400 bursts of 1,000 calls, 3 ms pauses, the default engine
//! with a file sink (pwrite). Timings are noisy on a shared machine:
//! compare the lines of one run, not runs.

use std::hint::black_box;
use std::time::{Duration, Instant};
use uringlog::{Backend, Logger, Prefault};
use uringlog_bench::workload::{log_line, PATH_LATENCY};
use uringlog_sinks::FileSink;

/// `rdtsc` between two `lfence`s: nothing before it is pending, nothing
/// after it has begun.
#[inline(always)]
fn fenced_ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `lfence` and `rdtsc` have no preconditions on x86-64.
    unsafe {
        use core::arch::x86_64::{_mm_lfence, _rdtsc};
        _mm_lfence();
        let t = _rdtsc();
        _mm_lfence();
        t
    }
    #[cfg(not(target_arch = "x86_64"))]
    return Instant::now().elapsed().as_nanos() as u64;
}

/// Ticks to read one byte at `a` alone.
#[inline(never)]
fn time_read(a: usize) -> u64 {
    let t = fenced_ticks();
    // SAFETY: an address inside memory the logger keeps alive, or this
    // program's own line; a volatile read changes nothing.
    black_box(unsafe { (a as *const u8).read_volatile() });
    fenced_ticks() - t
}

/// A line of this program's own, on a page of its own.
#[repr(align(4096))]
struct Own([u8; 4096]);

fn main() {
    let mut a = std::env::args().skip(1);
    let mut num = |default: u64| a.next().and_then(|s| s.parse().ok()).unwrap_or(default);
    let (bursts, burst_len, pause_us) = (num(400), num(1000), num(3000));
    let (t0, i0) = (fenced_ticks(), Instant::now());
    std::thread::sleep(Duration::from_millis(20));
    let per_ns = (fenced_ticks() - t0) as f64 / i0.elapsed().as_nanos() as f64;
    let dir = tempfile::tempdir().expect("temp dir");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(dir.path().join("lines.log")).expect("sink"))
        .backend(Backend::Pwrite)
        .prefault(Prefault::Ring)
        .build()
        .expect("logger");
    let mut own = Box::new(Own([0; 4096]));
    let mut id = 0u64;
    for _ in 0..burst_len {
        log_line(&logger, id, PATH_LATENCY);
        id += 1;
    }
    // A line another thread reads every 100 µs, as the lingering writer
    // polls the rings' counts; stored to here at the end of every burst.
    let polled = Box::leak(Box::new(Own([0; 4096])));
    let polled_at = polled.0.as_ptr() as usize;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // SAFETY: a leaked, live line; a volatile read changes nothing.
                black_box(unsafe { (polled_at as *const u8).read_volatile() });
                std::thread::sleep(Duration::from_micros(100));
            }
        })
    };
    let mut hit = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut samples: Vec<Vec<u64>> = Vec::new();
    for b in 0..bursts as usize {
        let mut lines: Vec<(String, usize)> = (logger.call_path_addresses().into_iter())
            .map(|(n, a)| (n.to_string(), a))
            .collect();
        for (i, l) in lines.iter_mut().enumerate() {
            l.0 = format!("{:2} {} {:#x}", i, l.0, l.1 & 0xfff);
        }
        lines.push(("   own line".to_string(), own.0.as_ptr() as usize));
        lines.push(("   own line, polled".to_string(), polled_at));
        if names.is_empty() {
            names = lines.iter().map(|l| l.0.clone()).collect();
            samples = vec![Vec::new(); lines.len()];
        }
        std::thread::sleep(Duration::from_micros(pause_us));
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_micros(2) {}
        for k in 0..lines.len() {
            let i = (b + k) % lines.len();
            samples[i].push(time_read(lines[i].1));
        }
        // The same line again, in the first level now: the timing's own cost.
        hit.push(time_read(own.0.as_ptr() as usize));
        for _ in 0..burst_len {
            log_line(&logger, id, PATH_LATENCY);
            id += 1;
        }
        own.0[0] = own.0[0].wrapping_add(1);
        // SAFETY: the leaked line; the poller only reads it.
        unsafe { (polled_at as *mut u8).write_volatile(b as u8) };
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    poller.join().expect("poller");
    names.push("   own line again (a hit)".to_string());
    samples.push(hit);
    println!("{bursts} bursts of {burst_len}, pause {pause_us} us; one read alone, ns (incl. the fences):");
    for (name, s) in names.iter().zip(&mut samples) {
        s.sort_unstable();
        let q = |p: f64| (s[((s.len() - 1) as f64 * p) as usize] as f64 / per_ns) as u64;
        println!(
            "{name:40} p50 {:4} p90 {:4} p99 {:4}",
            q(0.5),
            q(0.9),
            q(0.99)
        );
    }
    drop(guard);
}
