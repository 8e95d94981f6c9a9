//! Every `fallocate(2)` of a file sink fails — with `ENOSPC` (a full disk,
//! paused for one step of writes, then tried again), `EINTR` (the same) or
//! `EOPNOTSUPP` (a file system without it: never tried again for the
//! file) — and every record is written, none dropped, no error counted,
//! the file holding exactly the lines logged. A child process (this test
//! binary, re-executed) logs under `strace -e inject=fallocate:error=..`,
//! which also counts the calls. Stream sinks (a pipe, `/dev/null`) never
//! call `fallocate`.
//!
//! These tests need `strace` (`.ci/run` installs it): without it they fail.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::Command;
use uringlog::Backend;
use uringlog_sinks::{FileSink, StreamSink};
use uringlog_tests::{bare_line_logger, log_each_flushed, seq_line, SHUTDOWN};

const CHILD: &str = "URINGLOG_PREALLOC_FAILURE_CHILD";
const STEP: u64 = 64 << 10;
const LINES: u64 = 2000;
/// A `seq_line` with its newline.
const LINE: u64 = 100;

/// In a child: logs `LINES` lines, a batch each, to the sink the spec
/// names (`file,<path>` or `stream,<path>`), and writes its books to
/// `<path>.result`.
fn child_if_asked() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (kind, path) = spec.split_once(',').unwrap();
    let path = Path::new(path);
    let (logger, guard) = match kind {
        "file" => {
            let sink = FileSink::new(path).unwrap().preallocate_bytes(STEP);
            bare_line_logger(sink, Backend::Pwrite)
        }
        _ => {
            let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
            let sink = StreamSink::new(OwnedFd::from(null.unwrap()), "null");
            let (reader, writer) = uringlog_tests::pipe::pipe();
            std::thread::spawn(move || std::io::copy(&mut { reader }, &mut std::io::sink()));
            let pipe = StreamSink::new(writer, "pipe");
            let (logger, guard) = uringlog::Logger::builder()
                .sink(sink)
                .sink(pipe)
                .backend(Backend::IoUring)
                .build()
                .unwrap();
            (logger, guard)
        }
    };
    let failed = log_each_flushed(&logger, 0..LINES);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let books = format!(
        "failed flushes {} written {} dropped {} errors {}",
        failed.len(),
        s.written,
        s.dropped,
        s.errors
    );
    std::fs::write(path.with_extension("result"), books).unwrap();
    std::process::exit(0);
}

/// Runs `test` in a child under strace, `fallocate` failing with `errno`
/// (`None`: not failing); returns the child's books and its `fallocate`
/// calls.
fn run_child(test: &str, spec: &str, path: &Path, errno: Option<&str>) -> (String, usize) {
    let trace = path.with_extension("trace");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-e", "trace=fallocate", "-o"])
        .arg(&trace);
    if let Some(errno) = errno {
        cmd.arg("-e").arg(format!("inject=fallocate:error={errno}"));
    }
    let exe = std::env::current_exe().unwrap();
    let out = cmd
        .arg(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, spec)
        .output()
        .expect("this test needs strace");
    assert!(out.status.success(), "child: {out:?}");
    let mut t = String::new();
    std::fs::File::open(&trace)
        .unwrap()
        .read_to_string(&mut t)
        .unwrap();
    let calls = t.lines().filter(|l| l.contains("fallocate(")).count();
    if let Some(errno) = errno {
        let failed = t.lines().filter(|l| l.contains(errno)).count();
        assert_eq!(failed, calls, "every call failed: {t}");
    }
    let books = std::fs::read_to_string(path.with_extension("result")).unwrap();
    (books, calls)
}

/// The `fallocate` calls of `LINES` one-line batches when every call
/// fails and pauses for one step: the first batch, then the first batch
/// ending a step past the end of the batch of the previous call.
fn calls_when_paused() -> usize {
    let (mut next_look, mut calls) = (0, 0);
    for i in 0..LINES {
        let end = (i + 1) * LINE;
        if end > next_look {
            calls += 1;
            next_look = end + STEP;
        }
    }
    calls
}

fn check_file(test: &str, errno: Option<&str>, calls: usize) {
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let spec = format!("file,{}", path.display());
    let (books, seen) = run_child(test, &spec, &path, errno);
    assert_eq!(
        books,
        format!("failed flushes 0 written {LINES} dropped 0 errors 0")
    );
    assert_eq!(seen, calls, "fallocate calls");
    let want: String = (0..LINES).map(|s| seq_line(s) + "\n").collect();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
}

#[test]
fn enospc_pauses_a_step_and_writes_every_record() {
    assert_eq!(calls_when_paused(), 4);
    check_file(
        "enospc_pauses_a_step_and_writes_every_record",
        Some("ENOSPC"),
        calls_when_paused(),
    );
}

#[test]
fn eintr_pauses_a_step_and_writes_every_record() {
    check_file(
        "eintr_pauses_a_step_and_writes_every_record",
        Some("EINTR"),
        calls_when_paused(),
    );
}

#[test]
fn eopnotsupp_is_tried_once_and_writes_every_record() {
    check_file(
        "eopnotsupp_is_tried_once_and_writes_every_record",
        Some("EOPNOTSUPP"),
        1,
    );
}

#[test]
fn a_successful_step_is_taken_once_per_step() {
    // Reserved up to one step past the batch that looked: 200 KB of
    // lines look at the first batch and at each 64 KiB after it.
    check_file("a_successful_step_is_taken_once_per_step", None, 4);
}

#[test]
fn stream_sinks_never_call_fallocate() {
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("streams");
    let spec = format!("stream,{}", path.display());
    let (books, calls) = run_child("stream_sinks_never_call_fallocate", &spec, &path, None);
    assert_eq!(
        books,
        format!("failed flushes 0 written {LINES} dropped 0 errors 0")
    );
    assert_eq!(calls, 0);
}
