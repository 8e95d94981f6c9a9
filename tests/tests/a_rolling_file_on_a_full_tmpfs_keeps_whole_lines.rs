//! A `RollingFileSink` rotating by size on a file system that fills up (a
//! 256 KiB tmpfs): rotations go on while batches fail with `ENOSPC`.
//! Every file holds whole lines only, the files together hold exactly the
//! records counted written, in order, the books close, and once space is
//! freed every later record is written. Both backends. Needs root.

use uringlog::{Backend, Format, Logger, Timestamp};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::{file_names, Tmpfs, SHUTDOWN};

const BEFORE: u64 = 3_000;
const AFTER: u64 = 300;

fn scenario(backend: Backend, base: &std::path::Path) {
    let what = format!("{backend:?}");
    let fs = Tmpfs::mount_256k(base.join(&what));
    let filler = fs.0.join("filler");
    std::fs::write(&filler, vec![b'f'; 160 * 1024]).unwrap();
    let logs = fs.0.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let sink = RollingFileSink::builder(&logs, "app")
        .max_file_bytes(20 * 1024)
        .open()
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .backend(backend)
        .batch_bytes(4 * 1024)
        .build()
        .unwrap();
    for seq in 0..BEFORE {
        uringlog::info!(logger, "seq={} {}", seq, uringlog_tests::varied_pad(seq));
    }
    let err = logger.flush().expect_err("the disk filled up");
    let full = logger.stats();
    assert!(
        full.errors > 0 && full.dropped > 0,
        "{what}: {err}: {full:?}"
    );
    std::fs::remove_file(&filler).unwrap();
    for seq in BEFORE..BEFORE + AFTER {
        uringlog::info!(logger, "seq={} {}", seq, uringlog_tests::varied_pad(seq));
    }
    let end = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(end.enqueued, BEFORE + AFTER, "{what}");
    assert_eq!(end.written + end.dropped, end.enqueued, "{what}: {end:?}");
    assert_eq!(end.written, full.written + AFTER, "{what}: {end:?}");

    // Rotated files (numbered, oldest first), then the live one.
    let mut names = file_names(&logs);
    names.sort_by_key(|n| n == "app.log");
    let lines = uringlog_tests::lines_of_files(&logs, &names);
    let bytes: u64 = names
        .iter()
        .map(|n| std::fs::metadata(logs.join(n)).unwrap().len())
        .sum();
    let mut seqs = Vec::new();
    for (name, l) in &lines {
        let seq = uringlog_tests::field(l, "seq=").unwrap_or_else(|| panic!("{what}: {l:?}"));
        assert_eq!(*l, uringlog_tests::varied_line(seq), "{what}: {name}");
        seqs.push(seq);
    }
    assert_eq!(bytes, end.bytes_written, "{what}: {names:?}");
    assert_eq!(seqs.len() as u64, end.written, "{what}: {names:?}");
    assert!(
        uringlog_tests::strictly_increasing(&seqs),
        "{what}: {names:?}"
    );
    assert_eq!(
        seqs[seqs.len() - AFTER as usize..],
        (BEFORE..BEFORE + AFTER).collect::<Vec<_>>(),
        "{what}"
    );
}

#[test]
fn a_rolling_file_on_a_full_tmpfs_keeps_whole_lines() {
    let base = tempfile::tempdir().unwrap();
    for backend in uringlog_tests::backends("a_rolling_file_on_a_full_tmpfs_keeps_whole_lines") {
        scenario(backend, base.path());
    }
}
