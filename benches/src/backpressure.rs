//! Backpressure: a burst of calls into a ring with room for about
//! [`RING_RECORDS`] records, under one policy; what was enqueued, written,
//! dropped, and what the file holds.

use crate::config::{EngineConfig, PolicyName, Route};
use crate::throughput::{remove, Counts, SHUTDOWN_TIMEOUT};
use crate::verify::{check_file, FileCheck};
use crate::workload::{log_line, record_bytes, LineMatcher, PATH_THROUGHPUT};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// Records the small ring is sized for (the seed's queue had 100 slots).
pub const RING_RECORDS: usize = 100;

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackpressureJob {
    /// The logger's configuration (ring capacity included).
    pub cfg: EngineConfig,
    /// Calls, back to back from one thread.
    pub count: u64,
    /// Directory for the log file.
    pub dir: PathBuf,
    /// Keep the log file.
    pub keep: bool,
}

impl BackpressureJob {
    /// A job with the default configuration but `policy` and a ring sized
    /// for [`RING_RECORDS`] workload records.
    pub fn new(policy: PolicyName, count: u64, dir: PathBuf, keep: bool) -> BackpressureJob {
        let mut cfg = EngineConfig::default_with(Route::AsyncAuto);
        cfg.policy = policy;
        cfg.ring_capacity = RING_RECORDS * record_bytes(count);
        BackpressureJob {
            cfg,
            count,
            dir,
            keep,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackpressureResult {
    /// Counters after shutdown.
    pub counts: Counts,
    /// The file read back.
    pub file: FileCheck,
    /// Seconds until the last call returned.
    pub calls_s: f64,
}

/// Runs `job` in this process.
pub fn run(job: &BackpressureJob) -> Result<BackpressureResult, String> {
    std::fs::create_dir_all(&job.dir).map_err(|e| format!("{}: {e}", job.dir.display()))?;
    let file = job.dir.join("backpressure.log");
    let (logger, guard) = job.cfg.build(&file)?;
    let start = Instant::now();
    for id in 0..job.count {
        log_line(&logger, id, PATH_THROUGHPUT);
    }
    let calls_s = start.elapsed().as_secs_f64();
    let stats = guard
        .shutdown(SHUTDOWN_TIMEOUT)
        .map_err(|e| e.to_string())?;
    let check = check_file(&file, &LineMatcher::new(PATH_THROUGHPUT), job.count, 1);
    remove(&file, job.keep)?;
    Ok(BackpressureResult {
        counts: stats.into(),
        file: check.map_err(|e| e.to_string())?,
        calls_s,
    })
}
