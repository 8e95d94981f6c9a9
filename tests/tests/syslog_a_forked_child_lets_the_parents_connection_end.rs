//! A process logging to syslog over TCP forks a child that logs once and
//! then lives on; the parent shuts its logger down. The receiver must see
//! the parent's connection end while the child still lives (the child
//! does not hold the parent's socket open), with each of the parent's
//! records on it once, in order; the child's record goes over its own
//! connection.
//!
//! The fork happens in a process the test controls (the test re-executes
//! its own binary with `SYSLOG_FORK_END_PORT` set). That process keeps the
//! child alive until the test writes a line to its standard input, which
//! the test does only once the parent's connection has ended.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{log_seqs, logger, octet_counted};

const PORT: &str = "SYSLOG_FORK_END_PORT";
const RECORDS: u64 = 30;
/// A bound for a broken run, never a measurement.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// In the re-executed process: logs, forks a child that logs once and
/// waits, shuts down, says so, and lets the child go when told.
fn scenario(port: u16) {
    let sink = SyslogSink::tcp(("127.0.0.1", port))
        .unwrap()
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .unwrap();
    let (logger, guard) = logger(sink, Policy::Block);
    log_seqs(&logger, RECORDS);
    logger.flush().unwrap();
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child only logs, flushes, reads a pipe and exits.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
    if child == 0 {
        // SAFETY: closes the child's copy of the write end.
        unsafe { libc::close(fds[1]) };
        uringlog::info!(logger, "child");
        let flushed = logger.flush();
        let mut b = [0u8; 1];
        // SAFETY: reads into a valid one-byte buffer; returns at the
        // parent's close of the write end (or its exit).
        unsafe { libc::read(fds[0], b.as_mut_ptr().cast(), 1) };
        std::process::exit(if flushed.is_ok() { 0 } else { 1 });
    }
    // SAFETY: closes the parent's copy of the read end.
    unsafe { libc::close(fds[0]) };
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, RECORDS, 0));
    println!("shut down");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    // SAFETY: closes the write end: the child's read returns.
    unsafe { libc::close(fds[1]) };
    let status = uringlog_tests::wait_child(child, "the forked child hung");
    assert_eq!(status, 0, "the child's record was not written");
    println!("child done");
}

/// A thread reading `s` to its end, sending what it read.
fn read_to_end(mut s: std::net::TcpStream) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let _ = tx.send(all);
    });
    rx
}

#[test]
fn syslog_a_forked_child_lets_the_parents_connection_end() {
    if let Ok(port) = std::env::var(PORT) {
        return scenario(port.parse().unwrap());
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "syslog_a_forked_child_lets_the_parents_connection_end",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(PORT, port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The parent connects before the fork (it flushed), the child after.
    let parent = read_to_end(l.accept().unwrap().0);
    let child = read_to_end(l.accept().unwrap().0);
    let mut out = BufReader::new(proc.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("shut down") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the scenario failed");
    }
    let ended = parent.recv_timeout(HANG_GUARD);
    let Ok(got) = ended else {
        proc.kill().unwrap();
        proc.wait().unwrap();
        panic!("the parent's connection did not end while the child lived");
    };
    writeln!(proc.stdin.take().unwrap(), "go").unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(proc.wait().unwrap().success(), "the scenario failed");
    assert!(rest.contains("child done"), "{rest}");

    let texts = |bytes: Vec<u8>| -> Vec<String> {
        (octet_counted(&bytes).iter())
            .map(|m| m.rsplit(' ').next().unwrap().to_owned())
            .collect()
    };
    let want: Vec<String> = (0..RECORDS).map(|n| format!("seq={n}")).collect();
    assert_eq!(
        texts(got),
        want,
        "the parent's records, once each, in order"
    );
    let child = child.recv_timeout(HANG_GUARD).unwrap();
    assert_eq!(
        texts(child),
        ["child"],
        "the child's over its own connection"
    );
}
