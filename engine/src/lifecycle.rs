//! How long the writer runs: while the guard *or* any [`Logger`] handle
//! lives, unless [`WriterGuard::shutdown`] is called.
//!
//! `let (logger, _) = Logger::builder()…build()?` drops the guard at once.
//! Rather than shutting the writer down under the logger's feet (every
//! later record counted dropped), the guard is *parked* here when handles
//! still live, and the last handle to go shuts the writer down as the
//! guard's `Drop` would have: drain, write, close, bounded by
//! [`DROP_SHUTDOWN_TIMEOUT`](crate::DROP_SHUTDOWN_TIMEOUT). A guard
//! dropped after every handle shuts down at once, as before; an explicit
//! [`WriterGuard::shutdown`] always does.
//!
//! Counted handles are the `Logger`s users hold (clones included); the
//! handles front ends keep for good (the `log` facade, `uringlog::logger()`,
//! `tracing` layers and writers), explicit [`Producer`](crate::Producer)s
//! and the producers threads keep for themselves are not, so none of them
//! keeps a writer alive on its own — a global subscriber would otherwise
//! keep a parked guard from ever draining.
//!
//! The hand-over is race-free: the guard checks the count and parks under
//! `state`'s lock; the last handle decrements the count, then takes the
//! lock, so one of the two always sees the other.
//!
//! The reopen signal's handler is held here too (a `signal::Hold`), as
//! well as by the writer's registration: the handler stays while the
//! writer runs *or* a counted handle lives, so a signal that comes after
//! `shutdown` while the service still holds its `Logger` is caught (and
//! does nothing), not given back to a default disposition that would end
//! the process. The slot that counts signals for the writer is the
//! writer's alone, freed when it ends. The front ends' handles hold the
//! handler too, each its own (`signal_hold`): the `log` facade for the
//! process's life, a `tracing` layer or writer until it is dropped.
//!
//! [`Logger`]: crate::Logger

use crate::shared::lock;
use crate::shutdown::WriterGuard;
use crate::signal::Hold;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Live handles and the parked guard of one logger.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    /// `Logger` handles alive.
    handles: AtomicUsize,
    /// The guard, once dropped while handles lived.
    parked: Mutex<Option<WriterGuard>>,
    /// The reopen signal's handler, held for the handles: let go with the
    /// last one (see the module docs).
    signal: Mutex<Option<Hold>>,
}

impl Lifecycle {
    /// A handle was created.
    pub(crate) fn handle_created(&self) {
        // Relaxed: a new handle is made from a live one (or by `build`), so
        // the count cannot be observed at zero meanwhile.
        self.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// A handle was dropped; the last one shuts down a parked guard.
    pub(crate) fn handle_dropped(&self) {
        // AcqRel: pairs with the other handles' decrements, so the last one
        // sees everything they did; and with `park`'s load under the lock.
        if self.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let parked = lock(&self.parked).take();
        // The parked guard's `Drop` drains and stops the writer.
        drop(parked);
        drop(lock(&self.signal).take());
    }

    /// Holds the reopen signal's handler until the last handle goes.
    pub(crate) fn keep_signal(&self, hold: Hold) {
        *lock(&self.signal) = Some(hold);
    }

    /// A further hold on the reopen signal's handler, for a front end's
    /// handle (the `log` facade, a `tracing` layer or writer): not
    /// counted, it keeps the handler as a counted handle does. None when
    /// the logger has no reopen signal, or its handles let it go.
    pub(crate) fn signal_hold(&self) -> Option<Arc<Hold>> {
        lock(&self.signal).as_ref().map(|h| Arc::new(h.another()))
    }

    /// The guard is being dropped: when handles live, it is parked (made
    /// by `take`) and true returned; false means shut down now.
    pub(crate) fn park(&self, take: impl FnOnce() -> WriterGuard) -> bool {
        let mut parked = lock(&self.parked);
        // Acquire: pairs with `handle_dropped`'s decrement; a count seen
        // above zero here means that handle's drop will take the lock after
        // we release it and find the guard.
        if self.handles.load(Ordering::Acquire) == 0 {
            return false;
        }
        *parked = Some(take());
        true
    }
}
