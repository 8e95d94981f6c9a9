//! The four dialects: which bytes each escapes, and how.

use super::scan::{below, below_exact, equal, equal_exact, high_or_del};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How one kind of string is escaped.
pub(crate) trait Dialect {
    /// Flags the bytes of a word this dialect escapes and the bytes >=
    /// 0x80 (see `scan`: the lowest flag is always one of them).
    fn word_flags(w: u64) -> u64;
    /// Flags the bytes of a word this dialect escapes, and no byte >= 0x80
    /// below the lowest of those (for text known to be valid UTF-8).
    fn ascii_word_flags(w: u64) -> u64;
    /// Whether this dialect escapes the byte `b` (never for `b >= 0x80`).
    fn is_special(b: u8) -> bool;
    /// Appends the escape for the ASCII byte `b` (`is_special(b)`); the
    /// text escapes unless the dialect says otherwise.
    fn escape_ascii(out: &mut Vec<u8>, b: u8) {
        text_ascii(out, b)
    }
    /// Appends the escape for a line separator (U+0085, U+2028, U+2029).
    fn escape_separator(out: &mut Vec<u8>, c: u32) {
        text_separator(out, c)
    }
    /// Appends a maximal invalid UTF-8 subsequence.
    fn escape_invalid(out: &mut Vec<u8>, bytes: &[u8]) {
        text_invalid(out, bytes)
    }
    /// Whether a `"` that starts the string is escaped.
    const LEADING_QUOTE: bool = false;
    /// The bytes `word_flags` flags, for the 16-byte test
    /// (`scan::flags16`): every byte below `BELOW`, the bytes in `EXTRA`
    /// (repeated to fill it) and every byte >= 0x80.
    const BELOW: u8 = 0x20;
    /// See [`Dialect::BELOW`].
    const EXTRA: [u8; 3];
}

fn push_hex(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
}

/// The text escapes shared by every text dialect: `\\`, `\"`, `\n`, `\r`,
/// `\t`, else `\xNN`.
fn text_ascii(out: &mut Vec<u8>, b: u8) {
    match b {
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'"' => out.extend_from_slice(b"\\\""),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b => push_hex(out, b),
    }
}

/// `\u{85}`, `\u{2028}`, `\u{2029}`.
fn text_separator(out: &mut Vec<u8>, c: u32) {
    out.extend_from_slice(match c {
        0x85 => b"\\u{85}".as_slice(),
        0x2028 => b"\\u{2028}",
        _ => b"\\u{2029}",
    });
}

fn text_invalid(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        push_hex(out, b);
    }
}

/// A C0 control other than tab, or DEL.
#[inline]
fn is_line_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// The text message of a record without fields: reads as written, but for
/// backslashes, controls (tab stays) and a leading quote.
pub(crate) struct Bare;

impl Dialect for Bare {
    const EXTRA: [u8; 3] = [b'\\', 0x7f, 0x7f];
    #[inline]
    fn word_flags(w: u64) -> u64 {
        below(w, 0x20) | high_or_del(w) | equal(w, b'\\')
    }
    #[inline]
    fn ascii_word_flags(w: u64) -> u64 {
        below_exact(w, 0x20) | equal_exact(w, 0x7f) | equal_exact(w, b'\\')
    }
    #[inline]
    fn is_special(b: u8) -> bool {
        is_line_control(b) || b == b'\\'
    }
    const LEADING_QUOTE: bool = true;
}

/// The text target: as [`Bare`] plus spaces (`\x20`), so the target ends
/// at the first space.
pub(crate) struct TargetText;

impl Dialect for TargetText {
    const BELOW: u8 = 0x21;
    const EXTRA: [u8; 3] = [b'\\', 0x7f, 0x7f];
    #[inline]
    fn word_flags(w: u64) -> u64 {
        below(w, 0x21) | high_or_del(w) | equal(w, b'\\')
    }
    #[inline]
    fn ascii_word_flags(w: u64) -> u64 {
        below_exact(w, 0x21) | equal_exact(w, 0x7f) | equal_exact(w, b'\\')
    }
    #[inline]
    fn is_special(b: u8) -> bool {
        Bare::is_special(b) || b == b' '
    }
}

/// The inside of a quoted text string (message with fields, key, value).
pub(crate) struct Quoted;

impl Dialect for Quoted {
    const EXTRA: [u8; 3] = [b'\\', 0x7f, b'"'];
    #[inline]
    fn word_flags(w: u64) -> u64 {
        below(w, 0x20) | high_or_del(w) | equal(w, b'\\') | equal(w, b'"')
    }
    #[inline]
    fn ascii_word_flags(w: u64) -> u64 {
        let specials = equal_exact(w, 0x7f) | equal_exact(w, b'\\') | equal_exact(w, b'"');
        below_exact(w, 0x20) | specials
    }
    #[inline]
    fn is_special(b: u8) -> bool {
        b < 0x20 || b == 0x7f || b == b'\\' || b == b'"'
    }
}

/// The inside of a JSON string (RFC 8259), U+2028 and friends as `\uXXXX`.
pub(crate) struct Json;

impl Dialect for Json {
    const EXTRA: [u8; 3] = [b'\\', b'"', b'"'];
    #[inline]
    fn word_flags(w: u64) -> u64 {
        below(w, 0x20) | w | equal(w, b'\\') | equal(w, b'"')
    }
    #[inline]
    fn ascii_word_flags(w: u64) -> u64 {
        below_exact(w, 0x20) | equal_exact(w, b'\\') | equal_exact(w, b'"')
    }
    #[inline]
    fn is_special(b: u8) -> bool {
        b < 0x20 || b == b'"' || b == b'\\'
    }
    fn escape_ascii(out: &mut Vec<u8>, b: u8) {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
        }
    }
    fn escape_separator(out: &mut Vec<u8>, c: u32) {
        out.extend_from_slice(match c {
            0x85 => b"\\u0085".as_slice(),
            0x2028 => b"\\u2028",
            _ => b"\\u2029",
        });
    }
    fn escape_invalid(out: &mut Vec<u8>, _bytes: &[u8]) {
        out.extend_from_slice("\u{fffd}".as_bytes());
    }
}
