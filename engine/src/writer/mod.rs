//! The writer thread: drains every ring, formats, batches, submits.
//!
//! An explicit state machine, one step per loop turn:
//!
//! | state      | does                                                        | next |
//! |------------|-------------------------------------------------------------|------|
//! | `Drain`    | adopt new rings, read every ring but those held back to gather (see `gathering`), submit full batches | `Drain` if it read records, else `Gather` if it held a ring back, else `Dry` |
//! | `Dry`      | submit the partial batch                                    | `Idle` |
//! | `Gather`   | look at the held rings every `gathering::LOOK_EVERY`, spinning, keep I/O going | `Drain` when a ring is due or the held ones went quiet or waited long enough |
//! | `Idle(n)`  | spin, then (when it does not linger) yield, a bounded number of turns | `Drain`, or when out of turns `Linger` (if it lingers) or `Park` |
//! | `Linger`   | re-check, keep timers and I/O going, sleep one short step without registering (see below) | `Drain` on work, `Park` when the linger is over (crash-safe mode: at once while I/O is in flight) |
//! | `Park`     | sleep until notified (see `wake`) or a deadline, unless work showed up; with I/O in flight, until a completion, a notify or the deadline | `Drain` |
//! | `Flush(t)` | read every ring once, submit, wait for all I/O, ack ticket  | `Drain` |
//! | `Sync(t)`  | read every ring once, submit, issue an `fdatasync` per file (acked when they finish) | `Drain` |
//! | `Reopen(r)` | read every ring once, submit, wait for all I/O, reopen every sink's file, ack (see `reopen`) | `Drain` |
//! | `Close`    | stop producers, drain until dry, wait for I/O (final sync with `Durability::Data`), close sinks | exit |
//!
//! Shutdown, flush, sync and reopen requests are checked at the top of every turn.
//! While I/O is in flight (io_uring), `Dry` and `Idle` reap completions
//! without blocking and `Park` waits in `io_uring_enter` for a completion
//! or a producer's notify alike. A submission that finds every I/O slot
//! taken (`io_depth` batches in flight) waits in `io_uring_enter` for a
//! completion, in whatever state it was made; meanwhile
//! `Shared::writer_waits_for_slot` is set and blocked producers park
//! rather than spin for the writer.
//!
//! Out of idle turns, the writer *lingers* first (`wake`'s "Lingering"):
//! until [`WriterConfig::linger`] has passed since it last took a record
//! or served a request, it polls its rings between unregistered sleeps of
//! at most `wake::Linger::STEP_MAX`, so a record logged meanwhile costs its
//! producer no wake-up syscall and is noticed within a step. A sleep that
//! ends without work does not restart the linger.
//!
//! `Park` follows the wake protocol (`crate::wake`): register on
//! `Shared::wake`, re-check rings, new and abandoned rings and requests
//! (reopen signals included: the handler notifies), then sleep. The first
//! record committed afterwards wakes the writer (one `futex` wake per
//! sleep, however long the burst); no record waits for a timeout to be
//! noticed. The sleep has a deadline only for the writer's own timers: the
//! next periodic sync (`Durability::Data`) and the deferred sinks' turns.
//!
//! Deferred sinks (network clients; see the `sink` module docs) are polled
//! after every submission, in `Dry` and before each sleep. While one holds
//! unsettled records and may progress any time, the writer's sleep ends
//! after [`SINK_POLL_INTERVAL`] to poll it again; when each such sink says
//! it can do nothing before some time (`Backlog::idle_until`: waiting to
//! reconnect), the sleep lasts until the earliest of those times (or of the
//! flushes waiting for them), or a notify. While one is full, `Drain` reads
//! no ring (the producers wait under `Block`). A flush is answered when the
//! deferred sinks have settled what it covers, without stopping the writer.

mod append;
mod crash_safe;
mod drain;
mod gathering;
pub(crate) mod durability;
mod o_direct;
mod rings;
pub(crate) mod shape;
pub(crate) mod sinks;

use crate::clock::Converter;
use crate::error::BuildError;
use crate::io::{BackendKind, IoBackend, IoBackendInfo, IoConfig};
use crate::policy::Durability;
use crate::reopen::ReopenSeen;
use crate::shared::{lock, Shared};
use crate::signal::Registration;
use crate::stats::{bump, thread_cpu_ns};
use crate::wake::{EventRef, Linger, WaitKey, Woken};
use gathering::{Gathering, Look, LOOK_EVERY};
use rings::RingSet;
use sinks::SinkSet;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Idle turns spent spinning before yielding.
const IDLE_SPINS: u32 = 64;
/// Idle turns spent yielding before parking, when the writer does not
/// linger (see `idle`).
const IDLE_YIELDS: u32 = 32;
/// How often an idle writer polls a deferred sink that holds records and
/// cannot say when it will progress (its socket is not part of the
/// writer's wait).
pub(crate) const SINK_POLL_INTERVAL: Duration = Duration::from_millis(1);
const _: () = assert!(IDLE_SPINS > 0 && IDLE_YIELDS > 0);

/// The writer's settings from the builder.
pub(crate) struct WriterConfig {
    pub io: IoConfig,
    /// Records per batch.
    pub batch_size: u64,
    /// Set when the logger reopens its files on a signal.
    pub signal: Option<Registration>,
    /// Crash-safe mode: the directory, and what to write before starting.
    pub crash: Option<crate::crash_safe::CrashStart>,
    /// How long the writer lingers after its last work before it parks.
    pub linger: Linger,
}

/// Starts the writer thread; returns once its I/O backend is open.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    sinks: SinkSet,
    mut cfg: WriterConfig,
) -> Result<(JoinHandle<()>, mpsc::Receiver<()>), BuildError> {
    let crash = cfg.crash.take();
    let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<IoBackendInfo, BuildError>>(1);
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let sh = shared.clone();
    let handle = std::thread::Builder::new()
        .name("uringlog-writer".to_owned())
        .spawn(move || {
            let _done = DoneOnExit(sh.clone(), done_tx);
            let tid = crate::tid::current();
            sh.writer_tid.store(tid, Ordering::Relaxed);
            let (mut io, info) = match crate::io::open(&cfg.io, &sh.backend) {
                Ok(x) => x,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            // `_done` holds `sh` until after the backend is dropped, so the
            // word outlives any wait the backend queued on it.
            io.attach_wake(EventRef::new(sh.clone(), |s: &Shared| &s.wake));
            // Published before the writer runs: `Backend::Auto` may replace
            // it once it has measured.
            sh.backend.set(info.clone());
            // Only io_uring holds batches in flight (`Auto` may choose it).
            let in_flight = match info.kind {
                BackendKind::Pwrite => 0,
                BackendKind::IoUring | BackendKind::Measuring => cfg.io.uring.depth,
            };
            let mut sinks = sinks;
            if let Err(e) = sinks.reserve_buffers(in_flight) {
                let _ = ready_tx.send(Err(e));
                return;
            }
            let mut writer = Writer::new(sh, sinks, io, cfg);
            if let Some(start) = crash {
                if let Err(e) = writer.start_crash_safe(start) {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            }
            let _ = ready_tx.send(Ok(info));
            writer.run();
        })
        .map_err(BuildError::SpawnWriter)?;
    let _ = shared.writer_thread.set(handle.thread().clone());
    match ready_rx.recv() {
        Ok(Ok(_)) => Ok((handle, done_rx)),
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => {
            let _ = handle.join();
            Err(BuildError::SpawnWriter(std::io::Error::other(
                "writer thread exited during start-up",
            )))
        }
    }
}

/// Marks the writer finished however it exits, and wakes flushers and
/// producers waiting for room.
struct DoneOnExit(Arc<Shared>, mpsc::Sender<()>);

impl Drop for DoneOnExit {
    fn drop(&mut self) {
        // Release: pairs with the Acquire loads in `stats()`, `flush()` and
        // a blocked producer's wait.
        self.0.writer_done.store(true, Ordering::Release);
        self.0.release_waiters();
        let _ = self.1.send(());
    }
}

/// The writer's reused per-record buffers.
#[derive(Default)]
pub(crate) struct Buffers {
    /// A record that straddles a ring's wrap point, made contiguous.
    pub straddle: Vec<u8>,
    /// A deferred record's rendered message.
    pub message: Vec<u8>,
}

/// What the loop does next; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Drain,
    Dry,
    Gather,
    Idle(u32),
    Linger,
    Park,
    Flush(u64),
    Sync(u64),
    Reopen(ReopenSeen),
    Close,
}

struct Writer {
    shared: Arc<Shared>,
    rings: RingSet,
    sinks: SinkSet,
    io: Box<dyn IoBackend>,
    /// Reused per-record buffers.
    bufs: Buffers,
    clock: Converter,
    batch_size: u64,
    /// Highest flush ticket completed.
    flush_done: u64,
    /// Highest `flush_sync` ticket whose syncs were issued.
    sync_started: u64,
    /// Drain passes read every ring to the end even when a deferred sink
    /// is full (flush and shutdown); otherwise they stop at a full sink.
    drain_all: bool,
    /// Reopen requests acted on.
    reopened: ReopenSeen,
    /// The reopen signal's registration, let go when the writer ends (the
    /// logger's handles hold the handler too: see `lifecycle`).
    signal: Option<Registration>,
    /// The writer's own rings are held back (see the feedback rule in `drain`).
    own_held: bool,
    /// Crash-safe mode's commits (see `crash_safe::keeper`).
    keeper: Option<std::sync::Arc<std::sync::Mutex<crate::crash_safe::keeper::Keeper>>>,
    /// How long to linger after the last work (see the module docs).
    linger: Linger,
    /// When the writer last took a record or served a request: set in
    /// `Dry` when `worked`, and at start.
    last_work: Instant,
    /// A drain pass took records or a request was served since `Dry`.
    worked: bool,
    /// The rings held back to gather (see `gathering`).
    gathering: Gathering,
    /// When `Gather` looks at the held rings next.
    next_look: Instant,
}

impl Writer {
    fn new(
        shared: Arc<Shared>,
        sinks: SinkSet,
        io: Box<dyn IoBackend>,
        cfg: WriterConfig,
    ) -> Writer {
        let clock = shared.hot.clock.converter();
        Writer {
            rings: RingSet::default(),
            sinks,
            io,
            bufs: Buffers::default(),
            clock,
            batch_size: cfg.batch_size,
            flush_done: 0,
            sync_started: 0,
            drain_all: false,
            own_held: false,
            reopened: ReopenSeen::start(cfg.signal.as_ref()),
            signal: cfg.signal,
            keeper: None,
            linger: cfg.linger,
            last_work: Instant::now(),
            worked: false,
            gathering: Gathering::default(),
            next_look: Instant::now(),
            shared,
        }
    }

    fn run(mut self) {
        let mut state = State::Drain;
        loop {
            state = self.control().unwrap_or(state);
            state = match state {
                State::Drain if self.sinks.any_full() => State::Dry,
                State::Drain => {
                    self.rings.adopt(&self.shared, false);
                    let taken = self.drain_pass(false);
                    if taken.others + taken.own > 0 {
                        self.worked = true;
                        State::Drain
                    } else if self.gathering.is_on() && !self.sinks.any_full() {
                        // The partial batch waits for what is gathered
                        // (a bounded wait): no small write meanwhile.
                        State::Gather
                    } else {
                        State::Dry
                    }
                }
                State::Dry => {
                    if std::mem::take(&mut self.worked) {
                        self.last_work = Instant::now();
                    }
                    if self.sinks.pending_records() > 0 {
                        self.sinks.submit_all(self.io.as_mut(), &self.shared);
                    }
                    self.sinks.poll(self.io.as_mut(), &self.shared);
                    State::Idle(0)
                }
                State::Gather => self.gather(),
                State::Idle(n) => self.idle(n),
                State::Linger => self.linger(),
                State::Park => {
                    self.park();
                    State::Drain
                }
                State::Flush(ticket) => {
                    self.flush(ticket);
                    self.worked = true;
                    State::Drain
                }
                State::Sync(ticket) => {
                    self.sync(ticket);
                    self.worked = true;
                    State::Drain
                }
                State::Reopen(requests) => {
                    self.reopen(requests);
                    self.worked = true;
                    State::Drain
                }
                State::Close => {
                    self.close();
                    return;
                }
            };
            self.crash_commit();
        }
    }

    /// A shutdown, reopen, flush or sync request overrides the current state.
    fn control(&self) -> Option<State> {
        if self.shared.is_closed() {
            return Some(State::Close);
        }
        if let Some(requests) = self.reopened.newer(&self.shared, self.signal.as_ref()) {
            return Some(State::Reopen(requests));
        }
        // Acquire: pairs with the flusher's fetch_add, so every record
        // committed before the flush call is visible to the next read.
        let req = self.shared.flush.requested.load(Ordering::Acquire);
        if req > self.flush_done {
            return Some(State::Flush(req));
        }
        // Acquire: pairs with `flush_sync`'s fetch_add, as above.
        let req = self.shared.flush.sync_requested.load(Ordering::Acquire);
        (req > self.sync_started).then_some(State::Sync(req))
    }

    /// One turn of gathering (see `gathering`): spins, and every
    /// [`LOOK_EVERY`] looks at the rings (their `tail`s only) to decide
    /// whether a pass would read now. Never sleeps: requests are checked
    /// at the top of each turn, and the wait ends within the gathering's
    /// bound.
    fn gather(&mut self) -> State {
        if self.io.in_flight() > 0 {
            self.sinks.poll(self.io.as_mut(), &self.shared);
        }
        let now = Instant::now();
        if now < self.next_look {
            std::hint::spin_loop();
            return State::Gather;
        }
        self.next_look = now + LOOK_EVERY;
        let (held, due) = self.rings.look(!self.own_held);
        let due = due
            || self.shared.new_rings.load(Ordering::Relaxed)
            || self.rings.any_abandoned(!self.own_held);
        match self.gathering.look(held, due, now) {
            Look::Read => State::Drain,
            Look::Wait => State::Gather,
        }
    }

    fn idle(&mut self, n: u32) -> State {
        if n < IDLE_SPINS {
            std::hint::spin_loop();
        } else if n < IDLE_SPINS + IDLE_YIELDS && !self.linger.is_on() {
            // Yields only where nothing else bridges a short gap: under
            // load a yield hands the CPU to another task for a whole
            // slice, while a lingering sleep ends with the timer.
            std::thread::yield_now();
        } else {
            return self.linger();
        }
        if self.io.in_flight() > 0 {
            self.sinks.poll(self.io.as_mut(), &self.shared);
        }
        if self.readable() || self.shared.new_rings.load(Ordering::Relaxed) {
            State::Drain
        } else {
            State::Idle(n + 1)
        }
    }

    /// One lingering step: work ends it; otherwise the periodic sync and
    /// in-flight I/O are served and the writer sleeps one step without
    /// registering, or parks once the linger is over.
    fn linger(&mut self) -> State {
        if self.has_work() {
            return State::Drain;
        }
        if self.keeper.is_some() && self.io.in_flight() > 0 {
            // Crash-safe: the next commit waits for the I/O in flight, and
            // a producer whose ring is full for that commit (ring space
            // returns only then), so a lingering step would hold both up
            // past the completion: wait for the completion itself.
            return State::Park;
        }
        self.sinks.sync_if_due(self.io.as_mut(), &self.shared);
        self.sinks.poll(self.io.as_mut(), &self.shared);
        match self.linger.next_sleep(self.last_work, Instant::now()) {
            Some(step) => {
                bump(&self.shared.counters.linger_sleeps);
                self.linger.sleep(step);
                State::Linger
            }
            None => State::Park,
        }
    }

    /// Whether a ring has records the writer would take now (none while
    /// a deferred sink is full).
    fn readable(&self) -> bool {
        self.rings.any_readable(!self.own_held) && !self.sinks.any_full()
    }

    /// Sleeps until a producer, a flusher, a reopen request or signal or
    /// shutdown notifies, or (with I/O in flight) a completion arrives, or
    /// one of the writer's own deadlines comes (see [`Writer::deadline`]).
    fn park(&mut self) {
        // Idle with unsynced bytes: `sync_interval_ms` still holds.
        self.sinks.sync_if_due(self.io.as_mut(), &self.shared);
        if self.sinks.any_unsettled() {
            self.sinks.settle(&self.shared, Duration::ZERO);
        }
        let wake = &self.shared.wake;
        let key = wake.prepare_wait();
        // The re-check: everything a notifier publishes before notifying.
        if self.has_work() {
            wake.cancel(key);
            return;
        }
        let deadline = self.deadline(key);
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        // Blocked producers stop spinning for a writer that sleeps.
        self.shared.writer_cpu.asleep();
        wake.mark_committed(true);
        let io_waited = self.io.in_flight() > 0
            && self
                .sinks
                .wait_some(self.io.as_mut(), &self.shared, key, timeout);
        if io_waited {
            // A completion, a notify or the deadline ended it; withdraw
            // (nothing to do if a notify claimed the registration).
            wake.cancel(key);
        } else {
            let _: Woken = wake.commit_wait(key, deadline);
        }
        wake.mark_committed(false);
    }

    /// When a sleeping writer must look again though nobody notified it:
    /// the next periodic sync, a deferred sink's next turn (see the module
    /// docs), or the bound of a wait the protocol cannot vouch for.
    fn deadline(&self, key: WaitKey) -> Option<Instant> {
        let now = Instant::now();
        let sinks = match self.sinks.quiet_until() {
            None => Some(now + SINK_POLL_INTERVAL),
            Some(until) => until,
        };
        [
            self.sinks.next_sync_due(),
            sinks,
            key.bound().map(|b| now + b),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether a drain pass or a request has something to do: the writer's
    /// re-check before sleeping.
    fn has_work(&self) -> bool {
        self.readable()
            || self.rings.any_abandoned(!self.own_held)
            || self.shared.new_rings.load(Ordering::Relaxed)
            || self.control().is_some()
    }

    /// Reads every ring, new ones included, and submits what it took:
    /// everything committed before the call is handed to the backend (or
    /// to a deferred sink, even a full one).
    fn submit_everything(&mut self) {
        self.rings.adopt(&self.shared, true);
        self.drain_all = true;
        self.drain_pass(true);
        self.drain_all = false;
        self.sinks.submit_all(self.io.as_mut(), &self.shared);
    }

    /// Completes flush `ticket`: everything committed before it is
    /// written, or settled by the deferred sinks (answered when they have).
    /// A deferred sink that stays full fails the flush without draining.
    fn flush(&mut self, ticket: u64) {
        let room = self.sinks.wait_for_room(&self.shared);
        if room {
            self.submit_everything();
            self.sinks.wait_all(self.io.as_mut(), &self.shared);
            // Crash-safe: the ring files' space of what was written comes
            // back before the flush returns, as a ring in memory's does
            // (released as it is read): a `DropNewest` call right after
            // the flush finds its ring empty, not full of written records.
            self.crash_commit();
        }
        self.flush_done = ticket;
        self.store_cpu();
        let answer = sinks::Answer::Flush(ticket);
        self.sinks.barrier(answer, &self.shared, room);
    }

    /// Starts `flush_sync` ticket `ticket`: everything committed before it
    /// is submitted, then every file is synced once its writes finished.
    /// The ticket is acknowledged when the syncs finish and the deferred
    /// sinks settled what they held, as for a flush (which a deferred sink
    /// that stays full fails without draining); the writer goes on.
    fn sync(&mut self, ticket: u64) {
        let room = self.sinks.wait_for_room(&self.shared);
        if room {
            self.submit_everything();
        }
        if self.keeper.is_some() {
            // Crash-safe: committed before the syncs are issued, so before
            // the ticket is acknowledged, as `flush` does: the ring files'
            // space of what was written is back when `flush_sync` returns.
            self.sinks.wait_all(self.io.as_mut(), &self.shared);
            self.crash_commit();
        }
        self.start_sync(ticket, room);
    }

    /// Issues the syncs of ticket `ticket` for what was submitted; with
    /// `settle`, the ticket also waits for the deferred sinks.
    fn start_sync(&mut self, ticket: u64, settle: bool) {
        self.sinks
            .request_sync(self.io.as_mut(), &self.shared, ticket, settle);
        self.sync_started = ticket;
        self.store_cpu();
    }

    /// Carries out the reopen `requests` (see `reopen`): records committed
    /// before them go to the old files, then every sink reopens.
    fn reopen(&mut self, requests: ReopenSeen) {
        self.submit_everything();
        let failed = self.sinks.reopen_all(self.io.as_mut(), &self.shared);
        let f = &self.shared.flush;
        // Only a reopen that carries out a ticket is a caller's to report
        // (see `Logger::reopen`); one for a signal alone is counted in
        // `errors` and reported, as every failure is.
        if requests.ticket != self.reopened.ticket {
            // What the waiting call returns (it takes it once the ticket
            // is acknowledged).
            *lock(&f.reopen_result) = failed;
        }
        self.reopened = requests;
        requests.acknowledge(&self.shared);
        self.store_cpu();
    }

    /// Records the writer counted dropped so far.
    fn dropped(&self) -> u64 {
        // Relaxed: only the writer adds to its counters.
        self.shared.counters.dropped.load(Ordering::Relaxed)
    }

    fn store_cpu(&self) {
        let k = &self.shared.counters;
        k.writer_cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
    }

    fn ack_flush(&self, ticket: u64) {
        let f = &self.shared.flush;
        f.ack(&f.done, ticket);
    }

    /// Drains until dry, writes, closes the sinks, leaves the rings behind.
    fn close(&mut self) {
        // Flushes requested before the final drain are covered by it; later
        // ones — and all of them if shutdown gave up — are answered
        // `ShutDown` once the writer is done.
        let covered = self.shared.flush.requested.load(Ordering::Acquire);
        self.rings.adopt(&self.shared, true);
        self.drain_all = true;
        let mut dry_passes = 0;
        // Only other threads' rings decide when the rings are dry: a sink
        // logging on every write would keep the writer's own ring busy.
        while dry_passes < 2 && !self.shared.gave_up() {
            if self.drain_pass(true).others == 0 {
                dry_passes += 1;
                std::thread::yield_now();
                self.rings.adopt(&self.shared, true);
            } else {
                dry_passes = 0;
            }
        }
        let asked = self.shared.flush.sync_requested.load(Ordering::Acquire);
        let (gave_up, keep) = if self.shared.gave_up() {
            // Shutdown's timeout expired: what deferred sinks hold and what
            // is gathered or in flight (cancelled) is counted dropped, what
            // is left in the rings by `stats()`. What is in flight is
            // accounted as any completion is (failures reported, failed
            // appends cut back), not silently as after a panic.
            self.sinks.drop_unsettled(&self.shared);
            self.sinks.wait_all(self.io.as_mut(), &self.shared);
            self.sinks.abandon(self.io.as_mut(), &self.shared);
            self.sinks.close(&self.shared);
            (true, true)
        } else {
            let before = self.dropped();
            self.final_writes(asked);
            self.sinks.close(&self.shared);
            self.sinks.drop_unsettled(&self.shared);
            // Asked again: shutdown may have given up during the final
            // writes (a sink that does not drain), cancelling them.
            (self.shared.gave_up(), self.dropped() > before)
        };
        // The directory keeps what was read since the last commit when any
        // of it may not have reached the sinks: shutdown gave up before the
        // final writes (rings not drained dry, batches abandoned), or these
        // dropped records (cancelled by the give-up, failed, left unsettled
        // by a deferred sink). The next logger built on it writes them (a
        // file cut back to its committed length first; other sinks may
        // get some twice). Else every record read reached its sinks —
        // a give-up that came after (a slow `close`) cancelled nothing —
        // and the directory is emptied, so no next start writes them again.
        if keep {
            // Removed, they were lost: counted dropped, never written.
            self.crash_leave();
        } else {
            self.crash_finish();
        }
        self.store_cpu();
        self.leave_rings();
        if !gave_up {
            self.ack_flush(covered);
            let f = &self.shared.flush;
            f.ack(&f.sync_done, asked);
        }
    }

    /// Close's last writes: the gathered batches, the syncs asked for (or a
    /// final one with `Durability::Data`), every completion, and what the
    /// deferred sinks settle before the shutdown deadline.
    fn final_writes(&mut self, asked: u64) {
        self.sinks.submit_all(self.io.as_mut(), &self.shared);
        if asked > self.sync_started {
            // Not `sync`: no commit here, close decides what the
            // directory keeps once the final writes completed.
            self.submit_everything();
            // The ticket waits, as any does, for the deferred sinks to
            // settle what they hold (below, until the deadline), not only
            // for the files' syncs: else it is answered `Ok` before they
            // drop what they never settle. Close answers it at the end.
            self.start_sync(asked, true);
        } else if self.sinks.durability() == Durability::Data {
            let io = self.io.as_mut();
            self.sinks
                .request_sync(io, &self.shared, durability::PERIODIC, false);
        }
        self.sinks.wait_all(self.io.as_mut(), &self.shared);
        let deadline = self.shared.settle_deadline();
        self.sinks.settle_until(&self.shared, deadline);
    }

    /// Hands every ring to the registry's orphans: what producers still
    /// push is counted dropped by `stats()`.
    fn leave_rings(&mut self) {
        let mut reg = lock(&self.shared.registry);
        let reg = &mut *reg;
        reg.orphans.append(&mut self.rings.rings);
        reg.orphans.append(&mut reg.pending);
    }
}

impl Drop for Writer {
    /// After `close` this finds nothing left. After a panic (a bug, or a
    /// sink that panicked) it keeps the books exact: producers are stopped,
    /// batches in flight are waited for and accounted, records gathered but
    /// not yet written are counted dropped, and the rings
    /// go to the orphans so `stats()` counts what is left in them.
    /// In crash-safe mode the directory is left as a crash leaves it
    /// (what was not committed stays) and unlocked, so that a logger
    /// built on it again in this process recovers that: the handles and
    /// the threads' producers keep the engine, and with it the lock, as
    /// long as they live.
    fn drop(&mut self) {
        self.shared.hot.closed.store(true, Ordering::SeqCst);
        self.sinks.abandon(self.io.as_mut(), &self.shared);
        self.crash_leave();
        self.leave_rings();
    }
}
