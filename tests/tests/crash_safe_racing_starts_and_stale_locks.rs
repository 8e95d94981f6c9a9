//! Crash-safe mode: two loggers racing to build on one directory (a
//! service started twice, one start recovering what a dead process left
//! while the other starts), and a lock file naming a dead process whose
//! pid now belongs to a live, unrelated one.
//!
//! Loggers of one process conflict like two processes (each build opens
//! the lock file anew, and `flock` locks belong to the open file), so the
//! race runs on two threads here.

use std::sync::{Arc, Barrier};
use uringlog::{BuildError, Logger, WriterGuard};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_self, plain, run_self};
use uringlog_tests::{read_lines, SHUTDOWN};

const CHILD: &str = "URINGLOG_RACING_STARTS_CHILD";
const TEST: &str = "two_racing_starts_one_recovers_the_other_names_it";
const ROUNDS: usize = 40;

fn build(
    dir: &std::path::Path,
    log: &std::path::Path,
) -> Result<(Logger, WriterGuard), BuildError> {
    Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .crash_safe(dir)
        .build()
}

/// The pid of a process that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn two_racing_starts_one_recovers_the_other_names_it() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (dir, log) = spec.split_once(',').unwrap();
        let (logger, _guard) = build(dir.as_ref(), log.as_ref()).unwrap();
        for i in 0..50 {
            uringlog::info!(logger, "record {}", i);
        }
        kill_self();
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let (_, status) = run_self(TEST, CHILD, &format!("{},{}", dir.display(), log.display()));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let me = std::process::id();
    let busy = format!(
        "crash-safe directory {}: in use by process {me}, which is running",
        dir.display()
    );
    for round in 0..ROUNDS {
        if round > 0 {
            // The lock file names a dead process, as a killed owner leaves it.
            std::fs::write(dir.join("lock"), format!("{}\n", dead_pid())).unwrap();
        }
        let barrier = Arc::new(Barrier::new(2));
        let starts: Vec<_> = (0..2)
            .map(|_| {
                let (b, dir, log) = (barrier.clone(), dir.clone(), log.clone());
                std::thread::spawn(move || {
                    b.wait();
                    build(&dir, &log)
                })
            })
            .collect();
        let results: Vec<_> = starts.into_iter().map(|h| h.join().unwrap()).collect();
        let mut ok = Vec::new();
        for r in results {
            match r {
                Ok(x) => ok.push(x),
                Err(e) => assert_eq!(e.to_string(), busy, "round {round}"),
            }
        }
        // Both may succeed only one after the other: never here, where the
        // first holds its logger until both have returned.
        assert_eq!(ok.len(), 1, "round {round}");
        let (logger, guard) = ok.pop().unwrap();
        drop(logger);
        guard.shutdown(SHUTDOWN).unwrap();
    }
    // The writer may have written some records before the kill; the
    // recovery record comes before the rest, and counts them.
    let mut lines = read_lines(&log);
    let at = (lines
        .iter()
        .position(|l| l.starts_with("WARN  crash-safe recovery: ")))
    .unwrap_or_else(|| panic!("{lines:?}"));
    let head = format!(
        "WARN  crash-safe recovery: {} records recovered from process ",
        lines.len() - at - 1
    );
    assert!(lines[at].starts_with(&head), "{}", lines[at]);
    lines.remove(at);
    let all: Vec<String> = (0..50).map(|i| format!("INFO  record {i}")).collect();
    assert_eq!(lines, all);
}

/// The lock file names a dead process whose pid a live, unrelated process
/// now has (here: this process): nobody holds the lock, so the next start
/// takes it and writes its own pid there.
#[test]
fn a_stale_lock_naming_a_reused_pid_does_not_block() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("lock"), "1\n").unwrap();
    let (logger, guard) = build(&dir, &log).unwrap();
    let me = std::process::id();
    assert_eq!(
        std::fs::read_to_string(dir.join("lock")).unwrap(),
        format!("{me}\n")
    );
    uringlog::info!(logger, "started");
    drop(logger);
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(read_lines(&log), ["INFO  started"]);
}
