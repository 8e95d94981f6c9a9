//! `RollingFileSink`: a log file that rotates by size, by time, or both,
//! and keeps a bounded number of old files.
//!
//! What it guarantees and how it names files is documented on
//! [`RollingFileSink`] (`rolling.md`), where it renders for users.

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
use retention::{Expected, Pruning, Retention};
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// How far before the active period the clock must read for the sink to
/// follow it back: less is taken for the error of a record's time (one
/// converted from the TSC may run a little ahead of the wall clock, so a
/// rotation can come just before the wall clock reaches the period).
const STEP_BACK_NANOS: i128 = 1_000_000_000;

/// Names a rotation tries while they are taken before it gives up (and
/// writing goes on into the active file).
const NAMES_TRIED: u32 = 100;
use std::sync::Arc;
use uringlog::{BatchInfo, BatchLimit, Clock, ReopenCause, Sink, Target, WriteOutcome};

#[doc = include_str!("rolling.md")]
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
    /// Read when a batch's record time lies before `period_start`: a wall
    /// clock that reads before it too has gone back (else the record is late).
    clock: Clock,
    /// Bytes of the active file that do not count toward `max_file_bytes`:
    /// 0, or its length when a rotation failed (so the next try waits for
    /// another `max_file_bytes`).
    size_base: u64,
    /// Sequence number of the next rotated file.
    next_seq: u64,
    /// The file of each batch handed out and not yet completed, in order.
    inflight: VecDeque<Arc<File>>,
    /// Files left (rotated away, or no longer at the path) that batches
    /// in `inflight` still go to, with
    /// what each will hold once they land (retention counts that, not
    /// what has landed so far); each goes with its last batch's outcome.
    leaving: Vec<Leaving>,
    /// A rotation found no room for the next file (`ENOSPC`, `EDQUOT`)
    /// after retention deleted files the writer may still hold open, or
    /// a write to the active file found no room while retention may free
    /// some: the next batch rotates (tries again).
    retry_rotation: bool,
    /// News for `take_notice` (a rotation that tries again).
    notice: Option<String>,
    /// Errors survived, for `take_error`.
    errors: SurvivedErrors,
}

/// A file left with batches still in flight to it; its
/// preallocated blocks are freed once the last one landed.
#[derive(Debug)]
struct Leaving {
    file: ActiveFile,
    expected: Expected,
}

/// Whether `e` says the file system (or a quota) has no room left:
/// retention may make some.
fn no_room(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

impl RollingFileSink {
    /// Starts configuring a sink whose active file is `{dir}/{stem}.log`.
    /// Its rotated names (see *File names*) must fit in 255 bytes, by
    /// size with any sequence number up to `u64::MAX` (20 digits);
    /// [`RollingBuilder::open`] refuses a stem too long for them.
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
        // A later period, not "at or past the end": the last period of the
        // clock ends past `u64` (`end_nanos` reads `u64::MAX` for it).
        let by_time = self
            .naming
            .period
            .is_some_and(|p| p.start_of(b.first_unix_nanos) > self.period_start);
        by_size || by_time || self.retry_rotation
    }

    /// When the batch's record time lies before the active period and the
    /// clock reads at least [`STEP_BACK_NANOS`] before it too, the wall
    /// clock went back: the active file takes the period of the record
    /// time, so it rolls at that period's end (see `rolling.md`). A record
    /// that is only late (the clock still reads within or after the
    /// period) changes nothing.
    fn follow_clock_back(&mut self, first_unix_nanos: u64) {
        let Some(p) = self.naming.period else {
            return;
        };
        let start = p.start_of(first_unix_nanos);
        if start >= self.period_start {
            return;
        }
        let now = self.clock.now_unix_nanos() as i128;
        if now + STEP_BACK_NANOS <= self.period_start as i128 * 1_000_000_000 {
            self.period_start = start;
        }
    }

    /// Closes the active file under its rotated name and opens a new one,
    /// then applies retention. On failure, keeps writing into the current
    /// file and queues the error (or a notice, see `open_next`).
    fn rotate(&mut self, first_unix_nanos: u64) {
        self.retry_rotation = false;
        let from = self.active.path.clone();
        let label_start = self.period_start;
        if let Some(p) = self.naming.period {
            self.period_start = p.start_of(first_unix_nanos).max(self.period_start);
        }
        if self.active.path_changed() {
            self.take_over_changed_path();
            return;
        }
        if self.active.len == 0 {
            self.size_base = 0;
            return;
        }
        let to = match self.rename_to_free_name(&from, label_start) {
            Ok(to) => to,
            Err((to, e)) => {
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
        };
        let Some(next) = self.open_next(&from, &to) else {
            return;
        };
        self.switch_to(next);
        self.prune(Some(&to), false);
    }

    /// Makes `next` the active file. The one left has its preallocated
    /// blocks freed now, or, while batches are in flight to it, once the
    /// last one landed (see `let_go_of_landed`).
    fn switch_to(&mut self, next: ActiveFile) {
        let mut left = std::mem::replace(&mut self.active, next);
        self.size_base = 0;
        if self.inflight.iter().any(|f| Arc::ptr_eq(f, &left.file)) {
            let expected = Expected {
                id: left.id(),
                len: left.len,
            };
            self.leaving.push(Leaving {
                file: left,
                expected,
            });
        } else if let Some(e) = left.give_back() {
            self.push_error(e);
        }
    }

    /// Opens the next active file at `from`, the active one having been
    /// renamed to `to`. Short of room for it (`ENOSPC`, `EDQUOT`: no
    /// inode left, or a quota), retention first deletes what it would
    /// after the rotation (never `to`, still written to) and the open is
    /// tried again. On failure, gives `to` its name back if it can, keeps
    /// writing into it and queues an error; or, when retention deleted
    /// files (the writer may hold them open until told of it, so their
    /// room comes back only then), a notice, and the next batch tries again.
    fn open_next(&mut self, from: &Path, to: &Path) -> Option<ActiveFile> {
        let step = self.active.preallocate_bytes();
        let open = |path| ActiveFile::open(path, false).map(|f| f.preallocating(step));
        let mut e = match open(from) {
            Ok(f) => return Some(f),
            Err(e) => e,
        };
        let mut deleted = 0;
        if no_room(&e.source) {
            deleted = self.prune(Some(to), true);
        }
        if deleted > 0 {
            match open(from) {
                Ok(f) => return Some(f),
                Err(again) => e = again,
            }
        }
        // Keep writing into the renamed file; give it its name back if we can.
        let now = match rename_noreplace(to, from) {
            Ok(()) => from,
            Err(_) => to,
        };
        self.size_base = self.active.len;
        let still = format!("still writing to {}", now.display());
        if deleted > 0 {
            self.retry_rotation = true;
            self.notice = Some(format!(
                "cannot start a new log file yet: {e}; retention deleted {deleted} file(s) \
                 to make room, the next batch tries again; {still}"
            ));
        } else {
            let msg = format!("cannot start a new log file: {e}; {still}");
            self.push_error(io::Error::new(e.source.kind(), msg));
        }
        None
    }

    /// At a rotation, when the active file's path no longer names it
    /// (another program renamed or deleted it, or put something else
    /// there): what is at the path is not this sink's to rename. Opens
    /// the path again, as the check the writer makes about once a second
    /// would (making the directory again if it is gone); when that fails
    /// (a directory is there), queues an error naming the path and keeps
    /// writing into the file open before.
    fn take_over_changed_path(&mut self) {
        if let Err(e) = self.reopen_active() {
            self.size_base = self.active.len;
            let msg = format!(
                "cannot rotate {}: it no longer names the file being written \
                 (renamed, deleted or replaced) and cannot be opened again: {e}",
                self.active.path.display()
            );
            self.push_error(io::Error::new(e.kind(), msg));
        }
    }

    /// Opens the active file's path again (creating the file), and first
    /// its directory when that is gone too, as opening the sink does;
    /// on failure keeps the file open before. The file left is let go of
    /// as at a rotation (see `switch_to`).
    fn reopen_active(&mut self) -> io::Result<()> {
        let dir = self.active.absolute().parent().map(Path::to_path_buf);
        if let Some(dir) = dir.filter(|d| d.symlink_metadata().is_err()) {
            uringlog::__private::create_dir_all(&dir).map_err(|e| {
                let msg = format!(
                    "cannot create log directory {}: {e}; still writing to the file open before",
                    dir.display()
                );
                io::Error::new(e.kind(), msg)
            })?;
        }
        let next = self.active.open_again()?;
        self.switch_to(next);
        Ok(())
    }

    /// Renames the active file `from` to its rotated name for the period
    /// starting at `label_start`, or, while that name is taken, to the
    /// next sequence number's (at most [`NAMES_TRIED`] names); returns the
    /// name taken, or the last one tried and why it failed (a taken name
    /// at the last number, `u64::MAX`, ends the search too).
    fn rename_to_free_name(
        &mut self,
        from: &Path,
        label_start: i64,
    ) -> Result<PathBuf, (PathBuf, io::Error)> {
        // By time alone the first name has no number and a taken one makes
        // the next take 1, 2, …; by size the numbers go on from `next_seq`.
        let mut seq = if self.naming.sized { self.next_seq } else { 0 };
        let mut tried = 0;
        loop {
            let to = self.dir.join(self.naming.rotated(label_start, seq));
            tried += 1;
            match rename_noreplace(from, &to) {
                Ok(()) => {
                    if self.naming.sized {
                        // At the last number the next rotation finds it taken.
                        self.next_seq = seq.saturating_add(1);
                    }
                    return Ok(to);
                }
                Err(e)
                    if e.raw_os_error() == Some(libc::EEXIST)
                        && tried < NAMES_TRIED
                        && seq < u64::MAX =>
                {
                    seq += 1;
                }
                Err(e) => {
                    if self.naming.sized {
                        self.next_seq = seq;
                    }
                    return Err((to, e));
                }
            }
        }
    }

    /// Rotates first when `batch` is due, then reserves room for it in
    /// the active file.
    fn place(&mut self, batch: &BatchInfo) -> Target {
        if self.due(batch) {
            self.rotate(batch.first_unix_nanos);
        }
        self.inflight.push_back(self.active.file.clone());
        self.active.reserve(batch.len)
    }

    /// Applies retention, `newest` the file just rotated (kept before any
    /// other, and not deleted at all with `keep_newest`), queueing one
    /// error for whatever it could not do; returns the files deleted.
    /// Files with batches in flight count what they will hold.
    fn prune(&mut self, newest: Option<&Path>, keep_newest: bool) -> usize {
        let active = self
            .naming
            .period
            .map_or(String::new(), |p| p.label(self.period_start));
        let mut expected: Vec<Expected> = self.leaving.iter().map(|l| l.expected).collect();
        // After a rotation that could not open the next file, `newest`
        // is the file being written.
        expected.push(Expected {
            id: self.active.id(),
            len: self.active.len,
        });
        let how = Pruning {
            active: &active,
            newest,
            keep_newest,
            expected: &expected,
        };
        let pruned = retention::prune(&self.dir, &self.naming, self.retention, &how);
        if let Some(first) = pruned.errors.first() {
            let msg = format!("{} retention error(s); first: {first}", pruned.errors.len());
            self.push_error(io::Error::new(first.kind(), msg));
        }
        pruned.deleted
    }

    /// A batch to `file` ended. When it failed (with `e`) the engine cut
    /// what reached the file: the active file takes its bytes off its
    /// count (and, out of room, rotates at the next batch when retention
    /// may make some); a file already rotated away, off what it will hold.
    fn landed(&mut self, file: &Arc<File>, outcome: &WriteOutcome<'_>) {
        if Arc::ptr_eq(file, &self.active.file) {
            if let Some(e) = self.active.done(outcome) {
                self.push_error(e);
            }
            let room = outcome.error.is_some_and(no_room);
            if room && self.retention != Retention::default() {
                self.retry_rotation = true;
            }
        } else if let Some(l) = (self.leaving.iter_mut()).find(|l| Arc::ptr_eq(&l.file.file, file))
        {
            if let Some(e) = l.file.done(outcome) {
                self.errors.push(e);
            }
            if outcome.error.is_some() {
                let len = &mut l.expected.len;
                *len = len.saturating_sub(outcome.requested as u64);
            }
        }
    }

    /// Lets go of the files rotated away whose last batch landed, freeing
    /// their preallocated blocks.
    fn let_go_of_landed(&mut self) {
        let (inflight, errors) = (&self.inflight, &mut self.errors);
        self.leaving.retain_mut(|l| {
            if inflight.iter().any(|f| Arc::ptr_eq(f, &l.file.file)) {
                return true;
            }
            if let Some(e) = l.file.give_back() {
                errors.push(e);
            }
            false
        });
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
        Ok(self.place(&BatchInfo::new(len, 0)))
    }

    fn target_batch(&mut self, batch: &BatchInfo) -> io::Result<Target> {
        self.follow_clock_back(batch.first_unix_nanos);
        Ok(self.place(batch))
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

    fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        if let Some(file) = self.inflight.pop_front() {
            self.landed(&file, outcome);
        }
        if !self.leaving.is_empty() {
            self.let_go_of_landed();
        }
    }

    /// Frees the active file's preallocated blocks (the files rotated away
    /// had theirs freed when their last batch landed).
    fn close(&mut self) -> io::Result<()> {
        self.let_go_of_landed();
        self.active.give_back().map_or(Ok(()), Err)
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
        self.reopen_active()
    }
}

#[cfg(test)]
mod tests;
