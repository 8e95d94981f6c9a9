//! Latency: each call timed on the caller's side at a controlled rate —
//! bursts, then a pause long enough for the writer to drain, so the ring
//! never fills — after a trace of the first calls of a fresh logger.
//!
//! Each call is timed with the harness's [`CallTimer`] (the TSC where the
//! engine would keep time with it, else `Instant`), so every figure
//! includes one timer pair ([`LatencyResult::overhead_ns`] is its median
//! around an empty call). With bursts of 1,000 calls, one
//! call in 1,000 is the first after a pause: caches, TLB and branch
//! predictors cold, the CPU perhaps just back from idle or from another
//! thread. Those calls alone are as many as the 0.1% that p99.9 is made
//! of, so the summary of all calls is given again split in two:
//! [`LatencyResult::after_pause`] and [`LatencyResult::in_burst`].

use crate::config::EngineConfig;
use crate::measure::{
    histogram, peak_rss_kib, warm_page_cache, Bucket, LatencySummary, WARM_BYTES_PER_LINE,
};
use crate::throughput::{remove, Counts, SHUTDOWN_TIMEOUT};
use crate::timer::{CallTimer, TimerChoice, TimerKind};
use crate::verify::{check_file, FileCheck};
use crate::workload::{log_line, LineMatcher, PATH_LATENCY};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Calls traced one by one at the start (the seed's first-10 trace).
pub const TRACED_CALLS: usize = 10;

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyJob {
    /// The logger's configuration.
    pub cfg: EngineConfig,
    /// Bursts measured.
    pub bursts: usize,
    /// Calls per burst.
    pub burst_len: usize,
    /// Pause after each burst, µs.
    pub pause_us: u64,
    /// Directory for the log file.
    pub dir: PathBuf,
    /// Keep the log file.
    pub keep: bool,
    /// The timer the calls are timed with.
    #[serde(default)]
    pub timer: TimerChoice,
}

/// What was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyResult {
    /// The first [`TRACED_CALLS`] calls of a fresh logger in a fresh
    /// process, ns each (the first registers the thread's producer).
    pub first_calls_ns: Vec<u64>,
    /// Every burst call.
    pub summary: LatencySummary,
    /// Mean of the burst calls after the first burst.
    pub steady_mean_ns: f64,
    /// The first call of each burst (after a pause). Boxed, as the next,
    /// to keep the job's output small.
    #[serde(default)]
    pub after_pause: Box<LatencySummary>,
    /// Every burst call but the first of its burst.
    #[serde(default)]
    pub in_burst: Box<LatencySummary>,
    /// Median cost of timing an empty call (included in every figure).
    pub overhead_ns: u64,
    /// The timer every figure was taken with.
    #[serde(default)]
    pub timer: TimerKind,
    /// Log-scale histogram of the burst calls.
    pub histogram: Vec<Bucket>,
    /// Counters after shutdown.
    pub counts: Counts,
    /// The file read back (traced and burst calls).
    pub file: FileCheck,
    /// `Logger::io_backend()`.
    pub backend: String,
    /// Peak RSS of the process, KiB.
    pub peak_rss_kib: u64,
}

/// Runs `job` in this process. Call it first thing in a fresh process: the
/// trace is meant to show what a first call costs.
pub fn run(job: &LatencyJob) -> Result<LatencyResult, String> {
    std::fs::create_dir_all(&job.dir).map_err(|e| format!("{}: {e}", job.dir.display()))?;
    let file = job.dir.join("latency.log");
    let lines = (job.bursts * job.burst_len) as u64;
    let timer = CallTimer::new(job.timer);
    warm_page_cache(&job.dir, lines * WARM_BYTES_PER_LINE)
        .map_err(|e| format!("warming the page cache: {e}"))?;
    let (logger, guard) = job.cfg.build(&file)?;
    let backend = logger.io_backend().to_string();
    let mut id = 0u64;
    let timed = |id: &mut u64| {
        let ns = timer.time(|| log_line(&logger, *id, PATH_LATENCY));
        *id += 1;
        ns
    };
    let first_calls_ns: Vec<u64> = (0..TRACED_CALLS).map(|_| timed(&mut id)).collect();
    let mut lat = Vec::with_capacity(job.bursts * job.burst_len);
    for _ in 0..job.bursts {
        for _ in 0..job.burst_len {
            lat.push(timed(&mut id));
        }
        std::thread::sleep(Duration::from_micros(job.pause_us));
    }
    let stats = guard
        .shutdown(SHUTDOWN_TIMEOUT)
        .map_err(|e| e.to_string())?;
    let steady = &lat[job.burst_len.min(lat.len())..];
    let steady_mean_ns = if steady.is_empty() {
        0.0
    } else {
        steady.iter().sum::<u64>() as f64 / steady.len() as f64
    };
    let hist = histogram(&lat);
    let (mut after_pause, mut in_burst): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for (i, &ns) in lat.iter().enumerate() {
        match i % job.burst_len.max(1) {
            0 => after_pause.push(ns),
            _ => in_burst.push(ns),
        }
    }
    let summary = LatencySummary::from_samples(&mut lat);
    let check = check_file(&file, &LineMatcher::new(PATH_LATENCY), id, 1);
    remove(&file, job.keep)?;
    Ok(LatencyResult {
        first_calls_ns,
        summary,
        steady_mean_ns,
        after_pause: Box::new(LatencySummary::from_samples(&mut after_pause)),
        in_burst: Box::new(LatencySummary::from_samples(&mut in_burst)),
        overhead_ns: timer.overhead_ns(),
        timer: timer.kind(),
        histogram: hist,
        counts: stats.into(),
        file: check.map_err(|e| e.to_string())?,
        backend,
        peak_rss_kib: peak_rss_kib(),
    })
}
