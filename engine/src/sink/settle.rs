//! Deferred completion: sinks that take records now and settle them later.
//!
//! A network client cannot say "written" when it takes a batch: the bytes
//! still have to reach the peer (and, for acknowledged protocols, be
//! acknowledged). Such a sink answers [`Completion::Deferred`] when the
//! logger is built. The writer then hands it whole records with
//! [`Sink::accept`](super::Sink::accept) and, every turn, lets it make
//! progress with [`Sink::settle`](super::Sink::settle); the sink reports each
//! record exactly once as written or dropped through [`Settled`].
//!
//! Each record comes with a [`Ticket`]: the sink keeps it with the record and
//! hands it back when the record settles. The ticket carries what the
//! logger's books need (whether this sink accounts for the record, see
//! fan-out in the `Sink` docs) and the record's position in the sink's
//! stream ([`Ticket::seq`]), which the sink reports as
//! [`Backlog::oldest`] so that a flush knows when every record logged
//! before it has settled.

use crate::policy::Policy;
use std::time::{Duration, Instant};

/// When a sink's records count as written; asked once, when the logger is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completion {
    /// When the write of their batch completes (files, streams, inline
    /// sinks). The default.
    OnWrite,
    /// When the sink says so: records go to [`Sink::accept`](super::Sink::accept)
    /// and settle through [`Sink::settle`](super::Sink::settle).
    Deferred {
        /// How long a flush waits for this sink's records to settle before
        /// it reports an error naming the sink.
        flush_timeout: Duration,
    },
}

/// What the logger tells a sink when it is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkContext {
    /// The logger's policy. A deferred sink applies it to its own buffer:
    /// under [`Policy::Block`] it says it is [`Backlog::full`] instead of
    /// dropping; under the drop policies it drops (and settles as dropped)
    /// what does not fit.
    pub policy: Policy,
}

impl SinkContext {
    /// The context of a logger with `policy`.
    pub fn new(policy: Policy) -> SinkContext {
        SinkContext { policy }
    }
}

/// A record's identity in a deferred sink, handed back when it settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    seq: u64,
    /// The logger's books count this record through this sink.
    counted: bool,
}

impl Ticket {
    /// The ticket of record `seq`, counted through its sink. The writer
    /// hands out the real ones; this is for testing sinks on their own.
    pub fn new(seq: u64) -> Ticket {
        Ticket::with_count(seq, true)
    }

    pub(crate) fn with_count(seq: u64, counted: bool) -> Ticket {
        Ticket { seq, counted }
    }

    /// The record's position among all records handed to this sink,
    /// from 0, consecutive.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub(crate) fn counted(&self) -> bool {
        self.counted
    }
}

/// One record of a [`RecordBatch`].
#[derive(Clone, Copy, Debug)]
pub struct BatchRecord<'a> {
    /// The record as the sink's format laid it out.
    pub bytes: &'a [u8],
    /// What to hand back to [`Settled`] when the record settles.
    pub ticket: Ticket,
}

/// Whole records handed to a deferred sink, in the order they were taken.
#[derive(Clone, Copy, Debug)]
pub struct RecordBatch<'a> {
    bytes: &'a [u8],
    /// End offset of each record in `bytes` and whether it is counted here.
    marks: &'a [(u32, bool)],
    first_seq: u64,
}

impl<'a> RecordBatch<'a> {
    pub(crate) fn new(
        bytes: &'a [u8],
        marks: &'a [(u32, bool)],
        first_seq: u64,
    ) -> RecordBatch<'a> {
        debug_assert_eq!(marks.last().map_or(0, |m| m.0 as usize), bytes.len());
        RecordBatch {
            bytes,
            marks,
            first_seq,
        }
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.marks.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// Every record's bytes, concatenated.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The records, in order.
    pub fn records(&self) -> impl Iterator<Item = BatchRecord<'a>> + 'a {
        let (bytes, first) = (self.bytes, self.first_seq);
        let mut start = 0usize;
        (self.marks.iter().enumerate()).map(move |(i, &(end, counted))| {
            let r = BatchRecord {
                bytes: &bytes[start..end as usize],
                ticket: Ticket::with_count(first + i as u64, counted),
            };
            start = end as usize;
            r
        })
    }
}

/// What settled since the writer last asked, filled in by a deferred sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Records counted written (those whose ticket counts here).
    pub(crate) written: u64,
    /// Bytes delivered, for `Stats::bytes_written`.
    pub(crate) bytes: u64,
    /// Records counted dropped.
    pub(crate) dropped: u64,
    /// Records settled, counted here or not.
    pub(crate) records: u64,
    /// Records settled undelivered, counted here or not.
    pub(crate) undelivered: u64,
}

impl Settled {
    /// An empty report.
    pub fn new() -> Settled {
        Settled::default()
    }

    /// The record of `ticket` reached its destination (`bytes` long on the wire).
    pub fn written(&mut self, ticket: Ticket, bytes: usize) {
        self.written += ticket.counted() as u64;
        self.bytes += bytes as u64;
        self.records += 1;
    }

    /// The record of `ticket` will never be delivered.
    pub fn dropped(&mut self, ticket: Ticket) {
        self.dropped += ticket.counted() as u64;
        self.records += 1;
        self.undelivered += 1;
    }

    /// Records settled in this report.
    pub fn records(&self) -> u64 {
        self.records
    }
}

/// The state of a deferred sink's buffer, asked by the writer each turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backlog {
    /// [`Ticket::seq`] of the oldest record not yet settled; `None` when
    /// every record handed over has settled.
    pub oldest: Option<u64>,
    /// The sink takes no more records now (under [`Policy::Block`], its
    /// buffer is full). The writer then stops draining the rings, so
    /// producers wait as `Block` says, until the sink has room.
    pub full: bool,
    /// The sink can make no progress before this time, whatever it is
    /// handed (it waits to reconnect). While every deferred sink holding
    /// records says so, an idle writer sleeps until the earliest such time
    /// (or until a record or a request wakes it) instead of polling them
    /// about every millisecond. `None`, the default: poll as usual.
    pub idle_until: Option<Instant>,
}

impl Backlog {
    /// Nothing held, room to spare.
    pub const EMPTY: Backlog = Backlog {
        oldest: None,
        full: false,
        idle_until: None,
    };

    /// A backlog whose oldest unsettled record is `oldest`, full or not.
    pub fn new(oldest: Option<u64>, full: bool) -> Backlog {
        Backlog {
            oldest,
            full,
            idle_until: None,
        }
    }

    /// This backlog with [`Backlog::idle_until`] set to `at`.
    pub fn with_idle_until(mut self, at: Option<Instant>) -> Backlog {
        self.idle_until = at;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_hands_out_each_record_with_consecutive_tickets() {
        let bytes = b"aabbbc";
        let marks = [(2, true), (5, false), (6, true)];
        let b = RecordBatch::new(bytes, &marks, 10);
        let got: Vec<_> = b
            .records()
            .map(|r| (r.bytes, r.ticket.seq(), r.ticket.counted()))
            .collect();
        assert_eq!(
            got,
            [
                (&b"aa"[..], 10, true),
                (&b"bbb"[..], 11, false),
                (&b"c"[..], 12, true)
            ]
        );
        let mut s = Settled::new();
        s.written(Ticket::new(10), 2);
        s.written(Ticket::with_count(11, false), 3);
        s.dropped(Ticket::new(12));
        assert_eq!((s.written, s.bytes, s.dropped, s.records()), (1, 5, 1, 3));
    }
}
