//! `Backend::Auto` by measurement: the first batches of a logger take turns
//! between pwrite and io_uring, the writer times what each costs it, and the
//! cheaper one per byte writes the rest of the logger's life.
//!
//! Why online and not a calibration at start: a calibration would write to
//! some scratch file (not the sink's file system), with no producers running
//! and no records to format, so it would measure neither what the io-wq
//! worker takes from the other threads nor the overlap of the writer's work
//! with the kernel's copy — which is where io_uring wins or loses. The first
//! batches of the real workload measure both, cost nothing extra (every
//! batch is a real write) and delay nothing: `build()` returns at once.
//!
//! What is measured: the writer thread's wall time per byte while it
//! works with each backend — a turn runs from the writer asking for room
//! for its first batch to asking for room for the first batch after its
//! last, so it holds draining the rings, formatting and writing
//! [`ROUND_BATCHES`] batches, and waiting wherever the backend makes it
//! wait. This is the writer's throughput with that backend: where io_uring
//! lets the writer format while the kernel copies, its turns are shorter;
//! where its io-wq worker competes for the CPUs, they are longer. An
//! io_uring turn ends when its writes have landed: it waits for those still
//! in flight before it is timed (see [`Measured::end_turn`]). A turn in
//! which the writer went idle (more than [`IDLE_GAP`] between two batches,
//! not counting its waits for the backend) measures the producers, not the
//! backend, and is left out.
//!
//! The trial: turns of [`ROUND_BATCHES`] batches, pwrite first, until each
//! backend has [`TRIAL_BATCHES`] batches and [`TRIAL_BYTES`] bytes in busy
//! turns, or until [`TRIAL_WINDOW`] has passed since the first batch: then
//! with at least [`TRIAL_MIN_BATCHES`] batches each it decides on those, and
//! with fewer (a writer idle between most batches, where the backend makes
//! no difference to throughput) it takes pwrite and says so. Switching from io_uring to pwrite
//! first waits for io_uring's writes in flight, so writes stay in order.
//! io_uring is chosen when its time per byte is below pwrite's by more than
//! [`URING_MARGIN`] (a tie goes to pwrite: no io-wq worker, less CPU in
//! all). A ring given up during the trial (`io_uring_enter` failed) hands
//! the rest to pwrite at once. The decision is made once; `Logger::io_backend`
//! quotes the figures.

use super::pwrite::Pwrite;
use super::uring::Uring;
use super::{
    BackendKind, BackendSlot, Cancel, Event, IoBackend, IoBackendInfo, Submission, SyncRequest,
};
use crate::wake::EventRef;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Batches a backend takes in a row before the other gets its turn.
pub(crate) const ROUND_BATCHES: u64 = 4;
/// Batches each backend writes before the trial can end.
pub(crate) const TRIAL_BATCHES: u64 = 16;
/// Bytes each backend writes before the trial can end.
pub(crate) const TRIAL_BYTES: u64 = 4 << 20;
/// After this long, the trial ends with what it has (a slow logger).
pub(crate) const TRIAL_WINDOW: Duration = Duration::from_secs(2);
/// Batches each backend needs before [`TRIAL_WINDOW`] can end the trial.
pub(crate) const TRIAL_MIN_BATCHES: u64 = 4;
/// A gap between two batches longer than this makes a turn idle.
pub(crate) const IDLE_GAP: Duration = Duration::from_millis(1);
/// io_uring must cost less than `1 - URING_MARGIN` of pwrite's time per byte.
pub(crate) const URING_MARGIN: f64 = 0.05;
const _: () = assert!(TRIAL_MIN_BATCHES <= TRIAL_BATCHES && ROUND_BATCHES <= TRIAL_BATCHES);

/// What one backend cost during the trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Batches submitted.
    pub batches: u64,
    /// Bytes submitted.
    pub bytes: u64,
    /// Writer wall time of the busy turns, ns.
    pub ns: u64,
}

impl Tally {
    /// Nanoseconds per byte (0 before any byte).
    pub(crate) fn ns_per_byte(&self) -> f64 {
        if self.bytes == 0 {
            return 0.0;
        }
        self.ns as f64 / self.bytes as f64
    }

    fn describe(&self, name: &str) -> String {
        format!(
            "{name} {:.3} ns/B ({} batches, {:.1} MiB)",
            self.ns_per_byte(),
            self.batches,
            self.bytes as f64 / (1u64 << 20) as f64
        )
    }
}

/// The outcome of the trial once it has enough: the backend and why, with
/// the figures it decided on. `None` while it needs more batches.
/// `elapsed` runs from the first trial batch; `cpus` is only quoted.
pub(crate) fn decide(
    pwrite: &Tally,
    uring: &Tally,
    elapsed: Duration,
    cpus: usize,
) -> Option<(BackendKind, String)> {
    let full = |t: &Tally| t.batches >= TRIAL_BATCHES && t.bytes >= TRIAL_BYTES;
    let some = |t: &Tally| t.batches >= TRIAL_MIN_BATCHES;
    let late = elapsed >= TRIAL_WINDOW;
    let s = if cpus == 1 { "" } else { "s" };
    if late && !(some(pwrite) && some(uring)) {
        let reason = format!(
            "measured too little to compare in {} s on this machine ({cpus} CPU{s}): the writer \
             was idle between most batches (busy batches: pwrite {}, io_uring {}), where the \
             backend does not limit throughput; pwrite needs no io-wq worker",
            TRIAL_WINDOW.as_secs(),
            pwrite.batches,
            uring.batches
        );
        return Some((BackendKind::Pwrite, reason));
    }
    if !(full(pwrite) && full(uring) || late) {
        return None;
    }
    let (p, u) = (pwrite.ns_per_byte(), uring.ns_per_byte());
    let figures = format!(
        "writer time per byte on this machine ({cpus} CPU{s}), busy turns of {ROUND_BATCHES} \
         batches alternating: {}, {}",
        uring.describe("io_uring"),
        pwrite.describe("pwrite"),
    );
    let uring_wins = u < p * (1.0 - URING_MARGIN);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::INFINITY };
    let reason = if uring_wins {
        format!(
            "measured: {figures}: io_uring costs the writer {:.2}x less",
            ratio(p, u)
        )
    } else {
        format!(
            "measured: {figures}: io_uring is not more than {:.0}% cheaper ({:.2}x pwrite's time), \
             and pwrite needs no io-wq worker",
            URING_MARGIN * 100.0,
            ratio(u, p)
        )
    };
    let kind = if uring_wins {
        BackendKind::IoUring
    } else {
        BackendKind::Pwrite
    };
    Some((kind, reason))
}

/// The trial's backend: both backends, the tallies, then the winner.
pub(crate) struct Measured {
    pwrite: Pwrite,
    /// `None` once pwrite has won and io_uring's last writes were reaped.
    uring: Option<Uring>,
    /// Where the next batch goes.
    current: BackendKind,
    /// Batches `current` has taken in this round.
    in_round: u64,
    tallies: [Tally; 2],
    /// The turn in progress: its start, its batches and bytes so far
    /// (`ns` unused), and whether the writer went idle in it.
    turn_start: Option<Instant>,
    turn: Tally,
    turn_idle: bool,
    /// When the writer last got room (after any wait for the backend).
    last_room: Option<Instant>,
    /// When the first trial batch was submitted.
    started: Option<Instant>,
    /// The winner, once decided.
    decided: Option<BackendKind>,
    /// Where the decision is published (`Logger::io_backend`).
    slot: Arc<BackendSlot>,
    cpus: usize,
    /// Appended to the reason: io_uring's setup and where `Auto` came from.
    note: String,
    /// Each turn tallied: its backend and the writes it had in flight then.
    #[cfg(test)]
    closed_in_flight: Vec<(BackendKind, usize)>,
}

impl Measured {
    /// Starts a trial; `note` is appended to every reason. Both backends
    /// stop waiting once `cancel` is set (see `Cancel`).
    pub(crate) fn new(
        uring: Uring,
        cancel: &Cancel,
        slot: Arc<BackendSlot>,
        cpus: usize,
        note: String,
    ) -> Self {
        Measured {
            pwrite: Pwrite::new(cancel.clone()),
            uring: Some(uring),
            current: BackendKind::Pwrite,
            in_round: 0,
            tallies: [Tally::default(); 2],
            turn_start: None,
            turn: Tally::default(),
            turn_idle: false,
            last_room: None,
            started: None,
            decided: None,
            slot,
            cpus,
            note,
            #[cfg(test)]
            closed_in_flight: Vec::new(),
        }
    }

    /// What `io_backend()` says while the trial runs.
    pub(crate) fn measuring_info(note: &str) -> IoBackendInfo {
        IoBackendInfo {
            kind: BackendKind::Measuring,
            reason: format!(
                "measuring: batches alternate between pwrite and io_uring ({ROUND_BATCHES} at a time) \
                 until each has written {TRIAL_BATCHES} batches and {} MiB (or {} s have passed), \
                 then the one that costs the writer less time per byte stays{note}",
                TRIAL_BYTES >> 20,
                TRIAL_WINDOW.as_secs()
            ),
        }
    }

    fn tally(&mut self, kind: BackendKind) -> &mut Tally {
        &mut self.tallies[usize::from(kind == BackendKind::IoUring)]
    }

    /// Runs `f` on the backend `kind` (pwrite once io_uring is gone).
    fn on<R>(&mut self, kind: BackendKind, f: impl FnOnce(&mut dyn IoBackend) -> R) -> R {
        match (kind, self.uring.as_mut()) {
            (BackendKind::IoUring, Some(u)) => f(u),
            _ => f(&mut self.pwrite),
        }
    }

    /// Adds the turn that ends `now` to its backend's tally, unless the
    /// writer went idle in it.
    fn close_turn(&mut self, now: Instant) {
        if let Some(start) = self.turn_start.take() {
            if !self.turn_idle && self.turn.batches > 0 {
                let ns = now.duration_since(start).as_nanos() as u64;
                let (k, turn) = (self.current, self.turn);
                let t = self.tally(k);
                t.batches += turn.batches;
                t.bytes += turn.bytes;
                t.ns += ns;
            }
        }
        self.turn = Tally::default();
        self.turn_idle = false;
    }

    /// Ends the turn at the end of its round and adds it to its backend's
    /// tally. An io_uring turn first waits for its writes in flight: their
    /// time is io_uring's cost. Left out (timed at the last batch's
    /// submission), io_uring's turns were cut short by the writes its io-wq
    /// worker had still to do, which on a machine without a CPU to spare for
    /// the worker it does on the producers' CPU time. On 2 CPUs (one
    /// producer, 2,000,000 lines of ~100 bytes, 50 runs of each build,
    /// alternating) the trial timed that way chose io_uring in 11 runs,
    /// which then wrote 14.1 M lines/s (median) against 17.8 M in those that
    /// chose pwrite; timed with its writes landed, it chose io_uring in 4.
    fn end_turn(&mut self, done: &mut dyn FnMut(Event)) {
        if let (BackendKind::IoUring, Some(u)) = (self.current, self.uring.as_mut()) {
            u.wait_all(done);
        }
        #[cfg(test)]
        self.closed_in_flight.push((self.current, self.in_flight()));
        self.close_turn(Instant::now());
    }

    /// Picks the backend of the next batch: at the end of a turn, closes it
    /// (and decides when the trial has enough), then switches; on a switch
    /// away from io_uring, waits for its writes in flight (in order).
    fn choose_next(&mut self, done: &mut dyn FnMut(Event)) {
        self.give_up_a_broken_ring();
        if self.decided.is_none() && self.in_round >= ROUND_BATCHES {
            self.end_turn(done);
            self.maybe_decide();
        }
        let next = match self.decided {
            Some(k) => k,
            None if self.in_round >= ROUND_BATCHES => match self.current {
                BackendKind::Pwrite => BackendKind::IoUring,
                _ => BackendKind::Pwrite,
            },
            None => self.current,
        };
        if next == self.current {
            if self.in_round >= ROUND_BATCHES {
                self.in_round = 0;
            }
            return;
        }
        if let (BackendKind::IoUring, Some(u)) = (self.current, self.uring.as_mut()) {
            // In order: pwrite's writes start after io_uring's (during the
            // trial `end_turn` waited for them already).
            u.wait_all(done);
        }
        self.current = next;
        self.in_round = 0;
        if self.decided.is_none() {
            self.turn_start = Some(Instant::now());
        }
    }

    /// A ring given up during the trial (`io_uring_enter` failed) writes
    /// by system call: its turns would time pwrite against pwrite, and the
    /// decision would name io_uring for them. pwrite takes the rest, and
    /// says why.
    fn give_up_a_broken_ring(&mut self) {
        let broken = self.uring.as_ref().and_then(|u| u.broken());
        if let (None, Some(errno)) = (self.decided, broken) {
            self.decided = Some(BackendKind::Pwrite);
            let e = std::io::Error::from_raw_os_error(errno);
            self.slot.set(IoBackendInfo {
                kind: BackendKind::Pwrite,
                reason: format!(
                    "io_uring failed during the trial (io_uring_enter: {e}) and was given up: \
                     pwrite writes from here on{}",
                    self.note
                ),
            });
        }
    }

    /// Once pwrite has won, io_uring goes as soon as nothing is in flight
    /// on it (a switch to pwrite waited for its writes and syncs).
    fn release_uring(&mut self) {
        let idle = self.uring.as_ref().is_some_and(|u| u.in_flight() == 0);
        if self.decided == Some(BackendKind::Pwrite) && self.current == BackendKind::Pwrite && idle
        {
            self.uring = None;
        }
    }

    /// At the end of a turn: decides and publishes when the trial has enough.
    fn maybe_decide(&mut self) {
        let elapsed = self.started.map_or(Duration::ZERO, |s| s.elapsed());
        let [p, u] = self.tallies;
        if let Some((kind, reason)) = decide(&p, &u, elapsed, self.cpus) {
            self.decided = Some(kind);
            self.slot.set(IoBackendInfo {
                kind,
                reason: format!("{reason}{}", self.note),
            });
        }
    }
}

impl IoBackend for Measured {
    fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
        if self.decided.is_none() {
            let now = Instant::now();
            if self
                .last_room
                .is_some_and(|l| now.duration_since(l) > IDLE_GAP)
            {
                self.turn_idle = true;
            }
            self.turn_start.get_or_insert(now);
        }
        self.choose_next(done);
        self.release_uring();
        let k = self.current;
        self.on(k, |b| b.make_room(done));
        if self.decided.is_none() {
            // The gap to the next batch starts here: a wait above (for
            // io_uring's writes at the end of its turn, or for a slot) is
            // the backend's cost, in its turn, not the writer gone idle.
            self.last_room = Some(Instant::now());
        }
    }

    fn full(&self) -> bool {
        // Only io_uring holds writes in flight, and only while it is the
        // current backend (a switch away from it waited for them).
        let Some(u) = self.uring.as_ref() else {
            return false;
        };
        if self.current != BackendKind::IoUring {
            return false;
        }
        // `make_room` may switch away from io_uring at the end of its turn
        // (or once pwrite has won), waiting for every write in flight
        // first. A trial that keeps io_uring at this turn's end waits only
        // when it is full: said once too often, a hint.
        let may_leave = match self.decided {
            Some(k) => k != BackendKind::IoUring,
            None => self.in_round >= ROUND_BATCHES,
        };
        (may_leave && u.in_flight() > 0) || u.full()
    }

    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
        let k = self.current;
        if self.decided.is_none() {
            self.started.get_or_insert_with(Instant::now);
            self.turn.batches += 1;
            self.turn.bytes += sub.bytes().len() as u64;
            self.in_round += 1;
        }
        self.on(k, |b| b.submit(sub, done));
    }

    fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event)) {
        let k = self.current;
        self.on(k, |b| b.sync(req, done));
    }

    fn poll(&mut self, done: &mut dyn FnMut(Event)) {
        if let Some(u) = self.uring.as_mut() {
            u.poll(done);
        }
    }

    fn attach_wake(&mut self, wake: EventRef) {
        // Only io_uring waits beside writes in flight; pwrite never waits.
        if let Some(u) = self.uring.as_mut() {
            u.attach_wake(wake);
        }
    }

    fn wait_some(
        &mut self,
        futex_value: u32,
        timeout: Option<Duration>,
        done: &mut dyn FnMut(Event),
    ) -> bool {
        match self.uring.as_mut() {
            Some(u) => u.wait_some(futex_value, timeout, done),
            None => false,
        }
    }

    fn wait_all(&mut self, done: &mut dyn FnMut(Event)) {
        if let Some(u) = self.uring.as_mut() {
            u.wait_all(done);
        }
    }

    fn in_flight(&self) -> usize {
        self.uring.as_ref().map_or(0, |u| u.in_flight())
    }

    fn reports_in_submit(&self) -> bool {
        self.current == BackendKind::Pwrite && self.in_flight() == 0
    }

    fn submits(&self) -> u64 {
        self.pwrite.submits() + self.uring.as_ref().map_or(0, |u| u.submits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(batches: u64, mib: u64, ns: u64) -> Tally {
        Tally {
            batches,
            bytes: mib << 20,
            ns,
        }
    }

    #[test]
    fn no_decision_before_each_backend_has_its_batches_and_bytes() {
        let full = tally(TRIAL_BATCHES, 4, 1 << 20);
        let short = tally(TRIAL_BATCHES - 1, 4, 1 << 20);
        let small = tally(TRIAL_BATCHES, 3, 1 << 20);
        let soon = Duration::from_millis(10);
        assert_eq!(decide(&full, &short, soon, 2), None);
        assert_eq!(decide(&small, &full, soon, 2), None);
        assert!(decide(&full, &full, soon, 2).is_some());
    }

    #[test]
    fn after_the_window_a_few_batches_each_decide() {
        let few = tally(TRIAL_MIN_BATCHES, 0, 1000);
        assert_eq!(decide(&few, &few, TRIAL_WINDOW / 2, 2), None);
        assert!(decide(&few, &few, TRIAL_WINDOW, 2).is_some());
    }

    #[test]
    fn a_writer_too_idle_to_measure_gets_pwrite_and_is_told_so() {
        let few = tally(TRIAL_MIN_BATCHES, 1, 1000);
        let fewer = tally(TRIAL_MIN_BATCHES - 1, 1, 10);
        assert_eq!(decide(&few, &fewer, TRIAL_WINDOW / 2, 2), None);
        let (kind, why) = decide(&few, &fewer, TRIAL_WINDOW, 2).unwrap();
        assert_eq!(kind, BackendKind::Pwrite);
        assert_eq!(
            why,
            "measured too little to compare in 2 s on this machine (2 CPUs): the writer was \
             idle between most batches (busy batches: pwrite 4, io_uring 3), where the backend \
             does not limit throughput; pwrite needs no io-wq worker"
        );
    }

    #[test]
    fn the_cheaper_backend_wins_and_the_reason_quotes_the_figures() {
        // pwrite 0.200 ns/B, io_uring 0.100 ns/B over 4 MiB each.
        let p = tally(20, 4, 838_861);
        let u = tally(18, 4, 419_430);
        let (kind, why) = decide(&p, &u, Duration::ZERO, 2).unwrap();
        assert_eq!(kind, BackendKind::IoUring);
        assert_eq!(
            why,
            "measured: writer time per byte on this machine (2 CPUs), busy turns of 4 batches \
             alternating: io_uring 0.100 ns/B (18 batches, 4.0 MiB), pwrite 0.200 ns/B \
             (20 batches, 4.0 MiB): io_uring costs the writer 2.00x less"
        );
        let (kind, why) = decide(&u, &p, Duration::ZERO, 1).unwrap();
        assert_eq!(kind, BackendKind::Pwrite);
        assert!(why.contains("(1 CPU)"), "{why}");
        assert!(
            why.ends_with("io_uring is not more than 5% cheaper (2.00x pwrite's time), and pwrite needs no io-wq worker"),
            "{why}"
        );
    }

    #[test]
    fn the_public_docs_quote_these_constants() {
        let doc = include_str!("auto.md");
        for said in [
            format!("{ROUND_BATCHES} at a time"),
            format!("{TRIAL_BATCHES} batches and {} MiB", TRIAL_BYTES >> 20),
            format!("or {} s have passed", TRIAL_WINDOW.as_secs()),
            format!("within {:.0}%", URING_MARGIN * 100.0),
            format!("more than {} ms between", IDLE_GAP.as_millis()),
        ] {
            assert!(doc.contains(&said), "auto.md does not say {said:?}");
        }
    }

    /// A trial on a real io_uring of `depth` slots (`None`, said by
    /// `skip`, where io_uring is unavailable).
    fn measured(depth: usize) -> Option<Measured> {
        let cfg = super::super::uring::UringConfig {
            depth,
            ..Default::default()
        };
        match Uring::open(&cfg, Cancel::default()) {
            Ok(u) => {
                let slot = Arc::new(BackendSlot::default());
                Some(Measured::new(u, &Cancel::default(), slot, 2, String::new()))
            }
            Err(e) => {
                use crate::test_skip::{skip, Needs};
                skip(Needs::IoUring, "io::auto unit test", &e);
                None
            }
        }
    }

    /// A trial on a real io_uring writing to a file: `n` batches of one
    /// line each; what each turn had in flight when it was tallied, and
    /// the file.
    fn trial(n: u64) -> (Vec<(BackendKind, usize)>, String) {
        let Some(mut m) = measured(4) else {
            return (Vec::new(), String::new());
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let fd: super::super::SharedFd = Arc::new(std::fs::File::create(&path).unwrap());
        let mut done = |_: Event| {};
        for k in 0..n {
            m.make_room(&mut done);
            let line = format!("{k:03}\n");
            m.submit(
                Submission {
                    sink: 0,
                    target: super::super::IoTarget::File {
                        fd: fd.clone(),
                        offset: k * 4,
                    },
                    buf: line.into_bytes(),
                    start: 0,
                    records: 1,
                },
                &mut done,
            );
        }
        m.wait_all(&mut done);
        let text = std::fs::read_to_string(&path).unwrap();
        (m.closed_in_flight, text)
    }

    #[test]
    fn an_io_uring_turn_is_timed_once_its_writes_have_landed() {
        let rounds = 4;
        let (closed, text) = trial(rounds * ROUND_BATCHES + 1);
        if closed.is_empty() {
            return; // io_uring unavailable, said by `skip`
        }
        let kinds: Vec<BackendKind> = closed.iter().map(|c| c.0).collect();
        assert_eq!(
            kinds,
            [
                BackendKind::Pwrite,
                BackendKind::IoUring,
                BackendKind::Pwrite,
                BackendKind::IoUring
            ]
        );
        assert!(
            closed.iter().all(|&(_, in_flight)| in_flight == 0),
            "a turn was timed with writes in flight: {closed:?}"
        );
        let want: String = (0..rounds * ROUND_BATCHES + 1)
            .map(|k| format!("{k:03}\n"))
            .collect();
        assert_eq!(text, want);
    }

    /// The wait at the end of an io_uring turn is io_uring's: the gap to
    /// the next batch, which tells whether the writer went idle, starts
    /// once it is over. Counted from before it, a wait longer than
    /// [`IDLE_GAP`] made the next pwrite turn idle, so it was left out.
    #[test]
    fn the_wait_for_io_urings_writes_does_not_make_the_next_turn_idle() {
        let Some(mut m) = measured(8) else {
            return; // io_uring unavailable, said by `skip`
        };
        let mut fds = [0; 2];
        // SAFETY: `fds` is a writable array of two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just opened and are owned here.
        let (mut read, write) = unsafe {
            use std::os::fd::FromRawFd;
            (
                std::fs::File::from_raw_fd(fds[0]),
                std::fs::File::from_raw_fd(fds[1]),
            )
        };
        // SAFETY: a valid pipe descriptor; the size is a plain integer.
        let size = unsafe { libc::fcntl(fds[1], libc::F_SETPIPE_SZ, 4096) };
        assert!(size > 0, "{}", std::io::Error::last_os_error());
        let mut filling = write.try_clone().unwrap();
        let fd: super::super::SharedFd = Arc::new(write);
        let mut done = |_: Event| {};
        let batch = |m: &mut Measured, k: u64, done: &mut dyn FnMut(Event)| {
            m.make_room(done);
            let line = format!("{k:03}\n");
            let target = super::super::IoTarget::Stream { fd: fd.clone() };
            let sub = Submission {
                sink: 0,
                target,
                buf: line.into_bytes(),
                start: 0,
                records: 1,
            };
            m.submit(sub, done);
        };
        for k in 0..ROUND_BATCHES {
            batch(&mut m, k, &mut done);
        }
        // The rest of the pipe, to the brim: io_uring's writes stay in flight.
        let filler = vec![b'f'; size as usize - 4 * ROUND_BATCHES as usize];
        std::io::Write::write_all(&mut filling, &filler).unwrap();
        drop(filling);
        for k in ROUND_BATCHES..2 * ROUND_BATCHES {
            batch(&mut m, k, &mut done);
        }
        assert_eq!(m.in_flight(), ROUND_BATCHES as usize);
        let reader = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let released = Instant::now();
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut read, &mut got).unwrap();
            (released, got)
        });
        // pwrite's turn: its first batch waits for io_uring's writes.
        batch(&mut m, 2 * ROUND_BATCHES, &mut done);
        let after_wait = m.last_room.unwrap();
        for k in 2 * ROUND_BATCHES + 1..3 * ROUND_BATCHES {
            batch(&mut m, k, &mut done);
        }
        drop(fd);
        let (released, got) = reader.join().unwrap();
        // Failed before: the gap ran from before the wait.
        assert!(
            after_wait >= released,
            "the gap to the next batch counts the wait for io_uring's writes"
        );
        let kinds: Vec<BackendKind> = m.closed_in_flight.iter().map(|c| c.0).collect();
        assert_eq!(kinds, [BackendKind::Pwrite, BackendKind::IoUring]);
        let mut want = (0..ROUND_BATCHES).map(|k| format!("{k:03}\n")).collect::<String>();
        want.push_str(&String::from_utf8(filler).unwrap());
        want.extend((ROUND_BATCHES..3 * ROUND_BATCHES).map(|k| format!("{k:03}\n")));
        assert_eq!(String::from_utf8(got).unwrap(), want);
    }

    /// A ring given up during the trial (`io_uring_enter` failed) writes
    /// by system call: its turns would time pwrite against pwrite, and the
    /// decision would name io_uring for them. pwrite is taken at once, and
    /// `io_backend()` says why.
    #[test]
    fn a_ring_given_up_during_the_trial_hands_the_rest_to_pwrite_and_says_why() {
        let Some(mut m) = measured(4) else {
            return; // io_uring unavailable, said by `skip`
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let fd: super::super::SharedFd = Arc::new(std::fs::File::create(&path).unwrap());
        let mut failed = 0;
        let mut done = |e: Event| {
            if let Event::Write(c) = e {
                failed += usize::from(c.error.is_some());
            }
        };
        let n = ROUND_BATCHES + 2 + 3 * ROUND_BATCHES;
        for k in 0..n {
            if k == ROUND_BATCHES + 2 {
                m.wait_all(&mut done);
                m.uring.as_mut().unwrap().fail_enter(libc::EIO);
            }
            m.make_room(&mut done);
            let sub = Submission {
                sink: 0,
                target: super::super::IoTarget::File {
                    fd: fd.clone(),
                    offset: k * 4,
                },
                buf: format!("{k:03}\n").into_bytes(),
                start: 0,
                records: 1,
            };
            m.submit(sub, &mut done);
        }
        m.wait_all(&mut done);
        assert_eq!(failed, 0);
        assert_eq!(m.decided, Some(BackendKind::Pwrite));
        assert!(m.uring.is_none(), "the broken ring is kept");
        let info = m.slot.get().unwrap();
        assert_eq!(info.kind, BackendKind::Pwrite);
        assert_eq!(
            info.reason,
            "io_uring failed during the trial (io_uring_enter: Input/output error (os error 5)) \
             and was given up: pwrite writes from here on"
        );
        let want: String = (0..n).map(|k| format!("{k:03}\n")).collect();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    }

    #[test]
    fn a_tie_within_the_margin_goes_to_pwrite() {
        let p = tally(16, 4, 1_000_000);
        let u = tally(16, 4, 960_000); // 4% cheaper: within the margin
        assert_eq!(
            decide(&p, &u, Duration::ZERO, 4).unwrap().0,
            BackendKind::Pwrite
        );
        let u = tally(16, 4, 940_000); // 6% cheaper
        assert_eq!(
            decide(&p, &u, Duration::ZERO, 4).unwrap().0,
            BackendKind::IoUring
        );
    }
}
