//! io_uring vs pwrite, end to end: lines/s and writer-thread CPU per line.
//!
//! `cargo run --release -p uringlog-bench --example uring_matrix -- [lines] [reps] [filter]`
//!
//! For each configuration (backend, producers 1/2, batch buffer 64 KiB /
//! 256 KiB / 1 MiB, io_uring depth 1/2/4, buffered or O_DIRECT, durability
//! None or periodic Data) it logs `lines` ~100-byte records, shuts down, and
//! prints the median of `reps` runs: lines/s end to end (first call to
//! shutdown returned), writer-thread CPU ns per line (`Stats::writer_cpu_ns`)
//! and whole-process CPU ns per line. `filter` keeps rows whose label
//! contains it (e.g. `buffered`, `data`, `direct`, `auto`).
//! `SYNC_INTERVAL_BYTES` sets the periodic sync interval of the `data` rows.

use std::path::Path;
use std::time::{Duration, Instant};
use uringlog::{Backend, Durability, Logger};
use uringlog_sinks::FileSink;

#[derive(Clone, Copy)]
struct Case {
    backend: Backend,
    producers: u64,
    batch_bytes: usize,
    depth: usize,
    direct: bool,
    durability: Durability,
}

impl Case {
    fn label(&self) -> String {
        let b = match self.backend {
            Backend::Pwrite => "pwrite".to_owned(),
            Backend::IoUring => format!("io_uring d{}", self.depth),
            _ => "auto".to_owned(),
        };
        let m = if self.direct { "direct" } else { "buffered" };
        let d = match self.durability {
            Durability::Data => "data",
            _ => "none",
        };
        format!(
            "{m} {d} {:>4}K p{} {b}",
            self.batch_bytes / 1024,
            self.producers
        )
    }
}

struct Sample {
    lines_per_s: f64,
    writer_ns: f64,
    process_ns: f64,
    syncs: u64,
}

/// `SYNC_INTERVAL_BYTES` in the environment, else 8 MiB (the default).
fn sync_interval_bytes() -> u64 {
    std::env::var("SYNC_INTERVAL_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8 << 20)
}

fn process_cpu_ns() -> u64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is valid and writable.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    ns(r.ru_utime) + ns(r.ru_stime)
}

fn run(c: Case, lines: u64, dir: &Path) -> Result<Sample, Box<dyn std::error::Error>> {
    let path = dir.join("matrix.log");
    let _ = std::fs::remove_file(&path);
    let sink = if c.direct {
        FileSink::new_o_direct(&path)?
    } else {
        FileSink::new(&path)?
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(c.backend)
        .io_depth(c.depth)
        .batch_bytes(c.batch_bytes)
        .batch_size(1 << 20)
        .ring_capacity(1 << 20)
        .durability(c.durability)
        .sync_interval_bytes(sync_interval_bytes())
        .build()?;
    let cpu0 = process_cpu_ns();
    let t = Instant::now();
    let per = lines / c.producers;
    std::thread::scope(|s| {
        for p in 0..c.producers {
            let logger = logger.clone();
            s.spawn(move || {
                for i in 0..per {
                    uringlog::info!(
                        logger,
                        "request id={} user={} path={} status={} p={}",
                        i,
                        "alice",
                        "/api/v1/items",
                        200,
                        p
                    );
                }
            });
        }
    });
    let st = guard.shutdown(Duration::from_secs(120))?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = process_cpu_ns() - cpu0;
    assert_eq!(st.written, per * c.producers, "every line written");
    Ok(Sample {
        lines_per_s: st.written as f64 / secs,
        writer_ns: st.writer_cpu_ns as f64 / st.written as f64,
        process_ns: cpu as f64 / st.written as f64,
        syncs: st.syncs,
    })
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (direct, durability) in [
        (false, Durability::None),
        (false, Durability::Data),
        (true, Durability::None),
    ] {
        for producers in [1, 2] {
            for batch_bytes in [64 << 10, 256 << 10, 1 << 20] {
                let base = Case {
                    backend: Backend::Pwrite,
                    producers,
                    batch_bytes,
                    depth: 1,
                    direct,
                    durability,
                };
                v.push(base);
                for depth in [1, 2, 4] {
                    v.push(Case {
                        backend: Backend::IoUring,
                        depth,
                        ..base
                    });
                }
                v.push(Case {
                    backend: Backend::Auto,
                    depth: 2,
                    ..base
                });
            }
        }
    }
    v
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let lines: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let filter = args.next().unwrap_or_default();
    let dir = tempfile::tempdir_in(".")?;
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.label().contains(&filter))
        .collect();
    // Warm up: page cache, allocator, first-touch faults (`WARMUP_RUNS`, default 2).
    let warmups: usize = std::env::var("WARMUP_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    for _ in 0..warmups {
        run(cases[0], lines, dir.path())?;
    }
    // Repetitions go round the whole list, so a noisy moment on this shared
    // machine hits every configuration alike; the median is reported.
    let mut samples: Vec<Vec<Sample>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..reps {
        for (c, out) in cases.iter().zip(&mut samples) {
            out.push(run(*c, lines, dir.path())?);
        }
    }
    println!("| configuration | M lines/s | writer CPU ns/line | process CPU ns/line | syncs |");
    println!("|---|---|---|---|---|");
    for (c, s) in cases.iter().zip(&samples) {
        println!(
            "| {} | {:.2} | {:.1} | {:.1} | {} |",
            c.label(),
            median(s.iter().map(|s| s.lines_per_s / 1e6).collect()),
            median(s.iter().map(|s| s.writer_ns).collect()),
            median(s.iter().map(|s| s.process_ns).collect()),
            median(s.iter().map(|s| s.syncs as f64).collect())
        );
    }
    Ok(())
}
