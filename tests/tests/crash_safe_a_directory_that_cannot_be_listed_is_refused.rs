//! Crash-safe mode on a directory holding records of a dead process,
//! built in a child under `strace` (see `failing_start`) that fails the
//! listing of the directory — its open (`openat(2)`, `EMFILE`) or its
//! first `getdents64(2)` (`EIO`) — while its state file and ring files
//! read. Recovery that does not know which ring files the directory holds
//! must not start: it would write none of their records, replace the
//! state file with one of the next generation — so the next start takes
//! those ring files for a generation already recovered — and their
//! records would be lost, uncounted. `build` fails naming the directory
//! and the errno, nothing is written, the directory is left as it was,
//! and the next start writes every record once.

use uringlog_tests::failing_start::{
    assert_refused_then_recovered, child_if_asked, start_failing_once,
};
use uringlog_tests::{files_but_the_lock, leave_pending};

/// Leaves records pending in a directory and builds on it in a child
/// whose first `syscall` on the directory fails with `errno`, said as
/// `said`.
fn check(test: &str, syscall: &str, errno: &str, said: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let before = files_but_the_lock(&dir);
    assert_eq!(
        start_failing_once(test, &dir, &log, &dir, syscall, errno),
        format!(
            "ERROR crash-safe directory {0}: cannot list {0}: {said}; \
             nothing was recovered or removed: build again once it is readable, or moved away",
            dir.display()
        )
    );
    assert_refused_then_recovered(&dir, &log, &before);
}

#[test]
fn a_directory_whose_listing_fails_is_refused_and_its_records_kept() {
    child_if_asked();
    check(
        "a_directory_whose_listing_fails_is_refused_and_its_records_kept",
        "getdents64",
        "EIO",
        "Input/output error (os error 5)",
    );
}

#[test]
fn a_directory_that_cannot_be_opened_to_list_is_refused_and_its_records_kept() {
    child_if_asked();
    check(
        "a_directory_that_cannot_be_opened_to_list_is_refused_and_its_records_kept",
        "openat",
        "EMFILE",
        "Too many open files (os error 24)",
    );
}
