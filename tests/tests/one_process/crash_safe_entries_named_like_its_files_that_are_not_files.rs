//! Entries of a crash-safe directory named like its ring files or
//! call-site tables (`ring-*`, `sites-*`) that are not regular files:
//!
//! - A directory is none of ours, cannot be removed with the ring files,
//!   and may hold a name this process's files take: `build` fails naming
//!   every one, before it writes anything, at every attempt; once they
//!   are moved away, each pending record is written exactly once. (It
//!   was counted as a torn or corrupt record, and said again in a
//!   recovery record, at every start.)
//! - A FIFO, a socket or a symbolic link to a device is never read (a
//!   FIFO's open or read may wait for a writer): each is said once, by
//!   path, counts as no record skipped, and goes with the ring files, so
//!   the next start says nothing.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use uringlog_tests::crash_child::recover_plain;
use uringlog_tests::{crash_safe_start, file_names, leave_pending, pending_lines, read_lines};

fn start(dir: &Path, log: &Path) -> Result<Vec<String>, String> {
    crash_safe_start(dir, log, &[])
}

#[test]
fn directories_named_like_its_files_fail_the_build_naming_each() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    // One holding a file, one empty, one whose name no ring file takes.
    let (ring, sites, odd) = (
        dir.join("ring-2-0"),
        dir.join("sites-7"),
        dir.join("ring-x"),
    );
    std::fs::create_dir(&ring).unwrap();
    std::fs::write(ring.join("kept"), b"x").unwrap();
    std::fs::create_dir(&sites).unwrap();
    std::fs::create_dir(&odd).unwrap();
    let want = format!(
        "crash-safe directory {}: {}, {}, {} are directories, where ring files and call-site tables go; nothing was recovered: move them away and build again",
        dir.display(),
        ring.display(),
        odd.display(),
        sites.display()
    );
    for attempt in 0..2 {
        assert_eq!(start(&dir, &log), Err(want.clone()), "attempt {attempt}");
        assert_eq!(
            std::fs::metadata(&log).unwrap().len(),
            0,
            "attempt {attempt}"
        );
    }
    std::fs::remove_dir(&sites).unwrap();
    std::fs::remove_dir(&odd).unwrap();
    let want = format!(
        "crash-safe directory {}: {} is a directory, where ring files and call-site tables go; nothing was recovered: move it away and build again",
        dir.display(),
        ring.display()
    );
    assert_eq!(start(&dir, &log), Err(want));
    assert_eq!(std::fs::read(ring.join("kept")).unwrap(), b"x");
    std::fs::remove_dir_all(&ring).unwrap();
    let stats = recover_plain(&dir, &log);
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (5, 5, 0));
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(read_lines(&log), pending_lines(&from));
    // Nothing left to say.
    assert_eq!(start(&dir, &log), Ok(vec![]));
    assert_eq!(read_lines(&log), pending_lines(&from));
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn fifos_sockets_and_links_to_devices_are_said_once_and_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let (fifo, table, socket, link) = (
        dir.join("ring-1-5"),
        dir.join("sites-9"),
        dir.join("ring-1-6"),
        dir.join("ring-1-7"),
    );
    mkfifo(&fifo);
    mkfifo(&table);
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let said = |p: &Path| {
        format!(
            "crash-safe recovery: {}: not a regular file; removed",
            p.display()
        )
    };
    let notes = start(&dir, &log).unwrap();
    assert_eq!(
        notes,
        [said(&fifo), said(&socket), said(&link), said(&table)]
    );
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(read_lines(&log), pending_lines(&from));
    assert_eq!(file_names(&dir), ["lock"]);
    // The next start has nothing to say.
    assert_eq!(start(&dir, &log), Ok(vec![]));
    assert_eq!(read_lines(&log), pending_lines(&from));
}

/// A symbolic link named like a ring file, to another crash-safe
/// directory's ring file (a valid one, records pending): not followed —
/// those records are that directory's, written by its own next start —
/// but said once and removed, the file it points to untouched. Followed,
/// its records were written here too.
#[test]
fn a_link_to_another_directorys_ring_file_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, other, log) = (
        tmp.path().join("cs"),
        tmp.path().join("other"),
        tmp.path().join("app.log"),
    );
    leave_pending(&other);
    std::fs::create_dir(&dir).unwrap();
    let (link, theirs) = (dir.join("ring-1-0"), other.join("ring-1-0"));
    std::os::unix::fs::symlink(&theirs, &link).unwrap();
    let before = std::fs::read(&theirs).unwrap();
    let said = format!(
        "crash-safe recovery: {}: not a regular file; removed",
        link.display()
    );
    assert_eq!(start(&dir, &log), Ok(vec![said]));
    assert_eq!(
        read_lines(&log),
        ["WARN  crash-safe recovery: 0 records recovered from a process whose state file was unusable, 0 torn or corrupt records skipped"]
    );
    assert_eq!(file_names(&dir), ["lock"]);
    assert_eq!(std::fs::read(&theirs).unwrap(), before);
    // The other directory's own start writes them, once.
    let mine = tmp.path().join("other.log");
    assert_eq!(start(&other, &mine), Ok(vec![]));
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(read_lines(&mine), pending_lines(&from));
}
