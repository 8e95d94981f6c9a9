//! A `RollingFileSink` by size with `keep_files(2)` on a disk too small
//! for a full rotated file and a full active one (a 256 KiB tmpfs mostly
//! taken by another file). The active file runs out of space before its
//! size limit: the write that finds no room fails (its record counted
//! dropped, its torn part cut off) and the next batch rotates, so
//! retention deletes the oldest file and its space comes back.
//!
//! Before, nothing rotated (the failed batches never brought the file to
//! its limit), retention never ran, and every record after the first
//! failure was dropped. Each record is flushed on its own (a batch each),
//! so which ones fail is exact. Both backends. Needs root (to mount).

use uringlog::Backend;
use uringlog_sinks::RollingFileSink;
use uringlog_tests::{bare_line_logger, file_names, log_each_flushed, seq_line, Tmpfs, SHUTDOWN};

const RECORDS: u64 = 3_000;
/// 600 lines of 100 bytes.
const FILE: u64 = 60_000;
const PAGE: u64 = 4_096;

fn scenario(backend: Backend, base: &std::path::Path) {
    let what = format!("{backend:?}");
    let fs = Tmpfs::mount_256k(base.join(&what));
    // 38 of the 64 pages: 26 left, 106,496 bytes.
    std::fs::write(fs.0.join("filler"), vec![b'f'; (38 * PAGE) as usize]).unwrap();
    let logs = fs.0.join("logs");
    let sink = RollingFileSink::builder(&logs, "app")
        .max_file_bytes(FILE)
        .keep_files(2)
        .open()
        .unwrap();
    let (logger, guard) = bare_line_logger(sink, backend);
    let failed = log_each_flushed(&logger, 0..RECORDS);
    let end = guard.shutdown(SHUTDOWN).unwrap();
    // A full file takes 15 pages, leaving 11 (45,056 bytes) for the next:
    // its 451st line finds no room. The next batch rotates; retention
    // deletes the full file, and the next file has room for a full 600
    // lines. Cycles of 600 + 451 records, one dropped in each.
    let want: Vec<u64> = [1_050, 2_101].into();
    assert_eq!(failed, want, "{what}: {:?}", logger.recent_errors());
    let n = want.len() as u64;
    assert_eq!(
        (end.enqueued, end.written, end.dropped, end.errors),
        (RECORDS, RECORDS - n, n, n),
        "{what}"
    );
    assert_eq!(file_names(&logs), ["app.000005.log", "app.log"], "{what}");
    let names = ["app.000005.log".to_owned(), "app.log".to_owned()];
    let lines: Vec<String> = uringlog_tests::lines_of_files(&logs, &names)
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let want: Vec<String> = (2_102..RECORDS).map(seq_line).collect();
    assert_eq!(lines, want, "{what}");
}

#[test]
fn a_rolling_file_out_of_space_rotates_so_retention_frees_some() {
    let base = tempfile::tempdir().unwrap();
    for backend in
        uringlog_tests::backends("a_rolling_file_out_of_space_rotates_so_retention_frees_some")
    {
        scenario(backend, base.path());
    }
}
