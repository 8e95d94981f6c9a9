//! Crash-safe mode with writes that fail (`RLIMIT_FSIZE` with `SIGXFSZ`
//! ignored: every write past the limit fails with `EFBIG`, the first one
//! after a partial write), for pwrite, io_uring and `Auto` (its trial
//! alternating them), in bursts (batches in
//! flight) and trickled one record at a time (io_uring's idle inline
//! writes): every record is counted written or dropped, the file holds
//! exactly the records counted written, and the length the state file
//! persists for the file never passes what reached it.

use std::path::Path;
use std::time::Duration;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::{set_fsize, SHUTDOWN};

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The length the state file's committed slot holds for `log` (the
/// layout in `crash_safe::layout`): `None` when the slot names no file.
fn committed_len(dir: &Path, log: &Path) -> Option<u64> {
    let s = std::fs::read(dir.join("state")).unwrap();
    let epoch = u64_at(&s, 24);
    let slot = 64 + (epoch as usize & 1) * 16 * 1024;
    let files = u32::from_le_bytes(s[slot + 12..slot + 16].try_into().unwrap());
    let mut at = slot + 40;
    for _ in 0..files {
        let len = u64_at(&s, at + 16);
        let path_len = u32::from_le_bytes(s[at + 24..at + 28].try_into().unwrap()) as usize;
        let path = std::str::from_utf8(&s[at + 32..at + 32 + path_len]).unwrap();
        if Path::new(path) == log {
            return Some(len);
        }
        at += 32 + path_len.next_multiple_of(8);
    }
    None
}

/// The committed length of `log` never passes the file's; waits (bounded)
/// for the writer's first commit naming the file.
fn check_committed(dir: &Path, log: &Path, what: &str) {
    for _ in 0..5000 {
        if let Some(kept) = committed_len(dir, log) {
            let real = std::fs::metadata(log).unwrap().len();
            assert!(
                kept <= real,
                "{what}: state file says {kept} bytes, the file has {real}"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("{what}: no commit names {}", log.display());
}

fn scenario(backend: Backend, base: &Path) {
    let what = format!("{backend:?}");
    let dir = base.join(format!("cs-{what}"));
    let log = base.join(format!("{what}.log"));
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(&dir)
        .backend(backend)
        .ring_capacity(256 * 1024)
        .build()
        .unwrap();
    let log = std::fs::canonicalize(&log).unwrap();
    // 1. Whole: the ring file and the call-site table exist before the limit.
    let line = |l: &Logger, phase: &str, i: u64| {
        uringlog::info!(l, "phase={} seq={} {}", phase, i, "z".repeat(60));
    };
    for i in 0..100 {
        line(&logger, "ok", i);
    }
    logger.flush().unwrap();
    check_committed(&dir, &log, &what);
    // 2. A burst into a file that takes 100 more bytes.
    let len = std::fs::metadata(&log).unwrap().len();
    set_fsize(len + 100);
    for i in 0..2000 {
        line(&logger, "burst", i);
    }
    assert!(logger.flush().is_err(), "{what}");
    check_committed(&dir, &log, &format!("{what}, burst"));
    // 3. Trickled: each record into an idle writer.
    for i in 0..20 {
        line(&logger, "trickle", i);
        std::thread::sleep(Duration::from_millis(3));
        let _ = logger.flush();
        check_committed(&dir, &log, &format!("{what}, trickle {i}"));
    }
    let s = logger.stats();
    assert!(s.errors > 0 && s.dropped > 0, "{what}: {s:?}");
    // 4. The fault clears.
    set_fsize(libc::RLIM_INFINITY);
    for i in 0..100 {
        line(&logger, "after", i);
    }
    logger.flush().unwrap();
    check_committed(&dir, &log, &format!("{what}, after"));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(s.written + s.dropped, s.enqueued, "{what}: {s:?}");
    assert_eq!(s.enqueued, 2220, "{what}: {s:?}");
    // The file holds the records counted written, each once, whole.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, s.written, "{what}");
    let mut seen = std::collections::HashSet::new();
    for l in &lines {
        assert!(l.ends_with(&"z".repeat(60)), "{what}: torn line {l:?}");
        let key = l
            .split(" phase=")
            .nth(1)
            .unwrap()
            .split(' ')
            .take(2)
            .collect::<Vec<_>>();
        assert!(seen.insert(key.join(" ")), "{what}: {l:?} twice");
    }
    for i in 0..100 {
        assert!(
            seen.contains(&format!("ok seq={i}")),
            "{what}: ok {i} missing"
        );
        assert!(
            seen.contains(&format!("after seq={i}")),
            "{what}: after {i} missing"
        );
    }
    // Nothing left pending: a normal shutdown empties the directory.
    assert!(!dir.join("state").exists(), "{what}");
}

#[test]
fn failed_writes_in_crash_safe_mode_keep_the_books_and_the_committed_length() {
    // SAFETY: ignoring SIGXFSZ so a write past the limit fails with EFBIG.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let tmp = tempfile::tempdir().unwrap();
    scenario(Backend::Pwrite, tmp.path());
    if uringlog_tests::io_uring_available("crash_safe_write_errors_keep_the_books (io_uring)") {
        scenario(Backend::IoUring, tmp.path());
        // Its trial alternating the two through the failures.
        scenario(Backend::Auto, tmp.path());
    }
}
