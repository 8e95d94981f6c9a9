//! `uringlog-recover DIR`: the offline recovery writes what a process
//! killed with `SIGKILL` left in its crash-safe directory, once, and says
//! who holds a directory that is still in use.
//!
//! The child (this test binary, re-executed) logs 20 deferred records
//! (`{}` integers and floats, `{:x}`, `{:?}`: rendered through the dead
//! child's call-site table) into a sink
//! whose first batch never completes, so all of them stay pending in its
//! ring file, then kills itself.

use std::io;
use std::process::Command;
use std::time::Duration;
use uringlog::{Logger, MemorySink, Sink, Target};

const CHILD: &str = "URINGLOG_RECOVER_CHILD";
const BIN: &str = env!("CARGO_BIN_EXE_uringlog-recover");

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
    for i in 0..20 {
        uringlog::info!(
            logger,
            "pending seq={} h={:x} s={:?} f={}",
            i,
            i * 255,
            "a b",
            i as f64 / 4.0
        );
    }
    // SAFETY: raise has no preconditions; SIGKILL ends the process.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!()
}

#[test]
fn the_offline_tool_writes_every_pending_record_once() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("cs"), tmp.path().join("out.log"));
    let test = "the_offline_tool_writes_every_pending_record_once";
    let started = unix_seconds_now();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, &dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));

    // An output that refuses every byte (the kernel's ENOSPC): the error
    // names it, and the directory keeps everything for the next run.
    let run = Command::new(BIN)
        .arg(&dir)
        .args(["--out", "/dev/full"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.starts_with(&format!("uringlog-recover: crash-safe directory {}: 21 records could not be written while recovering (", dir.display()))
            && err.contains("No space left on device (os error 28)")
            && err.ends_with("; the directory keeps them for the next start\n"),
        "{err}"
    );

    let run = Command::new(BIN)
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 21, "{text}");
    assert!(lines[0]
        .contains("uringlog::crash_safe: crash-safe recovery: 20 records recovered from process "));
    assert!(lines[0].ends_with(", 0 torn or corrupt records skipped"));
    for (i, l) in lines[1..].iter().enumerate() {
        let want = format!(
            "pending seq={i} h={:x} s={:?} f={}",
            i * 255,
            "a b",
            i as f64 / 4.0
        );
        assert!(l.ends_with(&want), "{l}");
        // The child never committed: its times come from the clock anchor
        // written when its generation started.
        let t = unix_seconds(l);
        assert!(
            started <= t && t <= unix_seconds_now(),
            "{l} at {t}, started {started}"
        );
    }
    // Nothing is pending any more: a second run writes nothing.
    let run = Command::new(BIN).arg(&dir).output().unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "");
}

#[test]
fn the_offline_tool_names_the_process_holding_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (sink, _out) = MemorySink::new();
    let (_logger, guard) = Logger::builder()
        .sink(sink)
        .crash_safe(&dir)
        .build()
        .unwrap();
    let run = Command::new(BIN).arg(&dir).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "uringlog-recover: crash-safe directory {}: in use by process {}, which is running\n",
            dir.display(),
            std::process::id()
        )
    );
    guard.shutdown(Duration::from_secs(30)).unwrap();
    let run = Command::new(BIN).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
}

fn unix_seconds_now() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    d.unwrap().as_secs() as i64
}

/// Seconds since the Unix epoch of a line's `YYYY-MM-DDTHH:MM:SS…Z` time.
fn unix_seconds(line: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| line[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}
