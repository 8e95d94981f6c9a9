//! The call-site table deleted (by hand, a cleanup job) and the process
//! killed before it wrote the table again: a child process (this test
//! binary, re-executed) logs deferred records in crash-safe mode behind a
//! writer stuck in its sink (so every record stays pending), deletes the
//! table, logs more, and kills itself with `SIGKILL` right after its last
//! call returned — inside the window, every time. A logger built on the
//! directory then writes every record whose call returned, exactly once, in
//! order: rendered through the table when the table holds its call site,
//! with its values only when it does not, and the recovery record counts
//! those.

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use uringlog::{Format, Logger, Timestamp};
use uringlog_sinks::FileSink;
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_TABLE_KILL_CHILD";

fn remove_table(dir: &Path) {
    std::fs::remove_file(dir.join("sites-1")).unwrap();
}

/// In the child: logs, deletes the table (and, when `new_site`, logs from
/// a call site not seen before, which writes the table again), logs more,
/// and dies by `SIGKILL`.
fn child(dir: &str, new_site: bool) -> ! {
    let (logger, _guard, _gate) = uringlog_tests::stuck_crash_safe_logger(Path::new(dir));
    let old = |i: u64| uringlog::info!(logger, "old site i={} name={}", i, "alice");
    (0..10).for_each(old);
    remove_table(Path::new(dir));
    if new_site {
        for i in 0..3u64 {
            uringlog::warn!(logger, "new site i={:>4}", i);
        }
    }
    (10..20).for_each(old);
    // SAFETY: raise on our own process; SIGKILL cannot be caught.
    unsafe { libc::raise(libc::SIGKILL) };
    unreachable!("SIGKILL ends the process");
}

/// Runs the child, then recovers into a file: its lines (no timestamps).
fn run(test: &str, new_site: bool) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{},{new_site}", dir.display()))
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "child ended with {status:?}"
    );
    assert_eq!(dir.join("sites-1").exists(), new_site);
    let plain = Format::text().timestamp(Timestamp::Off);
    let (_l, guard) = Logger::builder()
        .sink_with(
            FileSink::new(&log).unwrap(),
            uringlog::SinkOptions::new().format(plain),
        )
        .crash_safe(&dir)
        .build()
        .unwrap();
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        (s.written, s.dropped, s.enqueued),
        (s.enqueued, 0, s.enqueued)
    );
    read_lines(&log)
}

fn child_if_asked() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (dir, new_site) = spec.rsplit_once(',').unwrap();
        child(dir, new_site == "true");
    }
}

/// Checks the recovery record: `n` records recovered, and how it ends.
fn assert_recovery_line(line: &str, n: usize, end: &str) {
    assert!(
        line.contains(&format!(": {n} records recovered from process ")),
        "{line}"
    );
    assert!(line.ends_with(end), "{line}");
}

/// `line` with its call-site address (which varies run to run) as `ADDR`.
fn without_address(line: &str) -> String {
    match line.split_once("[call site 0x") {
        Some((head, rest)) => {
            let tail = rest.split_once(' ').unwrap().1;
            format!("{head}[call site ADDR {tail}")
        }
        None => line.to_owned(),
    }
}

#[test]
fn records_pending_when_the_table_was_deleted_are_written_with_their_values() {
    child_if_asked();
    let lines = run(
        "records_pending_when_the_table_was_deleted_are_written_with_their_values",
        false,
    );
    let end = "(generation 1), 0 torn or corrupt records skipped, 21 of them written with their values only: their call site is not in the directory's call-site table (deleted or cut short)";
    assert_recovery_line(&lines[0], 21, end);
    // The target is the call site's, unknown too: empty.
    let mut want = vec!["INFO  : [call site ADDR not in the call-site table] values:".to_owned()];
    for i in 0..20 {
        want.push(format!(
            "INFO  : [call site ADDR not in the call-site table] values: {i}, \"alice\""
        ));
    }
    let got: Vec<String> = lines[1..].iter().map(|l| without_address(l)).collect();
    assert_eq!(got, want);
}

#[test]
fn a_new_call_site_after_the_deletion_writes_the_table_again_before_its_record() {
    child_if_asked();
    let lines = run(
        "a_new_call_site_after_the_deletion_writes_the_table_again_before_its_record",
        true,
    );
    assert_recovery_line(
        &lines[0],
        24,
        "(generation 1), 0 torn or corrupt records skipped",
    );
    let target = "crash_safe_table_deleted_then_sigkill";
    let mut want = vec!["INFO  uringlog_tests: stuck".to_owned()];
    want.extend((0..10).map(|i| format!("INFO  {target}: old site i={i} name=alice")));
    want.extend((0..3).map(|i| format!("WARN  {target}: new site i={i:>4}")));
    want.extend((10..20).map(|i| format!("INFO  {target}: old site i={i} name=alice")));
    assert_eq!(lines[1..], want[..]);
}
