//! Where a lossless (`Policy::Block`) run with several producers spends
//! its CPUs: section 1's workload (1,000,000 calls shared among N
//! producer threads, the engine's defaults), one run after a warm-up, and
//! for each thread what the scheduler counted (`/proc/self/task/*/sched`):
//! CPU time, voluntary switches (sleeps), involuntary ones (preempted),
//! migrations; the writer's share of the run's wall time; how often a
//! blocked producer registered to sleep for room and how many wake-ups
//! the writer paid for them; the writer's own sleeps.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example block_attribution
//! target/release/examples/block_attribution pwrite|io_uring N DIR
//! ```
//!
//! One line per run, so runs of 1 and 2 producers can be interleaved:
//! lines/s and wall time (first call to shutdown done), the writer's CPU
//! time, switches and migrations and its share of the wall time, the
//! producers' sleeps for room and the wake-ups that ended them, the
//! writer's own sleeps and wake-ups, then each producer's scheduler
//! counts. The writer's are read once every producer has logged (its
//! last pass and shutdown are not counted).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Instant;
use uringlog::Logger;
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::throughput::SHUTDOWN_TIMEOUT;
use uringlog_bench::workload::{log_line, PATH_THROUGHPUT};

const COUNT: u64 = 1_000_000;

/// What the scheduler counted for one thread.
#[derive(Debug, Default, Clone, Copy)]
struct Sched {
    cpu_ms: f64,
    voluntary: u64,
    involuntary: u64,
    migrations: u64,
}

impl Sched {
    fn read(path: &Path) -> Sched {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut s = Sched::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k.trim() {
                "se.sum_exec_runtime" => s.cpu_ms = v.parse().unwrap_or(0.0),
                "nr_voluntary_switches" => s.voluntary = v.parse().unwrap_or(0),
                "nr_involuntary_switches" => s.involuntary = v.parse().unwrap_or(0),
                "se.nr_migrations" => s.migrations = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        s
    }

    fn minus(self, o: Sched) -> Sched {
        Sched {
            cpu_ms: self.cpu_ms - o.cpu_ms,
            voluntary: self.voluntary - o.voluntary,
            involuntary: self.involuntary - o.involuntary,
            migrations: self.migrations - o.migrations,
        }
    }

    fn show(self, name: &str) -> String {
        format!(
            "{name} cpu {:.1} ms vol {} invol {} migr {}",
            self.cpu_ms, self.voluntary, self.involuntary, self.migrations
        )
    }
}

/// The writer thread's `sched` file.
fn writer_sched() -> Result<PathBuf, String> {
    let tasks =
        std::fs::read_dir("/proc/self/task").map_err(|e| format!("/proc/self/task: {e}"))?;
    for e in tasks.flatten() {
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        if comm.trim() == "uringlog-writer" {
            return Ok(e.path().join("sched"));
        }
    }
    Err("no uringlog-writer thread in /proc/self/task".to_owned())
}

fn run(route: Route, n: usize, file: &Path) -> Result<String, String> {
    let _ = std::fs::remove_file(file);
    let cfg = EngineConfig::default_with(route);
    let (logger, guard) = cfg.build(file)?;
    log_line(&logger, 0, PATH_THROUGHPUT);
    logger.flush().map_err(|e| e.to_string())?;
    let wsched = writer_sched()?;
    let w0 = Sched::read(&wsched);
    let (ww0, wk0) = logger.writer_wake_counts();
    let start = Arc::new(Barrier::new(n));
    let done = Arc::new(Barrier::new(n));
    let release = Arc::new(Barrier::new(n));
    let share = move |l: &Logger, t: usize| {
        let me = Sched::read(Path::new("/proc/thread-self/sched"));
        let mut id = t as u64 + 1;
        while id <= COUNT {
            log_line(l, id, PATH_THROUGHPUT);
            id += n as u64;
        }
        Sched::read(Path::new("/proc/thread-self/sched")).minus(me)
    };
    let others: Vec<_> = (1..n)
        .map(|t| {
            let (l, s, d, r) = (logger.clone(), start.clone(), done.clone(), release.clone());
            std::thread::spawn(move || {
                s.wait();
                let mine = share(&l, t);
                d.wait();
                r.wait();
                mine
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let mut per = vec![share(&logger, 0)];
    done.wait();
    // Every producer logged and its ring is still live.
    let (room_waits, room_wakes) = logger.producer_room_wake_counts();
    let w1 = Sched::read(&wsched).minus(w0);
    let (ww1, wk1) = logger.writer_wake_counts();
    release.wait();
    for h in others {
        per.push(h.join().map_err(|_| "a producer panicked")?);
    }
    let stats = guard
        .shutdown(SHUTDOWN_TIMEOUT)
        .map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    if stats.written != COUNT + 1 {
        return Err(format!("{} of {} written", stats.written, COUNT + 1));
    }
    let mut out = format!(
        "n {n} {:.2} M/s wall {:.1} ms | {} share {:.2} | room waits {room_waits} wakes {room_wakes} | writer sleeps {} wakes {}",
        COUNT as f64 / secs / 1e6,
        secs * 1e3,
        w1.show("writer"),
        w1.cpu_ms / (secs * 1e3),
        ww1 - ww0,
        wk1 - wk0,
    );
    for (i, p) in per.iter().enumerate() {
        out.push_str(&format!(" | {}", p.show(&format!("p{i}"))));
    }
    Ok(out)
}

fn main() -> Result<(), String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [route, n, dir] = &a[..] else {
        return Err("usage: block_attribution pwrite|io_uring N DIR".to_owned());
    };
    let route = match route.as_str() {
        "pwrite" => Route::AsyncPwrite,
        "io_uring" => Route::AsyncIoUring,
        other => return Err(format!("unknown backend {other}")),
    };
    let n: usize = n.parse().map_err(|e| format!("{n}: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let file = PathBuf::from(dir).join("attribution.log");
    run(route, n, &file)?;
    println!("{}", run(route, n, &file)?);
    let _ = std::fs::remove_file(&file);
    Ok(())
}
