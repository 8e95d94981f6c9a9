//! RFC 5424 header fields: HOSTNAME, APP-NAME, PROCID and MSGID.
//!
//! Each is printable US-ASCII (`!` to `~`) of bounded length, or the
//! NILVALUE `-` when empty. A value with any other character is refused
//! with an error naming the field and the character; a value longer than
//! the field's limit is cut to it (RFC 5424 section 6.2 sets the limits).

use super::error::SyslogError;

/// One header field: its name in errors and its length limit in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub name: &'static str,
    pub max: usize,
}

/// HOSTNAME: at most 255 bytes.
pub(crate) const HOSTNAME: FieldSpec = FieldSpec {
    name: "hostname",
    max: 255,
};
/// APP-NAME: at most 48 bytes.
pub(crate) const APP_NAME: FieldSpec = FieldSpec {
    name: "app_name",
    max: 48,
};
/// PROCID: at most 128 bytes.
pub(crate) const PROCID: FieldSpec = FieldSpec {
    name: "procid",
    max: 128,
};
/// MSGID: at most 32 bytes.
pub(crate) const MSGID: FieldSpec = FieldSpec {
    name: "msgid",
    max: 32,
};

/// The NILVALUE of RFC 5424.
pub(crate) const NIL: &str = "-";

/// Whether `b` is PRINTUSASCII (`%d33-126`).
pub(crate) fn is_print_ascii(b: u8) -> bool {
    (33..=126).contains(&b)
}

/// `value` as the header field `spec`: `-` when empty, cut to the limit,
/// refused when it holds a character outside printable US-ASCII.
pub(crate) fn field(spec: FieldSpec, value: &str) -> Result<String, SyslogError> {
    if let Some(c) = value
        .chars()
        .find(|&c| !c.is_ascii() || !is_print_ascii(c as u8))
    {
        return Err(SyslogError::InvalidField {
            field: spec.name,
            value: value.to_owned(),
            reason: format!("{c:?} is not printable US-ASCII (RFC 5424 allows '!' to '~' only)"),
        });
    }
    Ok(match value {
        "" => NIL.to_owned(),
        v => v[..v.len().min(spec.max)].to_owned(),
    })
}

/// This machine's host name as a HOSTNAME field: characters outside
/// printable US-ASCII are left out; `-` if nothing is left.
pub(crate) fn local_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for `buf.len()` bytes; gethostname writes at
    // most that many and we read only up to the first NUL within them.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return NIL.to_owned();
    }
    let name: String = (buf.iter())
        .take_while(|&&b| b != 0)
        .filter(|&&b| is_print_ascii(b))
        .map(|&b| b as char)
        .take(HOSTNAME.max)
        .collect();
    if name.is_empty() {
        NIL.to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_nil_and_long_values_are_cut_to_the_limit() {
        assert_eq!(field(APP_NAME, "").unwrap(), "-");
        assert_eq!(field(APP_NAME, &"a".repeat(60)).unwrap(), "a".repeat(48));
        assert_eq!(field(MSGID, &"m".repeat(33)).unwrap(), "m".repeat(32));
        assert_eq!(field(PROCID, &"9".repeat(200)).unwrap().len(), 128);
        assert_eq!(field(HOSTNAME, &"h".repeat(300)).unwrap().len(), 255);
        assert_eq!(field(MSGID, "REQ-1!~").unwrap(), "REQ-1!~");
    }

    #[test]
    fn characters_outside_printable_ascii_are_refused_by_name() {
        let e = field(APP_NAME, "my app").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid syslog app_name \"my app\": ' ' is not printable US-ASCII (RFC 5424 allows '!' to '~' only)"
        );
        assert!(field(HOSTNAME, "h\u{e9}te").is_err());
        assert!(field(MSGID, "a\tb").is_err());
        assert!(field(PROCID, "\u{7f}").is_err());
    }

    #[test]
    fn the_local_hostname_is_a_valid_field() {
        let h = local_hostname();
        assert!(!h.is_empty() && h.len() <= 255);
        assert!(h.bytes().all(is_print_ascii));
    }
}
