//! How messages are delimited on the wire.
//!
//! - TCP: RFC 6587 octet counting, `MSG-LEN SP SYSLOG-MSG` with MSG-LEN in
//!   decimal and no trailer, so a message may hold any byte (a newline
//!   included) and a receiver never mistakes part of one for the next.
//! - RELP: the message is the DATA of a `syslog` command, which carries
//!   its own length (see `relp`).
//! - UDP: one message per datagram (RFC 5426), unframed.

/// The framing the formatter applies to each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// The bare SYSLOG-MSG (RELP, UDP).
    None,
    /// `MSG-LEN SP SYSLOG-MSG` (TCP).
    OctetCounting,
}

/// Longest MSG-LEN accepted when reading frames back (9 digits).
#[cfg(test)]
const MAX_LEN_DIGITS: usize = 9;

/// Why bytes are not a sequence of octet-counted frames.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// MSG-LEN is missing, not decimal, longer than nine digits or not
    /// followed by a space.
    BadLength(usize),
    /// The input ends inside a frame that started at this offset.
    Truncated(usize),
}

/// Splits `bytes` into the messages of octet-counted frames (what a
/// receiver does; the tests check the formatter with it).
#[cfg(test)]
pub(crate) fn split_octet_counted(bytes: &[u8]) -> Result<Vec<&[u8]>, FrameError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > MAX_LEN_DIGITS || bytes.get(at + digits) != Some(&b' ') {
            return Err(FrameError::BadLength(at));
        }
        let len: usize = std::str::from_utf8(&bytes[at..at + digits])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(FrameError::BadLength(at))?;
        let start = at + digits + 1;
        let end = start.checked_add(len).filter(|&e| e <= bytes.len());
        let end = end.ok_or(FrameError::Truncated(at))?;
        out.push(&bytes[start..end]);
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_back_into_their_messages() {
        let got = split_octet_counted(b"3 abc5 a\nb c0 ").unwrap();
        assert_eq!(got, [&b"abc"[..], b"a\nb c", b""]);
        assert_eq!(split_octet_counted(b"").unwrap(), Vec::<&[u8]>::new());
    }

    #[test]
    fn malformed_frames_are_errors_with_their_offset() {
        assert_eq!(split_octet_counted(b"x"), Err(FrameError::BadLength(0)));
        assert_eq!(split_octet_counted(b"3abc"), Err(FrameError::BadLength(0)));
        assert_eq!(
            split_octet_counted(b"1 a4 ab"),
            Err(FrameError::Truncated(3))
        );
        assert_eq!(
            split_octet_counted(b"1234567890 a"),
            Err(FrameError::BadLength(0))
        );
    }
}
