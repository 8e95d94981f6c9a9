//! `Preallocation`: disk blocks reserved ahead of an appended log file's
//! end, and given back when the sink leaves the file.
//!
//! Appending to a growing file costs the file system work for every page
//! (ext4: a delayed-allocation reservation, buffer heads, extent updates).
//! Blocks reserved ahead with `fallocate(FALLOC_FL_KEEP_SIZE)` take that
//! work off the writer thread: measured on ext4, about a quarter of the
//! writer's kernel time writing a log of 100-byte lines — but not off the
//! machine, and on 2 CPUs the lines per second did not rise, so it is off
//! unless asked for (see [`crate::DEFAULT_PREALLOCATE_BYTES`]).
//!
//! # What a reader sees
//!
//! Nothing: `FALLOC_FL_KEEP_SIZE` never changes the file's size, so a
//! reader, `tail -f` or a process killed with `SIGKILL` sees exactly the
//! bytes written, never a zero tail. Only `st_blocks` (`du`) shows the
//! reserved blocks while the sink writes.
//!
//! # When
//!
//! The sink counts the bytes it hands out. Only when a batch would take
//! that count past the end of what was reserved does it look at the file
//! (`fstat`) and reserve from the file's real size up to one step past the
//! batch: a file truncated under the sink (`copytruncate`) is reserved
//! from its new end. Once per step, not per batch.
//!
//! # Giving back
//!
//! When the sink leaves the file (closes it, rotates away from it once its
//! last batch landed, reopens its path), blocks past the end are freed by
//! `ftruncate` to the size `fstat` just read. (`FALLOC_FL_PUNCH_HOLE` past
//! the end frees nothing on ext4, and cannot be made safe either.) Another
//! process appending between those two calls would lose its bytes to the
//! truncation, so a file this sink has seen grow by bytes it did not write
//! (another logger, a forked child, a shell) is *shared*: the sink stops
//! reserving for it and never truncates it; up to one step of blocks stays
//! reserved past its end. So is a file of a process that forked since the
//! sink began, the files it reopens at the path after that fork included:
//! its child may append to them before it writes anything that would tell
//! the sink. (The engine counts the process's forks: no fork happens
//! during a truncation, and one before it stops it.) A child that only
//! runs another program counts too when it was forked (`Command` with
//! `pre_exec` forks; without it `Command` uses `posix_spawn`, which runs
//! no fork handler and is not counted): its copy of the file's descriptor
//! closes at the `exec`, but the parent cannot tell that from a child that
//! appends first, short of tracking each child. A forked child's sink
//! knows of an appender (its parent), so it does not preallocate at all.
//! A file whose size is what the sink wrote and whose process has not
//! forked has no other appender the sink knows of; one that starts
//! appending in the microseconds between the `fstat` and the `ftruncate`
//! would lose that write, and a truncation by another program (say
//! `logrotate`'s `copytruncate`) in between would leave the file that
//! many zero bytes long. Set the step to 0 for a file other programs may
//! start writing or truncating while the sink leaves it.
//!
//! # Failures
//!
//! None fails a write, and none is reported: the file is simply written as
//! without preallocation.
//! - `EOPNOTSUPP`, `ENOSYS`, `EINVAL`, `EPERM`, `ENODEV`: this file is not
//!   preallocated again (a reopened or rotated file tries again).
//! - `ENOSPC`, `EDQUOT`, `EFBIG`, `EIO`, `EINTR`: paused for one step of
//!   writes, then tried again. What was reserved past the end is freed at
//!   once when no batch of the sink's is in flight to the file (else the
//!   sink's next writes use it).
//! - Room: a step is reserved only while the file system has at least
//!   [`ROOM_STEPS`] steps free, so on a nearly full disk nothing is held
//!   that the logs (or anything else) could have written.
//! - A file with the append-only or immutable attribute is not
//!   preallocated (it could not be truncated to give the blocks back).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;

use uringlog::__private::{forks, unless_forked_since};

/// A step is reserved only while the file system has this many steps free.
pub(crate) const ROOM_STEPS: u64 = 16;

/// The largest step taken; larger settings are cut to it.
pub const MAX_PREALLOCATE_BYTES: u64 = 1 << 30;

/// `FS_APPEND_FL | FS_IMMUTABLE_FL` (`chattr +a`, `chattr +i`).
const APPEND_OR_IMMUTABLE: libc::c_long = 0x20 | 0x10;

/// Why a file is no longer preallocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Off {
    /// The step is 0.
    Disabled,
    /// The file system refused (`EOPNOTSUPP`, …) or the file is append-only.
    Refused,
    /// Another writer appends to the file.
    Shared,
}

/// What is reserved ahead of one file; see the module docs.
///
/// Offsets are in the file's coordinates as of the last look: `seen` is the
/// size `fstat` read then, and the sink's bytes since are its byte count
/// (`counted`, [`crate::active::ActiveFile`]'s `len`) less what it counted
/// then (`counted_at_seen`).
#[derive(Debug)]
pub(crate) struct Preallocation {
    /// Bytes reserved past the end of the next batch, at most
    /// [`MAX_PREALLOCATE_BYTES`].
    step: u64,
    /// The sink looks again when a batch would end past this offset;
    /// `u64::MAX` while `off` is set.
    next_look: u64,
    /// Blocks were reserved up to this offset; 0 for none (or given back).
    reserved_to: u64,
    /// The file's size at the last look.
    seen: u64,
    /// The sink's byte count at the last look, less what was in flight:
    /// its bytes in the file then.
    counted_at_seen: u64,
    /// Set when the file is not preallocated any more.
    off: Option<Off>,
    /// Whether the file's attributes were checked (once, before the first
    /// reservation).
    attributes_checked: bool,
    /// The process's count of forks when the sink began (the engine's
    /// `forks`):
    /// after a fork the file is shared with the child.
    forks_at: u64,
}

impl Preallocation {
    /// For a file of `size` bytes that the sink counts as `counted`,
    /// reserving `step` bytes ahead (0: never).
    pub(crate) fn new(step: u64, size: u64, counted: u64) -> Preallocation {
        let step = step.min(MAX_PREALLOCATE_BYTES);
        let forks = match step {
            0 => Ok(0),
            _ => forks(),
        };
        let off = match forks {
            _ if step == 0 => Some(Off::Disabled),
            Err(_) => Some(Off::Refused),
            Ok(_) => None,
        };
        Preallocation {
            step,
            next_look: if off.is_some() { u64::MAX } else { 0 },
            reserved_to: 0,
            seen: size,
            counted_at_seen: counted,
            off,
            attributes_checked: false,
            forks_at: forks.unwrap_or(0),
        }
    }

    /// Takes the count of forks of `earlier`, the file the sink wrote
    /// before this one: its process forked since the sink began if it
    /// did since `earlier` began (see `forks`).
    pub(crate) fn began_with(&mut self, earlier: &Preallocation) {
        self.forks_at = earlier.forks_at;
    }

    /// The step (0: off).
    pub(crate) fn step(&self) -> u64 {
        self.step
    }

    /// Where the sink's bytes end in the file's coordinates of the last
    /// look, at most: `counted` bytes counted so far, `batch` more.
    fn end_after(&self, counted: u64, batch: u64) -> u64 {
        let since = counted.saturating_sub(self.counted_at_seen);
        self.seen.saturating_add(since).saturating_add(batch)
    }

    /// Before a batch of `batch` bytes is handed out to `file`: `counted`
    /// bytes counted so far, `in_flight` of them not yet told landed.
    /// One compare unless the batch passes the reserved end.
    #[inline]
    pub(crate) fn ahead(&mut self, file: &File, counted: u64, in_flight: u64, batch: u64) {
        if self.end_after(counted, batch) > self.next_look {
            self.look(file, counted, in_flight, batch);
        }
    }

    /// Reads the file's size and reserves from it, or pauses, or stops.
    #[cold]
    fn look(&mut self, file: &File, counted: u64, in_flight: u64, batch: u64) {
        let Ok(meta) = file.metadata() else {
            return self.pause(counted, batch);
        };
        if meta.len() > self.end_after(counted, 0) {
            return self.stop(Off::Shared);
        }
        self.seen = meta.len();
        self.counted_at_seen = counted.saturating_sub(in_flight);
        if !self.attributes_checked {
            self.attributes_checked = true;
            if append_only(file) {
                return self.stop(Off::Refused);
            }
        }
        if !room_for(file, self.step) {
            return self.pause(counted, batch);
        }
        let from = meta.len();
        let to = self.end_after(counted, batch).saturating_add(self.step);
        match fallocate_keep_size(file, from, to - from) {
            Ok(()) => {
                self.reserved_to = to;
                self.next_look = to;
            }
            Err(e) => self.failed(file, &e, counted, in_flight, batch),
        }
    }

    /// `fallocate` failed with `e` (see the module docs).
    fn failed(&mut self, file: &File, e: &io::Error, counted: u64, in_flight: u64, batch: u64) {
        match e.raw_os_error() {
            Some(
                libc::EOPNOTSUPP
                | libc::ENOSYS
                | libc::EINVAL
                | libc::EPERM
                | libc::ENODEV
                | libc::ESPIPE
                | libc::EBADF,
            ) => self.stop(Off::Refused),
            _ => {
                // The file system may keep what it reserved before it ran
                // out (ext4 does): free it unless a batch of ours is on its
                // way into it (truncating then would cut that batch).
                self.reserved_to = self.reserved_to.max(self.end_after(counted, batch));
                if in_flight == 0 {
                    let _ = self.give_back(file, counted);
                }
                self.pause(counted, batch);
            }
        }
    }

    /// Looks again after one more step of writes.
    fn pause(&mut self, counted: u64, batch: u64) {
        self.next_look = self.end_after(counted, batch).saturating_add(self.step);
    }

    fn stop(&mut self, why: Off) {
        self.off = Some(why);
        self.next_look = u64::MAX;
    }

    /// Frees the blocks reserved past the file's end; `counted` is the
    /// sink's byte count, nothing of it in flight. Nothing when none were
    /// reserved or the file is shared (see the module docs). The error
    /// names no path: the caller adds it.
    pub(crate) fn give_back(&mut self, file: &File, counted: u64) -> io::Result<()> {
        if self.reserved_to == 0 || self.off == Some(Off::Shared) {
            return Ok(());
        }
        let cut = unless_forked_since(self.forks_at, || -> io::Result<Option<u64>> {
            let meta = file.metadata()?;
            let size = meta.len();
            if size > self.end_after(counted, 0) {
                return Ok(None);
            }
            // Blocks past the end (the file may have grown past
            // `reserved_to` and still hold some: a truncation in between):
            // ftruncate to the size just read frees them, changing no byte.
            let in_use = size.next_multiple_of(meta.blksize().max(512));
            if meta.blocks().saturating_mul(512) > in_use {
                file.set_len(size)?;
            }
            Ok(Some(size))
        });
        // Forked since the sink began, or grown by bytes it did not write.
        let Some(size) = cut.transpose()?.flatten() else {
            self.stop(Off::Shared);
            return Ok(());
        };
        self.reserved_to = 0;
        self.seen = size;
        self.counted_at_seen = counted;
        if self.off.is_none() {
            self.next_look = 0;
        }
        Ok(())
    }
}

/// Whether `file` has the append-only or immutable attribute; no when the
/// file system does not say.
fn append_only(file: &File) -> bool {
    let mut flags: libc::c_long = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one long through the pointer, which
    // points to `flags`, alive for the call.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) };
    r == 0 && flags & APPEND_OR_IMMUTABLE != 0
}

/// Whether the file system holding `file` has [`ROOM_STEPS`] steps free
/// (for unprivileged users); yes when it does not say.
fn room_for(file: &File, step: u64) -> bool {
    // SAFETY: an all-zero `statfs` is a valid value of the plain C struct.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `statfs` for the call.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut st) } != 0 {
        return true;
    }
    let free = (st.f_bavail as u64).saturating_mul(st.f_bsize as u64);
    free / ROOM_STEPS >= step
}

/// `fallocate(FALLOC_FL_KEEP_SIZE)` of `len` bytes at `offset`.
fn fallocate_keep_size(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    };
    // SAFETY: plain system call on an open descriptor; no memory passed.
    let r = unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, offset, len) };
    match r {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}
