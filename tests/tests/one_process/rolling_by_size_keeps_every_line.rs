//! 10 MiB of 100-byte lines into 1 MiB files: every file holds whole lines
//! up to its limit, and every record appears exactly once, in order.

use std::time::Duration;
use uringlog::{Clock, Format};
use uringlog_sinks::RollingFileSink;
use uringlog_tests::{file_names, logger_with};

const LINE: usize = 100;
const FILE: u64 = 1 << 20;
/// Enough 100-byte records to fill 10 MiB.
const RECORDS: usize = (10 << 20) / LINE + 1;
/// "2026-11-28T04:56:49.123456Z INFO  rolling: " is 43 bytes; the message
/// "seq=NNNNNNNN " plus this padding fills the line to 100 with its newline.
const PAD: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

#[test]
fn rolling_by_size_keeps_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let sink = RollingFileSink::builder(dir.path(), "app")
        .max_file_bytes(FILE)
        .open()
        .unwrap();
    let (clock, _) = Clock::manual(1_795_841_809_123_456_789);
    let (logger, guard) = logger_with(sink, Format::text(), clock);
    for i in 0..RECORDS {
        uringlog::info!(logger, target: "rolling", "seq={i:08} {PAD}");
    }
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        (stats.written, stats.dropped, stats.errors),
        (RECORDS as u64, 0, 0)
    );

    let names = file_names(dir.path());
    let per_file = FILE as usize / LINE; // 10,485 lines, 1,048,500 bytes
    let full_files = RECORDS / per_file;
    let mut want: Vec<String> = (1..=full_files)
        .map(|n| format!("app.{n:06}.log"))
        .collect();
    want.push("app.log".to_owned());
    assert_eq!(names, want);

    let mut next = 0usize;
    for (k, name) in names.iter().enumerate() {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let expect_lines = if k < full_files {
            per_file
        } else {
            RECORDS - full_files * per_file
        };
        assert_eq!(text.len(), expect_lines * LINE, "{name}");
        for line in text.lines() {
            assert_eq!(
                line,
                format!("2026-11-28T04:56:49.123456Z INFO  rolling: seq={next:08} {PAD}")
            );
            next += 1;
        }
    }
    assert_eq!(next, RECORDS);
}
