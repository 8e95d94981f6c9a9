//! One small error type per operation.

use std::fmt;
use std::io;

/// Why [`crate::Builder::build`] refused a configuration.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// No sink was given.
    NoSink,
    /// A numeric setting is out of range.
    InvalidValue {
        /// The builder method, e.g. `"ring_capacity"`.
        setting: &'static str,
        /// The value given.
        value: u64,
        /// Why it was refused.
        reason: String,
    },
    /// The policy is not available with this configuration.
    Unsupported {
        /// What was asked for.
        what: String,
        /// Why it cannot be had.
        reason: String,
    },
    /// `Backend::IoUring` was forced but io_uring cannot be used.
    IoUringUnavailable {
        /// What failed, with the errno and its likely cause.
        reason: String,
    },
    /// The writer thread could not be started.
    SpawnWriter(io::Error),
    /// The batch buffers the writer needs could not be reserved (the
    /// address space is short): nothing was logged.
    BatchBuffers {
        /// Bytes asked for: every batch buffer the writer may hold at once.
        bytes: usize,
    },
    /// A global logger is already installed behind the `log` facade.
    GlobalAlreadySet,
    /// The crash-safe directory cannot be used (see
    /// [`crate::Builder::crash_safe`]): it cannot be created or locked,
    /// or another process holds it.
    CrashSafe {
        /// The directory given.
        dir: std::path::PathBuf,
        /// Why, with the holder's pid or the errno.
        reason: String,
    },
    /// The `fork` child handler could not be registered
    /// (`pthread_atfork` failed, `ENOMEM`): without it a forked child
    /// would go on with this process's engines.
    ForkHandler(io::Error),
    /// A filter directive was refused (see [`crate::Builder::filter`]).
    InvalidFilter {
        /// Where the directives came from: `"filter"` or the variable's name.
        source: String,
        /// The directive refused, as given.
        directive: String,
        /// Why it was refused.
        reason: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoSink => write!(f, "no sink configured: call .sink(..) before .build()"),
            BuildError::InvalidValue {
                setting,
                value,
                reason,
            } => write!(f, "invalid {setting} {value}: {reason}"),
            BuildError::Unsupported { what, reason } => {
                write!(f, "{what} is not supported: {reason}")
            }
            BuildError::IoUringUnavailable { reason } => {
                write!(f, "io_uring backend requested but unavailable: {reason}")
            }
            BuildError::SpawnWriter(e) => write!(f, "cannot start the writer thread: {e}"),
            BuildError::BatchBuffers { bytes } => write!(
                f,
                "cannot allocate the writer's batch buffers ({bytes} bytes): out of memory"
            ),
            BuildError::GlobalAlreadySet => {
                write!(f, "a logger is already installed behind the log facade")
            }
            BuildError::CrashSafe { dir, reason } => {
                write!(f, "crash-safe directory {}: {reason}", dir.display())
            }
            BuildError::ForkHandler(e) => {
                write!(f, "cannot register the fork handler: pthread_atfork failed: {e}")
            }
            BuildError::InvalidFilter {
                source,
                directive,
                reason,
            } => write!(
                f,
                "invalid filter directive {directive:?} in {source}: {reason}"
            ),
        }
    }
}

/// No `source`: each variant's message already names its cause (the
/// errno of `SpawnWriter` and `ForkHandler` too), so a report that walks
/// the chain does not print it twice.
impl std::error::Error for BuildError {}

/// Why [`crate::Logger::flush`] could not confirm the barrier.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlushError {
    /// The writer has shut down; records logged now are counted dropped.
    ShutDown,
    /// The writer did not reach the barrier within the timeout.
    Timeout {
        /// The timeout that expired, in milliseconds.
        timeout_ms: u64,
    },
    /// Called on the writer thread itself (from a sink, or a library it
    /// calls): the writer cannot wait for itself. Returned at once.
    OnWriterThread,
    /// I/O errors since the previous flush returned: failed batches, whose
    /// records are counted in `Stats::dropped`, or errors a sink survived
    /// without losing records (a failed rotation). All count in `Stats::errors`.
    /// A sink's notices (a connection lost and made again, nothing lost)
    /// are not errors: they show in `Logger::recent_errors` only.
    Io {
        /// Errors (failed batches or sink errors) since the previous flush.
        failed_batches: u64,
        /// The last error seen (never a notice).
        last: String,
    },
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushError::ShutDown => write!(f, "logger is shut down"),
            FlushError::Timeout { timeout_ms } => {
                write!(f, "flush did not complete within {timeout_ms} ms")
            }
            FlushError::OnWriterThread => write!(
                f,
                "flush called on the logger's writer thread (from a sink): it cannot wait for itself"
            ),
            FlushError::Io {
                failed_batches,
                last,
            } => write!(
                f,
                "{failed_batches} I/O error(s) before the barrier: {last}"
            ),
        }
    }
}

impl std::error::Error for FlushError {}

/// Why [`crate::Logger::reopen`] did not reopen every file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReopenError {
    /// The writer has shut down; nothing was reopened.
    ShutDown,
    /// Called on the writer thread (from a sink, or code a sink calls),
    /// which cannot wait for itself — in sync mode, from inside a sink's
    /// write, which holds the logger's writer; nothing was reopened.
    OnWriterThread,
    /// Some sinks could not open their paths again; they keep writing to
    /// the files they had open. Each failure counts in `Stats::errors`.
    Failed {
        /// Sinks that failed.
        sinks: u64,
        /// The last error, naming the path and the reason.
        last: String,
    },
}

impl fmt::Display for ReopenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReopenError::ShutDown => write!(f, "logger is shut down"),
            ReopenError::OnWriterThread => {
                write!(
                    f,
                    "reopen called on the writer thread, which cannot wait for itself"
                )
            }
            ReopenError::Failed { sinks, last } => {
                write!(f, "{sinks} sink(s) kept their old files: {last}")
            }
        }
    }
}

impl std::error::Error for ReopenError {}

/// Why [`crate::WriterGuard::shutdown`] did not finish cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShutdownError {
    /// The writer did not finish draining within the timeout. It gives up
    /// (see [`crate::WriterGuard::shutdown`]) and ends within a bounded
    /// time, counting what it did not write as dropped. The counters as
    /// they stood at the timeout.
    Timeout {
        /// The timeout that expired, in milliseconds.
        timeout_ms: u64,
        /// Counters at the time of the timeout.
        stats: crate::Stats,
    },
    /// The writer thread panicked (a bug, or a sink that panicked) — in
    /// sync mode, a sink panicked in a caller; counters as they stand.
    WriterPanicked {
        /// Counters after the panic.
        stats: crate::Stats,
    },
    /// Called on the writer thread itself (a sink owning the guard): the
    /// logger stops accepting records and the writer drains and ends once
    /// the sink returns; nothing waited. The counters as they stood then.
    OnWriterThread {
        /// Counters at the time of the call.
        stats: crate::Stats,
    },
}

impl fmt::Display for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShutdownError::Timeout { timeout_ms, stats } => write!(
                f,
                "writer still draining after {timeout_ms} ms ({} records pending)",
                stats.pending()
            ),
            ShutdownError::WriterPanicked { .. } => write!(f, "writer panicked"),
            ShutdownError::OnWriterThread { .. } => write!(
                f,
                "shutdown called on the logger's writer thread (from a sink): it cannot wait for itself"
            ),
        }
    }
}

impl std::error::Error for ShutdownError {}

/// The message a panic carried, if it is text (for `recent_errors`).
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_owned(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An OS error is said once: in the message, not again as the source.
    #[test]
    fn a_build_error_names_its_errno_once() {
        let errors = [
            BuildError::ForkHandler(io::Error::from_raw_os_error(libc::ENOMEM)),
            BuildError::SpawnWriter(io::Error::from_raw_os_error(libc::EAGAIN)),
        ];
        let said: Vec<(String, bool)> = (errors.iter())
            .map(|e| (e.to_string(), std::error::Error::source(e).is_some()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "cannot register the fork handler: pthread_atfork failed: \
                     Cannot allocate memory (os error 12)"
                        .to_owned(),
                    false
                ),
                (
                    "cannot start the writer thread: \
                     Resource temporarily unavailable (os error 11)"
                        .to_owned(),
                    false
                ),
            ]
        );
    }
}
