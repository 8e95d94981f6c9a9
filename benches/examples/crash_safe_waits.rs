//! How often a `Block` producer waits for ring space, normal mode beside
//! crash-safe mode (where space comes back only at the writer's commits):
//! counts, less sensitive to a busy machine than rates.
//!
//! ```sh
//! cargo run --release -p uringlog-bench --example crash_safe_waits -- 1000000 3 [pwrite|io_uring|auto] [normal|crash-safe]
//! ```
//!
//! Logs `N` workload lines into a file with the pwrite backend, or
//! io_uring when asked (one backend, so it does not change between runs;
//! `auto`: `Backend::Auto`, deciding anew in each round),
//! `R` rounds alternating normal and
//! crash-safe (or of one mode only, when named: for `strace -c -f`), and prints per round: the rate, the process's CPU time per
//! line, the producer thread's own CPU time per line and its minor page
//! faults (`getrusage(RUSAGE_THREAD)` around the calls: a store to a
//! `MAP_SHARED` page the kernel write-protected after writeback faults
//! again), the writer's CPU time per line, the producer's waits for room
//! and the wake-ups that ended them, the batches written, the backend.
//! Then, per thread (`/proc/self/task`, from the build to a flush after
//! the calls), per 1,000,000 lines: user and system CPU time (clock
//! ticks: coarse, so compare many rounds), time on a CPU and time
//! runnable but waiting for one (`schedstat`), minor faults, voluntary
//! and involuntary switches. With `PIN` set in the environment the
//! producer runs on CPU 0 and every other thread on CPU 1.

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
    if std::env::var_os("PIN").is_some() {
        pin_apart();
    }
    let tasks = tasks();
    let (cpu, t, mine) = (process_cpu_s(), Instant::now(), thread_usage());
    for id in 0..n {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    let mine = thread_usage().since(&mine);
    logger.flush().expect("flush");
    let tasks = since(&tasks);
    let (waits, wakes) = logger.producer_room_wake_counts();
    let backend_used = logger.io_backend();
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
    println!("    backend: {backend_used:?}");
    // Per thread, up to the flush that followed the calls: CPU split into
    // user and system time (clock ticks: coarse, so sum rounds), time
    // runnable but waiting for a CPU, minor faults, switches.
    let per_m = 1e6 / n as f64;
    for (name, d) in tasks {
        println!(
            "    {name:<16} user {:6.1} ms  sys {:6.1} ms  on cpu {:6.1} ms  waiting {:6.1} ms  \
             minor faults {:7.0}  vol {:6.0}  invol {:5.0}  (per 1M lines)",
            d.user_ms * per_m,
            d.sys_ms * per_m,
            d.run_ns as f64 / 1e6 * per_m,
            d.wait_ns as f64 / 1e6 * per_m,
            d.minflt as f64 * per_m,
            d.vol as f64 * per_m,
            d.invol as f64 * per_m,
        );
    }
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

/// One thread's counters from `/proc/self/task/TID/{stat,status,schedstat}`.
#[derive(Clone, Default)]
struct Task {
    name: String,
    user_ms: f64,
    sys_ms: f64,
    run_ns: u64,
    wait_ns: u64,
    minflt: u64,
    vol: u64,
    invol: u64,
}

/// Every thread of this process now, by tid.
fn tasks() -> Vec<(u64, Task)> {
    // SAFETY: sysconf has no preconditions.
    let tick_ms = 1000.0 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc/self/task")
        .expect("tasks")
        .flatten()
    {
        let Ok(tid) = e.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let read = |f: &str| std::fs::read_to_string(e.path().join(f)).unwrap_or_default();
        let stat = read("stat");
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let f: Vec<u64> = stat[close + 2..]
            .split_whitespace()
            .map(|w| w.parse().unwrap_or(0))
            .collect();
        // After the name: state is field 3, minflt 10, utime 14, stime 15.
        let field = |n: usize| f.get(n - 3).copied().unwrap_or(0);
        let status = read("status");
        let ctx = |key: &str| {
            (status.lines().find_map(|l| l.strip_prefix(key)))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let sched: Vec<u64> = read("schedstat")
            .split_whitespace()
            .map(|w| w.parse().unwrap_or(0))
            .collect();
        let task = Task {
            name: stat[open + 1..close].to_owned(),
            user_ms: field(14) as f64 * tick_ms,
            sys_ms: field(15) as f64 * tick_ms,
            run_ns: sched.first().copied().unwrap_or(0),
            wait_ns: sched.get(1).copied().unwrap_or(0),
            minflt: field(10),
            vol: ctx("voluntary_ctxt_switches:"),
            invol: ctx("nonvoluntary_ctxt_switches:"),
        };
        out.push((tid, task));
    }
    out.sort_by_key(|t| t.0);
    out
}

/// What each thread did since `before` (threads started since count from 0).
fn since(before: &[(u64, Task)]) -> Vec<(String, Task)> {
    let zero = Task::default();
    tasks()
        .into_iter()
        .map(|(tid, now)| {
            let b = before.iter().find(|t| t.0 == tid).map_or(&zero, |t| &t.1);
            let d = Task {
                name: now.name.clone(),
                user_ms: now.user_ms - b.user_ms,
                sys_ms: now.sys_ms - b.sys_ms,
                run_ns: now.run_ns - b.run_ns,
                wait_ns: now.wait_ns - b.wait_ns,
                minflt: now.minflt - b.minflt,
                vol: now.vol - b.vol,
                invol: now.invol - b.invol,
            };
            (now.name, d)
        })
        .collect()
}

/// The producer (this thread) on CPU 0, every other thread on CPU 1.
fn pin_apart() {
    let pin = |tid: i32, cpu: usize| {
        // SAFETY: an all-zero cpu_set_t is an empty set; `cpu` < CPU_SETSIZE.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::CPU_SET(cpu, &mut set) };
        // SAFETY: `set` is a valid cpu_set_t of the size passed.
        unsafe { libc::sched_setaffinity(tid, std::mem::size_of_val(&set), &set) };
    };
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    for (tid, _) in tasks() {
        pin(tid as i32, usize::from(tid as i32 != me));
    }
}

fn main() {
    let mut a = std::env::args().skip(1);
    let n: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let backend = match a.next().as_deref() {
        Some("io_uring") => Backend::IoUring,
        Some("auto") => Backend::Auto,
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
