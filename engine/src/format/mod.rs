//! Output formats: the text line and JSON lines, chosen per sink.
//!
//! The writer formats each record once per distinct [`Format`] among the
//! sinks that take it (see `writer::sinks`); a sink that declares
//! [`Styling::Ansi`] (a terminal) gets its own variant of a text format.
//! The grammar of both formats is documented on [`Format`].
//!
//! The formatter caches the date and time down to the second and writes
//! digits from a table: no `core::fmt` on this path except for floats.
//!
//! A record's call site is one `Record` member and one `Format` flag:
//! `text::write` prints it after the target, `json::write` writes its
//! `file` and `line` members and `json::fixed_names` lists them, so fields
//! never take their names.

mod custom;
pub(crate) mod digits;
pub(crate) mod escape;
mod head;
mod json;
mod keys;
pub(crate) mod put;
mod spans;
mod targets;
mod text;
mod time;

use crate::callsite::CallSite;
use crate::deferred;
use crate::deferred::render::TypedMemo;
use crate::field;
use crate::field::Fields;
use crate::level::Level;
use crate::record::{Header, RecordKind};
use head::HeadCache;
use keys::KeySet;
use targets::TargetCache;
use time::TimeCache;

pub use custom::{RecordFormat, Rfc3339};

/// How much of the timestamp a format shows (RFC 3339, in UTC unless the
/// format's [`TimeOffset`] says otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timestamp {
    /// No timestamp.
    Off,
    /// `2026-11-28T04:56:49Z`
    Seconds,
    /// `2026-11-28T04:56:49.123Z`
    Millis,
    /// `2026-11-28T04:56:49.123456Z` (the default)
    Micros,
    /// `2026-11-28T04:56:49.123456789Z`
    Nanos,
}

/// The offset from UTC at which a format shows its timestamps.
///
/// [`UTC`](TimeOffset::UTC) (the default) writes `…Z`; any other offset
/// writes the local time and the offset: `2026-11-28T10:26:49.123456+05:30`.
/// [`LOCAL`](TimeOffset::LOCAL) reads the system's offset (`localtime_r`,
/// from `TZ` or `/etc/localtime`) once, when the logger is built, and keeps
/// it: a daylight-saving change shows after the next restart (the offset
/// written beside each time keeps every line exact meanwhile).
///
/// Every instant a record can carry shows as the civil time at the offset,
/// as `date` prints it: west of UTC the epoch reads
/// `1969-12-31T19:00:00-05:00`, east of it the clock's last instant
/// (`u64::MAX` nanoseconds) reads `2554-07-22T13:34:33.709551615+14:00`.
///
/// ```
/// use uringlog::{Format, TimeOffset};
/// let local = Format::text().time_offset(TimeOffset::LOCAL);
/// let india = Format::text().time_offset(TimeOffset::east_minutes(330).unwrap());
/// assert_eq!(TimeOffset::east_minutes(24 * 60), None);
/// # let _ = (local, india);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeOffset(OffsetKind);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum OffsetKind {
    Utc,
    Local,
    EastMinutes(i16),
}

impl TimeOffset {
    /// UTC, written `Z`.
    pub const UTC: TimeOffset = TimeOffset(OffsetKind::Utc);

    /// The system's offset when the logger is built, in whole minutes.
    pub const LOCAL: TimeOffset = TimeOffset(OffsetKind::Local);

    /// A fixed offset of `minutes` east of UTC (negative west); `None`
    /// unless it is within ±23:59.
    pub const fn east_minutes(minutes: i16) -> Option<TimeOffset> {
        if minutes.unsigned_abs() < 24 * 60 {
            Some(TimeOffset(OffsetKind::EastMinutes(minutes)))
        } else {
            None
        }
    }

    /// Minutes east of UTC, the system's for `LOCAL`; `None` for `UTC`.
    fn resolve_minutes(self) -> Option<i32> {
        match self.0 {
            OffsetKind::Utc => None,
            OffsetKind::Local => Some(time::system_offset_minutes()),
            OffsetKind::EastMinutes(m) => Some(m as i32),
        }
    }
}

/// How a sink shows the level in text lines; a sink declares it with
/// [`Sink::styling`](crate::Sink::styling).
///
/// The format stays the one the sink was given; a sink that declares
/// `Ansi` gets a variant of it whose level is coloured with SGR escape
/// codes (text only: JSON lines never carry escape codes). Sinks that
/// declare the same styling for the same format share the formatting work.
///
/// With `Ansi` the level is written as `ESC [ <colour> m`, the name,
/// `ESC [ 0 m`, then the padding to five columns, so columns line up as in
/// plain lines: `\x1b[31mERROR\x1b[0m` (red), `\x1b[33mWARN\x1b[0m ` (yellow),
/// `\x1b[32mINFO\x1b[0m ` (green), `\x1b[34mDEBUG\x1b[0m` (blue),
/// `\x1b[35mTRACE\x1b[0m` (magenta).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Styling {
    /// No escape codes (the default; every file sink).
    #[default]
    Plain,
    /// The level coloured with ANSI SGR codes, for terminals.
    Ansi,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Layout {
    Text,
    Json,
}

#[doc = include_str!("grammar.md")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    layout: Layout,
    timestamp: Timestamp,
    offset: TimeOffset,
    target: bool,
    thread: bool,
    /// Show the call site (`file:line`); off by default.
    call_site: bool,
    /// Set from the sink (`Sink::styling`), never by users; always
    /// `Plain` for JSON.
    styling: Styling,
}

impl Default for Format {
    fn default() -> Self {
        Format::text()
    }
}

impl Format {
    /// The text line: `2026-11-28T04:56:49.123456Z INFO  app::db: message`.
    pub const fn text() -> Format {
        Format {
            layout: Layout::Text,
            timestamp: Timestamp::Micros,
            offset: TimeOffset::UTC,
            target: true,
            thread: false,
            call_site: false,
            styling: Styling::Plain,
        }
    }

    /// JSON lines: `{"ts":"…","level":"INFO","target":"…","msg":"…",<fields>}`.
    pub const fn json() -> Format {
        Format {
            layout: Layout::Json,
            ..Format::text()
        }
    }

    /// Shows the timestamp with this precision (or not at all).
    pub const fn timestamp(mut self, precision: Timestamp) -> Format {
        self.timestamp = precision;
        self
    }

    /// Shows timestamps at this offset from UTC (see [`TimeOffset`]).
    pub const fn time_offset(mut self, offset: TimeOffset) -> Format {
        self.offset = offset;
        self
    }

    /// Leaves the target out.
    pub const fn without_target(mut self) -> Format {
        self.target = false;
        self
    }

    /// Shows the id of the thread that logged the record (`[1234]` in text,
    /// `"thread":1234` in JSON).
    pub const fn with_thread_id(mut self) -> Format {
        self.thread = true;
        self
    }

    /// Shows where each record was logged: `src/db.rs:42` after the target
    /// in text (`app::db src/db.rs:42: message`), members `"file"` and
    /// `"line"` after `target` in JSON. Off by default.
    ///
    /// Every front end supplies it: the macros (file and line of the
    /// statement), the `log` facade (`log::Record::file`/`line`, when set)
    /// and the `tracing` layer (the event's metadata). A record without
    /// one — [`Logger::log`](crate::Logger::log) and
    /// [`Logger::log_fields`](crate::Logger::log_fields), a `log` record
    /// with no file — shows none; lines from `tracing::make_writer` are
    /// written as the `fmt` layer made them. A logger captures call sites only when
    /// some sink's format shows them (or a sink's own
    /// [`RecordFormat`] asks for them), so the default costs nothing.
    ///
    /// ```
    /// use uringlog::{Format, Logger, MemorySink, Timestamp};
    /// let (sink, out) = MemorySink::new();
    /// let (logger, guard) = Logger::builder()
    ///     .sink(sink)
    ///     .format(Format::text().timestamp(Timestamp::Off).with_call_site())
    ///     .build()?;
    /// uringlog::info!(logger, target: "app", "ready"); let line = line!();
    /// guard.shutdown(std::time::Duration::from_secs(5))?;
    /// assert_eq!(out.text(), format!("INFO  app {}:{line}: ready\n", file!()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn with_call_site(mut self) -> Format {
        self.call_site = true;
        self
    }

    /// Whether records carry their call site for this format.
    pub(crate) const fn shows_call_site(&self) -> bool {
        self.call_site
    }

    /// This format as a sink with `styling` gets it (JSON stays plain).
    pub(crate) const fn styled(mut self, styling: Styling) -> Format {
        if matches!(self.layout, Layout::Text) {
            self.styling = styling;
        }
        self
    }
}

/// One record as the formats see it, built-in or a sink's own
/// ([`RecordFormat`]): its time, level, thread, target, message and fields.
// The drain loop keeps the record it formats in registers: code that runs
// out of line and wants the whole record (a sink's own format, a miss of
// the head cache) gets a copy made on its own path, never the loop's
// `&Record`. One escaping address keeps every field in memory, stored per
// record, and stops the kind-specialised copies of the formats (see
// `writer::drain::push_frame`) from folding their tests.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub(crate) unix_nanos: u64,
    pub(crate) level: Level,
    /// OS id of the thread that registered the producer.
    pub(crate) thread: u32,
    pub(crate) target: &'a [u8],
    /// The message, unescaped; empty while `deferred` holds it unrendered.
    pub(crate) msg: &'a [u8],
    /// A deferred record whose message is not rendered into `msg`: only
    /// the built-in formats see such records, and they render the message
    /// straight into their line (see [`Rendering`]).
    pub(crate) deferred: Option<DeferredMessage<'a>>,
    /// Encoded fields (see `field`); empty for plain text records.
    pub(crate) fields: &'a [u8],
    /// Encoded span scope, root first (see `field::Spans`); empty unless
    /// the record came through the `tracing` layer inside spans.
    pub(crate) spans: &'a [u8],
    /// Source file and line of the statement, when the record has them;
    /// `None` while `deferred` holds them (its call site's): read them
    /// through [`Record::location`].
    pub(crate) call_site: Option<crate::record::FileLine<'a>>,
    /// `msg` is a whole line formatted by the caller, written as is.
    pub(crate) raw: bool,
}

/// A message still in binary: a call site and its encoded values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeferredMessage<'a> {
    pub(crate) site: &'static CallSite,
    pub(crate) values: &'a [u8],
}

/// When a deferred record's message is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rendering {
    /// On decoding, into a buffer: some sink's own format reads
    /// [`Record::message`].
    Eager,
    /// By each built-in format, into its line, escaped as it goes.
    Lazy,
}

impl<'a> Record<'a> {
    /// When the record was logged, in nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> u64 {
        self.unix_nanos
    }

    /// The record's level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The OS id (`gettid`) of the thread that registered the producer.
    pub fn thread_id(&self) -> u32 {
        self.thread
    }

    /// The target (UTF-8, at most 65,535 bytes).
    pub fn target(&self) -> &'a [u8] {
        self.target
    }

    /// The message (UTF-8), unescaped.
    pub fn message(&self) -> &'a [u8] {
        debug_assert!(self.deferred.is_none(), "message not rendered");
        self.msg
    }

    /// The structured fields, in call order.
    pub fn fields(&self) -> Fields<'a> {
        Fields::new(self.fields)
    }

    /// The source file of the statement that logged the record (UTF-8);
    /// `None` unless the logger captures call sites (see
    /// [`Format::with_call_site`]) and the front end knew it.
    pub fn file(&self) -> Option<&'a [u8]> {
        self.location().map(|(f, _)| f)
    }

    /// The source line of the statement that logged the record; `None`
    /// exactly when [`Record::file`] is.
    pub fn line(&self) -> Option<u32> {
        self.location().map(|(_, l)| l)
    }

    /// Whether the message is a whole line the caller formatted
    /// (`uringlog::tracing::make_writer`), which the built-in formats
    /// write as is.
    pub fn is_preformatted(&self) -> bool {
        self.raw
    }
}

impl<'a> Record<'a> {
    /// Source file and line of the statement, when the record has them:
    /// read from a lazily rendered deferred record's call site only where
    /// a format shows them (not per record in the drain loop).
    #[inline(always)]
    pub(crate) fn location(&self) -> Option<crate::record::FileLine<'a>> {
        match self.deferred {
            Some(d) => Some((d.site.file.as_bytes(), d.site.line)),
            None => self.call_site,
        }
    }

    /// The target and whether it lives for the whole program (a deferred
    /// record's call-site target), for caches that recognise such a
    /// target by its address.
    #[inline(always)]
    pub(crate) fn target_identity(&self) -> (&'a [u8], bool) {
        match self.site_target() {
            Some(t) => (t, true),
            None => (self.target, false),
        }
    }

    /// A deferred record's call-site target, which lives for the whole
    /// program (the same bytes as `target`).
    #[inline(always)]
    pub(crate) fn site_target(&self) -> Option<&'static [u8]> {
        self.deferred.and_then(|d| d.site.target).map(str::as_bytes)
    }

    /// Decodes a record from its header and its body (target then payload);
    /// `None` when the payload is malformed. A deferred record's message is
    /// rendered into `msg_buf` when `rendering` is eager.
    #[inline]
    pub(crate) fn decode(
        header: &Header,
        body: &'a [u8],
        unix_nanos: u64,
        thread: u32,
        msg_buf: &'a mut Vec<u8>,
        rendering: Rendering,
    ) -> Option<Record<'a>> {
        let (target, payload) = body.split_at(header.target_len as usize);
        let (call_site, payload) = match header.located {
            true => {
                let (loc, rest) = crate::record::split_location(payload)?;
                (Some(loc), rest)
            }
            false => (None, payload),
        };
        let parts = Parts {
            kind: header.kind,
            level: header.level,
            unix_nanos,
            thread,
            target,
            call_site,
        };
        Record::from_parts(parts, payload, msg_buf, rendering)
    }

    /// A record from its parts; `None` when the payload is malformed (for a
    /// lazily rendered deferred record, the formats find out).
    #[inline]
    pub(crate) fn from_parts(
        p: Parts<'a>,
        payload: &'a [u8],
        msg_buf: &'a mut Vec<u8>,
        rendering: Rendering,
    ) -> Option<Record<'a>> {
        let mut rec = Record {
            unix_nanos: p.unix_nanos,
            level: p.level,
            thread: p.thread,
            target: p.target,
            msg: payload,
            deferred: None,
            fields: &[],
            spans: &[],
            call_site: p.call_site,
            raw: p.kind == RecordKind::Raw,
        };
        match p.kind {
            RecordKind::Text | RecordKind::Raw => {}
            RecordKind::Fields => (rec.msg, rec.fields) = field::split_payload(payload)?,
            RecordKind::Scoped => {
                (rec.msg, rec.fields, rec.spans) = field::split_scoped(payload)?;
            }
            RecordKind::Deferred => {
                let (site, values) = deferred::decode::split(payload)?;
                rec.target = site.target.map_or(p.target, str::as_bytes);
                rec.msg = &[];
                if rendering == Rendering::Lazy {
                    // The call site holds the location (`Record::location`).
                    rec.call_site = None;
                    rec.deferred = Some(DeferredMessage { site, values });
                } else {
                    rec.call_site = Some((site.file.as_bytes(), site.line));
                    msg_buf.clear();
                    if !deferred::render::render(msg_buf, site, values) {
                        return None;
                    }
                    rec.msg = msg_buf;
                }
            }
        }
        Some(rec)
    }
}

/// What a record is besides its payload: from the ring's header, or from a
/// sync-mode call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parts<'a> {
    pub kind: RecordKind,
    pub level: Level,
    pub unix_nanos: u64,
    pub thread: u32,
    pub target: &'a [u8],
    pub call_site: Option<crate::record::FileLine<'a>>,
}

/// A format and its cached state (the date of the last second seen, the
/// targets rendered, the member names of the JSON object being written),
/// or a sink's own format.
pub(crate) struct Formatter {
    format: Format,
    time: TimeCache,
    /// The last head written (see `head`).
    head: HeadCache,
    keys: KeySet,
    targets: TargetCache,
    /// `core::fmt` output of a deferred message, before it is escaped.
    scratch: Vec<u8>,
    /// The typed renderer of the last deferred message rendered.
    memo: TypedMemo,
    /// A sink's own format, used instead of `format`.
    custom: Option<Box<dyn RecordFormat>>,
    /// Member names of one span object in JSON's `spans` (`name` fixed).
    span_keys: KeySet,
}

/// A built-in format's reused state, as `text::write` and `json::write`
/// take it.
pub(super) struct State<'s> {
    time: &'s mut TimeCache,
    head: &'s mut HeadCache,
    targets: &'s mut TargetCache,
    scratch: &'s mut Vec<u8>,
    memo: &'s mut TypedMemo,
    /// The format when the caller knows it as a constant (see
    /// `Formatter::write_as`).
    fixed: Option<Format>,
}

impl std::fmt::Debug for Formatter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Formatter")
            .field("format", &self.format)
            .field("custom", &self.custom.is_some())
            .finish_non_exhaustive()
    }
}

impl Formatter {
    /// A formatter for `format`; reads the system's UTC offset now if the
    /// format asks for local time.
    pub(crate) fn new(format: Format) -> Formatter {
        Formatter {
            format,
            time: TimeCache::for_offset(format.offset),
            head: HeadCache::new(format.timestamp),
            keys: KeySet::new(match format.layout {
                Layout::Text => Vec::new(),
                Layout::Json => json::fixed_names(&format),
            }),
            targets: TargetCache::new(),
            scratch: Vec::new(),
            memo: TypedMemo::new(),
            custom: None,
            span_keys: KeySet::new(match format.layout {
                Layout::Text => Vec::new(),
                Layout::Json => vec!["name"],
            }),
        }
    }

    /// A sink's own format; never shared with another sink.
    pub(crate) fn custom(custom: Box<dyn RecordFormat>) -> Formatter {
        Formatter {
            custom: Some(custom),
            ..Formatter::new(Format::default())
        }
    }

    /// The built-in format, `None` for a sink's own.
    pub(crate) fn format(&self) -> Option<Format> {
        self.custom.is_none().then_some(self.format)
    }

    /// Whether this is a sink's own format (which reads `Record::message`).
    pub(crate) fn is_custom(&self) -> bool {
        self.custom.is_some()
    }

    /// Appends one complete record (a line, newline included, for the
    /// built-in formats) to `out`; `false`, with `out` as it was, when the
    /// record's deferred message does not decode.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) -> bool {
        self.write_as(out, rec, None)
    }

    /// [`Formatter::write`]; `fixed` is this formatter's built-in format
    /// when the caller knows it as a constant (then its tests fold away),
    /// `None` otherwise.
    #[inline(always)]
    pub(crate) fn write_as(
        &mut self,
        out: &mut Vec<u8>,
        rec: &Record<'_>,
        fixed: Option<Format>,
    ) -> bool {
        debug_assert!(fixed.is_none() || fixed == self.format());
        if let (None, Some(c)) = (fixed, &mut self.custom) {
            debug_assert!(rec.deferred.is_none(), "a sink's format reads the message");
            // A copy: the record's address stays in the drain loop.
            c.write(out, &{ *rec });
            return true;
        }
        if rec.raw {
            spans::write_raw(out, rec.msg);
            return true;
        }
        let st = State {
            time: &mut self.time,
            head: &mut self.head,
            targets: &mut self.targets,
            scratch: &mut self.scratch,
            memo: &mut self.memo,
            fixed,
        };
        let format = fixed.unwrap_or(self.format);
        let start = out.len();
        let ok = match format.layout {
            Layout::Text => text::write(out, st, &format, rec),
            Layout::Json => {
                let keys = (&mut self.keys, &mut self.span_keys);
                json::write(out, st, keys, &format, rec)
            }
        };
        if ok {
            return true;
        }
        out.truncate(start);
        false
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// One line for `rec` in `format`, as a string.
    pub(crate) fn line(format: Format, rec: &Record<'_>) -> String {
        let mut out = Vec::new();
        assert!(Formatter::new(format).write(&mut out, rec));
        String::from_utf8(out).expect("formats produce UTF-8")
    }

    /// A record with `fields` encoded from `(key, value)` pairs.
    pub(crate) fn encoded(fields: &[crate::field::Field<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::field::encode_payload(&mut out, format_args!(""), fields, usize::MAX);
        out.drain(..4);
        out
    }

    pub(crate) fn rec<'a>(
        nanos: u64,
        level: Level,
        target: &'a str,
        msg: &'a str,
        fields: &'a [u8],
    ) -> Record<'a> {
        Record {
            unix_nanos: nanos,
            level,
            thread: 4242,
            target: target.as_bytes(),
            msg: msg.as_bytes(),
            deferred: None,
            fields,
            spans: &[],
            call_site: None,
            raw: false,
        }
    }
}
