//! Reopen on a signal: an async-signal-safe handler that counts each
//! signal for every logger that asked for it, then chains the handler that
//! was installed before.
//!
//! Signal dispositions are process-wide, so this is the engine's one piece
//! of global state besides the `log` facade, and it exists only once a
//! logger asks for it ([`crate::Builder::reopen_on_signal`]).
//!
//! # The handler
//!
//! It runs on whatever thread the signal interrupts and does only
//! async-signal-safe work: no lock, no allocation, at most one system
//! call per logger (`futex` wake). It adds one to the count of every slot
//! registered for the signal (relaxed atomics in a fixed static table) and
//! notifies that logger's writer (`crate::wake`: the count is the
//! condition the writer re-checks before it sleeps), then calls the
//! previous handler if there was one (`SIG_DFL` and `SIG_IGN` are not
//! called: the logger took the signal over). The writer compares its
//! slot's count with the last it acted on at the top of every turn of its
//! loop, so a signal is acted on before the writer takes further records,
//! and at once when it sleeps: no reopen waits for a timeout.
//!
//! A slot's event count stays valid while the handler may use it: the
//! handler marks the slot busy before it loads the pointer, and dropping
//! the registration clears the pointer, then waits until no handler is
//! busy with the slot (SeqCst on both sides: either the handler sees the
//! pointer cleared, or the drop sees it busy).
//!
//! # Registration
//!
//! Two things are held, apart: a slot, which counts signals for one
//! running logger, and the handler's place in the signal's chain.
//! [`Registration::new`] claims a free slot (at most [`MAX_REGISTRATIONS`]
//! running loggers at once) and a [`Hold`] on the handler; the writer keeps
//! it while it runs. The logger's handles keep a further [`Hold`] only
//! ([`Registration::hold`]), so the handler stays while they live without
//! keeping a slot from the loggers built after a shutdown, nor the logger
//! alive (the registration refers to its writer's event count). The first
//! hold of a signal installs the handler with `sigaction`, keeping the
//! previous action (and so does a later registration that finds the
//! signal's default or `SIG_IGN` in place: see [`Hold`]'s `take`);
//! dropping the last one puts the previous action back —
//! unless someone installed another handler on top since, in which case
//! ours stays (counting for nobody, still chaining). Holds, slots and
//! their drops are serialized by a lock the handler never touches, which
//! a forked child frees (a thread of the parent that held it is gone).
//!
//! Our handler is in a signal's chain at most once. While it stays under
//! another handler (the case above), a later first registration does not
//! install it again: the handler on top most likely chains to ours, and
//! ours on top of it would chain back to it — each calling the other until
//! the stack overflows. The new registration counts through the handler
//! already in the chain; a handler on top that does not chain keeps the
//! signal to itself, as its owner chose. Only when the signal was reset
//! meanwhile (`SIG_DFL` or `SIG_IGN`: nothing can reach ours) is it
//! installed afresh.
//!
//! A forked child frees every slot at the fork ([`forget_inherited`]): the
//! registrations are the parent's loggers', whose writers — and whose event
//! counts, as far as the child is concerned — are not there. The holds it
//! inherited stay, for the child's life: dropping an inherited
//! [`Registration`] or [`Hold`] in the child touches nothing, so the
//! handler the child was forked with is never taken from it (a `SIGHUP`
//! given back to its default would end a child still holding the
//! inherited logger, once the logger it started itself let go of it).

use crate::fork_lock::{ForkLock, ForkLockGuard};
use crate::wake::{EventCount, EventRef};
use std::io;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Loggers that may reopen on a signal at the same time.
pub(crate) const MAX_REGISTRATIONS: usize = 32;
/// Signal numbers are below this (`SIGRTMAX` is 64 on Linux).
const NSIG: usize = 65;

/// One logger's interest in a signal.
struct Slot {
    /// The signal counted here; 0 while the slot is free. Written under
    /// `INSTALL`, read by the handler.
    signo: AtomicI32,
    /// Signals seen; only ever grows (a new owner starts from its value).
    count: AtomicU64,
    /// The event count the handler notifies after counting, or null. Set
    /// before `signo` and cleared under `INSTALL`; kept alive by the
    /// owner's `Registration`.
    wake: AtomicPtr<EventCount>,
    /// Handlers between loading `wake` and finishing with it.
    busy: AtomicU32,
}

/// The disposition a signal had before our handler replaced it.
struct Previous {
    /// `sa_sigaction` (a handler address, `SIG_DFL` or `SIG_IGN`).
    handler: AtomicUsize,
    /// `sa_flags`, for `SA_SIGINFO`.
    flags: AtomicI32,
    /// Holds of this signal ([`Hold`]s, a [`Registration`]'s included).
    /// Only touched under `INSTALL`.
    users: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)] // each array element is its own slot
const FREE_SLOT: Slot = Slot {
    signo: AtomicI32::new(0),
    count: AtomicU64::new(0),
    wake: AtomicPtr::new(std::ptr::null_mut()),
    busy: AtomicU32::new(0),
};
static SLOTS: [Slot; MAX_REGISTRATIONS] = [FREE_SLOT; MAX_REGISTRATIONS];

#[allow(clippy::declare_interior_mutable_const)] // each array element is its own entry
const NO_PREVIOUS: Previous = Previous {
    handler: AtomicUsize::new(libc::SIG_DFL),
    flags: AtomicI32::new(0),
    users: AtomicUsize::new(0),
};
static PREVIOUS: [Previous; NSIG] = [NO_PREVIOUS; NSIG];

/// Serializes holds, slots and their drops; never taken in the handler.
/// Guards, per signal, the full action our handler replaced, restored
/// when the last hold goes. Not a `Mutex`: a thread of the parent that
/// holds it at a fork does not exist in the child, which would wait for
/// it forever; the child's fork handler frees it ([`forget_inherited`]).
/// Held for a few system calls at most, and rarely (build, shutdown, a
/// last handle).
static INSTALL: ForkLock<Kept> = ForkLock::new([const { None }; NSIG]);

/// Per signal, the action our handler replaced (see [`INSTALL`]).
type Kept = [Option<libc::sigaction>; NSIG];

/// [`INSTALL`] held; frees it when dropped.
type Installing = ForkLockGuard<'static, Kept>;

/// Takes [`INSTALL`], waiting while another thread holds it.
fn installing() -> Installing {
    INSTALL.lock()
}

extern "C" fn on_signal(signo: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    for slot in &SLOTS {
        // Acquire: pairs with the Release store in `Registration::new`
        // (the slot's `wake` is set). The count is Relaxed: nothing is
        // published with it; `notify` orders it before the writer's re-check.
        if slot.signo.load(Ordering::Acquire) == signo {
            slot.count.fetch_add(1, Ordering::Relaxed);
            slot.notify();
        }
    }
    let Some(prev) = PREVIOUS.get(signo as usize) else {
        return;
    };
    // Acquire: pairs with the Release stores in `install`, made before
    // our handler was installed.
    let h = prev.handler.load(Ordering::Acquire);
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        return;
    }
    if prev.flags.load(Ordering::Acquire) & libc::SA_SIGINFO != 0 {
        // SAFETY: `h` was the previous `sa_sigaction` installed with
        // SA_SIGINFO, so it has this signature; we pass our own arguments on.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(h) };
        f(signo, info, ctx);
    } else {
        // SAFETY: `h` was the previous `sa_handler` (no SA_SIGINFO), a
        // function taking the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
        f(signo);
    }
}

impl Slot {
    /// Wakes the slot's writer, if it has one (async-signal-safe).
    fn notify(&self) {
        // SeqCst (all four accesses): `Registration::drop` clears `wake`
        // then reads `busy`; we raise `busy` then read `wake`. Either we
        // see null, or the drop sees us busy and waits.
        self.busy.fetch_add(1, Ordering::SeqCst);
        let w = self.wake.load(Ordering::SeqCst);
        if !w.is_null() {
            // SAFETY: non-null `wake` points to an event count kept alive
            // by the slot's `Registration`, which waits for `busy` to drop
            // to zero after clearing it (see above).
            unsafe { (*w).notify() };
        }
        self.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `on_signal` as `sigaction` stores it.
fn handler_address() -> usize {
    on_signal as *const () as usize
}

/// Why a signal cannot be used for reopening.
pub(crate) fn refuse(signo: i32) -> Option<&'static str> {
    match signo {
        s if s <= 0 || s as usize >= NSIG => Some("not a signal number"),
        libc::SIGKILL | libc::SIGSTOP => Some("cannot be caught"),
        libc::SIGSEGV
        | libc::SIGBUS
        | libc::SIGFPE
        | libc::SIGILL
        | libc::SIGTRAP
        | libc::SIGSYS
        | libc::SIGABRT => Some("reports a fault, not a request"),
        _ => None,
    }
}

/// Our handler's place in a signal's chain: the previous disposition
/// comes back when the last hold of the signal is dropped (see the module
/// docs).
pub(crate) struct Hold {
    signo: i32,
    /// The process generation that took it (see `fork`): a forked child
    /// keeps the holds it inherited.
    generation: u64,
}

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hold").field("signo", &self.signo).finish()
    }
}

impl Hold {
    /// Takes a hold on `signo` under `INSTALL` (`lock`), installing
    /// the handler unless it is in the signal's chain (see [`install`]).
    /// Whatever the count of holds says: a signal held may have been given
    /// back its default or `SIG_IGN` since (by a `signal` call; or in a
    /// child forked while another thread of the parent put the previous
    /// action back and installed ours again — `fork` copies the
    /// dispositions before the memory, so the child may hold the count
    /// of after and the disposition of before), and then nothing reaches
    /// the new slot.
    fn take(signo: i32, lock: &mut Installing) -> io::Result<Hold> {
        let prev = &PREVIOUS[signo as usize];
        install(signo, prev, &mut lock[signo as usize])?;
        prev.users.fetch_add(1, Ordering::Relaxed);
        Ok(Hold {
            signo,
            generation: crate::fork::generation(),
        })
    }

    /// Another hold on the same signal (the handler is installed: this
    /// one holds it).
    pub(crate) fn another(&self) -> Hold {
        let _lock = installing();
        let users = &PREVIOUS[self.signo as usize].users;
        debug_assert!(users.load(Ordering::Relaxed) > 0);
        users.fetch_add(1, Ordering::Relaxed);
        Hold {
            signo: self.signo,
            generation: crate::fork::generation(),
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.generation != crate::fork::generation() {
            return; // inherited through fork: the child keeps the handler
        }
        let mut lock = installing();
        let prev = &PREVIOUS[self.signo as usize];
        if prev.users.fetch_sub(1, Ordering::Relaxed) == 1 {
            uninstall(self.signo, &mut lock[self.signo as usize]);
        }
    }
}

/// A running logger's claim on a signal: a slot that counts it, and a
/// hold on the handler; releases both when dropped.
pub(crate) struct Registration {
    slot: usize,
    signo: i32,
    /// The process generation that claimed the slot (see `fork`): in a
    /// forked child the slot was freed at the fork and may be another's.
    generation: u64,
    /// What the handler notifies (the writer's wake), kept alive here.
    _wake: Option<EventRef>,
    /// Dropped after the slot is freed (fields drop after `drop`).
    hold: Hold,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("slot", &self.slot)
            .field("signo", &self.signo)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// Claims a slot for `signo` and a hold on the handler (installed if it
    /// is the signal's first); each signal then notifies `wake` (a
    /// writer's event count; `None` in sync mode). `signo` must pass
    /// [`refuse`].
    pub(crate) fn new(signo: i32, wake: Option<EventRef>) -> io::Result<Registration> {
        debug_assert!(refuse(signo).is_none());
        let mut lock = installing();
        let Some(slot) = SLOTS
            .iter()
            .position(|s| s.signo.load(Ordering::Relaxed) == 0)
        else {
            let msg = format!("{MAX_REGISTRATIONS} running loggers already reopen on signals");
            return Err(io::Error::other(msg));
        };
        let hold = Hold::take(signo, &mut lock)?;
        let ptr = wake
            .as_ref()
            .map_or(std::ptr::null(), EventRef::as_event_ptr);
        // SeqCst: see `Slot::notify`; set before `signo` lets a handler in.
        SLOTS[slot].wake.store(ptr.cast_mut(), Ordering::SeqCst);
        // Release: pairs with the handler's Acquire load of `signo`, so a
        // handler that counts for this slot also sees `wake`.
        SLOTS[slot].signo.store(signo, Ordering::Release);
        Ok(Registration {
            slot,
            signo,
            generation: crate::fork::generation(),
            _wake: wake,
            hold,
        })
    }

    /// A further hold on the handler, for as long as the logger's handles
    /// live (see `lifecycle`).
    pub(crate) fn hold(&self) -> Hold {
        self.hold.another()
    }

    /// Signals counted for this registration so far (compare two reads).
    pub(crate) fn count(&self) -> u64 {
        // Relaxed: see `on_signal`.
        SLOTS[self.slot].count.load(Ordering::Relaxed)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.generation != crate::fork::generation() {
            // Inherited through fork: `forget_inherited` freed the slot in
            // this process, and no handler here points at `_wake` any more.
            return;
        }
        let _lock = installing();
        let slot = &SLOTS[self.slot];
        slot.signo.store(0, Ordering::Relaxed);
        // SeqCst: see `Slot::notify`. A handler that loaded the pointer
        // before it was cleared is busy until it is done with it; only
        // then may `_wake` (dropped after this) free the event count.
        slot.wake.store(std::ptr::null_mut(), Ordering::SeqCst);
        // Yields, then naps (see `fork_lock`): a handler on a thread of
        // lower priority than this one, on this CPU, gets to run and
        // finish even when this thread has a real-time priority.
        crate::fork_lock::wait_while(|| slot.busy.load(Ordering::SeqCst) != 0);
        // `hold` goes next, and with the signal's last one the handler.
    }
}

/// In a forked child, right after the fork (from the `pthread_atfork`
/// child handler, so async-signal-safe: atomics only): every slot belongs
/// to a logger of the parent, whose writer is not in this process — and
/// whose event count the slot points at is the parent's, copied. Each slot
/// is freed: a signal no longer counts for it nor notifies through it, and
/// the child's own loggers (a forked child's successors, or loggers it
/// builds) claim slots afresh. The handler stays installed, with the
/// previous action kept, and the holds inherited stay counted (they are
/// never dropped here): a signal is counted for no one and chained as
/// before, and the child's own loggers find the handler in place.
pub(crate) fn forget_inherited() {
    // A thread that held the lock at the fork is not here to free it. What
    // it was changing is left usable: the slots are freed just below, a
    // hold it took or let go of counts as inherited or not, and `install`
    // and `uninstall` leave ours on top with nothing kept, at worst (ours
    // then stays in this process, chaining to the action in `PREVIOUS`).
    // SAFETY: this is a forked child's handler; the thread that forked
    // holds no `Installing` (nothing done under it forks), or, forking
    // from a signal handler that interrupted it there, drops it before
    // this process takes it again (no signal handler of ours takes it).
    unsafe { INSTALL.free_in_child() };
    for slot in &SLOTS {
        slot.signo.store(0, Ordering::SeqCst);
        slot.wake.store(std::ptr::null_mut(), Ordering::SeqCst);
        // A handler that was running on another thread of the parent does
        // not exist here.
        slot.busy.store(0, Ordering::SeqCst);
    }
}

/// Installs `on_signal` for `signo`, keeping the previous action in `prev`
/// and `kept` — unless our handler is still in the signal's chain (see the
/// module docs), where it is left as it is.
fn install(signo: i32, prev: &Previous, kept: &mut Option<libc::sigaction>) -> io::Result<()> {
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying the current action into a valid sigaction.
    if unsafe { libc::sigaction(signo, std::ptr::null(), &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if old.sa_sigaction == handler_address() {
        // On top already: put back by whoever replaced it, or installed by
        // a thread of the parent this process was forked from, which did
        // not get to keep the action it replaced (`prev` has it).
        return Ok(());
    }
    let reset = old.sa_sigaction == libc::SIG_DFL || old.sa_sigaction == libc::SIG_IGN;
    if kept.is_some() && !reset {
        return Ok(()); // under a handler that most likely chains to it
    }
    // Release: pairs with the handler's Acquire loads; stored before the
    // handler can run.
    prev.handler.store(old.sa_sigaction, Ordering::Release);
    prev.flags.store(old.sa_flags, Ordering::Release);
    // SAFETY: as above, a zeroed sigaction is valid; the fields set below
    // make it our handler with an empty mask.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = handler_address();
    new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
    // SAFETY: `new.sa_mask` is a valid sigset to initialise.
    unsafe { libc::sigemptyset(&mut new.sa_mask) };
    // SAFETY: installs a valid action; `old` receives nothing (null).
    if unsafe { libc::sigaction(signo, &new, std::ptr::null_mut()) } != 0 {
        let e = io::Error::last_os_error();
        *kept = None; // not installed: nothing of ours is in the chain
        return Err(e);
    }
    // Kept once ours is in: a child forked in between (whose copy of
    // `INSTALL` its fork handler frees) finds ours on top and nothing
    // kept, never an action kept that ours does not stand over.
    *kept = Some(old);
    Ok(())
}

/// Puts the previous action (`kept`) back if ours is still the one
/// installed.
fn uninstall(signo: i32, kept: &mut Option<libc::sigaction>) {
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut cur: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying the current action into a valid sigaction.
    if unsafe { libc::sigaction(signo, std::ptr::null(), &mut cur) } != 0 {
        return;
    }
    if cur.sa_sigaction != handler_address() {
        return; // another handler went on top; ours stays and chains
    }
    // Forgotten before it is restored: a child forked in between finds
    // ours on top and nothing kept (as above).
    if let Some(old) = kept.take() {
        // SAFETY: `old` is the action `sigaction` returned at install.
        unsafe { libc::sigaction(signo, &old, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static CHAINED: AtomicU64 = AtomicU64::new(0);

    extern "C" fn counting(_: libc::c_int) {
        CHAINED.fetch_add(1, Ordering::Relaxed);
    }

    fn current(signo: i32) -> usize {
        // SAFETY: as in `uninstall`.
        let mut cur: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: querying into a valid sigaction.
        unsafe { libc::sigaction(signo, std::ptr::null(), &mut cur) };
        cur.sa_sigaction
    }

    #[test]
    fn every_registration_counts_and_the_old_handler_is_chained_then_restored() {
        let sig = libc::SIGUSR2;
        // SAFETY: installs a plain handler that only touches an atomic.
        unsafe { libc::signal(sig, counting as *const () as usize) };
        let a = Registration::new(sig, None).unwrap();
        let b = Registration::new(sig, None).unwrap();
        assert_eq!(current(sig), handler_address());
        let (a0, b0) = (a.count(), b.count());
        // SAFETY: raising a signal whose handler is installed.
        unsafe { libc::raise(sig) };
        assert_eq!((a.count() - a0, b.count() - b0), (1, 1));
        assert_eq!(CHAINED.load(Ordering::Relaxed), 1);
        drop(a);
        assert_eq!(current(sig), handler_address(), "b still registered");
        drop(b);
        assert_eq!(
            current(sig),
            counting as *const () as usize,
            "the old handler is back"
        );
        assert_eq!(refuse(libc::SIGKILL), Some("cannot be caught"));
        assert_eq!(refuse(0), Some("not a signal number"));
        assert_eq!(refuse(libc::SIGHUP), None);
    }

    /// A registration made while the signal is held but its disposition
    /// is the default (reset by a `signal(SIG_DFL)`; or in a child forked
    /// while another thread put the default back and then installed the
    /// handler again: `fork` copies the dispositions before the memory,
    /// so the child holds the count of holds of after and the disposition
    /// of before) installs the handler: nothing else would reach its slot,
    /// and the signal would end the process. The last drop puts the
    /// default back.
    #[test]
    fn a_registration_installs_the_handler_over_a_default_put_back_meanwhile() {
        let sig = libc::SIGPWR;
        let a = Registration::new(sig, None).unwrap();
        assert_eq!(current(sig), handler_address());
        // SAFETY: the default disposition; the signal is not raised meanwhile.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
        let b = Registration::new(sig, None).unwrap();
        assert_eq!(current(sig), handler_address(), "b's signal reaches its slot");
        let b0 = b.count();
        // SAFETY: raising a signal whose handler is installed.
        unsafe { libc::raise(sig) };
        assert_eq!(b.count() - b0, 1);
        drop(a);
        drop(b);
        assert_eq!(current(sig), libc::SIG_DFL, "the default is back");
    }

    /// A registration dropped while a handler is busy with its slot
    /// (held here where `Slot::notify` is between raising `busy` and
    /// lowering it) frees the slot, then waits: the drop returns only
    /// after the handler is done with the slot.
    #[test]
    fn a_drop_waits_for_a_handler_busy_with_its_slot() {
        use std::sync::atomic::AtomicBool;
        let reg = Registration::new(libc::SIGWINCH, None).unwrap();
        let slot = &SLOTS[reg.slot];
        // As `Slot::notify` does first: a handler using the slot.
        slot.busy.fetch_add(1, Ordering::SeqCst);
        let dropped = AtomicBool::new(false);
        std::thread::scope(|s| {
            let dropper = s.spawn(|| {
                drop(reg);
                dropped.store(true, Ordering::SeqCst);
            });
            // The drop freed the slot; it waits for the handler (no one
            // claims the slot meanwhile: the drop holds `INSTALL`).
            crate::fork_lock::wait_while(|| slot.signo.load(Ordering::Relaxed) != 0);
            assert!(!dropped.load(Ordering::SeqCst), "returned while a handler was busy");
            // As `Slot::notify` does last: the handler is done.
            slot.busy.fetch_sub(1, Ordering::SeqCst);
            dropper.join().unwrap();
        });
        assert!(dropped.load(Ordering::SeqCst));
    }
}
