//! Crash-safe mode on a disk that refuses a ring file: the producer's ring
//! file cannot be allocated (here `RLIMIT_FSIZE` below the ring's size,
//! with `SIGXFSZ` ignored, so `fallocate` fails with `EFBIG` as a full disk
//! fails with `ENOSPC`). The error names the file and the errno, is counted
//! once per thread, and the thread logs through a ring in memory: every
//! record accepted is written, none dropped.
//!
//! The limit is process-wide, so a child process (this test binary,
//! re-executed) runs the logger and checks; the parent checks how it ended.

use std::process::Command;
use std::time::Duration;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_FULL_DISK_CHILD";
/// Ring capacity: the ring file (its header and this) exceeds the limit.
const RING: usize = 256 * 1024;
/// The file size limit: above the state file, below a ring file.
const LIMIT: u64 = 128 * 1024;
const RECORDS: u64 = 500;

/// In the child: the limit, a crash-safe logger, two threads logging.
fn child(dir: &str) -> ! {
    let dir = std::path::Path::new(dir);
    // SAFETY: ignoring SIGXFSZ so a write past the limit fails with EFBIG.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    uringlog_tests::set_fsize(LIMIT);
    let log = dir.join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(dir.join("cs"))
        .ring_capacity(RING)
        .build()
        .unwrap();
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                for i in 0..RECORDS {
                    uringlog::info!(logger, "t={} seq={} h={:x}", t, i, i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let errors = logger.recent_errors();
    let s = guard.shutdown(Duration::from_secs(60)).unwrap();
    assert_eq!(
        (s.enqueued, s.written, s.dropped),
        (2 * RECORDS, 2 * RECORDS, 0)
    );
    assert_eq!(s.errors, 2, "{errors:?}");
    let mut errors = errors;
    errors.sort();
    let path = |i: u32| dir.join(format!("cs/ring-1-{i}"));
    let want: Vec<String> = (0..2)
        .map(|i| {
            format!(
                "crash-safe ring file not created, this thread logs through memory: \
                 cannot allocate {} bytes for {}: File too large (os error 27)",
                4096 + RING,
                path(i).display()
            )
        })
        .collect();
    assert_eq!(errors, want);
    assert!(!path(0).exists() && !path(1).exists());
    let lines = read_lines(&log);
    assert_eq!(lines.len() as u64, 2 * RECORDS);
    for t in 0..2u64 {
        let mine: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains(&format!(" t={t} ")))
            .collect();
        assert_eq!(mine.len() as u64, RECORDS);
        for (i, l) in mine.iter().enumerate() {
            assert!(l.ends_with(&format!("t={t} seq={i} h={i:x}")), "{l}");
        }
    }
    std::process::exit(0);
}

#[test]
fn a_ring_file_the_disk_refuses_is_reported_and_nothing_is_lost() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let test = "a_ring_file_the_disk_refuses_is_reported_and_nothing_is_lost";
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
