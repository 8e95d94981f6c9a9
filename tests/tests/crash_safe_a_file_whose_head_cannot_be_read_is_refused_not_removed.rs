//! Crash-safe mode on a directory holding records of a dead process and
//! one file of a newer layout version whose head (its first 12 bytes,
//! read with `pread(2)`) fails with `EIO` while the rest of it reads: a
//! child process (this test binary, re-executed) builds under `strace`
//! with `-P FILE -e inject=pread64:error=EIO:when=1`, so only the first
//! `pread(2)` of that file fails. Recovery cannot tell whether the file is
//! a newer build's, so it must not read it as one of its own (taking it
//! for corrupt) nor remove it: `build` fails naming the file and the
//! errno, nothing is written and every file of the directory is left as
//! it was — under a ring file's name, and under a name recovery does not
//! parse (which it removes when it can tell the file is not a newer
//! build's).
//!
//! These tests need `strace` (`.ci/run` installs it): without it they fail.

use std::path::Path;
use std::process::Command;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::plain;
use uringlog_tests::{files_but_the_lock, leave_pending};

const CHILD: &str = "URINGLOG_HEAD_EIO_CHILD";

/// In a child: builds on `dir` (writing `log`), shuts down when built,
/// and says how it went in `<log>.result`.
fn child_if_asked() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (dir, log) = spec.split_once(',').unwrap();
    let log = Path::new(log);
    let built = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .crash_safe(dir)
        .build();
    let said = match built {
        Ok((_logger, guard)) => {
            let s = guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
            format!("BUILT {} written", s.written)
        }
        Err(e) => format!("ERROR {e}"),
    };
    std::fs::write(log.with_extension("result"), said).unwrap();
    std::process::exit(0);
}

/// Leaves records pending in a directory, adds `name`: the dead process's
/// ring file with its layout version raised by one, and builds on the
/// directory in a child whose first `pread(2)` of `name` fails with EIO.
fn check(test: &str, name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let mut b = std::fs::read(dir.join("ring-1-0")).unwrap();
    let reads = u32::from_le_bytes(b[8..12].try_into().unwrap());
    b[8..12].copy_from_slice(&(reads + 1).to_le_bytes());
    let newer = dir.join(name);
    std::fs::write(&newer, b).unwrap();
    let before = files_but_the_lock(&dir);
    let status = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-P"])
        .arg(&newer)
        .args([
            "-e",
            "trace=pread64",
            "-e",
            "inject=pread64:error=EIO:when=1",
            "--",
        ])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{},{}", dir.display(), log.display()))
        .status()
        .expect("strace (installed by .ci/run)");
    assert!(status.success(), "{status:?}");
    let said = std::fs::read_to_string(log.with_extension("result")).unwrap();
    assert_eq!(
        said,
        format!(
            "ERROR crash-safe directory {}: cannot read {}: Input/output error (os error 5); \
             nothing was recovered or removed: build again once it is readable, or moved away",
            dir.display(),
            newer.display()
        ),
        "{name}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), b"", "{name}: records written");
    assert!(
        files_but_the_lock(&dir) == before,
        "{name}: the directory changed"
    );
}

#[test]
fn a_ring_file_whose_head_cannot_be_read_is_refused_not_removed() {
    child_if_asked();
    check(
        "a_ring_file_whose_head_cannot_be_read_is_refused_not_removed",
        "ring-1-1",
    );
}

#[test]
fn a_file_of_an_unparsed_name_whose_head_cannot_be_read_is_refused_not_removed() {
    child_if_asked();
    check(
        "a_file_of_an_unparsed_name_whose_head_cannot_be_read_is_refused_not_removed",
        "ring-next",
    );
}

/// `state.new`, which the next state file is made at (and a start that
/// failed there left), is removed by a start, not read.
#[test]
fn a_new_state_file_whose_head_cannot_be_read_is_refused_not_removed() {
    child_if_asked();
    check(
        "a_new_state_file_whose_head_cannot_be_read_is_refused_not_removed",
        "state.new",
    );
}
