//! A rolling sink that rotates with no sync round to come (no
//! `Durability::Data`, no `flush_sync`): the writer kept every file the
//! sink had rotated away open, to sync it at the next round, so a service
//! rotating for long enough ran out of descriptors (`EMFILE`: the sink
//! could not open its next file, nor the service its next socket). Once
//! 16 such files wait, one round syncs them and lets them go. A
//! `flush_sync` then syncs the rest and the current file, each file once.

use std::path::Path;
use uringlog::{Backend, Logger};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::crash_child::plain;
use uringlog_tests::{file_names, lines_of_files, SHUTDOWN};

/// Records, one batch and one file each.
const FILES: u64 = 100;
/// Files rotated away that start a round syncing them.
const ROUND: u64 = 16;

/// Descriptors of this process open on files under `dir`.
fn open_under(dir: &Path) -> u64 {
    let fds = std::fs::read_dir("/proc/self/fd").unwrap();
    let targets = fds.filter_map(|e| std::fs::read_link(e.unwrap().path()).ok());
    targets.filter(|t| t.starts_with(dir)).count() as u64
}

#[test]
fn a_rolling_sink_rotating_without_syncs_keeps_few_files_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let sink = RollingFileSink::builder(&dir, "app")
        .max_file_bytes(1)
        .open()
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(plain())
        .backend(Backend::Pwrite)
        .build()
        .unwrap();
    for i in 0..FILES {
        uringlog::info!(logger, "record {}", i);
        logger.flush().unwrap();
    }
    assert_eq!(file_names(&dir).len() as u64, FILES);
    // The current file, and those rotated away since the last round.
    let rotated = FILES - 1;
    assert_eq!(open_under(&dir), 1 + rotated % ROUND);
    // Each one a round covered synced once, when it was let go.
    assert_eq!(logger.stats().syncs, rotated / ROUND * ROUND);
    logger.flush_sync().unwrap();
    assert_eq!(logger.stats().syncs, FILES);
    assert_eq!(open_under(&dir), 1);
    drop(logger);
    let stats = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((stats.written, stats.errors), (FILES, 0));
    let mut lines: Vec<String> = (lines_of_files(&dir, &file_names(&dir)).into_iter())
        .map(|(_, l)| l)
        .collect();
    lines.sort_by_key(|l| l["INFO  record ".len()..].parse::<u64>().unwrap());
    let want: Vec<String> = (0..FILES).map(|i| format!("INFO  record {i}")).collect();
    assert_eq!(lines, want);
}
