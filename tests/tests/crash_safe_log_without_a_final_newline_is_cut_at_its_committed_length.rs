//! Crash-safe mode on a log file that already ended without a newline
//! before the process wrote to it (`printf hdr > app.log`): its committed
//! length falls inside a line, legitimately. When the process dies with
//! batches in flight, the file has grown by exactly what it appended, so
//! recovery cuts at the committed length — not at the end of the line
//! it falls inside, which would leave the first record in flight in the
//! file and then write it again.
//!
//! The child (this test binary, re-executed) writes `hdr` to the log,
//! then logs three records in three batches with no commit between them
//! (a deferred sink never settles); after the third reached the file, a
//! hook sink raises `SIGKILL`.

use std::sync::atomic::AtomicBool;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{
    kill_child, kill_self, plain, recover_plain, Dead, Holder, Hook,
};
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_NO_FINAL_NEWLINE_CHILD";
const TEST: &str = "a_log_without_a_final_newline_is_cut_at_its_committed_length";

/// Set from the start: the holder settles nothing, no commit happens.
static HOLD: AtomicBool = AtomicBool::new(true);

fn child(dir: &str, log: &str) -> ! {
    std::fs::write(log, b"hdr").unwrap();
    // The holder first: each record's accounting follows its first sink,
    // so records it holds are outstanding, and no commit happens.
    let (logger, _guard) = Logger::builder()
        .sink(Holder::new(&HOLD))
        .sink(FileSink::new(log).unwrap())
        .sink(Hook::new(|lines| {
            if lines.contains(&2) {
                kill_self()
            }
        }))
        .format(plain())
        .backend(Backend::Pwrite)
        .batch_size(1)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    let _ = logger.flush();
    unreachable!("the hook kills at the batch holding record 2");
}

#[test]
fn a_log_without_a_final_newline_is_cut_at_its_committed_length() {
    let Dead {
        tmp: _tmp,
        dir,
        log,
        pid,
    } = kill_child(TEST, CHILD, child);
    let rec = |i: u32| format!("INFO  record {i}");
    assert_eq!(read_lines(&log), [format!("hdr{}", rec(0)), rec(1), rec(2)]);
    let len = std::fs::metadata(&log).unwrap().len();
    recover_plain(&dir, &log);
    let want = [
        format!(
            "hdrWARN  crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} cut from {len} to 3 bytes (a batch in flight at the crash, written again)",
            log.display(),
        ),
        rec(0),
        rec(1),
        rec(2),
    ];
    assert_eq!(read_lines(&log), want);
}
