//! The directory of a `RollingFileSink` removed while the logger runs
//! (the active file with it): the writer's check of the path (about once
//! a second) makes the directory again, as opening the sink does, and
//! every record logged from then on lands there, in order. Before, the
//! sink kept writing into the deleted file: every later record counted
//! written, and none of them readable. Nothing counts as an error.

use uringlog::{Format, Logger, Timestamp};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::SHUTDOWN;

#[test]
fn a_removed_rolling_directory_is_made_again() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    let sink = RollingFileSink::builder(&dir, "app")
        .max_file_bytes(1 << 20)
        .open()
        .unwrap();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    let log = |seq: u64| {
        uringlog::info!(logger, "seq={}", seq);
        logger.flush().unwrap();
    };
    for seq in 0..3 {
        log(seq);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // Each flush waits for its record; the path is checked before a write.
    let mut seq = 3;
    uringlog_tests::wait_for("the directory made again", || {
        log(seq);
        seq += 1;
        dir.join("app.log").exists()
    });
    let seen = seq;
    for s in seen..seen + 20 {
        log(s);
    }
    let end = guard.shutdown(SHUTDOWN).unwrap();
    let n = seen + 20;
    assert_eq!(
        (end.enqueued, end.written, end.dropped, end.errors),
        (n, n, 0, 0)
    );
    assert_eq!(uringlog_tests::file_names(&dir), ["app.log"]);
    let seqs: Vec<u64> = uringlog_tests::read_lines(&dir.join("app.log"))
        .iter()
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    // From a record logged after the removal, through the last one.
    let first = seqs[0];
    assert!((3..seen).contains(&first), "{seqs:?}");
    assert_eq!(seqs, (first..n).collect::<Vec<_>>());
}
