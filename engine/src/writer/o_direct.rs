//! O_DIRECT batches: aligned buffers, a padded last block, rewritten next time.
//!
//! A file opened with `O_DIRECT` takes writes whose offset, length and
//! memory address are multiples of its alignment (`align`). The sink
//! reserves offsets by logical length as usual; this module turns a batch
//! at logical offset `off` into a write at `base = off - off % align`:
//!
//! ```text
//! buffer: [pad][carry][records ............][zeros to the block end]
//!              ^ aligned address, written at `base`
//! ```
//!
//! `carry` is the file's bytes from `base` to `off` (the previous batch's
//! last partial block), so the write rewrites that block whole; `pad`
//! aligns the address; the zeros fill the last block. The last partial
//! block's bytes become the next batch's carry. The file is longer than
//! its content by the padding until the sink truncates it at close.
//!
//! **Ordering rule.** A batch that ended mid-block overlaps the next one,
//! and two in-flight writes to one block may land in either order, so the
//! next batch to that sink is submitted only after every write in flight
//! completed (the writer waits at that point, having formatted the batch
//! meanwhile). A batch that ended on a block boundary lets the next go at
//! once.

use crate::io::pwrite::read_at;
use crate::sink::SharedFd;
use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;

/// A batch in flight, as the sink sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Logical {
    /// Logical offset of the batch's first record byte.
    pub offset: u64,
    /// Record bytes (no carry, no padding).
    pub len: usize,
}

/// Per-sink O_DIRECT state.
#[derive(Debug)]
pub(crate) struct ODirect {
    /// Power of two.
    align: usize,
    /// File bytes from the block start to `carry_end`; `len < align`.
    carry: Vec<u8>,
    /// Logical offset where `carry` ends; `None` before the first batch.
    carry_end: Option<u64>,
    /// Bytes before the carry in the batch buffer being filled.
    pad: usize,
    /// Bytes before the first record (`pad + carry.len()`).
    prefix: usize,
    /// The last batch submitted ended mid-block and may still be in flight.
    pub overlap_in_flight: bool,
    /// Batches submitted and not yet completed, oldest first.
    in_flight: VecDeque<Logical>,
}

/// Zero bytes needed after `ptr` to reach a multiple of `align`.
fn pad_for(ptr: *const u8, align: usize) -> usize {
    (align - (ptr as usize) % align) % align
}

impl ODirect {
    pub(crate) fn new(align: usize) -> ODirect {
        debug_assert!(align.is_power_of_two(), "O_DIRECT alignment {align}");
        ODirect {
            align,
            carry: Vec::with_capacity(align),
            carry_end: None,
            pad: 0,
            prefix: 0,
            overlap_in_flight: false,
            in_flight: VecDeque::new(),
        }
    }

    /// Room a batch buffer needs beyond its records.
    pub(crate) fn extra_capacity(&self) -> usize {
        3 * self.align
    }

    /// Bytes of `buf` before the first record.
    pub(crate) fn prefix(&self) -> usize {
        self.prefix
    }

    /// Starts a fresh batch buffer: alignment padding, then the carry.
    pub(crate) fn begin(&mut self, buf: &mut Vec<u8>) {
        buf.clear();
        buf.reserve(self.extra_capacity());
        self.pad = pad_for(buf.as_ptr(), self.align);
        buf.resize(self.pad, 0);
        buf.extend_from_slice(&self.carry);
        self.prefix = buf.len();
    }

    /// Turns the filled `buf` (records after `prefix`) into an aligned
    /// write for logical offset `offset` of `fd`. Returns where the write
    /// starts in `buf` and the file offset it goes to. Success or not, the
    /// batch counts as in flight until [`ODirect::completed`].
    ///
    /// `same_file` says whether `fd` is the file of the previous batch; a
    /// different file (the sink reopened its path) never uses the carry.
    pub(crate) fn prepare(
        &mut self,
        buf: &mut Vec<u8>,
        fd: &SharedFd,
        offset: u64,
        same_file: bool,
    ) -> io::Result<(usize, u64)> {
        let len = buf.len() - self.prefix;
        self.in_flight.push_back(Logical { offset, len });
        if !same_file {
            self.carry_end = None;
        }
        let carry_len = (offset % self.align as u64) as usize;
        let base = offset - carry_len as u64;
        // Room for the carry, the records, alignment and the padding, so
        // nothing below reallocates (and unaligns) the buffer.
        let need = carry_len + len + 2 * self.align;
        let carry_ok = self.carry_end == Some(offset) && self.carry.len() == carry_len;
        let aligned = pad_for(buf[self.pad..].as_ptr(), self.align) == 0;
        if !carry_ok || !aligned || buf.capacity() < need {
            // First batch on an unaligned file, a rewind after an error, a
            // reopened file, or a buffer that grew and moved: rebuild the
            // prefix.
            if !carry_ok {
                self.carry = read_at(fd.as_fd(), base, carry_len, self.align)?;
            }
            let records = buf[self.prefix..].to_vec();
            buf.clear();
            buf.reserve(need);
            self.begin(buf);
            buf.extend_from_slice(&records);
        }
        let total = buf.len() - self.pad;
        let tail = total % self.align;
        self.carry.clear();
        self.carry
            .extend_from_slice(&buf[self.pad + total - tail..self.pad + total]);
        self.carry_end = Some(offset + len as u64);
        buf.resize(self.pad + total.next_multiple_of(self.align), 0);
        self.overlap_in_flight = tail > 0;
        Ok((self.pad, base))
    }

    /// The oldest batch in flight has completed.
    pub(crate) fn completed(&mut self) -> Option<Logical> {
        let l = self.in_flight.pop_front();
        if self.in_flight.is_empty() {
            self.overlap_in_flight = false;
        }
        l
    }

    /// Record bytes of a batch the kernel accepted `written` bytes of.
    pub(crate) fn logical_written(&self, l: Logical, written: usize) -> usize {
        let carry_len = (l.offset % self.align as u64) as usize;
        written.saturating_sub(carry_len).min(l.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn batches_are_aligned_padded_and_carry_their_last_block() {
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::File::create(dir.path().join("f")).unwrap();
        let fd: SharedFd = Arc::new(f);
        let mut d = ODirect::new(512);
        let mut buf = Vec::new();
        d.begin(&mut buf);
        buf.extend_from_slice(&[b'a'; 700]);
        let (start, base) = d.prepare(&mut buf, &fd, 0, false).unwrap();
        assert_eq!(base, 0);
        assert_eq!((buf.as_ptr() as usize + start) % 512, 0);
        assert_eq!(buf.len() - start, 1024);
        assert!(buf[start + 700..].iter().all(|&b| b == 0));
        assert!(d.overlap_in_flight);

        let mut next = Vec::new();
        d.begin(&mut next);
        assert_eq!(&next[d.prefix() - 188..d.prefix()], &[b'a'; 188][..]);
        next.extend_from_slice(&[b'b'; 324]);
        let (start, base) = d.prepare(&mut next, &fd, 700, true).unwrap();
        assert_eq!(base, 512);
        assert_eq!(next.len() - start, 512);
        assert!(!d.overlap_in_flight, "ended on a block boundary");
        let l = d.completed().unwrap();
        assert_eq!((l.offset, l.len), (0, 700));
        let l = d.completed().unwrap();
        assert_eq!(d.logical_written(l, 512), 324);
    }
}
