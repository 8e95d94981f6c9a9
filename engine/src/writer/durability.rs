//! Durability: `flush_sync` tickets and periodic syncs.
//!
//! A `flush_sync` ticket is finished when the sync of every file sink
//! issued for it has finished; tickets finish in order. Periodic syncs
//! (`Durability::Data`) carry [`PERIODIC`] and finish no ticket. At most
//! one round of periodic syncs is in flight: a round that is still running
//! when the next is due delays it, so syncs never pile up.

use crate::policy::Durability;
use crate::shared::Shared;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The ticket of periodic and shutdown syncs (`flush_sync` tickets start at 1).
pub(crate) const PERIODIC: u64 = 0;

/// The ticket of the sync of a file a sink no longer writes to, issued
/// once more than [`MAX_UNSYNCED`] such files wait for a sync round: it
/// finishes no ticket and is no periodic round.
pub(crate) const RELEASE: u64 = u64::MAX;

/// Files a sink wrote before its current one (a rotating sink's) kept
/// open for the next sync round; beyond these the oldest is synced now
/// and closed, so that a sink rotating with no sync round to come (no
/// `Durability::Data`, no `flush_sync`) does not hold every file it ever
/// wrote open.
pub(crate) const MAX_UNSYNCED: usize = 16;

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
        if ticket == RELEASE {
            return;
        }
        if ticket == PERIODIC {
            self.periodic = self.periodic.saturating_sub(1);
        } else if let Some(w) = self.waits.iter_mut().find(|w| w.0 == ticket) {
            w.1 = w.1.saturating_sub(1);
        }
    }

    /// Acknowledges, in order, every ticket whose syncs have all finished.
    pub(crate) fn ack_ready(&mut self, shared: &Shared) {
        let mut last = None;
        while let Some(&(ticket, 0)) = self.waits.front() {
            self.waits.pop_front();
            last = Some(ticket);
        }
        if let Some(t) = last {
            shared.flush.ack(&shared.flush.sync_done, t);
        }
    }
}
