//! A process logging to syslog over TCP forks, and the child logs through
//! the logger it inherited. The child's records reach the receiver over a
//! connection of the child's own, framed whole (RFC 6587 octet counting),
//! with the child's process id as PROCID; the parent's records go on over
//! the parent's connection with its own. Nothing is counted dropped.
//!
//! The fork happens in a process the test controls: the test re-executes
//! its own binary with `SYSLOG_FORK_PORT` set, and that process forks. The
//! receiver runs in the test, so it outlives both.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{logger, octet_counted};

const PORT: &str = "SYSLOG_FORK_PORT";
const CHILD_RECORDS: u64 = 50;
/// A bound for a broken run, never a measurement.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// In the re-executed process: logs, forks, the child logs, and prints
/// `pids <parent> <child>` once both are done.
fn scenario(port: u16) {
    let sink = SyslogSink::tcp(("127.0.0.1", port))
        .unwrap()
        .hostname("host")
        .unwrap()
        .app_name("app")
        .unwrap();
    let (logger, guard) = logger(sink, Policy::Block);
    uringlog::info!(logger, "parent seq=0");
    logger.flush().unwrap();
    // SAFETY: the child only logs, flushes and exits.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
    if child == 0 {
        for n in 0..CHILD_RECORDS {
            uringlog::info!(logger, "child seq={n}");
        }
        let flushed = logger.flush();
        let s = logger.stats();
        let ok = flushed.is_ok() && (s.written, s.dropped) == (CHILD_RECORDS, 0);
        if !ok {
            eprintln!(
                "child: flush {flushed:?}, {s:?}, errors {:#?}",
                logger.recent_errors()
            );
        }
        std::process::exit(if ok { 0 } else { 1 });
    }
    let status = uringlog_tests::wait_child(child, "the forked child hung");
    assert_eq!(status, 0, "the child's records were not all written");
    uringlog::info!(logger, "parent seq=1");
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
    println!("pids {} {child}", std::process::id());
}

/// `(PROCID, MSG)` of each RFC 5424 message (header fields checked).
fn procid_and_text(messages: &[String]) -> Vec<(String, String)> {
    (messages.iter())
        .map(|m| {
            let f: Vec<&str> = m.splitn(8, ' ').collect();
            assert_eq!(f.len(), 8, "{m:?}");
            assert_eq!(
                (f[0], f[2], f[3], f[5], f[6]),
                ("<14>1", "host", "app", "-", "-")
            );
            (f[4].to_owned(), f[7].to_owned())
        })
        .collect()
}

#[test]
fn syslog_a_forked_child_sends_over_its_own_connection() {
    if let Ok(port) = std::env::var(PORT) {
        return scenario(port.parse().unwrap());
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "syslog_a_forked_child_sends_over_its_own_connection",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(PORT, port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Every connection, read to its end (the processes closing them).
    let mut readers = Vec::new();
    let started = Instant::now();
    let mut exited = None;
    loop {
        match l.accept() {
            Ok((mut s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(HANG_GUARD)).unwrap();
                readers.push(std::thread::spawn(move || {
                    let mut all = Vec::new();
                    s.read_to_end(&mut all).unwrap();
                    all
                }));
                continue;
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
        }
        // Connections made before the process exited are all queued by
        // then: one more pass takes them.
        if exited.is_some() {
            break;
        }
        exited = proc.try_wait().unwrap();
        assert!(started.elapsed() < HANG_GUARD, "the scenario hung");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(exited.unwrap().success(), "the scenario failed");
    let mut out = String::new();
    proc.stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    // The harness prints the test's name on the same line, before it.
    let pids = out.lines().find_map(|l| l.split_once("pids ")).unwrap().1;
    let (parent, child) = pids.split_once(' ').unwrap();

    let mut got: Vec<Vec<(String, String)>> = readers
        .into_iter()
        .map(|r| procid_and_text(&octet_counted(&r.join().unwrap())))
        .collect();
    got.sort();
    let own = |pid: &str, texts: Vec<String>| -> Vec<(String, String)> {
        texts.into_iter().map(|t| (pid.to_owned(), t)).collect()
    };
    let mut want = vec![
        own(parent, vec!["parent seq=0".into(), "parent seq=1".into()]),
        own(
            child,
            (0..CHILD_RECORDS)
                .map(|n| format!("child seq={n}"))
                .collect(),
        ),
    ];
    want.sort();
    assert_eq!(
        got, want,
        "one connection each, every record once, in order"
    );
}
