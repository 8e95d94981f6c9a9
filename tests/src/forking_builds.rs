//! Forks from one or more threads while another thread builds and drops
//! loggers that reopen on `SIGUSR1`; each child builds such a logger
//! itself, takes the signal, logs and exits (see [`forks_while_building`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use uringlog::{Logger, MemorySink, Mode};

/// Forks of each forking thread; each one lands somewhere in the other
/// thread's loop.
const FORKS: usize = 1_000;

fn reopening_logger() -> Result<(Logger, uringlog::WriterGuard), uringlog::BuildError> {
    Logger::builder()
        .sink(MemorySink::new().0)
        .mode(Mode::Sync)
        .reopen_on_signal(libc::SIGUSR1)
        .build()
}

/// The child's part: the exit code (0 when it built, its signal did not
/// end it, and it logged and wrote).
fn in_child() -> i32 {
    let Ok((logger, guard)) = reopening_logger() else {
        return 1;
    };
    // SAFETY: a signal this process has a handler for, or it ends here.
    unsafe { libc::raise(libc::SIGUSR1) };
    uringlog::info!(logger, "child");
    match guard.shutdown(crate::SHUTDOWN) {
        Ok(s) if (s.enqueued, s.written, s.dropped) == (1, 1, 0) => 0,
        _ => 2,
    }
}

/// A thread building and dropping reopening loggers until `stop`; it
/// returns how many it built.
fn building(stop: &'static AtomicBool) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut built = 0u64;
        while !stop.load(Ordering::Relaxed) {
            drop(reopening_logger().unwrap());
            built += 1;
        }
        built
    })
}

/// 1,000 forks from each of `threads` threads at once while a thread
/// builds and drops reopening loggers: every child exits 0 (panics
/// naming the first that hung, died or failed). Once per process.
pub fn forks_while_building(threads: usize) {
    static STOP: AtomicBool = AtomicBool::new(false);
    let builder = building(&STOP);
    let forkers: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..FORKS {
                    // SAFETY: the child builds a logger, logs and leaves
                    // with _exit.
                    let pid = unsafe { libc::fork() };
                    assert!(pid >= 0);
                    if pid == 0 {
                        // SAFETY: ends the child without running the
                        // parent's destructors.
                        unsafe { libc::_exit(in_child()) };
                    }
                    let hung = format!("thread {t}: child {i} hung building its logger");
                    assert_eq!(crate::wait_child(pid, &hung), 0, "thread {t}: child {i}");
                }
            })
        })
        .collect();
    let forked: Vec<_> = forkers.into_iter().map(JoinHandle::join).collect();
    STOP.store(true, Ordering::Relaxed);
    assert!(builder.join().unwrap() > 0);
    for f in forked {
        f.unwrap();
    }
}
