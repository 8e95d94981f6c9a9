//! Where the CPU goes when 1 or 2 producers share 1,000,000 calls (the
//! report's threads table, one repetition per line): per thread, time on
//! a CPU and time runnable but waiting for one (`/proc/.../schedstat`),
//! voluntary and involuntary context switches, moves between CPUs
//! (`/proc/.../sched`); the writer's lingering sleeps (each one a turn it
//! ran dry). With `THREAD_COSTS_NULL=1` the records go to a sink that
//! discards them: no kernel write, so what is left is the engine and what
//! its threads cost each other (the backend named does no work then).
//! One process per run so runs of two
//! builds can be interleaved.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example thread_costs
//! target/release/examples/thread_costs N pwrite|io_uring [BATCH_SIZE [BATCH_BYTES [IO_DEPTH]]]
//! ```
//!
//! A last line sums up what a batch size costs: batches, write
//! submissions and the writer's CPU per 1,000 records, the bytes of an
//! average batch, io-wq workers seen and the process's peak RSS.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::measure::{peak_rss_kib, warm_page_cache, WARM_BYTES_PER_LINE};
use uringlog_bench::workload::{log_line, PATH_THROUGHPUT};

const COUNT: u64 = 1_000_000;

/// One thread's scheduler figures.
struct Sched {
    run_ms: f64,
    wait_ms: f64,
    voluntary: u64,
    involuntary: u64,
    migrations: u64,
}

/// Reads `dir`'s `schedstat` and `status` (a task of this process).
fn sched(dir: &str) -> Sched {
    let ss = std::fs::read_to_string(format!("{dir}/schedstat")).unwrap_or_default();
    let f: Vec<f64> = ss
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let st = std::fs::read_to_string(format!("{dir}/status")).unwrap_or_default();
    let field = |k: &str| {
        st.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    let sc = std::fs::read_to_string(format!("{dir}/sched")).unwrap_or_default();
    let migrations = sc
        .lines()
        .find(|l| l.starts_with("se.nr_migrations"))
        .and_then(|l| l.split(':').nth(1)?.trim().parse().ok())
        .unwrap_or(0);
    Sched {
        migrations,
        run_ms: f.first().copied().unwrap_or(0.0) / 1e6,
        wait_ms: f.get(1).copied().unwrap_or(0.0) / 1e6,
        voluntary: field("voluntary_ctxt_switches:"),
        involuntary: field("nonvoluntary_ctxt_switches:"),
    }
}

fn show(name: &str, s: &Sched) {
    println!(
        "  {name:<18} on CPU {:7.1} ms  runnable, waiting {:7.1} ms  switches: voluntary {:5} involuntary {:5}  migrations {:4}",
        s.run_ms, s.wait_ms, s.voluntary, s.involuntary, s.migrations
    );
}

fn main() -> Result<(), String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: thread_costs N pwrite|io_uring [BATCH_SIZE [BATCH_BYTES [IO_DEPTH]]]";
    let n: usize = a.first().and_then(|x| x.parse().ok()).ok_or(usage)?;
    let route = match a.get(1).map(String::as_str) {
        Some("pwrite") => Route::AsyncPwrite,
        Some("io_uring") => Route::AsyncIoUring,
        _ => return Err(usage.to_owned()),
    };
    let mut cfg = EngineConfig::default_with(route);
    if let Some(b) = a.get(2) {
        cfg.batch_size = b.parse().map_err(|e| format!("{b}: {e}"))?;
    }
    if let Some(b) = a.get(3) {
        cfg.batch_bytes = b.parse().map_err(|e| format!("{b}: {e}"))?;
    }
    if let Some(d) = a.get(4) {
        cfg.io_depth = Some(d.parse().map_err(|e| format!("{d}: {e}"))?);
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    // Pages a virtual machine gave back to its host cost a fault on first
    // touch: reuse freed ones, so the copy into the page cache is measured.
    warm_page_cache(dir.path(), COUNT * WARM_BYTES_PER_LINE).map_err(|e| e.to_string())?;
    // THREAD_COSTS_NULL=1: a sink that discards its batches takes the
    // kernel's write out of the writer's costs, leaving what the threads
    // cost each other.
    let (logger, guard) = if std::env::var_os("THREAD_COSTS_NULL").is_some() {
        uringlog::Logger::builder()
            .sink(uringlog_bench::null_sink::NullSink::new().0)
            .level(uringlog::Level::Info)
            .ring_capacity(cfg.ring_capacity)
            .batch_size(cfg.batch_size)
            .batch_bytes(cfg.batch_bytes)
            .build()
            .map_err(|e| e.to_string())?
    } else {
        cfg.build(&dir.path().join("thread_costs.log"))?
    };
    let go = Arc::new(Barrier::new(n + 1));
    let producers: Vec<_> = (0..n)
        .map(|t| {
            let (l, go) = (logger.clone(), go.clone());
            std::thread::spawn(move || {
                go.wait();
                let mut id = t as u64;
                while id < COUNT {
                    log_line(&l, id, PATH_THROUGHPUT);
                    id += n as u64;
                }
                sched("/proc/thread-self")
            })
        })
        .collect();
    go.wait();
    let start = Instant::now();
    let mine: Vec<Sched> = producers
        .into_iter()
        .map(|h| h.join().map_err(|_| "a producer panicked".to_owned()))
        .collect::<Result<_, _>>()?;
    // The writer and any io-wq worker, before shutdown ends them.
    let mut others = Vec::new();
    for e in std::fs::read_dir("/proc/self/task").map_err(|e| e.to_string())? {
        let p = e.map_err(|e| e.to_string())?.path();
        let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        let comm = comm.trim();
        if comm.starts_with("uringlog-writer") || comm.starts_with("iou-wrk") {
            others.push((comm.to_owned(), sched(&p.to_string_lossy())));
        }
    }
    let lingers = logger.writer_linger_sleeps();
    let stats = guard
        .shutdown(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    if stats.written != COUNT {
        return Err(format!("{} of {COUNT} lines written", stats.written));
    }
    println!(
        "{n} producer(s), {route:?}, batch_size {}: {:.2} M lines/s end to end ({:.1} ms), {} batches, writer lingered {lingers} times",
        cfg.batch_size,
        COUNT as f64 / secs / 1e6,
        secs * 1e3,
        stats.batches
    );
    for (t, s) in mine.iter().enumerate() {
        show(&format!("producer {t}"), s);
    }
    for (name, s) in &others {
        show(name, s);
    }
    let per_k = |x: f64| x * 1e3 / COUNT as f64;
    let writer_ms: f64 = (others.iter())
        .filter(|(n, _)| n.starts_with("uringlog-writer"))
        .map(|(_, s)| s.run_ms)
        .sum();
    let workers = others
        .iter()
        .filter(|(n, _)| n.starts_with("iou-wrk"))
        .count();
    println!(
        "  per 1k records: {:.2} batches, {:.2} submits, writer CPU {:.1} µs; {:.0} bytes a batch; {workers} io-wq worker(s); peak RSS {:.2} MiB",
        per_k(stats.batches as f64),
        per_k(stats.io_submits as f64),
        per_k(writer_ms * 1e3),
        stats.bytes_written as f64 / stats.batches.max(1) as f64,
        peak_rss_kib() as f64 / 1024.0
    );
    Ok(())
}
