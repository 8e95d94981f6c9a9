//! Under load a file sink's writes end at aligned offsets, inside a record
//! (see `FileSink`'s *Aligned writes*). When writes fail there (`EFBIG`
//! past `RLIMIT_FSIZE`, as on a full disk), the record begun in the file
//! is cut out with the failed write's bytes: the file holds exactly the
//! records counted written, whole and in order, and once the limit is
//! lifted later records follow them whole.

use std::time::Duration;
use uringlog::Backend;
use uringlog_tests::set_fsize;

fn pad(i: u64) -> String {
    "y".repeat((i * 53 % 250) as usize)
}

#[test]
fn aligned_appends_keep_every_line_whole_when_writes_fail() {
    // SAFETY: ignoring SIGXFSZ so a write past the limit fails with EFBIG.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = uringlog_tests::aligned_file_logger(&path, Backend::Pwrite);
    let mut total = 0u64;
    let mut failed_rounds = 0;
    // Each round: a limit somewhere inside the next ~100 KiB, a burst of
    // ~1 MiB of records, then the limit lifted and what is left flushed.
    for round in 0..8u64 {
        let size = std::fs::metadata(&path).unwrap().len();
        set_fsize(size + 40_000 + round * 7_919);
        for _ in 0..8_000 {
            uringlog::info!(logger, "seq={total} {}", pad(total));
            total += 1;
        }
        failed_rounds += logger.flush().is_err() as u32;
        set_fsize(libc::RLIM_INFINITY);
        logger.flush().unwrap();
    }
    let end = guard.shutdown(Duration::from_secs(20)).unwrap();
    set_fsize(libc::RLIM_INFINITY);
    assert_eq!(end.written + end.dropped, total, "{end:?}");
    assert!(end.dropped > 0 && failed_rounds > 0, "{end:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let mut last = None;
    let mut lines = 0u64;
    for line in text.lines() {
        let seq =
            uringlog_tests::field(line, "seq=").unwrap_or_else(|| panic!("not a record: {line:?}"));
        assert!(
            uringlog_tests::whole_record_message(line) == Some(format!("seq={seq} {}", pad(seq))),
            "torn: {line:?}"
        );
        if let Some(l) = last {
            assert!(seq > l, "{seq} after {l}");
        }
        last = Some(seq);
        lines += 1;
    }
    assert_eq!(
        lines, end.written,
        "every record counted written is in the file, once"
    );
    assert_eq!(end.bytes_written, text.len() as u64, "{end:?}");
}
