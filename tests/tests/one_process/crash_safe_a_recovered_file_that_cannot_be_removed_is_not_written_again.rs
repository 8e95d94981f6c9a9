//! A ring file that recovery wrote but cannot remove (here append-only,
//! `chattr +a`; or a directory the process may not write): its records
//! must not be written again at later starts. A clean shutdown removed
//! the state file, and without one every ring file reads as pending, so
//! each later start wrote the same records again (rendered with their
//! values only, their call-site table gone) and numbered its own files
//! from generation 1 again, the name of the file left. Now the state
//! file stays while such a file does, saying nothing is pending; each
//! start says the file could not be removed, and logs as ever.

use uringlog_tests::{crash_safe_start, file_names, leave_pending, read_lines, set_append_only};

#[test]
fn a_recovered_ring_file_that_cannot_be_removed_is_not_written_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, log) = (tmp.path().join("cs"), tmp.path().join("app.log"));
    leave_pending(&dir);
    let ring = dir.join("ring-1-0");
    set_append_only(&ring, true);
    let said = format!(
        "crash-safe recovery: cannot remove {}: Operation not permitted (os error 1); its records are written and are not written again while the state file stays",
        ring.display()
    );
    let mut want = vec![format!(
        "WARN  crash-safe recovery: 4 records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
        std::process::id()
    )];
    want.push("INFO  stuck".to_owned());
    want.extend((0..3).map(|i| format!("INFO  record {i}")));
    for start in 0..3 {
        let line = format!("start {start}");
        let notes = crash_safe_start(&dir, &log, &[&line]);
        want.push(format!("INFO  {line}"));
        assert_eq!(read_lines(&log), want, "{line}");
        assert_eq!(notes, Ok(vec![said.clone()]), "{line}");
        assert_eq!(file_names(&dir), ["lock", "ring-1-0", "state"], "{line}");
    }
    set_append_only(&ring, false);
    assert_eq!(crash_safe_start(&dir, &log, &["once removed"]), Ok(vec![]));
    want.push("INFO  once removed".to_owned());
    assert_eq!(read_lines(&log), want);
    assert_eq!(file_names(&dir), ["lock"]);
}
