//! Crash-safe recovery into a syslog sink whose receiver refuses the
//! records: a RELP receiver answering every `syslog` command with 500.
//! The sink settles each recovered record as dropped, which is not a
//! delivery: the build fails naming the sink, how many it gave up on and
//! the receiver's answer, and the directory keeps the records for the next
//! start. (Before, the build counted them settled, replaced the directory,
//! and the records were gone.)
//!
//! The first process (this test binary, re-executed) logs ten records to a
//! syslog receiver that is down and dies by `SIGKILL`; the second builds
//! on the directory with a RELP sink to the refusing receiver and reports
//! the error; this process then recovers into a file.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use uringlog_sinks::SyslogSink;
use uringlog_tests::crash_child::{log_then_die, recover_plain, report_failed_build, run_self};
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_RECOVERY_REFUSING_SYSLOG_CHILD";
const TEST: &str = "a_recovery_a_receiver_refuses_keeps_the_records_for_the_next_start";

/// The first process: ten records taken by the writer into the buffer of
/// a TCP sink whose receiver is down; then `SIGKILL`.
fn first(dir: &str, port: u16) -> ! {
    log_then_die(
        SyslogSink::tcp(("127.0.0.1", port))
            .unwrap()
            .flush_timeout(std::time::Duration::from_millis(100)),
        dir,
        10,
    )
}

/// The second process: its build fails; the error goes to `report`.
fn second(dir: &str, port: u16, report: &str) -> ! {
    report_failed_build(SyslogSink::relp(("127.0.0.1", port)).unwrap(), dir, report)
}

/// One frame from the client: TXNR and command (its data skipped).
fn read_frame(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(u32, String)> {
    loop {
        let text: String = buf.iter().take(64).map(|&b| b as char).collect();
        let mut it = text.splitn(3, ' ');
        let parsed = (|| {
            let txnr: u32 = it.next()?.parse().ok()?;
            let cmd = it.next()?.to_owned();
            let digits: String = it
                .next()?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let len: usize = digits.parse().ok()?;
            let head = txnr.to_string().len() + 1 + cmd.len() + 1 + digits.len();
            let end = if len == 0 { head } else { head + 1 + len } + 1;
            (buf.len() >= end).then_some((txnr, cmd, end))
        })();
        if let Some((txnr, cmd, end)) = parsed {
            buf.drain(..end);
            return Some((txnr, cmd));
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A RELP receiver that opens sessions and refuses every record.
fn refusing_receiver() -> u16 {
    let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = Vec::new();
            while let Some((txnr, cmd)) = read_frame(&mut s, &mut buf) {
                let body = match cmd.as_str() {
                    "open" => "200 OK\nrelp_version=0\ncommands=syslog",
                    "syslog" => "500 refused",
                    _ => "200 OK",
                };
                let _ = s.write_all(format!("{txnr} rsp {} {body}\n", body.len()).as_bytes());
            }
        }
    });
    port
}

#[test]
fn a_recovery_a_receiver_refuses_keeps_the_records_for_the_next_start() {
    if let Ok(spec) = std::env::var(CHILD) {
        let mut it = spec.split(',');
        let (what, dir, port) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        match what {
            "first" => first(dir, port.parse().unwrap()),
            _ => second(dir, port.parse().unwrap(), it.next().unwrap()),
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let report = tmp.path().join("error");
    let spec = format!(
        "first,{},{}",
        dir.display(),
        uringlog_tests::rsyslog::refusing_addr().port()
    );
    let (pid, status) = run_self(TEST, CHILD, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let port = refusing_receiver();
    let spec = format!("second,{},{port},{}", dir.display(), report.display());
    let (_, status) = run_self(TEST, CHILD, &spec);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let e = std::fs::read_to_string(&report).unwrap();
    // The recovery record and the ten recovered ones, each refused.
    let head = format!(
        "crash-safe directory {}: recovered records dropped by syslog relp 127.0.0.1:{port} (11 records) (",
        dir.display()
    );
    assert!(e.starts_with(&head), "{e}");
    assert!(
        e.contains("the server refused a record: 500 refused"),
        "{e}"
    );
    assert!(
        e.ends_with("; the directory keeps them for the next start"),
        "{e}"
    );
    recover_plain(&dir, &log);
    let mut want = vec![format!(
        "WARN  crash-safe recovery: 10 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped"
    )];
    want.extend((0..10).map(|i| format!("INFO  first {i}")));
    assert_eq!(read_lines(&log), want);
}
