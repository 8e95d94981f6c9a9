//! Throughput: `count` calls from `threads` producers, timed from the first
//! call until shutdown has written everything, then the file is read back.

use crate::config::{EngineConfig, Route};
use crate::measure::{median, peak_rss_kib, reset_peak_rss, warm_page_cache, WARM_BYTES_PER_LINE};
use crate::verify::{check_file, FileCheck};
use crate::workload::{args, log_line, LineMatcher, PATH_THROUGHPUT, TARGET};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use std::time::{SystemTime, UNIX_EPOCH};
use uringlog::{Logger, Stats};

/// How long shutdown may take before the run counts it as failed.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThroughputJob {
    /// The logger's configuration.
    pub cfg: EngineConfig,
    /// Calls in all, shared among the producers.
    pub count: u64,
    /// Producer threads (the calling thread is one of them).
    pub threads: usize,
    /// Timed repetitions (each with a fresh logger and file).
    pub reps: usize,
    /// Whether to run one untimed repetition first.
    pub warmup: bool,
    /// Directory for the log files.
    pub dir: PathBuf,
    /// Keep the log files.
    pub keep: bool,
}

/// The engine's counters, as they cross the process boundary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// `Stats::enqueued`.
    pub enqueued: u64,
    /// `Stats::written`.
    pub written: u64,
    /// `Stats::dropped`.
    pub dropped: u64,
    /// `Stats::bytes_written`.
    pub bytes_written: u64,
    /// `Stats::batches`.
    pub batches: u64,
    /// `Stats::io_submits`.
    pub io_submits: u64,
    /// `Stats::errors`.
    pub errors: u64,
}

impl From<Stats> for Counts {
    fn from(s: Stats) -> Counts {
        Counts {
            enqueued: s.enqueued,
            written: s.written,
            dropped: s.dropped,
            bytes_written: s.bytes_written,
            batches: s.batches,
            io_submits: s.io_submits,
            errors: s.errors,
        }
    }
}

impl Counts {
    /// `written + dropped == enqueued`.
    pub fn balanced(&self) -> bool {
        self.written + self.dropped == self.enqueued
    }
}

/// One timed repetition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rep {
    /// Seconds until the last call returned.
    pub calls_s: f64,
    /// Seconds until shutdown returned: every record written.
    pub end_to_end_s: f64,
    /// Seconds `shutdown` took.
    pub shutdown_s: f64,
    /// Why shutdown failed, if it did.
    pub shutdown_error: Option<String>,
    /// Counters after shutdown.
    pub counts: Counts,
    /// The file read back.
    pub file: FileCheck,
    /// `Logger::io_backend()` after shutdown (what `Auto` ended up with).
    #[serde(default)]
    pub backend: String,
    /// The interleaved round it ran in (section 1's large rows, see
    /// `rounds`); `None` for a repetition of a job of its own.
    #[serde(default)]
    pub round: Option<usize>,
}

/// `(min, max)` of `v`; `(0, 0)` when empty.
pub fn min_max(v: impl IntoIterator<Item = f64>) -> (f64, f64) {
    v.into_iter()
        .fold(None, |acc: Option<(f64, f64)>, x| match acc {
            None => Some((x, x)),
            Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
        })
        .unwrap_or((0.0, 0.0))
}

/// The repetitions of a job and what the process cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThroughputResult {
    /// Calls per repetition.
    pub count: u64,
    /// Producer threads.
    pub threads: usize,
    /// Timed repetitions.
    pub reps: Vec<Rep>,
    /// `Logger::io_backend()` after the first timed repetition.
    pub backend: String,
    /// Peak RSS of the process while it logged (the highest of the timed
    /// repetitions; reading the files back is not counted), KiB.
    pub peak_rss_kib: u64,
}

impl ThroughputResult {
    /// Median seconds from the first call to shutdown done.
    pub fn end_to_end_s(&self) -> f64 {
        median(&self.reps.iter().map(|r| r.end_to_end_s).collect::<Vec<_>>())
    }

    /// Median seconds until the last call returned.
    pub fn calls_s(&self) -> f64 {
        median(&self.reps.iter().map(|r| r.calls_s).collect::<Vec<_>>())
    }

    /// Median seconds shutdown took.
    pub fn shutdown_s(&self) -> f64 {
        median(&self.reps.iter().map(|r| r.shutdown_s).collect::<Vec<_>>())
    }

    /// Lines in the file per second, end to end (median repetition).
    pub fn lines_per_sec(&self) -> f64 {
        let found = self.reps.iter().map(|r| r.file.found).min().unwrap_or(0);
        rate(found, self.end_to_end_s())
    }

    /// Lowest and highest end-to-end seconds over the repetitions.
    pub fn end_to_end_range(&self) -> (f64, f64) {
        min_max(self.reps.iter().map(|r| r.end_to_end_s))
    }

    /// Lowest and highest "calls returned" seconds over the repetitions.
    pub fn calls_range(&self) -> (f64, f64) {
        min_max(self.reps.iter().map(|r| r.calls_s))
    }

    /// Lowest and highest lines/s over the repetitions (each its own).
    pub fn rate_range(&self) -> (f64, f64) {
        min_max(self.reps.iter().map(|r| rate(r.file.found, r.end_to_end_s)))
    }
}

/// `n / secs`, 0 for an empty interval.
pub fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// Runs `job` in this process.
pub fn run(job: &ThroughputJob) -> Result<ThroughputResult, String> {
    let mut out = ThroughputResult {
        count: job.count,
        threads: job.threads.max(1),
        ..ThroughputResult::default()
    };
    prepare(job, one_rep)?;
    for i in 0..job.reps.max(1) {
        let file = job.dir.join(format!("rep{i}.log"));
        let (rep, peak) = one_rep(job, &file)?;
        if out.reps.is_empty() {
            out.backend = rep.backend.clone();
        }
        out.reps.push(rep);
        out.peak_rss_kib = out.peak_rss_kib.max(peak);
        remove(&file, job.keep)?;
    }
    Ok(out)
}

/// What [`run`] costs in memory with nothing logged: the same warming of
/// the page cache, warm-up and repetitions, producer threads making every
/// call's arguments (and nothing more), each file created and read back
/// (empty), the peak taken the same way. Peak RSS, KiB: the harness's own
/// code and data, which every row of [`run`] holds too.
pub fn harness_only(job: &ThroughputJob) -> Result<u64, String> {
    prepare(job, harness_rep)?;
    let mut peak = 0;
    for i in 0..job.reps.max(1) {
        let file = job.dir.join(format!("rep{i}.log"));
        peak = peak.max(harness_rep(job, &file)?);
        remove(&file, job.keep)?;
    }
    Ok(peak)
}

/// Makes `job`'s directory and, when it asks for a warm-up, warms the page
/// cache and runs `rep` once on a file deleted afterwards.
fn prepare<T>(
    job: &ThroughputJob,
    rep: impl FnOnce(&ThroughputJob, &Path) -> Result<T, String>,
) -> Result<(), String> {
    std::fs::create_dir_all(&job.dir).map_err(|e| format!("{}: {e}", job.dir.display()))?;
    if job.warmup {
        let bytes = job.count * WARM_BYTES_PER_LINE;
        warm_page_cache(&job.dir, bytes).map_err(|e| format!("warming the page cache: {e}"))?;
        let file = job.dir.join("warmup.log");
        rep(job, &file)?;
        remove(&file, false)?;
    }
    Ok(())
}

/// One repetition of [`harness_only`]: its peak RSS, KiB.
fn harness_rep(job: &ThroughputJob, file: &Path) -> Result<u64, String> {
    reset_peak_rss().map_err(|e| e.to_string())?;
    std::fs::File::create(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (n, count) = (job.threads.max(1), job.count);
    run_producers(n, |t| {
        move || {
            let mut id = t as u64;
            while id < count {
                std::hint::black_box(args(std::hint::black_box(id)));
                id += n as u64;
            }
        }
    })?;
    let peak = peak_rss_kib();
    let matcher = LineMatcher::new(PATH_THROUGHPUT);
    check_file(file, &matcher, count, n as u64).map_err(|e| e.to_string())?;
    Ok(peak)
}

/// Deletes a finished log file (unless kept) so its pages are reused by the
/// next repetition right away.
pub fn remove(file: &Path, keep: bool) -> Result<(), String> {
    if keep {
        return Ok(());
    }
    std::fs::remove_file(file).map_err(|e| format!("removing {}: {e}", file.display()))
}

/// One repetition and the process's peak RSS while it logged, KiB: the
/// peak starts anew before it (what the harness did before, such as
/// checking the last file, is not counted) and is read before its file is
/// read back and checked.
fn one_rep(job: &ThroughputJob, file: &Path) -> Result<(Rep, u64), String> {
    reset_peak_rss().map_err(|e| e.to_string())?;
    let (timed, counts, backend) = timed_rep(&job.cfg, job.count, job.threads, file)?;
    let peak = peak_rss_kib();
    let matcher = LineMatcher::new(PATH_THROUGHPUT);
    let n = job.threads.max(1) as u64;
    let checked = check_file(file, &matcher, job.count, n).map_err(|e| e.to_string())?;
    let rep = Rep {
        counts,
        file: checked,
        backend,
        ..timed
    };
    Ok((rep, peak))
}

/// Builds a logger on `file`, logs `count` calls from `threads` producers
/// and shuts it down: the timings (counters and file left empty), the final
/// counters and the backend used (after shutdown: what `Auto` decided).
/// For benchmarks as well as the report. [`Route::MutexBufWriter`] runs the
/// baseline instead of the engine.
pub fn timed_rep(
    cfg: &EngineConfig,
    count: u64,
    threads: usize,
    file: &Path,
) -> Result<(Rep, Counts, String), String> {
    if cfg.route == Route::MutexBufWriter {
        return baseline_rep(count, threads, file);
    }
    let (logger, guard) = cfg.build(file)?;
    let n = threads.max(1);
    let start = run_producers(n, |t| {
        let l = logger.clone();
        move || log_share(&l, t, n, count)
    })?;
    let calls_s = start.elapsed().as_secs_f64();
    let before_shutdown = Instant::now();
    let shut = guard.shutdown(SHUTDOWN_TIMEOUT);
    let rep = Rep {
        calls_s,
        end_to_end_s: start.elapsed().as_secs_f64(),
        shutdown_s: before_shutdown.elapsed().as_secs_f64(),
        shutdown_error: shut.as_ref().err().map(|e| e.to_string()),
        ..Rep::default()
    };
    let stats = shut.unwrap_or_else(|_| logger.stats());
    Ok((rep, stats.into(), logger.io_backend().to_string()))
}

/// Runs `make(t)` for producers `t` in `0..n` (the calling thread is
/// producer 0), started together; returns when they started.
fn run_producers<F: FnOnce() + Send + 'static>(
    n: usize,
    make: impl Fn(usize) -> F,
) -> Result<Instant, String> {
    let barrier = Arc::new(Barrier::new(n));
    let others: Vec<_> = (1..n)
        .map(|t| {
            let (f, b) = (make(t), barrier.clone());
            thread::spawn(move || {
                b.wait();
                f();
            })
        })
        .collect();
    let mine = make(0);
    barrier.wait();
    let start = Instant::now();
    mine();
    for h in others {
        h.join()
            .map_err(|_| "a producer thread panicked".to_owned())?;
    }
    Ok(start)
}

/// The fair synchronous baseline: each producer formats the line (time,
/// level, target, message) and appends it under one `Mutex<BufWriter>`;
/// "shutdown" is the final flush.
fn baseline_rep(count: u64, threads: usize, file: &Path) -> Result<(Rep, Counts, String), String> {
    let f = std::fs::File::create(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let out = Arc::new(Mutex::new(BufWriter::new(f)));
    let n = threads.max(1);
    let start = run_producers(n, |t| {
        let out = out.clone();
        move || {
            let mut id = t as u64;
            while id < count {
                baseline_line(&out, id, PATH_THROUGHPUT);
                id += n as u64;
            }
        }
    })?;
    let calls_s = start.elapsed().as_secs_f64();
    let before_shutdown = Instant::now();
    let flushed = out.lock().map_err(|e| e.to_string())?.flush();
    let rep = Rep {
        calls_s,
        end_to_end_s: start.elapsed().as_secs_f64(),
        shutdown_s: before_shutdown.elapsed().as_secs_f64(),
        shutdown_error: flushed.as_ref().err().map(|e| e.to_string()),
        ..Rep::default()
    };
    let counts = Counts {
        enqueued: count,
        written: if flushed.is_ok() { count } else { 0 },
        dropped: if flushed.is_ok() { 0 } else { count },
        ..Counts::default()
    };
    Ok((rep, counts, "caller writes through BufWriter".to_owned()))
}

/// Formats workload line `id` in the caller and appends it under the lock.
pub fn baseline_line(out: &Mutex<BufWriter<std::fs::File>>, id: u64, path: &str) {
    let (user, status) = args(id);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = String::with_capacity(128);
    let _ = writeln!(
        line,
        "{}.{:06} INFO {TARGET}: request id={id} user={user} path={path} status={status}",
        now.as_secs(),
        now.subsec_micros(),
    );
    if let Ok(mut w) = out.lock() {
        let _ = w.write_all(line.as_bytes());
    }
}

/// Producer `t` of `n` logs ids `t, t + n, …` below `count`.
fn log_share(logger: &Logger, t: usize, n: usize, count: u64) {
    let mut id = t as u64;
    while id < count {
        log_line(logger, id, PATH_THROUGHPUT);
        id += n as u64;
    }
}
