//! Filling a record's payload in the caller: capped at the ring, and
//! accounted whatever the user code that fills it does.
//!
//! A log call runs user code before its record exists: `Display` impls of
//! the arguments, `FieldValue` impls of the fields. Two rules hold however
//! that code behaves:
//!
//! - **One cap.** A payload never grows past `cap + 1` bytes, `cap` being
//!   the logger's ring capacity: a record that large can never be pushed
//!   and is counted oversized, so writing more would only spend memory
//!   (and, past 4 GiB, wrap the record's 32-bit length). Text messages,
//!   structured fields and strings produced by `Display` share the cap.
//! - **Exact books.** If the user code panics, the call is counted
//!   `enqueued` and `dropped` before the panic goes on ([`fill_payload`]),
//!   and nothing stays borrowed: the thread's producers work afterwards.

use crate::shared::Shared;
use std::fmt;

/// Appends to a payload buffer, never growing it past `cap + 1` bytes.
///
/// `fmt::Write` fails once the cap is crossed, so a `Display` impl that
/// propagates errors stops producing text.
pub(crate) struct Capped<'a> {
    pub out: &'a mut Vec<u8>,
    /// Largest payload that can still become a record.
    pub cap: usize,
}

impl Capped<'_> {
    /// Appends `b`, or as much of it as takes the buffer to `cap + 1`
    /// bytes; returns false when the cap was crossed.
    #[inline]
    pub(crate) fn put(&mut self, b: &[u8]) -> bool {
        // No overflow: both lengths are at most `isize::MAX`.
        if self.out.len() + b.len() <= self.cap {
            self.out.extend_from_slice(b);
            return true;
        }
        self.put_over(b)
    }

    /// `put` of bytes that reach past the cap: up to `cap + 1` bytes.
    #[cold]
    fn put_over(&mut self, b: &[u8]) -> bool {
        let room = self.cap.saturating_add(1).saturating_sub(self.out.len());
        self.out.extend_from_slice(&b[..room.min(b.len())]);
        false
    }
}

impl Capped<'_> {
    /// Appends `args` formatted (a literal message is copied as is).
    #[inline]
    pub(crate) fn write_args(&mut self, args: fmt::Arguments<'_>) {
        match args.as_str() {
            Some(s) => {
                self.put(s.as_bytes());
            }
            None => {
                let _ = fmt::write(self, args);
            }
        }
    }
}

impl fmt::Write for Capped<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.put(s.as_bytes()) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

/// Formats `args` into `out` (cleared first), stopping past `cap` bytes.
#[inline]
pub(crate) fn format_text(out: &mut Vec<u8>, args: fmt::Arguments<'_>, cap: usize) {
    out.clear();
    Capped { out, cap }.write_args(args);
}

/// Runs `fill` (which runs user code) on `buf`, cleared first, with
/// `shared`'s payload cap. Should it panic, the call is counted enqueued
/// and dropped on the way out.
#[inline]
pub(crate) fn fill_payload(
    shared: &Shared,
    buf: &mut Vec<u8>,
    fill: impl FnOnce(&mut Vec<u8>, usize),
) {
    /// Counts the call lost when dropped, i.e. only while unwinding: the
    /// normal path forgets it.
    struct CountIfUnwinding<'a>(&'a Shared);
    impl Drop for CountIfUnwinding<'_> {
        fn drop(&mut self) {
            self.0.count_lost_call();
        }
    }
    let guard = CountIfUnwinding(shared);
    buf.clear();
    fill(buf, shared.ring_capacity);
    std::mem::forget(guard);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn capped_stops_one_byte_past_the_cap() {
        let mut v = Vec::new();
        let mut c = Capped {
            out: &mut v,
            cap: 4,
        };
        assert!(c.put(b"ab"));
        assert!(c.write_str("cdefgh").is_err());
        assert!(!c.put(b"more"));
        assert_eq!(v, b"abcde");
    }

    #[test]
    fn a_display_that_streams_forever_is_stopped_at_the_cap() {
        struct Endless;
        impl fmt::Display for Endless {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                loop {
                    f.write_str("0123456789")?;
                }
            }
        }
        let mut v = Vec::new();
        format_text(&mut v, format_args!("{}", Endless), 1000);
        assert_eq!(v.len(), 1001);
    }
}
