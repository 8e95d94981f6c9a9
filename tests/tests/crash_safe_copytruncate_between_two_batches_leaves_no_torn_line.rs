//! Crash-safe mode and `copytruncate` between two batches of one commit
//! interval: the file's committed length is lowered only at the first
//! batch since a commit, so a truncation after that batch leaves the
//! committed length pointing into what the later batches wrote at the new
//! start of the file. Recovery cuts only on a line boundary, never below
//! the committed length: at the end of the line the committed length
//! falls inside. No torn line remains; that line is a record of the batch
//! in flight and is then in the file twice (the exception the crash-safe
//! guarantees name).
//!
//! The child (this test binary, re-executed) commits three short records,
//! then writes three long ones in three batches with no commit between
//! them (a deferred sink holds their completion); before the second of
//! them reaches the file, a hook sink copies the file away and truncates
//! it; after the third, a hook sink raises `SIGKILL`.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{
    kill_child, kill_self, plain, recover_plain, Dead, Holder, Hook,
};
use uringlog_tests::read_lines;

const CHILD: &str = "URINGLOG_COPYTRUNCATE_TORN_CHILD";
const TEST: &str = "copytruncate_between_two_batches_then_sigkill_leaves_no_torn_line";
const PAD: &str =
    "................................................................................";

/// Once set, the holder settles nothing more: no commit follows.
static HOLD: AtomicBool = AtomicBool::new(false);

fn child(dir: &str, log: &str) -> ! {
    let (path, copy) = (log.to_owned(), format!("{log}.1"));
    let truncate = Hook::new(move |n| {
        if n == 5 {
            std::fs::copy(&path, &copy).unwrap();
            let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            f.set_len(0).unwrap();
        }
    });
    // The holder first: each record's accounting follows its first sink,
    // so records it holds are outstanding, and no commit happens.
    let (logger, _guard) = Logger::builder()
        .sink(Holder::new(&HOLD))
        .sink(truncate)
        .sink(FileSink::new(log).unwrap())
        .sink(Hook::new(|n| {
            if n == 6 {
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
    // Written and committed: the writer commits right after it answers
    // the flush, before it takes the next records.
    logger.flush().unwrap();
    HOLD.store(true, Ordering::SeqCst);
    for i in 3..6 {
        uringlog::info!(logger, "record {} {}", i, PAD);
    }
    let _ = logger.flush();
    unreachable!("the hook kills at the sixth batch");
}

#[test]
fn copytruncate_between_two_batches_then_sigkill_leaves_no_torn_line() {
    let Dead { tmp, dir, log, pid } = kill_child(TEST, CHILD, child);
    let copy = tmp.path().join("app.log.1");
    let short = |i: u32| format!("INFO  record {i}");
    let long = |i: u32| format!("INFO  record {i} {PAD}");
    assert_eq!(read_lines(&copy), [short(0), short(1), short(2), long(3)]);
    // The file holds records 4 and 5; its committed length (the three
    // short lines, 45 bytes) falls inside record 4's line.
    assert_eq!(read_lines(&log), [long(4), long(5)]);
    let line = long(4).len() + 1;
    recover_plain(&dir, &log);
    let want = [
        long(4),
        format!(
            "WARN  crash-safe recovery: 3 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} cut from {} to {line} bytes, the end of the line its committed length 45 falls inside (truncated since the commit, then written again) (a batch in flight at the crash, written again)",
            log.display(),
            2 * line
        ),
        long(3),
        long(4),
        long(5),
    ];
    assert_eq!(read_lines(&log), want);
}
