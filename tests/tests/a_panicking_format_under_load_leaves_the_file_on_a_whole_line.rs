//! A sink's own format that panics on the writer thread while the writer,
//! under load, ends its appends at aligned offsets inside records (see
//! `Sink::may_split_records`): the record begun in the file is taken out
//! again with the writer, so the file holds exactly the records counted
//! written, each whole, and ends on a line.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Backend, RecordFormat, SharedFd, ShutdownError, Sink, Target};
use uringlog_tests::BombFormat;

/// Appends to a file, letting the writer split records; formats with a
/// `BombFormat`.
struct Appending {
    file: Arc<File>,
    explode_at: u64,
}

impl Sink for Appending {
    fn describe(&self) -> String {
        "appending".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        let fd: SharedFd = self.file.clone();
        Ok(Target::Append { fd })
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        Some(Box::new(BombFormat::new(self.explode_at)))
    }
    fn may_split_records(&self) -> bool {
        true
    }
}

#[test]
fn a_panicking_format_under_load_leaves_the_file_on_a_whole_line() {
    for explode_at in [20_000, 33_333] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let file = uringlog_tests::append_and_read(&path);
        let sink = Appending {
            file: Arc::new(file),
            explode_at,
        };
        let (logger, guard) = uringlog_tests::aligned_logger(sink, Backend::Pwrite);
        for i in 0..50_000u64 {
            uringlog::info!(logger, "seq={i} {}", "z".repeat((i % 200) as usize));
        }
        let end = match guard.shutdown(Duration::from_secs(20)) {
            Err(ShutdownError::WriterPanicked { stats }) => stats,
            other => panic!("the writer did not panic: {other:?}"),
        };
        assert_eq!(end.written + end.dropped, 50_000, "{end:?}");
        assert!(end.written < explode_at, "{end:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "ends inside a line"
        );
        let mut n = 0u64;
        for line in text.lines() {
            let seq = uringlog_tests::field(line, "seq=").unwrap();
            assert_eq!(seq, n);
            assert_eq!(line, format!("seq={n} {}", "z".repeat((n % 200) as usize)));
            n += 1;
        }
        assert_eq!(
            n, end.written,
            "the file holds exactly the records counted written"
        );
    }
}
