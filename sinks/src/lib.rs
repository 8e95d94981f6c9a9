//! Destinations for uringlog loggers.
//!
//! A sink says where bytes go; the engine does the writing (see
//! [`uringlog::Sink`]). Formats (text line, JSON lines) are chosen per sink
//! when it is added to the logger (see [`uringlog::Format`]).
//!
//! | sink | for |
//! |---|---|
//! | [`FileSink`] | one file, appended to |
//! | [`RollingFileSink`] | a file rotated by size and/or time, with retention |
//! | [`StdoutSink`], [`StderrSink`] | containers and consoles; pipes with short writes and `EAGAIN` are handled; the level in colour on a terminal ([`ColorChoice`]) |
//! | [`StreamSink`] | any pipe or socket descriptor |
//! | [`SyslogSink`] | a syslog receiver: RFC 5424 over TCP, RELP or UDP (see [`syslog`]) |
//!
//! ```
//! use std::time::Duration;
//! use uringlog::{Format, Level, Logger, SinkOptions};
//! use uringlog_sinks::{FileSink, StderrSink};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("app.log");
//! let (logger, guard) = Logger::builder()
//!     .sink(FileSink::new(&path)?)
//!     .sink_with(StderrSink::new(), SinkOptions::new().min_level(Level::Error).format(Format::json()))
//!     .build()?;
//! uringlog::info!(logger, user = "alice"; "started");
//! guard.shutdown(Duration::from_secs(5))?;
//! assert!(std::fs::read_to_string(&path)?.ends_with("\"started\" user=alice\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod active;
mod file;
mod prealloc;
mod rolling;
mod stream;
pub mod syslog;

pub use file::{FileSink, OpenError, DEFAULT_PREALLOCATE_BYTES, DIRECT_IO_ALIGN};
pub use prealloc::MAX_PREALLOCATE_BYTES;
pub use rolling::{Period, RollingBuilder, RollingError, RollingFileSink, UtcOffset};
pub use stream::{ColorChoice, StderrSink, StdoutSink, StreamSink};
pub use syslog::{Facility, SyslogError, SyslogSink};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
