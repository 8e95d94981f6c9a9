//! A file sink gives back the blocks it preallocated by truncating the
//! file to the size it just read; another process appending between the
//! two calls would lose its bytes. So a file that grew by bytes the sink
//! did not write is shared: the sink stops preallocating and never
//! truncates it, and every byte of every writer stays. A file whose only
//! writer is the sink gets its blocks back.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use uringlog::Backend;
use uringlog_sinks::FileSink;
use uringlog_tests::{assert_all_written, bare_line_logger, log_each_flushed, seq_line, SHUTDOWN};

const STEP: u64 = 1 << 20;

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
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let left = run(&path, || {});
    assert_eq!(std::fs::read_to_string(&path).unwrap(), lines(0..20));
    assert_eq!(left, 0);
}
