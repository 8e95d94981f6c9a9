//! Another library installs its own handler for the reopen signal on top
//! of the loggers' and chains to the one it found (as well-behaved
//! libraries do). The loggers then all end — their handler stays, since
//! the library's is on top — and a new logger asks for the same signal.
//! Each signal must still run the library's handler exactly once and
//! reopen the new logger's file: the two handlers must never call each
//! other in a loop (which overflows the stack).

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uringlog::{Logger, WriterGuard};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

const SIG: libc::c_int = libc::SIGUSR1;
/// Far beyond the writer's longest sleep: only a broken reopen reaches it.
const DEADLINE: Duration = Duration::from_secs(60);

/// The action the library found when it installed its handler.
static LIBRARY_PREVIOUS: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
static LIBRARY_RAN: AtomicU64 = AtomicU64::new(0);

/// The library's handler: counts, then chains to the previous handler.
extern "C" fn library(signo: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    LIBRARY_RAN.fetch_add(1, Ordering::Relaxed);
    let prev = LIBRARY_PREVIOUS.load(Ordering::Relaxed);
    if prev != libc::SIG_DFL && prev != libc::SIG_IGN {
        // SAFETY: the previous action was installed with SA_SIGINFO (the
        // loggers' handler is), so it has this signature.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(prev) };
        f(signo, info, ctx);
    }
}

fn disposition() -> libc::sigaction {
    // SAFETY: an all-zero sigaction is valid to fill in; querying only.
    let mut a: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `a` is a valid, writable sigaction.
    assert_eq!(unsafe { libc::sigaction(SIG, std::ptr::null(), &mut a) }, 0);
    a
}

/// Installs the library's handler, remembering the action it replaces.
fn install_library_handler() {
    // SAFETY: an all-zero sigaction is valid; the fields set make it an
    // SA_SIGINFO handler with an empty mask.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = library as *const () as usize;
    new.sa_flags = libc::SA_SIGINFO;
    // SAFETY: as above, a zeroed sigaction receives the old action.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: valid actions; the handler only touches atomics and chains.
    assert_eq!(unsafe { libc::sigaction(SIG, &new, &mut old) }, 0);
    assert_ne!(old.sa_flags & libc::SA_SIGINFO, 0, "the loggers' handler");
    LIBRARY_PREVIOUS.store(old.sa_sigaction, Ordering::Relaxed);
}

fn logger(path: &Path) -> (Logger, WriterGuard) {
    Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .reopen_on_signal(SIG)
        .build()
        .unwrap()
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn a_handler_installed_over_the_reopen_handler_never_loops() {
    let dir = tempfile::tempdir().unwrap();
    let (first, guard) = logger(&dir.path().join("first.log"));
    install_library_handler();
    drop(first);
    guard.shutdown(SHUTDOWN).unwrap();
    let library_on_top = library as *const () as usize;
    assert_eq!(disposition().sa_sigaction, library_on_top);

    let path = dir.path().join("second.log");
    let (second, guard) = logger(&path);
    uringlog::info!(second, "before the rotation");
    second.flush().unwrap();
    std::fs::rename(&path, dir.path().join("second.log.1")).unwrap();
    // SAFETY: raising a signal whose handlers are installed.
    assert_eq!(unsafe { libc::raise(SIG) }, 0);
    assert_eq!(LIBRARY_RAN.load(Ordering::Relaxed), 1, "once per signal");

    // The signal reached the new logger: its path is opened again.
    let start = Instant::now();
    let mut seq = 0;
    while lines(&path) == 0 {
        assert!(
            start.elapsed() < DEADLINE,
            "the second logger never reopened"
        );
        uringlog::info!(second, "after seq={seq}");
        seq += 1;
        second.flush().unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(second);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (seq + 1, 0, 0));
    assert_eq!(
        lines(&path) + lines(&dir.path().join("second.log.1")),
        seq as usize + 1
    );
    assert_eq!(disposition().sa_sigaction, library_on_top, "still on top");
    // SAFETY: as above.
    assert_eq!(unsafe { libc::raise(SIG) }, 0);
    assert_eq!(LIBRARY_RAN.load(Ordering::Relaxed), 2, "once per signal");
}
