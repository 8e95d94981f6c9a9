//! Crash-safe recovery treats the directory as untrusted: a ring file with
//! a flipped byte loses exactly that record, a truncated one the records
//! no longer in it (those still whole in it, their crcs checked, are
//! recovered), and one with a wrong magic is skipped whole; each is
//! counted in the recovery record and described, with the file's path,
//! in `recent_errors`, and logging goes on.
//!
//! The child (this test binary, re-executed) logs 50 records from each of
//! three threads, one after the other, into a sink that never completes a
//! batch, so every record stays pending in its ring file; then it kills
//! itself with `SIGKILL`.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use uringlog::{Logger, Sink, Target};
use uringlog_sinks::FileSink;
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_CORRUPT_CHILD";
const PER_THREAD: u64 = 50;
const RING_HEADER: usize = 4096;

/// A sink whose first batch never completes.
struct Stuck;

impl Sink for Stuck {
    fn describe(&self) -> String {
        "stuck sink".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, _batch: &[u8]) -> io::Result<()> {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

fn child(dir: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(Stuck)
        .crash_safe(dir)
        .build()
        .unwrap();
    for name in ["a", "b", "c"] {
        let logger = logger.clone();
        std::thread::spawn(move || {
            for i in 0..PER_THREAD {
                uringlog::info!(logger, "{} seq={}", name, i);
            }
        })
        .join()
        .unwrap();
    }
    // SAFETY: raise has no preconditions; SIGKILL ends the process.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!()
}

/// The data offset of frame `k` in ring file bytes `b`.
fn frame_at(b: &[u8], k: usize) -> usize {
    let mut at = RING_HEADER;
    for _ in 0..k {
        let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        at += len.next_multiple_of(8);
    }
    at
}

fn ring(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("ring-1-{index}"))
}

#[test]
fn corrupt_rings_are_reported_and_skipped_and_logging_goes_on() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let test = "corrupt_rings_are_reported_and_skipped_and_logging_goes_on";
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, &dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));

    // Ring 0 (thread a): one byte of record 10's message flipped.
    let mut b = std::fs::read(ring(&dir, 0)).unwrap();
    let at = frame_at(&b, 10);
    let tenth = at - RING_HEADER;
    let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    b[at + len - 1] ^= 0x20;
    std::fs::write(ring(&dir, 0), &b).unwrap();
    // Ring 1 (thread b): cut short, inside its second record, which
    // starts at ring position `second` (its crc field, which checks the
    // first record, is before the cut); the ring holds `held` bytes.
    let b = std::fs::read(ring(&dir, 1)).unwrap();
    let second = frame_at(&b, 1) - RING_HEADER;
    assert!(second + 8 < 100 && frame_at(&b, 2) - RING_HEADER > 100);
    let held = u64::from_le_bytes(b[128..136].try_into().unwrap()) as usize;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(ring(&dir, 1))
        .unwrap();
    f.set_len(RING_HEADER as u64 + 100).unwrap();
    // Ring 2 (thread c): wrong magic.
    let mut b = std::fs::read(ring(&dir, 2)).unwrap();
    b[0] = b'X';
    std::fs::write(ring(&dir, 2), &b).unwrap();

    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "after seq={}", i);
    }
    let notes = logger.recent_errors();
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(stats.written, 1 + 49 + 1 + 3);
    assert_eq!(stats.written + stats.dropped, stats.enqueued);

    let lines = read_lines(&log);
    eprintln!("{}", lines[0]);
    assert_eq!(lines.len(), 1 + 49 + 1 + 3);
    assert!(
        lines[0].contains("crash-safe recovery: 50 records recovered from process ")
            && lines[0].ends_with(", 3 torn or corrupt records skipped"),
        "{}",
        lines[0]
    );
    let want: Vec<String> = (0..PER_THREAD)
        .filter(|&i| i != 10)
        .map(|i| format!("a seq={i}"))
        .chain(["b seq=0".to_owned()])
        .chain((0..3).map(|i| format!("after seq={i}")))
        .collect();
    for (l, w) in lines[1..].iter().zip(&want) {
        assert!(l.ends_with(w.as_str()), "{l:?} should end with {w:?}");
    }
    let path = |i| ring(&dir, i).display().to_string();
    let expect = [
        format!("crash-safe recovery: {}: record 10 at position {tenth}: checksum mismatch; skipped", path(0)),
        format!(
            "crash-safe recovery: {}: cut short at {} of {} bytes: the record at position {second} is not in it; its last {} bytes skipped",
            path(1),
            RING_HEADER + 100,
            RING_HEADER + 262144,
            held - second
        ),
        format!("crash-safe recovery: {}: wrong magic; skipped", path(2)),
    ];
    assert_eq!(notes, expect);
}
