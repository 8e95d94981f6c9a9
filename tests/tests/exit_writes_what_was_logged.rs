//! `std::process::exit` with records still in the rings: the exit hook
//! installed at build shuts each logger down, so everything already logged
//! is written — whether the guard is alive on the stack, kept in a
//! `static`, or forgotten. A sink that calls `exit` itself, or one that
//! never drains, does not keep the process from ending.
//!
//! Each scenario runs in a process of its own: the test re-executes its
//! binary with `EXIT_SCENARIO` set.

use std::io;
use std::process::Command;
use std::sync::OnceLock;
use uringlog::{Backend, Logger, Policy, Sink, Target, WriterGuard};
use uringlog_sinks::FileSink;

const SCENARIO: &str = "EXIT_SCENARIO";
const LOG: &str = "EXIT_LOG";
const RECORDS: usize = 100_000;

/// Runs this binary's test `test` in a fresh process; returns its exit
/// code and the number of lines it logged.
fn run(test: &str) -> (i32, usize) {
    let (code, lines) = run_lines(test);
    (code, lines.len())
}

/// [`run`], returning the lines.
fn run_lines(test: &str) -> (i32, Vec<String>) {
    let (_dir, path) = uringlog_tests::temp_log("exit.log");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, "1")
        .env(LOG, &path)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let lines = text.lines().map(str::to_owned).collect();
    (out.status.code().expect("exited"), lines)
}

fn in_scenario() -> bool {
    std::env::var_os(SCENARIO).is_some()
}

fn build(backend: Backend) -> (Logger, WriterGuard) {
    let path = std::env::var(LOG).unwrap();
    Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .backend(backend)
        .policy(Policy::Block)
        .ring_capacity(64 * 1024)
        .build()
        .unwrap()
}

fn log_all(logger: &Logger) {
    for i in 0..RECORDS {
        uringlog::info!(logger, "record {i} {:064}", 0);
    }
}

#[test]
fn exit_with_the_guard_alive_writes_everything() {
    if in_scenario() {
        let (logger, _guard) = build(Backend::Pwrite);
        log_all(&logger);
        std::process::exit(7);
    }
    assert_eq!(
        run("exit_with_the_guard_alive_writes_everything"),
        (7, RECORDS)
    );
}

#[test]
fn exit_with_io_uring_writes_in_flight_batches_too() {
    if in_scenario() {
        let (logger, _guard) = build(Backend::IoUring);
        log_all(&logger);
        std::process::exit(7);
    }
    if uringlog_tests::io_uring_available("exit_with_io_uring_writes_in_flight_batches_too") {
        assert_eq!(
            run("exit_with_io_uring_writes_in_flight_batches_too"),
            (7, RECORDS)
        );
    }
}

#[test]
fn a_guard_kept_in_a_static_is_drained_at_exit() {
    static GUARD: OnceLock<WriterGuard> = OnceLock::new();
    if in_scenario() {
        let (logger, guard) = build(Backend::Pwrite);
        GUARD.set(guard).unwrap();
        log_all(&logger);
        std::process::exit(7);
    }
    assert_eq!(
        run("a_guard_kept_in_a_static_is_drained_at_exit"),
        (7, RECORDS)
    );
}

#[test]
fn a_forgotten_guard_is_drained_at_exit() {
    if in_scenario() {
        let (logger, guard) = build(Backend::Pwrite);
        std::mem::forget(guard);
        log_all(&logger);
        std::process::exit(7);
    }
    assert_eq!(run("a_forgotten_guard_is_drained_at_exit"), (7, RECORDS));
}

/// Calls `exit(9)` from its third write, on the writer thread.
struct Exiter(u32);

impl Sink for Exiter {
    fn describe(&self) -> String {
        "exiter".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        self.0 += 1;
        if self.0 == 3 {
            std::process::exit(9);
        }
        Ok(())
    }
}

#[test]
fn a_sink_calling_exit_ends_the_process() {
    if in_scenario() {
        let (logger, _guard) = Logger::builder()
            .sink(Exiter(0))
            .batch_size(10)
            .build()
            .unwrap();
        loop {
            uringlog::info!(logger, "until the sink exits");
        }
    }
    assert_eq!(run("a_sink_calling_exit_ends_the_process").0, 9);
}

/// Never returns from its first write.
struct Stuck;

impl Sink for Stuck {
    fn describe(&self) -> String {
        "stuck".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        loop {
            std::thread::park();
        }
    }
}

#[test]
fn exit_with_a_stuck_sink_ends_within_the_bound() {
    if in_scenario() {
        let (logger, _guard) = Logger::builder().sink(Stuck).build().unwrap();
        uringlog::info!(logger, "never written");
        logger
            .flush_timeout(std::time::Duration::from_millis(50))
            .unwrap_err();
        std::process::exit(7);
    }
    // Returns after `EXIT_DRAIN_TIMEOUT` (5 s) at most, plus the grace.
    assert_eq!(run("exit_with_a_stuck_sink_ends_within_the_bound").0, 7);
}

/// Threads still logging (deferred records in flight, `Block` rings full)
/// when another thread calls `exit`: every record logged before `exit`
/// began is written, each thread's records form an unbroken prefix (none
/// lost in the middle, none twice), and the process ends.
#[test]
fn exit_from_another_thread_while_threads_log() {
    const THREADS: u64 = 3;
    const BEFORE: u64 = 20_000;
    if in_scenario() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static LOGGED: [AtomicU64; THREADS as usize] = [const { AtomicU64::new(0) }; 3];
        let (logger, _guard) = build(Backend::Pwrite);
        for t in 0..THREADS {
            let logger = logger.clone();
            std::thread::spawn(move || {
                for seq in 0.. {
                    uringlog::info!(logger, "t={} seq={} {:032}", t, seq, 0);
                    LOGGED[t as usize].store(seq + 1, Ordering::Release);
                }
            });
        }
        while LOGGED.iter().any(|n| n.load(Ordering::Acquire) < BEFORE) {
            std::thread::yield_now();
        }
        std::process::exit(7);
    }
    let (code, lines) = run_lines("exit_from_another_thread_while_threads_log");
    assert_eq!(code, 7);
    let seqs = uringlog_tests::sequences(&lines);
    assert_eq!(seqs.len(), THREADS as usize, "{:?}", seqs.keys());
    for (t, s) in &seqs {
        assert!(s.len() as u64 >= BEFORE, "thread {t}: {} records", s.len());
        let expected: Vec<u64> = (0..s.len() as u64).collect();
        assert!(*s == expected, "thread {t}: records missing or repeated");
    }
}
