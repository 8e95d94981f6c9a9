//! A process logging to syslog over TCP forks a child that logs once and
//! then lives on; the parent shuts its logger down. The receiver must see
//! the parent's connection end while the child still lives (the child
//! does not hold the parent's socket open), with each of the parent's
//! records on it once, in order; the child's record goes over its own
//! connection. Twice: with the parent connected at the fork, and with the
//! receiver not listening yet at the fork (the parent still retrying, its
//! records buffered: the child never sends them).
//!
//! The fork happens in a process the test controls (the test re-executes
//! its own binary with `SYSLOG_FORK_END_PORT` set). That process keeps the
//! child alive until the test writes `go` to its standard input, which the
//! test does only once the parent's connection has ended.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{free_port, log_seqs, logger, octet_counted};

const PORT: &str = "SYSLOG_FORK_END_PORT";
/// Set (to anything) when the receiver listens only after the fork.
const LATE: &str = "SYSLOG_FORK_END_LATE";
const RECORDS: u64 = 30;
/// A bound for a broken run, never a measurement.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn read_line() -> String {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    line
}

/// In the re-executed process: logs, forks a child that logs once and
/// waits, shuts down, says so, and lets the child go when told.
fn scenario(port: u16, late: bool) {
    let sink = SyslogSink::tcp(("127.0.0.1", port))
        .unwrap()
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .unwrap()
        .flush_timeout(HANG_GUARD);
    let (logger, guard) = logger(sink, Policy::Block);
    log_seqs(&logger, RECORDS);
    if !late {
        logger.flush().unwrap();
    }
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
    if late {
        println!("forked");
        read_line();
    }
    let s = guard.shutdown(HANG_GUARD).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, RECORDS, 0));
    println!("shut down");
    read_line();
    // SAFETY: closes the write end: the child's read returns.
    unsafe { libc::close(fds[1]) };
    let status = uringlog_tests::wait_child(child, "the forked child hung");
    assert_eq!(status, 0, "the child's record was not written");
    println!("child done");
}

/// Reads the scenario's output up to a line containing `what`.
fn wait_for(out: &mut BufReader<ChildStdout>, what: &str) {
    let mut line = String::new();
    while !line.contains(what) {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the scenario ended before saying {what:?}");
    }
}

/// The MSG of each message in `bytes`.
fn texts(bytes: &[u8]) -> Vec<String> {
    (octet_counted(bytes).iter())
        .map(|m| m.rsplit(' ').next().unwrap().to_owned())
        .collect()
}

/// Runs the scenario (`late`: the receiver listens only after the fork)
/// as the test `name` and checks what the receiver got.
fn run(name: &str, late: bool) {
    if let Ok(port) = std::env::var(PORT) {
        return scenario(port.parse().unwrap(), std::env::var(LATE).is_ok());
    }
    let port = free_port();
    let early = (!late).then(|| TcpListener::bind(("127.0.0.1", port)).unwrap());
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(PORT, port.to_string());
    if late {
        cmd.env(LATE, "1");
    }
    let mut proc = (cmd.stdin(Stdio::piped()).stdout(Stdio::piped()))
        .spawn()
        .unwrap();
    let mut input = proc.stdin.take().unwrap();
    let mut out = BufReader::new(proc.stdout.take().unwrap());
    let l = early.unwrap_or_else(|| {
        wait_for(&mut out, "forked");
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        writeln!(input, "listening").unwrap();
        l
    });
    // Each connection read to its end, in the order they end.
    let (tx, ended) = mpsc::channel();
    for _ in 0..2 {
        let (mut s, _) = l.accept().unwrap();
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut all = Vec::new();
            s.read_to_end(&mut all).unwrap();
            let _ = tx.send(all);
        });
    }
    wait_for(&mut out, "shut down");
    let Ok(first) = ended.recv_timeout(HANG_GUARD) else {
        proc.kill().unwrap();
        proc.wait().unwrap();
        panic!("the parent's connection did not end while the child lived");
    };
    let want: Vec<String> = (0..RECORDS).map(|n| format!("seq={n}")).collect();
    assert_eq!(texts(&first), want, "the parent's records, once, in order");
    writeln!(input, "go").unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(proc.wait().unwrap().success(), "the scenario failed");
    assert!(rest.contains("child done"), "{rest}");
    let second = ended.recv_timeout(HANG_GUARD).unwrap();
    assert_eq!(texts(&second), ["child"], "over the child's own connection");
}

#[test]
fn syslog_a_forked_child_lets_the_parents_connection_end() {
    run(
        "syslog_a_forked_child_lets_the_parents_connection_end",
        false,
    );
}

#[test]
fn syslog_a_child_forked_while_the_parent_retries_lets_its_connection_end() {
    run(
        "syslog_a_child_forked_while_the_parent_retries_lets_its_connection_end",
        true,
    );
}
