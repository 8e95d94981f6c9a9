//! A sink's own code calls `exit` on the writer thread right after a write
//! that, under load, ended at an aligned offset inside a record (see
//! `Sink::may_split_records`): the writer never writes that record's rest,
//! so the exit hook takes its start out of the file again, as after a
//! writer's panic. The file ends on a line, every line a whole record, in
//! order from the first; also when the sink logged into a sync-mode logger
//! with an appending sink of its own just before (whose writes, made on
//! this writer's thread, must not hide the record this writer began).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uringlog::{Backend, Logger, Mode, SharedFd, Sink, Target, WriteOutcome};

/// What the child exits with from the sink.
const EXIT_IN_SINK: i32 = 7;

/// Appends to a file, letting the writer split records; calls `exit` once
/// a write left the file ending inside a record, if `armed`, having logged
/// into `side` first when there is one.
struct Appending {
    file: Arc<File>,
    armed: Arc<AtomicBool>,
    side: Option<Logger>,
}

impl Sink for Appending {
    fn describe(&self) -> String {
        "appending".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        let fd: SharedFd = self.file.clone();
        Ok(Target::Append { fd })
    }
    fn on_write(&mut self, _outcome: &WriteOutcome<'_>) {
        let len = self.file.metadata().unwrap().len();
        let mut last = [0u8];
        if len > 0 {
            self.file.read_exact_at(&mut last, len - 1).unwrap();
        }
        if len % 8192 == 0 && last != *b"\n" && self.armed.load(Ordering::SeqCst) {
            if let Some(side) = &self.side {
                uringlog::info!(side, "exiting");
            }
            std::process::exit(EXIT_IN_SINK);
        }
    }
    fn may_split_records(&self) -> bool {
        true
    }
}

fn pad(seq: u64) -> String {
    "z".repeat((seq * 31 % 200) as usize)
}

/// A sync-mode logger appending to `path` through its own `Appending`
/// sink, never armed.
fn sync_logger(path: &std::path::Path) -> (Logger, uringlog::WriterGuard) {
    let sink = Appending {
        file: Arc::new(uringlog_tests::append_and_read(path)),
        armed: Arc::new(AtomicBool::new(false)),
        side: None,
    };
    let built = Logger::builder().sink(sink).mode(Mode::Sync).build();
    built.expect("a valid logger")
}

/// A child logs under load through an `Appending` sink armed at once, or
/// only as its guard begins to shut the logger down, that logs into a
/// sync-mode logger before it exits if `side`; the file it leaves holds
/// whole records, in order from the first.
fn scenario(armed_at_shutdown: bool, side: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let side_path = dir.path().join("side.log");
    let file = uringlog_tests::append_and_read(&path);
    // SAFETY: fork has no preconditions; the child logs and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let armed = Arc::new(AtomicBool::new(!armed_at_shutdown));
        let side = side.then(|| sync_logger(&side_path));
        let sink = Appending {
            file: Arc::new(file),
            armed: armed.clone(),
            side: side.as_ref().map(|(l, _)| l.clone()),
        };
        let (logger, guard) = uringlog_tests::aligned_logger(sink, Backend::Pwrite);
        for seq in 0..50_000u64 {
            uringlog::info!(logger, "seq={seq} {}", pad(seq));
        }
        armed.store(true, Ordering::SeqCst);
        // No write ended inside a record.
        let _ = guard.shutdown(uringlog_tests::SHUTDOWN);
        // SAFETY: ends the child without running the test's exit code.
        unsafe { libc::_exit(0) };
    }
    let what = format!("armed at shutdown: {armed_at_shutdown}, side: {side}");
    assert_eq!(
        uringlog_tests::wait_child(pid, "a child whose sink exits"),
        EXIT_IN_SINK,
        "{what}: the sink saw no write end inside a record"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'), "{what}: ends inside a line");
    let mut n = 0u64;
    for line in text.lines() {
        let message = uringlog_tests::whole_record_message(line);
        assert_eq!(
            message,
            Some(format!("seq={n} {}", pad(n))),
            "{what}: {line:?}"
        );
        n += 1;
    }
    assert!(n > 0, "{what}");
    if side {
        let text = std::fs::read_to_string(&side_path).unwrap();
        let lines: Vec<_> = text
            .lines()
            .map(uringlog_tests::whole_record_message)
            .collect();
        assert_eq!(lines, [Some("exiting".to_owned())], "{what}");
    }
}

#[test]
fn a_sink_calling_exit_under_load_leaves_the_file_on_a_whole_line() {
    for side in [false, true] {
        scenario(false, side);
        scenario(true, side);
    }
}
