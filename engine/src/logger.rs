//! `Logger`: the cheap, cloneable handle every log call goes through.
//!
//! A call finds the calling thread's [`Producer`] for this logger in a
//! thread-local list (registering a new ring on the thread's first call) and
//! logs through it; the producer of the thread's last call is kept aside,
//! so a call through the same logger finds it with one compare. Several loggers may coexist; each thread holds one
//! producer per logger it has used. When the thread exits, its producers are
//! dropped, the writer drains what they left and releases their rings.
//!
//! User code a call runs (`Display`, `Debug`, `FieldValue`, a `tracing`
//! visitor) runs *before* the producer list is borrowed, into the thread's
//! scratch buffer (see `payload`), on every path: the macros (deferred or
//! caller-formatted), [`Logger::log`], the `log` facade and the `tracing`
//! layer. So that code may itself log through any logger on this thread:
//! its record is committed first (it finished first), the outer one after.
//! If it panics, the call is counted enqueued and dropped.

use crate::builder::Builder;
use crate::callsite::CallSite;
use crate::deferred::encode::EncodeArgs;
use crate::error::{FlushError, ReopenError};
use crate::field::Field;
use crate::filter::CallsiteCache;
use crate::io::IoBackendInfo;
use crate::level::Level;
use crate::payload::{fill_payload, format_text};
use crate::producer::{measure, release_if_huge, Producer};
use crate::record::{Location, RecordKind};
use crate::shared::{deadline_after, lock, Shared};
use crate::stats::Stats;
use crate::sync_mode::SyncWriter;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicPtr, AtomicU64};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a thread keeps for logging through `Logger` handles.
struct Local {
    /// This thread's producers, one per logger it has logged through.
    /// Borrowed only to commit a filled record or register a producer:
    /// never while user code runs, except a sync-mode sink's.
    producers: RefCell<Vec<Producer>>,
    /// The buffer a call's user code fills, taken out while it runs (a
    /// nested call fills a fresh one).
    scratch: Cell<Vec<u8>>,
}

impl Drop for Local {
    fn drop(&mut self) {
        // The producers go with the list: the cache must not point at them.
        // (`RECENT` has no destructor: it is always there.)
        RECENT.with(|r| r.forget());
    }
}

/// The producer a thread's last call used, so that the next call through
/// the same logger finds it with one compare. It has no destructor, so
/// reaching it costs no lazy-registration check (`Local` has one).
struct Recent {
    /// The `Shared` of the logger whose producer `producer` points at;
    /// null when none, [`LENT`] while a call of this thread uses one of
    /// its producers or changes the list.
    key: SignalPtr<Shared>,
    /// Into `Local::producers`, set from the borrowed list. Null with a
    /// null `key`; null or valid with a logger's (null after a fork in
    /// the middle of a call, see [`forget_recent`]): the list changes only in
    /// `Logger::lend_listed` (which says `LENT` from before it borrows
    /// the list, refuses while a producer is lent, and sets `producer`
    /// after any change) or when the list is dropped (which clears both
    /// first).
    producer: SignalPtr<Producer>,
}

/// A pointer of [`RECENT`], which a signal handler on the thread may change
/// between any two instructions of a call: an atomic, read and written
/// `Relaxed` (plain moves), so that the compiler reads it again after a
/// `compiler_fence` instead of reusing a value it read or stored before
/// (which it does with a `Cell`: the thread-local's address never
/// escapes, so it takes no fence to touch it). `replace` is a load and
/// then a store, not one instruction (an `xchg` would cost a locked
/// bus cycle per call).
struct SignalPtr<T>(AtomicPtr<T>);

impl<T> SignalPtr<T> {
    const fn null() -> SignalPtr<T> {
        SignalPtr(AtomicPtr::new(std::ptr::null_mut()))
    }

    #[inline(always)]
    fn get(&self) -> *const T {
        // Relaxed: only this thread (and its signal handlers) uses it.
        self.0.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn set(&self, p: *const T) {
        // Relaxed: as in `get`.
        self.0.store(p.cast_mut(), Ordering::Relaxed);
    }

    #[inline(always)]
    fn replace(&self, p: *const T) -> *const T {
        let old = self.get();
        self.set(p);
        old
    }
}

impl Recent {
    fn forget(&self) {
        self.key.set(std::ptr::null());
        self.producer.set(std::ptr::null_mut());
    }
}

/// [`Recent::key`] while a call uses one of the thread's producers: a call
/// nested in it (a sync-mode sink logging from its write) finds no
/// producer, as when the list is borrowed. No `Shared` lives at this
/// address (it is below the first page).
const LENT: *const Shared = std::ptr::NonNull::<Shared>::dangling().as_ptr();

/// What [`Logger::lend_recent_producer`] found in the cache: this
/// logger's producer, lent to the call (to be given back with
/// [`give_back`]), on the quick route or another; or none.
enum Lent {
    Quick(*mut Producer),
    Slower(*mut Producer),
    No,
}

/// A producer of this thread lent to one call: gives it back to
/// [`RECENT`] (as the most recent) when the call ends or unwinds.
struct Lend {
    key: *const Shared,
    producer: *mut Producer,
}

impl Lend {
    /// The lent producer.
    #[inline(always)]
    fn producer(&mut self) -> &mut Producer {
        // SAFETY: `producer` points at the lent producer in this thread's
        // list, which does not change while it is lent (the list changes
        // only in `Logger::lend_listed`, which refuses while `RECENT` says
        // `LENT`); nothing else reaches it meanwhile: a nested call finds
        // `LENT`, and so do the list's other users (`ring_released_bytes`).
        unsafe { &mut *self.producer }
    }
}

impl Drop for Lend {
    #[inline(always)]
    fn drop(&mut self) {
        give_back(self.key);
    }
}

/// The key of the logger `producer` logs to.
///
/// # Safety
/// `producer` points at a live producer.
#[inline(always)]
unsafe fn owner(producer: *const Producer) -> *const Shared {
    // SAFETY: the caller's promise.
    Arc::as_ptr(unsafe { &(*producer).shared })
}

/// The key [`RECENT`] is to have again after a call of
/// [`Logger::lend_recent_producer`] that found `found` there and did not
/// take `producer`: a mark as it was; else the key of `producer` (which
/// is `found`'s, unless a signal handler changed both between the call's
/// read of the key and its `LENT`).
#[cold]
fn key_after_miss(found: *const Shared, producer: *const Producer) -> *const Shared {
    match found {
        LENT => found,
        _ if producer.is_null() => std::ptr::null(),
        // SAFETY: with a key (or none) in the cache, `producer` is null
        // or points at a producer of this thread's list.
        _ => unsafe { owner(producer) },
    }
}

/// Gives the producer lent under `key` back to [`RECENT`], as the most
/// recent: one store, no compare. The cache says `LENT` until then (a
/// call nested in this one leaves it so); in a child forked during the
/// call, `forget_recent` emptied its producer, so the key stored here
/// finds none and the next call takes the list.
#[inline(always)]
fn give_back(key: *const Shared) {
    // Compiler-only: the call is done with the producer's ring before a
    // signal handler on this thread can find the producer again.
    std::sync::atomic::compiler_fence(Ordering::SeqCst);
    RECENT.with(|r| r.key.set(key));
}

/// Empties the calling thread's cache of its most recent producer: run by
/// the fork handler in a child (`fork`), where every producer the thread
/// has is inherited, so that a call finding a producer in the cache knows
/// it is this process's without comparing generations. A plain
/// thread-local store (the cache has no destructor): async-signal-safe.
pub(crate) fn forget_recent() {
    let _ = RECENT.try_with(|r| match r.key.get() {
        // A call of this thread forked: it goes on with the parent's
        // producer until it ends, a call nested in it still refused
        // (`LENT`); its give-back then stores a key without a producer,
        // which no call takes.
        LENT => r.producer.set(std::ptr::null()),
        _ => r.forget(),
    });
}

/// In a child forked while [`Logger::lend_listed`] changed the list (a
/// sink's copy for a child, dropped with the last producer of its logger,
/// forking; a signal handler forking): the call goes on with the
/// parent's producer, as in any call that forked, but the cache must not
/// keep it, or the child's later calls would write into the parent's ring
/// there. `forget_recent` ran before the producer was stored: its
/// give-back stores the key over a null producer, as after a fork later
/// in the call.
#[cold]
#[inline(never)]
fn forked_while_listed() {
    RECENT.with(|r| r.producer.set(std::ptr::null()));
}

/// Empties [`RECENT`] when dropped, which [`Logger::lend_listed`] lets
/// happen on its ways out without a producer (the thread exiting, the
/// list borrowed, unwinding): the list may have changed, so the cache
/// must not point into it.
struct Unlisted;

impl Drop for Unlisted {
    fn drop(&mut self) {
        RECENT.with(|r| r.forget());
    }
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            producers: RefCell::new(Vec::new()),
            scratch: Cell::new(Vec::new()),
        }
    };
    static RECENT: Recent = const {
        Recent {
            key: SignalPtr::null(),
            producer: SignalPtr::null(),
        }
    };
}

/// A handle to a logger: `Clone + Send + Sync`, cheap to clone.
///
/// Log with the macros: `uringlog::info!(logger, "id={}", 42)`.
///
/// The writer runs while the [`WriterGuard`](crate::WriterGuard) or any
/// handle lives: when the guard was dropped first, dropping the last
/// handle drains and stops it (waiting up to
/// [`DROP_SHUTDOWN_TIMEOUT`](crate::DROP_SHUTDOWN_TIMEOUT)).
///
/// ```
/// use std::time::Duration;
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
///
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let worker = logger.clone(); // one handle per thread, cheap
/// std::thread::spawn(move || uringlog::info!(worker, target: "job", "id={}", 7))
///     .join()
///     .unwrap();
/// logger.log(Level::Warn, "job", format_args!("pre-formatted"));
/// logger.flush()?; // every record logged before it is written
/// assert_eq!(out.text(), "INFO  job: id=7\nWARN  job: pre-formatted\n");
/// assert_eq!(logger.stats().written, 2);
/// guard.shutdown(Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Logger {
    pub(crate) shared: Arc<Shared>,
    /// Sync mode's caller-side writer (`None` in async mode).
    pub(crate) sync_writer: Option<Arc<SyncWriter>>,
    /// Counted in the logger's lifecycle (keeps a dropped guard's writer
    /// running). False for the handles front ends keep (`log` facade,
    /// `tracing` layer and writer), which live as long as the process.
    counted: bool,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("level", &self.level())
            .field("policy", &self.shared.policy)
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

impl Clone for Logger {
    fn clone(&self) -> Logger {
        let mut l = Logger::from_shared(self.shared.clone(), self.sync_writer.clone());
        if !self.counted {
            l.make_uncounted();
        }
        l
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        if self.counted {
            self.shared.lifecycle.handle_dropped();
        }
    }
}

impl Logger {
    /// A handle on `shared`.
    pub(crate) fn from_shared(shared: Arc<Shared>, sync_writer: Option<Arc<SyncWriter>>) -> Logger {
        shared.lifecycle.handle_created();
        Logger {
            shared,
            sync_writer,
            counted: true,
        }
    }

    /// A handle for a front end that keeps it for good (a global
    /// subscriber or the `log` facade): it does not keep a dropped guard's
    /// writer running, so dropping the user's last handle still drains.
    pub(crate) fn uncounted(&self) -> Logger {
        let mut l = self.clone();
        l.make_uncounted();
        l
    }

    fn make_uncounted(&mut self) {
        if std::mem::replace(&mut self.counted, false) {
            self.shared.lifecycle.handle_dropped();
        }
    }

    /// A builder with the defaults listed on [`Builder`].
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Whether a record at `level` may be accepted for some target (one
    /// relaxed load): without target directives, whether it is accepted.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        self.shared.enabled(level)
    }

    /// Whether a record at `level` for `target` is accepted. With target
    /// directives this matches `target` against their prefixes; the macros
    /// use [`Logger::enabled_at`] instead.
    #[inline]
    pub fn enabled_for(&self, level: Level, target: &str) -> bool {
        self.shared.enabled_for(level, target)
    }

    /// [`Logger::enabled_for`] with a call site's cached decision: two
    /// loads and a compare once cached. `target` must be the same on every
    /// call with `cache` (see [`CallsiteCache`]).
    #[inline]
    pub fn enabled_at(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        self.shared.enabled_at(level, target, cache)
    }

    /// The default level: the minimum level of targets no directive names.
    pub fn level(&self) -> Level {
        self.shared.filter.default_level()
    }

    /// Changes the default level, for every handle of this logger and
    /// every front end (the macros, `log::max_level()` when this logger is
    /// the global one, `tracing` callsites).
    ///
    /// Target directives given to [`Builder::filter`] stay: `set_level`
    /// replaces the bare level of the directives (`info` in
    /// `info,hyper=off`), so `hyper` stays off and a target set to `debug`
    /// keeps `debug`. The level never goes below the lowest level any sink
    /// takes (a record no sink wants is not accepted, rather than accepted
    /// and lost).
    pub fn set_level(&self, level: Level) {
        self.set_own_level(level);
        // In a forked child, the successor's level follows too.
        if !self.shared.is_here() {
            if let Some(successor) = self.here_if_started() {
                successor.set_own_level(level);
            }
        }
    }

    fn set_own_level(&self, level: Level) {
        let sh = &self.shared;
        sh.filter.set_default(level, &sh.hot.level);
        sh.front_ends.filter_changed(sh);
    }

    /// The logger serving this process: `self`, or in a forked child the
    /// successor started for it on first use (see `fork`).
    #[inline]
    fn here(&self) -> &Logger {
        if self.shared.is_here() {
            self
        } else {
            self.successor()
        }
    }

    #[cold]
    fn successor(&self) -> &Logger {
        let lineage = &self.shared.lineage;
        &lineage
            .successor(self.level(), self.shared.is_closed())
            .logger
    }

    /// [`Logger::here`] without starting a successor: `None` in a forked
    /// child that has not logged through this logger yet.
    fn here_if_started(&self) -> Option<&Logger> {
        if self.shared.is_here() {
            return Some(self);
        }
        self.shared.lineage.started().map(|s| &s.logger)
    }

    /// Logs one record through the calling thread's producer, if
    /// [`Logger::enabled_for`] accepts it.
    #[inline]
    pub fn log(&self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if self.shared.enabled_for(level, target) {
            self.log_located(level, target, None, args);
        }
    }

    /// Logs one record with structured fields through the calling thread's
    /// producer, if [`Logger::enabled_for`] accepts it.
    #[inline]
    pub fn log_fields(
        &self,
        level: Level,
        target: &str,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        if self.shared.enabled_for(level, target) {
            self.fields_located(level, target, None, fields, args);
        }
    }

    /// The handle itself, borrowed: the macros evaluate their logger
    /// expression once through it (a `Producer` is borrowed mutably).
    #[doc(hidden)]
    #[inline(always)]
    pub fn __by_ref(&self) -> &Logger {
        self
    }

    /// Whether a call at `cs` is accepted: its cached decision when the
    /// call site names its target, else a match of `target` (the macros).
    #[doc(hidden)]
    #[inline]
    pub fn __enabled_at_site(&self, level: Level, cs: &'static CallSite, target: &str) -> bool {
        self.shared.enabled_at_site(level, cs, target)
    }

    /// A deferred call (what the macros expand to, after the level check).
    #[doc(hidden)]
    #[inline]
    pub fn __log_deferred<A: EncodeArgs>(
        &self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) {
        if !A::PREFORMATS {
            // No user code runs: straight into the ring of the thread's
            // most recent producer when it is this logger's and has room.
            // Lent without a `Lend`, whose drop on unwinding would cost
            // the call path a landing pad: nothing in `try_direct` panics
            // (no user code runs there). The quick route is told by the
            // cache's compare of the producer's owner, without a look at
            // its `direct`. Each way gives its own result back (one
            // `Result` of two tries would carry the arguments in memory).
            let key = Arc::as_ptr(&self.shared);
            let args = match self.lend_recent_producer(true) {
                Lent::Quick(p) => {
                    // SAFETY: lent to this call (see `Lend::producer`).
                    let p = unsafe { &mut *p };
                    match p.try_lossless::<A, true>(&self.shared, cs, level, target, args) {
                        Ok(()) => return give_back(key),
                        Err(args) => {
                            give_back(key);
                            args
                        }
                    }
                }
                Lent::Slower(p) => {
                    // SAFETY: as above.
                    let p = unsafe { &mut *p };
                    match p.try_direct(&self.shared, cs, level, target, args) {
                        Ok(()) => return give_back(key),
                        Err(args) => {
                            give_back(key);
                            args
                        }
                    }
                }
                Lent::No => args,
            };
            return self.log_deferred_plain(cs, level, target, args);
        }
        self.log_deferred_preformatted(cs, level, target, args);
    }

    /// [`Logger::__log_deferred`] off its fast path: through the lent
    /// producer, registered on the thread's first call.
    #[inline(never)]
    fn log_deferred_plain<A: EncodeArgs>(
        &self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) {
        self.with_producer(|p| p.log_deferred_here(cs, level, target, args));
    }

    /// [`Logger::__log_deferred`] of arguments some of which are formatted
    /// by user code (see the module docs).
    #[inline(never)]
    fn log_deferred_preformatted<A: EncodeArgs>(
        &self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) {
        let logged = LOCAL
            .try_with(|local| {
                let mut pre = local.scratch.take();
                let here = self.here();
                let values_len = measure(&here.shared, &args, &mut pre);
                // Looked up again: the user code may have forked.
                let l = self.here();
                let logged = l.on_producer(|p| {
                    p.log_measured(cs, level, target, args, Some(&mut pre), values_len)
                });
                release_if_huge(&mut pre, l.shared.ring_capacity);
                local.scratch.set(pre);
                logged
            })
            .unwrap_or(false);
        if !logged {
            self.here().shared.count_lost_call();
        }
    }

    /// [`Logger::log`] after the level check, with the statement's
    /// `(file, line)` (the macros' fallback).
    #[doc(hidden)]
    #[inline]
    pub fn __log_args(
        &self,
        level: Level,
        target: &str,
        at: (&str, u32),
        args: fmt::Arguments<'_>,
    ) {
        self.log_located(level, target, Some(at), args);
    }

    /// A pre-formatted record with an optional `(file, line)`, after the
    /// front end checked the filter (the `log` facade, the macros'
    /// fallback).
    #[inline]
    pub(crate) fn log_located(
        &self,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        args: fmt::Arguments<'_>,
    ) {
        match args.as_str() {
            Some(s) => self.log_bytes(RecordKind::Text, level, target, at, s.as_bytes()),
            None => self.log_encoded(RecordKind::Text, level, target, at, |buf, cap| {
                format_text(buf, args, cap)
            }),
        }
    }

    /// [`Logger::log_fields`] after the level check, with the statement's
    /// `(file, line)` (the macros).
    #[doc(hidden)]
    #[inline]
    pub fn __log_fields(
        &self,
        level: Level,
        target: &str,
        at: (&str, u32),
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        self.fields_located(level, target, Some(at), fields, args);
    }

    /// A record with structured fields and an optional `(file, line)`,
    /// after the level check.
    #[inline]
    fn fields_located(
        &self,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        self.log_encoded(RecordKind::Fields, level, target, at, |buf, cap| {
            crate::field::encode_payload(buf, args, fields, cap)
        });
    }

    /// Logs one record whose payload `fill` writes into the thread's
    /// buffer, capped at `cap` (user code runs there: see the module docs),
    /// after the front end checked the filter.
    #[inline]
    pub(crate) fn log_encoded(
        &self,
        kind: RecordKind,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        fill: impl FnOnce(&mut Vec<u8>, usize),
    ) {
        let logged = LOCAL
            .try_with(|local| {
                let mut buf = local.scratch.take();
                fill_payload(&self.here().shared, &mut buf, fill);
                // Looked up again: the user code may have forked.
                let l = self.here();
                let logged = l.on_producer(|p| p.log_payload(kind, level, target, at, &buf));
                release_if_huge(&mut buf, l.shared.ring_capacity);
                local.scratch.set(buf);
                logged
            })
            .unwrap_or(false);
        if !logged {
            self.here().shared.count_lost_call();
        }
    }

    /// Logs one record whose payload is `payload` as given, after the
    /// front end checked the filter (no user code runs).
    #[inline]
    pub(crate) fn log_bytes(
        &self,
        kind: RecordKind,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        payload: &[u8],
    ) {
        self.with_producer(|p| p.log_payload(kind, level, target, at, payload));
    }

    /// Runs `f` on this thread's producer for [`Logger::here`], registering
    /// one on first use; counts the call dropped when there is none to be
    /// had.
    #[inline]
    fn with_producer(&self, f: impl FnOnce(&mut Producer)) {
        if !self.on_producer(f) {
            self.here().shared.count_lost_call();
        }
    }

    /// Runs `f` on this thread's producer for [`Logger::here`]; false when there
    /// is none to be had: one of the thread's producers is in use (a
    /// sync-mode sink logging from inside its own write), or the thread is
    /// exiting. `f` is called in one place only, so that it is inlined.
    #[inline(always)]
    fn on_producer(&self, f: impl FnOnce(&mut Producer)) -> bool {
        match self.lend() {
            Some(mut lend) => {
                f(lend.producer());
                true
            }
            None => false,
        }
    }

    /// Lends this thread's producer for [`Logger::here`] to one call: the
    /// most recent one after one compare, else through the list.
    ///
    /// A producer found in the cache under this logger's key is this
    /// process's, and this logger is [`Logger::here`]: keys are set only
    /// for loggers `here` returned (through the list), and the fork
    /// handler empties the cache in a child before any call runs there
    /// (`forget_recent`). So the fast path does not compare generations;
    /// a miss does ([`Logger::lend_missed`]).
    #[inline(always)]
    fn lend(&self) -> Option<Lend> {
        match self.lend_recent() {
            Some(lend) => Some(lend),
            None => self.lend_missed(),
        }
    }

    /// [`Logger::lend`]'s fast path: the thread's most recent producer
    /// when it is this logger's, after one compare; `None` otherwise.
    /// While it is lent a call nested in this one (a signal handler that
    /// logs) finds `LENT`, and is counted lost.
    #[inline(always)]
    fn lend_recent(&self) -> Option<Lend> {
        let producer = match self.lend_recent_producer(false) {
            Lent::Quick(p) | Lent::Slower(p) => p,
            Lent::No => return None,
        };
        let key = Arc::as_ptr(&self.shared);
        Some(Lend { key, producer })
    }

    /// [`Logger::lend_recent`] without the guard: the caller gives the
    /// producer back with [`give_back`] when done.
    ///
    /// The key is read and `LENT` stored in two instructions: a signal
    /// handler on this thread that logs through another logger between
    /// them makes that logger's producer the cache's, under its key,
    /// which the store then hides. So the producer is taken only when it
    /// is this logger's (else this call, and the thread's later ones
    /// until a miss, would write into the other logger's ring).
    ///
    /// With `ask_quick`, [`Lent::Quick`] when the producer's deferred
    /// calls take `Direct::LosslessQuick`: its `quick_key` is its owner's
    /// key then, so that compare says the route too. Without, never.
    #[inline(always)]
    fn lend_recent_producer(&self, ask_quick: bool) -> Lent {
        let key = Arc::as_ptr(&self.shared);
        RECENT.with(|recent| {
            // Compiler-only (both): the key is read as a handler left it,
            // not taken from the last call's give-back.
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
            let found = recent.key.replace(LENT);
            // A signal handler on this thread sees `LENT` before the call
            // reads the producer and touches its ring.
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
            let producer = recent.producer.get();
            if found == key && !producer.is_null() {
                // SAFETY: `found` is a logger's key, so `producer` is null
                // or points at a producer of this thread's list (see
                // `Recent::producer`), also when a handler changed both
                // since `found` was read.
                if ask_quick && unsafe { Producer::is_quick_for(producer, key) } {
                    return Lent::Quick(producer.cast_mut());
                }
                // SAFETY: as above.
                if unsafe { owner(producer) } == key {
                    return Lent::Slower(producer.cast_mut());
                }
            }
            give_back(key_after_miss(found, producer));
            Lent::No
        })
    }

    /// [`Logger::lend`] when the cache holds another key: in a forked
    /// child calling through a handle from before the fork (a global
    /// logger, say), the cache holds this process's successor's key, so
    /// the successor's own [`Logger::lend`] finds its producer after one
    /// compare; otherwise through the list.
    #[inline(never)]
    fn lend_missed(&self) -> Option<Lend> {
        let here = self.here();
        if !std::ptr::eq(here, self) {
            return here.lend();
        }
        self.lend_listed()
    }

    /// [`Logger::lend`] through the list: finds (or registers) the
    /// producer and makes it the thread's most recent.
    ///
    /// `RECENT` says `LENT` from before the list is borrowed: the list may
    /// change here (a closed logger's producer removed, the others moved,
    /// a new one pushed), so a call nested in this one (a `Drop` run by
    /// the removal, or a signal handler that logs during a registration)
    /// must not reach the producer the cache pointed at: it finds `LENT`
    /// and is counted lost. Any way out without a producer leaves the
    /// cache empty. A signal handler's first call on a thread through a
    /// logger is not async-signal-safe: a registration allocates and
    /// locks.
    #[cold]
    #[inline(never)]
    fn lend_listed(&self) -> Option<Lend> {
        let key = Arc::as_ptr(&self.shared);
        if RECENT.with(|recent| recent.key.replace(LENT)) == LENT {
            return None;
        }
        // Compiler-only: a signal handler on this thread sees `LENT`
        // before any change to the list.
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        let unlisted = Unlisted;
        let lend = LOCAL
            .try_with(|local| {
                let mut list = local.producers.try_borrow_mut().ok()?;
                // Most threads log through one logger: its producer is the first.
                let i = match list.first() {
                    Some(p) if Arc::ptr_eq(&p.shared, &self.shared) => Some(0),
                    _ => list
                        .iter()
                        .position(|p| Arc::ptr_eq(&p.shared, &self.shared)),
                };
                let i = match i {
                    Some(i) => i,
                    None => self.register_local(&mut list),
                };
                // In bounds: `i` indexes the list.
                let producer = list[i..].as_mut_ptr();
                RECENT.with(|recent| recent.producer.set(producer));
                // Compiler-only: a fork from a signal handler after the
                // store empties the cache's producer (`forget_recent`).
                std::sync::atomic::compiler_fence(Ordering::SeqCst);
                if !self.shared.is_here() {
                    forked_while_listed();
                }
                Some(Lend { key, producer })
            })
            .ok()
            .flatten();
        if lend.is_some() {
            std::mem::forget(unlisted);
        }
        lend
    }

    /// Registers this thread's producer for this logger; returns its index.
    #[cold]
    fn register_local(&self, list: &mut Vec<Producer>) -> usize {
        // Release the rings of loggers that have shut down, and those
        // inherited through fork (dropping them takes no lock).
        list.retain(|p| !p.shared.is_closed() && p.shared.is_here());
        list.push(Producer::register(&self.shared, self.sync_writer.as_ref()));
        list.len() - 1
    }

    /// An explicit producer with its own ring, for hot loops that want no
    /// thread-local lookup. Records from it keep their order.
    ///
    /// Its ring is a second one for the thread that logs through it, and
    /// order holds per ring: the writer reads one ring, then the next, so
    /// a record logged through this producer and one logged through the
    /// logger itself (the thread's cached producer) may be written in
    /// either order. Call [`Logger::flush`] at the switch when the order
    /// across the two matters.
    pub fn producer(&self) -> Producer {
        let l = self.here();
        Producer::register(&l.shared, l.sync_writer.as_ref())
    }

    /// Waits until every record logged before the call, from any thread, has
    /// been handed to the kernel (or counted dropped).
    ///
    /// Returns [`FlushError::Io`] when batches failed since the previous
    /// flush returned or while this one waited (each of several flushes
    /// waiting together hears of a failure), [`FlushError::ShutDown`]
    /// after shutdown, and
    /// [`FlushError::OnWriterThread`] at once when called from a sink (on
    /// the writer thread, or in sync mode from inside the sink's write):
    /// the writer cannot wait for itself.
    pub fn flush(&self) -> Result<(), FlushError> {
        self.here_if_started()
            .map_or(Ok(()), |l| l.flush_inner(None))
    }

    /// [`Logger::flush`] that gives up after `timeout`.
    pub fn flush_timeout(&self, timeout: Duration) -> Result<(), FlushError> {
        self.here_if_started()
            .map_or(Ok(()), |l| l.flush_inner(Some(timeout)))
    }

    /// Waits until every record logged before the call, from any thread,
    /// is written *and* made durable: each file sink is `fdatasync`ed after
    /// its writes completed, and deferred sinks settle what they hold as
    /// for a flush. Errors as for [`Logger::flush`], including a failed
    /// sync.
    ///
    /// A failed sync is reported once: the kernel may have dropped the
    /// pages it could not write, and the next sync of the file succeeds
    /// without them, so an `Ok` from a later call says nothing of the
    /// records logged before the call that failed. A file removed (not
    /// renamed) while the logger writes to it takes what was written to it
    /// along, synced or not, until the writer opens the path again (see
    /// [`Logger::reopen`]).
    ///
    /// With io_uring the writer keeps draining while the sync runs in the
    /// kernel; with pwrite the writer thread itself waits for the disk. In
    /// sync mode the calling thread syncs.
    pub fn flush_sync(&self) -> Result<(), FlushError> {
        self.here_if_started()
            .map_or(Ok(()), |l| l.flush_sync_inner(None))
    }

    /// [`Logger::flush_sync`] that gives up after `timeout` (a device that
    /// does not answer holds the writer, and with it every flush, up for
    /// as long as it does not). In sync mode the caller does the work,
    /// and the timeout does not apply.
    pub fn flush_sync_timeout(&self, timeout: Duration) -> Result<(), FlushError> {
        self.here_if_started()
            .map_or(Ok(()), |l| l.flush_sync_inner(Some(timeout)))
    }

    fn flush_sync_inner(&self, timeout: Option<Duration>) -> Result<(), FlushError> {
        let sh = &self.shared;
        let start = self.errors_now();
        if let Some(w) = &self.sync_writer {
            if sh.is_closed() {
                return Err(FlushError::ShutDown);
            }
            w.sync(sh)?;
            return self.io_result(start);
        }
        let f = &sh.flush;
        self.wait_ticket(&f.sync_requested, &f.sync_done, timeout)?;
        self.io_result(start)
    }

    /// Makes every file sink close its file and open its path again
    /// (creating it if it was renamed away or deleted), between two
    /// batches, after every batch in flight to the old files completed.
    /// Returns once done: records logged before the call are in the files
    /// open until now, records logged after it returns go to the reopened
    /// ones. For rename-style rotation: rename the file, then reopen.
    ///
    /// A sink that rotates on its own (`RollingFileSink`) is left alone.
    /// A sink that cannot open its path keeps writing to its old file;
    /// the call then returns [`ReopenError::Failed`] naming the path and
    /// the reason (each failure also counts in `Stats::errors`). Each call
    /// reports its own reopen only: calls from several threads take turns,
    /// and a reopen for the signal alone is no call's. It waits for the
    /// writer, so it is not for a signal handler: a handler that calls it
    /// while its thread is inside `reopen` waits for itself. To reopen on a
    /// signal, use [`crate::Builder::reopen_on_signal`], which does the
    /// same from the writer.
    ///
    /// ```
    /// # use uringlog::{Logger, MemorySink};
    /// # let (sink, _) = MemorySink::new(); // a FileSink in real use
    /// let (logger, guard) = Logger::builder().sink(sink).build()?;
    /// uringlog::info!(logger, "goes to the file about to be renamed");
    /// // std::fs::rename("app.log", "app.log.1")?;
    /// logger.reopen()?;
    /// uringlog::info!(logger, "goes to a new app.log");
    /// # guard.shutdown(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reopen(&self) -> Result<(), ReopenError> {
        // In a forked child that has not logged, nothing is open yet.
        self.here_if_started().map_or(Ok(()), Logger::reopen_here)
    }

    fn reopen_here(&self) -> Result<(), ReopenError> {
        let sh = &self.shared;
        let f = &sh.flush;
        if sh.on_writer_thread() {
            return Err(ReopenError::OnWriterThread);
        }
        let failed = match &self.sync_writer {
            Some(_) if sh.is_closed() => return Err(ReopenError::ShutDown),
            Some(w) => w.reopen(sh)?,
            None => {
                // One call at a time: the result the writer leaves for a
                // ticket (not for a signal alone) is then this call's.
                let _alone = lock(&f.reopen_callers);
                // Timeouts are impossible without one; any error is ShutDown.
                if self
                    .wait_ticket(&f.reopen_requested, &f.reopen_done, None)
                    .is_err()
                {
                    return Err(ReopenError::ShutDown);
                }
                std::mem::take(&mut *lock(&f.reopen_result))
            }
        };
        if failed.sinks == 0 {
            return Ok(());
        }
        Err(ReopenError::Failed {
            sinks: failed.sinks,
            last: failed.last,
        })
    }

    fn flush_inner(&self, timeout: Option<Duration>) -> Result<(), FlushError> {
        let sh = &self.shared;
        let start = self.errors_now();
        if let Some(w) = &self.sync_writer {
            if sh.is_closed() {
                return Err(FlushError::ShutDown);
            }
            w.flush(sh)?;
            return self.io_result(start);
        }
        self.wait_ticket(&sh.flush.requested, &sh.flush.done, timeout)?;
        self.io_result(start)
    }

    /// Takes a ticket from `requested` and waits until `done` reaches it
    /// (`ShutDown` or `Timeout` when it does not).
    fn wait_ticket(
        &self,
        requested: &AtomicU64,
        done: &AtomicU64,
        timeout: Option<Duration>,
    ) -> Result<(), FlushError> {
        let sh = &self.shared;
        if sh.writer_done.load(Ordering::Acquire) {
            return Err(FlushError::ShutDown);
        }
        if sh.on_writer_thread() {
            return Err(FlushError::OnWriterThread);
        }
        // SeqCst: pairs with the writer's Acquire load in `control`; every
        // record this thread (or any thread that synchronised with it)
        // committed before is visible to the writer's next read.
        let ticket = requested.fetch_add(1, Ordering::SeqCst) + 1;
        sh.wake_writer();
        let deadline = timeout.map(|t| deadline_after(Instant::now(), t));
        if !sh.flush.wait(done, ticket, &sh.writer_done, deadline) {
            if sh.writer_done.load(Ordering::Acquire) {
                return Err(FlushError::ShutDown);
            }
            return Err(FlushError::Timeout {
                timeout_ms: timeout.unwrap_or_default().as_millis() as u64,
            });
        }
        Ok(())
    }

    /// `Stats::errors` now, as a flush begins (see `io_result`).
    fn errors_now(&self) -> u64 {
        // Relaxed: a count; the waits order what the writer added since.
        self.shared.counters.errors.load(Ordering::Relaxed)
    }

    /// `Err(Io)` when batches failed since the previous flush returned, or
    /// since `start` (`Stats::errors` when this call began): a failure
    /// counted while the call waited is reported to it even when another
    /// flush, waiting for the same round, returned first and reported it.
    fn io_result(&self, start: u64) -> Result<(), FlushError> {
        let sh = &self.shared;
        let now = sh.counters.errors.load(Ordering::Relaxed);
        // Max: a flush that read an older count cannot move it back, so
        // no failure is reported twice by flushes that began after it.
        let seen = sh.flush.errors_seen.fetch_max(now, Ordering::Relaxed);
        let before = seen.min(start);
        if now > before {
            let last = lock(&sh.recent_errors).last_error.clone();
            return Err(FlushError::Io {
                failed_batches: now - before,
                last,
            });
        }
        Ok(())
    }

    /// The counters now. Once the writer has shut down and every log call
    /// has returned, `written + dropped == enqueued` exactly.
    ///
    /// In a child forked from the logging process they count the child's
    /// own calls only (all zero until it logs); the parent's counters and
    /// unwritten records stay with the parent.
    pub fn stats(&self) -> Stats {
        self.here_if_started()
            .map_or_else(Stats::default, |l| l.shared.stats())
    }

    /// The I/O backend in use and why it was chosen. With `Backend::Auto`
    /// this is [`BackendKind::Measuring`](crate::BackendKind::Measuring)
    /// until the first batches have compared the two backends, then the
    /// one chosen, with the figures it was chosen on.
    pub fn io_backend(&self) -> IoBackendInfo {
        let here = self.here_if_started();
        let info = here.and_then(|l| l.shared.backend.get());
        info.unwrap_or(IoBackendInfo {
            kind: crate::io::BackendKind::Pwrite,
            reason: "not started".to_owned(),
        })
    }

    /// How producers wake a sleeping writer: `membarrier` (the writer pays
    /// a barrier syscall on its way to sleep, a producer only a compiler
    /// fence per record), or a `SeqCst` fence per record where `membarrier`
    /// is refused, with the reason.
    pub fn wake_mechanism(&self) -> &str {
        &self.shared.wake_note
    }

    /// Debug accessor: how often the writer registered to sleep, and how
    /// many wake-up syscalls woke it (each woke one sleep; a burst of
    /// records pays one). The second never exceeds the first.
    ///
    /// In a forked child, those of the writer the child started (zero
    /// until it logs), as [`Logger::stats`].
    #[doc(hidden)]
    pub fn writer_wake_counts(&self) -> (u64, u64) {
        self.here_if_started()
            .map_or((0, 0), |l| l.shared.wake.counts())
    }

    /// Debug accessor: bytes the writer has released from the calling
    /// thread's ring for this logger, ever (`None` before the thread
    /// logged, or when its records do not go to a lossless ring). A
    /// change between two calls means the writer drained that ring in
    /// between: the tail attribution correlates slow calls with it.
    #[doc(hidden)]
    pub fn ring_released_bytes(&self) -> Option<u64> {
        let l = self.here_if_started()?;
        if RECENT.with(|r| r.key.get() == LENT) {
            return None;
        }
        LOCAL
            .try_with(|local| {
                let list = local.producers.try_borrow().ok()?;
                let p = list.iter().find(|p| Arc::ptr_eq(&p.shared, &l.shared))?;
                p.ring_released_bytes()
            })
            .ok()
            .flatten()
    }

    /// Debug accessor: where the memory a log call through this logger on
    /// the calling thread reads and writes lies, by what it is (the
    /// thread-local cache, the producer, its ring's shared counts and next
    /// bytes, the engine's hot line and wake word; not the process's fork
    /// generation, which a call that finds its producer in the cache does
    /// not read, see `Logger::lend`): the pause attribution touches each
    /// part before a call to weigh it. Empty before the thread logged
    /// through this logger (the most recent one it logged through).
    #[doc(hidden)]
    pub fn call_path_addresses(&self) -> Vec<(&'static str, usize)> {
        let key = Arc::as_ptr(&self.shared);
        let p = RECENT.with(|r| (r.key.get() == key).then(|| r.producer.get()));
        let Some(p) = p.filter(|p| !p.is_null()) else {
            return Vec::new();
        };
        let mut v = vec![("thread-local cache", RECENT.with(|r| r as *const Recent as usize))];
        // SAFETY: `key` is this logger's, so `p` points at its producer in
        // this thread's list, which no call uses now (`key` is not `LENT`).
        v.extend(unsafe { &*p }.call_path_addresses());
        v
    }

    /// Debug accessor: how many lingering sleeps the writer took (short
    /// timed sleeps, unregistered, after its last work; see
    /// [`Builder::linger_us`](crate::Builder::linger_us)).
    /// In a forked child, those of the writer the child started.
    #[doc(hidden)]
    pub fn writer_linger_sleeps(&self) -> u64 {
        self.here_if_started().map_or(0, |l| {
            // Relaxed: a statistic.
            let c = &l.shared.counters;
            c.linger_sleeps.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// Debug accessor: whether the writer has registered to sleep, found
    /// nothing to do on its re-check, and no notify has claimed it yet (it
    /// sleeps, or is about to: a record logged now pays the wake-up).
    /// In a forked child, of the writer the child started (none: false).
    #[doc(hidden)]
    pub fn writer_sleeping(&self) -> bool {
        self.here_if_started().is_some_and(|l| {
            let wake = &l.shared.wake;
            wake.any_committed() && wake.waiters() > 0
        })
    }

    /// Debug accessor: whether the writer is blocked waiting for a free
    /// I/O slot (io_uring: `io_depth` batches in flight), for a completion
    /// it waits for itself. In a forked child, of the writer the child
    /// started (none: false).
    #[doc(hidden)]
    pub fn writer_waits_for_slot(&self) -> bool {
        self.here_if_started().is_some_and(|l| {
            // Relaxed: a debug view, ordered with nothing.
            (l.shared.writer_waits_for_slot).load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// Debug accessor: over the live producers' rings, how often a `Block`
    /// producer registered to sleep until its ring had room, and how many
    /// wake-up syscalls woke such sleeps (see `wake`'s "Waking at a
    /// threshold").
    #[doc(hidden)]
    pub fn producer_room_wake_counts(&self) -> (u64, u64) {
        let reg = lock(&self.shared.registry);
        reg.live.iter().fold((0, 0), |(w, k), r| {
            let (waits, wakes) = r.room_counts();
            (w + waits, k + wakes)
        })
    }

    /// Debug accessor: how many `Block` producers have registered to sleep
    /// until their full ring has room and were not woken yet.
    #[doc(hidden)]
    pub fn producers_waiting_for_room(&self) -> u32 {
        let reg = lock(&self.shared.registry);
        reg.live.iter().map(|r| r.room_waiters()).sum()
    }

    /// The most recent I/O error descriptions (oldest first, at most 32),
    /// with the notices of sinks that lost nothing (a connection lost or
    /// re-established), which are not counted in `Stats::errors`.
    pub fn recent_errors(&self) -> Vec<String> {
        self.here_if_started().map_or_else(Vec::new, |l| {
            lock(&l.shared.recent_errors).list.iter().cloned().collect()
        })
    }

    /// Whether shutdown has begun; records logged now are counted dropped.
    pub fn is_shut_down(&self) -> bool {
        self.here_if_started().unwrap_or(self).shared.is_closed()
    }
}
