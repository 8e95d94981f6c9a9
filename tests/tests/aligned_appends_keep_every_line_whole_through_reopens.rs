//! Under load a file sink's writes end at aligned offsets, inside a record
//! (see `FileSink`'s *Aligned writes*). Renamed away and reopened again
//! and again meanwhile, every file the logger wrote ends on a whole line,
//! and together they hold every record once, in order; with the pwrite
//! backend (which aligns) and io_uring (which does not).

use std::time::Duration;
use uringlog::Backend;

const RECORDS: u64 = 200_000;

fn pad(i: u64) -> String {
    "x".repeat((i * 37 % 300) as usize)
}

fn scenario(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = uringlog_tests::aligned_file_logger(&path, backend);
    let mut rotated = Vec::new();
    std::thread::scope(|s| {
        let l = logger.clone();
        let producer = s.spawn(move || {
            for i in 0..RECORDS {
                uringlog::info!(l, "seq={i} {}", pad(i));
            }
        });
        let mut n = 0;
        while !producer.is_finished() {
            std::thread::sleep(Duration::from_millis(2));
            let to = dir.path().join(format!("app.log.{n}"));
            std::fs::rename(&path, &to).unwrap();
            logger.reopen().unwrap();
            rotated.push(to);
            n += 1;
        }
    });
    let end = guard.shutdown(Duration::from_secs(20)).unwrap();
    assert_eq!(
        (end.written, end.dropped, end.errors),
        (RECORDS, 0, 0),
        "{end:?}"
    );
    assert!(rotated.len() >= 2, "rotated {} times", rotated.len());
    rotated.push(path);
    let mut next = 0u64;
    for f in &rotated {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{} ends inside a line",
            f.display()
        );
        for line in text.lines() {
            let seq = uringlog_tests::field(line, "seq=")
                .unwrap_or_else(|| panic!("not a record: {line:?} in {}", f.display()));
            assert_eq!(seq, next, "in {}", f.display());
            assert!(
                uringlog_tests::whole_record_message(line)
                    == Some(format!("seq={seq} {}", pad(seq))),
                "torn: {line:?}"
            );
            next += 1;
        }
    }
    assert_eq!(next, RECORDS);
}

#[test]
fn aligned_appends_keep_every_line_whole_through_reopens() {
    scenario(Backend::Pwrite);
    if uringlog_tests::io_uring_available("aligned appends through reopens (io_uring)") {
        scenario(Backend::IoUring);
    }
}
