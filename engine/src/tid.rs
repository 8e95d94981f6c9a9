//! The calling thread's OS id (`gettid`), asked of the kernel once per
//! thread and process: a `Block` producer asks on every push that waits
//! (`Shared::on_writer_thread`), and a system call each time showed.
//!
//! Safe in a thread-local destructor (the cache is a `const`-initialized
//! `Cell` without a destructor, so it is never torn down) and after
//! `fork`: the child's one thread inherits the forking thread's cache,
//! so the cache holds the fork generation it was filled in, and a newer
//! generation (`fork::generation`, one relaxed load) asks again.

use std::cell::Cell;

thread_local! {
    /// (fork generation, tid) once asked; tid 0 (no thread has it) before.
    static TID: Cell<(u64, u32)> = const { Cell::new((0, 0)) };
}

/// The calling thread's OS id.
#[inline]
pub(crate) fn current() -> u32 {
    let generation = crate::fork::generation();
    TID.with(|c| match c.get() {
        (g, tid) if tid != 0 && g == generation => tid,
        _ => {
            // SAFETY: gettid has no preconditions and cannot fail.
            let tid = unsafe { libc::gettid() } as u32;
            c.set((generation, tid));
            tid
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached id is the kernel's, per thread.
    #[test]
    fn each_thread_gets_its_own_id() {
        // SAFETY: gettid has no preconditions and cannot fail.
        let here = unsafe { libc::gettid() } as u32;
        assert_eq!((current(), current()), (here, here));
        let there = std::thread::spawn(|| {
            // SAFETY: as above.
            (current(), unsafe { libc::gettid() } as u32)
        })
        .join()
        .unwrap();
        assert_eq!(there.0, there.1);
        assert_ne!(there.0, here);
    }
}
