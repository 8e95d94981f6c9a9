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
//!
//! On a terminal, text lines show the level in colour (see [`ColorChoice`]).

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use uringlog::{SharedFd, Sink, Styling, Target};

/// Whether a stream sink colours the level of text lines.
///
/// | choice | colour when |
/// |---|---|
/// | `Auto` (the default) | the descriptor is a terminal (`isatty`), `NO_COLOR` is unset or empty, and `TERM` is not `dumb` |
/// | `Always` | always, even through a pipe and whatever `NO_COLOR` says |
/// | `Never` | never |
///
/// `Auto` decides once, when the sink is made (or [`color`](StreamSink::color)
/// is called): redirecting the descriptor later does not change it. JSON
/// lines are never coloured; see [`uringlog::Styling`] for the bytes.
///
/// ```
/// use uringlog_sinks::{ColorChoice, StderrSink};
/// let plain = StderrSink::new().color(ColorChoice::Never);
/// # let _ = plain;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` or `TERM=dumb` says otherwise.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// The styling this choice gives a descriptor with these properties.
    fn styling(self, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> Styling {
        let auto = || {
            terminal && no_color.map_or(true, OsStr::is_empty) && term != Some(OsStr::new("dumb"))
        };
        match self {
            ColorChoice::Always => Styling::Ansi,
            ColorChoice::Auto if auto() => Styling::Ansi,
            _ => Styling::Plain,
        }
    }

    /// The styling this choice gives `fd`, reading the environment now.
    fn styling_for(self, fd: &dyn AsFd) -> Styling {
        // SAFETY: `isatty` only inspects the descriptor, which `fd` keeps open.
        let terminal = unsafe { libc::isatty(fd.as_fd().as_raw_fd()) } == 1;
        let no_color = std::env::var_os("NO_COLOR");
        let term = std::env::var_os("TERM");
        self.styling(terminal, no_color.as_deref(), term.as_deref())
    }
}

/// Writes records to any stream descriptor (a pipe, a socket, a terminal).
///
/// ```
/// use std::io::Read;
/// use std::os::fd::OwnedFd;
/// use std::os::unix::net::UnixStream;
/// use uringlog::{Format, Logger, Timestamp};
/// use uringlog_sinks::StreamSink;
///
/// let (mut reader, writer) = UnixStream::pair()?;
/// let sink = StreamSink::new(OwnedFd::from(writer), "socket to a collector");
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .format(Format::json().timestamp(Timestamp::Off))
///     .build()?;
/// uringlog::info!(logger, target: "app", "over a socket");
/// guard.shutdown(std::time::Duration::from_secs(5))?; // closes our end
/// let mut got = String::new();
/// reader.read_to_string(&mut got)?;
/// assert_eq!(got, "{\"level\":\"INFO\",\"target\":\"app\",\"msg\":\"over a socket\"}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamSink {
    fd: SharedFd,
    name: String,
    /// What `color` was given, and what it came to for `fd`.
    choice: ColorChoice,
    styling: Styling,
}

impl fmt::Debug for StreamSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSink")
            .field("name", &self.name)
            .field("fd", &self.fd.as_fd())
            .field("color", &self.choice)
            .field("styling", &self.styling)
            .finish()
    }
}

impl StreamSink {
    /// A sink on `fd`, named `name` in errors (e.g. `"pipe to collector"`),
    /// with [`ColorChoice::Auto`].
    pub fn new(fd: OwnedFd, name: impl Into<String>) -> StreamSink {
        StreamSink::shared(Arc::new(fd), name)
    }

    fn shared(fd: SharedFd, name: impl Into<String>) -> StreamSink {
        StreamSink {
            styling: ColorChoice::Auto.styling_for(&*fd),
            fd,
            name: name.into(),
            choice: ColorChoice::Auto,
        }
    }

    /// Colours the level of text lines as `choice` says (deciding `Auto`
    /// now, for this descriptor and environment).
    pub fn color(mut self, choice: ColorChoice) -> StreamSink {
        self.choice = choice;
        self.styling = choice.styling_for(&*self.fd);
        self
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

    fn styling(&self) -> Styling {
        self.styling
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
    /// A sink on standard output, coloured on a terminal ([`ColorChoice::Auto`]).
    pub fn new() -> StdoutSink {
        StdoutSink(StreamSink::shared(Arc::new(io::stdout()), "stdout"))
    }

    /// Colours the level as `choice` says; see [`ColorChoice`].
    pub fn color(self, choice: ColorChoice) -> StdoutSink {
        StdoutSink(self.0.color(choice))
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
    /// A sink on standard error, coloured on a terminal ([`ColorChoice::Auto`]).
    pub fn new() -> StderrSink {
        StderrSink(StreamSink::shared(Arc::new(io::stderr()), "stderr"))
    }

    /// Colours the level as `choice` says; see [`ColorChoice`].
    pub fn color(self, choice: ColorChoice) -> StderrSink {
        StderrSink(self.0.color(choice))
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
            fn styling(&self) -> Styling {
                self.0.styling()
            }
        }
    };
}
forward_sink!(StdoutSink);
forward_sink!(StderrSink);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color_or_dumb_term() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let auto = ColorChoice::Auto;
        assert_eq!(auto.styling(true, None, os("xterm")), Styling::Ansi);
        assert_eq!(auto.styling(true, None, None), Styling::Ansi);
        assert_eq!(auto.styling(true, os(""), None), Styling::Ansi);
        assert_eq!(auto.styling(false, None, os("xterm")), Styling::Plain);
        assert_eq!(auto.styling(true, os("1"), os("xterm")), Styling::Plain);
        assert_eq!(auto.styling(true, None, os("dumb")), Styling::Plain);
        for (t, nc) in [(false, os("1")), (true, None)] {
            assert_eq!(
                ColorChoice::Always.styling(t, nc, os("dumb")),
                Styling::Ansi
            );
            assert_eq!(
                ColorChoice::Never.styling(t, nc, os("xterm")),
                Styling::Plain
            );
        }
    }

    #[test]
    fn a_socket_is_plain_unless_always() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("socket pair");
        let sink = StreamSink::new(a.into(), "socket");
        assert_eq!(sink.styling(), Styling::Plain);
        assert_eq!(sink.color(ColorChoice::Always).styling(), Styling::Ansi);
    }
}
