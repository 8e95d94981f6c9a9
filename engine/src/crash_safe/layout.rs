//! The on-disk layout of a crash-safe directory: ring files and the state
//! file. All integers are little-endian; every offset is a multiple of 8.
//!
//! A ring file (`ring-<generation>-<index>`) is a [`RING_HEADER_LEN`]-byte
//! header followed by `capacity` bytes of data, preallocated:
//!
//! ```text
//! offset  size  field
//! 0       8     magic            RING_MAGIC
//! 8       4     version          VERSION
//! 12      4     header_len       RING_HEADER_LEN
//! 16      8     capacity         data bytes (a multiple of 8)
//! 24      4     pid              owning process
//! 28      4     thread           OS thread id of the producer
//! 32      8     generation       the directory's generation when created
//! 40      8     created_epoch    the state's committed epoch when created
//! 128     8     write            end of the last committed frame (producer, Release)
//! 256+16p 8     released[p]      p = epoch & 1: read position as of epoch
//! 264+16p 8     released_epoch[p]
//! ```
//!
//! Positions grow without wrapping; a position's byte is at
//! `RING_HEADER_LEN + pos % capacity`. A frame is
//!
//! ```text
//! 0   4  len    FRAME_PREFIX + the record's length (see `record`)
//! 4   4  crc    crc32c of the *previous* frame's bytes after its crc:
//!               its seq, record and padding (0 in a ring's first frame)
//! 8   8  seq    0, 1, 2, … per ring
//! 16  ..        the record, then zero padding to a multiple of 8
//! ```
//!
//! and may straddle the end of the data area.
//!
//! Each frame's crc travels in the frame after it: the producer hashes a
//! frame in the call after the one that wrote it (the bytes are then in
//! the cache, and the hashing overlaps that call's work instead of
//! lengthening the call that logged the record). So the newest frame of
//! a ring — the one ending at the published write position — has no crc
//! yet, and recovery accepts it unchecked by crc; its length, sequence
//! number, header and values are still checked, and it is covered by the
//! write position. This keeps the guarantee for the death of the process
//! (`SIGKILL`, `abort`, a segfault): the producer stores the frame's
//! bytes, then the write position (Release). A store to a `MAP_SHARED`
//! page lands in the page cache's own page, which outlives the process;
//! a process that is killed loses none of the stores it made before, and
//! tears none (the store that publishes the position comes after the
//! frame's in the ordering Release gives), so a frame the write position
//! covers holds exactly the bytes its producer wrote. What the crc guards
//! against is the rest: a file damaged on disk, or a power loss after
//! which some pages reached the disk and others did not. There, every
//! frame but the newest of each ring is checked; the newest may be taken
//! torn, if its header and values still parse.
//!
//! A ring file cut short (a disk that lost its tail: at least the header
//! left, fewer data bytes than `capacity`) holds the data offsets below
//! the cut. Recovery walks its frames from the released position as
//! ever and keeps exactly these:
//!
//! - a frame all of whose bytes (prefix, record, padding) are below the
//!   cut, every frame before it in the walk too, and
//! - whose crc is checked: the next frame's bytes 4..8, which carry it,
//!   are below the cut too and match — or it is the newest frame (it
//!   ends at the write position), taken unchecked as in a whole file.
//!
//! So the frame right before the cut is kept only when the cut leaves
//! the next frame's crc field; when the cut takes that field, the frame
//! is dropped, counted and described ("its checksum, which the next
//! frame carries, is past the cut"), never taken unchecked. The frame
//! the cut reaches into, and every pending byte after it, count as one
//! record skipped ("cut short at N of M bytes: the record at position P
//! is not in it; its last K bytes skipped"): the walk cannot know where
//! frames start past a missing byte, so frames that wrapped around to
//! offsets below the cut are not searched for. A cut past every pending
//! frame loses nothing and is said once ("after its pending records;
//! none lost"). A file shorter than its header says nothing about its
//! frames and is skipped whole.
//!
//! The state file (`state`)
//! holds the committed epoch and two slots; slot `epoch & 1` describes the
//! sink files as of that epoch (slot 0 of epoch 0, written when the
//! generation starts, holds the clock and no file), plus each file first
//! written since, added in place before its first batch (the entry, then
//! the count):
//!
//! ```text
//! 0   8  magic STATE_MAGIC        8  4  version (STATE_VERSION)  12  4  pid
//! 16  8  generation               24  8  committed epoch (Release)
//! SLOT_OFFSET + p * SLOT_LEN: epoch u64, clock u32 (0 raw = Unix ns,
//!   1 TSC), files u32, anchor_tick u64, anchor_ns u64, ns_per_tick f64,
//!   then per file: dev u64, ino u64, len u64, path_len u32, written u32,
//!   path bytes padded to 8 (`written`: the bytes this process appended to
//!   the file since the commit, saturating at `u32::MAX`, which means
//!   unknown; see `keeper::Keeper::mark_file`)
//! ```

/// First bytes of a ring file.
pub(crate) const RING_MAGIC: [u8; 8] = *b"ULOGRNG\x01";
/// First bytes of the state file.
pub(crate) const STATE_MAGIC: [u8; 8] = *b"ULOGSTA\x01";
/// Layout version of ring files (and of state files up to 3).
/// (2: the frame crc covers the padding, so it is computed a word at a time;
/// 3: a frame carries the crc of the frame before it.)
pub(crate) const VERSION: u32 = 3;
/// Layout version of the state file. (4: a file entry's `written`, 0 in
/// version 3, counts the bytes appended since the commit; a version 3
/// state is read with every `written` unknown, so recovery cuts back all
/// past a file's committed length, as the binaries writing it did.)
pub(crate) const STATE_VERSION: u32 = 4;
/// The state version before `written`: still read (see [`STATE_VERSION`]).
pub(crate) const STATE_VERSION_UNCOUNTED: u32 = 3;
/// Bytes before a ring's data.
pub(crate) const RING_HEADER_LEN: usize = 4096;
/// Bytes before a frame's record.
pub(crate) const FRAME_PREFIX: usize = 16;
/// Frames start at multiples of this.
pub(crate) const FRAME_ALIGN: usize = 8;

pub(crate) const H_VERSION: usize = 8;
pub(crate) const H_HEADER_LEN: usize = 12;
pub(crate) const H_CAPACITY: usize = 16;
pub(crate) const H_PID: usize = 24;
pub(crate) const H_THREAD: usize = 28;
pub(crate) const H_GENERATION: usize = 32;
pub(crate) const H_CREATED_EPOCH: usize = 40;
/// The producer's published write position (an `AtomicU64` in the mapping).
pub(crate) const H_WRITE: usize = 128;
/// `released[p]` and `released_epoch[p]` are at these plus `16 * p`.
pub(crate) const H_RELEASED: usize = 256;
pub(crate) const H_RELEASED_EPOCH: usize = 264;

pub(crate) const S_VERSION: usize = 8;
pub(crate) const S_PID: usize = 12;
pub(crate) const S_GENERATION: usize = 16;
pub(crate) const S_COMMITTED: usize = 24;
/// Where slot 0 starts; slot 1 follows it.
pub(crate) const SLOT_OFFSET: usize = 64;
/// Bytes per state slot.
pub(crate) const SLOT_LEN: usize = 16 * 1024;
/// Bytes of the state file.
pub(crate) const STATE_LEN: usize = SLOT_OFFSET + 2 * SLOT_LEN;
/// Bytes of a slot before its file entries.
pub(crate) const SLOT_FIXED: usize = 40;
/// Bytes of a file entry before its path.
pub(crate) const FILE_FIXED: usize = 32;
/// Offsets of a file entry's fields: the file's device and inode (its
/// identity), its committed length, its path's length (the path follows
/// at [`FILE_FIXED`]), and `written`.
pub(crate) const F_DEV: usize = 0;
pub(crate) const F_INO: usize = 8;
pub(crate) const F_LEN: usize = 16;
pub(crate) const F_PATH_LEN: usize = 24;
pub(crate) const F_WRITTEN: usize = 28;
const _: () = assert!(F_WRITTEN + 4 == FILE_FIXED);
/// `written` when unknown (positioned writes, or saturated).
pub(crate) const WRITTEN_UNKNOWN: u32 = u32::MAX;
/// Longest path kept for a sink file (longer ones are not recorded).
pub(crate) const MAX_PATH_LEN: usize = 4096;
const _: () = assert!(SLOT_FIXED + FILE_FIXED + MAX_PATH_LEN <= SLOT_LEN);
const _: () = assert!(H_RELEASED_EPOCH + 16 + 8 <= RING_HEADER_LEN);

/// `n` rounded up to a multiple of [`FRAME_ALIGN`].
#[inline]
pub(crate) fn align(n: usize) -> usize {
    (n + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// Ring bytes a record of `record_len` bytes takes, framed and padded.
#[inline]
pub(crate) fn framed_len(record_len: usize) -> usize {
    align(FRAME_PREFIX + record_len)
}

/// The crc32c of a frame, which the frame after it carries: over `seq`,
/// the record's `parts`, then the zero padding to a multiple of
/// [`FRAME_ALIGN`] (how tests build frames; the producer hashes the frame
/// in place, see `crc`).
#[cfg(test)]
pub(crate) fn frame_crc(seq: u64, parts: &[&[u8]]) -> u32 {
    let mut crc = crc32c::crc32c(&seq.to_le_bytes());
    let mut len = 0;
    for p in parts {
        crc = crc32c::crc32c_append(crc, p);
        len += p.len();
    }
    crc32c::crc32c_append(crc, &[0u8; FRAME_ALIGN][..align(len) - len])
}

/// The prefix of a frame holding a record of `record_len` bytes, carrying
/// `prev_crc`, the crc of the frame before it.
#[inline]
pub(crate) fn frame_prefix(record_len: usize, prev_crc: u32, seq: u64) -> [u8; FRAME_PREFIX] {
    let mut p = [0u8; FRAME_PREFIX];
    p[0..4].copy_from_slice(&((FRAME_PREFIX + record_len) as u32).to_le_bytes());
    p[4..8].copy_from_slice(&prev_crc.to_le_bytes());
    p[8..16].copy_from_slice(&seq.to_le_bytes());
    p
}

/// Reads a little-endian `u64` at `at`; `None` when out of bounds.
#[inline]
pub(crate) fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

/// Reads a little-endian `u32` at `at`; `None` when out of bounds.
#[inline]
pub(crate) fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

/// Writes `v` little-endian at `at` (in bounds by construction).
pub(crate) fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes `v` little-endian at `at` (in bounds by construction).
pub(crate) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_aligned_and_the_crc_covers_seq_and_record() {
        assert_eq!(framed_len(0), 16);
        assert_eq!(framed_len(1), 24);
        assert_eq!(framed_len(8), 24);
        let a = frame_crc(1, &[b"ab", b"c"]);
        assert_eq!(a, frame_crc(1, &[b"abc"]));
        assert_ne!(a, frame_crc(2, &[b"abc"]));
        let p = frame_prefix(10, 0xdead_beef, 7);
        assert_eq!(get_u32(&p, 0), Some(26));
        assert_eq!(get_u32(&p, 4), Some(0xdead_beef));
        assert_eq!(get_u64(&p, 8), Some(7));
        assert_eq!(get_u64(&p, 9), None);
    }
}
