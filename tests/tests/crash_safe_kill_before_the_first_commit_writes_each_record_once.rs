//! Crash-safe mode: the writer records each sink file's length in the
//! directory's state at a commit, after a batch completed. A process that
//! dies after its first batches reached the log file but before the first
//! commit leaves a state without that file: recovery must still not
//! write those records a second time.
//!
//! The child (this test binary, re-executed) has a sink that settles
//! nothing (no commit happens, however the writer splits the records into
//! batches), a file sink and then a sink that kills the process
//! (`SIGKILL`) at the batch that holds the last record: it has just been
//! written to the file (pwrite, in sink order).

use std::process::Command;
use std::sync::atomic::AtomicBool;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, Holder, Hook};
use uringlog_tests::{read_lines, SHUTDOWN};

const CHILD: &str = "URINGLOG_FIRST_COMMIT_CHILD";

/// The holder settles nothing: no commit follows the first batch.
static HOLD: AtomicBool = AtomicBool::new(true);

#[test]
fn a_kill_before_the_first_commit_writes_each_record_once() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (dir, log) = spec.split_once(',').unwrap();
        let (logger, _guard) = Logger::builder()
            .sink(Holder::new(&HOLD))
            .sink(FileSink::new(log).unwrap())
            .sink(Hook::new(|lines| {
                if lines.contains(&4) {
                    kill_self()
                }
            }))
            .format(plain())
            .backend(Backend::Pwrite)
            .crash_safe(dir)
            .build()
            .unwrap();
        for i in 0..5 {
            uringlog::info!(logger, "record {}", i);
        }
        let _ = logger.flush();
        unreachable!("the killer sink ends the process");
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_kill_before_the_first_commit_writes_each_record_once",
        ])
        .env(CHILD, format!("{},{}", dir.display(), log.display()))
        .spawn()
        .unwrap();
    let pid = child.id();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    assert_eq!(read_lines(&log).len(), 5, "the file sink took the batch");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&log).unwrap())
        .format(plain())
        .crash_safe(&dir)
        .build()
        .unwrap();
    drop(logger);
    guard.shutdown(SHUTDOWN).unwrap();
    let lines = read_lines(&log);
    let mut want = vec![format!(
        "WARN  crash-safe recovery: 5 records recovered from process {} (generation 1), 0 torn or corrupt records skipped; {} cut from 75 to 0 bytes (a batch in flight at the crash, written again)",
        pid,
        log.display()
    )];
    want.extend((0..5).map(|i| format!("INFO  record {i}")));
    assert_eq!(lines, want);
}
