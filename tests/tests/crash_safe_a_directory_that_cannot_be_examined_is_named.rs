//! Crash-safe mode on a directory holding records of a dead process,
//! built in a child under `strace` (see `failing_start`) whose `statx(2)`
//! of the directory fails. Creating the directory finds it exists
//! (`mkdir`: `EEXIST`) and looks at it to tell it is a directory: a look
//! that failed once must not fail the start ("cannot create it: File
//! exists", as `std::fs::create_dir_all` says), and a look that keeps
//! failing must be named with its own errno.

use uringlog_tests::failing_start::{
    assert_refused_then_recovered, child_if_asked, start_failing_at, start_failing_once,
};
use uringlog_tests::{files_but_the_lock, leave_pending, pending_lines, read_lines};

#[test]
fn a_directory_examined_in_vain_once_is_taken_and_its_records_written() {
    let test = "a_directory_examined_in_vain_once_is_taken_and_its_records_written";
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let said = start_failing_once(test, &dir, &log, &dir, "statx", "EIO");
    assert!(said.starts_with("BUILT ["), "{said}");
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(read_lines(&log), pending_lines(&from));
}

/// The directory is missing at both looks after `mkdir` found it, as
/// one removed and made again between the calls would be (`statx` says
/// `ENOENT` twice): it is made again and taken, not said to exist but be
/// unexaminable for want of a file.
#[test]
fn a_directory_missing_at_the_looks_after_mkdir_is_made_again_and_taken() {
    let test = "a_directory_missing_at_the_looks_after_mkdir_is_made_again_and_taken";
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let said = start_failing_at(test, &dir, &log, (&dir, "statx", "ENOENT"), "1..2");
    assert!(said.starts_with("BUILT ["), "{said}");
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(read_lines(&log), pending_lines(&from));
}

#[test]
fn a_directory_that_cannot_be_examined_is_named_with_the_reason() {
    let test = "a_directory_that_cannot_be_examined_is_named_with_the_reason";
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let before = files_but_the_lock(&dir);
    assert_eq!(
        start_failing_at(test, &dir, &log, (&dir, "statx", "EIO"), "1+"),
        format!(
            "ERROR crash-safe directory {}: cannot create it: \
             it exists but cannot be examined: Input/output error (os error 5)",
            dir.display()
        )
    );
    assert_refused_then_recovered(&dir, &log, &before);
}
