//! Gathering: the writer lets a partly filled ring fill before it reads it.
//!
//! Reading a ring while its producer writes into it costs the producer:
//! the writer's loads take the line the producer is filling (and `tail`)
//! to the writer's core, and the producer's next stores wait to get them
//! back. A writer that chases its producer reads a burst's ring every few
//! dozen records, and each read makes the producer's next call slow.
//!
//! So a drain pass that is not asked to read everything (flush, sync,
//! reopen and shutdown are) reads another thread's lossless byte ring
//! only when one of these holds, and otherwise *holds* it back:
//!
//! - it holds at least [`threshold`] bytes (a quarter of the ring, at
//!   most [`GATHER_BYTES`]);
//! - the rings held back stopped growing for [`QUIET`] (the producers
//!   paused: a lone record, the end of a burst);
//! - bytes have been held back for [`GATHER_WAIT`] (a producer that
//!   trickles without ever pausing that long);
//! - its producer exited.
//!
//! The writer's own rings (the feedback rule in `drain`), overwrite rings,
//! crash-safe ring files and the rings of a thread that has several (its
//! cached producer and an explicit one: holding one while the other is
//! read would reorder them, see `rings::held_bytes`) are never held.
//!
//! After a pass that took nothing but held a ring back, the writer waits
//! in `Gather` (its partial batch waits with it, so no small write goes
//! out meanwhile; full batches went out as they filled): it looks at the held rings' `tail`s every
//! [`LOOK_EVERY`], without sleeping or registering (a producer's notify
//! costs it nothing meanwhile), and requests are served between looks as
//! in every state. A record the writer has held is therefore read at most
//! [`GATHER_WAIT`] (plus one look) after the writer first held it,
//! whatever producers do; within [`QUIET`] after its producer's last
//! record when nothing else keeps the writer busy (quiet is judged in
//! `Gather` only, on the bytes of all held rings together: another held
//! ring that keeps growing, or other rings that keep the writer draining,
//! leave a quiet one to the [`GATHER_WAIT`] bound). A `Block` producer
//! waiting for room is read as soon as its ring holds the threshold, and
//! else within the same bounds (a record larger than the room left while
//! the ring holds less than the threshold waits up to [`GATHER_WAIT`]).

use std::time::{Duration, Instant};

/// Most bytes a ring is left to gather before it is read.
pub(crate) const GATHER_BYTES: usize = 16 * 1024;
/// How long the held rings must stop growing before they are read.
pub(crate) const QUIET: Duration = Duration::from_micros(2);
/// Longest a held ring waits, from the pass that first held it.
pub(crate) const GATHER_WAIT: Duration = Duration::from_micros(50);
/// Time between two looks at the held rings while gathering.
pub(crate) const LOOK_EVERY: Duration = Duration::from_nanos(500);
const _: () = assert!(LOOK_EVERY.as_nanos() < QUIET.as_nanos());
const _: () = assert!(QUIET.as_nanos() < GATHER_WAIT.as_nanos());

/// The bytes at which a ring of `capacity` bytes is read at once: a
/// quarter of it, so a ring held back never fills (a `Block` producer
/// waits for half of it free), and at most [`GATHER_BYTES`].
pub(crate) fn threshold(capacity: usize) -> usize {
    (capacity / 4).clamp(1, GATHER_BYTES)
}

/// What the writer knows of the rings it holds back.
#[derive(Debug, Default)]
pub(crate) struct Gathering {
    /// When a pass first held a ring back, since the last pass that held
    /// none; `None` when no ring is held.
    since: Option<Instant>,
    /// The held rings' bytes at the last look.
    seen: usize,
    /// When `seen` last changed (or `since`, if it never did).
    grew_at: Option<Instant>,
    /// Set by a look that found the held rings quiet or overdue: the next
    /// pass reads every ring.
    take_all: bool,
}

/// What a look at the held rings decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// Read: a ring is due, or the held ones went quiet or waited long enough.
    Read,
    /// Keep gathering.
    Wait,
}

impl Gathering {
    /// Whether a ring is held back (the writer gathers).
    pub(crate) fn is_on(&self) -> bool {
        self.since.is_some()
    }

    /// Whether the next pass reads every ring whatever it holds: a look
    /// said so, or bytes were held back for [`GATHER_WAIT`] by `now()`
    /// (called only while a ring is held).
    pub(crate) fn take_all(&self, now: impl FnOnce() -> Instant) -> bool {
        self.take_all || self.since.is_some_and(|t| now() >= t + GATHER_WAIT)
    }

    /// After a pass that left `held` bytes in rings held back.
    pub(crate) fn after_pass(&mut self, held: usize, now: impl FnOnce() -> Instant) {
        self.take_all = false;
        if held == 0 {
            self.since = None;
            return;
        }
        if self.since.is_none() {
            let now = now();
            self.since = Some(now);
            self.grew_at = Some(now);
            self.seen = held;
        }
    }

    /// A look at the held rings at `now`: `held` bytes in them, `due` when
    /// one of them (or anything else a pass would read) is due.
    pub(crate) fn look(&mut self, held: usize, due: bool, now: Instant) -> Look {
        let Some(since) = self.since else {
            return Look::Read;
        };
        if due || held == 0 {
            return Look::Read;
        }
        if held != self.seen {
            self.seen = held;
            self.grew_at = Some(now);
        }
        let grew_at = self.grew_at.unwrap_or(since);
        if now >= grew_at + QUIET || now >= since + GATHER_WAIT {
            self.take_all = true;
            return Look::Read;
        }
        Look::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: Duration = Duration::from_nanos(1);

    #[test]
    fn the_threshold_is_a_quarter_of_the_ring_up_to_the_cap() {
        assert_eq!(threshold(256 * 1024), GATHER_BYTES);
        assert_eq!(threshold(64 * 1024), 16 * 1024);
        assert_eq!(threshold(4096), 1024);
        assert_eq!(threshold(3), 1);
    }

    #[test]
    fn a_pass_that_holds_nothing_ends_the_gathering() {
        let t0 = Instant::now();
        let mut g = Gathering::default();
        assert!(!g.is_on());
        g.after_pass(100, || t0);
        assert!(g.is_on());
        assert!(!g.take_all(|| t0 + GATHER_WAIT - NS));
        g.after_pass(0, || unreachable!("no clock read when nothing is held"));
        assert!(!g.is_on());
        assert!(!g.take_all(|| unreachable!("no clock read when nothing is held")));
    }

    #[test]
    fn held_bytes_are_read_once_they_stop_growing() {
        let t0 = Instant::now();
        let mut g = Gathering::default();
        g.after_pass(100, || t0);
        // Growing: keep gathering.
        assert_eq!(g.look(200, false, t0 + QUIET / 2), Look::Wait);
        assert_eq!(g.look(300, false, t0 + QUIET), Look::Wait);
        // Quiet for less than QUIET since the last growth.
        assert_eq!(g.look(300, false, t0 + QUIET * 2 - NS), Look::Wait);
        assert_eq!(g.look(300, false, t0 + QUIET * 2), Look::Read);
        assert!(g.take_all(|| unreachable!("the look decided")));
        // The pass that reads them all holds nothing: back to no gathering.
        g.after_pass(0, || t0);
        assert!(!g.is_on() && !g.take_all(|| t0));
    }

    #[test]
    fn a_lone_record_is_read_after_the_quiet_time() {
        let t0 = Instant::now();
        let mut g = Gathering::default();
        g.after_pass(70, || t0);
        assert_eq!(g.look(70, false, t0 + QUIET - NS), Look::Wait);
        assert_eq!(g.look(70, false, t0 + QUIET), Look::Read);
    }

    #[test]
    fn a_producer_that_never_pauses_is_read_after_the_longest_wait() {
        let t0 = Instant::now();
        let mut g = Gathering::default();
        g.after_pass(100, || t0);
        let (mut held, mut at) = (100, t0);
        // Growing every half quiet time: only the longest wait ends it.
        while at + QUIET / 2 < t0 + GATHER_WAIT {
            at += QUIET / 2;
            held += 10;
            assert_eq!(g.look(held, false, at), Look::Wait, "at {:?}", at - t0);
        }
        assert_eq!(g.look(held + 10, false, t0 + GATHER_WAIT), Look::Read);
        // Without a look, the pass itself sees the wait is over.
        let mut g = Gathering::default();
        g.after_pass(100, || t0);
        assert!(!g.take_all(|| t0 + GATHER_WAIT - NS));
        assert!(g.take_all(|| t0 + GATHER_WAIT));
    }

    #[test]
    fn a_due_ring_or_an_emptied_one_ends_the_wait_at_once() {
        let t0 = Instant::now();
        let mut g = Gathering::default();
        g.after_pass(100, || t0);
        assert_eq!(g.look(100, true, t0), Look::Read);
        // A due ring is read by the pass; the held ones stay held.
        assert!(!g.take_all(|| t0));
        assert_eq!(g.look(0, false, t0), Look::Read);
        // Not gathering: nothing to wait for.
        let mut idle = Gathering::default();
        assert_eq!(idle.look(100, false, t0), Look::Read);
    }

    #[test]
    fn a_later_pass_that_holds_again_keeps_the_first_time() {
        let t0 = Instant::now();
        let mut g = Gathering::default();
        g.after_pass(100, || t0);
        g.after_pass(5000, || t0 + GATHER_WAIT / 2);
        assert!(!g.take_all(|| t0 + GATHER_WAIT - NS));
        assert!(g.take_all(|| t0 + GATHER_WAIT));
    }
}
