//! Memory per thread and per policy: many threads each log one record and
//! stay alive while the process's resident memory is read; then as many
//! threads, one after another, each spawn, log once and exit (churn).
//!
//! The resident memory (`/proc/self/statm`, not the peak) is read before
//! the threads start and once every thread has logged and the writer has
//! adopted its ring; the difference over the thread count is the cost of
//! one thread that logged once. A control run starts the same threads
//! without logging: its figure is the thread itself (stack, TLS).

use crate::config::{EngineConfig, PolicyName, Route};
use crate::throughput::{remove, Counts, SHUTDOWN_TIMEOUT};
use crate::workload::{log_line, PATH_THROUGHPUT};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::Instant;
use uringlog::{Logger, Prefault};

/// What the threads of a run do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreadCase {
    /// Start, do not log (the thread's own cost).
    Control,
    /// Log once under `policy`; `lazy` asks for `Prefault::Lazy`.
    Log {
        /// The policy.
        policy: PolicyName,
        /// `Prefault::Lazy` instead of the default `Prefault::Ring`.
        lazy: bool,
    },
}

impl fmt::Display for ThreadCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadCase::Control => f.write_str("threads that do not log (control)"),
            ThreadCase::Log { policy, lazy } => {
                let pre = match (policy, lazy) {
                    (PolicyName::DropOldest, _) => "ring mapped as written (always)",
                    (_, true) => "Prefault::Lazy",
                    (_, false) => "Prefault::Ring (default): ring mapped at registration",
                };
                write!(f, "{policy}, {pre}")
            }
        }
    }
}

/// The cases of the report, in table order.
pub const CASES: [ThreadCase; 5] = [
    ThreadCase::Control,
    ThreadCase::Log {
        policy: PolicyName::Block,
        lazy: false,
    },
    ThreadCase::Log {
        policy: PolicyName::DropNewest,
        lazy: false,
    },
    ThreadCase::Log {
        policy: PolicyName::DropOldest,
        lazy: false,
    },
    ThreadCase::Log {
        policy: PolicyName::Block,
        lazy: true,
    },
];

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadsJob {
    /// What each thread does.
    pub case: ThreadCase,
    /// Threads alive at once, and threads of the churn phase.
    pub threads: usize,
    /// Directory for the log file.
    pub dir: PathBuf,
    /// Keep the log file.
    pub keep: bool,
}

/// What was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadsResult {
    /// Threads alive at once.
    pub threads: usize,
    /// Resident memory before the threads started, KiB.
    pub rss_before_kib: u64,
    /// Resident memory with every thread alive after its log call, KiB.
    pub rss_with_threads_kib: u64,
    /// Mean time per churned thread (spawn, log once, exit, join), ns.
    pub churn_ns_per_thread: f64,
    /// The ring capacity of the run, bytes.
    pub ring_capacity: usize,
    /// Counters after shutdown.
    pub counts: Counts,
}

impl ThreadsResult {
    /// Resident memory one thread added, KiB.
    pub fn kib_per_thread(&self) -> f64 {
        let d = self
            .rss_with_threads_kib
            .saturating_sub(self.rss_before_kib);
        d as f64 / self.threads.max(1) as f64
    }
}

/// Resident memory of this process now, KiB (`/proc/self/statm`).
pub fn current_rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    pages * page / 1024
}

/// Runs `job` in this process.
pub fn run(job: &ThreadsJob) -> Result<ThreadsResult, String> {
    std::fs::create_dir_all(&job.dir).map_err(|e| format!("{}: {e}", job.dir.display()))?;
    let file = job.dir.join("threads.log");
    let mut cfg = EngineConfig::default_with(Route::AsyncAuto);
    let (log, lazy) = match job.case {
        ThreadCase::Control => (false, false),
        ThreadCase::Log { policy, lazy } => {
            cfg.policy = policy;
            (true, lazy)
        }
    };
    let prefault = if lazy { Prefault::Lazy } else { Prefault::Ring };
    let (logger, guard) = cfg.build_with(&file, |b| b.prefault(prefault))?;
    log_line(&logger, 0, PATH_THROUGHPUT);
    logger.flush().map_err(|e| e.to_string())?;
    let rss_before_kib = current_rss_kib();
    let rss_with_threads_kib = alive_together(&logger, job.threads, log)?;
    let start = Instant::now();
    for t in 0..job.threads {
        let l = logger.clone();
        std::thread::spawn(move || {
            if log {
                log_line(&l, t as u64 + 1, PATH_THROUGHPUT);
            }
        })
        .join()
        .map_err(|_| "a churn thread panicked".to_owned())?;
    }
    let churn = start.elapsed().as_nanos() as f64 / job.threads.max(1) as f64;
    let stats = guard
        .shutdown(SHUTDOWN_TIMEOUT)
        .map_err(|e| e.to_string())?;
    remove(&file, job.keep)?;
    Ok(ThreadsResult {
        threads: job.threads,
        rss_before_kib,
        rss_with_threads_kib,
        churn_ns_per_thread: churn,
        ring_capacity: cfg.ring_capacity,
        counts: stats.into(),
    })
}

/// Starts `n` threads that each log once (if `log`) and wait; reads the
/// resident memory once all have logged and the writer has their rings.
fn alive_together(logger: &Logger, n: usize, log: bool) -> Result<u64, String> {
    let logged = Arc::new(Barrier::new(n + 1));
    let release = Arc::new(Barrier::new(n + 1));
    let handles: Vec<_> = (0..n)
        .map(|t| {
            let (l, a, b) = (logger.clone(), logged.clone(), release.clone());
            std::thread::spawn(move || {
                if log {
                    log_line(&l, t as u64 + 1, PATH_THROUGHPUT);
                }
                a.wait();
                b.wait();
            })
        })
        .collect();
    logged.wait();
    logger.flush().map_err(|e| e.to_string())?;
    let rss = current_rss_kib();
    release.wait();
    for h in handles {
        h.join().map_err(|_| "a thread panicked".to_owned())?;
    }
    Ok(rss)
}
