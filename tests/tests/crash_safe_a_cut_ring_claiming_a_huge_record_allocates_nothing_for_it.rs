//! A ring file cut short whose pending frame claims a record as large as
//! the largest ring (1 GiB): recovery finds the record's bytes missing
//! before it takes any memory for them. It allocated the whole claimed
//! length first, so under an address-space limit below it (here 768 MiB,
//! in a child process) `build` aborted the process; it now says where
//! the file was cut, and the child logs on (the child, this test binary
//! re-executed, writes its notices and its count of lines to `report`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use uringlog::{Logger, MemorySink};

const CHILD: &str = "URINGLOG_HUGE_CLAIM_CHILD";
const RING_HEADER: usize = 4096;
const CAPACITY: u64 = 1 << 30;

/// A ring file of generation 1 holding a header and the first 64 bytes of
/// a frame at position 0 that claims `CAPACITY - 8` bytes (the write
/// position past it), the rest cut off.
fn cut_ring(path: &Path) {
    let mut b = vec![0u8; RING_HEADER + 64];
    b[..8].copy_from_slice(b"ULOGRNG\x01");
    b[8..12].copy_from_slice(&3u32.to_le_bytes());
    b[12..16].copy_from_slice(&(RING_HEADER as u32).to_le_bytes());
    b[16..24].copy_from_slice(&CAPACITY.to_le_bytes());
    b[32..40].copy_from_slice(&1u64.to_le_bytes());
    b[128..136].copy_from_slice(&CAPACITY.to_le_bytes());
    let len = (CAPACITY - 8) as u32;
    b[RING_HEADER..RING_HEADER + 4].copy_from_slice(&len.to_le_bytes());
    std::fs::write(path, b).unwrap();
}

fn child(dir: &str) -> ! {
    let limit = libc::rlimit {
        rlim_cur: 768 << 20,
        rlim_max: 768 << 20,
    };
    // SAFETY: setrlimit reads the struct; lowering a limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
    let (sink, lines) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .crash_safe(dir)
        .build()
        .unwrap();
    uringlog::info!(logger, "logging goes on");
    let mut report = logger.recent_errors();
    guard.shutdown(Duration::from_secs(30)).unwrap();
    report.push(lines.lines().len().to_string());
    std::fs::write(Path::new(dir).with_file_name("report"), report.join("\n")).unwrap();
    std::process::exit(0)
}

#[test]
fn a_cut_ring_claiming_a_huge_record_allocates_nothing_for_it() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    std::fs::create_dir(&dir).unwrap();
    let ring = dir.join("ring-1-0");
    cut_ring(&ring);
    let test = "a_cut_ring_claiming_a_huge_record_allocates_nothing_for_it";
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, &dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(tmp.path().join("report")).unwrap();
    let said = format!(
        "crash-safe recovery: {}: cut short at {} of {} bytes: the record at position 0 is not in it; its last {CAPACITY} bytes skipped",
        ring.display(),
        RING_HEADER + 64,
        RING_HEADER as u64 + CAPACITY
    );
    // The recovery record and the line logged.
    assert_eq!(report, format!("{said}\n2"));
}
