//! Escaping, so that one record stays one line in either format and every
//! escaped sequence reads back as exactly one thing.
//!
//! Four dialects, one per place a string lands (see `Format` for the
//! grammar they serve):
//!
//! | dialect | used for | escapes |
//! |---|---|---|
//! | [`Bare`] | text message of a record without fields | `\`, C0 controls but tab, DEL, a leading `"` |
//! | [`TargetText`] | text target | as `Bare`, plus space; no quote rule |
//! | [`Quoted`] | text message of a record with fields, quoted keys and values | `\`, `"`, every C0 control, DEL |
//! | [`Json`] | JSON strings | `\`, `"`, every C0 control |
//!
//! Every dialect also escapes the three characters line splitters treat as
//! breaks besides `\n` and `\r` — U+0085, U+2028, U+2029 — and never
//! passes invalid UTF-8 through: text shows each byte of an invalid
//! sequence as `\xNN`, JSON replaces each maximal invalid subsequence with
//! U+FFFD (as `String::from_utf8_lossy` does). The output is valid UTF-8.
//!
//! [`push`] validates its input; [`push_utf8`] is for bytes that are
//! UTF-8 by construction (messages and targets, written from a `&str`; a
//! debug assertion checks it) and only looks for what it must escape, so
//! non-ASCII text costs a word scan, not a walk through every character.
//! [`Escaper`] takes a string in arbitrary chunks (validating) and
//! produces the same bytes as [`push`] on the whole: it holds back an
//! incomplete UTF-8 sequence at the end of a chunk (at most three bytes)
//! until the next chunk or [`Escaper::finish`] decides it. Scans go eight
//! bytes at a time and copy clean runs whole (see `scan`).

mod dialect;
mod scan;

use super::put::put;
pub(crate) use dialect::{Bare, Dialect, Json, Quoted, TargetText};
use scan::{
    any_flagged16, any_flagged_in, below, equal, find, flagged, high_or_del, load, separator,
    separator_lead, sequence, Seq,
};
use std::marker::PhantomData;

/// Escapes one string given in chunks of any size; see the module docs.
///
/// For rendering a message piecewise (literal pieces and arguments of a
/// deferred record, written on the writer): the bytes equal those of
/// [`push`] on the whole string. Whole strings use [`push`], which skips
/// this state (measurably cheaper per call).
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug)]
pub(crate) struct Escaper<D> {
    /// An incomplete UTF-8 sequence held back from the last chunk.
    pending: [u8; 4],
    /// Bytes in `pending` (0 to 3).
    pending_len: u8,
    /// Whether a byte has been seen (for `Dialect::LEADING_QUOTE`).
    started: bool,
    dialect: PhantomData<D>,
}

#[cfg_attr(not(test), allow(dead_code))]
impl<D: Dialect> Escaper<D> {
    pub(crate) fn new() -> Escaper<D> {
        Escaper {
            pending: [0; 4],
            pending_len: 0,
            started: false,
            dialect: PhantomData,
        }
    }

    /// Appends the escaped form of the next chunk of the string.
    #[inline]
    pub(crate) fn push(&mut self, out: &mut Vec<u8>, mut s: &[u8]) {
        if s.is_empty() {
            return;
        }
        if !self.started {
            self.started = true;
            if D::LEADING_QUOTE && s[0] == b'"' {
                out.extend_from_slice(b"\\\"");
                s = &s[1..];
            }
        }
        if self.pending_len > 0 {
            match self.complete_pending(out, s) {
                Some(rest) => s = rest,
                None => return,
            }
        }
        let done = escape_run::<D>(out, s, Utf8::Check);
        let tail = &s[done..];
        if !tail.is_empty() {
            debug_assert!(tail.len() < 4, "only an incomplete sequence is held back");
            self.pending[..tail.len()].copy_from_slice(tail);
            self.pending_len = tail.len() as u8;
        }
    }

    /// Ends the string: a sequence still incomplete is invalid.
    #[inline]
    pub(crate) fn finish(self, out: &mut Vec<u8>) {
        if self.pending_len > 0 {
            D::escape_invalid(out, &self.pending[..self.pending_len as usize]);
        }
    }

    /// Decides the held-back sequence with the first bytes of `s`; returns
    /// the rest of `s`, or `None` when `s` was used up still incomplete.
    fn complete_pending<'s>(&mut self, out: &mut Vec<u8>, s: &'s [u8]) -> Option<&'s [u8]> {
        let held = self.pending_len as usize;
        let take = s.len().min(4 - held);
        let mut buf = self.pending;
        buf[held..held + take].copy_from_slice(&s[..take]);
        let used = match sequence(&buf[..held + take]) {
            Seq::Incomplete => {
                self.pending = buf;
                self.pending_len = (held + take) as u8;
                return None;
            }
            Seq::Char(len) => {
                match separator(&buf[..len]) {
                    Some(c) => D::escape_separator(out, c),
                    None => out.extend_from_slice(&buf[..len]),
                }
                len
            }
            // The held bytes are a valid beginning, so the invalid
            // subsequence covers them all: `n >= held`.
            Seq::Invalid(n) => {
                D::escape_invalid(out, &buf[..n]);
                n
            }
        };
        self.pending_len = 0;
        Some(&s[used - held..])
    }
}

/// Escapes `s` into `out` up to an incomplete sequence at its end; returns
/// the bytes consumed (all of `s`, or all but that sequence). ASCII is
/// scanned word by word; from the first non-ASCII byte on, the rest goes
/// to `escape_unicode` (validating) or, when `s` is known to be UTF-8, to
/// `escape_valid`.
#[inline]
fn escape_run<D: Dialect>(out: &mut Vec<u8>, s: &[u8], utf8: Utf8) -> usize {
    let hit = |b: u8| b >= 0x80 || D::is_special(b);
    let mut clean = 0; // start of the run not yet copied
    let mut at = 0; // where the next search starts
    while let Some(i) = find(&s[at..], D::word_flags, hit) {
        let i = at + i;
        out.extend_from_slice(&s[clean..i]);
        if s[i] >= 0x80 {
            return i + match utf8 {
                Utf8::Check => escape_unicode::<D>(out, &s[i..]),
                Utf8::Known => escape_valid::<D>(out, &s[i..]),
            };
        }
        D::escape_ascii(out, s[i]);
        clean = i + 1;
        at = i + 1;
    }
    out.extend_from_slice(&s[clean..]);
    s.len()
}

/// Whether bytes to escape are known to be valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Utf8 {
    /// Validate: invalid sequences are escaped (`\xNN`, U+FFFD).
    Check,
    /// Valid by construction (they come from a `&str`): only the dialect's
    /// bytes and the line separators are looked for.
    Known,
}

/// [`escape_run`] from a non-ASCII byte on, for valid UTF-8: finds the
/// dialect's ASCII bytes and the separators' lead bytes (0xc2, 0xe2) a
/// word at a time. Were `s` invalid after all, its bytes pass as they are
/// (still never a line break: those are ASCII or caught here).
#[inline]
fn escape_valid<D: Dialect>(out: &mut Vec<u8>, s: &[u8]) -> usize {
    let word = |w: u64| D::ascii_word_flags(w) | separator_lead(w);
    let hit = |b: u8| D::is_special(b) || b == 0xc2 || b == 0xe2;
    let mut clean = 0;
    let mut at = 0;
    while let Some(i) = find(&s[at..], word, hit) {
        let i = at + i;
        let len = match s[i] {
            0xc2 => 2,
            0xe2 => 3,
            b => {
                out.extend_from_slice(&s[clean..i]);
                D::escape_ascii(out, b);
                clean = i + 1;
                at = i + 1;
                continue;
            }
        };
        if let Some(c) = s.get(i..i + len).and_then(separator) {
            out.extend_from_slice(&s[clean..i]);
            D::escape_separator(out, c);
            clean = i + len;
        }
        at = i + 1;
    }
    out.extend_from_slice(&s[clean..]);
    s.len()
}

/// [`escape_run`] from a non-ASCII byte on: one pass that validates UTF-8
/// character by character, skips clean ASCII eight bytes at a time, and
/// escapes what the dialect asks for, separators and invalid sequences.
/// An incomplete sequence at the end is left unconsumed.
fn escape_unicode<D: Dialect>(out: &mut Vec<u8>, s: &[u8]) -> usize {
    let mut clean = 0; // start of the run not yet copied
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            if D::is_special(b) {
                out.extend_from_slice(&s[clean..i]);
                D::escape_ascii(out, b);
                clean = i + 1;
                i += 1;
            } else if i + 8 <= s.len() && !flagged(D::word_flags(load(&s[i..]))) {
                i += 8;
            } else {
                i += 1;
            }
            continue;
        }
        // Two-byte characters (most non-Latin alphabets) first.
        if (0xc3..=0xdf).contains(&b) && s.get(i + 1).is_some_and(|&c| c & 0xc0 == 0x80) {
            i += 2;
            continue;
        }
        match sequence(&s[i..]) {
            Seq::Char(len) => {
                if let Some(c) = separator(&s[i..i + len]) {
                    out.extend_from_slice(&s[clean..i]);
                    D::escape_separator(out, c);
                    clean = i + len;
                }
                i += len;
            }
            Seq::Invalid(n) => {
                out.extend_from_slice(&s[clean..i]);
                D::escape_invalid(out, &s[i..i + n]);
                i += n;
                clean = i;
            }
            Seq::Incomplete => {
                out.extend_from_slice(&s[clean..i]);
                return i;
            }
        }
    }
    out.extend_from_slice(&s[clean..]);
    s.len()
}

/// Appends the escaped form of the whole string `s`, validating it (what
/// an [`Escaper`] given `s` in one chunk and finished produces, without
/// its state).
#[inline]
pub(crate) fn push<D: Dialect>(out: &mut Vec<u8>, s: &[u8]) {
    push_as::<D>(out, s, Utf8::Check)
}

/// [`push`] for bytes that are valid UTF-8 by construction (a message, a
/// target: written from a `&str`), skipping validation: non-ASCII costs a
/// word scan for the separators instead of a walk through every character.
/// Checked in debug builds.
#[inline]
pub(crate) fn push_utf8<D: Dialect>(out: &mut Vec<u8>, s: &[u8]) {
    debug_assert!(std::str::from_utf8(s).is_ok(), "not UTF-8: {s:?}");
    push_as::<D>(out, s, Utf8::Known)
}

/// [`push_utf8`] for one part of a longer string, each part valid UTF-8
/// on its own (the literal pieces and arguments of a deferred message):
/// the parts' escapes, one after the other, are the escape of the whole
/// string but for the dialect's leading-quote rule, which
/// [`escape_leading_quote`] applies to the whole once it is written.
#[inline(always)]
pub(crate) fn push_utf8_part<D: Dialect>(out: &mut Vec<u8>, s: &[u8]) {
    debug_assert!(std::str::from_utf8(s).is_ok(), "not UTF-8: {s:?}");
    if flagged_in::<D>(s) {
        escape_part::<D>(out, s);
    } else {
        put(out, s);
    }
}

/// Whether a part is ASCII with nothing for dialect `D` to escape (what
/// [`push_utf8_part`] copies as it is).
#[inline(always)]
pub(crate) fn is_plain_part<D: Dialect>(s: &[u8]) -> bool {
    !flagged_in::<D>(s)
}

/// Whether some byte of `s` is one dialect `D` escapes, or >= 0x80
/// (`scan::any_flagged`).
#[inline(always)]
fn flagged_in<D: Dialect>(s: &[u8]) -> bool {
    any_flagged_in(s, D::BELOW, D::EXTRA, D::word_flags)
}

/// [`is_plain_part`] of the first `len` bytes (`1..=16`) of `w` (a short
/// part loaded whole, with the bytes after it, which change nothing).
#[inline(always)]
pub(crate) fn is_plain_part16<D: Dialect>(w: [u8; 16], len: usize) -> bool {
    !any_flagged16(w, len, D::BELOW, D::EXTRA)
}

/// [`push_utf8_part`] for a part with something to escape, out of line.
#[inline(never)]
pub(crate) fn escape_part<D: Dialect>(out: &mut Vec<u8>, s: &[u8]) {
    escape_run::<D>(out, s, Utf8::Known);
}

/// Applies the dialect's leading-quote rule to the string escaped in parts
/// at `out[start..]` (see [`push_utf8_part`]): its first byte is `"` only
/// when the string starts with one, since every escape starts with `\`.
#[inline]
pub(crate) fn escape_leading_quote<D: Dialect>(out: &mut Vec<u8>, start: usize) {
    if D::LEADING_QUOTE && out.get(start) == Some(&b'"') {
        out.insert(start, b'\\');
    }
}

#[inline]
fn push_as<D: Dialect>(out: &mut Vec<u8>, mut s: &[u8], utf8: Utf8) {
    if D::LEADING_QUOTE && s.first() == Some(&b'"') {
        out.extend_from_slice(b"\\\"");
        s = &s[1..];
    }
    if !flagged_in::<D>(s) {
        return put(out, s);
    }
    let done = escape_run::<D>(out, s, utf8);
    if done < s.len() {
        D::escape_invalid(out, &s[done..]);
    }
}

/// Whether `s` can stand bare as a text key or value: not empty, valid
/// UTF-8, and free of spaces, `"`, `=`, `\`, controls and line separators.
#[inline]
pub(crate) fn is_token(s: &[u8]) -> bool {
    let word = |w: u64| {
        below(w, 0x21) | high_or_del(w) | equal(w, b'"') | equal(w, b'=') | equal(w, b'\\')
    };
    let hit = |b: u8| b <= 0x20 || b >= 0x7f || matches!(b, b'"' | b'=' | b'\\');
    !s.is_empty() && find(s, word, hit).map_or(true, |i| is_token_slow(&s[i..]))
}

/// [`is_token`] from the first byte its fast scan stopped at.
fn is_token_slow(s: &[u8]) -> bool {
    let bad = |b: &u8| *b <= 0x20 || *b == 0x7f || matches!(*b, b'"' | b'=' | b'\\');
    std::str::from_utf8(s).is_ok()
        && !s.iter().any(bad)
        && !s.windows(2).any(|c| c == [0xc2, 0x85])
        && !s.windows(3).any(|c| separator(c).is_some())
}

/// Appends a text key or value: bare when [`is_token`] and not `typed`
/// (a string that would read as a number, boolean or null), else quoted.
pub(crate) fn push_text_token(out: &mut Vec<u8>, s: &[u8], typed: bool) {
    if !typed && is_token(s) {
        out.extend_from_slice(s);
        return;
    }
    out.push(b'"');
    push::<Quoted>(out, s);
    out.push(b'"');
}

#[cfg(test)]
mod tests;
