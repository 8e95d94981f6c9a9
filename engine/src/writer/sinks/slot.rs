//! One sink and the batch being gathered for it: where its batches go
//! (`SinkSlot::route`), the files it wrote since the last sync, and its
//! batch limit.

use super::settle;
use crate::format::{Format, RecordFormat};
use crate::io::file_kind::is_deleted;
use crate::io::IoTarget;
use crate::level::Level;
use crate::sink::{
    BatchInfo, BatchLimit, Completion as SinkCompletion, SharedFd, Sink, SinkContext, Target,
};
use crate::writer::o_direct::ODirect;
use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;

/// Files a sink may leave unsynced (see [`SinkSlot::unsynced`]) before a
/// sync round covers them: each is held open until then, and a sink that
/// rotates without `flush_sync` or periodic syncs would otherwise hold
/// one more at every rotation, for ever.
pub(crate) const MAX_UNSYNCED: usize = 16;

/// Formatted records on their way to one sink.
pub(super) struct Batch {
    pub(super) buf: Vec<u8>,
    /// Records in `buf` whose primary sink this is.
    pub(super) primary: u64,
    /// Record time of the first record in `buf` (meaningless while empty).
    pub(super) first_nanos: u64,
    /// Deferred sinks only: where each record in `buf` ends and whether
    /// it is counted through this sink.
    pub(super) marks: Vec<(u32, bool)>,
    /// Bytes at the front of `buf` already in the file: the start of its
    /// first record, written by the batch before (see `aligned`); the
    /// batch writes `buf[head..]`.
    pub(super) head: usize,
    /// Where the last record in `buf` starts.
    pub(super) last_start: usize,
    /// The length of `buf` at which the batch is full for its write to
    /// end at an aligned offset (see `aligned`); `usize::MAX`: at
    /// `batch_bytes`.
    pub(super) full_at: usize,
}

impl Batch {
    pub(super) fn new(buf: Vec<u8>) -> Batch {
        Batch {
            buf,
            primary: 0,
            first_nanos: 0,
            marks: Vec::new(),
            head: 0,
            last_start: 0,
            full_at: usize::MAX,
        }
    }
}

/// One sink and the batch being gathered for it.
pub(crate) struct SinkSlot {
    pub(super) sink: Box<dyn Sink>,
    /// Records below this level skip the sink.
    pub(super) min_level: Level,
    /// The sink's format, styled as the sink asked (`Sink::styling`).
    pub(super) format: Format,
    /// Index of `format` in `SinkSet::formatters`.
    pub(super) fmt: usize,
    /// The open batch.
    pub(super) batch: Batch,
    /// A batch closed at the sink's limit; submitted before `batch`.
    pub(super) sealed: Option<Batch>,
    /// The sink's bounds on `batch`, asked after its last `target_batch`.
    pub(super) limit: BatchLimit,
    /// The file of the last `Target::File` or `Target::Append`, for syncs.
    pub(super) last_fd: Option<SharedFd>,
    /// Files written since the last sync other than `last_fd` (a rotating
    /// sink's earlier files); each is synced once by the next sync round.
    /// Held open until then, so: at most [`MAX_UNSYNCED`] (more start a
    /// round), and none deleted since (nothing of it left to sync, and
    /// holding it would keep its blocks), as of the last switch of file.
    pub(super) unsynced: Vec<SharedFd>,
    /// Set for sinks whose file is open with `O_DIRECT` (such sinks have
    /// no batch limit: their open batch starts with the carried block).
    pub(super) o_direct: Option<ODirect>,
    /// The sink's own format, moved into `SinkSet::formatters` by `new`.
    pub(super) custom: Option<Box<dyn RecordFormat>>,
    /// Set for sinks that settle their records later.
    pub(super) deferred: Option<settle::Deferred>,
    /// The last reopen after a path change failed; the next failures are
    /// not reported again until one succeeds.
    pub(super) reopen_failing: bool,
    /// The sink allows a write to end inside a record
    /// (`Sink::may_split_records`, asked once).
    pub(super) may_split: bool,
}

impl SinkSlot {
    /// A slot in a logger whose policy is `Block`.
    #[cfg(test)]
    pub(crate) fn new(sink: Box<dyn Sink>, min_level: Level, format: Format) -> SinkSlot {
        let ctx = SinkContext::new(crate::policy::Policy::Block);
        SinkSlot::with_context(sink, min_level, format, &ctx)
    }

    /// Whether this sink's format shows call sites (its own format says).
    pub(crate) fn wants_call_site(&self) -> bool {
        match &self.custom {
            Some(c) => c.wants_call_site(),
            None => self.format.shows_call_site(),
        }
    }

    /// A slot for `sink`, asking it (once) for its own format and completion.
    pub(crate) fn with_context(
        mut sink: Box<dyn Sink>,
        min_level: Level,
        format: Format,
        ctx: &SinkContext,
    ) -> SinkSlot {
        let limit = sink.batch_limit();
        let o_direct = sink.direct_io_alignment().map(ODirect::new);
        let may_split = sink.may_split_records() && o_direct.is_none();
        // A terminal sink's variant of the format counts as its own format.
        let format = format.styled(sink.styling());
        let custom = sink.record_format();
        let deferred = match sink.completion(ctx) {
            SinkCompletion::Deferred { flush_timeout } => {
                Some(settle::Deferred::new(flush_timeout))
            }
            _ => None,
        };
        SinkSlot {
            sink,
            min_level,
            format,
            fmt: 0,
            custom,
            deferred,
            batch: Batch::new(Vec::new()),
            sealed: None,
            limit: if o_direct.is_some() {
                BatchLimit::NONE
            } else {
                limit
            },
            last_fd: None,
            unsynced: Vec::new(),
            o_direct,
            reopen_failing: false,
            may_split,
        }
    }

    /// Record bytes gathered in the open batch.
    pub(super) fn data_len(&self) -> usize {
        self.data_len_of(&self.batch.buf)
    }

    /// Bytes of the open batch before its first record (an O_DIRECT
    /// sink's carried block and padding; 0 for any other sink).
    #[inline]
    pub(super) fn prefix_len(&self) -> usize {
        self.o_direct.as_ref().map_or(0, ODirect::prefix)
    }

    /// The open batch's length at which it holds a batch of
    /// `batch_bytes`, or ends where its write is to end (see `aligned`).
    #[inline]
    pub(super) fn batch_full_at(&self, batch_bytes: usize) -> usize {
        match self.batch.full_at {
            usize::MAX => self.prefix_len().saturating_add(batch_bytes),
            at => at,
        }
    }

    /// The bytes batch `b` of this sink writes: its records', less the
    /// start of its first record that the batch before wrote (`head`).
    pub(super) fn write_len(&self, b: &Batch) -> usize {
        self.data_len_of(&b.buf) - b.head
    }

    /// Record bytes in `buf`, a batch buffer of this sink.
    pub(super) fn data_len_of(&self, buf: &[u8]) -> usize {
        buf.len() - self.prefix_len()
    }

    /// Asks the sink where batch `b` goes and, for O_DIRECT, makes its
    /// buffer an aligned write of whole blocks.
    pub(super) fn route(&mut self, b: &mut Batch) -> Routed {
        let len = self.write_len(b);
        let target = self.sink.target_batch(&BatchInfo::new(len, b.first_nanos));
        self.limit = match self.o_direct {
            Some(_) => BatchLimit::NONE,
            None => self.sink.batch_limit(),
        };
        let target = match target {
            Ok(t) => t,
            Err(e) => return Routed::Failed(e, None),
        };
        match target {
            Target::File { fd, offset } => {
                let same_file = self.note_file(&fd);
                match self
                    .o_direct
                    .as_mut()
                    .map(|d| d.prepare(&mut b.buf, &fd, offset, same_file))
                {
                    None => Routed::Io(IoTarget::File { fd, offset }, b.head),
                    Some(Ok((start, base))) => {
                        Routed::Io(IoTarget::File { fd, offset: base }, start)
                    }
                    Some(Err(e)) => Routed::Failed(e, Some(offset)),
                }
            }
            Target::Append { fd } => {
                self.note_file(&fd);
                Routed::Io(IoTarget::Append { fd }, b.head)
            }
            Target::Stream { fd } => Routed::Io(IoTarget::Stream { fd }, b.head),
            Target::Inline => Routed::Inline,
        }
    }

    /// Remembers `fd` as the sink's current file for syncs, keeping the
    /// previous one to sync once if it differs. Returns whether it is the
    /// same file as the last batch's.
    ///
    /// At a switch, lets go of the files left that were deleted since
    /// (retention, or another program, deletes them after the switch
    /// that left them): one `fstat` each, once per switch.
    pub(super) fn note_file(&mut self, fd: &SharedFd) -> bool {
        let prev = self.last_fd.replace(fd.clone());
        let same = prev.as_ref().is_some_and(|p| Arc::ptr_eq(p, fd));
        if let Some(prev) = prev.filter(|_| !same) {
            if !self.unsynced.iter().any(|u| Arc::ptr_eq(u, &prev)) {
                self.unsynced.push(prev);
            }
            self.let_go_of_deleted();
        }
        same
    }

    /// Lets go of the files left that were deleted since they were left:
    /// one `fstat` each. At a switch of file, and when the sink reported
    /// an error or a notice: a rotating sink whose retention deleted files
    /// but that could not open its next file for want of room (no inode
    /// left) gets their room back only once they are let go, and it tries
    /// again at its next batch (no switch comes before).
    pub(super) fn let_go_of_deleted(&mut self) {
        self.unsynced.retain(|u| !is_deleted(u.as_fd()));
    }

    /// Whether the files left unsynced reached [`MAX_UNSYNCED`]: a sync
    /// round should cover them now, so they are let go.
    pub(super) fn too_many_unsynced(&self) -> bool {
        self.unsynced.len() >= MAX_UNSYNCED
    }

    /// Makes the (fresh, empty) open batch ready: O_DIRECT sinks start it
    /// with the carried partial block.
    pub(super) fn begin(&mut self) {
        match &mut self.o_direct {
            Some(d) => d.begin(&mut self.batch.buf),
            None => self.batch.buf.clear(),
        }
    }

    /// Whether a record at `start .. end` of the open batch, logged at
    /// `nanos`, must start a new batch.
    #[inline]
    pub(super) fn must_cut(&self, start: usize, end: usize, nanos: u64) -> bool {
        start > 0
            && self.sealed.is_none()
            && (end as u64 > self.limit.max_bytes || nanos >= self.limit.before_unix_nanos)
    }

    /// Seals the open batch before `start`; the bytes from `start` on (one
    /// record) move to `fresh`, which becomes the open batch.
    pub(super) fn seal_before(&mut self, start: usize, mut fresh: Vec<u8>, nanos: u64) {
        fresh.extend_from_slice(&self.batch.buf[start..]);
        let mut old = std::mem::replace(&mut self.batch, Batch::new(fresh));
        old.buf.truncate(start);
        self.batch.first_nanos = nanos;
        self.sealed = Some(old);
    }
}

/// Where a batch goes, once its sink has answered.
pub(super) enum Routed {
    /// To the backend; the bytes start at the given index of the buffer.
    Io(IoTarget, usize),
    /// To the sink's `write_inline`.
    Inline,
    /// Nowhere: the sink (or the O_DIRECT preparation) failed.
    Failed(io::Error, Option<u64>),
}

