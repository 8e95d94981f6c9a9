//! Record framing: how one log call is laid out in a producer's byte ring.
//!
//! A record is a fixed 16-byte header followed by the target bytes and the
//! payload. All integers are little-endian.
//!
//! ```text
//! offset  size  field
//! 0       4     len         total record length, header included (HEADER_LEN ..= MAX_RECORD_LEN)
//! 4       1     kind        RecordKind (low 7 bits); bit 7: LOCATED
//! 5       1     level       Level as u8
//! 6       2     target_len  bytes of target that follow the header
//! 8       8     clock       raw clock value; the writer converts it (see `clock`)
//! 16      ..    target      UTF-8, target_len bytes
//! ..      ..    location    only when LOCATED: line u32, file_len u16, file
//! ..      ..    payload     the rest, interpreted by kind
//! ```
//!
//! `LOCATED` marks a record that carries its call site (`file:line`)
//! before the payload; producers add it only when some sink's format
//! shows call sites, and never to deferred records, whose call site
//! holds the file and line already.
//!
//! `kind` says how to read the payload: a pre-formatted message, a message
//! with structured fields, or a deferred record (a call site and binary
//! arguments the writer formats; `target_len` is 0 when the call site holds
//! the target). A record is written into the ring in one reserve/commit, so the
//! consumer only ever sees whole records; it may straddle the ring's wrap
//! point, which is why decoding works on a pair of slices.

use crate::level::Level;

/// Bytes in a record header.
pub(crate) const HEADER_LEN: usize = 16;
/// Longest target kept; longer targets are cut at a character boundary.
pub(crate) const MAX_TARGET_LEN: usize = u16::MAX as usize;

/// Bit of the `kind` byte set when a location block follows the target.
const LOCATED: u8 = 0x80;
/// Bytes of a location block before the file name: line, file length.
pub(crate) const LOCATION_PREFIX_LEN: usize = 6;

/// Where a log statement is: its source file and line.
pub(crate) type Location<'a> = (&'a str, u32);

/// A decoded location: the file's bytes (UTF-8 as given) and the line.
pub(crate) type FileLine<'a> = (&'a [u8], u32);

/// The location block's fixed part for `file` (cut to 65,535 bytes) and
/// `line`, and the file bytes that follow it.
pub(crate) fn location_block((file, line): Location<'_>) -> ([u8; LOCATION_PREFIX_LEN], &str) {
    let file = truncate_str(file, u16::MAX as usize);
    let mut b = [0u8; LOCATION_PREFIX_LEN];
    b[..4].copy_from_slice(&line.to_le_bytes());
    b[4..].copy_from_slice(&(file.len() as u16).to_le_bytes());
    (b, file)
}

/// Splits a location block off the front of `payload`: `((file, line),
/// rest)`, `None` when it is malformed.
pub(crate) fn split_location(payload: &[u8]) -> Option<(FileLine<'_>, &[u8])> {
    let prefix = payload.get(..LOCATION_PREFIX_LEN)?;
    let line = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    let file_len = u16::from_le_bytes([prefix[4], prefix[5]]) as usize;
    let rest = &payload[LOCATION_PREFIX_LEN..];
    let file = rest.get(..file_len)?;
    Some(((file, line), &rest[file_len..]))
}

/// How a record's payload is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RecordKind {
    /// The payload is the message, already formatted by the caller (UTF-8).
    Text = 1,
    /// The payload is the message followed by structured fields (see `field`).
    Fields = 2,
    /// The payload is a call site and binary arguments; the writer renders
    /// the message (see `deferred`).
    Deferred = 3,
    /// A line formatted by the caller (`tracing`'s fmt layer through
    /// `make_writer`): written as is, whatever the sink's format.
    Raw = 4,
    /// The message, structured fields and the span scope they were logged
    /// in (the `tracing` layer; see `field::split_scoped`).
    Scoped = 5,
}

impl RecordKind {
    fn from_u8(v: u8) -> Option<RecordKind> {
        match v {
            1 => Some(RecordKind::Text),
            2 => Some(RecordKind::Fields),
            3 => Some(RecordKind::Deferred),
            4 => Some(RecordKind::Raw),
            5 => Some(RecordKind::Scoped),
            _ => None,
        }
    }
}

/// A decoded record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Total record length, header included.
    pub len: u32,
    pub kind: RecordKind,
    pub level: Level,
    pub target_len: u16,
    pub clock: u64,
    /// A location block follows the target (see `split_location`).
    pub located: bool,
}

/// Why bytes in a ring did not decode as a record (a bug, never user input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Fewer bytes than the header claims.
    Truncated,
    /// A header field out of range.
    Corrupt,
}

impl Header {
    /// The header of a text record for `target` and a message of `msg_len` bytes.
    #[cfg(test)]
    pub(crate) fn text(level: Level, clock: u64, target_len: usize, msg_len: usize) -> Header {
        Header::new(RecordKind::Text, level, clock, target_len, msg_len).expect("a short record")
    }

    /// The header of a record of `kind` with a payload of `payload_len`
    /// bytes; `None` when the framed record does not fit the 32-bit length
    /// (nor, then, any ring: see `MAX_RING_CAPACITY`).
    pub(crate) fn new(
        kind: RecordKind,
        level: Level,
        clock: u64,
        target_len: usize,
        payload_len: usize,
    ) -> Option<Header> {
        let len = HEADER_LEN
            .checked_add(target_len)?
            .checked_add(payload_len)?;
        Some(Header {
            len: u32::try_from(len).ok()?,
            kind,
            level,
            target_len: u16::try_from(target_len).ok()?,
            clock,
            located: false,
        })
    }

    /// This header, marked as followed by a location block (which
    /// `payload_len` given to `new` included).
    pub(crate) fn located(mut self) -> Header {
        self.located = true;
        self
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..4].copy_from_slice(&self.len.to_le_bytes());
        h[4] = self.kind as u8 | if self.located { LOCATED } else { 0 };
        h[5] = self.level as u8;
        h[6..8].copy_from_slice(&self.target_len.to_le_bytes());
        h[8..16].copy_from_slice(&self.clock.to_le_bytes());
        h
    }

    #[inline(always)]
    pub(crate) fn decode(h: &[u8; HEADER_LEN]) -> Result<Header, FrameError> {
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let kind = RecordKind::from_u8(h[4] & !LOCATED).ok_or(FrameError::Corrupt)?;
        let level = Level::from_u8(h[5]).ok_or(FrameError::Corrupt)?;
        let target_len = u16::from_le_bytes([h[6], h[7]]);
        let mut c = [0u8; 8];
        c.copy_from_slice(&h[8..16]);
        let clock = u64::from_le_bytes(c);
        if (len as usize) < HEADER_LEN + target_len as usize {
            return Err(FrameError::Corrupt);
        }
        Ok(Header {
            len,
            kind,
            level,
            target_len,
            clock,
            located: h[4] & LOCATED != 0,
        })
    }

    /// Bytes of payload after the target.
    #[cfg(test)]
    pub(crate) fn payload_len(&self) -> usize {
        self.len as usize - HEADER_LEN - self.target_len as usize
    }
}

/// Cuts `s` to at most `max` bytes at a character boundary.
pub(crate) fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Bytes that may straddle the ring's wrap point: `first` then `second`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Split<'a> {
    pub first: &'a [u8],
    pub second: &'a [u8],
}

impl<'a> Split<'a> {
    pub(crate) fn len(&self) -> usize {
        self.first.len() + self.second.len()
    }

    /// The sub-range `start .. start + len`.
    pub(crate) fn slice(&self, start: usize, len: usize) -> Split<'a> {
        debug_assert!(start + len <= self.len());
        let f = self.first.len();
        if start >= f {
            let s = start - f;
            Split {
                first: &self.second[s..s + len],
                second: &[],
            }
        } else if start + len <= f {
            Split {
                first: &self.first[start..start + len],
                second: &[],
            }
        } else {
            Split {
                first: &self.first[start..],
                second: &self.second[..start + len - f],
            }
        }
    }

    pub(crate) fn copy_to(&self, out: &mut [u8]) {
        let f = self.first.len();
        out[..f].copy_from_slice(self.first);
        out[f..].copy_from_slice(self.second);
    }

    pub(crate) fn extend_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.first);
        out.extend_from_slice(self.second);
    }

    /// The bytes as one slice: borrowed when they do not straddle the wrap
    /// point, else copied into `scratch` (cleared first).
    #[inline]
    pub(crate) fn contiguous<'s>(&self, scratch: &'s mut Vec<u8>) -> &'s [u8]
    where
        'a: 's,
    {
        if self.second.is_empty() {
            return self.first;
        }
        scratch.clear();
        self.extend_into(scratch);
        scratch
    }
}

/// One decoded record, borrowing the ring's bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame<'a> {
    pub header: Header,
    /// The target followed by the payload.
    pub body: Split<'a>,
}

/// Iterates the whole records in `bytes`, front to back.
///
/// `PREFIX` bytes precede each record and records start at multiples of
/// `ALIGN` (a power of two): 0 and 1 in a byte ring, a crash-safe ring's
/// frame prefix and alignment in a ring file (see `crash_safe::layout`).
/// Constants rather than fields, so a byte ring's drain loop carries no
/// arithmetic for a framing it does not have.
///
/// Once the records of the first slice are used up, the rest of the
/// second slice becomes the first (`base` counts what was left behind):
/// the records after a ring's wrap point are then framed by
/// [`Frames::next_whole`] like the others, not one by one out of line.
pub(crate) struct Frames<'a, const PREFIX: usize, const ALIGN: usize> {
    /// The bytes not left behind yet; `pos` is an offset into them.
    bytes: Split<'a>,
    pos: usize,
    /// Bytes of the slices given that lie before `bytes`.
    base: usize,
}

/// The records of a byte ring (and of an overwrite ring's slot): no
/// prefix, no padding.
pub(crate) type ByteFrames<'a> = Frames<'a, 0, 1>;

impl<'a, const PREFIX: usize, const ALIGN: usize> Frames<'a, PREFIX, ALIGN> {
    const ALIGN_IS_A_POWER_OF_TWO: () = assert!(ALIGN.is_power_of_two());

    pub(crate) fn new(bytes: Split<'a>) -> Frames<'a, PREFIX, ALIGN> {
        let () = Self::ALIGN_IS_A_POWER_OF_TWO;
        Frames {
            bytes,
            pos: 0,
            base: 0,
        }
    }

    /// Every byte given, used or not.
    pub(crate) fn total_len(&self) -> usize {
        self.base + self.bytes.len()
    }

    /// Bytes consumed by the records returned so far.
    pub(crate) fn consumed(&self) -> usize {
        self.base + self.pos
    }

    /// The next record, `None` at the end; an error when the bytes left do
    /// not frame one (see [`FrameError`]).
    #[inline(always)]
    pub(crate) fn next_frame(&mut self) -> Option<Result<Frame<'a>, FrameError>> {
        match self.next_whole() {
            Some(f) => Some(Ok(f)),
            None => self.next_frame_split(),
        }
    }

    /// The next record when it lies whole in the first slice and its
    /// header is sound (every record but the one at a ring's wrap point),
    /// framed with no copy of its header; `None` otherwise, for
    /// [`Frames::next_frame_split`] to tell the end, a straddling record
    /// and malformed bytes apart.
    ///
    /// Inlined into the drain loop, which handles its `Some` apart from
    /// the out-of-line rest: merged into one `Option<Result<Frame>>`,
    /// both would go through memory.
    #[inline(always)]
    pub(crate) fn next_whole(&mut self) -> Option<Frame<'a>> {
        let rest = self.bytes.first.get(self.pos + PREFIX..)?;
        let header = Header::decode(rest.first_chunk::<HEADER_LEN>()?).ok()?;
        let len = header.len as usize;
        let record = rest.get(..len)?;
        let framed = Self::framed_len(len);
        // Unpadded, the record's end is its frame's; padding may run
        // into the second slice, or past the bytes given.
        if ALIGN > 1 && framed > self.bytes.len() - self.pos {
            return None;
        }
        self.pos += framed;
        let body = Split {
            first: record.get(HEADER_LEN..)?,
            second: &[],
        };
        Some(Frame { header, body })
    }

    /// Bytes a record of `len` takes with its prefix, padded to `ALIGN`
    /// (a power of two: a mask, not a division).
    #[inline(always)]
    fn framed_len(len: usize) -> usize {
        (PREFIX + len + (ALIGN - 1)) & !(ALIGN - 1)
    }

    /// [`Frames::next_frame`] for the end of the bytes, a record that
    /// straddles the two slices, and malformed bytes.
    #[cold]
    #[inline(never)]
    pub(crate) fn next_frame_split(&mut self) -> Option<Result<Frame<'a>, FrameError>> {
        self.leave_first_slice();
        let rest = self.bytes.len() - self.pos;
        if rest == 0 {
            return None;
        }
        if rest < PREFIX + HEADER_LEN {
            return Some(Err(FrameError::Truncated));
        }
        let at = self.pos + PREFIX;
        let mut h = [0u8; HEADER_LEN];
        self.bytes.slice(at, HEADER_LEN).copy_to(&mut h);
        let header = match Header::decode(&h) {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        let framed = Self::framed_len(header.len as usize);
        if framed > rest {
            return Some(Err(FrameError::Truncated));
        }
        let body = (self.bytes).slice(at + HEADER_LEN, header.len as usize - HEADER_LEN);
        self.pos += framed;
        Some(Ok(Frame { header, body }))
    }

    /// Once `pos` is at or past the end of the first slice, makes what is
    /// left of the second slice the first, so that
    /// [`Frames::next_whole`] frames its records.
    #[inline(always)]
    fn leave_first_slice(&mut self) {
        let first = self.bytes.first.len();
        if self.pos < first || self.bytes.second.is_empty() {
            return;
        }
        // `pos <= bytes.len()`: a record is framed only when it fits.
        let into_second = self.pos - first;
        self.base += self.pos;
        self.bytes = Split {
            first: &self.bytes.second[into_second..],
            second: &[],
        };
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(level: Level, clock: u64, target: &str, msg: &str) -> Vec<u8> {
        let h = Header::text(level, clock, target.len(), msg.len());
        let mut v = h.encode().to_vec();
        v.extend_from_slice(target.as_bytes());
        v.extend_from_slice(msg.as_bytes());
        v
    }

    /// `b` as a ring would hand it out, wrapped at `cut` (or not at all).
    fn split_at(b: &[u8], cut: usize) -> Split<'_> {
        let (first, second) = b.split_at(cut.min(b.len()));
        Split { first, second }
    }

    /// Checks that `frames` yields `recs` (target, message, level, clock),
    /// then nothing, having consumed `len` bytes.
    fn check_frames<const PREFIX: usize, const ALIGN: usize>(
        frames: &mut Frames<'_, PREFIX, ALIGN>,
        recs: &[(String, String, u8, u64)],
        len: usize,
    ) -> Result<(), TestCaseError> {
        for (t, m, l, c) in recs {
            let f = frames.next_frame().unwrap().unwrap();
            let mut scratch = Vec::new();
            let body = f.body.contiguous(&mut scratch);
            let (tv, mv) = body.split_at(f.header.target_len as usize);
            prop_assert_eq!(tv, t.as_bytes());
            prop_assert_eq!(mv, m.as_bytes());
            prop_assert_eq!(f.header.level as u8, *l);
            prop_assert_eq!(f.header.clock, *c);
        }
        prop_assert!(frames.next_frame().is_none());
        prop_assert_eq!(frames.consumed(), len);
        Ok(())
    }

    #[test]
    fn records_after_the_wrap_point_are_framed_whole() {
        let recs: Vec<Vec<u8>> = (0..4)
            .map(|i| encode(Level::Info, i, "t", &"m".repeat(10 + i as usize)))
            .collect();
        let bytes = recs.concat();
        let ends: Vec<usize> = (recs.iter())
            .scan(0, |end, r| {
                *end += r.len();
                Some(*end)
            })
            .collect();
        // Wrapped at a record's end (a byte ring), then inside the second
        // record (one that straddles): the records after it are whole.
        for (cut, last_split) in [(ends[0], 1), (ends[0] + 5, 2)] {
            let mut frames = ByteFrames::new(split_at(&bytes, cut));
            assert_eq!(frames.next_whole().map(|f| f.header.clock), Some(0));
            assert!(frames.next_whole().is_none(), "cut at {cut}");
            for (clock, &end) in ends.iter().enumerate().take(last_split + 1).skip(1) {
                let f = frames.next_frame_split().unwrap().unwrap();
                assert_eq!(f.header.clock, clock as u64);
                assert_eq!(frames.consumed(), end);
            }
            for (clock, &end) in ends.iter().enumerate().skip(last_split + 1) {
                let f = frames.next_whole().expect("a whole record after the wrap");
                assert_eq!(f.header.clock, clock as u64);
                let body = f.body.contiguous(&mut Vec::new()).to_vec();
                assert_eq!(body, [b"t".as_slice(), &b"m".repeat(10 + clock)].concat());
                assert_eq!(frames.consumed(), end);
            }
            assert!(frames.next_whole().is_none());
            assert!(frames.next_frame_split().is_none());
            assert_eq!((frames.consumed(), frames.total_len()), (bytes.len(), bytes.len()));
        }
    }

    #[test]
    fn header_round_trips() {
        let h = Header::text(Level::Warn, 0x0102_0304_0506_0708, 7, 100);
        assert_eq!(Header::decode(&h.encode()), Ok(h));
        assert_eq!(h.len, 123);
        assert_eq!(h.payload_len(), 100);
    }

    #[test]
    fn lengths_past_32_bits_are_refused_not_wrapped() {
        let max = u32::MAX as usize;
        let fits = Header::new(
            RecordKind::Fields,
            Level::Info,
            0,
            10,
            max - HEADER_LEN - 10,
        );
        assert_eq!(fits.map(|h| h.len), Some(u32::MAX));
        let one_more = Header::new(RecordKind::Fields, Level::Info, 0, 10, max - HEADER_LEN - 9);
        assert_eq!(one_more, None);
        assert_eq!(
            Header::new(RecordKind::Text, Level::Info, 0, 0, usize::MAX),
            None
        );
        assert_eq!(
            Header::new(RecordKind::Text, Level::Info, 0, 1 << 16, 0),
            None
        );
    }

    #[test]
    fn a_location_block_round_trips() {
        let h = Header::text(Level::Info, 3, 1, 20).located();
        assert_eq!(h.encode()[4], 0x81);
        assert_eq!(Header::decode(&h.encode()), Ok(h));
        let (prefix, file) = location_block(("src/a.rs", 42));
        let mut v = prefix.to_vec();
        v.extend_from_slice(file.as_bytes());
        v.extend_from_slice(b"msg");
        assert_eq!(
            split_location(&v),
            Some(((&b"src/a.rs"[..], 42), &b"msg"[..]))
        );
        assert_eq!(split_location(&v[..9]), None);
        assert_eq!(split_location(&v[..3]), None);
        // A file name longer than the block can say is cut, at a character.
        let long = "é".repeat(40_000);
        let (prefix, file) = location_block((&long, 1));
        assert_eq!(file.len(), 65_534);
        assert_eq!(u16::from_le_bytes([prefix[4], prefix[5]]), 65_534);
    }

    #[test]
    fn corrupt_headers_are_refused() {
        let mut h = Header::text(Level::Info, 1, 3, 4).encode();
        h[4] = 99;
        assert_eq!(Header::decode(&h), Err(FrameError::Corrupt));
        let mut h = Header::text(Level::Info, 1, 3, 4).encode();
        h[5] = 9;
        assert_eq!(Header::decode(&h), Err(FrameError::Corrupt));
        let mut h = Header::text(Level::Info, 1, 3, 4).encode();
        h[0..4].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(Header::decode(&h), Err(FrameError::Corrupt));
    }

    #[test]
    fn truncated_bytes_are_reported() {
        let v = encode(Level::Info, 5, "t", "hello");
        let mut f = ByteFrames::new(Split {
            first: &v[..v.len() - 1],
            second: &[],
        });
        assert_eq!(f.next_frame().unwrap().unwrap_err(), FrameError::Truncated);
        let mut f = ByteFrames::new(Split {
            first: &v[..5],
            second: &[],
        });
        assert_eq!(f.next_frame().unwrap().unwrap_err(), FrameError::Truncated);
    }

    #[test]
    fn truncate_str_keeps_char_boundaries() {
        assert_eq!(truncate_str("héllo", 2), "h");
        assert_eq!(truncate_str("héllo", 3), "hé");
        assert_eq!(truncate_str("abc", 10), "abc");
    }

    proptest! {
        /// Records decode identically wherever the wrap point splits them.
        #[test]
        fn frames_decode_across_any_split(
            recs in proptest::collection::vec(("[a-z:]{0,12}", ".{0,40}", 0u8..5, any::<u64>()), 1..8),
            cut_frac in 0.0f64..1.0,
        ) {
            let mut bytes = Vec::new();
            for (t, m, l, c) in &recs {
                bytes.extend(encode(Level::from_u8(*l).unwrap(), *c, t, m));
            }
            let cut = ((bytes.len() as f64) * cut_frac) as usize;
            let mut frames = ByteFrames::new(Split { first: &bytes[..cut], second: &bytes[cut..] });
            check_frames(&mut frames, &recs, bytes.len())?;
        }

        /// Records behind a frame prefix and padded to `ALIGN` (a
        /// crash-safe ring) decode identically wherever the wrap point
        /// splits them — in a prefix, a header, a body or the padding —
        /// and bytes cut short anywhere give `Truncated`, never a record
        /// that reads past them.
        #[test]
        fn framed_records_decode_across_any_split(
            recs in proptest::collection::vec(("[a-z]{0,5}", ".{0,20}", any::<u64>()), 1..6),
            framing in 0usize..6,
            cut_frac in 0.0f64..1.0,
            short in 0usize..24,
        ) {
            match framing {
                0 => check_framed::<0, 1>(&recs, cut_frac, short)?,
                1 => check_framed::<0, 8>(&recs, cut_frac, short)?,
                2 => check_framed::<4, 8>(&recs, cut_frac, short)?,
                3 => check_framed::<8, 16>(&recs, cut_frac, short)?,
                4 => check_framed::<12, 1>(&recs, cut_frac, short)?,
                _ => check_framed::<16, 8>(&recs, cut_frac, short)?,
            }
        }
    }

    /// See `framed_records_decode_across_any_split`.
    fn check_framed<const PREFIX: usize, const ALIGN: usize>(
        recs: &[(String, String, u64)],
        cut_frac: f64,
        short: usize,
    ) -> Result<(), TestCaseError> {
        let mut bytes = Vec::new();
        for (t, m, c) in recs {
            bytes.extend(std::iter::repeat_n(0xAA, PREFIX));
            bytes.extend(encode(Level::Info, *c, t, m));
            bytes.resize(bytes.len().next_multiple_of(ALIGN), 0xBB);
        }
        let cut = ((bytes.len() as f64) * cut_frac) as usize;
        let mut frames = Frames::<PREFIX, ALIGN>::new(split_at(&bytes, cut));
        let expected: Vec<_> = (recs.iter())
            .map(|(t, m, c)| (t.clone(), m.clone(), Level::Info as u8, *c))
            .collect();
        check_frames(&mut frames, &expected, bytes.len())?;
        // The same bytes cut short: whole records, then `Truncated`.
        let kept = bytes.len() - short.min(bytes.len()).max(1);
        let cut_bytes = &bytes[..kept];
        let mut frames = Frames::<PREFIX, ALIGN>::new(split_at(cut_bytes, cut));
        let mut n = 0;
        loop {
            match frames.next_frame() {
                Some(Ok(f)) => {
                    prop_assert!(frames.consumed() <= kept);
                    prop_assert!(f.body.len() < f.header.len as usize);
                    n += 1;
                }
                Some(Err(e)) => {
                    prop_assert_eq!(e, FrameError::Truncated);
                    break;
                }
                None => break,
            }
        }
        prop_assert!(n < recs.len() || kept == bytes.len());
        Ok(())
    }
}
