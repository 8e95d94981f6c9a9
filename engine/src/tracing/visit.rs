//! Encoding `tracing` fields into a record payload (see `field`): numbers
//! and booleans in binary, strings copied, `Debug`/`Error` values formatted.
//!
//! Every write stops once the payload holds more than its cap (the ring's
//! capacity, see `payload`): a field larger than that cannot be logged, so
//! it is never copied whole.

use super::log_record::MessageOnly;
use crate::field::push_key;
use crate::payload::Capped;
use std::fmt::{self, Write as _};
use tracing_core::field::{Field, Visit};

/// The field an event's message is recorded in.
pub(super) const MESSAGE: &str = "message";

/// Encodes every field visited as a structured field (spans, and an
/// event's fields other than its message).
/// Stops past `.1` bytes of payload.
pub(super) struct FieldsVisitor<'a>(pub &'a mut Vec<u8>, pub usize);

impl FieldsVisitor<'_> {
    fn key(&mut self, name: &str) -> crate::field::FieldWriter<'_> {
        push_key(self.0, name, self.1)
    }
}

impl Visit for FieldsVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field.name()).f64(value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field.name()).i64(value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field.name()).u64(value);
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        let w = self.key(field.name());
        match i64::try_from(value) {
            Ok(v) => w.i64(v),
            Err(_) => w.display(&value),
        }
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        let w = self.key(field.name());
        match u64::try_from(value) {
            Ok(v) => w.u64(v),
            Err(_) => w.display(&value),
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field.name()).bool(value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field.name()).str(value);
    }
    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        self.key(field.name()).bytes(value);
    }
    /// The error's `Display`; its causes, when it has any, follow as
    /// `<name>.sources=[cause, its cause, …]`, as the fmt layer shows them.
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // `&value`, not `value`: a `&dyn Error` is `Display` itself, so no
        // trait upcasting (Rust 1.86) is needed to reach `&dyn Display`.
        self.key(field.name()).display(&value);
        if let Some(source) = value.source() {
            let key = format!("{}.sources", field.name());
            self.key(&key).display(&SourceList(source));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field.name()).display(&format_args!("{value:?}"));
    }
}

/// An error and its causes, `[a, b]` (each with `Display`).
struct SourceList<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for SourceList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut next = Some(self.0);
        while let Some(e) = next {
            list.entry(&format_args!("{e}"));
            next = e.source();
        }
        list.finish()
    }
}

/// Bytes as `tracing`'s `Visit::record_bytes` shows them with `Debug`,
/// and so the fmt layer: `[68 69 ff]`.
struct HexBytes<'a>(&'a [u8]);

impl fmt::Debug for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('[')?;
        for (i, b) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{b:02x}")?;
        }
        f.write_char(']')
    }
}

/// Encodes an event: `msg_len | msg | fields_len | fields`, the `message`
/// field as the message (wherever it comes among the fields).
/// Stops past `cap` bytes (see the module docs).
pub(super) fn encode_event(out: &mut Vec<u8>, event: &tracing_core::Event<'_>, cap: usize) {
    encode_with(out, cap, |v| event.record(v));
}

/// [`encode_event`] of a `log` record's event (see `log_record`): its
/// message, without the `log.*` fields.
pub(super) fn encode_log_record(out: &mut Vec<u8>, event: &tracing_core::Event<'_>, cap: usize) {
    encode_with(out, cap, |v| event.record(&mut MessageOnly(v)));
}

/// [`encode_event`] of the fields `record` visits.
fn encode_with(out: &mut Vec<u8>, cap: usize, record: impl FnOnce(&mut dyn Visit)) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    let mut v = EventVisitor {
        out,
        cap,
        start,
        fields_at: start + 4,
        has_message: false,
    };
    record(&mut v);
    let fields_at = v.fields_at;
    let len = u32::try_from(out.len() - fields_at - 4).unwrap_or(u32::MAX);
    out[fields_at..fields_at + 4].copy_from_slice(&len.to_le_bytes());
}

/// [`encode_event`]'s visitor: `out[start..]` is `msg_len | msg |
/// fields_len (not yet set, at fields_at) | fields so far`.
struct EventVisitor<'a> {
    out: &'a mut Vec<u8>,
    cap: usize,
    start: usize,
    fields_at: usize,
    has_message: bool,
}

impl EventVisitor<'_> {
    /// A message of any other type (`message = 5`): shown with `Debug`,
    /// as the fmt layer shows it.
    fn message_debug(&mut self, value: &dyn fmt::Debug) {
        self.message(|out| {
            let _ = write!(out, "{value:?}");
        });
    }

    fn is_message(&self, field: &Field) -> bool {
        !self.has_message && field.name() == MESSAGE
    }

    /// Writes the message with `write` and moves it before the fields.
    fn message(&mut self, write: impl FnOnce(&mut Capped<'_>)) {
        self.has_message = true;
        if self.out.len() > self.cap {
            return;
        }
        // The macros record the message first: it is then written in place.
        let first = self.out.len() == self.fields_at + 4;
        if first {
            self.out.truncate(self.fields_at);
        }
        let at = self.out.len();
        write(&mut Capped {
            out: self.out,
            cap: self.cap,
        });
        let len = self.out.len() - at;
        if first {
            self.out.extend_from_slice(&[0; 4]);
        } else {
            // After other fields: they move behind it.
            self.out[self.start + 4..].rotate_right(len);
        }
        self.fields_at += len;
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        self.out[self.start..self.start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

impl Visit for EventVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.is_message(field) {
            self.message(|out| {
                out.put(value.as_bytes());
            });
        } else {
            FieldsVisitor(self.out, self.cap).record_str(field, value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.is_message(field) {
            self.message_debug(value);
        } else {
            FieldsVisitor(self.out, self.cap).record_debug(field, value);
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.is_message(field) {
            self.message_debug(&value);
        } else {
            FieldsVisitor(self.out, self.cap).record_f64(field, value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.is_message(field) {
            self.message_debug(&value);
        } else {
            FieldsVisitor(self.out, self.cap).record_i64(field, value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.is_message(field) {
            self.message_debug(&value);
        } else {
            FieldsVisitor(self.out, self.cap).record_u64(field, value);
        }
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        if self.is_message(field) {
            self.message_debug(&value);
        } else {
            FieldsVisitor(self.out, self.cap).record_i128(field, value);
        }
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        if self.is_message(field) {
            self.message_debug(&value);
        } else {
            FieldsVisitor(self.out, self.cap).record_u128(field, value);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.is_message(field) {
            self.message_debug(&value);
        } else {
            FieldsVisitor(self.out, self.cap).record_bool(field, value);
        }
    }
    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        if self.is_message(field) {
            self.message_debug(&HexBytes(value));
        } else {
            FieldsVisitor(self.out, self.cap).record_bytes(field, value);
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.is_message(field) {
            self.message(|out| {
                let _ = write!(out, "{value}");
            });
        } else {
            FieldsVisitor(self.out, self.cap).record_error(field, value);
        }
    }
}
