//! A file sink gives back the blocks it preallocated by truncating the
//! file to the size it just read; another process appending between the
//! two calls would lose its bytes. So a file that grew by bytes the sink
//! did not write is shared: the sink stops preallocating and never
//! truncates it, and every byte of every writer stays. A file whose only
//! writer is the sink gets its blocks back. A forked child's sink, whose
//! parent appends to its file, never truncates it.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use uringlog::Backend;
use uringlog_sinks::FileSink;
use uringlog_tests::{assert_all_written, bare_line_logger, log_each_flushed, seq_line, SHUTDOWN};

const STEP: u64 = 1 << 20;

/// Taken by every test: a sink whose process forked since it began never
/// gives blocks back, so the forking tests must not run beside the others.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn blocks_past_the_end(path: &Path) -> i64 {
    let m = std::fs::metadata(path).unwrap();
    (m.blocks() * 512) as i64 - m.len().next_multiple_of(4096) as i64
}

fn lines(seqs: std::ops::Range<u64>) -> String {
    seqs.map(|s| seq_line(s) + "\n").collect()
}

/// Logs 10 lines, lets `between` touch the file, logs 10 more, shuts
/// down; returns the blocks left past the end.
fn run(path: &Path, between: impl FnOnce()) -> i64 {
    let sink = FileSink::new(path).unwrap().preallocate_bytes(STEP);
    let (logger, guard) = bare_line_logger(sink, Backend::Pwrite);
    assert!(log_each_flushed(&logger, 0..10).is_empty());
    between();
    assert!(log_each_flushed(&logger, 10..20).is_empty());
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20, "shared");
    blocks_past_the_end(path)
}

#[test]
fn bytes_appended_by_another_writer_stop_the_give_back() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let left = run(&path, || {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"another writer\n").unwrap();
    });
    let want = lines(0..10) + "another writer\n" + &lines(10..20);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    let reserved = (100 + STEP).next_multiple_of(4096) as i64 - 4096;
    assert_eq!(left, reserved, "not truncated: the blocks stay");
}

#[test]
fn a_file_only_the_sink_writes_gets_its_blocks_back() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let left = run(&path, || {});
    assert_eq!(std::fs::read_to_string(&path).unwrap(), lines(0..20));
    assert_eq!(left, 0);
}

/// A logger on `path` that wrote lines 0..10, and the blocks it reserved
/// past the end (checked).
fn ten_lines_reserving(path: &Path) -> (uringlog::Logger, uringlog::WriterGuard, i64) {
    let sink = FileSink::new(path).unwrap().preallocate_bytes(STEP);
    let (logger, guard) = bare_line_logger(sink, Backend::Pwrite);
    assert!(log_each_flushed(&logger, 0..10).is_empty());
    let reserved = (100 + STEP).next_multiple_of(4096) as i64 - 4096;
    assert_eq!(blocks_past_the_end(path), reserved);
    (logger, guard, reserved)
}

/// A forked child logs a line through the logger it inherited (its own
/// sink, on the same file) and shuts down while the parent still writes
/// the file: the child gives nothing back, since giving back truncates
/// the file to a size read just before, and a batch of the parent's
/// landing in between would be cut. Before, the child's close truncated
/// the file, freeing the blocks the parent had reserved.
#[test]
fn a_forked_childs_logger_never_truncates_the_file_its_parent_writes() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let (logger, guard, reserved) = ten_lines_reserving(&path);
    // SAFETY: the child only logs through the engine (no lock is held
    // across the fork by this thread) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        uringlog::info!(logger, "child");
        let s = guard.shutdown(SHUTDOWN);
        let ok = s.is_ok_and(|s| (s.written, s.dropped, s.errors) == (1, 0, 0));
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert_eq!(uringlog_tests::wait_child(pid, "the child hung"), 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        lines(0..10) + "INFO  child\n"
    );
    assert_eq!(
        blocks_past_the_end(&path),
        reserved,
        "the child cut nothing"
    );
    assert!(log_each_flushed(&logger, 10..20).is_empty());
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20, "parent");
    let want = lines(0..10) + "INFO  child\n" + &lines(10..20);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    assert_eq!(
        blocks_past_the_end(&path),
        reserved,
        "shared: not truncated"
    );
}

/// A parent that forked gives nothing back at its close even though the
/// child has not written yet: the child may append at any moment (here,
/// right after), and a batch of its landing between the parent's `fstat`
/// and `ftruncate` would be cut. Before, the parent truncated the file.
#[test]
fn a_parent_that_forked_never_truncates_the_file_its_child_may_write() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let (logger, guard, reserved) = ten_lines_reserving(&path);
    let mut go = [0; 2];
    // SAFETY: a pipe into an array of two descriptors.
    assert_eq!(unsafe { libc::pipe(go.as_mut_ptr()) }, 0);
    // SAFETY: the child waits on the pipe, logs through the engine and
    // leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let mut byte = 0u8;
        // SAFETY: closes the child's copy of the write end (so a parent
        // that ends without its word gives end of file), then reads one
        // byte into `byte`: the parent's word to go on.
        let got = unsafe {
            libc::close(go[1]);
            libc::read(go[0], (&mut byte as *mut u8).cast(), 1)
        };
        uringlog::info!(logger, "child");
        let s = guard.shutdown(SHUTDOWN);
        let ok = got == 1 && s.is_ok_and(|s| (s.written, s.errors) == (1, 0));
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert!(log_each_flushed(&logger, 10..20).is_empty());
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20, "parent");
    assert_eq!(
        blocks_past_the_end(&path),
        reserved,
        "the parent that forked cut nothing"
    );
    // SAFETY: writes one byte from a live local to the pipe.
    assert_eq!(unsafe { libc::write(go[1], [1u8].as_ptr().cast(), 1) }, 1);
    assert_eq!(uringlog_tests::wait_child(pid, "the child hung"), 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        lines(0..20) + "INFO  child\n"
    );
}

/// A parent that forked, then reopened its file (renamed away, as
/// `logrotate` does): the child's sink reopens the path as well and may
/// append to the new file, so the parent gives nothing back from it
/// either. Before, the reopened file counted the forks from the reopen,
/// and the parent truncated it at its close.
#[test]
fn a_parent_that_forked_never_truncates_the_file_it_reopened() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let (logger, guard, reserved) = ten_lines_reserving(&path);
    // SAFETY: the child leaves at once with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(0) };
    }
    assert_eq!(uringlog_tests::wait_child(pid, "the child hung"), 0);
    let old = path.with_extension("log.1");
    std::fs::rename(&path, &old).unwrap();
    logger.reopen().unwrap();
    assert!(log_each_flushed(&logger, 10..20).is_empty());
    assert_all_written(&guard.shutdown(SHUTDOWN).unwrap(), 20, "parent");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), lines(0..10));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), lines(10..20));
    assert_eq!(blocks_past_the_end(&old), reserved, "the file left");
    assert_eq!(blocks_past_the_end(&path), reserved, "the file reopened");
}
