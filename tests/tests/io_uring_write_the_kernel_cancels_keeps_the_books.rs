//! When does the kernel complete one of our writes with `-ECANCELED`
//! although we cancelled nothing? When io-wq cannot start the worker a
//! punted write needs: `create_io_thread` fails (`RLIMIT_NPROC` or a pids
//! cgroup limit: `EAGAIN`; a signal pending on the submitting thread each
//! time it tries: `ERESTARTNOINTR`), io-wq retries a few times, then, with
//! no worker at all, cancels the pending work (`io_acct_cancel_pending_work`
//! in `io_uring/io-wq.c`). Buffered writes to most file systems are always
//! punted, so a writer thread that may start no thread gets `-ECANCELED`
//! for every write it puts in the ring.
//!
//! The scenario runs in a process of its own (the test re-executes its
//! binary): it builds an io_uring logger, then forbids itself new threads
//! (`RLIMIT_NPROC` 0, after dropping root, which that limit does not bind)
//! and logs a record too large to be written inline into the idle ring.
//! The engine retries the write (the cause may be passing), then writes it
//! with `write(2)` on the writer thread: the record is in the file, counted
//! written, and nothing is lost or counted twice.

use std::process::Command;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;

const SCENARIO: &str = "ECANCELED_SCENARIO";
const LOG: &str = "ECANCELED_LOG";
const TEST: &str = "io_uring_write_the_kernel_cancels_keeps_the_books";
/// Larger than what goes inline into an idle ring.
const BIG: usize = 64 * 1024;

/// Forbids this process new threads (io-wq workers included).
fn forbid_new_threads() {
    // SAFETY: plain syscalls with valid arguments; their results are checked.
    unsafe {
        if libc::geteuid() == 0 {
            // RLIMIT_NPROC does not bind root: become `nobody` (every thread).
            assert_eq!(libc::setgroups(0, std::ptr::null()), 0);
            assert_eq!(libc::setresgid(65534, 65534, 65534), 0);
            assert_eq!(libc::setresuid(65534, 65534, 65534), 0);
        }
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NPROC, &none), 0);
    }
    assert!(
        std::thread::Builder::new().spawn(|| {}).is_err(),
        "a thread could still be started"
    );
}

/// The child: prints `enqueued written dropped errors` and the errors.
fn scenario() {
    let path = std::env::var(LOG).unwrap();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .backend(Backend::IoUring)
        .build()
        .unwrap();
    forbid_new_threads();
    uringlog::info!(logger, "big {}", "x".repeat(BIG));
    uringlog::info!(logger, "small after it");
    logger.flush().unwrap();
    let errors = logger.recent_errors();
    let s = guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    println!(
        "STATS {} {} {} {}",
        s.enqueued, s.written, s.dropped, s.errors
    );
    for e in errors {
        println!("ERROR {e}");
    }
}

#[test]
fn io_uring_write_the_kernel_cancels_keeps_the_books() {
    if std::env::var_os(SCENARIO).is_some() {
        return scenario();
    }
    if !uringlog_tests::io_uring_available(TEST) {
        return;
    }
    let (_dir, path) = uringlog_tests::temp_log("cancelled.log");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, "1")
        .env(LOG, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Vec<u64> = stdout
        .lines()
        .find_map(|l| l.split_once("STATS ").map(|(_, rest)| rest))
        .expect("the child's stats")
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(stats, [2, 2, 0, 0], "{stdout}");
    let lines = uringlog_tests::read_lines(&path);
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].ends_with(&format!("big {}", "x".repeat(BIG))));
    assert!(lines[1].ends_with("small after it"));
}
