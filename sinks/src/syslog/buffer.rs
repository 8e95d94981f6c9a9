//! The sink's buffer: records taken from the writer and not yet settled,
//! bounded in bytes, with the logger's policy applied to what does not fit.
//!
//! | policy | a record that does not fit |
//! |---|---|
//! | `DropNewest` | is dropped (settled as dropped at once) |
//! | `DropOldest` | makes room by dropping the oldest records not yet handed to the socket; if even dropping them all would not make room (the record is larger than the buffer, or the socket holds too much), it alone is dropped |
//! | `Block` | is kept; the buffer then reports itself full and the writer stops handing it records (and draining the rings) until it has room, so it exceeds its bound by at most one batch |
//!
//! Records handed to the socket and not yet settled (a TCP record partly
//! sent, RELP frames awaiting their acknowledgement) are held by the
//! transport and count against the same bound ([`Buffer::held_elsewhere`]).

use std::collections::VecDeque;
use uringlog::{Policy, Settled, Ticket};

/// One record in a [`Queue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub len: usize,
    pub ticket: Ticket,
}

/// Records in order, their bytes in one ring of bytes.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    bytes: VecDeque<u8>,
    entries: VecDeque<Entry>,
}

impl Queue {
    /// Records queued.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no record is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes queued.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn push_back(&mut self, rec: &[u8], ticket: Ticket) {
        self.bytes.extend(rec);
        self.entries.push_back(Entry {
            len: rec.len(),
            ticket,
        });
    }

    /// The oldest record.
    pub(crate) fn front(&self) -> Option<Entry> {
        self.entries.front().copied()
    }

    /// Removes the oldest record.
    pub(crate) fn pop_front(&mut self) -> Option<Entry> {
        let e = self.entries.pop_front()?;
        self.bytes.drain(..e.len);
        Some(e)
    }

    /// Appends the oldest record's bytes from `skip` on to `out`.
    pub(crate) fn copy_front(&self, skip: usize, out: &mut Vec<u8>) {
        if let Some(e) = self.entries.front() {
            self.copy_range(skip.min(e.len), e.len, out);
        }
    }

    /// The `i`-th record from the front.
    pub(crate) fn nth(&self, i: usize) -> Option<Entry> {
        self.entries.get(i).copied()
    }

    /// Appends the `i`-th record's bytes to `out` (nothing if there is
    /// none). Linear in `i`.
    #[cfg(test)]
    pub(crate) fn copy_nth(&self, i: usize, out: &mut Vec<u8>) {
        let Some(e) = self.entries.get(i) else {
            return;
        };
        let start: usize = self.entries.iter().take(i).map(|e| e.len).sum();
        self.copy_range(start, start + e.len, out);
    }

    /// Appends the queued bytes `from .. to` to `out`.
    fn copy_range(&self, from: usize, to: usize, out: &mut Vec<u8>) {
        let (a, b) = self.bytes.as_slices();
        let in_a = |i: usize| i.min(a.len());
        out.extend_from_slice(&a[in_a(from)..in_a(to)]);
        out.extend_from_slice(&b[from.saturating_sub(a.len())..to.saturating_sub(a.len())]);
    }

    /// The queued bytes from the start up to the ring's wrap point (some
    /// whole records and maybe part of one): what one `send` can take.
    pub(crate) fn contiguous(&self) -> &[u8] {
        self.bytes.as_slices().0
    }

    /// Moves every record of `front` before this queue's, in order.
    pub(crate) fn requeue_front(&mut self, front: &mut Queue) {
        front.bytes.append(&mut self.bytes);
        front.entries.append(&mut self.entries);
        std::mem::swap(self, front);
    }
}

/// The records waiting for the socket, and the policy for what does not fit.
#[derive(Debug)]
pub(crate) struct Buffer {
    pub pending: Queue,
    max_bytes: usize,
    policy: Policy,
    /// Bytes the transport holds (sent, not settled).
    held_elsewhere: usize,
    /// Records dropped because they did not fit, since last reported.
    overflowed: u64,
}

impl Buffer {
    pub(crate) fn new(max_bytes: usize, policy: Policy) -> Buffer {
        Buffer {
            pending: Queue::default(),
            max_bytes,
            policy,
            held_elsewhere: 0,
            overflowed: 0,
        }
    }

    /// Tells the buffer how many bytes the transport holds.
    pub(crate) fn held_elsewhere(&mut self, bytes: usize) {
        self.held_elsewhere = bytes;
    }

    fn held(&self) -> usize {
        self.pending.bytes() + self.held_elsewhere
    }

    /// Whether the buffer is at its bound under `Block`.
    pub(crate) fn is_full(&self) -> bool {
        self.policy == Policy::Block && self.held() >= self.max_bytes
    }

    /// Takes one record, applying the policy when it does not fit.
    pub(crate) fn push(&mut self, rec: &[u8], ticket: Ticket, done: &mut Settled) {
        if self.held() + rec.len() > self.max_bytes {
            match self.policy {
                Policy::DropNewest => return self.overflow(ticket, done),
                // Evicting every unsent record would not make room:
                // the record goes alone.
                Policy::DropOldest if self.held_elsewhere + rec.len() > self.max_bytes => {
                    return self.overflow(ticket, done)
                }
                Policy::DropOldest => {
                    while self.held() + rec.len() > self.max_bytes {
                        let Some(old) = self.pending.pop_front() else {
                            return self.overflow(ticket, done);
                        };
                        self.overflow(old.ticket, done);
                    }
                }
                _ => {}
            }
        }
        self.pending.push_back(rec, ticket);
    }

    fn overflow(&mut self, ticket: Ticket, done: &mut Settled) {
        done.dropped(ticket);
        self.overflowed += 1;
    }

    /// Records dropped for room since the last call, if any.
    pub(crate) fn take_overflowed(&mut self) -> u64 {
        std::mem::take(&mut self.overflowed)
    }

    /// The bound, for messages.
    pub(crate) fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The policy, for messages.
    pub(crate) fn policy(&self) -> Policy {
        self.policy
    }
}

#[cfg(test)]
mod tests;
