//! What the writer costs when there is little or nothing to write: its
//! wake-ups per second (context switches of the writer thread, from
//! `/proc/self/task/TID/status`), its CPU time (`schedstat`), its
//! lingering sleeps and the producers' wake-up syscalls, per second.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example idle_writer_cost -- [LINGER_US] [SECONDS]
//! ```
//!
//! Phases, each `SECONDS` long (default 2), one logger (pwrite):
//! idle (nothing logged, the linger long over), then one record every
//! 60 ms, 10 ms, 1 ms and 100 µs, one every 20 µs and 5 µs (paced by
//! spinning), and bursts of 1,000 records every 3 ms
//! (the report's latency pattern). Counts, not timings, are the point:
//! they hold on a busy machine.

use std::time::{Duration, Instant};
use uringlog::{Backend, Logger};
use uringlog_bench::workload::{log_line, PATH_LATENCY};
use uringlog_sinks::FileSink;

/// The writer thread's id (by its name).
fn writer_tid() -> u32 {
    for e in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let e = e.expect("task entry");
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        if comm.trim() == "uringlog-writer" {
            return e.file_name().to_string_lossy().parse().expect("tid");
        }
    }
    panic!("no writer thread");
}

/// Context switches (voluntary + involuntary) and CPU ns of thread `tid`.
fn thread_counts(tid: u32) -> (u64, u64) {
    let dir = format!("/proc/self/task/{tid}");
    let status = std::fs::read_to_string(format!("{dir}/status")).expect("status");
    let switches: u64 = status
        .lines()
        .filter(|l| l.contains("ctxt_switches"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    let sched = std::fs::read_to_string(format!("{dir}/schedstat")).expect("schedstat");
    let cpu = sched.split_whitespace().next().and_then(|s| s.parse().ok());
    (switches, cpu.unwrap_or(0))
}

/// One phase: `tick` logs (or not) and paces itself until `secs` have passed; prints a table row.
fn phase(logger: &Logger, tid: u32, name: &str, secs: f64, mut tick: impl FnMut(&mut u64)) {
    let (s0, c0) = thread_counts(tid);
    let (l0, w0) = (logger.writer_linger_sleeps(), logger.writer_wake_counts().1);
    let start = Instant::now();
    let mut id = 0;
    while start.elapsed().as_secs_f64() < secs {
        tick(&mut id);
    }
    let el = start.elapsed().as_secs_f64();
    let (s1, c1) = thread_counts(tid);
    let (l1, w1) = (logger.writer_linger_sleeps(), logger.writer_wake_counts().1);
    println!(
        "| {name} | {id} | {:.0} | {:.0} | {:.0} | {:.2}% |",
        (s1 - s0) as f64 / el,
        (l1 - l0) as f64 / el,
        (w1 - w0) as f64 / el,
        (c1 - c0) as f64 / el / 1e7,
    );
}

fn main() {
    let mut a = std::env::args().skip(1);
    let linger_us: u64 = a
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(uringlog::DEFAULT_LINGER_US);
    let secs: f64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(dir.path().join("idle.log")).expect("sink"))
        .backend(Backend::Pwrite)
        .linger_us(linger_us)
        .build()
        .expect("logger");
    let tid = writer_tid();
    log_line(&logger, 0, PATH_LATENCY);
    logger.flush().expect("flush");
    std::thread::sleep(Duration::from_micros(linger_us) + Duration::from_millis(100));
    println!("linger {linger_us} us, {secs} s per phase; per second: writer context switches, its lingering sleeps, producers' wake-up syscalls; writer CPU");
    println!();
    println!("| phase | records | writer switches/s | lingering sleeps/s | wake-up syscalls/s | writer CPU |");
    println!("|---|---:|---:|---:|---:|---:|");
    phase(&logger, tid, "idle", secs, |_| {
        std::thread::sleep(Duration::from_millis(10))
    });
    for every_us in [60_000, 10_000, 1_000, 100] {
        let name = format!("one record every {} ms", every_us as f64 / 1e3);
        phase(&logger, tid, &name, secs, |id| {
            log_line(&logger, *id, PATH_LATENCY);
            *id += 1;
            std::thread::sleep(Duration::from_micros(every_us));
        });
    }
    // Steady trickles faster than a sleep can pace: the producer spins
    // between records (it fills its own CPU; the writer's CPU is the point).
    for every_us in [20, 5] {
        let name = format!("one record every {every_us} us (paced by spinning)");
        phase(&logger, tid, &name, secs, |id| {
            let next = Instant::now() + Duration::from_micros(every_us);
            log_line(&logger, *id, PATH_LATENCY);
            *id += 1;
            while Instant::now() < next {
                std::hint::spin_loop();
            }
        });
    }
    phase(&logger, tid, "bursts of 1,000 every 3 ms", secs, |id| {
        for _ in 0..1000 {
            log_line(&logger, *id, PATH_LATENCY);
            *id += 1;
        }
        std::thread::sleep(Duration::from_millis(3));
    });
    drop(logger);
    guard.shutdown(Duration::from_secs(30)).expect("shutdown");
}
