//! The `Sink` trait: where a logger's bytes go.
//!
//! The protocol — targets, outcomes, rotation hooks, reopening, a sink's
//! own format, deferred completion — is documented on [`Sink`] itself
//! (`protocol.md`), where it renders for users.

mod memory;
mod options;
mod settle;

pub use crate::format::RecordFormat;
pub use memory::{MemoryHandle, MemorySink};
pub use options::SinkOptions;
pub use settle::{Backlog, BatchRecord, Completion, RecordBatch, Settled, SinkContext, Ticket};

use crate::format::Styling;
use std::fmt;
use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

/// A descriptor the engine may write to from the writer thread. It stays
/// open for as long as any write to it is in flight (the engine holds a clone).
pub type SharedFd = Arc<dyn AsFd + Send + Sync>;

/// Where one batch goes.
#[non_exhaustive]
pub enum Target {
    /// A regular file opened with `O_APPEND`: the batch lands at the file's
    /// end as it is when the write happens (`write(2)`; io_uring at offset
    /// -1), whoever else truncates or appends to it.
    ///
    /// The engine keeps one write per sink in the kernel at a time, in
    /// order, so the sink's batches land in the order they were made and
    /// each one contiguous (the kernel appends one `write` under the inode
    /// lock). After a failed write the next one to the sink starts only
    /// once [`Sink::on_write`] has been told, so the sink can cut a torn
    /// tail before anything follows it. Outcomes carry no offset. Each
    /// batch holds whole records unless the sink allows otherwise
    /// ([`Sink::may_split_records`]).
    Append {
        /// The open file (`O_APPEND`).
        fd: SharedFd,
    },
    /// A regular file written at the explicit `offset` the sink reserved
    /// (never `O_APPEND`): `O_DIRECT` files, whose writes must be aligned.
    ///
    /// Batches to one file may be in the kernel together and complete in
    /// any order; outcomes are reported in submission order. When a batch
    /// fails, it is reported once every later batch to the same file has
    /// finished, and those are reported failed too (their bytes lie past
    /// the failed offset): the sink rewinds to the failed batch's offset
    /// and cuts the file there, and nothing later is in flight when it does.
    File {
        /// The open file.
        fd: SharedFd,
        /// Where the batch starts.
        offset: u64,
    },
    /// A pipe, terminal or socket, written in order. Short writes are
    /// continued; `EAGAIN` waits for the descriptor to become writable.
    Stream {
        /// The open descriptor.
        fd: SharedFd,
    },
    /// The sink takes the bytes itself in [`Sink::write_inline`].
    Inline,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Append { fd } => write!(f, "Append(fd {:?})", fd.as_fd()),
            Target::File { fd, offset } => write!(f, "File(fd {:?}, offset {offset})", fd.as_fd()),
            Target::Stream { fd } => write!(f, "Stream(fd {:?})", fd.as_fd()),
            Target::Inline => write!(f, "Inline"),
        }
    }
}

/// How one write of a batch went, as told to [`Sink::on_write`].
#[derive(Debug)]
pub struct WriteOutcome<'a> {
    /// The file offset the batch was written at ([`Target::File`] only:
    /// `None` for appends, streams and inline).
    pub offset: Option<u64>,
    /// Bytes in the batch.
    pub requested: usize,
    /// Bytes the kernel (or the sink) accepted; `requested` on success.
    pub written: usize,
    /// The error that stopped the write, if any.
    pub error: Option<&'a io::Error>,
}

/// What the writer knows about a batch it is about to submit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchInfo {
    /// Bytes in the batch.
    pub len: usize,
    /// Record time (nanoseconds since the Unix epoch) of its first record.
    pub first_unix_nanos: u64,
}

impl BatchInfo {
    /// A batch of `len` bytes whose first record was logged at `first_unix_nanos`.
    pub fn new(len: usize, first_unix_nanos: u64) -> BatchInfo {
        BatchInfo {
            len,
            first_unix_nanos,
        }
    }
}

/// Why the writer asks a sink to [`Sink::reopen`] its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReopenCause {
    /// [`crate::Logger::reopen`], or the signal chosen with
    /// [`crate::Builder::reopen_on_signal`]: the operator moved the file
    /// (a rename-style rotation) and wants the path reopened. Sinks that
    /// rotate on their own ignore it.
    Requested,
    /// [`Sink::path_changed`] said the path no longer names the open file.
    PathChanged,
}

/// Bounds on the next batch, asked of a sink after each [`Sink::target_batch`].
///
/// The writer closes the batch it is gathering for the sink before a record
/// that would take it past `max_bytes` (a record alone larger than that
/// still forms a batch by itself), and before a record whose time is at or
/// after `before_unix_nanos` when the batch already holds earlier records.
/// Records are never split at a limit (and a sink with a limit never gets
/// a record split across batches: see [`Sink::may_split_records`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchLimit {
    /// Most bytes the next batch may hold.
    pub max_bytes: u64,
    /// Records at or after this time start a new batch.
    pub before_unix_nanos: u64,
}

impl BatchLimit {
    /// No bound: batches close on the logger's own size and count limits.
    pub const NONE: BatchLimit = BatchLimit {
        max_bytes: u64::MAX,
        before_unix_nanos: u64::MAX,
    };

    /// A limit of `max_bytes` and a time boundary at `before_unix_nanos`
    /// (`u64::MAX` for none).
    pub fn new(max_bytes: u64, before_unix_nanos: u64) -> BatchLimit {
        BatchLimit {
            max_bytes,
            before_unix_nanos,
        }
    }

    /// Whether this limit bounds anything.
    pub fn is_none(&self) -> bool {
        *self == BatchLimit::NONE
    }
}

#[doc = include_str!("protocol.md")]
pub trait Sink: Send + 'static {
    /// A short description for errors and reports, e.g. the file path.
    fn describe(&self) -> String;

    /// Where the next batch of `len` bytes goes. A file sink reserves
    /// `offset .. offset + len` and advances its own offset.
    fn target(&mut self, len: usize) -> io::Result<Target>;

    /// [`Sink::target`] with the batch's first record time, for sinks that
    /// switch files by time. The writer calls this; the default forwards
    /// to `target(batch.len)`.
    fn target_batch(&mut self, batch: &BatchInfo) -> io::Result<Target> {
        self.target(batch.len)
    }

    /// Bounds on the next batch (see [`BatchLimit`]); asked once at start
    /// and after every `target_batch`. The default bounds nothing.
    fn batch_limit(&self) -> BatchLimit {
        BatchLimit::NONE
    }

    /// An error the sink survived since it was last asked (a rotation that
    /// failed while writing went on into the current file). The writer asks
    /// after every `target_batch`, counts each error in `Stats::errors` and
    /// reports it in `Logger::recent_errors`; no record is dropped for it.
    fn take_error(&mut self) -> Option<io::Error> {
        None
    }

    /// A change of state worth telling the user that lost no record (a
    /// connection lost, a reconnection), since it was last asked. The
    /// writer asks whenever it asks for [`Sink::take_error`] and reports
    /// each in `Logger::recent_errors`, prefixed with [`Sink::describe`];
    /// it is not counted in `Stats::errors` and does not make
    /// `Logger::flush` fail. The default has none.
    fn take_notice(&mut self) -> Option<String> {
        None
    }

    /// Receives a whole batch when [`Sink::target`] answered [`Target::Inline`].
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let _ = batch;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{} does not take inline writes", self.describe()),
        ))
    }

    /// Told the outcome of each batch written for this sink, in submission
    /// order. On error, a positioned file sink ([`Target::File`]) rewinds
    /// its offset to `outcome.offset` so the next batch leaves no hole; an
    /// appending one cuts the `outcome.written` bytes that reached the file.
    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        let _ = outcome;
    }

    /// Whether the sink's path no longer names the file it has open (the
    /// file was deleted, or renamed away and another put in its place).
    /// The writer asks at most once a second per sink, between batches,
    /// and calls [`Sink::reopen`] with [`ReopenCause::PathChanged`] when
    /// the answer is yes. The default says no.
    fn path_changed(&mut self) -> bool {
        false
    }

    /// Closes the sink's file and opens its path again (creating it if it
    /// is missing). Called between two batches, after every batch in
    /// flight for this sink completed; see [`ReopenCause`] for when. On
    /// error the sink keeps writing where it did, and the writer counts
    /// and reports the error. The default does nothing.
    fn reopen(&mut self, cause: ReopenCause) -> io::Result<()> {
        let _ = cause;
        Ok(())
    }

    /// `Some(align)` when the sink's file is open with `O_DIRECT`: each
    /// write then starts at an offset and an address that are multiples of
    /// `align` and covers whole blocks of `align` bytes. The engine pads a
    /// batch's last partial block and rewrites that block with the next
    /// batch; the sink truncates the file to its real length in
    /// [`Sink::close`]. `align` must be a power of two.
    fn direct_io_alignment(&self) -> Option<usize> {
        None
    }

    /// Whether the writer may end a write to this sink inside a record,
    /// the rest of that record then starting the sink's next batch. Asked
    /// once, when the logger is built; the default is `false`: every write
    /// holds whole records.
    ///
    /// A sink that answers `true` lets the writer end its appends at
    /// aligned file offsets, so the page cache holds the file in large
    /// folios (less kernel time a byte; see `writer::aligned`). It does so
    /// only for a sink that is a logger's one sink, appends
    /// ([`Target::Append`]) to one regular file, has no [`BatchLimit`] and no
    /// `O_DIRECT`, with the pwrite backend, while no other writer appends
    /// to the file and the process has not forked. The sink promises that
    /// it sends consecutive batches to the same file, changing files only
    /// through [`Sink::reopen`] (the writer writes a record's rest before
    /// it asks) — and that no other process appends to the file: between
    /// two of the writer's writes the file may end inside a record, and a
    /// record another writer appended then would land in the middle of it.
    fn may_split_records(&self) -> bool {
        false
    }

    /// Called once when the writer stops, after the last batch completed.
    fn close(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// How this sink wants text lines styled; asked once, when the logger
    /// is built. A sink writing to a terminal may answer
    /// [`Styling::Ansi`] to get the level in colour; the default is
    /// [`Styling::Plain`], and file sinks keep it.
    fn styling(&self) -> Styling {
        Styling::Plain
    }

    /// The sink's own record layout, replacing the format of its
    /// [`SinkOptions`]; asked once, when the logger is built. The default
    /// is `None`: the sink takes the format it was added with.
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        None
    }

    /// Whether the sink's records are written when their batch is, or
    /// later (see "Deferred completion" on [`Sink`]); asked once,
    /// when the logger is built. The default is [`Completion::OnWrite`].
    fn completion(&mut self, ctx: &SinkContext) -> Completion {
        let _ = ctx;
        Completion::OnWrite
    }

    /// Takes whole records (deferred sinks only). An error means the sink
    /// kept none of the batch's records and settled none of them in
    /// `done`: the writer counts them all dropped and reports the error
    /// (`done` may still settle records of earlier batches).
    fn accept(&mut self, batch: &RecordBatch<'_>, done: &mut Settled) -> io::Result<()> {
        let _ = (batch, done);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{} does not defer completion", self.describe()),
        ))
    }

    /// Makes progress (deferred sinks only): sends, reads acknowledgements,
    /// reconnects, and reports what settled in `done`. May wait up to
    /// `wait` for its I/O; the writer passes zero except at shutdown.
    fn settle(&mut self, wait: Duration, done: &mut Settled) {
        let _ = (wait, done);
    }

    /// What the sink still holds (deferred sinks only).
    fn backlog(&self) -> Backlog {
        Backlog::EMPTY
    }

    /// Why what the sink holds is not settling, when it knows (deferred
    /// sinks: say, its connection is down, and the last error). The writer
    /// adds it to the flush and shutdown reports that name the sink;
    /// `None` (the default) adds nothing.
    fn stalled_by(&self) -> Option<String> {
        None
    }

    /// A sink for a child process created by `fork(2)` to write to the same
    /// destination, or `None` (the default) when the destination cannot be
    /// shared with another process. Without one, a forked child's logger
    /// leaves this sink out (records only it would take are counted
    /// dropped) and says so in `Logger::recent_errors`.
    ///
    /// Called on the caller's thread when the logger is built — the result
    /// is kept, unused, for the logger's life — and again, on that copy, in
    /// each child that logs. So the copy must be cheap and must not keep the
    /// parent's resources open: keep what is needed to open the destination
    /// again in the child (`FileSink` keeps its path), or the descriptor
    /// through a `Weak` reference (`StreamSink`: in a child, the parent's
    /// sink, which the child inherited but never drops, keeps it alive);
    /// open connections only in the child.
    /// The parent and the child then write concurrently, so the destination
    /// must keep the batches of each whole (an `O_APPEND` file, a pipe with
    /// writes up to `PIPE_BUF`, a datagram socket).
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        None
    }
}

impl Sink for Box<dyn Sink> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        (**self).target(len)
    }
    fn target_batch(&mut self, batch: &BatchInfo) -> io::Result<Target> {
        (**self).target_batch(batch)
    }
    fn batch_limit(&self) -> BatchLimit {
        (**self).batch_limit()
    }
    fn take_error(&mut self) -> Option<io::Error> {
        (**self).take_error()
    }
    fn take_notice(&mut self) -> Option<String> {
        (**self).take_notice()
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        (**self).write_inline(batch)
    }
    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        (**self).on_write(outcome)
    }
    fn path_changed(&mut self) -> bool {
        (**self).path_changed()
    }
    fn reopen(&mut self, cause: ReopenCause) -> io::Result<()> {
        (**self).reopen(cause)
    }
    fn direct_io_alignment(&self) -> Option<usize> {
        (**self).direct_io_alignment()
    }
    fn may_split_records(&self) -> bool {
        (**self).may_split_records()
    }
    fn close(&mut self) -> io::Result<()> {
        (**self).close()
    }
    fn styling(&self) -> Styling {
        (**self).styling()
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        (**self).record_format()
    }
    fn completion(&mut self, ctx: &SinkContext) -> Completion {
        (**self).completion(ctx)
    }
    fn accept(&mut self, batch: &RecordBatch<'_>, done: &mut Settled) -> io::Result<()> {
        (**self).accept(batch, done)
    }
    fn settle(&mut self, wait: Duration, done: &mut Settled) {
        (**self).settle(wait, done)
    }
    fn backlog(&self) -> Backlog {
        (**self).backlog()
    }
    fn stalled_by(&self) -> Option<String> {
        (**self).stalled_by()
    }
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        (**self).for_fork_child()
    }
}
