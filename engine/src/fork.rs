//! `fork()`: logging in a child works as in a fresh process.
//!
//! After `fork(2)` the child has one thread — the one that forked — and a
//! copy of the parent's memory: its loggers' rings holding the parent's
//! unwritten records, mutexes perhaps held by threads that do not exist
//! there, and no writer thread. Used as they are, records logged in the
//! child would vanish uncounted, `flush` would wait forever and a `Block`
//! producer would hang once its inherited ring filled.
//!
//! So a process has a *generation*: a counter that a `pthread_atfork` child
//! handler bumps — one atomic add, no lock, no allocation, as a handler run
//! in the child of a multi-threaded process must be. Every engine (`Shared`)
//! records the generation it was started in. A logger handle, producer or
//! guard whose engine is from an earlier generation is *inherited*, and
//! never touches that engine again: its rings hold the parent's records
//! (the parent writes them; the child never writes them twice) and its
//! locks may be held by threads that are gone. On first use the child
//! starts a *successor* instead: a fresh engine, with its own writer thread
//! and rings, built from the [`Lineage`] recorded when the logger was built —
//! its settings, and an unused copy of each sink made with
//! [`Sink::for_fork_child`], copied again for each child. A sink that cannot
//! be shared with another process (the default) is left out; if none is
//! left, the successor counts every record dropped. Either way the reason is
//! in the child's `Logger::recent_errors`.
//!
//! In the child:
//! - `stats()` counts the child's own calls only; the parent's counters and
//!   records stay with the parent. Before the child's first log call it
//!   shows nothing logged, and `flush` returns at once.
//! - Shutting down or dropping an inherited `WriterGuard` shuts down the
//!   successor (the parent's writer is not joined: it does not exist here).
//! - At `exit`, the exit hook drains the successor (see `exit`).
//! - A grandchild starts its own successor from the same lineage.
//!
//! The parent is unaffected: its generation does not change. The io_uring
//! rings are mapped `MADV_DONTFORK` (`IoUring::builder().dontfork()`), so a
//! child does not even inherit the parent's submission queues.

use crate::builder::Builder;
use crate::error::ShutdownError;
use crate::level::Level;
use crate::logger::Logger;
use crate::shared::Shared;
use crate::shutdown::WriterGuard;
use crate::sink::{Sink, SinkOptions};
use crate::stats::Stats;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

/// The generation of this process: 0, plus one per `fork` since.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Whether the `pthread_atfork` handler is installed.
static HOOKED: AtomicBool = AtomicBool::new(false);

/// This process's generation (one relaxed load; the hot path compares it
/// with its engine's).
#[inline]
pub(crate) fn generation() -> u64 {
    // Relaxed: the only store happens in the child before any other code
    // runs there, on the same (only) thread.
    GENERATION.load(Ordering::Relaxed)
}

/// Where the generation lives (a debug view: see
/// `Logger::call_path_addresses`).
pub(crate) fn generation_address() -> usize {
    &GENERATION as *const AtomicU64 as usize
}

/// Installs the `pthread_atfork` child handler, once per process.
pub(crate) fn install_hook() {
    if HOOKED.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: `in_child` is an `extern "C" fn()` that never unwinds; the
    // other two handlers are absent. A failure (ENOMEM) leaves forked
    // children as unprotected as before; there is nothing better to do.
    let _ = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
}

/// Runs in the child right after `fork`: async-signal-safe (atomics only).
extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
    // The forking thread's cached producer is inherited (a plain
    // thread-local store): see `Logger::lend`.
    crate::logger::forget_recent();
    // The reopen signal's slots are the parent's loggers' (atomics only).
    crate::signal::forget_inherited();
}

/// How a logger's engine is started again in a forked child.
pub(crate) struct Lineage {
    /// Taken only to start a successor, with `try_lock`: in a child of a
    /// process that was starting one itself, it may be held by a thread
    /// that is gone.
    recipe: Mutex<Recipe>,
    /// The successor started in this process, if it is a child: leaked, so
    /// handles may keep `&'static` references to it.
    current: AtomicPtr<Successor>,
    /// The highest generation whose successor a thread has begun to start.
    starting: AtomicU64,
}

/// The settings and sinks a child's successor is built from.
pub(crate) struct Recipe {
    /// The builder's settings, without sinks.
    pub settings: Builder,
    /// One unused copy per sink that can serve a child.
    pub twins: Vec<(Box<dyn Sink>, SinkOptions)>,
    /// Descriptions of the sinks that cannot.
    pub missing: Vec<String>,
}

/// A logger's engine in a forked child, standing in for the inherited one.
pub(crate) struct Successor {
    /// The generation it was started in.
    pub generation: u64,
    pub logger: Logger,
    /// Its guard, taken by the inherited guard's shutdown.
    pub guard: Mutex<Option<WriterGuard>>,
}

impl Lineage {
    pub(crate) fn new(recipe: Recipe) -> Lineage {
        Lineage {
            recipe: Mutex::new(recipe),
            current: AtomicPtr::new(std::ptr::null_mut()),
            starting: AtomicU64::new(0),
        }
    }

    /// A lineage with default settings and no sinks: a forked child gets
    /// a logger that counts every record dropped (for loggers that have no
    /// writer anyway, and unit tests).
    pub(crate) fn empty() -> Arc<Lineage> {
        Arc::new(Lineage::new(Recipe {
            settings: Builder::default(),
            twins: Vec::new(),
            missing: Vec::new(),
        }))
    }

    /// This process's successor, if one was started.
    pub(crate) fn started(&self) -> Option<&'static Successor> {
        // Acquire: pairs with the Release store in `successor`.
        let p = self.current.load(Ordering::Acquire);
        // SAFETY: non-null pointers here are leaked boxes, never freed.
        let s = unsafe { p.as_ref() }?;
        (s.generation == generation()).then_some(s)
    }

    /// This process's successor, started on first use at `level` — or,
    /// when the inherited logger was already shut down (`closed`), one
    /// that counts every record dropped.
    #[cold]
    pub(crate) fn successor(self: &Arc<Self>, level: Level, closed: bool) -> &'static Successor {
        let now = generation();
        loop {
            if let Some(s) = self.started() {
                return s;
            }
            let seen = self.starting.load(Ordering::Relaxed);
            let claim =
                (self.starting).compare_exchange(seen, now, Ordering::AcqRel, Ordering::Relaxed);
            if seen < now && claim.is_ok() {
                let s = self.start(now, level, closed);
                let s: &'static Successor = Box::leak(Box::new(s));
                // Release: pairs with the Acquire load in `started`.
                self.current
                    .store(std::ptr::from_ref(s).cast_mut(), Ordering::Release);
                return s;
            }
            // Another thread of this process is starting it.
            std::thread::yield_now();
        }
    }

    /// Shuts down this process's successor, if one was started (what an
    /// inherited guard's shutdown does); the counters of a logger that did
    /// not log in this process are all zero.
    pub(crate) fn shut_down_successor(&self, timeout: Duration) -> Result<Stats, ShutdownError> {
        let Some(s) = self.started() else {
            return Ok(Stats::default());
        };
        let guard = s.guard.lock().unwrap_or_else(|p| p.into_inner()).take();
        match guard {
            Some(g) => g.shutdown(timeout),
            None => Ok(s.logger.stats()),
        }
    }

    /// Builds a successor for generation `now` from the recipe.
    fn start(self: &Arc<Self>, now: u64, level: Level, closed: bool) -> Successor {
        let dead = |why: &str| {
            let why = format!("after fork: {why}; every record is counted dropped");
            dead_logger(self.clone(), why)
        };
        let (logger, guard) = if closed {
            dead("the logger was shut down before the fork")
        } else {
            match self.recipe.try_lock() {
                Ok(r) => r.build(self, level),
                Err(TryLockError::Poisoned(p)) => p.into_inner().build(self, level),
                Err(TryLockError::WouldBlock) => dead(
                    "the logger's settings were in use by a thread that does \
                     not exist in this process",
                ),
            }
        };
        Successor {
            generation: now,
            logger,
            guard: Mutex::new(guard),
        }
    }
}

impl Recipe {
    /// The successor's logger and guard: the settings with the sinks' copies
    /// (or a logger that counts every record dropped, and why).
    fn build(&self, lineage: &Arc<Lineage>, level: Level) -> (Logger, Option<WriterGuard>) {
        let mut b = self.settings.settings().level(level);
        let mut missing = self.missing.clone();
        for (twin, options) in &self.twins {
            match twin.for_fork_child() {
                Some(s) => b = b.sink_with(s, *options),
                None => missing.push(twin.describe()),
            }
        }
        let missing = (!missing.is_empty()).then(|| {
            format!(
                "after fork: {} cannot be shared with a child process; \
                 records only they would take are counted dropped",
                missing.join(", ")
            )
        });
        match b.build_in(lineage.clone()) {
            Ok((logger, guard)) => {
                if let Some(m) = missing {
                    logger.shared.report_error(m);
                }
                // Kept for good by the successor: it must not keep a
                // dropped guard from shutting down (see `lifecycle`).
                (logger.uncounted(), Some(guard))
            }
            Err(e) => {
                let why = format!(
                    "after fork: the logger cannot run in this process ({e}); \
                     every record is counted dropped"
                );
                let dead = dead_logger(lineage.clone(), why);
                if let Some(m) = missing {
                    dead.0.shared.report_error(m);
                }
                dead
            }
        }
    }
}

/// A logger with no writer, standing in for one that cannot run in this
/// process: every call is counted enqueued and dropped, `flush` says it is
/// shut down, and `recent_errors` says `why`.
fn dead_logger(lineage: Arc<Lineage>, why: String) -> (Logger, Option<WriterGuard>) {
    let shared = Shared::without_writer(Level::Trace, lineage);
    shared.report_error(why);
    (
        Logger::from_shared(Arc::new(shared), None).uncounted(),
        None,
    )
}
