//! A `RollingFileSink` on a file system with no inode left (a tmpfs
//! mounted with few `nr_inodes`): rotating renames the active file, then
//! cannot create a new one (`ENOSPC`). Each failed rotation is counted
//! and reported, naming the cause; logging goes on into the active file
//! under its own name; nothing is lost. Once an inode is freed, the next
//! rotation succeeds (and the ones after it fail again). Every record is
//! written once, whole and in order across the files. Both backends.
//! Needs root (to mount).

use uringlog::{Backend, FlushError, Format, Logger, Timestamp};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::{file_names, Tmpfs, SHUTDOWN};

const RECORDS: u64 = 1_000;
/// Lines of 100 bytes, 10 KiB per file: rotations are due every ~100 records.
const FILE: u64 = 10 * 1024;

fn line(seq: u64) -> String {
    format!("INFO  seq={seq:05} {}", "i".repeat(83))
}

/// Logs `seqs`, flushing every 50 records; returns what the flushes
/// reported (the last error, once per error counted).
fn log_range(logger: &Logger, seqs: std::ops::Range<u64>) -> Vec<String> {
    let mut reported = Vec::new();
    for seq in seqs {
        uringlog::info!(logger, "seq={:05} {}", seq, "i".repeat(83));
        if seq % 50 == 49 {
            match logger.flush() {
                Ok(()) => {}
                Err(FlushError::Io {
                    failed_batches,
                    last,
                }) => reported.extend((0..failed_batches).map(|_| last.clone())),
                Err(e) => panic!("{e}"),
            }
        }
    }
    reported
}

fn scenario(backend: Backend, base: &std::path::Path) {
    let what = format!("{backend:?}");
    // Inodes: the root, `logs`, `app.log` and `spare`.
    let fs = Tmpfs::mount(base.join(&what), "size=4m,nr_inodes=4");
    let logs = fs.0.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let sink = RollingFileSink::builder(&logs, "app")
        .max_file_bytes(FILE)
        .open()
        .unwrap();
    let spare = fs.0.join("spare");
    std::fs::write(&spare, b"").unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .backend(backend)
        .batch_bytes(4 * 1024)
        .build()
        .unwrap();
    let active = logs.join("app.log");
    let want = format!(
        "{0}: cannot start a new log file: cannot open log file {0}: No space left on device \
         (os error 28); still writing to {0}",
        active.display()
    );
    let failed = log_range(&logger, 0..RECORDS / 2);
    let mid = logger.stats();
    assert!(!failed.is_empty(), "{what}: no rotation failed");
    assert_eq!(mid.errors, failed.len() as u64, "{what}: {failed:?}");
    assert!(failed.iter().all(|e| *e == want), "{what}: {failed:?}");
    assert_eq!(file_names(&logs), ["app.log"], "{what}");

    // One inode: one rotation (each failed one used up a number), then the
    // file system is out of inodes again.
    std::fs::remove_file(&spare).unwrap();
    let again = log_range(&logger, RECORDS / 2..RECORDS);
    assert!(again.iter().all(|e| *e == want), "{what}: {again:?}");
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (end.enqueued, end.written, end.dropped),
        (RECORDS, RECORDS, 0),
        "{what}: {end:?}"
    );
    assert_eq!(
        end.errors,
        mid.errors + again.len() as u64,
        "{what}: {end:?}"
    );
    let rotated = format!("app.{:06}.log", mid.errors + 1);
    assert_eq!(file_names(&logs), [rotated.as_str(), "app.log"], "{what}");

    let names = [rotated, "app.log".to_owned()];
    let mut seqs = Vec::new();
    for (name, l) in uringlog_tests::lines_of_files(&logs, &names) {
        let seq = uringlog_tests::field(&l, "seq=").unwrap();
        assert_eq!(l, line(seq), "{what}: {name}");
        seqs.push(seq);
    }
    assert_eq!(seqs, (0..RECORDS).collect::<Vec<_>>(), "{what}: {names:?}");
}

#[test]
fn a_rolling_file_out_of_inodes_keeps_writing_and_rotates_later() {
    let base = tempfile::tempdir().unwrap();
    for backend in
        uringlog_tests::backends("a_rolling_file_out_of_inodes_keeps_writing_and_rotates_later")
    {
        scenario(backend, base.path());
    }
}
