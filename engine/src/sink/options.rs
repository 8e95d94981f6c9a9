//! `SinkOptions`: how one sink of a logger filters and lays out its records.

use crate::format::Format;
use crate::level::Level;

/// Per-sink settings for [`crate::Builder::sink_with`].
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`min_level`](SinkOptions::min_level) | every level the logger accepts | records below it skip this sink |
/// | [`format`](SinkOptions::format) | the builder's [`format`](crate::Builder::format) (text) | text line or JSON lines |
///
/// ```
/// use uringlog::{Format, Level, SinkOptions};
/// let errors_as_json = SinkOptions::new().min_level(Level::Warn).format(Format::json());
/// # let _ = errors_as_json;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SinkOptions {
    pub(crate) min_level: Option<Level>,
    pub(crate) format: Option<Format>,
}

impl SinkOptions {
    /// Every record, in the builder's format.
    pub fn new() -> SinkOptions {
        SinkOptions::default()
    }

    /// Only records at `level` or above reach this sink.
    pub fn min_level(mut self, level: Level) -> SinkOptions {
        self.min_level = Some(level);
        self
    }

    /// This sink's format.
    pub fn format(mut self, format: Format) -> SinkOptions {
        self.format = Some(format);
        self
    }
}
