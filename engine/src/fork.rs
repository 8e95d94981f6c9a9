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
//! handler bumps — one atomic add, no waiting, no allocation, as a handler run
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
//! - A call made on the thread starting the successor, while it starts it
//!   (by a sink's [`Sink::for_fork_child`] or a sink it builds, or by a
//!   signal handler that interrupted it), does not wait for the start,
//!   which waits for it: it goes to a closed *stand-in*, made before the
//!   start, and is counted enqueued and dropped in the successor's stats
//!   once it is started, with the reason in its `recent_errors`.
//!
//! The same handlers count the process's forks for sinks that must know
//! whether another process may be writing their file: [`forks`] reads the
//! count, and [`unless_forked_since`] runs a section only if it has not
//! moved, with no fork while it runs (a prepare handler holds the count's
//! lock across each fork; the parent and child handlers add one and let
//! it go).
//!
//! A fork from a signal handler never waits for ever on that lock. The
//! sections of [`unless_forked_since`] (and the look of [`forks`]) run
//! with their thread's asynchronous signals blocked, and so does the
//! prepare handler's hold until the parent's or child's handler lets it
//! go (see `fork_lock`): a handler that forks runs only once the section
//! it interrupted is over, and a section never runs in two processes
//! after passing its check in one. A signal that arrives during a fork is
//! handled in the parent once the fork is done (a child starts with none
//! pending). The fault signals (`SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`,
//! `SIGTRAP`, `SIGSYS`) are not blocked: a handler of theirs that forks
//! must not run inside a section, where only a bug could raise them.
//! `_Fork` and `vfork`-like calls (`posix_spawn`) run no handlers, and
//! are not counted.
//!
//! The handlers are registered by the first `build` of the process; when
//! `pthread_atfork` fails (`ENOMEM`), that `build` fails
//! (`BuildError::ForkHandler`) rather than leave forked children using
//! the parent's engines.
//!
//! The parent is unaffected: its generation does not change. The io_uring
//! rings are mapped `MADV_DONTFORK` (`IoUring::builder().dontfork()`), so a
//! child does not even inherit the parent's submission queues.

use crate::builder::Builder;
use crate::error::ShutdownError;
use crate::fork_lock::ForkLock;
use crate::level::Level;
use crate::logger::Logger;
use crate::shared::Shared;
use crate::shutdown::WriterGuard;
use crate::sink::{Sink, SinkOptions};
use crate::stats::Stats;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

/// The generation of this process: 0, plus one per `fork` since.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Forks made by this process and its ancestors since the handlers were
/// installed: held across each fork by the handlers (see [`forks`]).
static FORKS: ForkLock<u64> = ForkLock::new(0);
/// The forks this process made (parent side), without a lock: see [`forks_hint`].
static FORKS_HINT: AtomicU64 = AtomicU64::new(0);
/// Whether the `pthread_atfork` handler is installed: [`UNHOOKED`],
/// [`HOOKED`], or the claim of a thread installing it ([`claim_of`]; see
/// [`install_in`]).
static HOOK: AtomicU64 = AtomicU64::new(UNHOOKED);
/// [`HOOK`] before the handler is installed (or after it failed to be).
pub const UNHOOKED: u64 = 0;
/// [`HOOK`] once the handler is installed: above any claim. A child
/// handler registered through [`install_in`] stores it in its state.
pub const HOOKED: u64 = u64::MAX;
/// Looks at another thread's claim, yielding between them, before a
/// waiter sleeps instead: a waiter of a higher real-time priority than the
/// claimant on its CPU would otherwise never let it run.
const CLAIM_SPINS: u32 = 64;
/// How long a waiter sleeps between looks once past [`CLAIM_SPINS`].
const CLAIM_NAP: Duration = Duration::from_micros(100);

/// This process's generation (one relaxed load; the hot path compares it
/// with its engine's).
#[inline]
pub(crate) fn generation() -> u64 {
    // Relaxed: the only store happens in the child before any other code
    // runs there, on the same (only) thread.
    GENERATION.load(Ordering::Relaxed)
}

/// Installs the `pthread_atfork` handlers, once per process. Without
/// them a forked child would go on with the parent's engines (its cached
/// producer, its rings, its directory locks), so a failure (`ENOMEM`) is
/// returned, for `build` to fail with; the next call tries again.
pub(crate) fn install_hook() -> Result<(), std::io::Error> {
    if let Some(errno) = test_failure() {
        return Err(std::io::Error::from_raw_os_error(errno));
    }
    install_in(&HOOK, || {
        // SAFETY: the handlers are `extern "C" fn()`s that never unwind.
        unsafe { libc::pthread_atfork(Some(before_fork), Some(in_parent), Some(in_child)) }
    })
}

/// The count of this process's forks (and its ancestors') since the
/// handlers were installed, installing them first: for a sink to pass to
/// [`unless_forked_since`] later. A failure to install them (`ENOMEM`,
/// the errno) is returned: without them no fork would be counted.
pub fn forks() -> Result<u64, std::io::Error> {
    install_hook()?;
    Ok(*FORKS.lock())
}

/// Runs `f` if the count of forks is still `since` (from [`forks`]: the
/// process has not forked since), with no fork while it runs; `None` if
/// the process forked.
pub fn unless_forked_since<R>(since: u64, f: impl FnOnce() -> R) -> Option<R> {
    let forks = FORKS.lock();
    (*forks == since).then(f)
}

/// Runs in the thread about to fork: holds [`FORKS`] across the fork, so
/// that no section of [`unless_forked_since`] is under way during it.
extern "C" fn before_fork() {
    // First: it may wait for the writers (bounded), and a section of
    // `unless_forked_since` must not wait for it meanwhile.
    crate::writer::sinks::aligned::before_fork();
    FORKS.hold_across_fork();
    raise_when_held();
}

/// Runs in the parent right after `fork`: counts it.
extern "C" fn in_parent() {
    // SAFETY: `before_fork` took it in this thread, the one that forked.
    let mut forks = unsafe { FORKS.adopt() };
    *forks += 1;
    // Relaxed: a hint (see `forks_hint`). Before the fork's end below: a
    // writer that reads that end (SeqCst) sees this count after it (see
    // `Aligner::may_split`).
    FORKS_HINT.fetch_add(1, Ordering::Relaxed);
    drop(forks);
    crate::writer::sinks::aligned::after_fork_in_parent();
}

/// The forks this process made, counted by the parent's handler without
/// a lock: a hint for code that must stop doing something once the
/// process has forked and may not take [`FORKS`]'s lock each time it
/// looks (the writer, once a batch; see `writer::sinks::aligned`). Zero
/// until the handlers are installed (the first `build`).
pub(crate) fn forks_hint() -> u64 {
    // Relaxed: a later look sees the count, and what it guards is
    // checked after the fork by other means.
    FORKS_HINT.load(Ordering::Relaxed)
}

/// Installs a handler with `register` (which returns 0 or an errno) once
/// in the process whose state is `state` (see [`HOOK`]). Waits while
/// another thread of this process is registering it, and returns that
/// thread's outcome only if it succeeded (else tries itself). A claim that
/// no thread of this process can be making is taken over: one by another
/// process (a thread of the process this one was forked from: had its
/// registration completed before the fork, the child handler would have
/// marked the state [`HOOKED`]), this thread's own, or one by a thread
/// that does not exist (checked once past [`CLAIM_SPINS`]: a claim
/// inherited from an ancestor whose pid this process has since been
/// given, in another pid namespace or by reuse).
pub fn install_in(
    state: &AtomicU64,
    mut register: impl FnMut() -> i32,
) -> Result<(), std::io::Error> {
    let mut me = None;
    let mut looks = 0u32;
    loop {
        // Acquire: pairs with the Release store below, made after the
        // registration (which the caller's forks must follow).
        let seen = state.load(Ordering::Acquire);
        if seen == HOOKED {
            return Ok(());
        }
        let me = *me.get_or_insert_with(own_claim);
        if seen != UNHOOKED && seen != me && may_be_registering(seen, me, looks) {
            match looks < CLAIM_SPINS {
                true => std::thread::yield_now(),
                false => std::thread::sleep(CLAIM_NAP),
            }
            looks = looks.saturating_add(1);
            continue;
        }
        // Relaxed on failure: the loop loads again.
        if (state.compare_exchange(seen, me, Ordering::AcqRel, Ordering::Relaxed)).is_err() {
            continue;
        }
        let errno = register();
        let (now, outcome) = match errno {
            0 => (HOOKED, Ok(())),
            e => (UNHOOKED, Err(std::io::Error::from_raw_os_error(e))),
        };
        // Release: pairs with the Acquire load above.
        state.store(now, Ordering::Release);
        return outcome;
    }
}

/// A claim on [`HOOK`]: the claiming thread's pid (high 32 bits) and OS
/// thread id (low 32 bits). Neither [`UNHOOKED`] (a pid is at least 1)
/// nor [`HOOKED`] (a pid is below 2^31).
fn claim_of(pid: u32, tid: u32) -> u64 {
    (u64::from(pid) << 32) | u64::from(tid)
}

/// This thread's claim ([`claim_of`]).
fn own_claim() -> u64 {
    // SAFETY: gettid has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() } as u32;
    claim_of(std::process::id(), tid)
}

/// Whether `claim`, not this thread's (`me`), may be held by a thread of
/// this process registering now, after `looks` looks at it: it names this
/// process, and (past [`CLAIM_SPINS`]) a thread that exists.
fn may_be_registering(claim: u64, me: u64, looks: u32) -> bool {
    if claim >> 32 != me >> 32 {
        return false;
    }
    if looks < CLAIM_SPINS {
        return true;
    }
    let (pid, tid) = ((claim >> 32) as libc::pid_t, claim as u32 as libc::pid_t);
    // SAFETY: signal 0 only checks that thread `tid` of process `pid`
    // exists; nothing is sent.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Runs in the child right after `fork`: async-signal-safe (atomics only).
extern "C" fn in_child() {
    // Registered, since it runs: a registration that completed just
    // before the fork, its state not yet stored, is known here as done.
    // Relaxed: the only thread of the child is this one.
    HOOK.store(HOOKED, Ordering::Relaxed);
    GENERATION.fetch_add(1, Ordering::Relaxed);
    // SAFETY: `before_fork` took it in the thread that forked, this
    // process's only thread.
    let mut forks = unsafe { FORKS.adopt() };
    *forks += 1;
    drop(forks);
    // The forking thread's cached producer is inherited (a plain
    // thread-local store): see `Logger::lend`.
    crate::logger::forget_recent();
    // The reopen signal's slots are the parent's loggers' (atomics only).
    crate::signal::forget_inherited();
    // The crash-safe directories' locks stay the parent's alone.
    crate::crash_safe::lock::forget_inherited();
    crate::writer::sinks::aligned::after_fork_in_child();
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
    /// The thread starting this process's successor ([`own_claim`]), 0
    /// while none is: its calls meanwhile go to [`Lineage::standin`].
    /// Written by that thread only.
    starter: AtomicU64,
    /// Stands in for the successor for the calls of the thread starting
    /// it (see the module docs): a closed logger, leaked; null before the
    /// first start.
    standin: AtomicPtr<Successor>,
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
            starter: AtomicU64::new(0),
            standin: AtomicPtr::new(std::ptr::null_mut()),
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
            if let Some(s) = self.standing_in() {
                return s;
            }
            let seen = self.starting.load(Ordering::Relaxed);
            let claim =
                (self.starting).compare_exchange(seen, now, Ordering::AcqRel, Ordering::Relaxed);
            if seen < now && claim.is_ok() {
                return self.start_here(now, level, closed);
            }
            // Another thread of this process is starting it.
            std::thread::yield_now();
        }
    }

    /// The stand-in, when this thread is starting the successor: a call
    /// nested in the start (see the module docs).
    fn standing_in(&self) -> Option<&'static Successor> {
        // Relaxed: only this thread stores its own claim here.
        if self.starter.load(Ordering::Relaxed) != own_claim() {
            return None;
        }
        // SAFETY: non-null pointers here are leaked boxes, never freed.
        unsafe { self.standin.load(Ordering::Relaxed).as_ref() }
    }

    /// Starts this process's successor (generation `now`) on this thread,
    /// its calls meanwhile going to a stand-in, whose counts then move to
    /// the successor.
    #[cold]
    fn start_here(self: &Arc<Self>, now: u64, level: Level, closed: bool) -> &'static Successor {
        let standin: &'static Successor = Box::leak(Box::new(self.standin(level)));
        // Relaxed: read by this thread only (see `standing_in`).
        (self.standin).store(std::ptr::from_ref(standin).cast_mut(), Ordering::Relaxed);
        self.starter.store(own_claim(), Ordering::Relaxed);
        let s = self.start(now, level, closed);
        let s: &'static Successor = Box::leak(Box::new(s));
        // Release: pairs with the Acquire load in `started`.
        self.current
            .store(std::ptr::from_ref(s).cast_mut(), Ordering::Release);
        self.starter.store(0, Ordering::Relaxed);
        // No call of this thread's is under way through the stand-in (one
        // in a signal handler ended before this thread went on), and no
        // other thread's reaches it.
        let lost = standin.logger.shared.stats().enqueued;
        if lost > 0 {
            s.logger.shared.count_lost_calls(lost);
            s.logger.shared.report_error(format!(
                "after fork: {lost} record(s) logged on the thread starting this \
                 process's logger while it started it (by a sink, or a signal \
                 handler) were counted dropped"
            ));
        }
        s
    }

    /// A stand-in for the successor: closed (every call counted enqueued
    /// and dropped) and of no generation, so that a producer bound to it
    /// moves on to the successor once it is started.
    fn standin(self: &Arc<Self>, level: Level) -> Successor {
        let mut shared = Shared::without_writer(level, self.clone());
        shared.hot.0.generation = u64::MAX;
        Successor {
            generation: generation(),
            logger: Logger::from_shared(Arc::new(shared), None).uncounted(),
            guard: Mutex::new(None),
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
        // User code runs in the build (the sinks' copies, asked for their
        // settings): a panic there must not leave the start unfinished.
        let built = |r: &Recipe| {
            let b = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.build(self, level)));
            b.unwrap_or_else(|_| dead("starting the logger in this process panicked (in a sink)"))
        };
        let (logger, guard) = if closed {
            dead("the logger was shut down before the fork")
        } else {
            match self.recipe.try_lock() {
                Ok(r) => built(&r),
                Err(TryLockError::Poisoned(p)) => built(&p.into_inner()),
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
            match copy_for_child(&**twin) {
                Ok(s) => b = b.sink_with(s, *options),
                Err(described) => missing.push(described),
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

/// `sink`'s copy for a forked child ([`Sink::for_fork_child`]), or how to
/// name it among the sinks a child goes without: it cannot be shared, or
/// making the copy panicked (user code: said so, and the call that made
/// it goes on).
pub(crate) fn copy_for_child(sink: &dyn Sink) -> Result<Box<dyn Sink>, String> {
    let copy = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.for_fork_child()));
    match copy {
        Ok(Some(copy)) => Ok(copy),
        Ok(None) => Err(sink.describe()),
        Err(_) => Err(format!(
            "{} (its copy for a child process panicked)",
            sink.describe()
        )),
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

#[cfg(test)]
std::thread_local! {
    /// A test hook: the errno the next [`install_hook`] on this thread
    /// fails with, as if the handler were not installed yet and
    /// `pthread_atfork` returned it.
    static FAIL_INSTALL: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
}

/// Makes the next [`install_hook`] on this thread fail with `errno`.
#[cfg(test)]
pub(crate) fn fail_next_install(errno: i32) {
    FAIL_INSTALL.with(|f| f.set(Some(errno)));
}

/// This thread's test failure for [`install_hook`], taken.
#[cfg(test)]
fn test_failure() -> Option<i32> {
    FAIL_INSTALL.with(|f| f.take())
}

/// A test hook: a signal [`before_fork`] raises once (then 0), with the
/// count of forks held across the fork.
#[cfg(test)]
static RAISE_WHEN_HELD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Raises the signal of [`RAISE_WHEN_HELD`], if one is set.
#[cfg(test)]
fn raise_when_held() {
    let signo = RAISE_WHEN_HELD.swap(0, Ordering::Relaxed);
    if signo != 0 {
        // SAFETY: `raise` is async-signal-safe; the test installed a
        // handler for `signo`.
        unsafe { libc::raise(signo) };
    }
}

/// Test hooks only.
#[cfg(not(test))]
#[inline(always)]
fn test_failure() -> Option<i32> {
    None
}

/// Test hooks only.
#[cfg(not(test))]
#[inline(always)]
fn raise_when_held() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed registration is returned with its errno and leaves the
    /// state unhooked, so the next call registers.
    #[test]
    fn a_failed_registration_is_returned_and_tried_again() {
        let state = AtomicU64::new(UNHOOKED);
        let mut calls = 0;
        let mut answers = [libc::ENOMEM, 0].into_iter();
        let mut register = || {
            calls += 1;
            answers.next().unwrap()
        };
        let first = install_in(&state, &mut register).map_err(|e| e.raw_os_error());
        assert_eq!(first, Err(Some(libc::ENOMEM)));
        assert_eq!(state.load(Ordering::Relaxed), UNHOOKED);
        assert!(install_in(&state, &mut register).is_ok());
        assert!(install_in(&state, &mut register).is_ok());
        assert_eq!((calls, state.load(Ordering::Relaxed)), (2, HOOKED));
    }

    /// `build` fails when the fork handler cannot be registered, naming
    /// the call and the errno, before it opens a crash-safe directory (not
    /// even created: so not left locked); the next build (which
    /// registers) takes it.
    #[test]
    fn a_fork_handler_that_cannot_be_registered_fails_the_build() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cs");
        let build = || {
            let b = Logger::builder().sink(crate::MemorySink::new().0);
            b.crash_safe(&dir).build()
        };
        fail_next_install(libc::ENOMEM);
        let failed = build().map(|_| ()).map_err(|e| e.to_string());
        let expected = "cannot register the fork handler: pthread_atfork failed: \
                        Cannot allocate memory (os error 12)";
        assert_eq!(failed, Err(expected.to_owned()));
        assert!(!dir.exists(), "the directory is not touched");
        let (logger, guard) = build().expect("built once the handler registers");
        crate::info!(logger, "after");
        let s = guard.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!((s.enqueued, s.written), (1, 1));
    }

    /// The same in the normal mode.
    #[test]
    fn a_fork_handler_that_cannot_be_registered_fails_a_normal_build() {
        fail_next_install(libc::EAGAIN);
        let built = Logger::builder().sink(crate::MemorySink::new().0).build();
        let failed = built.map(|_| ()).map_err(|e| e.to_string());
        let expected = "cannot register the fork handler: pthread_atfork failed: \
                        Resource temporarily unavailable (os error 11)";
        assert_eq!(failed, Err(expected.to_owned()));
    }

    /// A fork moves the count of forks in the parent and in the child: a
    /// section that asks for the count from before runs in neither.
    #[test]
    fn a_fork_moves_the_count_in_the_parent_and_the_child() {
        let before = forks().expect("the handlers install");
        // SAFETY: the child only takes a lock its fork handler freed (the
        // parent's threads do not exist there) and calls _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
        if child == 0 {
            let ran = unless_forked_since(before, || ()).is_some();
            // SAFETY: ends the child without running the parent's
            // destructors.
            unsafe { libc::_exit(i32::from(ran)) };
        }
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer; `child` is our child.
        assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
        assert!(libc::WIFEXITED(status), "status {status:#x}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "the child's section ran");
        assert_eq!(unless_forked_since(before, || ()), None, "the parent's ran");
    }

    /// What [`fork_and_reap`] did, in the process it ran in: 0 before it
    /// runs, then 1 once its fork's child exited with 0 (-1 otherwise).
    static HANDLER_FORKED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

    /// A signal handler that forks, and waits for its child (which exits).
    extern "C" fn fork_and_reap(_: libc::c_int) {
        // SAFETY: fork, _exit and waitpid are async-signal-safe; the child
        // only exits; `status` is a valid out-pointer.
        let done = unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::_exit(0);
            }
            let mut status = 0;
            let reaped = libc::waitpid(pid, &mut status, 0);
            reaped == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
        };
        HANDLER_FORKED.store(if done { 1 } else { -1 }, Ordering::SeqCst);
    }

    /// Installs [`fork_and_reap`] for `signo`.
    fn fork_on(signo: libc::c_int) {
        // SAFETY: a zeroed sigaction is valid (empty mask, no flags); the
        // handler is an `extern "C" fn(c_int)` that never unwinds.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = fork_and_reap as extern "C" fn(libc::c_int) as usize;
            assert_eq!(libc::sigaction(signo, &action, std::ptr::null_mut()), 0);
        }
    }

    /// Whether `signo` is blocked on this thread.
    fn blocked(signo: libc::c_int) -> bool {
        let mut now = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: asks for the mask only; it initializes `now`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), now.as_mut_ptr());
            libc::sigismember(now.as_ptr(), signo) == 1
        }
    }

    /// Runs `scenario` in a forked child, which exits with what it returns
    /// (0 for done); returns that code (None: it hung or was killed).
    fn in_child(scenario: fn() -> i32) -> Option<i32> {
        forks().expect("the handlers install");
        // SAFETY: the child uses atomics, async-signal-safe calls and
        // locks its fork handler freed, and calls _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
        if child == 0 {
            IN_CHILD.store(true, Ordering::SeqCst);
            let code = scenario();
            // SAFETY: ends the child without running the parent's
            // destructors.
            unsafe { libc::_exit(code) };
        }
        crate::fork_lock::exit_code(child)
    }

    /// A logger whose sink is a [`Copied`] doing `on_copy`, kept in `slot`
    /// (for a child's scenario to find).
    fn built_with(on_copy: OnCopy, slot: &std::sync::OnceLock<Logger>) -> (Logger, WriterGuard) {
        let (logger, guard) = Logger::builder().sink(Copied(on_copy)).build().unwrap();
        let _ = slot.set(logger.clone());
        (logger, guard)
    }

    /// In a forked child, after its logger started with one call nested in
    /// the start: 0 when the logger flushes (else 2), says so (else 3) and
    /// its books (enqueued, written, dropped, [`LINES`]) are `books` (else
    /// 4).
    fn one_nested_drop(logger: &Logger, books: (u64, u64, u64, u64)) -> i32 {
        if logger.flush().is_err() {
            return 2;
        }
        let said = "1 record(s) logged on the thread starting this process's logger";
        let ((enqueued, written, dropped), said) = books_saying(logger, said);
        match ((enqueued, written, dropped, LINES.load(Ordering::SeqCst)), said) {
            (seen, true) if seen == books => 0,
            (_, false) => 3,
            _ => 4,
        }
    }

    /// [`in_child`] beside a logger, shut down after.
    fn beside(logger: Logger, guard: WriterGuard, scenario: fn() -> i32) -> Option<i32> {
        let code = in_child(scenario);
        drop(logger);
        guard.shutdown(Duration::from_secs(10)).unwrap();
        code
    }

    /// `logger`'s books (enqueued, written, dropped) and whether its
    /// recent errors say `reason`.
    fn books_saying(logger: &Logger, reason: &str) -> ((u64, u64, u64), bool) {
        let s = logger.stats();
        let said = logger.recent_errors().iter().any(|e| e.contains(reason));
        ((s.enqueued, s.written, s.dropped), said)
    }

    /// A signal handler that forks, run by a signal raised inside a
    /// section of `unless_forked_since` on the section's own thread, runs
    /// once the section is over (it would wait for ever inside it, in
    /// the prepare handler, for the lock its own thread holds): the fork
    /// is done and counted, and the section ran before it, in one process.
    #[test]
    fn a_signal_handler_that_forks_inside_a_section_runs_after_it() {
        fn scenario() -> i32 {
            fork_on(libc::SIGUSR1);
            let before = forks().unwrap();
            let inside = unless_forked_since(before, || {
                // SAFETY: `raise` has no precondition; the handler is set.
                unsafe { libc::raise(libc::SIGUSR1) };
                HANDLER_FORKED.load(Ordering::SeqCst)
            });
            let after = (HANDLER_FORKED.load(Ordering::SeqCst), forks().unwrap());
            match (inside, after) {
                (Some(0), (1, n)) if n == before + 1 => 0,
                (Some(0), _) => 2,
                _ => 3,
            }
        }
        let code = in_child(scenario);
        assert_eq!(code, Some(0), "2: no fork after the section; None: hung");
    }

    /// A signal whose handler forks, arriving while the prepare handler
    /// holds the count of forks across a fork, is handled in the parent
    /// once the fork is done (inside it, the nested fork's prepare handler
    /// would wait for ever for the lock its own thread holds), and not in
    /// the child; each side has its signal mask back.
    #[test]
    fn a_signal_handler_that_forks_during_a_fork_runs_after_it() {
        fn scenario() -> i32 {
            fork_on(libc::SIGUSR2);
            let before = forks().unwrap();
            RAISE_WHEN_HELD.store(libc::SIGUSR2, Ordering::Relaxed);
            // SAFETY: the child only reads atomics and its mask and exits.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                let quiet = HANDLER_FORKED.load(Ordering::SeqCst) == 0;
                // SAFETY: ends the child at once.
                unsafe { libc::_exit(if quiet && !blocked(libc::SIGUSR2) { 0 } else { 4 }) };
            }
            let handled = HANDLER_FORKED.load(Ordering::SeqCst);
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer; `pid` is ours.
            let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
            let child_ok = reaped == pid && libc::WIFEXITED(status) && status == 0;
            match (handled, forks().unwrap() - before, child_ok) {
                _ if blocked(libc::SIGUSR2) => 5,
                (1, 2, true) => 0,
                (1, 2, false) => 4,
                _ => 2,
            }
        }
        let code = in_child(scenario);
        assert_eq!(code, Some(0), "2: no fork after the fork; 4: the child's; None: hung");
    }

    /// Set in the children [`in_child`] forks.
    static IN_CHILD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    /// The logger a [`Copied`] that logs first logs through.
    static COPIED_BY: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();
    /// Lines the [`Copied`] sinks were handed, in this process.
    static LINES: AtomicU64 = AtomicU64::new(0);

    /// The producer a [`Copied`] that logs through a producer first uses.
    static PRODUCER: Mutex<Option<crate::Producer>> = Mutex::new(None);

    /// What a [`Copied`] sink does when a copy of it is made.
    #[derive(Clone, Copy)]
    enum OnCopy {
        /// Logs through [`COPIED_BY`] first.
        LogFirst,
        /// Logs through [`PRODUCER`] first.
        ProducerLogsFirst,
        /// Panics.
        Panic,
        /// Panics in a forked child ([`IN_CHILD`]).
        PanicInChild,
        /// Copies; in a forked child the copy panics when asked for its
        /// styling (at the start of the child's logger).
        StylingPanicsInChild,
    }

    /// Panics without the panic hook: a forked child of this (threaded)
    /// test process may hold the hook's locks (another test printing a
    /// panic's backtrace at the fork), and would wait for them for ever.
    fn no_hook_panic(what: &'static str) -> ! {
        std::panic::resume_unwind(Box::new(what))
    }

    /// A sink that counts the lines it takes and does what it holds when
    /// copied for a forked child.
    struct Copied(OnCopy);

    impl Sink for Copied {
        fn describe(&self) -> String {
            "copied".to_owned()
        }
        fn target(&mut self, _len: usize) -> std::io::Result<crate::Target> {
            Ok(crate::Target::Inline)
        }
        fn styling(&self) -> crate::Styling {
            let asked = matches!(self.0, OnCopy::StylingPanicsInChild);
            if asked && IN_CHILD.load(Ordering::SeqCst) {
                no_hook_panic("no styling today");
            }
            crate::Styling::default()
        }
        fn write_inline(&mut self, batch: &[u8]) -> std::io::Result<()> {
            let lines = batch.iter().filter(|&&b| b == b'\n').count() as u64;
            LINES.fetch_add(lines, Ordering::SeqCst);
            Ok(())
        }
        fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
            match (self.0, IN_CHILD.load(Ordering::SeqCst)) {
                (OnCopy::LogFirst, _) => {
                    if let Some(l) = COPIED_BY.get() {
                        l.log(Level::Info, "t", format_args!("copying the sink"));
                    }
                }
                (OnCopy::ProducerLogsFirst, true) => {
                    if let Some(p) = PRODUCER.try_lock().ok().as_mut().and_then(|p| p.as_mut()) {
                        p.log(Level::Info, "t", format_args!("copying the sink"));
                    }
                }
                (OnCopy::Panic, _) | (OnCopy::PanicInChild, true) => no_hook_panic("no copy today"),
                (OnCopy::PanicInChild | OnCopy::ProducerLogsFirst, false)
                | (OnCopy::StylingPanicsInChild, _) => {}
            }
            Some(Box::new(Copied(self.0)))
        }
    }

    /// In a forked child, a sink copied for the successor that logs
    /// through its own (inherited) logger while the successor starts does
    /// not wait for the start (which it is part of: it waited for ever):
    /// its record is counted enqueued and dropped in the successor, which
    /// says why; the call that started it is written.
    #[test]
    fn a_sink_that_logs_while_copied_for_a_child_is_counted_not_waited_for() {
        let (logger, guard) = built_with(OnCopy::LogFirst, &COPIED_BY);
        fn scenario() -> i32 {
            LINES.store(0, Ordering::SeqCst);
            let logger = COPIED_BY.get().unwrap();
            logger.log(Level::Info, "t", format_args!("in the child"));
            one_nested_drop(logger, (2, 1, 1, 1))
        }
        let code = beside(logger, guard, scenario);
        assert_eq!(code, Some(0), "3: no reason given; 4: other books; None: hung");
    }

    /// The logger whose sink's copy logs through its [`PRODUCER`].
    static PRODUCED: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();

    /// A producer used while a forked child's logger starts, by a sink's
    /// copy, has that record counted dropped (as a logger handle's) and
    /// then moves on to the started logger: its next record is written.
    #[test]
    fn a_producer_used_while_a_childs_logger_starts_moves_on_after() {
        let (logger, guard) = built_with(OnCopy::ProducerLogsFirst, &PRODUCED);
        *PRODUCER.lock().unwrap() = Some(logger.producer());
        fn scenario() -> i32 {
            LINES.store(0, Ordering::SeqCst);
            let logger = PRODUCED.get().unwrap();
            logger.log(Level::Info, "t", format_args!("starts it"));
            let mut p = PRODUCER.lock().unwrap().take().unwrap();
            p.log(Level::Info, "t", format_args!("after"));
            one_nested_drop(logger, (3, 2, 1, 2))
        }
        let code = beside(logger, guard, scenario);
        PRODUCER.lock().unwrap().take();
        assert_eq!(code, Some(0), "3: no reason given; 4: other books; None: hung");
    }

    /// The logger whose sink's copies panic in a forked child.
    static PANICKY: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();
    /// The logger whose sink's copy panics in a forked child's start.
    static PANICKY_START: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();

    /// In a forked child: logs twice through `logger`, the second time
    /// from another thread; 0 when neither call panicked (else 2, 3) and
    /// both were counted dropped (else 5), `reason` said (else 4).
    fn both_dropped(logger: &'static Logger, reason: &str) -> i32 {
        let log = || logger.log(Level::Info, "t", format_args!("in the child"));
        if std::panic::catch_unwind(log).is_err() {
            return 2;
        }
        if std::thread::spawn(log).join().is_err() {
            return 3;
        }
        match books_saying(logger, reason) {
            ((2, 0, 2), true) => 0,
            (_, false) => 4,
            _ => 5,
        }
    }

    /// What [`both_dropped`]'s codes mean.
    const BOTH_DROPPED: &str = "2, 3: a call panicked; 4: no reason; 5: books; None: hung";

    /// In a forked child, a sink whose copy panics while the child's
    /// logger starts (asked for its settings) leaves a logger that counts
    /// every record dropped, and says why: the call that started it
    /// returns, and the next calls, from any thread, are counted dropped
    /// (they waited for ever for a start that never ended).
    #[test]
    fn a_panic_while_a_childs_logger_starts_leaves_it_counting_drops() {
        let (logger, guard) = built_with(OnCopy::StylingPanicsInChild, &PANICKY_START);
        fn scenario() -> i32 {
            let said = "starting the logger in this process panicked";
            both_dropped(PANICKY_START.get().unwrap(), said)
        }
        assert_eq!(beside(logger, guard, scenario), Some(0), "{BOTH_DROPPED}");
    }

    /// A sink whose copy for a forked child panics is left out of what a
    /// child starts again from, as one that cannot be shared, and said
    /// so: `build` (which makes the copy) returns the logger, which
    /// writes (it panicked); in a forked child (which copies the copy), the
    /// call that starts the successor returns, and the next calls, from
    /// any thread, are counted dropped (they waited for ever for a start
    /// that never ended).
    #[test]
    fn a_sink_whose_copy_for_a_child_panics_is_left_out() {
        let (logger, guard) = Logger::builder().sink(Copied(OnCopy::Panic)).build().unwrap();
        logger.log(Level::Info, "t", format_args!("in the parent"));
        let s = guard.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
        let (logger, guard) = built_with(OnCopy::PanicInChild, &PANICKY);
        fn scenario() -> i32 {
            let said = "copied (its copy for a child process panicked)";
            both_dropped(PANICKY.get().unwrap(), said)
        }
        assert_eq!(beside(logger, guard, scenario), Some(0), "{BOTH_DROPPED}");
    }

    /// A claim by another process (a thread of the parent, registering
    /// at the fork) is taken over: that thread is not in this process.
    #[test]
    fn a_claim_inherited_from_the_parent_is_taken_over() {
        let parent = claim_of(std::process::id() + 1, 7);
        let state = AtomicU64::new(parent);
        let mut calls = 0;
        let registered = install_in(&state, || {
            calls += 1;
            0
        });
        assert!(registered.is_ok());
        assert_eq!((calls, state.load(Ordering::Relaxed)), (1, HOOKED));
    }

    /// A claim naming this process but a thread that does not exist (one
    /// inherited from an ancestor that had this pid) is taken over once
    /// past the spins, instead of waited for forever; so is a claim that
    /// is this thread's own.
    #[test]
    fn a_claim_by_a_thread_that_does_not_exist_is_taken_over() {
        // SAFETY: gettid has no preconditions and cannot fail.
        let gone = std::thread::spawn(|| unsafe { libc::gettid() } as u32);
        let gone = gone.join().unwrap();
        for claim in [claim_of(std::process::id(), gone), own_claim()] {
            let state = AtomicU64::new(claim);
            let mut calls = 0;
            let registered = install_in(&state, || {
                calls += 1;
                0
            });
            assert!(registered.is_ok());
            assert_eq!((calls, state.load(Ordering::Relaxed)), (1, HOOKED));
        }
    }

    /// A thread that finds another thread of this process registering
    /// waits for it (past the spins too: that thread exists); when that
    /// one fails, it registers itself.
    #[test]
    fn a_thread_waiting_on_a_failed_registration_registers_itself() {
        let state = AtomicU64::new(own_claim());
        let released = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                install_in(&state, || {
                    assert!(released.load(Ordering::SeqCst), "waited for the claimant");
                    0
                })
                .is_ok()
            });
            // Most likely waiting by then; either way it must register.
            std::thread::sleep(std::time::Duration::from_millis(20));
            // The registering thread's failure.
            released.store(true, Ordering::SeqCst);
            state.store(UNHOOKED, Ordering::Release);
            assert!(waiter.join().unwrap());
        });
        assert_eq!(state.load(Ordering::Relaxed), HOOKED);
    }
}
