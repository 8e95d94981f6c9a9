//! Crash-safe mode ([`crate::Builder::crash_safe`]): every record whose log
//! call returned survives the death of the process (`SIGKILL`, `abort`, a
//! segfault) and is written by the next logger built on the same directory.
//!
//! - Each producer's ring is a preallocated file in the directory, mapped
//!   `MAP_SHARED` ([`ring`]): the page cache keeps what the process wrote
//!   however it dies. Records are framed with length, sequence number and
//!   crc32c, a frame's crc carried by the frame after it ([`layout`]).
//! - The writer gives ring space back only after the records in it
//!   completed in the sinks, and then *commits* (the [`keeper`]): each
//!   ring's read position and each sink file's length, in one atomic step.
//! - `build()` reads what a dead owner left ([`recover`]): records
//!   committed but not written go to the sinks first, per producer in
//!   order, after one record saying how many, from which pid, and how many
//!   torn or corrupt ones were skipped.
//! - One process uses a directory at a time ([`lock`]).
//!
//! # What is guaranteed, per sink kind
//!
//! - Files appended to (`FileSink`, the rolling sink's current file): every
//!   record whose call returned is in the file exactly once, in producer
//!   order. A batch in flight at the crash (the file longer than its
//!   committed length) is cut back and written again. A file is in the
//!   committed state from before its first batch (`keeper::Keeper::mark_file`),
//!   and any batch makes the next commit due.
//! - Rotation between the last commit and the crash: the records written
//!   since the commit go to the file the recovering logger's sink names,
//!   the new one. A file renamed away (logrotate's rename, with or without
//!   the `reopen` that follows) is found by its identity in its directory
//!   under a name that extends its own (`app.log.1`, `app.log-20261203`,
//!   `app.log.old`) or puts a label of digits, `-`, `T` and `.` before one
//!   of its extensions (`app.000001.log`, `app.2026-12-03.log.json`: the
//!   rolling sink's own rotation; never a sibling log such as
//!   `app.error.log`) and cut back there; a file of the
//!   directory under any other name is never cut, though it hold that
//!   identity (an inode number freed — the renamed file deleted by
//!   logrotate — and reused).
//!   A reused inode number at the log's own path, or under such a name,
//!   is not told apart: that file is taken for the log.
//!   A file truncated under the logger (`copytruncate`)
//!   has its committed length lowered at the first batch after the
//!   truncation, so the batches written into it after the truncation are
//!   cut. What `copytruncate` copied away after the commit is in the copy
//!   and written again (recovery does not know the copy). Exceptions: a
//!   file moved to another directory or renamed to a name that does not
//!   extend its own, a file the state cannot name (its path too long
//!   for a slot), a file that cannot be opened to be cut (an
//!   append-only one: said in the recovery record), and a file the
//!   state file's owner does not own, unless root owns the state file (a
//!   state file another user can write names no file of the recovering
//!   user's to cut: said), can leave the batch in flight twice; so can a
//!   truncation between two batches of one commit interval.
//! - A file grown by exactly what the dead process appended since the
//!   commit holds its bytes from the committed length on: it is cut there,
//!   even inside a line (the file ended without a newline before the
//!   process wrote to it, or with the piece of a failed append).
//!   Otherwise a cut never leaves a partial line (one exception: a file
//!   whose last line is torn and whose last byte happens to equal the
//!   byte before the committed length is taken for records ending in that
//!   byte, and cut at the committed length), and never goes below
//!   the committed length: where the committed length falls inside a line
//!   (a truncation between two batches of one commit interval: the later
//!   batches start the file again) the file is cut at the end of that
//!   line, which, a record of the batch in flight, is then in it twice. Where no newline
//!   follows the committed length (a format whose records do not end in
//!   one, a torn write), where the byte before it is the file's last one
//!   (records that end in another byte, messages that may hold newlines:
//!   it ends a record), or where the file cannot be read, the cut is at
//!   the committed length.
//! - A file another writer appends to as well (a forked child logging to
//!   the same file, another process): recovery cuts no more than the dead
//!   process counted as appended (counted before each write; what a write
//!   that failed left out of the file comes off the count again, so only
//!   a write that never landed because the process died with it pending —
//!   an `io_uring` write — lets up to that many of the other writer's
//!   bytes be cut). The state counts the bytes it appended since
//!   the last commit, and takes the file's length at its first batch
//!   since as the committed one; a file grown by more than the dead
//!   process appended is left as it is (said in the recovery record), and
//!   the batch in flight at the crash may then be in it twice.
//! - Other sinks (stdout, memory, network): at least once — records of the
//!   batch in flight at the crash may appear twice.
//! - A recovered record that cannot be written (`EIO`, a full disk)
//!   fails `build()` with the error, and the directory keeps everything
//!   for the next start. Recovery counts what it appends in the dead
//!   process's state file, in place, as a running writer counts
//!   (`keeper::Keeper::resume`): each file it found says its length after
//!   the cut and nothing appended; a file the state does not list (a new
//!   file, a sink added in the new configuration) is added, with its
//!   length, before recovery's first write to it; every append is counted
//!   before it is made. So the next start cuts exactly what a failed
//!   attempt appended to each file, however many attempts failed, and no
//!   more: another writer's lines appended before the attempt's first
//!   write to the file stay, and lines appended after it leave the file
//!   grown by more than the attempt counted — not cut (said), the
//!   attempt's records then in it twice. In any other sink they may be
//!   twice. Without a usable state file (none, or corrupt: reported)
//!   there is nowhere to count, and a failed attempt's records may be in
//!   a file twice; so too when the state file cannot be opened for
//!   writing (said in a notice).
//! - A recovered record that a sink delivering later (syslog) has not
//!   delivered within its flush timeout (its receiver is down), or has
//!   given up on (a RELP receiver refused it, a UDP send failed), fails
//!   `build()` too, naming the sink; the directory is replaced only once
//!   the recovered records are delivered, so a process dying with them in
//!   such a sink's buffer does not lose them.
//! - A record that fails to write while the process runs is counted
//!   dropped (and the error kept in `recent_errors`), not kept in the
//!   directory: crash-safe mode guards against the death of the process,
//!   not against a sink that refuses the bytes.
//! - Only the death of the process is covered: after a power loss or a
//!   kernel crash, whatever the page cache had not written back is gone;
//!   torn records are then detected by their crc32c and skipped (counted),
//!   but for the newest record of each ring, which has no crc yet (see
//!   [`layout`]) and is checked by its sequence number, header and values.
//!
//! Deferred records (the logging macros; see `deferred`) keep the default
//! `Formatting::Deferred`: a record refers to its call site by address, so
//! the first record from each call site first appends the call site's
//! description to the directory's call-site table ([`sites`]), and values
//! under specs other than `{}` are formatted in the caller
//! (`deferred::portable`). Recovery resolves each address through the dead
//! process's table, never through the running binary, and renders exactly
//! the line the dead process would have; a record whose address is not in
//! the table (deleted by hand since) is written with its values only
//! ([`values_only`]) and counted apart; one whose values do not decode is
//! skipped and counted.

pub(crate) mod crc;
pub(crate) mod entry;
pub(crate) mod keeper;
pub(crate) mod layout;
pub(crate) mod lock;
pub(crate) mod recover;
#[cfg(test)]
mod recover_tests;
pub(crate) mod ring;
pub(crate) mod sites;
pub(crate) mod values_only;

use crate::error::BuildError;
use crate::shared::{lock as lock_mutex, RingShared};
use layout::*;
use memmap2::{MmapOptions, MmapRaw};
use recover::{Recovered, Refused};
use ring::RingFile;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the writer needs to start crash-safe mode.
pub(crate) struct CrashStart {
    pub dir: Arc<CrashDir>,
    /// What the previous owner left, written before `build` returns.
    pub recovered: Recovered,
}

/// A locked crash-safe directory, shared by the producers (which create
/// ring files in it) and the writer's keeper.
pub(crate) struct CrashDir {
    pub dir: PathBuf,
    /// Data bytes per ring (the ring capacity rounded up to 8).
    pub capacity: usize,
    /// This process's generation (the previous owner's plus one).
    pub generation: u64,
    /// Next ring file index.
    next_index: AtomicU64,
    /// The keeper's committed epoch (stamped into new ring files).
    pub committed: AtomicU64,
    /// Every ring file not yet removed, in creation order.
    pub rings: Mutex<Vec<Arc<RingFile>>>,
    /// Map ring memory up front.
    prefault: bool,
    /// Held while the directory is ours; dropped at shutdown.
    lock: Mutex<Option<lock::DirLock>>,
    /// This generation's call-site table (see [`sites`]).
    pub sites: sites::SiteWriter,
}

impl CrashDir {
    /// Creates (if needed) and locks `dir`, and reads what a previous
    /// owner left there.
    pub(crate) fn open(
        dir: &Path,
        ring_capacity: usize,
        prefault: bool,
    ) -> Result<(Arc<CrashDir>, Recovered), BuildError> {
        let err = |reason: String| BuildError::CrashSafe {
            dir: dir.to_owned(),
            reason,
        };
        // Absolute once: ring files and the call-site table are created
        // later (a thread's first record, a call site's first use), after
        // the process may have changed its working directory.
        let absolute = std::path::absolute(dir).map_err(|e| err(format!("cannot resolve it: {e}")))?;
        let dir = absolute.as_path();
        crate::dirs::create_dir_all(dir).map_err(|e| err(format!("cannot create it: {e}")))?;
        let lock = lock::lock_dir(dir).map_err(err)?;
        // Reads only. Refusals first: a file of a newer layout says the
        // directory is a newer build's before anything else is judged.
        let recovered = recover::read_dir(dir);
        none_refused(&recovered.refused).map_err(err)?;
        state_paths_usable(dir).map_err(err)?;
        takes_new_files(dir).map_err(err)?;
        no_directory_named_like_ours(&recovered.directories).map_err(err)?;
        let generation = recovered.generation + 1;
        let d = CrashDir {
            sites: sites::SiteWriter::new(dir, generation),
            dir: dir.to_owned(),
            capacity: align(ring_capacity),
            generation,
            next_index: AtomicU64::new(0),
            committed: AtomicU64::new(0),
            rings: Mutex::new(Vec::new()),
            prefault,
            lock: Mutex::new(Some(lock)),
        };
        Ok((Arc::new(d), recovered))
    }

    /// Creates, sizes and maps a new ring file for a producer.
    pub(crate) fn new_ring(&self, shared: Arc<RingShared>) -> io::Result<Arc<RingFile>> {
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!(
            "{}{}-{index}",
            recover::RING_PREFIX,
            self.generation
        ));
        let len = RING_HEADER_LEN + self.capacity;
        let file = create_sized(&path, len)?;
        let mut opts = MmapOptions::new();
        if self.prefault {
            opts.populate();
        }
        let map = opts.map_raw(&file).inspect_err(|_| {
            let _ = std::fs::remove_file(&path);
        })?;
        // Under the lock the keeper commits with: the ring is either in a
        // commit's list or stamped with that commit's epoch (see `recover::start_pos`).
        let mut rings = lock_mutex(&self.rings);
        ring::guard_fork(&map);
        write_ring_header(&map, self, shared.thread_id);
        let ring = Arc::new(RingFile::new(map, path, self.capacity, shared));
        rings.push(ring.clone());
        Ok(ring)
    }

    /// Lets another logger use the directory.
    pub(crate) fn unlock(&self) {
        lock_mutex(&self.lock).take();
    }
}

/// Fails when the state file's path, or the path its replacement is
/// made at, is taken by anything but a regular file, naming it and what
/// it is (see [`entry::not_regular`]). A directory: the new state file
/// could not be put in place (`keeper::Keeper::begin`), so `build` would
/// fail after writing the recovered records, and write them again at
/// each later start — with no usable state file, nothing counts them to
/// cut. A FIFO, a socket, a device or a symbolic link: none of ours,
/// never opened (see [`entry::open`]); recovering without the state it
/// stands for would write again what the dead process's sink files
/// already hold, and the start would replace or remove it. Checked
/// before anything is written or removed.
fn state_paths_usable(dir: &Path) -> Result<(), String> {
    for name in [recover::STATE_FILE, keeper::STATE_NEW] {
        let path = dir.join(name);
        if let Some(what) = entry::in_the_way(&path) {
            return Err(format!(
                "{} is {what}, where the state file goes; nothing was recovered: move it away and build again",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Whether this process may create files in `dir` (the state file is
/// replaced, ring files created): checked before recovery writes, so a
/// directory it cannot write in fails with nothing recovered, not after
/// the recovered records went out and stay in the directory for the next
/// start to write again.
fn takes_new_files(dir: &Path) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return Ok(()); // A NUL in the path failed earlier, creating it.
    };
    // SAFETY: `c` is a NUL-terminated path that outlives the call, which
    // only reads it.
    let r = unsafe {
        libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK | libc::X_OK, libc::AT_EACCESS)
    };
    match r {
        0 => Ok(()),
        _ => Err(format!(
            "cannot create files in it: {}; nothing was recovered",
            io::Error::last_os_error()
        )),
    }
}

/// Fails when entries named like ring files or call-site tables
/// (`directories`, from `recover::read_dir`) are directories: none of
/// ours, which this process cannot remove — so each start would say them
/// again — and which may hold a name its own files take. Said before
/// anything is written.
fn no_directory_named_like_ours(directories: &[PathBuf]) -> Result<(), String> {
    let mut paths: Vec<String> = directories.iter().map(|p| p.display().to_string()).collect();
    paths.sort();
    let (are, them) = match paths.len() {
        0 => return Ok(()),
        1 => ("is a directory", "it"),
        _ => ("are directories", "them"),
    };
    Err(format!(
        "{} {are}, where ring files and call-site tables go; nothing was recovered: move {them} away and build again",
        paths.join(", ")
    ))
}

/// Fails when recovery can neither take nor remove files of the
/// directory (`refused`, from `recover::read_dir`, each in words naming
/// it: files of a newer layout, first, each saying what to do; then files
/// it could not read, files of another process than the state file's).
/// Said before anything is written or removed, so a later start finds
/// them as they are.
fn none_refused(refused: &[Refused]) -> Result<(), String> {
    let (mut said, mut kept) = (Vec::new(), Vec::new());
    for r in refused {
        match r {
            Refused::Newer(words) => said.push(words.clone()),
            Refused::Kept(words) => kept.push(words.as_str()),
        }
    }
    if !kept.is_empty() {
        let them = if kept.len() == 1 { "it is" } else { "they are" };
        said.push(format!(
            "{}; nothing was recovered or removed: build again once {them} readable, or moved away",
            kept.join("; ")
        ));
    }
    match said.is_empty() {
        true => Ok(()),
        false => Err(said.join("; ")),
    }
}

/// Creates `path` with `len` bytes allocated (no sparse pages, so a full
/// disk fails here rather than as `SIGBUS` on a later write).
pub(crate) fn create_sized(path: &Path, len: usize) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display())))?;
    // SAFETY: fallocate on a descriptor we own; no memory is involved.
    let r = unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len as libc::off_t) };
    let res = if r == 0 {
        Ok(())
    } else {
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            // No fallocate here: write the zeros.
            Some(libc::EOPNOTSUPP) => write_zeros(&file, len),
            _ => Err(e),
        }
    };
    if let Err(e) = res {
        let _ = std::fs::remove_file(path);
        return Err(io::Error::new(
            e.kind(),
            format!("cannot allocate {len} bytes for {}: {e}", path.display()),
        ));
    }
    Ok(file)
}

fn write_zeros(file: &File, len: usize) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let zeros = vec![0u8; 64 * 1024];
    let mut at = 0;
    while at < len {
        let n = zeros.len().min(len - at);
        file.write_all_at(&zeros[..n], at as u64)?;
        at += n;
    }
    Ok(())
}

/// Writes a new ring file's header (nothing else uses the mapping yet).
fn write_ring_header(map: &MmapRaw, d: &CrashDir, thread: u32) {
    let mut h = [0u8; 64];
    h[..8].copy_from_slice(&RING_MAGIC);
    put_u32(&mut h, H_VERSION, VERSION);
    put_u32(&mut h, H_HEADER_LEN, RING_HEADER_LEN as u32);
    put_u64(&mut h, H_CAPACITY, d.capacity as u64);
    put_u32(&mut h, H_PID, std::process::id());
    put_u32(&mut h, H_THREAD, thread);
    put_u64(&mut h, H_GENERATION, d.generation);
    put_u64(&mut h, H_CREATED_EPOCH, d.committed.load(Ordering::Acquire));
    // SAFETY: the mapping is at least RING_HEADER_LEN (> 64) bytes and no
    // other thread has it yet.
    unsafe { std::ptr::copy_nonoverlapping(h.as_ptr(), map.as_mut_ptr(), h.len()) };
}
