//! Crash-safe mode on a directory holding records of a dead process and
//! one file of a newer layout version (its magic ours, its version above
//! this build's): the state file, the call-site table, or one more ring
//! file. `build` fails naming the file and both versions before anything
//! is written or removed: not one recovered record reaches the sink, and
//! every file of the directory is left as it was, the newer one included,
//! at each attempt. Once the file is gone (recovered by the newer build),
//! each pending record is written exactly once.

use std::path::Path;
use uringlog::Logger;
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{plain, recover_plain};
use uringlog_tests::{files_but_the_lock, leave_pending, pending_lines, read_lines};

/// The layout version in a file's head (after its 8-byte magic).
fn version(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[8..12].try_into().unwrap())
}

/// Makes `name` in `dir` a file of a newer layout: `from` (a file of the
/// directory) with its version raised by one. Gives the error `build`
/// must fail with.
fn make_newer(dir: &Path, from: &str, name: &str) -> String {
    let mut b = std::fs::read(dir.join(from)).unwrap();
    let reads = version(&b);
    b[8..12].copy_from_slice(&(reads + 1).to_le_bytes());
    std::fs::write(dir.join(name), b).unwrap();
    format!(
        "crash-safe directory {}: {} was written by a newer uringlog (layout version {}; this \
         one reads up to {reads}); left as it is: recover it with that version",
        dir.display(),
        dir.join(name).display(),
        reads + 1
    )
}

fn check(from: &str, name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let original = std::fs::read(dir.join(from)).unwrap();
    let want = make_newer(&dir, from, name);
    let before = files_but_the_lock(&dir);
    for attempt in 0..2 {
        let built = Logger::builder()
            .sink(FileSink::new(&log).unwrap())
            .format(plain())
            .crash_safe(&dir)
            .build();
        let failed = built.map(|_| ()).map_err(|e| e.to_string());
        let written = String::from_utf8(std::fs::read(&log).unwrap()).unwrap();
        assert_eq!(
            written, "",
            "{name}, attempt {attempt}: recovered records written"
        );
        assert!(
            files_but_the_lock(&dir) == before,
            "{name}, attempt {attempt}: the directory changed"
        );
        assert_eq!(failed, Err(want.clone()), "{name}, attempt {attempt}");
    }
    match from == name {
        true => std::fs::write(dir.join(name), original).unwrap(),
        false => std::fs::remove_file(dir.join(name)).unwrap(),
    }
    let stats = recover_plain(&dir, &log);
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (5, 5, 0));
    let from = format!("process {} (generation 1)", std::process::id());
    assert_eq!(read_lines(&log), pending_lines(&from));
}

#[test]
fn a_state_file_of_a_newer_layout_fails_before_anything_is_written() {
    check("state", "state");
}

#[test]
fn a_call_site_table_of_a_newer_layout_fails_before_anything_is_written() {
    check("sites-1", "sites-1");
}

/// Read last, after the dead process's own ring file.
#[test]
fn a_ring_file_of_a_newer_layout_fails_before_anything_is_written() {
    check("ring-1-0", "ring-1-1");
}
