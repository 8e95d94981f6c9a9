//! `StdoutSink`, `StderrSink` and `StreamSink`: pipes, terminals, sockets.
//!
//! The engine writes each batch with `write(2)` on the writer thread,
//! continuing short writes and, when the descriptor is non-blocking and
//! full (`EAGAIN`), waiting in `poll(2)` until it drains — so a container
//! runtime reading stdout through a pipe never sees a torn or lost line,
//! only a writer that keeps pace with the reader. A stream has no offsets:
//! batches go in order, whole.
//!
//! The sinks write to the descriptor directly, past Rust's `std::io::stdout()`
//! buffer: a `println!` line and a log batch never interleave within a line
//! (each is written whole), but may interleave between lines.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use uringlog::{SharedFd, Sink, Target};

/// Writes records to any stream descriptor (a pipe, a socket, a terminal).
pub struct StreamSink {
    fd: SharedFd,
    name: String,
}

impl fmt::Debug for StreamSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSink")
            .field("name", &self.name)
            .field("fd", &self.fd.as_fd())
            .finish()
    }
}

impl StreamSink {
    /// A sink on `fd`, named `name` in errors (e.g. `"pipe to collector"`).
    pub fn new(fd: OwnedFd, name: impl Into<String>) -> StreamSink {
        StreamSink::shared(Arc::new(fd), name)
    }

    fn shared(fd: SharedFd, name: impl Into<String>) -> StreamSink {
        StreamSink {
            fd,
            name: name.into(),
        }
    }
}

impl Sink for StreamSink {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Stream {
            fd: self.fd.clone(),
        })
    }
}

/// Writes records to the process's standard output (descriptor 1).
///
/// ```
/// let (logger, guard) = uringlog::Logger::builder()
///     .sink(uringlog_sinks::StdoutSink::new())
///     .build()?;
/// uringlog::info!(logger, "to stdout");
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StdoutSink(StreamSink);

impl StdoutSink {
    /// A sink on standard output.
    pub fn new() -> StdoutSink {
        StdoutSink(StreamSink::shared(Arc::new(io::stdout()), "stdout"))
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        StdoutSink::new()
    }
}

/// Writes records to the process's standard error (descriptor 2).
#[derive(Debug)]
pub struct StderrSink(StreamSink);

impl StderrSink {
    /// A sink on standard error.
    pub fn new() -> StderrSink {
        StderrSink(StreamSink::shared(Arc::new(io::stderr()), "stderr"))
    }
}

impl Default for StderrSink {
    fn default() -> Self {
        StderrSink::new()
    }
}

macro_rules! forward_sink {
    ($t:ty) => {
        impl Sink for $t {
            fn describe(&self) -> String {
                self.0.describe()
            }
            fn target(&mut self, len: usize) -> io::Result<Target> {
                self.0.target(len)
            }
        }
    };
}
forward_sink!(StdoutSink);
forward_sink!(StderrSink);
