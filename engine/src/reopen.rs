//! Reopen requests: how `Logger::reopen` and a reopen signal reach the
//! writer, and what it does with them.
//!
//! Two sources, one check. [`crate::Logger::reopen`] takes a ticket
//! (`FlushState::reopen_requested`, like a flush) and waits until the writer
//! reports it done; a signal chosen with [`crate::Builder::reopen_on_signal`]
//! bumps the count of the logger's `signal::Registration`, which the writer
//! owns (its slot is freed when the writer ends; the signal's previous
//! handler comes back once the last handle is gone too). At the top of every turn the writer compares both with
//! what it last acted on ([`ReopenSeen`]); when either moved it
//! 1. takes every record committed so far from the rings and submits it —
//!    to the files open until now;
//! 2. waits for every batch in flight, so no write to an old descriptor is
//!    outstanding when it closes;
//! 3. asks each sink to reopen ([`crate::ReopenCause::Requested`]), counting
//!    and reporting failures (the sink keeps its old file);
//! 4. acknowledges the tickets it covered.
//!
//! Records logged after `reopen()` returns go to the reopened files.
//! Records logged after a signal go there from the writer's next turn on.
//! In sync mode the caller does the same under the sync writer's lock: on
//! `reopen()`, and before the first record it writes after a signal.

use crate::shared::Shared;
use crate::signal::Registration;
use std::sync::atomic::Ordering;

/// The reopen requests a writer has acted on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReopenSeen {
    /// Highest `Logger::reopen` ticket covered.
    pub ticket: u64,
    /// The signal count covered.
    pub signals: u64,
}

impl ReopenSeen {
    /// What a new writer starts from: no ticket, the signals counted so far.
    pub(crate) fn start(signal: Option<&Registration>) -> ReopenSeen {
        ReopenSeen {
            ticket: 0,
            signals: signal.map_or(0, Registration::count),
        }
    }

    /// The requests now, if any arrived since `self`.
    #[inline]
    pub(crate) fn newer(
        self,
        shared: &Shared,
        signal: Option<&Registration>,
    ) -> Option<ReopenSeen> {
        // Acquire: pairs with `Logger::reopen`'s SeqCst fetch_add, like the
        // flush tickets: records committed before the call are visible to
        // the drain that precedes the reopen.
        let ticket = shared.flush.reopen_requested.load(Ordering::Acquire);
        let signals = signal.map_or(0, Registration::count);
        let now = ReopenSeen { ticket, signals };
        (now != self).then_some(now)
    }

    /// Marks the tickets covered done and wakes the callers waiting on them.
    pub(crate) fn acknowledge(self, shared: &Shared) {
        let f = &shared.flush;
        f.ack(&f.reopen_done, self.ticket);
    }
}

/// What one reopen of every sink came to: the sinks that failed, and the
/// report of the last of them (empty when none failed). A
/// `Logger::reopen` call returns these, its own reopen's, not whatever
/// error happened to be reported last.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ReopenFailures {
    /// Sinks that kept their old file.
    pub sinks: u64,
    /// The last one's report, as in `Logger::recent_errors`.
    pub last: String,
}
