//! Durability: `flush_sync` tickets and periodic syncs.
//!
//! A `flush_sync` ticket is finished when the sync of every file sink
//! issued for it has finished; tickets finish in order. Periodic syncs
//! (`Durability::Data`, and the rounds that cover files the sinks left, see
//! `SinkSet::sync_if_due`) carry [`PERIODIC`] and finish no ticket. At most
//! one round of periodic syncs is in flight: a round that is still running
//! when the next is due delays it, so syncs never pile up.
//!
//! A periodic round takes the files the sinks left (rotated away,
//! reopened) off the list of files to sync: a `flush_sync` that comes
//! while it runs syncs only the files still on the list. So no ticket is
//! finished while periodic syncs run: with io_uring they complete in any
//! order, and a ticket acknowledged before them would say records were
//! durable that sat in a left file whose sync had not finished.

use crate::policy::Durability;
use crate::shared::Shared;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The ticket of periodic and shutdown syncs (`flush_sync` tickets start at 1).
pub(crate) const PERIODIC: u64 = 0;

/// The builder's durability settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SyncPlan {
    pub durability: Durability,
    /// Bytes written to files between periodic syncs.
    pub interval_bytes: u64,
    /// Longest time between periodic syncs while files are written.
    pub interval: Duration,
}

/// Outstanding syncs and when the next periodic one is due.
#[derive(Debug)]
pub(crate) struct SyncTracker {
    plan: SyncPlan,
    /// `flush_sync` tickets, oldest first, with their syncs still running.
    waits: VecDeque<(u64, usize)>,
    /// Periodic syncs still running.
    periodic: usize,
    /// Bytes submitted to files since the last periodic round began.
    bytes_since: u64,
    /// When the last periodic round began.
    last: Instant,
}

impl SyncTracker {
    pub(crate) fn new(plan: SyncPlan) -> SyncTracker {
        SyncTracker {
            plan,
            waits: VecDeque::new(),
            periodic: 0,
            bytes_since: 0,
            last: Instant::now(),
        }
    }

    pub(crate) fn durability(&self) -> Durability {
        self.plan.durability
    }

    /// Counts bytes submitted to a file.
    #[inline]
    pub(crate) fn wrote(&mut self, n: u64) {
        self.bytes_since += n;
    }

    /// Whether a periodic round should start now.
    pub(crate) fn periodic_due(&self) -> bool {
        self.plan.durability == Durability::Data
            && self.periodic == 0
            && self.bytes_since > 0
            && (self.bytes_since >= self.plan.interval_bytes
                || self.last.elapsed() >= self.plan.interval)
    }

    /// When a periodic round falls due by time, if one will (files were
    /// written since the last round and none is running).
    pub(crate) fn next_periodic_due(&self) -> Option<Instant> {
        (self.plan.durability == Durability::Data && self.periodic == 0 && self.bytes_since > 0)
            .then(|| self.last + self.plan.interval)
    }

    /// A round of `n` syncs for `ticket` is about to be issued.
    pub(crate) fn begin(&mut self, ticket: u64, n: usize) {
        if ticket == PERIODIC {
            self.periodic += n;
            self.bytes_since = 0;
            self.last = Instant::now();
        } else {
            self.waits.push_back((ticket, n));
        }
    }

    /// One sync of `ticket` finished (failed or not).
    pub(crate) fn finished(&mut self, ticket: u64) {
        if ticket == PERIODIC {
            self.periodic = self.periodic.saturating_sub(1);
        } else if let Some(w) = self.waits.iter_mut().find(|w| w.0 == ticket) {
            w.1 = w.1.saturating_sub(1);
        }
    }

    /// Acknowledges, in order, every ticket whose syncs have all finished
    /// (none while a periodic round runs, see the module docs).
    pub(crate) fn ack_ready(&mut self, shared: &Shared) {
        if let Some(t) = self.take_ready() {
            shared.flush.ack(&shared.flush.sync_done, t);
        }
    }

    /// Takes the tickets [`SyncTracker::ack_ready`] acknowledges: the last
    /// of them, if any.
    fn take_ready(&mut self) -> Option<u64> {
        if self.periodic > 0 {
            return None;
        }
        let mut last = None;
        while let Some(&(ticket, 0)) = self.waits.front() {
            self.waits.pop_front();
            last = Some(ticket);
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> SyncTracker {
        SyncTracker::new(SyncPlan {
            durability: Durability::None,
            interval_bytes: 1 << 20,
            interval: Duration::from_secs(1),
        })
    }

    #[test]
    fn tickets_finish_in_order() {
        let mut t = tracker();
        t.begin(1, 2);
        t.begin(2, 1);
        t.finished(2);
        assert_eq!(t.take_ready(), None, "ticket 1 still syncs");
        t.finished(1);
        assert_eq!(t.take_ready(), None);
        t.finished(1);
        assert_eq!(t.take_ready(), Some(2), "both, acknowledged as the later");
        assert_eq!(t.take_ready(), None);
    }

    #[test]
    fn no_ticket_finishes_while_a_periodic_round_runs() {
        let mut t = tracker();
        // A round covering two left files, then a flush_sync of the
        // current file, whose sync finishes first.
        t.begin(PERIODIC, 2);
        t.begin(1, 1);
        t.finished(1);
        assert_eq!(t.take_ready(), None, "a left file's sync still runs");
        t.finished(PERIODIC);
        assert_eq!(t.take_ready(), None);
        t.finished(PERIODIC);
        assert_eq!(t.take_ready(), Some(1));
    }
}
