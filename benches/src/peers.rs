//! Peers side by side: the same workload through uringlog and through other
//! Rust loggers, each in its own child process so memory is per logger.
//!
//! Workload, identical for every logger (uringlog included):
//! 1. warm-up: [`WARMUP_LINES`] lines through a logger instance, then its
//!    file is deleted (loggers installed once per process keep the warm-up
//!    lines in their one file; the `path=` field tells them apart);
//! 2. throughput: the page cache warmed (see
//!    [`warm_page_cache`](crate::measure::warm_page_cache)), then
//!    `count` lines from one thread, timed from the first call
//!    until every line has reached the file (logger shut down or flushed);
//!    the file is then read back and every line identified by its id, so a
//!    lossy logger reports what it dropped and cannot look fast;
//! 3. latency: [`BURSTS`] bursts of [`BURST_LEN`] calls with a pause between
//!    bursts, each call timed on the caller's side with the harness's
//!    [`CallTimer`], the same for every logger;
//! 4. peak RSS of the process up to the end of phase 2 (`VmHWM`), before the
//!    harness reads the file back or keeps its latency samples.
//!
//! Beside the rate, the CPU time the process used during the throughput
//! phase: CPUs used = CPU seconds / elapsed seconds. A logger with a
//! background thread that stays below 1 did not run its threads side by
//! side — they took turns on one CPU (both on one CPU's run queue), or the
//! machine gave the process less than a CPU (other load: with
//! `sched_autogroup` a session's threads share one fair share) — and its
//! rate is then the inverse of the caller's and the writer's costs added.

use crate::config::Route;
use crate::machine_load::{OtherLoad, PhaseLoad};
use crate::measure::{
    peak_rss_kib, percentile, process_cpu_s, warm_page_cache, WARM_BYTES_PER_LINE,
};
use crate::peer_loggers::{
    BaselinePeer, FacadePeer, Peer, SlogPeer, SpdlogPeer, TracingPeer, TracingUringlogPeer,
    UringlogCrashSafePeer, UringlogPeer, UringlogPreformattedPeer,
};
use crate::throughput::rate;
use crate::timer::{CallTimer, TimerChoice, TimerKind};
use crate::verify::{check_files, files_in};
use crate::workload::{args, LineMatcher, PATH_LATENCY, PATH_THROUGHPUT, PATH_WARMUP};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// Every logger of the comparison, in the order the report runs them; the
/// uringlog rows come first, `tracing` into uringlog (`tracing+uringlog-*`:
/// the fmt layer with `make_writer`, and the uringlog layer) right after
/// `tracing` into tracing-appender.
pub const PEERS: &[&str] = &[
    URINGLOG,
    "uringlog-preformatted",
    "uringlog-io_uring",
    "uringlog-crash-safe",
    "uringlog-sync",
    "tracing-appender-lossy",
    "tracing-appender-lossless",
    "tracing+uringlog-writer",
    "tracing+uringlog-layer",
    "slog-async",
    "spdlog-rs",
    "ftlog",
    "ftlog-block",
    "fast_log",
    "mutex-bufwriter",
];

/// Whether `name` cannot lose a record by its configuration (its queue
/// blocks when full, or there is none), and why: decided by how it is set
/// up, not by whether it happened to drop in this run.
pub fn lossless_by_config(name: &str) -> (bool, &'static str) {
    match name {
        "tracing-appender-lossy" => (false, "NonBlocking lossy: drops when its channel is full"),
        "ftlog" => (false, "default channel: discards when full"),
        "ftlog-block" => (true, "bounded(100 000, block)"),
        "fast_log" => (true, "chan_len(Some(100 000)): blocks when full"),
        "tracing-appender-lossless" => (true, "NonBlocking lossy(false): blocks when full"),
        "slog-async" | "spdlog-rs" => (true, "OverflowStrategy/Policy::Block"),
        "mutex-bufwriter" => (true, "no queue: the caller writes"),
        "uringlog-sync" => (true, "no queue: the caller writes"),
        _ if name.contains(URINGLOG) => (true, "Policy::Block"),
        _ => (false, "unknown"),
    }
}

/// Write system calls of this process so far (`syscw` of `/proc/self/io`).
pub fn write_syscalls() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("syscw:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The row the ratio column compares every logger with: uringlog with the
/// engine's defaults.
pub const URINGLOG: &str = "uringlog";

/// Lines written through each logger before anything is measured.
pub const WARMUP_LINES: u64 = 50_000;
/// Bursts in the latency phase.
pub const BURSTS: usize = 200;
/// Calls per burst in the latency phase.
pub const BURST_LEN: usize = 1_000;
/// Pause after each latency burst, long enough for queues to drain.
pub const BURST_PAUSE: Duration = Duration::from_millis(3);

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerJob {
    /// One of [`PEERS`].
    pub name: String,
    /// Lines in the throughput phase.
    pub count: u64,
    /// Directory for the log files (created; removed unless `keep`).
    pub dir: PathBuf,
    /// Keep the log files.
    pub keep: bool,
    /// The timer the latency phase uses.
    #[serde(default)]
    pub timer: TimerChoice,
}

/// What one logger achieved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerResult {
    /// Lines found in the file per second, end to end (`found / elapsed`).
    pub lines_per_sec: f64,
    /// Seconds from the first call until every line was in the file.
    pub elapsed_s: f64,
    /// Lines logged in the throughput phase.
    pub lines_expected: u64,
    /// Distinct throughput lines found in the file afterwards.
    pub lines_found: u64,
    /// Mean bytes per line in the file(s) read back.
    pub bytes_per_line: f64,
    /// Median caller-side latency of one call, ns.
    pub p50_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// 99.9th percentile, ns.
    pub p999_ns: u64,
    /// Largest, ns.
    pub max_ns: u64,
    /// Median cost of timing an empty call (included above), ns.
    pub timing_overhead_ns: u64,
    /// The timer the latency figures were taken with.
    #[serde(default)]
    pub timer: TimerKind,
    /// Peak RSS of the process through the warm-up and throughput phases
    /// (before the file is read back), KiB.
    pub peak_rss_kib: u64,
    /// Write system calls of the process during the throughput phase
    /// (`syscw` of `/proc/self/io`; io_uring writes are no system calls).
    #[serde(default)]
    pub write_syscalls: u64,
    /// CPU seconds of the process (every thread) during the throughput
    /// phase, the same interval as `elapsed_s`.
    #[serde(default)]
    pub cpu_s: f64,
    /// What the rest of the machine did during the throughput phase
    /// (other processes' CPUs, steal).
    #[serde(default)]
    pub other: OtherLoad,
}

impl PeerResult {
    /// Megabytes (10^6 bytes) of lines per second, end to end.
    pub fn mb_per_sec(&self) -> f64 {
        self.lines_per_sec * self.bytes_per_line / 1e6
    }

    /// CPUs the process kept busy on average during the throughput phase.
    pub fn cpus_used(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.cpu_s / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Lines logged but not in the file.
    pub fn lines_lost(&self) -> u64 {
        self.lines_expected.saturating_sub(self.lines_found)
    }
}

/// Runs `job` in this process. Some peers install a process-global logger,
/// so run at most one peer job per process.
pub fn run(job: &PeerJob) -> Result<PeerResult, String> {
    let dir = &job.dir;
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let name = job.name.as_str();
    let result = match name {
        URINGLOG => drive(job, |f| UringlogPeer::open(f, Route::AsyncAuto)),
        "uringlog-preformatted" => {
            drive(job, |f| UringlogPreformattedPeer::open(f, Route::AsyncAuto))
        }
        "uringlog-io_uring" => drive(job, |f| UringlogPeer::open(f, Route::AsyncIoUring)),
        "uringlog-crash-safe" => drive(job, UringlogCrashSafePeer::open),
        "uringlog-sync" => drive(job, |f| UringlogPeer::open(f, Route::Sync)),
        "tracing-appender-lossy" => drive(job, TracingPeer::<true>::open),
        "tracing-appender-lossless" => drive(job, TracingPeer::<false>::open),
        "tracing+uringlog-writer" => drive(job, TracingUringlogPeer::<false>::open),
        "tracing+uringlog-layer" => drive(job, TracingUringlogPeer::<true>::open),
        "slog-async" => drive(job, SlogPeer::open),
        "spdlog-rs" => drive(job, SpdlogPeer::open),
        "ftlog" => drive(job, FacadePeer::open_ftlog::<false>),
        "ftlog-block" => drive(job, FacadePeer::open_ftlog::<true>),
        "fast_log" => drive(job, FacadePeer::open_fast_log),
        "mutex-bufwriter" => drive(job, BaselinePeer::open),
        other => Err(format!(
            "unknown peer {other:?}; known: {}",
            PEERS.join(", ")
        )),
    };
    if !job.keep {
        let _ = fs::remove_dir_all(dir);
    }
    result
}

fn drive<P: Peer>(
    job: &PeerJob,
    open: impl Fn(&Path) -> Result<P, String>,
) -> Result<PeerResult, String> {
    let (dir, count) = (job.dir.as_path(), job.count);
    let file_for = |phase: &str| match P::PER_INSTANCE {
        true => dir.join(format!("{phase}.log")),
        false => dir.join("all.log"),
    };
    // 1. Warm-up.
    let warm = file_for("warmup");
    log_phase(open(&warm)?, 0..WARMUP_LINES, PATH_WARMUP)?;
    if P::PER_INSTANCE {
        fs::remove_file(&warm).map_err(|e| format!("removing warm-up file: {e}"))?;
    }
    // 2. Throughput, end to end, then every line counted.
    warm_for(dir, count)?;
    let p = open(&file_for("throughput"))?;
    let syscw = write_syscalls();
    let cpu = process_cpu_s();
    let load = PhaseLoad::start();
    let start = Instant::now();
    log_phase(p, 0..count, PATH_THROUGHPUT)?;
    let elapsed_s = start.elapsed().as_secs_f64();
    let cpu_s = process_cpu_s() - cpu;
    let other = load.finish();
    let write_syscalls = write_syscalls().saturating_sub(syscw);
    // The logger's peak: before the harness reads the file back, and
    // before the latency phase keeps its 200,000 samples.
    let peak_rss_kib = peak_rss_kib();
    let files = files_in(dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
    let check = check_files(&files, &LineMatcher::new(PATH_THROUGHPUT), count, 1)
        .map_err(|e| e.to_string())?;
    let found = check.found;
    // 3. Latency at a controlled rate.
    let timer = CallTimer::new(job.timer);
    let overhead = timer.overhead_ns();
    warm_for(dir, (BURSTS * BURST_LEN) as u64)?;
    let mut lat = latency_phase(open(&file_for("latency"))?, &timer)?;
    lat.sort_unstable();
    Ok(PeerResult {
        lines_per_sec: rate(found, elapsed_s),
        elapsed_s,
        lines_expected: count,
        lines_found: found,
        bytes_per_line: check.bytes_per_line(),
        p50_ns: percentile(&lat, 0.50),
        p99_ns: percentile(&lat, 0.99),
        p999_ns: percentile(&lat, 0.999),
        max_ns: lat.last().copied().unwrap_or(0),
        timing_overhead_ns: overhead,
        timer: timer.kind(),
        peak_rss_kib,
        write_syscalls,
        cpu_s,
        other,
    })
}

fn warm_for(dir: &Path, lines: u64) -> Result<(), String> {
    warm_page_cache(dir, lines * WARM_BYTES_PER_LINE)
        .map_err(|e| format!("warming the page cache: {e}"))
}

fn log_phase<P: Peer>(p: P, ids: std::ops::Range<u64>, path: &str) -> Result<(), String> {
    for id in ids {
        let (user, status) = args(id);
        p.log(id, user, path, status);
    }
    p.finish()
}

fn latency_phase<P: Peer>(p: P, timer: &CallTimer) -> Result<Vec<u64>, String> {
    let mut lat = Vec::with_capacity(BURSTS * BURST_LEN);
    let mut id = 0u64;
    for _ in 0..BURSTS {
        for _ in 0..BURST_LEN {
            let (user, status) = args(id);
            lat.push(timer.time(|| p.log(id, user, PATH_LATENCY, status)));
            id += 1;
        }
        thread::sleep(BURST_PAUSE);
    }
    p.finish()?;
    Ok(lat)
}
