//! `log` records that `tracing_log::LogTracer` turned into events (as
//! `tracing_subscriber`'s `init()` sets up by default): the layer logs
//! them as the `log` facade does, under the record's own target, file and
//! line, rather than the event's (target `log`, one callsite per level,
//! the record's metadata in `log.*` fields).

use std::cell::Cell;
use std::fmt;
use tracing_core::field::{Field, Visit};
use tracing_core::{Event, Metadata};

/// Whether `meta` is one of `tracing_log`'s callsites for `log` records
/// (named `log event`, target `log`, with a `log.target` field).
pub(super) fn is_log_record(meta: &Metadata<'_>) -> bool {
    meta.target() == "log"
        && meta.name() == "log event"
        && meta.fields().field("log.target").is_some()
}

/// A record's origin, read from its event's `log.*` fields.
#[derive(Default)]
pub(super) struct Origin {
    /// `log.target`.
    pub target: String,
    /// `log.file`, when `has_file`.
    file: String,
    has_file: bool,
    /// `log.line`.
    line: Option<u32>,
}

/// The most bytes of [`Origin`] buffers a thread keeps between records.
const KEEP_BYTES: usize = 4096;

thread_local! {
    /// This thread's [`Origin`], reused: taken while in use (a call
    /// nested in the message's formatting fills a fresh one).
    static ORIGIN: Cell<Origin> = const {
        Cell::new(Origin {
            target: String::new(),
            file: String::new(),
            has_file: false,
            line: None,
        })
    };
}

impl Origin {
    /// Runs `f` with the origin of `event`, a `log` record's event. Reads
    /// the `log.*` fields only: the message is not formatted.
    pub(super) fn with<R>(event: &Event<'_>, f: impl FnOnce(&Origin) -> R) -> R {
        let mut origin = ORIGIN.try_with(Cell::take).unwrap_or_default();
        origin.target.clear();
        origin.file.clear();
        origin.has_file = false;
        origin.line = None;
        event.record(&mut origin);
        let r = f(&origin);
        // A huge target or file name is not kept for the thread's life.
        if origin.target.capacity() + origin.file.capacity() <= KEEP_BYTES {
            let _ = ORIGIN.try_with(|o| o.set(origin));
        }
        r
    }

    /// The record's file and line, when it has both (as the facade).
    pub(super) fn location(&self) -> Option<(&str, u32)> {
        self.line.filter(|_| self.has_file).map(|l| (&*self.file, l))
    }
}

impl Visit for Origin {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "log.target" => self.target.push_str(value),
            "log.file" => {
                self.file.push_str(value);
                self.has_file = true;
            }
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "log.line" {
            self.line = u32::try_from(value).ok();
        }
    }

    /// The message and anything else: not read.
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// Forwards the `message` field only: a `log` record's event carries
/// nothing else but its origin.
pub(super) struct MessageOnly<'a>(pub &'a mut dyn Visit);

impl Visit for MessageOnly<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == super::visit::MESSAGE {
            self.0.record_str(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == super::visit::MESSAGE {
            self.0.record_debug(field, value);
        }
    }
}
