//! `tracing` front end (cargo feature `tracing`): a [`Layer`] that turns
//! each event into one uringlog record, and a [`MakeWriter`] for
//! `tracing_subscriber::fmt`, a drop-in for `tracing_appender::non_blocking`.
//!
//! # The layer: [`layer`]
//!
//! ```
//! use tracing_subscriber::prelude::*;
//! use uringlog::{Format, Logger, MemorySink, Timestamp};
//!
//! let (sink, out) = MemorySink::new();
//! let (logger, guard) = Logger::builder()
//!     .sink(sink)
//!     .format(Format::text().timestamp(Timestamp::Off))
//!     .filter("info,hyper=off")
//!     .build()?;
//! let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
//! tracing::subscriber::with_default(subscriber, || {
//!     let conn = tracing::info_span!("conn", peer = "10.0.0.1");
//!     let _c = conn.enter();
//!     let req = tracing::info_span!("request", id = 7u64);
//!     let _r = req.enter();
//!     tracing::info!(target: "app::http", status = 200u16, "done");
//!     tracing::debug!(target: "app::http", "below the level: never copied");
//! });
//! guard.shutdown(std::time::Duration::from_secs(5))?;
//! assert_eq!(
//!     out.text(),
//!     "INFO  conn{peer=\"10.0.0.1\"}:request{id=7}: app::http: \"done\" status=200\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - **Filtering first.** The logger's filter (level, target directives,
//!   sink floor) answers `register_callsite`, so `tracing` caches the
//!   decision per callsite: a disabled event costs its callsite's cached
//!   interest, nothing is visited or copied. `max_level_hint` reports the
//!   lowest level any target accepts. [`Logger::set_level`] rebuilds
//!   `tracing`'s interest cache. The decision holds for the whole
//!   subscriber (as a filtering layer's does). Wrapped in
//!   `.with_filter(..)`, the layer sees what that filter passes, and the
//!   logger's filter still decides what it logs: a refused event is not
//!   formatted, a refused span not shown in the scope.
//! - **Fields in binary.** Numbers and booleans are copied as such, strings
//!   copied, `Debug` and `Error` values formatted by the caller (the record
//!   never borrows); the writer renders them per format, like the
//!   structured fields of the macros. An error's causes follow it as
//!   `<name>.sources=[cause, …]`, as the fmt layer shows them.
//! - **Spans recorded once.** A span's fields are encoded at `on_new_span`
//!   (and appended at `on_record`, a field recorded again replacing its
//!   value) into the span's extensions; an event
//!   copies the encoded scope, root first, without formatting it again.
//!   Text shows it like the fmt layer (`conn{user=alice}:request{id=7}:`
//!   before the target), JSON under a `spans` member.
//! - **`log` records.** A record `tracing_log::LogTracer` forwards
//!   (`tracing_subscriber`'s `init()` installs it) is logged under its own
//!   target, file and line, as the `log` facade logs it, not as an event
//!   of target `log` with `log.*` fields.
//!
//! # The writer: [`make_writer`]
//!
//! ```
//! use uringlog::{Logger, MemorySink};
//!
//! let (sink, out) = MemorySink::new();
//! let (logger, guard) = Logger::builder().sink(sink).build()?;
//! // was: let (writer, _guard) = tracing_appender::non_blocking(file);
//! let writer = uringlog::tracing::make_writer(&logger);
//! let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
//! tracing::subscriber::with_default(subscriber, || tracing::info!(id = 7, "hello"));
//! guard.shutdown(std::time::Duration::from_secs(5))?;
//! assert!(out.text().ends_with(" INFO rust_out: hello id=7\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each formatted event becomes one record written as is, whatever the
//! sink's [`Format`](crate::Format): no second timestamp or prefix. The
//! line is copied once, into the thread's ring, with no allocation. The
//! event's level selects the sinks (per-sink levels apply) and the
//! logger's filter applies too, but only after the fmt layer formatted the
//! line: filter the subscriber (e.g. `with_max_level`) to save that work,
//! or use the layer. The writer sees an event's metadata only: a `log`
//! record `tracing_log::LogTracer` forwards has the target `log` there
//! (its own is a field of the event), so target directives judge it as
//! `log`; the layer reads the record's own. Policies, accounting and
//! shutdown are the logger's: lossless under `Block`, drops counted under
//! the lossy policies, every accepted line written by shutdown.
//!
//! # Lifetime
//!
//! The layer and the writer hold a handle that does not keep the writer
//! running (a global subscriber lives as long as the process): keep the
//! guard or a `Logger` for as long as the program logs, e.g.
//! `let (logger, _guard) = …build()?;` in `main`. When the guard and every
//! `Logger` are gone, the writer drains and stops and later events are
//! counted dropped.
//!
//! [`Logger::set_level`]: crate::Logger::set_level
//! [`Layer`]: tracing_subscriber::Layer
//! [`MakeWriter`]: tracing_subscriber::fmt::MakeWriter

mod layer;
mod log_record;
mod visit;
mod writer;

pub use layer::LogLayer;
pub use writer::{EventWriter, LogWriter};

use crate::level::Level;
use crate::logger::Logger;
use std::sync::atomic::Ordering;

/// A [`Layer`](tracing_subscriber::Layer) logging every enabled event
/// through `logger`; see the [module docs](self).
pub fn layer(logger: &Logger) -> LogLayer {
    attach(logger);
    LogLayer::new(logger.uncounted(), logger.shared.lifecycle.signal_hold())
}

/// A [`MakeWriter`](tracing_subscriber::fmt::MakeWriter) for
/// `tracing_subscriber::fmt` whose events become records of `logger`; see
/// the [module docs](self).
pub fn make_writer(logger: &Logger) -> LogWriter {
    attach(logger);
    LogWriter::new(logger.uncounted(), logger.shared.lifecycle.signal_hold())
}

/// Marks `logger` as used by `tracing`, so filter changes rebuild its
/// callsite interest.
fn attach(logger: &Logger) {
    logger
        .shared
        .front_ends
        .tracing
        .store(true, Ordering::Relaxed);
}

/// The uringlog level of a `tracing` level.
fn level_of(level: &tracing_core::Level) -> Level {
    match *level {
        tracing_core::Level::TRACE => Level::Trace,
        tracing_core::Level::DEBUG => Level::Debug,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::WARN => Level::Warn,
        _ => Level::Error,
    }
}

/// The `tracing` level filter of a uringlog minimum level.
fn level_filter_of(level: Level) -> tracing_core::LevelFilter {
    match level {
        Level::Trace => tracing_core::LevelFilter::TRACE,
        Level::Debug => tracing_core::LevelFilter::DEBUG,
        Level::Info => tracing_core::LevelFilter::INFO,
        Level::Warn => tracing_core::LevelFilter::WARN,
        Level::Error => tracing_core::LevelFilter::ERROR,
        Level::Off => tracing_core::LevelFilter::OFF,
    }
}
