//! Where the end-to-end time of one producer goes, by count: the peer
//! comparison's uringlog workload (warm-up through its own logger, page
//! cache warmed, then 1,000,000 timed lines through a fresh logger with the
//! engine's defaults), with the counters of the timed phase beside the rate.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example peer_gap
//! target/release/examples/peer_gap DIR [WARMUP_LINES] [COUNT]
//! ```
//!
//! Printed for the timed phase: lines/s end to end; CPU of the process,
//! of the producer thread and of the writer thread (`Stats::writer_cpu_ns`);
//! the producer's voluntary switches (each one a sleep: a `Block` producer
//! waiting for room) and involuntary ones (preemption); minor faults of
//! the process; the writer's registrations to sleep and the wake-up
//! syscalls producers paid (`Logger::writer_wake_counts`), its lingering
//! sleeps; the producer's registrations to sleep for room and the
//! wake-up syscalls the writer paid for them
//! (`Logger::producer_room_wake_counts`); batches, submissions and bytes per batch; the backend `Auto`
//! chose.

use std::path::PathBuf;
use std::time::Instant;
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::measure::{warm_page_cache, WARM_BYTES_PER_LINE};
use uringlog_bench::workload::{log_line, PATH_THROUGHPUT, PATH_WARMUP};

/// `getrusage` of `who`: (user + system ns, voluntary, involuntary switches, minor faults).
fn usage(who: libc::c_int) -> [i64; 4] {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable rusage.
    unsafe { libc::getrusage(who, &mut r) };
    let ns = |t: libc::timeval| t.tv_sec * 1_000_000_000 + t.tv_usec * 1_000;
    [
        ns(r.ru_utime) + ns(r.ru_stime),
        r.ru_nvcsw,
        r.ru_nivcsw,
        r.ru_minflt,
    ]
}

/// `/proc/self/task/<tid>/schedstat` of `tid`: (ns on the CPU, ns waiting runnable).
fn schedstat(tid: &str) -> [i64; 2] {
    let t = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).unwrap_or_default();
    let v: Vec<i64> = t
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    [
        v.first().copied().unwrap_or(0),
        v.get(1).copied().unwrap_or(0),
    ]
}

/// The id of the live thread named `uringlog-writer` (the newest one).
fn writer_tid() -> String {
    let mut best = String::new();
    for e in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let tid = e.file_name().to_string_lossy().into_owned();
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        let newer = tid.parse::<u64>().unwrap_or(0) > best.parse::<u64>().unwrap_or(0);
        if comm.trim() == "uringlog-writer" && newer {
            best = tid;
        }
    }
    best
}

/// User and system ms of thread `tid` (fields 14 and 15 of its `stat`, in ticks).
fn user_sys_ms(tid: &str) -> [i64; 2] {
    let t = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let after = t.rsplit(')').next().unwrap_or("");
    let f: Vec<i64> = (after.split_whitespace())
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as i64;
    [
        f.get(11).copied().unwrap_or(0) * 1000 / hz,
        f.get(12).copied().unwrap_or(0) * 1000 / hz,
    ]
}

/// The CPU thread `tid` last ran on (field 39 of its `stat`).
fn last_cpu(tid: &str) -> i64 {
    let t = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let after = t.rsplit(')').next().unwrap_or("");
    after
        .split_whitespace()
        .nth(36)
        .and_then(|x| x.parse().ok())
        .unwrap_or(-1)
}

/// Pins thread `tid` (0: the calling thread) to `cpu`.
fn pin(tid: libc::pid_t, cpu: usize) {
    // SAFETY: an all-zero cpu_set_t is an empty set; CPU_SET writes within it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below the set's capacity (CPU_SETSIZE).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    unsafe { libc::sched_setaffinity(tid, std::mem::size_of_val(&set), &set) };
}

fn delta(a: [i64; 4], b: [i64; 4]) -> [i64; 4] {
    [b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]]
}

fn main() -> Result<(), String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(a.first().ok_or("usage: peer_gap DIR [WARMUP] [COUNT]")?);
    let num = |i: usize, d: u64| a.get(i).map_or(Ok(d), |s| s.parse::<u64>());
    let warmup = num(1, 50_000).map_err(|e| e.to_string())?;
    let count = num(2, 1_000_000).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut cfg = EngineConfig::default_with(Route::AsyncAuto);
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    cfg.batch_size = env("PG_BATCH").unwrap_or(cfg.batch_size);
    cfg.ring_capacity = env("PG_RING").unwrap_or(cfg.ring_capacity);
    let linger = env("PG_LINGER_US");

    let build = |file: &std::path::Path| {
        cfg.build_with(file, |b| match linger {
            Some(us) => b.linger_us(us as u64),
            None => b,
        })
    };
    // 1. Warm-up through its own logger, file deleted.
    let warm = dir.join("warmup.log");
    let (logger, guard) = build(&warm)?;
    for id in 0..warmup {
        log_line(&logger, id, PATH_WARMUP);
    }
    guard
        .shutdown(std::time::Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    std::fs::remove_file(&warm).map_err(|e| e.to_string())?;
    // 2. Timed phase, as the peer row.
    if std::env::var_os("PG_NOWARM").is_none() {
        warm_page_cache(&dir, count * WARM_BYTES_PER_LINE).map_err(|e| e.to_string())?;
    }
    let file = dir.join("throughput.log");
    let (logger, guard) = build(&file)?;
    let wtid = writer_tid();
    if std::env::var_os("PG_PIN").is_some() {
        // Diagnosis only: the producer on CPU 0, the writer on CPU 1.
        pin(0, 0);
        pin(wtid.parse().unwrap_or(0), 1);
    }
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() }.to_string();
    let (s0, w0) = (schedstat(&me), schedstat(&wtid));
    let us0 = user_sys_ms(&wtid);
    let (p0, t0) = (usage(libc::RUSAGE_SELF), usage(libc::RUSAGE_THREAD));
    let (mut same, mut samples) = (0u64, 0u64);
    let start = Instant::now();
    for id in 0..count {
        log_line(&logger, id, PATH_THROUGHPUT);
        if id % 8192 == 0 {
            // SAFETY: sched_getcpu has no preconditions.
            let mine = unsafe { libc::sched_getcpu() } as i64;
            same += u64::from(mine == last_cpu(&wtid));
            samples += 1;
        }
    }
    let (s1, w1) = (schedstat(&me), schedstat(&wtid));
    let us1 = user_sys_ms(&wtid);
    let calls_s = start.elapsed().as_secs_f64();
    let t1 = usage(libc::RUSAGE_THREAD);
    let waits_before_shutdown = logger.writer_wake_counts();
    let lingers = logger.writer_linger_sleeps();
    let room = logger.producer_room_wake_counts();
    let s = guard
        .shutdown(std::time::Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    let p1 = usage(libc::RUSAGE_SELF);
    let _ = std::fs::remove_file(&file);
    let (p, t) = (delta(p0, p1), delta(t0, t1));
    let ms = |ns: i64| ns as f64 / 1e6;
    println!(
        "rate {:.3} M/s  e2e {:.0} ms  calls {:.0} ms | cpu proc {:.0} ms prod {:.0} ms writer {:.0} ms | \
         prod vcsw {} ivcsw {} | proc minflt {} | writer waits {} wakes {} lingers {} | producer room waits {} wakes {} | \
         batches {} submits {} KiB/batch {:.1} | run/wait ms prod {:.0}/{:.0} writer {:.0}/{:.0} | same cpu {}/{} | writer user/sys ms {}/{} | {}",
        count as f64 / secs / 1e6,
        secs * 1e3,
        calls_s * 1e3,
        ms(p[0]),
        ms(t[0]),
        s.writer_cpu_ns as f64 / 1e6,
        t[1],
        t[2],
        p[3],
        waits_before_shutdown.0,
        waits_before_shutdown.1,
        lingers,
        room.0,
        room.1,
        s.batches,
        s.io_submits,
        s.bytes_written as f64 / s.batches.max(1) as f64 / 1024.0,
        ms(s1[0] - s0[0]),
        ms(s1[1] - s0[1]),
        ms(w1[0] - w0[0]),
        ms(w1[1] - w0[1]),
        same,
        samples,
        us1[0] - us0[0],
        us1[1] - us0[1],
        logger.io_backend().to_string().chars().take(30).collect::<String>(),
    );
    Ok(())
}
