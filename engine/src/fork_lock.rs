//! A lock that a forked child can free: [`ForkLock`].
//!
//! After `fork(2)` the child has one thread, the one that forked. A lock
//! another thread of the parent held at that moment is held in the child
//! by a thread that does not exist there, and a `Mutex` would make the
//! child's first taker wait for ever. A `ForkLock` is a flag that a
//! `pthread_atfork` child handler clears ([`ForkLock::free_in_child`]:
//! one atomic store, async-signal-safe), or that a prepare handler takes
//! and the parent and child handlers give back
//! ([`ForkLock::hold_across_fork`], [`ForkLock::adopt`]), so that what it
//! guards is in a known state at the fork.
//!
//! # Signals
//!
//! A holder has the asynchronous signals blocked on its thread, from
//! before it takes the lock until after it frees it
//! ([`crate::signal_mask`]): a signal handler that forks, or takes the
//! lock, never runs inside the section it interrupted — where the prepare
//! handler (or the handler itself) would wait for ever for a holder that
//! is its own thread. Such a signal stays pending and its handler runs as
//! the lock is freed. This holds across a fork too: the prepare handler's
//! hold blocks them, and the guard each side adopts puts the mask back.
//! A section must therefore not wait for a signal, nor fork (the prepare
//! handler would wait for its own thread), and a guard is freed on the
//! thread that took it (it is not `Send`).
//!
//! It is for rare, short sections (a few system calls: registering a
//! signal handler, listing a socket), never for a hot path: taking and
//! freeing the lock costs two `pthread_sigmask` calls. A waiter
//! yields between looks at a held lock [`LOCK_SPINS`] times, then naps
//! [`LOCK_NAP`] between looks: a waiter of a higher real-time priority
//! than the holder on its CPU would otherwise never let the holder run.
//! Other short waits for another thread's section share this pattern
//! ([`wait_while`]: a signal registration's drop waiting for a running
//! handler). It allocates nothing and is not fair.
//!
//! # Panics
//!
//! The lock does not poison. A panic while a guard is held frees the
//! lock as the guard is dropped during unwinding, and the next taker gets
//! the value as the panicking section left it, with no sign that it
//! panicked: part of an update may be done and part not (as after a fork,
//! see [`ForkLock::free_in_child`]). So a section must leave the value
//! usable at every point where it may panic — or not panic there; where
//! a half-done update must be detected, keep a flag in the value that the
//! section sets first and clears last.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Looks at a held lock, yielding between them, before a waiter naps
/// instead.
pub const LOCK_SPINS: u32 = 64;
/// How long a waiter naps between looks once past [`LOCK_SPINS`].
pub const LOCK_NAP: Duration = Duration::from_micros(100);

/// What a waiter does between two looks at what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pause {
    /// `sched_yield`: the first [`LOCK_SPINS`] times.
    Yield,
    /// A sleep of [`LOCK_NAP`]: every time after.
    Nap,
}

/// Waits while `busy()` says another thread's short section runs (the
/// lock held, a signal handler using a slot): yields between looks
/// [`LOCK_SPINS`] times, then naps [`LOCK_NAP`] between looks (see the
/// module docs). `busy` is called until it returns false.
pub(crate) fn wait_while(busy: impl FnMut() -> bool) {
    wait_pausing(busy, |p| match p {
        Pause::Yield => std::thread::yield_now(),
        Pause::Nap => std::thread::sleep(LOCK_NAP),
    });
}

/// [`wait_while`], with `pause` doing each pause.
fn wait_pausing(mut busy: impl FnMut() -> bool, mut pause: impl FnMut(Pause)) {
    let mut looks = 0u32;
    while busy() {
        pause(match looks < LOCK_SPINS {
            true => Pause::Yield,
            false => Pause::Nap,
        });
        looks = looks.saturating_add(1);
    }
}

/// A lock (a flag) and the value it guards, which a forked child frees
/// (see the module docs).
pub struct ForkLock<T> {
    /// Set while a guard exists (or between [`ForkLock::hold_across_fork`]
    /// and [`ForkLock::adopt`]); cleared by the guard's drop and by
    /// [`ForkLock::free_in_child`].
    locked: AtomicBool,
    /// The holder's signal mask from before it took the lock, put back as
    /// it frees it (see the module docs): written by each taker once it
    /// holds the lock, read by the holder only.
    mask: UnsafeCell<MaybeUninit<libc::sigset_t>>,
    /// Only reached through a [`ForkLockGuard`].
    value: UnsafeCell<T>,
}

// SAFETY: `value` and `mask` are only reached by the holder, and one
// guard exists at a time in a process (`locked`); moving a `T` between
// threads is what handing the lock over does, hence `T: Send`.
unsafe impl<T: Send> Sync for ForkLock<T> {}

/// [`ForkLock`] held: derefs to the value; frees the lock when dropped.
#[must_use = "the lock is freed when the guard is dropped"]
pub struct ForkLockGuard<'a, T> {
    lock: &'a ForkLock<T>,
    /// Not `Send`: its drop puts back the signal mask of the thread that
    /// took the lock, so it must run there.
    here: PhantomData<*const ()>,
}

// SAFETY: a shared guard gives out `&T` only (`Deref`), to every thread
// it is shared with: sound when `T: Sync`, as for a `MutexGuard`. Without
// this the guard would be `Sync` whenever `T: Send` (through
// `&ForkLock<T>`), and a guard of a `Cell` shared between two threads
// would let both write it at once. (Not `Send`: see `here`.)
unsafe impl<T: Sync> Sync for ForkLockGuard<'_, T> {}

impl<T> ForkLock<T> {
    /// A free lock guarding `value` (`const`: for a `static`).
    pub const fn new(value: T) -> ForkLock<T> {
        ForkLock {
            locked: AtomicBool::new(false),
            mask: UnsafeCell::new(MaybeUninit::uninit()),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, waiting (yields, then naps) while another thread
    /// holds it, with this thread's asynchronous signals blocked until it
    /// is freed (see the module docs).
    pub fn lock(&self) -> ForkLockGuard<'_, T> {
        // Blocked before the lock is taken: a handler run between the two
        // would find it held by its own thread.
        let before = crate::signal_mask::hold_off();
        // Acquire: pairs with the Release store in `ForkLockGuard::drop`,
        // so what the last holder did to the value is seen. Relaxed on
        // failure: the loop tries again.
        wait_while(|| {
            (self.locked)
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        });
        // SAFETY: this thread holds the lock: no one else reaches `mask`.
        unsafe { (*self.mask.get()).write(before) };
        ForkLockGuard {
            lock: self,
            here: PhantomData,
        }
    }

    /// Runs `f` on the value, under the lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock())
    }

    /// Takes the lock and keeps it held past this call, with no guard: for
    /// a `pthread_atfork` prepare handler, whose parent and child handlers
    /// take it over with [`ForkLock::adopt`]. The fork then finds no other
    /// thread inside the section.
    pub fn hold_across_fork(&self) {
        std::mem::forget(self.lock());
    }

    /// The guard of the lock this thread holds through
    /// [`ForkLock::hold_across_fork`], for the fork handler that runs
    /// after the fork (in the parent or in the child); dropping it frees
    /// the lock and puts back the signal mask from before the hold.
    /// Async-signal-safe (no allocation; `pthread_sigmask` on drop).
    ///
    /// # Safety
    ///
    /// This thread took the lock with [`ForkLock::hold_across_fork`] and
    /// has not adopted it since (the child is a copy: its own adoption
    /// counts apart from the parent's).
    pub unsafe fn adopt(&self) -> ForkLockGuard<'_, T> {
        debug_assert!(self.locked.load(Ordering::Relaxed));
        ForkLockGuard {
            lock: self,
            here: PhantomData,
        }
    }

    /// In a forked child, right after the fork: frees the lock, which a
    /// thread of the parent may have held — one that does not exist here.
    /// Whatever that thread was doing to the value is left half done: the
    /// caller must leave the value usable that way. Async-signal-safe (one
    /// atomic store).
    ///
    /// # Safety
    ///
    /// Called only in the child of a fork (from a `pthread_atfork` child
    /// handler, so its one thread is the one that forked); that thread
    /// holds no guard of this lock, or drops it before this process takes
    /// the lock again.
    pub unsafe fn free_in_child(&self) {
        // SeqCst: the child's one thread, before any other code of it
        // runs; nothing pairs with it but this thread's later takes.
        self.locked.store(false, Ordering::SeqCst);
    }
}

impl<T> std::ops::Deref for ForkLockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the lock is held (this guard), so no one else reaches
        // the value; the borrow of the guard bounds the reference.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> std::ops::DerefMut for ForkLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and the guard is borrowed mutably.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for ForkLockGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the lock is held (this guard), and its taker wrote
        // `mask` (in `lock`; copied by a fork for an adopted guard).
        let before = unsafe { (*self.lock.mask.get()).assume_init_read() };
        // Release: pairs with the Acquire in `ForkLock::lock`.
        self.lock.locked.store(false, Ordering::Release);
        // Put back once freed: a pending handler that forks finds it free.
        crate::signal_mask::restore(&before);
    }
}

/// How long [`exit_code`] waits for a test's child before it kills it.
#[cfg(test)]
const CHILD_WATCHDOG: Duration = Duration::from_secs(30);

/// Waits for a test's forked `child`: its exit code, or `None` when it
/// did not exit — a signal ended it, or it hung and was killed after
/// [`CHILD_WATCHDOG`] (a bound for a broken run, which may hang with
/// every signal blocked).
#[cfg(test)]
pub(crate) fn exit_code(child: libc::pid_t) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer; `child` is ours.
        let reaped = unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) };
        if reaped == child {
            return libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        }
        if reaped != 0 || started.elapsed() > CHILD_WATCHDOG {
            // SAFETY: ends and reaps our own child.
            unsafe {
                libc::kill(child, libc::SIGKILL);
                libc::waitpid(child, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// Threads adding one each under the lock, in two steps a race would
    /// lose increments between (a read, a yield, a write): the count is
    /// exact, and no two threads were ever inside at once.
    /// A wait for a section that ends after `looks` busy looks pauses
    /// once per busy look: yields the first `LOCK_SPINS` times, then
    /// naps — every time, however long it waits.
    #[test]
    fn a_waiter_yields_lock_spins_times_then_naps() {
        for looks in [0, 1, LOCK_SPINS, LOCK_SPINS + 3] {
            let (mut left, mut pauses) = (looks, Vec::new());
            let busy = || match left {
                0 => false,
                _ => {
                    left -= 1;
                    true
                }
            };
            wait_pausing(busy, |p| pauses.push(p));
            let yields = looks.min(LOCK_SPINS) as usize;
            let mut want = vec![Pause::Yield; yields];
            want.resize(looks as usize, Pause::Nap);
            assert_eq!(pauses, want, "{looks} busy looks");
        }
    }

    /// A section that panics halfway through its update frees the lock
    /// (no poisoning): the next taker gets the value as the section left
    /// it, half updated.
    #[test]
    fn a_panic_in_a_section_frees_the_lock_and_leaves_the_value_half_updated() {
        let lock = ForkLock::new((0u32, 0u32));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with(|v| {
                v.0 = 1;
                if v.0 == 1 {
                    panic!("halfway");
                }
                v.1 = 1;
            })
        }));
        assert!(r.is_err());
        assert_eq!(*lock.lock(), (1, 0));
    }

    #[test]
    fn threads_take_turns_and_no_increment_is_lost() {
        const THREADS: u64 = 4;
        const ROUNDS: u64 = 2_000;
        let lock = ForkLock::new(0u64);
        let inside = AtomicU32::new(0);
        let overlaps = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..ROUNDS {
                        let mut n = lock.lock();
                        if inside.fetch_add(1, Ordering::SeqCst) != 0 {
                            overlaps.fetch_add(1, Ordering::SeqCst);
                        }
                        let read = *n;
                        std::thread::yield_now();
                        *n = read + 1;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(overlaps.load(Ordering::SeqCst), 0);
        assert_eq!(lock.with(|n| *n), THREADS * ROUNDS);
    }

    /// A child forked while another thread holds the lock takes it once
    /// its fork handler freed it (here called as the handler would be),
    /// and sees the value as it was at the fork; the parent's holder goes
    /// on and frees it in the parent.
    #[test]
    fn a_child_forked_while_another_thread_holds_the_lock_can_take_it() {
        static LOCK: ForkLock<u32> = ForkLock::new(0);
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let mut v = LOCK.lock();
            *v = 7;
            held_tx.send(()).unwrap();
            done_rx.recv().unwrap();
            *v = 8;
        });
        held_rx.recv().unwrap();
        // SAFETY: the child only takes the lock (atomics, no allocation)
        // and calls _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
        if child == 0 {
            // SAFETY: `alarm` has no precondition (it ends the child if it
            // hangs: a bound for a broken run); this is the child, and its
            // one thread holds no guard.
            unsafe {
                libc::alarm(30);
                LOCK.free_in_child();
            }
            let seen = LOCK.with(|v| {
                let seen = *v;
                *v = 9;
                seen
            });
            let again = LOCK.with(|v| *v);
            // SAFETY: ends the child without running the parent's
            // destructors.
            unsafe { libc::_exit(if (seen, again) == (7, 9) { 0 } else { 3 }) };
        }
        assert_eq!(exit_code(child), Some(0), "the child took the lock");
        done_tx.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(LOCK.with(|v| *v), 8, "the parent's holder went on");
    }

    /// A lock held across a fork by the prepare step is given back in
    /// both processes by adopting it.
    #[test]
    fn a_lock_held_across_a_fork_is_adopted_on_both_sides() {
        static LOCK: ForkLock<u32> = ForkLock::new(0);
        LOCK.hold_across_fork();
        // SAFETY: the child only adopts and takes the lock, and calls _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
        if child == 0 {
            // SAFETY: ends the child if it hangs (a bound for a broken run).
            unsafe { libc::alarm(30) };
        }
        // SAFETY: this thread took it with `hold_across_fork` just above,
        // in this process and (a copy) in the child.
        let mut v = unsafe { LOCK.adopt() };
        *v += if child == 0 { 10 } else { 1 };
        drop(v);
        let now = LOCK.with(|v| *v);
        if child == 0 {
            // SAFETY: ends the child without running the parent's
            // destructors.
            unsafe { libc::_exit(if now == 10 { 0 } else { 3 }) };
        }
        assert_eq!(exit_code(child), Some(0), "the child adopted it");
        assert_eq!(now, 1);
    }

    /// Whether `T` is `Sync`, decided where the type is named (an inherent
    /// method with a `Sync` bound wins over the trait's when it applies).
    struct Probe<T>(std::marker::PhantomData<T>);
    trait NotSync {
        fn is_sync(&self) -> bool {
            false
        }
    }
    impl<T> NotSync for Probe<T> {}
    impl<T: Sync> Probe<T> {
        fn is_sync(&self) -> bool {
            true
        }
    }
    fn probe<T>() -> Probe<T> {
        Probe(std::marker::PhantomData)
    }

    /// A shared guard hands out `&T` to every thread it is shared with,
    /// so it is `Sync` only when `T` is (as a `MutexGuard`): a guard of a
    /// `Cell` shared between two threads would let both set it at once.
    /// The lock itself is `Sync` for any `T: Send`, as a `Mutex`.
    #[test]
    fn a_guard_is_shared_between_threads_only_when_its_value_is_sync() {
        use std::cell::Cell;
        assert!(!probe::<ForkLockGuard<'static, Cell<u32>>>().is_sync());
        assert!(probe::<ForkLockGuard<'static, u32>>().is_sync());
        assert!(probe::<ForkLock<Cell<u32>>>().is_sync());
    }

}
