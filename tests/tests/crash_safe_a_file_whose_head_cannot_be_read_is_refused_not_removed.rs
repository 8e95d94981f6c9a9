//! Crash-safe mode on a directory holding records of a dead process and
//! one file of a newer layout version whose head (its first 12 bytes,
//! read with `pread(2)`) fails with `EIO` while the rest of it reads: a
//! child process builds under `strace` (see `failing_start`)
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

use uringlog_tests::failing_start::{child_if_asked, start_failing_once};
use uringlog_tests::{files_but_the_lock, leave_pending};

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
    let said = start_failing_once(test, &dir, &log, &newer, "pread64", "EIO");
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
