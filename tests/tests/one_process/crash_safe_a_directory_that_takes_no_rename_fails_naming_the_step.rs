//! A crash-safe directory whose entries cannot be renamed or removed
//! (append-only, `chattr +a`): the new state file cannot replace the old
//! one, so `build` fails — saying which step failed on which path. It
//! said only "Operation not permitted", and at the next attempt "File
//! exists": the new state file left by the first attempt was in the way,
//! its removal failing unsaid. Records pending are written once all the
//! same: each attempt's appends are counted in the old state file and cut
//! back by the next start.

use uringlog_tests::{
    assert_pending_once, crash_safe_start, file_names, leave_pending, set_append_only,
};

#[test]
fn a_directory_that_takes_no_rename_fails_naming_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    set_append_only(&dir, true);
    let (state, new) = (dir.join("state"), dir.join("state.new"));
    let failed = |what: String| {
        format!(
            "crash-safe directory {}: cannot start its state file: {what}: Operation not permitted (os error 1)",
            dir.display()
        )
    };
    let rename = failed(format!(
        "cannot rename {} to {}",
        new.display(),
        state.display()
    ));
    assert_eq!(crash_safe_start(&dir, &log, &[]), Err(rename));
    let remove = failed(format!("cannot remove {}", new.display()));
    assert_eq!(crash_safe_start(&dir, &log, &[]), Err(remove));
    set_append_only(&dir, false);
    assert_eq!(crash_safe_start(&dir, &log, &["after"]), Ok(vec![]));
    assert_pending_once(&log, &["INFO  after"]);
    assert_eq!(file_names(&dir), ["lock"]);
}
