//! Appending short byte strings to a batch buffer without a call into
//! `memcpy`: the pieces of a line (timestamp, level, target, digits,
//! literal text) are mostly under 16 bytes, where a call costs more than
//! the copy.

use crate::deferred::encode::copy_short;

/// Appends `s`: inline moves up to 16 bytes, `memcpy` beyond.
#[inline(always)]
pub(crate) fn put(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len());
    let dst = out.spare_capacity_mut();
    // SAFETY: `reserve` made room for `s.len()` bytes at the end of `out`,
    // which do not overlap `s`; they are initialised before `set_len`.
    unsafe {
        copy_short(s.as_ptr(), dst.as_mut_ptr().cast::<u8>(), s.len());
        out.set_len(out.len() + s.len());
    }
}

/// Appends the first `len` bytes of `src` (`len <= N`) by storing all `N`
/// at once: one or two wide moves for a fixed-size buffer whose used
/// length varies (a timestamp, a padded name).
#[inline(always)]
pub(crate) fn put_first<const N: usize>(out: &mut Vec<u8>, src: &[u8; N], len: usize) {
    out.reserve(N);
    // SAFETY: `reserve` made room for `N` bytes.
    unsafe { put_first_in_room(out, src, len) }
}

/// [`put_first`] without checking for room.
///
/// # Safety
/// `out` has room for `N` more bytes.
#[inline(always)]
pub(crate) unsafe fn put_first_in_room<const N: usize>(
    out: &mut Vec<u8>,
    src: &[u8; N],
    len: usize,
) {
    debug_assert!(out.capacity() - out.len() >= N);
    debug_assert!(len <= N);
    let len = len.min(N);
    // SAFETY: the caller promises room for `N` bytes at the end of `out`;
    // the first `len <= N` of them are initialised from `src` before
    // `set_len` (the others are written too and stay spare capacity).
    unsafe {
        let end = out.as_mut_ptr().add(out.len());
        end.cast::<[u8; N]>().write_unaligned(*src);
        out.set_len(out.len() + len);
    }
}

/// Appends `src` changed in place by `edit`, which returns how many of
/// its bytes the line keeps (`<= N`): a cached buffer (a timestamp) is
/// stored once, straight into reserved room, and its varying bytes
/// written there.
///
/// # Safety
/// `out` has room for `N` more bytes.
#[inline(always)]
pub(crate) unsafe fn put_edited<const N: usize>(
    out: &mut Vec<u8>,
    src: &[u8; N],
    edit: impl FnOnce(&mut [u8; N]) -> usize,
) {
    debug_assert!(out.capacity() - out.len() >= N);
    // SAFETY: the caller promises room for `N` bytes at the end of `out`;
    // they are initialised from `src` before a reference to them is made
    // (`[u8; N]` is aligned to 1, so any address is aligned), and only the
    // first `len <= N` of them join `out`.
    unsafe {
        let end = out.as_mut_ptr().add(out.len()).cast::<[u8; N]>();
        end.write(*src);
        let len = edit(&mut *end);
        assert!(len <= N);
        out.set_len(out.len() + len);
    }
}

/// Appends one byte (a `push` whose growth path is out of line).
#[inline(always)]
pub(crate) fn byte(out: &mut Vec<u8>, b: u8) {
    put_first(out, &[b], 1);
}

/// [`byte`] without checking for room.
///
/// # Safety
/// `out` has room for one more byte.
#[inline(always)]
pub(crate) unsafe fn byte_in_room(out: &mut Vec<u8>, b: u8) {
    // SAFETY: the caller promises room for the byte.
    unsafe { put_first_in_room(out, &[b], 1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_copied_exactly() {
        let src: Vec<u8> = (0..100u8).collect();
        for n in 0..src.len() {
            let mut out = vec![7u8];
            put(&mut out, &src[..n]);
            assert_eq!(out[0], 7);
            assert_eq!(&out[1..], &src[..n]);
        }
        let mut out = Vec::new();
        put_first(&mut out, b"abcdefgh", 3);
        byte(&mut out, b'!');
        assert_eq!(out, b"abc!");
        out.reserve(4);
        // SAFETY: room for 4 bytes was just reserved.
        unsafe {
            put_edited(&mut out, b"wxyz", |b| {
                b[1] = b'X';
                3
            })
        };
        out.reserve(1);
        // SAFETY: room for a byte was just reserved.
        unsafe { byte_in_room(&mut out, b'?') };
        assert_eq!(out, b"abc!wXy?");
    }
}
