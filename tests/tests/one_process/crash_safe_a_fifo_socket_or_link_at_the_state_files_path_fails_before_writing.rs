//! Crash-safe mode with a FIFO, a socket or a symbolic link where the
//! state file goes (`state`) or where its replacement is made
//! (`state.new`): none is a state file of ours, and none is opened.
//! `build` fails naming the path and what it is, before it writes a
//! recovered record or removes anything; the entry (and the file a link
//! points to) is left as it is. Once it is moved away, each pending
//! record is written exactly once.
//!
//! Before: a socket at `state` failed "cannot read …: No such device or
//! address"; a FIFO or a link there was taken for an unusable state file
//! (recovery then wrote the records without the state that says what the
//! sink files already hold) and replaced; any of them at `state.new` was
//! removed after the records were written.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use uringlog_tests::crash_child::recover_plain;
use uringlog_tests::{crash_safe_start, leave_pending, pending_lines, read_lines};

/// What to put in the way.
#[derive(Clone, Copy)]
enum Entry {
    Fifo,
    Socket,
    /// To a regular file outside the directory.
    Link,
}

fn put(entry: Entry, path: &Path, victim: &Path) -> Option<std::os::unix::net::UnixListener> {
    match entry {
        Entry::Fifo => {
            let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            None
        }
        Entry::Socket => Some(std::os::unix::net::UnixListener::bind(path).unwrap()),
        Entry::Link => {
            std::os::unix::fs::symlink(victim, path).unwrap();
            None
        }
    }
}

/// Whether `path` is still the entry `put` made.
fn still_there(entry: Entry, path: &Path) -> bool {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let t = m.file_type();
    match entry {
        Entry::Fifo => t.is_fifo(),
        Entry::Socket => t.is_socket(),
        Entry::Link => t.is_symlink(),
    }
}

fn check(name: &str, entry: Entry, what: &str, recovered_from: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"precious\n").unwrap();
    leave_pending(&dir);
    let path = dir.join(name);
    if name == "state" {
        std::fs::remove_file(&path).unwrap();
    }
    let _socket = put(entry, &path, &victim);
    let want = format!(
        "crash-safe directory {}: {} is {what}, not a regular file, where the state file goes; nothing was recovered: move it away and build again",
        dir.display(),
        path.display()
    );
    for attempt in 0..2 {
        assert_eq!(
            crash_safe_start(&dir, &log, &[]),
            Err(want.clone()),
            "attempt {attempt}"
        );
        assert_eq!(
            std::fs::metadata(&log).unwrap().len(),
            0,
            "attempt {attempt}"
        );
        assert!(still_there(entry, &path), "attempt {attempt}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
    }
    std::fs::remove_file(&path).unwrap();
    let stats = recover_plain(&dir, &log);
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (5, 5, 0));
    assert_eq!(read_lines(&log), pending_lines(recovered_from));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
}

const UNUSABLE: &str = "a process whose state file was unusable";

#[test]
fn a_fifo_at_the_state_files_path_fails_before_writing() {
    check("state", Entry::Fifo, "a FIFO", UNUSABLE);
}

#[test]
fn a_socket_at_the_state_files_path_fails_before_writing() {
    check("state", Entry::Socket, "a socket", UNUSABLE);
}

#[test]
fn a_symbolic_link_at_the_state_files_path_fails_before_writing() {
    check("state", Entry::Link, "a symbolic link", UNUSABLE);
}

#[test]
fn a_fifo_socket_or_link_where_the_new_state_file_is_made_fails_before_writing() {
    // The pending records are this process's own (its logger gave up).
    let from = format!("process {} (generation 1)", std::process::id());
    for (entry, what) in [
        (Entry::Fifo, "a FIFO"),
        (Entry::Socket, "a socket"),
        (Entry::Link, "a symbolic link"),
    ] {
        check("state.new", entry, what, &from);
    }
}
