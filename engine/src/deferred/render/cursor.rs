//! Unchecked writes into room reserved at the end of a `Vec<u8>`.
//!
//! The renderer reserves room for a whole message once (see
//! `render::room_for`) and then writes through a raw position kept in a
//! register: no capacity check, no length store per part. A part that
//! needs the `Vec` itself (escaping, `core::fmt`) goes through
//! [`Cursor::checked`], which sets the length first and takes the position
//! up again after; [`Cursor::reserve`] restores the room bound after such
//! a part, which may have used more than its share.
//!
//! Every reservation adds [`SLACK`] bytes that no part keeps: a short
//! string is copied with one 16-byte move whatever its length, so a
//! store may reach past the bytes it keeps, never past the slack.

use super::plan::Piece;

/// Bytes past the room of a message that a write may store into without
/// keeping them (16-byte moves of shorter strings).
pub(crate) const SLACK: usize = 32;

/// The position a cursor run by [`Cursor::aside`] ended at (in the same
/// `Vec`, whose buffer it may have moved).
pub(crate) struct End(*mut u8);

/// A write position in `out`'s spare capacity; `out`'s length is set by
/// [`Cursor::finish`] (and before each checked part).
pub(crate) struct Cursor<'v> {
    out: &'v mut Vec<u8>,
    /// Where the next byte goes: `out.as_mut_ptr() + len`, `len` the bytes
    /// written so far (at most `out.capacity()`).
    at: *mut u8,
}

impl<'v> Cursor<'v> {
    /// A cursor at the end of `out`, with `room` bytes (and the slack)
    /// reserved after it.
    #[inline(always)]
    pub(crate) fn new(out: &'v mut Vec<u8>, room: usize) -> Cursor<'v> {
        out.reserve(room + SLACK);
        // SAFETY: `len <= capacity`: the end of the initialised bytes is
        // within (or one past) the allocation.
        let at = unsafe { out.as_mut_ptr().add(out.len()) };
        Cursor { out, at }
    }

    /// A cursor at the end of `out`, in room reserved by the caller.
    ///
    /// # Safety
    /// None for the cursor itself; its unchecked writes need the room
    /// their callers promise (the room `out` has, not reserved here).
    #[inline(always)]
    pub(crate) unsafe fn in_room(out: &'v mut Vec<u8>) -> Cursor<'v> {
        // SAFETY: as in `new`.
        let at = unsafe { out.as_mut_ptr().add(out.len()) };
        Cursor { out, at }
    }

    /// `out`'s length: where the cursor began while nothing it wrote is
    /// committed (no [`Cursor::checked`] part yet).
    #[inline(always)]
    pub(crate) fn committed(&self) -> usize {
        self.out.len()
    }

    /// Ends the writing with `out` cut back to `len` bytes (at most its
    /// committed length): what the cursor wrote is dropped.
    #[inline(always)]
    pub(crate) fn discard(self, len: usize) {
        debug_assert!(len <= self.out.len());
        self.out.truncate(len);
    }

    /// Bytes written so far (`out`'s length once finished).
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        // SAFETY: `at` and the buffer's start are in the same allocation,
        // `at` not below it (see the field's invariant).
        unsafe { self.at.offset_from(self.out.as_ptr()) as usize }
    }

    /// Bytes of spare capacity after the position.
    #[inline(always)]
    pub(crate) fn spare(&self) -> usize {
        self.out.capacity() - self.len()
    }

    /// Sets `out`'s length to the bytes written.
    #[inline(always)]
    fn commit(&mut self) {
        let len = self.len();
        debug_assert!(len <= self.out.capacity());
        // SAFETY: every byte up to `at` was written (initialised) through
        // this cursor or was there before it.
        unsafe { self.out.set_len(len) };
    }

    /// Ends the writing: `out` holds every byte written.
    #[inline(always)]
    pub(crate) fn finish(mut self) {
        self.commit();
    }

    /// Runs `f` on `out` with its length set to the bytes written, then
    /// takes the position up at its new end. The room may be smaller
    /// after: [`Cursor::reserve`] restores it.
    #[inline(always)]
    pub(crate) fn checked<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.commit();
        let r = f(self.out);
        // SAFETY: as in `new`.
        self.at = unsafe { self.out.as_mut_ptr().add(self.out.len()) };
        r
    }

    /// Runs `f` — out of line, for a rare part — on a cursor at the same
    /// place, and takes up the position it ends at ([`Cursor::end`]).
    /// The cursor is handed over by value so that its position can stay
    /// in a register in the caller instead of in memory `f` could see.
    #[inline(always)]
    pub(crate) fn aside<R>(&mut self, f: impl FnOnce(Cursor<'_>) -> (End, R)) -> R {
        let (End(at), r) = f(Cursor {
            out: &mut *self.out,
            at: self.at,
        });
        self.at = at;
        r
    }

    /// Where a cursor given by [`Cursor::aside`] ended.
    #[inline(always)]
    pub(crate) fn end(self) -> End {
        End(self.at)
    }

    /// Makes sure `room` bytes and the slack are free after the position.
    #[inline(always)]
    pub(crate) fn reserve(&mut self, room: usize) {
        if self.spare() < room + SLACK {
            self.grow(room);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, room: usize) {
        self.checked(|out| out.reserve(room + SLACK));
    }

    /// Appends `s`.
    ///
    /// # Safety
    /// `s.len()` bytes are free after the position.
    #[inline(always)]
    pub(crate) unsafe fn put(&mut self, s: &[u8]) {
        debug_assert!(self.spare() >= s.len(), "room for {} bytes", s.len());
        // SAFETY: the caller promises room for `s.len()` bytes after `at`;
        // `s` is not in `out`'s spare capacity, so they do not overlap.
        unsafe {
            crate::deferred::encode::copy_short(s.as_ptr(), self.at, s.len());
            self.at = self.at.add(s.len());
        }
    }

    /// Appends a plan's piece in 16-byte moves: its head (no read of the
    /// plan's bytes for a short piece), then, unless `SHORT` says every
    /// piece is at most 16 bytes, the rest from its bytes. The last move
    /// may store up to 15 bytes past the piece.
    ///
    /// # Safety
    /// `p.len` bytes and the slack are free after the position; `p.at` is
    /// readable for `p.len` bytes rounded up to a multiple of 16 (a plan's
    /// piece is); `p.len <= 16` when `SHORT`.
    #[inline(always)]
    pub(crate) unsafe fn put_piece<const SHORT: bool>(&mut self, p: &Piece) {
        debug_assert!(self.spare() >= p.len + SLACK, "room for {} bytes", p.len);
        debug_assert!(!SHORT || p.len <= 16);
        // SAFETY: each move writes `at[i..i + 16]` for `i < len` (and
        // `i == 0`), within `len + 15 < len + SLACK` of the room; the
        // moves past the head read `p.at[i..i + 16]`, within the bytes
        // the caller promises readable.
        unsafe {
            self.at.cast::<[u8; 16]>().write_unaligned(p.head);
            if !SHORT && p.len > 16 {
                copy_padded_tail(self.at, p.at, p.len);
            }
            self.at = self.at.add(p.len);
        }
    }

    /// Appends the first `len` (`<= 16`) bytes of `w`, storing all 16.
    ///
    /// # Safety
    /// `len` bytes and the slack are free after the position.
    #[inline(always)]
    pub(crate) unsafe fn put16(&mut self, w: [u8; 16], len: usize) {
        debug_assert!(len <= 16);
        debug_assert!(self.spare() >= len + SLACK, "room for {len} bytes");
        // SAFETY: 16 <= SLACK bytes are free after `at` (the caller's
        // promise); only the first `len` of them are kept.
        unsafe {
            self.at.cast::<[u8; 16]>().write_unaligned(w);
            self.at = self.at.add(len.min(16));
        }
    }

    /// Appends a tail.
    ///
    /// # Safety
    /// `t.len()` bytes and the slack are free after the position.
    #[inline(always)]
    pub(crate) unsafe fn tail(&mut self, t: super::Tail) {
        debug_assert!(self.spare() >= t.len() + SLACK, "room for {} bytes", t.len());
        // SAFETY: 4 <= SLACK bytes are free after `at` (the caller's
        // promise); only the first `t.len() <= 3` of them are kept (see `Tail::new`).
        unsafe {
            self.at.cast::<[u8; 4]>().write_unaligned(t.bytes());
            self.at = self.at.add(t.len());
        }
    }

    /// Appends one byte.
    ///
    /// # Safety
    /// A byte is free after the position.
    #[inline(always)]
    pub(crate) unsafe fn byte(&mut self, b: u8) {
        debug_assert!(self.spare() >= 1);
        // SAFETY: the caller promises room for the byte.
        unsafe {
            self.at.write(b);
            self.at = self.at.add(1);
        }
    }

    /// Appends `v` in decimal.
    ///
    /// # Safety
    /// `decimal_len(v)` bytes and the slack are free after the position
    /// (the digits are written in 8-byte stores, the last of which may
    /// reach 7 bytes past them).
    #[inline(always)]
    pub(crate) unsafe fn decimal(&mut self, v: u64) {
        debug_assert!(self.spare() >= crate::format::digits::decimal_len(v) + SLACK);
        // SAFETY: the caller promises room for the digits and the slack,
        // which holds the 7 bytes after them.
        unsafe {
            let n = crate::format::digits::write_decimal(self.at, v);
            self.at = self.at.add(n);
        }
    }
}

/// [`Cursor::put_piece`] past the first 16 bytes, out of line (most
/// pieces are shorter): `src[16..]` to `dst[16..]` in 16-byte moves.
///
/// # Safety
/// As for [`Cursor::put_piece`], `dst` the position.
#[inline(never)]
unsafe fn copy_padded_tail(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: as in `put_piece`.
    unsafe {
        let mut i = 16;
        while i < len {
            let w = src.add(i).cast::<[u8; 16]>().read_unaligned();
            dst.add(i).cast::<[u8; 16]>().write_unaligned(w);
            i += 16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `len` bytes of `b` as a plan's piece (`b` padded).
    fn piece(b: &'static [u8], len: usize) -> Piece {
        let mut head = [0; 16];
        head[..len.min(16)].copy_from_slice(&b[..len.min(16)]);
        Piece {
            head,
            at: b.as_ptr(),
            len,
        }
    }

    #[test]
    fn parts_land_in_order_and_checked_parts_take_the_position_up() {
        let mut out = b"ab".to_vec();
        out.shrink_to_fit();
        let mut c = Cursor::new(&mut out, 80);
        // SAFETY: 80 bytes (and the slack) were reserved; the pieces'
        // bytes are readable for their lengths rounded up to 16.
        unsafe {
            c.put(b"cd");
            c.put16(*b"efghijklmnopqrst", 3);
            c.byte(b'-');
            c.put_piece::<false>(&piece(b"0123456789abcdefghijklmnopqrstuvwxyz!!!!!!!!!!!!", 33));
            c.put_piece::<true>(&piece(b"ABCDEFGHIJKLMNOP", 0));
            c.put_piece::<true>(&piece(b"ABCDEFGHIJKLMNOP", 2));
            c.decimal(0);
            c.decimal(120);
        }
        c.checked(|out| out.extend_from_slice(&[b'x'; 100]));
        c.reserve(20);
        // SAFETY: 20 bytes were reserved.
        unsafe { c.decimal(u64::MAX) };
        c.finish();
        let want = format!(
            "abcdefg-0123456789abcdefghijklmnopqrstuvwAB0120{}{}",
            "x".repeat(100),
            u64::MAX
        );
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}
