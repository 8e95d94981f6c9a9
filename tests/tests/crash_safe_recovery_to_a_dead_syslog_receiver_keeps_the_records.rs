//! Crash-safe recovery into a sink that cannot take the records yet: a
//! syslog sink whose receiver is down buffers them. The directory keeps
//! the recovered records until the sink delivered them: the build waits
//! for that up to the sink's flush timeout, then fails naming the sink and
//! the cause, and the next start writes them. (Before, the build returned
//! with the records in the sink's buffer only, and a process that then
//! died lost them, uncounted.)
//!
//! The first process (this test binary, re-executed) logs ten records to
//! a syslog receiver that is down and dies by `SIGKILL`; the second
//! builds on the directory with the same sink (still down) and reports
//! the error; this process then recovers into a file.

use uringlog_sinks::SyslogSink;
use uringlog_tests::crash_child::{log_then_die, recover_plain, report_failed_build, run_self};
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_RECOVERY_DEAD_SYSLOG_CHILD";
const TEST: &str = "a_recovery_into_a_dead_receivers_buffer_keeps_the_records_for_the_next_start";

fn sink(port: u16) -> SyslogSink {
    SyslogSink::tcp(("127.0.0.1", port))
        .unwrap()
        .flush_timeout(std::time::Duration::from_millis(100))
}

/// The first process: ten records taken by the writer into the sink's
/// buffer, undelivered; then `SIGKILL`.
fn first(dir: &str, port: u16) -> ! {
    log_then_die(sink(port), dir, 10)
}

/// The second process: its build fails; the error goes to `report`.
fn second(dir: &str, port: u16, report: &str) -> ! {
    report_failed_build(sink(port), dir, report)
}

#[test]
fn a_recovery_into_a_dead_receivers_buffer_keeps_the_records_for_the_next_start() {
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
    let port = uringlog_tests::rsyslog::refusing_addr().port();
    let spec = format!("first,{},{port}", dir.display());
    let (pid, status) = run_self(TEST, CHILD, &spec);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let spec = format!("second,{},{port},{}", dir.display(), report.display());
    let (_, status) = run_self(TEST, CHILD, &spec);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let e = std::fs::read_to_string(&report).unwrap();
    let head = format!(
        "crash-safe directory {}: recovered records not delivered by syslog tcp 127.0.0.1:{port} within its flush timeout (",
        dir.display()
    );
    assert!(e.starts_with(&head), "{e}");
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
