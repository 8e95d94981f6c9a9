//! Crash-safe recovery of a file whose format does not end records with a
//! newline (each record ends with an ASCII record separator, `0x1e`),
//! though messages may hold newlines: the batch in flight at the crash is
//! cut at the file's committed length, not at the first newline after it
//! (that would keep the head of the batch's first record, which recovery
//! then writes again).
//!
//! The dead process is a child (this test binary, re-executed): it
//! commits three records, logs three more whose messages hold a newline,
//! and dies by `SIGKILL` in a hook sink placed after its file sink, at the
//! first batch after the commit: that batch is in the file, not committed.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{
    Backend, BatchLimit, Logger, Record, RecordFormat, ReopenCause, Sink, Target, WriteOutcome,
};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_child, kill_self, Dead, Hook};
use uringlog_tests::wait_for;

const CHILD: &str = "URINGLOG_SEPARATED_FORMAT_CHILD";

static FLUSHED: AtomicBool = AtomicBool::new(false);
static LOGGED: AtomicBool = AtomicBool::new(false);

/// `<level> <message>` then `0x1e`, the message as it is.
struct Separated;

impl RecordFormat for Separated {
    fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
        out.extend_from_slice(rec.level().as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(rec.message());
        out.push(0x1e);
    }
}

/// A file sink with the [`Separated`] format.
struct SeparatedFile(FileSink);

impl Sink for SeparatedFile {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        self.0.target(len)
    }
    fn batch_limit(&self) -> BatchLimit {
        self.0.batch_limit()
    }
    fn take_error(&mut self) -> Option<io::Error> {
        self.0.take_error()
    }
    fn take_notice(&mut self) -> Option<String> {
        self.0.take_notice()
    }
    fn on_write(&mut self, outcome: &WriteOutcome<'_>) {
        self.0.on_write(outcome)
    }
    fn path_changed(&mut self) -> bool {
        self.0.path_changed()
    }
    fn reopen(&mut self, cause: ReopenCause) -> io::Result<()> {
        self.0.reopen(cause)
    }
    fn close(&mut self) -> io::Result<()> {
        self.0.close()
    }
    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        Some(Box::new(Separated))
    }
}

fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(SeparatedFile(FileSink::new(log).unwrap()))
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) {
                wait_for("records 3..6", || LOGGED.load(Ordering::SeqCst));
                kill_self()
            }
        }))
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    logger.flush().unwrap();
    FLUSHED.store(true, Ordering::SeqCst);
    for i in 3..6 {
        uringlog::info!(logger, "record {}\nsecond line", i);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the next batch");
}

fn records(log: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(log).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\x1e'), "{text:?}");
    text.split_terminator('\x1e').map(str::to_owned).collect()
}

#[test]
fn the_batch_in_flight_is_cut_at_the_committed_length() {
    const NAME: &str = "the_batch_in_flight_is_cut_at_the_committed_length";
    let Dead {
        tmp: _tmp,
        dir,
        log,
        pid,
    } = kill_child(NAME, CHILD, die);
    let committed: Vec<String> = (0..3).map(|i| format!("INFO record {i}")).collect();
    let before = records(&log);
    assert_eq!(before[..3], committed[..]);
    assert!(
        before.len() > 3,
        "the batch in flight is in the file: {before:?}"
    );
    let grown = std::fs::metadata(&log).unwrap().len();
    let (logger, guard) = Logger::builder()
        .sink(SeparatedFile(FileSink::new(&log).unwrap()))
        .backend(Backend::Pwrite)
        .crash_safe(&dir)
        .build()
        .unwrap();
    drop(logger);
    guard.shutdown(uringlog_tests::SHUTDOWN).unwrap();
    let mut want = committed.clone();
    let len: usize = committed.iter().map(|r| r.len() + 1).sum();
    want.push(format!(
        "WARN crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} cut from {grown} to {len} bytes (a batch in flight at the crash, written again)",
        log.display()
    ));
    want.extend((3..6).map(|i| format!("INFO record {i}\nsecond line")));
    assert_eq!(records(&log), want);
}
