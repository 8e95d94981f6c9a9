//! Deferred payloads another process can render (crash-safe mode).
//!
//! A value under a spec other than `{}` (`{:>8}`, `{:x}`, `{:?}`) is
//! formatted by the call site's own `core::fmt` closure, code of the binary
//! that logged it. [`make_portable`] runs that closure in the caller and
//! replaces the value by its text (`Pre`); the width and precision
//! arguments stay after it, so the live writer renders the record with the
//! call site as before (a `Pre` value is copied whatever the spec).
//! [`render_portable`] renders such a payload from a call-site table's
//! literal pieces and slot kinds alone (see `crash_safe::sites`): `{}` by
//! the writer's own code, the other slots by copying their text — the same
//! bytes `format!` gives.

use super::decode::{Decoder, Value};
use super::render::{custom_raw, display_raw};
use super::tag;
use crate::callsite::{CallSite, SlotKind};
use crate::crash_safe::sites::{SLOT_CUSTOM, SLOT_PRECISION, SLOT_WIDTH};

/// Appends to `out` the values of `values` (a deferred payload's, after
/// the call-site address) with every value under a spec other than `{}`
/// formatted; `false` when the values do not match the call site.
pub(crate) fn make_portable(out: &mut Vec<u8>, cs: &CallSite, values: &[u8]) -> bool {
    let mut rest = values;
    for slot in cs.slots {
        let mut d = Decoder::new(rest);
        if d.value().is_none() {
            return false;
        }
        let SlotKind::Custom {
            fmt,
            width_arg,
            precision_arg,
        } = slot.kind
        else {
            let after = d.rest();
            out.extend_from_slice(&rest[..rest.len() - after.len()]);
            rest = after;
            continue;
        };
        let counts = d.rest();
        if (width_arg && d.count().is_none()) || (precision_arg && d.count().is_none()) {
            return false;
        }
        let after = d.rest();
        // The text straight into `out`, after its tag and a length
        // filled in once it is known.
        out.push(tag::PRE);
        let len_at = out.len();
        out.extend_from_slice(&[0; 4]);
        if custom_raw(out, rest, fmt, width_arg, precision_arg).is_none() {
            return false;
        }
        let Ok(len) = u32::try_from(out.len() - len_at - 4) else {
            return false;
        };
        out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&counts[..counts.len() - after.len()]);
        rest = after;
    }
    rest.is_empty()
}

/// Appends the message of a portable payload's `values`, given the call
/// site's literal `pieces` and slot kinds (`pieces.len() == slots.len() +
/// 1`), unescaped; `false` when the values do not match them.
pub(crate) fn render_portable<P: AsRef<str>>(
    out: &mut Vec<u8>,
    pieces: &[P],
    slots: &[u8],
    values: &[u8],
) -> bool {
    if pieces.len() != slots.len() + 1 {
        return false;
    }
    let mut rest = values;
    for (p, &kind) in pieces.iter().zip(slots) {
        out.extend_from_slice(p.as_ref().as_bytes());
        if kind & SLOT_CUSTOM == 0 {
            match display_raw(out, rest) {
                Some(r) => rest = r,
                None => return false,
            }
            continue;
        }
        let mut d = Decoder::new(rest);
        let Some(Value::Pre(text)) = d.value() else {
            return false;
        };
        if (kind & SLOT_WIDTH != 0 && d.count().is_none())
            || (kind & SLOT_PRECISION != 0 && d.count().is_none())
        {
            return false;
        }
        out.extend_from_slice(text);
        rest = d.rest();
    }
    if let Some(last) = pieces.last() {
        out.extend_from_slice(last.as_ref().as_bytes());
    }
    rest.is_empty()
}
