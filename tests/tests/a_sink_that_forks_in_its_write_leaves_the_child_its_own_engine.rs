//! A sync-mode sink forks inside its write, in the middle of a log call
//! through a `Logger` (the call holds the thread's cached producer then).
//! The child finishes that call and logs on through the same handle, on
//! the same thread: those records go to the child's own engine and are
//! counted there, never through the producer the thread cached in the
//! parent; the parent's books are its own.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use uringlog::{Logger, Mode, Sink, Target};
use uringlog_tests::{wait_child, SHUTDOWN};

/// Forks at its second write and says the pid (0 in the child); has no
/// copy for a child, so a child's engine counts its records dropped. With
/// `log_in_child`, the child logs through [`NESTING`] from inside that
/// write (still inside the forking call) and keeps what it saw in
/// [`NESTED`].
struct ForksAtSecondWrite {
    writes: u32,
    pid: Arc<AtomicI32>,
    log_in_child: bool,
}

impl Sink for ForksAtSecondWrite {
    fn describe(&self) -> String {
        "forks at its second write".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if self.writes == 2 {
            // SAFETY: the child only logs, reads its stats and `_exit`s.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            self.pid.store(pid, Ordering::SeqCst);
            if pid == 0 && self.log_in_child {
                let logger = NESTING.get().expect("set before logging");
                uringlog::info!(logger, "nested in the child, inside the forking call");
                let s = logger.stats();
                for (slot, v) in NESTED.iter().zip([s.enqueued, s.dropped, s.live_producers]) {
                    slot.store(v, Ordering::SeqCst);
                }
            }
        }
        Ok(())
    }
}

#[test]
fn a_sink_that_forks_in_its_write_leaves_the_child_its_own_engine() {
    let pid = Arc::new(AtomicI32::new(-1));
    let sink = ForksAtSecondWrite {
        writes: 0,
        pid: pid.clone(),
        log_in_child: false,
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    uringlog::info!(logger, "first");
    uringlog::info!(logger, "second, which forks");
    let pid = pid.load(Ordering::SeqCst);
    if pid == 0 {
        for i in 0..3 {
            uringlog::info!(logger, "in the child {i}");
        }
        let s = logger.stats();
        // The child's engine: its three calls, dropped (no sink for it).
        let code = match (s.enqueued, s.written, s.dropped) {
            (3, 0, 3) => 0,
            _ => 1,
        };
        // SAFETY: leaves the child at once, running nothing of the parent's.
        unsafe { libc::_exit(code) };
    }
    assert_eq!(wait_child(pid, "the child hung"), 0, "the child's books");
    uringlog::info!(logger, "third, in the parent");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0));
}

/// What the child saw right after its nested call: enqueued, dropped and
/// live producers of its own engine.
static NESTED: [std::sync::atomic::AtomicU64; 3] =
    [const { std::sync::atomic::AtomicU64::new(u64::MAX) }; 3];

/// The logger the next sink logs through from inside its write.
static NESTING: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();

/// The call the sink forked in still holds the parent's producer in the
/// child: a call nested in it there is counted lost, as a nested call is
/// in the parent, and never reaches (or frees) the producer the outer
/// call is using; the child's later calls get a producer of their own.
#[test]
fn a_call_nested_in_the_forking_call_is_counted_lost_in_the_child() {
    let pid = Arc::new(AtomicI32::new(-1));
    let sink = ForksAtSecondWrite {
        writes: 0,
        pid: pid.clone(),
        log_in_child: true,
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    assert!(NESTING.set(logger.clone()).is_ok());
    uringlog::info!(logger, "first");
    uringlog::info!(logger, "second, which forks");
    let pid = pid.load(Ordering::SeqCst);
    if pid == 0 {
        let nested: Vec<u64> = NESTED.iter().map(|v| v.load(Ordering::SeqCst)).collect();
        for i in 0..3 {
            uringlog::info!(logger, "in the child {i}");
        }
        let s = logger.stats();
        // Lost, with no producer registered for it; then the child's own
        // three calls, dropped (no sink for it), through one producer.
        let code = match (
            nested.as_slice(),
            s.enqueued,
            s.written,
            s.dropped,
            s.live_producers,
        ) {
            ([1, 1, 0], 4, 0, 4, 1) => 0,
            _ => {
                eprintln!("nested {nested:?}, then {s:?}");
                1
            }
        };
        // SAFETY: leaves the child at once, running nothing of the parent's.
        unsafe { libc::_exit(code) };
    }
    assert_eq!(wait_child(pid, "the child hung"), 0, "the child's books");
    uringlog::info!(logger, "third, in the parent");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0));
}

/// 0 in the child of the fork a [`ForksWhenDropped`] copy made, the
/// child's pid in the parent; -1 before.
static DROP_FORKED: AtomicI32 = AtomicI32::new(-1);

/// Discards what it is handed; its copy for a forked child forks when
/// dropped (once), saying the pid in [`DROP_FORKED`].
struct ForksWhenDropped {
    copy: bool,
}

impl Sink for ForksWhenDropped {
    fn describe(&self) -> String {
        "forks when its copy is dropped".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        Some(Box::new(ForksWhenDropped { copy: true }))
    }
}

impl Drop for ForksWhenDropped {
    fn drop(&mut self) {
        if self.copy && DROP_FORKED.load(Ordering::SeqCst) == -1 {
            // SAFETY: the child only logs, shuts its logger down and `_exit`s.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            DROP_FORKED.store(pid, Ordering::SeqCst);
        }
    }
}

/// A sink's copy for a forked child that forks when dropped is dropped
/// while the thread registers its producer for another logger (the
/// copy's logger shut down, the thread's producer for it its last
/// reference, which the registration removes). In the child the call
/// goes on with the producer registered in the parent's engine, but the
/// child's later calls through the same handle reach the child's own
/// engine and are counted there; the parent's books are its own.
#[test]
fn a_fork_while_the_thread_registers_its_producer_leaves_the_child_its_own_engine() {
    let (forker, forker_guard) = Logger::builder()
        .sink(ForksWhenDropped { copy: false })
        .build()
        .unwrap();
    let (logger, guard, out) = uringlog_tests::text_memory_logger();
    uringlog::info!(
        forker,
        "the thread's producer for the forking sink's logger"
    );
    forker_guard.shutdown(SHUTDOWN).unwrap();
    drop(forker);
    // The thread's first call through `logger` registers its producer,
    // which drops the last one of `forker`: the sink's copy forks.
    uringlog::info!(logger, "n={}", 0u64);
    let pid = DROP_FORKED.load(Ordering::SeqCst);
    assert!(
        pid >= 0,
        "the sink's copy was not dropped in the registration"
    );
    if pid == 0 {
        for i in 1..=3u64 {
            uringlog::info!(logger, "n={}", i);
        }
        // The child's engine: its three later calls.
        let code = match guard.shutdown(SHUTDOWN) {
            Ok(s) if (s.enqueued, s.written + s.dropped) == (3, 3) => 0,
            other => {
                eprintln!("the child's books: {other:?}");
                1
            }
        };
        // SAFETY: leaves the child at once, running nothing of the parent's.
        unsafe { libc::_exit(code) };
    }
    assert_eq!(wait_child(pid, "the child hung"), 0, "the child's books");
    uringlog::info!(logger, "n={}", 1u64);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    assert_eq!(out.lines().len(), 2);
}
