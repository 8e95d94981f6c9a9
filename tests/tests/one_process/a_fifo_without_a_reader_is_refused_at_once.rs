//! `FileSink::new` on a FIFO never blocks: with or without a reader it is
//! refused at once with the same error, naming the path.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use uringlog_sinks::FileSink;

/// The error `FileSink::new(path)` returns, from a thread that must answer
/// (a hang fails the test instead of hanging it).
fn open_error(path: &Path) -> String {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(FileSink::new(&p).map(|_| ()).map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Err(e)) => e,
        Ok(Ok(())) => panic!("a FIFO was accepted as a log file"),
        Err(_) => panic!("FileSink::new blocked on a FIFO"),
    }
}

#[test]
fn a_fifo_without_a_reader_is_refused_at_once() {
    let (_dir, path) = uringlog_tests::temp_log("fifo");
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let expected = format!(
        "cannot open log file {}: not a regular file",
        path.display()
    );

    assert_eq!(open_error(&path), expected, "no reader");

    // SAFETY: `c` is a valid path; O_NONBLOCK makes a read-only open of a
    // FIFO return at once.
    let reader = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK) };
    assert!(reader >= 0);
    assert_eq!(open_error(&path), expected, "with a reader");
    // SAFETY: `reader` is a descriptor this test opened.
    unsafe { libc::close(reader) };
}
