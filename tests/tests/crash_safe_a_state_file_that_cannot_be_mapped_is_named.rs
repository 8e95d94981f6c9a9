//! A crash-safe start whose state file cannot be mapped (`mmap(2)` fails
//! with `EIO`, injected under `strace`: see `failing_start`) fails or
//! warns naming the file and the step, not with the errno alone:
//!
//! - the new state file (`state.new`), which the start makes before it
//!   replaces the old one: `build` fails (it said only "cannot start its
//!   state file: Input/output error"); the next start cuts what the
//!   failed one wrote and writes each pending record once;
//! - the dead process's state file, which recovery counts its appends in:
//!   recovery goes on without counting, saying so (it said only "cannot
//!   count what it appends in the state file (Input/output error)").

use uringlog_tests::crash_child::recover_plain;
use uringlog_tests::failing_start::{child_if_asked, start_failing_once};
use uringlog_tests::{assert_pending_once, file_names, leave_pending};

const EIO: &str = "Input/output error (os error 5)";

/// Leaves records pending in a directory (`cs`, the log `app.log` in
/// `tmp`) and builds on it in a child whose first `mmap` of `name` in it
/// fails with `EIO`: what the child said.
fn start(test: &str, tmp: &std::path::Path, name: &str) -> String {
    let (dir, log) = (tmp.join("cs"), tmp.join("app.log"));
    leave_pending(&dir);
    start_failing_once(test, &dir, &log, &dir.join(name), "mmap", "EIO")
}

#[test]
fn a_new_state_file_that_cannot_be_mapped_fails_the_build_naming_it() {
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let test = "a_new_state_file_that_cannot_be_mapped_fails_the_build_naming_it";
    let said = start(test, tmp.path(), "state.new");
    let dir = tmp.path().join("cs");
    assert_eq!(
        said,
        format!(
            "ERROR crash-safe directory {}: cannot start its state file: cannot map {}: {EIO}",
            dir.display(),
            dir.join("state.new").display()
        )
    );
    let log = tmp.path().join("app.log");
    let stats = recover_plain(&dir, &log);
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (5, 5, 0));
    assert_pending_once(&log, &[]);
    assert_eq!(file_names(&dir), ["lock"]);
}

#[test]
fn a_dead_processs_state_file_that_cannot_be_mapped_is_named_in_the_notice() {
    child_if_asked();
    let tmp = tempfile::tempdir().unwrap();
    let test = "a_dead_processs_state_file_that_cannot_be_mapped_is_named_in_the_notice";
    let said = start(test, tmp.path(), "state");
    let dir = tmp.path().join("cs");
    assert_eq!(
        said,
        format!(
            "BUILT [\"crash-safe recovery: cannot count what it appends in the state file (cannot map {}: {EIO}); a failed recovery may leave its records there twice\"]",
            dir.join("state").display()
        )
    );
    assert_pending_once(&tmp.path().join("app.log"), &[]);
    assert_eq!(file_names(&dir), ["lock"]);
}
