//! Escaping, so that one record stays one line in either format.
//!
//! Each escaper scans eight bytes at a time for the bytes it must change
//! and copies clean runs whole.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether some byte of `w` is below `n` (exact for `n <= 0x80`).
#[inline]
fn has_below(w: u64, n: u8) -> bool {
    w.wrapping_sub(ONES * n as u64) & !w & HIGHS != 0
}

/// Whether some byte of `w` equals `b`.
#[inline]
fn has_byte(w: u64, b: u8) -> bool {
    let x = w ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// Index of the first byte of `s` for which `hit` holds, testing words
/// with `word_may_hit` first (it may report false positives, never misses).
#[inline]
fn find(s: &[u8], word_may_hit: impl Fn(u64) -> bool, hit: impl Fn(u8) -> bool) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if word_may_hit(w) {
            if let Some(i) = c.iter().position(|&b| hit(b)) {
                return Some(base + i);
            }
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| hit(b))
        .map(|i| base + i)
}

/// A control character as the text format escapes it: `\n`, `\r`, `\xNN`.
#[inline]
fn is_text_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

fn push_hex(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
}

/// Appends `s` (message or target), escaping control characters.
#[inline]
pub(crate) fn push_text(out: &mut Vec<u8>, mut s: &[u8]) {
    let word = |w: u64| has_below(w, 0x20) || has_byte(w, 0x7f);
    while let Some(i) = find(s, word, is_text_control) {
        out.extend_from_slice(&s[..i]);
        match s[i] {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => push_hex(out, b),
        }
        s = &s[i + 1..];
    }
    out.extend_from_slice(s);
}

/// Whether a text field value must be quoted: empty, or holding a space,
/// `"`, `=`, `\`, a control character or (unless `utf8` promises there is
/// none) invalid UTF-8.
fn needs_quotes(s: &[u8], utf8: bool) -> bool {
    s.is_empty()
        || s.iter()
            .any(|&b| matches!(b, b' ' | b'"' | b'=' | b'\\') || b < 0x20 || b == 0x7f)
        || (!utf8 && std::str::from_utf8(s).is_err())
}

/// Appends a text field value: bare when safe, else quoted and escaped
/// (`\"`, `\\`, `\n`, `\r`, `\t`, `\xNN` for other controls and invalid
/// UTF-8). `utf8` says `s` is known to be valid UTF-8 (a string field).
pub(crate) fn push_text_value(out: &mut Vec<u8>, s: &[u8], utf8: bool) {
    if !needs_quotes(s, utf8) {
        out.extend_from_slice(s);
        return;
    }
    out.push(b'"');
    for chunk in s.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b if b < 0x20 || b == 0x7f => push_hex(out, b),
                b => out.push(b),
            }
        }
        for &b in chunk.invalid() {
            push_hex(out, b);
        }
    }
    out.push(b'"');
}

#[inline]
fn is_json_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends the contents of a JSON string (no quotes) for UTF-8 `s`.
#[inline]
pub(crate) fn push_json(out: &mut Vec<u8>, mut s: &[u8]) {
    let word = |w: u64| has_below(w, 0x20) || has_byte(w, b'"') || has_byte(w, b'\\');
    while let Some(i) = find(s, word, is_json_special) {
        out.extend_from_slice(&s[..i]);
        match s[i] {
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
        s = &s[i + 1..];
    }
    out.extend_from_slice(s);
}

/// [`push_json`] for arbitrary bytes: each invalid UTF-8 sequence becomes
/// U+FFFD, as `String::from_utf8_lossy` does.
pub(crate) fn push_json_lossy(out: &mut Vec<u8>, s: &[u8]) {
    for chunk in s.utf8_chunks() {
        push_json(out, chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &[u8]) -> String {
        let mut out = Vec::new();
        push_text(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    fn value(s: &[u8]) -> String {
        let mut out = Vec::new();
        push_text_value(&mut out, s, std::str::from_utf8(s).is_ok());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_escapes_controls_only() {
        assert_eq!(
            text(b"a\nb\r\tc\x1bd\x7f\"\\"),
            "a\\nb\\r\tc\\x1bd\\x7f\"\\"
        );
    }

    #[test]
    fn text_values_are_quoted_when_needed() {
        assert_eq!(value(b"alice"), "alice");
        assert_eq!(value("h\u{e9}".as_bytes()), "h\u{e9}");
        assert_eq!(value(b""), "\"\"");
        assert_eq!(value(b"a b"), "\"a b\"");
        assert_eq!(value(b"x=\"1\"\\"), "\"x=\\\"1\\\"\\\\\"");
        assert_eq!(value(b"l1\nl2\t\x01"), "\"l1\\nl2\\t\\x01\"");
        assert_eq!(value(b"ok\xff\xfe"), "\"ok\\xff\\xfe\"");
    }

    #[test]
    fn json_escapes_like_serde_json() {
        let s = "q\"b\\n\n\r\t\x08\x0c\x01\x1f\x7f é ✓";
        let mut out = Vec::new();
        push_json(&mut out, s.as_bytes());
        let want = serde_json::to_string(s).unwrap();
        assert_eq!(format!("\"{}\"", String::from_utf8(out).unwrap()), want);
    }

    proptest! {
        #[test]
        fn text_leaves_no_control_bytes_and_is_identity_otherwise(s in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut out = Vec::new();
            push_text(&mut out, &s);
            prop_assert!(!out.iter().any(|&b| is_text_control(b)));
            if !s.iter().any(|&b| is_text_control(b)) {
                prop_assert_eq!(out, s);
            }
        }

        #[test]
        fn json_strings_parse_back(s in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut out = vec![b'"'];
            push_json_lossy(&mut out, &s);
            out.push(b'"');
            let back: String = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(back, String::from_utf8_lossy(&s));
        }
    }
}
