//! Crash-safe mode against callers that misbehave: a `Display` that
//! panics (under `{}` and under a custom spec, which crash-safe mode
//! formats in the caller), and `std::process::exit` with records still in
//! the rings (a child process). The books stay exact, every record whose
//! call returned is in the file once, and the directory is left without
//! pending data, so the next logger built on it recovers nothing.

use std::process::Command;
use std::time::Duration;
use uringlog::Logger;
use uringlog_sinks::FileSink;

const SCENARIO: &str = "CRASH_SAFE_HOSTILE";

struct Boom;

impl std::fmt::Display for Boom {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("boom")
    }
}

fn lines(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| l.split_once("  ").map_or(l, |x| x.1).to_owned())
        .collect()
}

/// The next logger built on `dir` finds nothing to recover.
fn nothing_pending(dir: &std::path::Path, path: &std::path::Path) {
    let before = lines(path).len();
    let (_l, guard) = Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .crash_safe(dir)
        .build()
        .unwrap();
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written), (0, 0), "{s:?}");
    assert_eq!(lines(path).len(), before);
}

#[test]
fn a_panicking_display_keeps_the_books_and_the_directory_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, path) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    let mut want = Vec::new();
    for i in 0..50u32 {
        uringlog::info!(logger, "before {}", i);
        want.push(format!("before {i}"));
        let r = std::panic::catch_unwind(|| uringlog::info!(logger, "plain {} {}", i, Boom));
        assert!(r.is_err());
        let r = std::panic::catch_unwind(|| uringlog::info!(logger, "custom {:>8} {}", Boom, i));
        assert!(r.is_err());
        uringlog::info!(logger, "after {:x}", i);
        want.push(format!("after {i:x}"));
    }
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    assert_eq!(s.written, 100, "{s:?}");
    let target = "crash_safe_hostile_callers: ";
    let got: Vec<String> = lines(&path)
        .iter()
        .map(|l| l.strip_prefix(target).unwrap_or(l).to_owned())
        .collect();
    assert_eq!(got, want);
    nothing_pending(&dir, &path);
}

#[test]
fn process_exit_writes_every_record_and_leaves_nothing_pending() {
    if let Some(spec) = std::env::var_os(SCENARIO) {
        let spec = spec.into_string().unwrap();
        let (dir, path) = spec.split_once(',').unwrap();
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(path).unwrap())
            .crash_safe(dir)
            .ring_capacity(64 * 1024)
            .build()
            .unwrap();
        std::mem::forget(guard);
        for i in 0..20_000u32 {
            uringlog::info!(logger, "exit record {} {:08}", i, 0);
        }
        std::process::exit(7);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, path) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "process_exit_writes_every_record_and_leaves_nothing_pending",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO, format!("{},{}", dir.display(), path.display()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&path);
    assert_eq!(got.len(), 20_000);
    for (i, l) in got.iter().enumerate() {
        assert!(l.ends_with(&format!("exit record {i} 00000000")), "{l}");
    }
    nothing_pending(&dir, &path);
}
