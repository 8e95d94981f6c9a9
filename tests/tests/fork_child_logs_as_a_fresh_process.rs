//! A process logging from several threads forks. The child logs through
//! the loggers, producers and guard it inherited: its records are written
//! (by a writer it starts), `flush` returns, a `Block` producer whose
//! inherited ring was full does not hang, and its stats count its own
//! records only. The parent is unaffected. Every record — the parent's, the
//! child's, a grandchild's — appears in the shared file exactly once.
//!
//! A logger whose only sink cannot be shared with another process (memory)
//! counts the child's records dropped and says why.
//!
//! The fork happens in a process the test controls: the test re-executes
//! its own binary with `FORK_SCENARIO` set, and that process forks.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Backend, Logger, Policy, Sink};
use uringlog_sinks::{FileSink, StreamSink};

const SCENARIO: &str = "FORK_SCENARIO";
const LOG: &str = "FORK_LOG";
const PARENT_THREADS: u64 = 2;
const CHILD_RECORDS: u64 = 3_000;
const GRANDCHILD_RECORDS: u64 = 500;

/// Runs `test` (this binary's test of that name) in a fresh process with
/// the scenario `backend`, then checks the file it logged to.
fn run_in_own_process(test: &str, backend: &str) {
    if backend == "io_uring" && !uringlog_tests::io_uring_available(test) {
        return;
    }
    let (_dir, path) = uringlog_tests::temp_log("fork.log");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, backend)
        .env(LOG, &path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scenario failed: {stderr}");
    assert!(
        stderr.contains("scenario done"),
        "scenario did not run: {stderr}"
    );
    check_each_record_once(&path);
}

/// Every line `<who> t=<thread> seq=<n>` appears once, and each writer's
/// sequence is 0, 1, 2, … without a gap.
fn check_each_record_once(path: &Path) {
    let mut seqs: BTreeMap<(String, u64), Vec<u64>> = BTreeMap::new();
    for line in uringlog_tests::read_lines(path) {
        let who = line.split_whitespace().rev().nth(2).unwrap().to_owned();
        let t = uringlog_tests::field(&line, "t=").unwrap();
        let s = uringlog_tests::field(&line, "seq=").unwrap();
        seqs.entry((who, t)).or_default().push(s);
    }
    let expect = |who: &str, t: u64, n: Option<u64>| {
        let v = seqs
            .get(&(who.to_owned(), t))
            .unwrap_or_else(|| panic!("no {who} t={t}"));
        let n = n.unwrap_or(v.len() as u64);
        assert_eq!(
            *v,
            (0..n).collect::<Vec<_>>(),
            "{who} t={t}: each record once, in order"
        );
    };
    for t in 0..PARENT_THREADS {
        expect("parent", t, None);
    }
    expect("child", 0, Some(CHILD_RECORDS));
    expect("child", 1, Some(CHILD_RECORDS));
    expect("grandchild", 0, Some(GRANDCHILD_RECORDS));
    assert_eq!(seqs.len() as u64, PARENT_THREADS + 3, "{:?}", seqs.keys());
}

#[test]
fn a_file_sink_through_pwrite() {
    match std::env::var(SCENARIO) {
        Ok(_) => scenario(Backend::Pwrite, file_sink()),
        Err(_) => run_in_own_process("a_file_sink_through_pwrite", "pwrite"),
    }
}

#[test]
fn a_file_sink_through_io_uring() {
    match std::env::var(SCENARIO) {
        Ok(_) => scenario(Backend::IoUring, file_sink()),
        Err(_) => run_in_own_process("a_file_sink_through_io_uring", "io_uring"),
    }
}

#[test]
fn a_stream_sink_through_io_uring() {
    match std::env::var(SCENARIO) {
        Ok(_) => scenario(Backend::IoUring, stream_sink()),
        Err(_) => run_in_own_process("a_stream_sink_through_io_uring", "io_uring"),
    }
}

fn file_sink() -> Box<dyn Sink> {
    Box::new(FileSink::new(std::env::var(LOG).unwrap()).unwrap())
}

/// A stream on a file opened for appending (as a pipe would be shared).
fn stream_sink() -> Box<dyn Sink> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(std::env::var(LOG).unwrap())
        .unwrap();
    Box::new(StreamSink::new(OwnedFd::from(file), "shared log"))
}

/// In the re-executed process: threads log, the process forks, parent,
/// child and grandchild all log, each checks its own counters.
fn scenario(backend: Backend, sink: Box<dyn Sink>) {
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(backend)
        .policy(Policy::Block)
        .ring_capacity(1024)
        .build()
        .unwrap();
    let (memory, _) = uringlog::MemorySink::new();
    let (in_memory, memory_guard) = Logger::builder().sink(memory).build().unwrap();
    uringlog::info!(in_memory, "before the fork");
    // The forking thread has a thread-local producer and an explicit one,
    // both with rings the child inherits full.
    let mut explicit = logger.producer();
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..PARENT_THREADS)
        .map(|t| {
            let (logger, stop) = (logger.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) || seq < 2_000 {
                    uringlog::info!(logger, "parent t={t} seq={seq}");
                    seq += 1;
                }
                seq
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    // SAFETY: fork has no preconditions; the child only logs, forks and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        child(&logger, &mut explicit, guard, &in_memory);
    }
    let s = memory_guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    assert_eq!(
        (s.enqueued, s.written),
        (1, 1),
        "the parent's logger is unaffected"
    );
    assert_eq!(wait(pid), 0, "the child failed");
    stop.store(true, Ordering::Relaxed);
    let logged: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    drop(explicit);
    let s = guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (logged, logged, 0));
    eprintln!("scenario done");
}

/// The forked child (one thread): logs through what it inherited, checks
/// its own books, forks a grandchild, and exits.
fn child(
    logger: &Logger,
    explicit: &mut uringlog::Producer,
    guard: uringlog::WriterGuard,
    in_memory: &Logger,
) -> ! {
    let status = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        not_shared(in_memory);
        assert_eq!(
            logger.stats().enqueued,
            0,
            "the parent's counters stay with it"
        );
        assert_eq!(logger.flush(), Ok(()));
        for seq in 0..CHILD_RECORDS {
            uringlog::info!(logger, "child t=0 seq={seq}");
            uringlog::info!(explicit, "child t=1 seq={seq}");
        }
        assert_eq!(logger.flush(), Ok(()));
        let s = logger.stats();
        assert_eq!(
            (s.enqueued, s.written, s.dropped),
            (2 * CHILD_RECORDS, 2 * CHILD_RECORDS, 0)
        );
        // SAFETY: as for the first fork.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            for seq in 0..GRANDCHILD_RECORDS {
                uringlog::info!(logger, "grandchild t=0 seq={seq}");
            }
            // The exit hook writes them.
            std::process::exit(0);
        }
        assert_eq!(wait(pid), 0, "the grandchild failed");
        let s = guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
        assert_eq!(
            (s.enqueued, s.written),
            (2 * CHILD_RECORDS, 2 * CHILD_RECORDS)
        );
        assert!(logger.is_shut_down());
        uringlog::info!(logger, "after shutdown");
        let s = logger.stats();
        assert_eq!((s.enqueued, s.dropped), (2 * CHILD_RECORDS + 1, 1));
        shut_down_before_logging();
    }));
    std::process::exit(if status.is_ok() { 0 } else { 1 })
}

/// In the child: a logger whose inherited guard a grandchild shuts down
/// before it logs stays shut down there (records counted dropped, nothing
/// written), and its parent's writes are unaffected.
fn shut_down_before_logging() {
    let (_dir, path) = uringlog_tests::temp_log("late.log");
    let (late, late_guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .build()
        .unwrap();
    // SAFETY: as for the first fork.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_eq!(
                late_guard.shutdown(uringlog_tests::SHUTDOWN),
                Ok(Default::default())
            );
            uringlog::info!(late, "never written");
            let s = late.stats();
            assert_eq!((s.enqueued, s.written, s.dropped), (1, 0, 1));
        }));
        std::process::exit(i32::from(code.is_err()));
    }
    assert_eq!(
        wait(pid),
        0,
        "the grandchild with a shut-down logger failed"
    );
    uringlog::info!(late, "written by the child");
    let s = late_guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (1, 1));
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .ends_with(": written by the child\n"));
}

/// In the child: a logger with no sink a child can use counts every record
/// dropped and says why.
fn not_shared(logger: &Logger) {
    for i in 0..10 {
        uringlog::info!(logger, "in the child {i}");
    }
    let s = logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (10, 0, 10), "{s:?}");
    let errors = logger.recent_errors().join("\n");
    assert!(
        errors.contains("memory cannot be shared with a child process"),
        "{errors}"
    );
    assert_eq!(logger.flush(), Err(uringlog::FlushError::ShutDown));
}

fn wait(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer; `pid` is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "status {status:#x}");
    libc::WEXITSTATUS(status)
}

/// Forks (once) while being formatted, as user code inside a log call may.
#[derive(Default)]
struct Forks(std::cell::Cell<Option<libc::pid_t>>);

impl std::fmt::Display for Forks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.get().is_none() {
            // SAFETY: the scenario process; the child only logs, flushes
            // and exits.
            self.0.set(Some(unsafe { libc::fork() }));
        }
        f.write_str("forked")
    }
}

/// A `Display` forks inside a call through a `Logger`, an explicit
/// `Producer` and a fields call: each process finishes the call it was in
/// — the child's record is written by the child's writer and counted in
/// its stats, the parent's by the parent's — so each line is in the file
/// twice, once per process.
#[test]
fn a_display_that_forks_inside_a_call() {
    if std::env::var(SCENARIO).is_err() {
        let (_dir, path) = uringlog_tests::temp_log("fork.log");
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_display_that_forks_inside_a_call",
                "--nocapture",
            ])
            .env(SCENARIO, "pwrite")
            .env(LOG, &path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "scenario failed: {stderr}");
        let mut lines: Vec<String> = uringlog_tests::read_lines(&path)
            .iter()
            .map(|l| l.rsplit(": ").next().unwrap().to_owned())
            .collect();
        lines.sort();
        assert_eq!(
            lines,
            [
                "\"fields\" v=forked",
                "\"fields\" v=forked",
                "explicit forked",
                "explicit forked",
                "logger forked",
                "logger forked"
            ]
        );
        return;
    }
    let path = std::env::var(LOG).unwrap();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .backend(Backend::Pwrite)
        .build()
        .unwrap();
    let mut explicit = logger.producer();
    for call in 0..3 {
        let f = Forks::default();
        match call {
            0 => uringlog::info!(logger, "logger {}", f),
            1 => uringlog::info!(explicit, "explicit {}", f),
            _ => uringlog::info!(logger, v = uringlog::display(&f); "fields"),
        }
        let pid = f.0.get().expect("formatted once");
        if pid == 0 {
            // The child: its own record only, written by its own writer.
            let ok = logger.flush().is_ok() && {
                let s = logger.stats();
                (s.enqueued, s.written, s.dropped) == (1, 1, 0)
            };
            std::process::exit(if ok { 0 } else { 1 });
        }
        assert_eq!(wait(pid), 0, "the child of call {call} failed");
    }
    let s = guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (3, 3, 0), "{s:?}");
}
