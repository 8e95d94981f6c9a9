//! The call-site table cut short or replaced while a crash-safe logger
//! runs (a cleanup job truncating files in place, a file, a symlink or a
//! FIFO put at its name): the next call site's registration notices, as it
//! does a deleted table, and writes the table again whole, so a crash
//! after it still renders every record; never values only.
//!
//! A logger whose sink never completes a batch keeps every record
//! pending; its shutdown gives up and leaves the directory as a crash
//! would.

use std::path::{Path, PathBuf};
use std::time::Duration;
use uringlog::Logger;

/// The one call-site table in `dir`.
fn table(dir: &Path) -> PathBuf {
    let mut found = uringlog_tests::call_site_tables(dir);
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// Logs through one call site, tampers with the table, logs through it
/// and a new one, crashes and recovers: every line renders.
fn survives(tamper: impl FnOnce(&Path)) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let (logger, guard, gate) = uringlog_tests::stuck_crash_safe_logger(&dir);
    for i in 0..5 {
        uringlog::info!(logger, "first site i={}", i);
    }
    tamper(&table(&dir));
    for i in 0..5 {
        uringlog::info!(logger, "second site i={}", i);
        uringlog::info!(logger, "first site again i={}", i);
    }
    let lines = uringlog_tests::crash_and_recover(&dir, logger, guard, gate);
    assert_eq!(
        lines[0],
        format!(
            "WARN  crash-safe recovery: 16 records recovered from process {} (generation 1), 0 torn or corrupt records skipped",
            std::process::id()
        )
    );
    let mut want = vec!["INFO  stuck".to_owned()];
    want.extend((0..5).map(|i| format!("INFO  first site i={i}")));
    for i in 0..5 {
        want.push(format!("INFO  second site i={i}"));
        want.push(format!("INFO  first site again i={i}"));
    }
    assert_eq!(lines[1..], want[..]);
}

#[test]
fn a_table_truncated_to_nothing_is_written_again() {
    survives(|t| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(t)
            .unwrap()
            .set_len(0)
            .unwrap()
    });
}

#[test]
fn a_table_cut_mid_entry_is_written_again() {
    survives(|t| {
        let len = std::fs::metadata(t).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(t).unwrap();
        f.set_len(len - 10).unwrap();
    });
}

#[test]
fn a_table_replaced_by_another_file_is_written_again() {
    survives(|t| {
        let other = t.with_file_name("other");
        std::fs::write(&other, b"not a table").unwrap();
        std::fs::rename(&other, t).unwrap();
    });
}

#[test]
fn a_table_replaced_by_a_dangling_symlink_is_written_again() {
    survives(|t| {
        std::fs::remove_file(t).unwrap();
        std::os::unix::fs::symlink(t.with_file_name("nowhere"), t).unwrap();
    });
}

#[test]
fn a_table_moved_out_of_the_directory_is_written_again() {
    survives(|t| std::fs::rename(t, t.parent().unwrap().with_file_name("moved")).unwrap());
}

#[test]
fn a_table_linked_elsewhere_then_unlinked_is_written_again() {
    survives(|t| {
        std::fs::hard_link(t, t.parent().unwrap().with_file_name("kept")).unwrap();
        std::fs::remove_file(t).unwrap();
    });
}

#[test]
fn a_table_replaced_by_a_fifo_is_written_again() {
    survives(|t| {
        std::fs::remove_file(t).unwrap();
        let c = std::ffi::CString::new(t.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    });
}

#[test]
fn the_writer_tries_again_when_the_tables_name_was_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    let sink = uringlog_sinks::FileSink::new(tmp.path().join("app.log")).unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .crash_safe(&dir)
        .build()
        .unwrap();
    let log = |i: u64| uringlog::info!(logger, "kept site i={}", i);
    log(0);
    logger.flush().unwrap();
    // A directory at the table's name: writing the table again fails.
    let t = table(&dir);
    std::fs::remove_file(&t).unwrap();
    std::fs::create_dir(&t).unwrap();
    // Two batches: the first one's commit is done once the second is
    // written, and found the name taken.
    for i in 1..3 {
        log(i);
        logger.flush().unwrap();
    }
    assert!(std::fs::metadata(&t).unwrap().is_dir());
    // Once the name is free, a later commit writes the table.
    std::fs::remove_dir(&t).unwrap();
    let piece = b"kept site i=";
    let mut i = 3;
    uringlog_tests::wait_for("the table written again", || {
        log(i);
        i += 1;
        logger.flush().unwrap();
        let table = std::fs::read(&t).unwrap_or_default();
        table.windows(piece.len()).any(|w| w == piece)
    });
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.enqueued, s.written), (i, i));
}
