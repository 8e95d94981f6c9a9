//! [`LogWriter`]: a `MakeWriter` whose every formatted event becomes one
//! record, written as is (`RecordKind::Raw`).

use super::level_of;
use crate::level::Level;
use crate::logger::Logger;
use crate::record::RecordKind;
use crate::signal::Hold;
use std::io;
use std::sync::Arc;
use tracing_core::Metadata;
use tracing_subscriber::fmt::MakeWriter;

/// The `MakeWriter` of a logger; made by [`make_writer`](super::make_writer).
#[derive(Clone, Debug)]
pub struct LogWriter {
    logger: Logger,
    /// Keeps the reopen signal's handler while the writer lives (see
    /// `lifecycle`).
    _signal: Option<Arc<Hold>>,
}

impl LogWriter {
    pub(super) fn new(logger: Logger, signal: Option<Arc<Hold>>) -> LogWriter {
        LogWriter {
            logger,
            _signal: signal,
        }
    }

    fn writer(&self, level: Level, target: &str) -> EventWriter<'_> {
        EventWriter {
            logger: &self.logger,
            level,
            enabled: self.logger.shared.enabled_for(level, target),
            pending: Vec::new(),
        }
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = EventWriter<'a>;

    /// A writer for a line of unknown level: logged at `Info`.
    fn make_writer(&'a self) -> EventWriter<'a> {
        self.writer(Level::Info, "")
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> EventWriter<'a> {
        self.writer(level_of(meta.level()), meta.target())
    }
}

/// Writes one event: the fmt layer's single `write_all` of a whole line
/// goes straight into the thread's ring. Writes that do not end a line are
/// gathered (allocating) until one does or the writer is dropped, so a
/// record is always a whole line. An event written in several writes that
/// each end a line (a custom formatter's) becomes one record per such
/// write: the file holds the same bytes, each record whole lines, though
/// another thread's record may fall between them. `flush` is not a
/// barrier (use [`Logger::flush`](crate::Logger::flush)).
#[derive(Debug)]
pub struct EventWriter<'a> {
    logger: &'a Logger,
    level: Level,
    /// The logger's filter accepted the event's level and target.
    enabled: bool,
    /// A line begun by writes that did not end it.
    pending: Vec<u8>,
}

impl EventWriter<'_> {
    fn commit_pending(&mut self) {
        let line = std::mem::take(&mut self.pending);
        self.logger
            .log_bytes(RecordKind::Raw, self.level, "", None, &line);
    }
}

impl io::Write for EventWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if !self.enabled || buf.is_empty() {
            return Ok(());
        }
        if self.pending.is_empty() && buf.last() == Some(&b'\n') {
            self.logger.log_bytes(RecordKind::Raw, self.level, "", None, buf);
            return Ok(());
        }
        self.pending.extend_from_slice(buf);
        if self.pending.last() == Some(&b'\n') {
            self.commit_pending();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter<'_> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            self.commit_pending();
        }
    }
}
