//! The writer's hooks for crash-safe mode (see `crate::crash_safe`):
//! writing what a dead owner left before anything else, committing after
//! every record read has completed, cleaning up at shutdown.

use super::Writer;
use crate::clock::Converter;
use crate::crash_safe::keeper::Keeper;
use crate::crash_safe::layout::WRITTEN_UNKNOWN;
use crate::crash_safe::recover::{ClockAnchor, FileMark, Recovered, RecoveredRecord};
use crate::crash_safe::{CrashDir, CrashStart};
use crate::error::BuildError;
use crate::format::{Parts, Record, Rendering};
use crate::level::Level;
use crate::record::RecordKind;
use crate::stats::WriterCounters;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use crate::shared::lock;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};

/// Target of the record that reports a recovery.
pub(crate) const RECOVERY_TARGET: &str = "uringlog::crash_safe";

impl Writer {
    /// Writes what the directory held (cutting sink files back to their
    /// committed length first), then starts this process's generation.
    ///
    /// When a recovered record cannot be written (`EIO`, a full disk), the
    /// build fails naming the error, and the directory stays as it was —
    /// the state file saying what this attempt appended to each file
    /// (`Keeper::resume`), ring files, call-site table — for the next
    /// start, which cuts what this attempt wrote and writes it all once.
    pub(super) fn start_crash_safe(&mut self, start: CrashStart) -> Result<(), BuildError> {
        let CrashStart { dir, recovered } = start;
        let (cuts, points) = cut_files(&recovered.files, recovered.state_owner);
        let undelivered = self.sinks.undelivered();
        if !recovered.is_empty() || !cuts.is_empty() {
            self.count_recovery_in(&dir, &recovered, &points);
            let (lost, refused) = self.write_recovered(&recovered, &cuts);
            self.sinks.clear_keeper();
            if let Some(words) = refused {
                return Err(BuildError::CrashSafe {
                    dir: dir.dir.clone(),
                    reason: format!(
                        "{words}, read again while its records were recovered; the directory keeps them for the next start"
                    ),
                });
            }
            if lost > 0 {
                let last = crate::shared::lock(&self.shared.recent_errors).last_error.clone();
                return Err(BuildError::CrashSafe {
                    dir: dir.dir.clone(),
                    reason: format!(
                        "{lost} records could not be written while recovering ({last}); the directory keeps them for the next start"
                    ),
                });
            }
        }
        if recovered.found > 0 {
            self.settle_recovered(&dir.dir, &undelivered)?;
        }
        let keeper = Keeper::begin(dir.clone(), &recovered.old_files, &self.clock).map_err(|e| {
            BuildError::CrashSafe {
                dir: dir.dir.clone(),
                reason: format!("cannot start its state file: {e}"),
            }
        })?;
        for e in keeper.unremoved() {
            // Said at every start until it goes (see `Keeper::finish`).
            self.shared.report_notice(format!(
                "crash-safe recovery: {e}; its records are written and are not written again while the state file stays"
            ));
        }
        let keeper = Arc::new(Mutex::new(keeper));
        self.sinks.set_keeper(keeper.clone());
        self.keeper = Some(keeper);
        Ok(())
    }

    /// Before recovery writes: the dead process's state file counts what
    /// it appends to each file (see `Keeper::resume`; `points`: each found
    /// file's entry and its length after the cut). Without a usable state
    /// file there is nowhere to count (said).
    fn count_recovery_in(&mut self, dir: &Arc<CrashDir>, r: &Recovered, points: &[(usize, u64)]) {
        let Some(committed) = r.committed else { return };
        match Keeper::resume(dir.clone(), r.generation, committed, points) {
            Ok(k) => self.sinks.set_keeper(Arc::new(Mutex::new(k))),
            Err(e) => self.shared.report_notice(format!(
                "crash-safe recovery: cannot count what it appends in the state file ({e}); a failed recovery may leave its records there twice"
            )),
        }
    }

    /// Waits (up to their flush timeout) for the sinks that deliver later
    /// (network sinks) to settle the recovered records: the directory is
    /// replaced only after, so a record recovered into the buffer of a
    /// sink whose receiver is down is not lost with this process. Fails
    /// the build, naming the sinks, when they did not; the directory then
    /// keeps everything for the next start (which may deliver again what
    /// such a sink delivered: at least once, as for these sinks anyway).
    ///
    /// A record such a sink settles undelivered (a RELP receiver refusing
    /// it, a UDP send failing) is not delivered either: the build fails
    /// the same way, naming the sinks and how many each gave up on since
    /// `undelivered` (taken before the recovery, [`SinkSet::undelivered`]).
    ///
    /// [`SinkSet::undelivered`]: super::sinks::SinkSet::undelivered
    fn settle_recovered(&mut self, dir: &Path, undelivered: &[u64]) -> Result<(), BuildError> {
        self.sinks.flush_deferred(&self.shared);
        let unsettled = self.sinks.unsettled_sinks();
        let given_up = self.sinks.undelivered_since(undelivered);
        let mut what = Vec::new();
        if !unsettled.is_empty() {
            let u = unsettled.join(", ");
            what.push(format!("not delivered by {u} within its flush timeout"));
        }
        if !given_up.is_empty() {
            what.push(format!("dropped by {}", given_up.join(", ")));
        }
        if what.is_empty() {
            return Ok(());
        }
        let what = what.join(" and ");
        let last = crate::shared::lock(&self.shared.recent_errors).last_error.clone();
        Err(BuildError::CrashSafe {
            dir: dir.to_owned(),
            reason: format!(
                "recovered records {what} ({last}); the directory keeps them for the next start"
            ),
        })
    }

    /// The recovery record, then every recovered record, written and
    /// waited for. Both count in `enqueued` and `written`. Returns how many
    /// of them could not be written (counted dropped), and the words of a
    /// ring file refused when read again (see [`Recovered::reread`]): its
    /// records not written, the recovery fails as when records could not be
    /// written, and the directory keeps them (the file is not removed).
    ///
    /// Records `recover` did not keep (more than `KEEP_BYTES`) are read
    /// again from the ring files one at a time, each pushed as it is found:
    /// memory holds one ring file, however many there are and however many
    /// records they hold.
    fn write_recovered(&mut self, r: &Recovered, cuts: &[String]) -> (u64, Option<String>) {
        let dropped = &self.shared.counters.dropped;
        let dropped_before = dropped.load(std::sync::atomic::Ordering::Relaxed);
        let anchor = match r.clock {
            Some(ClockAnchor::Tsc {
                tick,
                ns,
                ns_per_tick,
            }) => Some((tick, ns, ns_per_tick)),
            _ => None,
        };
        let clock = Converter::from_anchor(anchor);
        let (good, skipped) = (r.found, r.skipped);
        let from = match r.pid {
            Some(pid) => format!("process {pid} (generation {})", r.generation),
            None => "a process whose state file was unusable".to_owned(),
        };
        let mut text = format!(
            "crash-safe recovery: {good} records recovered from {from}, {skipped} torn or corrupt records skipped"
        );
        if r.no_site > 0 {
            let n = r.no_site;
            text.push_str(&format!(
                ", {n} of them written with their values only: their call site is not in the directory's call-site table (deleted or cut short)"
            ));
        }
        for c in cuts {
            text.push_str("; ");
            text.push_str(c);
        }
        let now = self.shared.hot.clock.now_unix_nanos();
        let (kind, level) = (RecordKind::Text, Level::Warn);
        let target = RECOVERY_TARGET.as_bytes();
        let mut scratch = Vec::new();
        if let Some(rec) =
            Record::from_parts(
                Parts {
                    kind,
                    level,
                    unix_nanos: now,
                    thread: 0,
                    target,
                    call_site: None,
                },
                text.as_bytes(),
                &mut scratch,
                Rendering::Eager,
            )
        {
            self.sinks.push(&rec);
        }
        let mut pushed = 0;
        for x in &r.records {
            pushed += self.push_recovered(x, &clock);
        }
        let (again, refused) = match r.kept_all {
            true => (0, None),
            false => self.push_rings_again(r, &clock),
        };
        pushed += again;
        let k = &self.shared.misc.enqueued;
        WriterCounters::add(k, 1 + pushed);
        self.sinks.count_unrouted(&self.shared);
        self.sinks.submit_all(self.io.as_mut(), &self.shared);
        self.sinks.wait_all(self.io.as_mut(), &self.shared);
        for p in &r.problems {
            self.shared
                .report_notice(format!("crash-safe recovery: {p}"));
        }
        if r.more_problems > 0 {
            let n = r.more_problems;
            self.shared
                .report_notice(format!("crash-safe recovery: {n} more problems"));
        }
        let dropped = &self.shared.counters.dropped;
        (dropped.load(std::sync::atomic::Ordering::Relaxed) - dropped_before, refused)
    }

    /// Reads the ring files that held records again, one at a time,
    /// pushing each record as it is found; returns how many were pushed,
    /// and the words of a ring file refused at this second read (then the
    /// rest is not read: the next start writes it all).
    fn push_rings_again(&mut self, r: &Recovered, clock: &Converter) -> (u64, Option<String>) {
        let mut pushed = 0;
        for (path, found) in &r.rings {
            let (now, refusal) = r.reread(path, &mut |x| pushed += self.push_recovered(&x, clock));
            if let Some(x) = refusal {
                return (pushed, Some(x.words().to_owned()));
            }
            if now != *found {
                self.shared.report_notice(format!(
                    "crash-safe recovery: {} changed while it was recovered: {now} records in it, {found} before",
                    path.display()
                ));
            }
        }
        (pushed, None)
    }

    /// Pushes `x` (found whole by `recover`, so it renders and is pushed
    /// whole), submitting the batch when it fills; returns 1 when pushed.
    fn push_recovered(&mut self, x: &RecoveredRecord, clock: &Converter) -> u64 {
        let rendering = self.sinks.rendering();
        let nanos = clock.unix_nanos(x.header.clock);
        let buf = &mut self.bufs.message;
        let Some(rec) = Record::decode(&x.header, &x.body, nanos, x.thread, buf, rendering) else {
            return 0;
        };
        self.sinks.push(&rec);
        if self.sinks.is_full(self.batch_size) {
            self.sinks.submit_all(self.io.as_mut(), &self.shared);
        }
        1
    }

    /// Commits when every record read completed (nothing gathered,
    /// nothing in flight or unsettled). Never once shutdown gave up: what
    /// it abandoned (counted dropped) stays in the directory for the next
    /// logger built on it.
    pub(super) fn crash_commit(&mut self) {
        let Some(k) = self.keeper.as_ref() else {
            return;
        };
        if self.shared.gave_up() {
            return;
        }
        if self.sinks.pending_records() == 0 && self.sinks.outstanding() == 0 {
            lock(k).commit(self.sinks.files(), &self.clock);
        }
    }

    /// At the end of shutdown: the directory is left without pending data.
    pub(super) fn crash_finish(&mut self) {
        if let Some(k) = self.keeper.take() {
            self.sinks.clear_keeper();
            lock(&k).finish(&self.clock);
        }
    }

    /// At the end of a shutdown that may have left records read since the
    /// last commit unwritten (it gave up before the final writes, or they
    /// dropped some): the directory keeps what was not committed, for the
    /// next logger built on it (see `Keeper::leave`).
    pub(super) fn crash_leave(&mut self) {
        if let Some(k) = self.keeper.take() {
            self.sinks.clear_keeper();
            lock(&k).leave();
        }
    }
}

/// Cuts each sink file still longer than its committed length back to it
/// (a batch was in flight at the crash; its records are written again),
/// unless more was appended there than the dead process appended: then
/// another writer's bytes (a forked child's lines) are in it, which a cut
/// would destroy, and the file is left as it is (said). A file renamed
/// since (logrotate's rename) is found by its identity in its directory,
/// under a name that extends its own ([`open_marked`]). A file grown by
/// exactly what the dead process appended is cut at its committed length;
/// any other cut lands on a line boundary ([`line_cut`]).
///
/// Returns what was cut, for the recovery record, and per file found its
/// entry in the state file and its length now: all past it is to be cut
/// if this recovery fails (see `Keeper::resume`).
fn cut_files(marks: &[FileMark], owner: Option<u32>) -> (Vec<String>, Vec<(usize, u64)>) {
    let (mut cuts, mut points) = (Vec::new(), Vec::new());
    for m in marks {
        let (f, len, path) = match open_marked(m) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            // Not found, and perhaps renamed where it could not be looked
            // for: said when the dead process appended to it since.
            Err(what) => {
                if m.written != 0 {
                    cuts.push(what);
                }
                continue;
            }
        };
        let now = match cut_file(m, &f, len, path, owner) {
            Some((what, now)) => {
                cuts.push(what);
                now
            }
            None => len,
        };
        points.push((m.at, now));
    }
    (cuts, points)
}

/// Cuts file `f` of `m`, `len` bytes long, at `path` if renamed, when it
/// has to (see [`cut_files`]): what was done, and the length after. `f`
/// is the error when the file was found but could not be opened (said,
/// when it has to be cut).
fn cut_file(
    m: &FileMark,
    f: &io::Result<File>,
    len: u64,
    path: Option<PathBuf>,
    owner: Option<u32>,
) -> Option<(String, u64)> {
    if len <= m.len || m.written == 0 {
        // Nothing of the dead process's past its committed length: what
        // is there another writer appended.
        return None;
    }
    let name = match &path {
        Some(p) => format!("{} (now {})", m.path.display(), p.display()),
        None => m.path.display().to_string(),
    };
    let grown = len - m.len;
    if m.written != WRITTEN_UNKNOWN && grown > m.written as u64 {
        let what = format!(
            "{name} not cut: {grown} bytes past its committed length, more than the {} the dead process appended since (another writer appended there too); records of the batch in flight at the crash may be in it twice",
            m.written
        );
        return Some((what, len));
    }
    let f = match f {
        Ok(f) => f,
        Err(e) => {
            let what = format!(
                "{name} could not be opened to cut from {len} to {} bytes: {e}; records of the batch in flight at the crash may be in it twice",
                m.len
            );
            return Some((what, len));
        }
    };
    if let Some(what) = not_the_owners(f, owner) {
        return Some((format!("{name} not cut: {what}; records of the batch in flight at the crash may be in it twice"), len));
    }
    // Grown by exactly what the dead process appended: the file holds
    // its bytes from the committed length on, even where that is inside
    // a line (the file ended without a newline before the process wrote).
    let exact = m.written != WRITTEN_UNKNOWN && grown == m.written as u64;
    let to = match exact {
        true => m.len,
        false => line_cut(f, m.len, len),
    };
    if to == len {
        let what = format!(
            "{name} not cut: its committed length {} falls inside its last line, and nothing is past the end of that line (cut there by an earlier recovery, or truncated since the commit and written again); records of the batch in flight at the crash may be in it twice",
            m.len
        );
        return Some((what, len));
    }
    let inside = match to == m.len {
        true => String::new(),
        false => format!(
            ", the end of the line its committed length {} falls inside (truncated since the commit, then written again)",
            m.len
        ),
    };
    Some(match f.set_len(to) {
        Ok(()) => (
            format!(
                "{name} cut from {len} to {to} bytes{inside} (a batch in flight at the crash, written again)"
            ),
            to,
        ),
        Err(e) => (format!("{name} could not be cut to {to} bytes: {e}"), len),
    })
}

/// Where to cut file `f` (`len` bytes) so that no partial line remains,
/// never below `at`, its committed length: `at` when a line starts there
/// (it is 0, or the byte before it is a newline); else the end of the line
/// `at` falls inside — the file was truncated and written again since the
/// commit (`copytruncate` between two batches), so `at` is no longer
/// where the dead process's batches start, and the bytes before it may
/// be anyone's; that line, if the dead process's, is then there twice.
/// `at` also when the byte before it is the file's last byte (records
/// that end in another byte than a newline, whose messages may hold
/// newlines: `at` ends a record, and a newline past it is inside the
/// batch in flight), when no line ends past it (the tail is one
/// unterminated piece: a format without newlines, a torn write), or when
/// the file cannot be read (as before lines were looked for). Reads the
/// byte before `at` and the last byte, then 4 KiB at a time from `at`
/// until a newline, never past `len`: [`cut_file`] calls it only for a
/// file grown past `at` by no more than the dead process appended, or,
/// that count unknown (a state from before it was kept), by any amount.
fn line_cut(f: &File, at: u64, len: u64) -> u64 {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 4096];
    let byte = |pos: u64| {
        let mut b = [0u8; 1];
        matches!(f.read_at(&mut b, pos), Ok(1)).then_some(b[0])
    };
    let Some(before) = at.checked_sub(1).and_then(byte) else {
        return at;
    };
    if before == b'\n' || len.checked_sub(1).and_then(byte) == Some(before) {
        return at;
    }
    let mut pos = at;
    while pos < len {
        let want = (len - pos).min(buf.len() as u64) as usize;
        let n = match f.read_at(&mut buf[..want], pos) {
            Ok(0) | Err(_) => return at,
            Ok(n) => n,
        };
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            return pos + i as u64 + 1;
        }
        pos += n as u64;
    }
    at
}

/// The file `m` describes, opened for reading and writing (writing only,
/// when it may not be read; the error when it cannot be opened for
/// writing, an append-only file, or the descriptor opened cannot be
/// looked at to tell it is the file), and its length: at its path, or else
/// (renamed away, another file or none at the path) the entry of the
/// path's directory with its identity whose name extends the path's
/// (`app.log` → `app.log.1`, `app.log-20261203`, `app.log.old`) or puts
/// a label before its extension, as the rolling sink names the files it
/// rotates (`app.000001.log`, `app.2026-12-03.log`), and that entry's path. Only such names: an inode number freed (the renamed file
/// deleted by logrotate since) and reused by an unrelated file of the
/// directory must not make that file cut.
///
/// Paths are untrusted (anything may have been put at a name since): a
/// name is opened only when it is the file already (`stat`), never to
/// wait (a FIFO, whose open would wait for a reader), and checked again on
/// the descriptor.
///
/// `Ok(None)` when it is nowhere (deleted since, or its directory with
/// it); `Err` saying so when it is not at its path and its directory
/// could not be listed to look for it under another name, or when the
/// file at its path (not found renamed) or the one found renamed could
/// not be examined to tell whether it is the file.
fn open_marked(m: &FileMark) -> Result<Option<Marked>, String> {
    let same = |meta: &std::fs::Metadata| meta.dev() == m.dev && meta.ino() == m.ino;
    // `Err` when the look at `p` failed (not for want of a file there).
    let open = |p: &Path| -> io::Result<Option<(io::Result<File>, u64)>> {
        let found = match std::fs::metadata(p) {
            Ok(meta) => meta,
            Err(e) if crate::dirs::missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !(found.is_file() && same(&found)) {
            return Ok(None);
        }
        let opts = |read| {
            OpenOptions::new()
                .read(read)
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(p)
        };
        let f = match opts(true).or_else(|_| opts(false)) {
            Ok(f) => f,
            Err(e) => return Ok(Some((Err(e), found.len()))),
        };
        let meta = match f.metadata() {
            Ok(meta) => meta,
            // The file at the path was this one a moment ago: said (the
            // batch in flight may stay in it twice), not passed over.
            Err(e) => {
                let e = io::Error::new(e.kind(), format!("cannot tell the file opened is it: {e}"));
                return Ok(Some((Err(e), found.len())));
            }
        };
        Ok((meta.is_file() && same(&meta)).then_some((Ok(f), meta.len())))
    };
    let unexamined = |p: &Path, e: io::Error| {
        format!(
            "{} cannot be examined: {e}; if it is there, records of the batch in flight at the crash may be in it twice",
            p.display()
        )
    };
    let looked = match open(&m.path) {
        Ok(Some((f, len))) => return Ok(Some((f, len, None))),
        Ok(None) => Ok(None),
        Err(e) => Err(unexamined(&m.path, e)),
    };
    let (Some(own), Some(parent)) = (m.path.file_name(), m.path.parent()) else {
        return Ok(None);
    };
    let extends = |e: &std::fs::DirEntry| rotated_name(own.as_bytes(), e.file_name().as_bytes());
    let listed = match std::fs::read_dir(parent) {
        // No directory to be renamed in: gone with it, as if deleted.
        Err(e) if crate::dirs::missing(&e) => return Ok(None),
        dir => dir.and_then(|d| d.collect::<io::Result<Vec<_>>>()),
    };
    let entries = listed.map_err(|e| {
        format!(
            "{} not found at its path, and {} could not be listed to find it renamed: {e}; if it was, records of the batch in flight at the crash may be in it twice",
            m.path.display(),
            parent.display()
        )
    })?;
    let Some(found) = entries.iter().find(|e| e.ino() == m.ino && extends(e)) else {
        return looked;
    };
    let found = found.path();
    let opened = open(&found).map_err(|e| unexamined(&found, e))?;
    Ok(opened.map(|(f, len)| (f, len, Some(found))))
}

/// A file [`open_marked`] found: opened (or why not), its length, and its
/// path when it was found renamed.
type Marked = (io::Result<File>, u64, Option<PathBuf>);

/// Why file `f` is not cut for a state file owned by uid `owner`: a state
/// file names the files to cut, and one that another user can write (a
/// service's directory, recovered by root) could name any file of the
/// recovering user's. So a file is cut only when the state file's owner
/// owns it, or root owns the state file (`None`: it is cut).
fn not_the_owners(f: &File, owner: Option<u32>) -> Option<String> {
    let owner = owner.filter(|&o| o != 0)?;
    let uid = f.metadata().map(|m| m.uid());
    match uid {
        Ok(uid) if uid == owner => None,
        Ok(uid) => Some(format!(
            "owned by uid {uid}, the state file by uid {owner}, which names only its owner's files to cut"
        )),
        Err(e) => Some(format!("cannot tell its owner: {e}")),
    }
}

/// Whether `n` names a rotation of the file named `own`: `own` extended
/// (`app.log.1`, `app.log-20261203`, `app.log.old`), or the rolling sink's
/// label put before one of its extensions (`app.log` → `app.000001.log`,
/// `app.log.json` → `app.2026-12-03T04.log.json`). A label is what the
/// rolling sink writes: digits, `-`, `T` and `.`; so a sibling log such as
/// `app.error.log` is never taken for a rotation of `app.log`.
fn rotated_name(own: &[u8], n: &[u8]) -> bool {
    if n.len() > own.len() && n.starts_with(own) {
        return true;
    }
    let label = |l: &[u8]| {
        !l.is_empty() && l.iter().all(|&b| b.is_ascii_digit() || matches!(b, b'-' | b'T' | b'.'))
    };
    let dots = own.iter().enumerate().filter(|&(i, &b)| b == b'.' && i > 0);
    dots.map(|(i, _)| (&own[..=i], &own[i..])).any(|(stem, ext)| {
        n.len() > own.len() + 1
            && n.starts_with(stem)
            && n.ends_with(ext)
            && label(&n[stem.len()..n.len() - ext.len()])
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn rotations_are_told_from_sibling_logs() {
        let rotated = |own: &str, n: &str| rotated_name(own.as_bytes(), n.as_bytes());
        for n in [
            "app.log.1",
            "app.log-20261203",
            "app.log.old",
            "app.000001.log",
            "app.2026-12-03.log",
            "app.2026-12-03T04-05.000001.log",
        ] {
            assert!(rotated("app.log", n), "{n}");
        }
        for n in ["app.log", "app.error.log", "app.access.log", "other.log", "app..log"] {
            assert!(!rotated("app.log", n), "{n}");
        }
        assert!(rotated("app.log.json", "app.000002.log.json"));
        assert!(rotated("app.log.json", "app.log.000002.json"));
        assert!(!rotated("app.log.json", "app.error.log.json"));
        assert!(rotated("app", "app.1"));
        assert!(!rotated("app", "other"));
    }

    use super::*;
    use crate::crash_safe::layout::*;
    use crate::crash_safe::recover::{read_dir, STATE_FILE};
    use std::os::unix::ffi::OsStrExt;

    /// A state file of a binary from before `written` (version 3, the
    /// field 0) naming a file grown past its committed length: recovery
    /// cuts it back, as that binary's next start did, instead of taking
    /// the 0 for "nothing appended" and writing the batch in flight twice.
    #[test]
    fn a_version_3_state_cuts_a_grown_file_back() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("app.log");
        std::fs::write(&log, b"committed\nin flight\n").unwrap();
        let meta = std::fs::metadata(&log).unwrap();
        let path = log.as_os_str().as_bytes();
        let mut s = vec![0u8; STATE_LEN];
        s[..8].copy_from_slice(&STATE_MAGIC);
        put_u32(&mut s, S_VERSION, STATE_VERSION_UNCOUNTED);
        put_u32(&mut s, S_PID, 42);
        put_u64(&mut s, S_GENERATION, 1);
        put_u64(&mut s, S_COMMITTED, 1);
        let slot = SLOT_OFFSET + SLOT_LEN;
        put_u64(&mut s, slot, 1);
        put_u32(&mut s, slot + 12, 1);
        let e = slot + SLOT_FIXED;
        put_u64(&mut s, e, meta.dev());
        put_u64(&mut s, e + 8, meta.ino());
        put_u64(&mut s, e + 16, 10);
        put_u32(&mut s, e + 24, path.len() as u32);
        s[e + FILE_FIXED..][..path.len()].copy_from_slice(path);
        let dir = tmp.path().join("cs");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(STATE_FILE), &s).unwrap();

        let r = read_dir(&dir);
        assert_eq!(r.problems, Vec::<String>::new());
        let written: Vec<u32> = r.files.iter().map(|m| m.written).collect();
        assert_eq!(written, [WRITTEN_UNKNOWN]);
        let (cuts, points) = cut_files(&r.files, r.state_owner);
        assert_eq!(std::fs::read(&log).unwrap(), b"committed\n");
        let said = format!(
            "{} cut from 20 to 10 bytes (a batch in flight at the crash, written again)",
            log.display()
        );
        assert_eq!(cuts, [said]);

        // Recovery then counts its appends there: the state becomes
        // version 4, the entry its length after the cut, nothing appended.
        let (cs, _) = crate::crash_safe::CrashDir::open(&dir, 4096, false).unwrap();
        Keeper::resume(cs, 1, 1, &points).unwrap();
        let b = std::fs::read(dir.join(STATE_FILE)).unwrap();
        assert_eq!(get_u32(&b, S_VERSION), Some(STATE_VERSION));
        let m = &read_dir(&dir).files;
        assert_eq!((m.len(), m[0].len, m[0].written), (1, 10, 0));
    }

    /// A state file names the files to cut; one that another user can
    /// write (a service's directory, recovered by root with
    /// `uringlog-recover`) could name any file of the recovering user's,
    /// its identity matched by `stat`, to have it cut. A file is cut
    /// only when the state file's owner owns it (or root owns the state
    /// file); else it is said, and left whole.
    #[test]
    fn a_state_file_cuts_only_files_of_its_owner() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("precious");
        std::fs::write(&log, b"committed\nnot the dead process's\n").unwrap();
        let meta = std::fs::metadata(&log).unwrap();
        let m = FileMark {
            dev: meta.dev(),
            ino: meta.ino(),
            len: 10,
            written: 23,
            path: log.clone(),
            at: 0,
        };
        // Any user other than the file's owner, and not root.
        let other = meta.uid().max(1) + 1;
        let (cuts, points) = cut_files(std::slice::from_ref(&m), Some(other));
        let said = format!(
            "{} not cut: owned by uid {}, the state file by uid {other}, which names only its owner's files to cut; records of the batch in flight at the crash may be in it twice",
            log.display(),
            meta.uid()
        );
        assert_eq!((cuts, points), (vec![said], vec![(0, 33)]));
        assert_eq!(std::fs::read(&log).unwrap(), b"committed\nnot the dead process's\n");
        // Its owner's state file, or root's: cut.
        for owner in [meta.uid(), 0] {
            std::fs::write(&log, b"committed\nin flight\n").unwrap();
            let m = FileMark { written: 10, ..m.clone() };
            let (cuts, _) = cut_files(std::slice::from_ref(&m), Some(owner));
            assert_eq!(cuts.len(), 1, "{cuts:?}");
            assert_eq!(std::fs::read(&log).unwrap(), b"committed\n");
        }
    }

    /// A recovery that died between its cut (at the end of the line the
    /// committed length falls inside) and recording it: the next start
    /// finds nothing past that line, and says so rather than blame a
    /// truncation alone.
    #[test]
    fn a_file_already_cut_to_the_end_of_the_line_is_not_cut_again() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("app.log");
        std::fs::write(&log, b"ab\ncd\nef\n").unwrap();
        let meta = std::fs::metadata(&log).unwrap();
        let m = FileMark {
            dev: meta.dev(),
            ino: meta.ino(),
            len: 4,
            written: 100,
            path: log.clone(),
            at: 0,
        };
        let cut = || {
            let f = OpenOptions::new().read(true).write(true).open(&log);
            let len = f.as_ref().unwrap().metadata().unwrap().len();
            cut_file(&m, &f, len, None, None)
        };
        let first = format!(
            "{} cut from 9 to 6 bytes, the end of the line its committed length 4 falls inside (truncated since the commit, then written again) (a batch in flight at the crash, written again)",
            log.display()
        );
        assert_eq!(cut(), Some((first, 6)));
        let again = format!(
            "{} not cut: its committed length 4 falls inside its last line, and nothing is past the end of that line (cut there by an earlier recovery, or truncated since the commit and written again); records of the batch in flight at the crash may be in it twice",
            log.display()
        );
        assert_eq!(cut(), Some((again, 6)));
        assert_eq!(std::fs::read(&log).unwrap(), b"ab\ncd\n");
    }

    /// A cut lands at the committed length on a line boundary, else at the
    /// end of the line it falls inside, else (no newline after it) at it.
    #[test]
    fn a_cut_lands_on_a_line_boundary_never_below_the_committed_length() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        let cut = |bytes: &[u8], at: u64| {
            std::fs::write(&path, bytes).unwrap();
            let f = File::open(&path).unwrap();
            line_cut(&f, at, bytes.len() as u64)
        };
        assert_eq!(cut(b"ab\ncd\nef\n", 3), 3);
        assert_eq!(cut(b"ab\ncd\nef\n", 0), 0);
        assert_eq!(cut(b"ab\ncd\nef\n", 4), 6);
        assert_eq!(cut(b"ab\ncd\nef\n", 6), 6);
        assert_eq!(cut(b"ab\ncd\nef\n", 7), 9);
        assert_eq!(cut(b"ab\ncd\nef\n", 8), 9);
        assert_eq!(cut(b"abcdef", 2), 2);
        // Records ending in another byte (0x1e), a message holding a
        // newline: the byte before the committed length ends the file too,
        // the cut is at the committed length.
        assert_eq!(cut(b"ab\x1ecd\nef\x1e", 3), 3);
        assert_eq!(cut(b"ab\x1ecd\nef\x1e", 4), 6);
        // A torn last line: the end of the line the length falls inside.
        assert_eq!(cut(b"ab\ncd\nef", 4), 6);
        let long = [vec![b'x'; 10_000], b"\nend\n".to_vec()].concat();
        assert_eq!(cut(&long, 5), 10_001);
        // Written only: the bytes cannot be read, the cut is at `at`.
        std::fs::write(&path, b"ab\ncd\n").unwrap();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        assert_eq!(line_cut(&f, 4, 6), 4);
    }
}
