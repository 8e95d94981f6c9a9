//! Crash-safe mode with a directory where the state file goes (`state`)
//! or where its replacement is made (`state.new`): the new state file
//! cannot be put in place, so `build` must fail before it writes the
//! recovered records, naming the path. Writing them first wrote them
//! again at each later attempt: with no usable state file, nothing counted
//! them to cut. Once the directory is moved away, each record is written
//! exactly once.

use std::path::Path;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{plain, recover_plain};
use uringlog_tests::{leave_pending, pending_lines, read_lines};

fn build_error(dir: &Path, log: &Path) -> String {
    Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .format(plain())
        .crash_safe(dir)
        .build()
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

fn check(in_the_way: &str, recovered_from: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let blocker = dir.join(in_the_way);
    if in_the_way == "state" {
        std::fs::remove_file(&blocker).unwrap();
    }
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("kept"), b"x").unwrap();
    let want = format!(
        "crash-safe directory {}: {} is a directory, where the state file goes; nothing was recovered: move it away and build again",
        dir.display(),
        blocker.display()
    );
    for attempt in 0..2 {
        assert_eq!(build_error(&dir, &log), want, "attempt {attempt}");
        assert_eq!(
            std::fs::metadata(&log).unwrap().len(),
            0,
            "attempt {attempt}"
        );
    }
    std::fs::remove_dir_all(&blocker).unwrap();
    let stats = recover_plain(&dir, &log);
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (5, 5, 0));
    assert_eq!(read_lines(&log), pending_lines(recovered_from));
}

#[test]
fn a_directory_at_the_state_files_path_fails_before_writing() {
    check("state", "a process whose state file was unusable");
}

#[test]
fn a_directory_where_the_new_state_file_is_made_fails_before_writing() {
    // The pending records are this process's own (its logger gave up).
    let from = format!("process {} (generation 1)", std::process::id());
    check("state.new", &from);
}
