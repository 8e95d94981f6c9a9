//! `RollingFileSink`: a log file that rotates by size, by time, or both,
//! and keeps a bounded number of old files.
//!
//! - **Names** (see `naming`): the active file is always `{stem}.{ext}`;
//!   rotation renames it to `app.2026-11-28T04.log` (by time),
//!   `app.000042.log` (by size) or `app.2026-11-28T04.000042.log` (both).
//!   A rename never replaces an existing file.
//! - **When**: by size, a file holds at most `max_file_bytes` (a single
//!   record larger than that gets a file of its own). By time, a record
//!   whose *record time* (the clock value logged with it) falls in a later
//!   period than the active file's starts a new file; a record that arrives
//!   late from a slower thread goes to the active file. Periods are minutes,
//!   hours or days at an explicit UTC offset.
//! - **Where rotation runs**: on the writer thread, between two batches.
//!   The writer closes a batch exactly at the file's limit ([`BatchLimit`]),
//!   so no record is split across files or lost at the boundary, and no
//!   producer ever waits for a rename.
//! - **Retention** (see `retention`): after each rotation the oldest rotated
//!   files are deleted until at most `keep_files` files remain (the active
//!   one included) and the rotated ones take at most `keep_total_bytes`.
//! - **Failures**: a missing directory is created when the sink opens; one
//!   that cannot be created, or an active file that cannot be opened, is an
//!   [`RollingError`] naming the path. At run time a failed rotation (the
//!   rename refused, no space for the new file) is reported through the
//!   logger (`Stats::errors`, `Logger::recent_errors`) and logging goes on
//!   into the current file; the next attempt comes at the next size limit
//!   or period. Nothing panics.
//! - **The active file** is appended to (`O_APPEND`) like a [`crate::FileSink`]'s,
//!   with the same guarantees for failed batches, also for a batch that
//!   fails after its file was rotated away. `Logger::reopen` and the
//!   reopen signal leave the sink alone (it rotates on its own). When the
//!   active file is deleted or replaced under the logger, the sink notices
//!   within about a second, as a `FileSink` does, and opens its path again
//!   (creating it); rotation then goes on from that file.

mod builder;
mod naming;
mod period;
mod rename;
mod retention;

pub use builder::{RollingBuilder, RollingError};
pub use period::{Period, UtcOffset};

use crate::active::{ActiveFile, SurvivedErrors};
use naming::Naming;
use rename::rename_noreplace;
use retention::Retention;
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use uringlog::{BatchInfo, BatchLimit, ReopenCause, Sink, Target, WriteOutcome};

/// A log file in `dir` that rotates by size and/or time. Build one with
/// [`RollingFileSink::builder`].
///
/// ```
/// use uringlog_sinks::{Period, RollingFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let sink = RollingFileSink::builder(dir.path(), "app")
///     .max_file_bytes(64 << 20)
///     .period(Period::Daily)
///     .keep_files(14)
///     .open()?;
/// let (logger, guard) = uringlog::Logger::builder().sink(sink).build()?;
/// uringlog::info!(logger, "started");
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert!(std::fs::read_to_string(dir.path().join("app.log"))?.ends_with("started\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RollingFileSink {
    dir: PathBuf,
    naming: Naming,
    max_file_bytes: Option<u64>,
    retention: Retention,
    active: ActiveFile,
    /// Unix second at which the active file's period starts (time rotation).
    period_start: i64,
    /// Bytes of the active file that do not count toward `max_file_bytes`:
    /// 0, or its length when a rotation failed (so the next try waits for
    /// another `max_file_bytes`).
    size_base: u64,
    /// Sequence number of the next rotated file.
    next_seq: u64,
    /// The file of each batch handed out and not yet completed, in order.
    inflight: VecDeque<Arc<File>>,
    /// Errors survived, for `take_error`.
    errors: SurvivedErrors,
}

impl RollingFileSink {
    /// Starts configuring a sink whose active file is `{dir}/{stem}.log`.
    pub fn builder(dir: impl Into<PathBuf>, stem: impl Into<String>) -> RollingBuilder {
        RollingBuilder::new(dir.into(), stem.into())
    }

    /// The active file's path.
    pub fn path(&self) -> &std::path::Path {
        &self.active.path
    }

    /// Bytes of the active file counted toward `max_file_bytes`.
    fn used(&self) -> u64 {
        self.active.len.saturating_sub(self.size_base)
    }

    /// Whether the batch `b` must go to a new file.
    fn due(&self, b: &BatchInfo) -> bool {
        let by_size = self
            .max_file_bytes
            .is_some_and(|max| self.used() > 0 && self.used() + b.len as u64 > max);
        let by_time = self
            .naming
            .period
            .is_some_and(|p| b.first_unix_nanos >= p.end_nanos(self.period_start));
        by_size || by_time
    }

    /// Closes the active file under its rotated name and opens a new one.
    /// On failure, keeps writing into the current file and queues the error.
    fn rotate(&mut self, first_unix_nanos: u64) {
        let from = self.active.path.clone();
        let to = self
            .dir
            .join(self.naming.rotated(self.period_start, self.next_seq));
        if let Some(p) = self.naming.period {
            self.period_start = p.start_of(first_unix_nanos).max(self.period_start);
        }
        if self.active.len == 0 {
            self.size_base = 0;
            return;
        }
        if let Err(e) = rename_noreplace(&from, &to) {
            self.size_base = self.active.len;
            let msg = format!(
                "cannot rotate {} to {}: {e}; still writing to {}",
                from.display(),
                to.display(),
                from.display()
            );
            self.push_error(io::Error::new(e.kind(), msg));
            return;
        }
        self.next_seq += 1;
        match ActiveFile::open(&from, false) {
            Ok(f) => {
                self.active = f;
                self.size_base = 0;
            }
            Err(e) => {
                // Keep writing into the renamed file; give it its name back if we can.
                let now = match rename_noreplace(&to, &from) {
                    Ok(()) => &from,
                    Err(_) => &to,
                };
                self.size_base = self.active.len;
                let msg = format!(
                    "cannot start a new log file: {e}; still writing to {}",
                    now.display()
                );
                self.push_error(io::Error::new(e.source.kind(), msg));
                return;
            }
        }
        self.prune();
    }

    /// Applies retention, queueing one error for whatever it could not do.
    fn prune(&mut self) {
        let errs = retention::prune(&self.dir, &self.naming, self.retention);
        if let Some(first) = errs.first() {
            let msg = format!("{} retention error(s); first: {first}", errs.len());
            self.push_error(io::Error::new(first.kind(), msg));
        }
    }

    fn push_error(&mut self, e: io::Error) {
        self.errors.push(e);
    }
}

impl Sink for RollingFileSink {
    fn describe(&self) -> String {
        self.active.path.display().to_string()
    }

    /// Without a record time only size rotation applies.
    fn target(&mut self, len: usize) -> io::Result<Target> {
        self.target_batch(&BatchInfo::new(len, 0))
    }

    fn target_batch(&mut self, batch: &BatchInfo) -> io::Result<Target> {
        if self.due(batch) {
            self.rotate(batch.first_unix_nanos);
        }
        self.inflight.push_back(self.active.file.clone());
        Ok(self.active.reserve(batch.len))
    }

    fn batch_limit(&self) -> BatchLimit {
        let bytes = self
            .max_file_bytes
            .map_or(u64::MAX, |max| max.saturating_sub(self.used()));
        let before = self
            .naming
            .period
            .map_or(u64::MAX, |p| p.end_nanos(self.period_start));
        BatchLimit::new(bytes, before)
    }

    fn take_error(&mut self) -> Option<io::Error> {
        self.errors.take()
    }

    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        let file = self.inflight.pop_front();
        if outcome.error.is_none() {
            return;
        }
        let Some(file) = file else {
            return;
        };
        // The engine cut what reached the file; a batch for a file already
        // rotated away needs nothing more.
        if Arc::ptr_eq(&file, &self.active.file) {
            if let Some(e) = self.active.failed(outcome) {
                self.push_error(e);
            }
        }
    }

    fn path_changed(&mut self) -> bool {
        self.active.path_changed()
    }

    /// Only when the active file was deleted or replaced: the sink rotates
    /// on its own, so a requested reopen changes nothing.
    fn reopen(&mut self, cause: ReopenCause) -> io::Result<()> {
        if cause != ReopenCause::PathChanged {
            return Ok(());
        }
        self.active.reopen()?;
        self.size_base = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
