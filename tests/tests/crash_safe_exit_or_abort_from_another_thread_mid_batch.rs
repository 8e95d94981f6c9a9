//! Crash-safe mode: another thread ends the process — `std::process::exit`
//! or `abort` — while the writer is in the middle of a batch: the file
//! sink has been handed the batch (a `pwrite` done, or an io_uring write
//! submitted and perhaps not completed) and a hook sink after it holds
//! the writer. With either backend:
//!
//! - `exit`: the exit hook drains the logger; every record is in the file
//!   once, in order, and the directory holds nothing pending (the next
//!   logger built on it writes no recovery record).
//! - `abort`: the next logger built on the directory writes what was not
//!   committed, once: the file holds every record once, in order, with
//!   the recovery record in front of as many records as it counts.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{plain, recover_plain, run_self, Hook};
use uringlog_tests::{io_uring_available, read_lines, wait_for};

const CHILD: &str = "URINGLOG_EXIT_MID_BATCH_CHILD";
/// Records the child logs (all fit its ring, so it never waits for room).
const RECORDS: u32 = 400;
/// The hook holds the batch that holds this record (batches hold at most
/// 8, so at most this many records come before it).
const HELD_RECORD: u32 = 16;

/// The hook holds the writer in this batch.
static HELD: AtomicBool = AtomicBool::new(false);
/// Set by an `atexit` handler that runs before the engine's exit hook.
static EXITING: AtomicBool = AtomicBool::new(false);
/// The logging thread logged every record.
static LOGGED: AtomicBool = AtomicBool::new(false);

extern "C" fn exiting() {
    EXITING.store(true, Ordering::SeqCst);
}

fn backend(name: &str) -> Backend {
    match name {
        "uring" => Backend::IoUring,
        _ => Backend::Pwrite,
    }
}

fn child(spec: &str) -> ! {
    let mut it = spec.split(',');
    let (death, be, dir, log) = (
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
    );
    let (logger, _guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .sink(Hook::new(|lines| {
            // Holds the writer in this batch until the process is exiting.
            if lines.contains(&HELD_RECORD) {
                HELD.store(true, Ordering::SeqCst);
                wait_for("exit", || EXITING.load(Ordering::SeqCst));
            }
        }))
        .format(plain())
        .backend(backend(be))
        .batch_size(8)
        .ring_capacity(64 * 1024)
        .crash_safe(dir)
        .build()
        .unwrap();
    let l = logger.clone();
    std::thread::spawn(move || {
        for i in 0..RECORDS {
            uringlog::info!(l, "record {}", i);
        }
        LOGGED.store(true, Ordering::SeqCst);
        loop {
            std::thread::park();
        }
    });
    wait_for("the held batch", || HELD.load(Ordering::SeqCst));
    wait_for("every record", || LOGGED.load(Ordering::SeqCst));
    match death {
        "exit" => {
            // Registered after the engine's hook, so it runs first.
            // SAFETY: registers a plain extern "C" function.
            assert_eq!(unsafe { libc::atexit(exiting) }, 0);
            std::process::exit(0)
        }
        _ => std::process::abort(),
    }
}

fn run(test: &str, death: &str, be: &str) {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    if be == "uring" && !io_uring_available(test) {
        return;
    }
    let spec = format!("{death},{be},{},{}", dir.display(), log.display());
    let (_, status) = run_self(test, CHILD, &spec);
    use std::os::unix::process::ExitStatusExt;
    match death {
        "exit" => assert_eq!(status.code(), Some(0), "{status:?}"),
        _ => assert_eq!(status.signal(), Some(libc::SIGABRT), "{status:?}"),
    }
    let before = read_lines(&log);
    let s = recover_plain(&dir, &log);
    let lines = read_lines(&log);
    let all: Vec<String> = (0..RECORDS).map(|i| format!("INFO  record {i}")).collect();
    if death == "exit" {
        assert_eq!(before, all);
        assert_eq!(lines, all, "nothing recovered after a drained exit");
        assert_eq!((s.enqueued, s.written), (0, 0));
        return;
    }
    let at = (lines.iter())
        .position(|l| l.starts_with("WARN  crash-safe recovery: "))
        .unwrap_or_else(|| panic!("no recovery record: {lines:?}"));
    let recovered = lines.len() - at - 1;
    let want = format!("WARN  crash-safe recovery: {recovered} records recovered from process ");
    assert!(lines[at].starts_with(&want), "{}", lines[at]);
    assert!(
        lines[at].contains(", 0 torn or corrupt records skipped"),
        "{}",
        lines[at]
    );
    let mut rest = lines.clone();
    rest.remove(at);
    assert_eq!(rest, all);
    // The held batch and everything after it were not committed.
    assert!(recovered as u32 >= RECORDS - HELD_RECORD, "{recovered}");
}

#[test]
fn exit_from_another_thread_mid_batch_with_pwrite() {
    run(
        "exit_from_another_thread_mid_batch_with_pwrite",
        "exit",
        "pwrite",
    );
}

#[test]
fn exit_from_another_thread_mid_batch_with_io_uring() {
    run(
        "exit_from_another_thread_mid_batch_with_io_uring",
        "exit",
        "uring",
    );
}

#[test]
fn abort_from_another_thread_mid_batch_with_pwrite() {
    run(
        "abort_from_another_thread_mid_batch_with_pwrite",
        "abort",
        "pwrite",
    );
}

#[test]
fn abort_from_another_thread_mid_batch_with_io_uring() {
    run(
        "abort_from_another_thread_mid_batch_with_io_uring",
        "abort",
        "uring",
    );
}
