//! Formats that sinks bring themselves: the [`RecordFormat`] trait and the
//! pieces of the built-in formats they may reuse.

use super::time::TimeCache;
use super::{Record, Timestamp};

/// A sink's own layout of a record (see `Sink::record_format`).
///
/// Runs on the writer thread for every record the sink takes, so it should
/// not allocate in the steady state; `out` is the batch being gathered.
///
/// ```
/// use uringlog::{Record, RecordFormat};
///
/// /// `<level> message` lines.
/// struct Bare;
/// impl RecordFormat for Bare {
///     fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
///         out.extend_from_slice(rec.level().as_str().as_bytes());
///         out.push(b' ');
///         out.extend_from_slice(rec.message());
///         out.push(b'\n');
///     }
/// }
/// ```
pub trait RecordFormat: Send {
    /// Appends one record to `out`.
    fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>);

    /// Whether this format reads [`Record::file`] and [`Record::line`]:
    /// a logger captures call sites only when some sink's format does.
    /// Asked once, when the logger is built; `false` by default.
    ///
    /// ```
    /// use uringlog::{Logger, Record, RecordFormat, Sink, Target};
    ///
    /// /// `file:line message` lines.
    /// struct Located;
    /// impl RecordFormat for Located {
    ///     fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
    ///         if let (Some(file), Some(line)) = (rec.file(), rec.line()) {
    ///             out.extend_from_slice(file);
    ///             out.extend_from_slice(format!(":{line} ").as_bytes());
    ///         }
    ///         out.extend_from_slice(rec.message());
    ///         out.push(b'\n');
    ///     }
    ///     fn wants_call_site(&self) -> bool {
    ///         true
    ///     }
    /// }
    ///
    /// struct Out(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    /// impl Sink for Out {
    ///     fn describe(&self) -> String { "out".into() }
    ///     fn target(&mut self, _: usize) -> std::io::Result<Target> { Ok(Target::Inline) }
    ///     fn write_inline(&mut self, b: &[u8]) -> std::io::Result<()> {
    ///         self.0.lock().unwrap().extend_from_slice(b);
    ///         Ok(())
    ///     }
    ///     fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
    ///         Some(Box::new(Located))
    ///     }
    /// }
    ///
    /// let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// let (logger, guard) = Logger::builder().sink(Out(buf.clone())).build()?;
    /// let line = line!() + 1;
    /// uringlog::info!(logger, "here");
    /// guard.shutdown(std::time::Duration::from_secs(5))?;
    /// let want = format!("{}:{line} here\n", file!());
    /// assert_eq!(String::from_utf8(buf.lock().unwrap().clone())?, want);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn wants_call_site(&self) -> bool {
        false
    }
}

/// RFC 3339 UTC timestamps as the built-in formats write them, caching the
/// date and time of the last second seen.
///
/// ```
/// use uringlog::{Rfc3339, Timestamp};
/// let mut t = Rfc3339::new();
/// let mut out = Vec::new();
/// t.write(&mut out, 1_795_841_809_123_456_789, Timestamp::Micros);
/// assert_eq!(out, b"2026-11-28T04:56:49.123456Z");
/// ```
#[derive(Debug, Default)]
pub struct Rfc3339(TimeCache);

impl Rfc3339 {
    /// A writer with an empty cache.
    pub fn new() -> Rfc3339 {
        Rfc3339::default()
    }

    /// Appends `unix_nanos` at `precision` (nothing for `Timestamp::Off`).
    #[inline]
    pub fn write(&mut self, out: &mut Vec<u8>, unix_nanos: u64, precision: Timestamp) {
        self.0.write(out, unix_nanos, precision);
    }
}
