//! StdoutSink in a child process whose stdout is a small, non-blocking pipe
//! read by this test: every line arrives whole and in order, none dropped,
//! although the writer meets short writes and EAGAIN on the way.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use uringlog::Logger;
use uringlog_sinks::StdoutSink;

const CHILD: &str = "URINGLOG_STDOUT_SINK_CHILD";
const RECORDS: usize = 20_000;

#[test]
fn stdout_sink_through_a_pipe() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "stdout_sink_through_a_pipe",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Let the pipe fill first so that the child's writer has to wait.
    std::thread::sleep(Duration::from_millis(20));
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .filter(|l| l.contains(" child: seq="))
        .collect();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines.len(), RECORDS);
    for (i, l) in lines.iter().enumerate() {
        assert!(l.ends_with(&format!("Z INFO  child: seq={i}")), "{l}");
    }
}

/// Runs in the child: shrink the pipe, make it non-blocking, log, check the counts.
fn child() {
    set_stdout_nonblocking(true);
    let (logger, guard) = Logger::builder().sink(StdoutSink::new()).build().unwrap();
    for i in 0..RECORDS {
        uringlog::info!(logger, target: "child", "seq={i}");
    }
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    set_stdout_nonblocking(false);
    assert_eq!((s.written, s.dropped, s.errors), (RECORDS as u64, 0, 0));
}

fn set_stdout_nonblocking(on: bool) {
    // SAFETY: fcntl on descriptor 1 with integer arguments only.
    unsafe {
        libc::fcntl(1, libc::F_SETPIPE_SZ, 4096);
        let flags = libc::fcntl(1, libc::F_GETFL);
        let flags = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        libc::fcntl(1, libc::F_SETFL, flags);
    }
}
