//! Crash-safe mode where a thread's ring file could not be made (here
//! `RLIMIT_FSIZE` below the ring's size, as a full disk): the thread logs
//! through memory, and its lines, once written and flushed, survive a
//! SIGKILL. Recovery cuts a file back only to what the last commit
//! recorded; a commit is due after any batch reached a file, not only
//! after a ring file moved — otherwise the file's length recorded before
//! the first batch (0) would stand, and recovery would cut every line.
//!
//! The limit is process-wide, so a child process (this test binary,
//! re-executed) logs and kills itself; the parent recovers and checks.

use std::process::Command;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, SHUTDOWN};

const CHILD: &str = "URINGLOG_MEMORY_RING_KILL_CHILD";
/// Ring capacity: the ring file (its header and this) exceeds the limit.
const RING: usize = 256 * 1024;
/// The file size limit: above the state file and the log, below a ring file.
const LIMIT: u64 = 128 * 1024;
const RECORDS: u64 = 300;

/// In the child: the limit, a crash-safe logger whose one thread logs
/// through memory, two flushes (the second is answered after the turn of
/// the first, whose end commits), then SIGKILL.
fn child(dir: &str) -> ! {
    let dir = std::path::Path::new(dir);
    // SAFETY: ignoring SIGXFSZ so a write past the limit fails with EFBIG.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    uringlog_tests::set_fsize(LIMIT);
    let (logger, _guard) = Logger::builder()
        .sink(FileSink::new(dir.join("app.log")).unwrap())
        .crash_safe(dir.join("cs"))
        .ring_capacity(RING)
        .build()
        .unwrap();
    for i in 0..RECORDS {
        uringlog::info!(logger, "seq={}", i);
    }
    // The first flush reports the ring file's failure, counted once.
    let e = logger.flush().unwrap_err().to_string();
    assert!(e.contains("this thread logs through memory"), "{e}");
    logger.flush().unwrap();
    // SAFETY: raising a signal in this process.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!("SIGKILL returned");
}

#[test]
fn lines_logged_through_memory_in_crash_safe_mode_survive_a_kill() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let test = "lines_logged_through_memory_in_crash_safe_mode_survive_a_kill";
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        None,
        "the child was to die by SIGKILL: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = tmp.path().join("app.log");
    assert_eq!(read_lines(&log).len() as u64, RECORDS, "before recovery");
    // Recovery: a logger on the same directory, shut down at once.
    let (_logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(tmp.path().join("cs"))
        .build()
        .unwrap();
    guard.shutdown(SHUTDOWN).unwrap();
    let lines = read_lines(&log);
    let seqs: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split_once("seq=").map(|(_, s)| s.to_owned()))
        .collect();
    let want: Vec<String> = (0..RECORDS).map(|i| i.to_string()).collect();
    assert_eq!(seqs, want, "every line once, in order: {lines:?}");
    assert!(
        lines.iter().all(|l| !l.contains("cut from")),
        "recovery cut the file: {lines:?}"
    );
}
