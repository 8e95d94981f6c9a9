//! Crash-safe mode across a reopen without rotation (`Logger::reopen`,
//! the reopen signal, with the file still at its path): the file sink
//! opens the same file through a new descriptor. The first batch through
//! it counts in the state as bytes appended since the commit, so a
//! `SIGKILL` right after that batch cuts the file back and recovery writes
//! the batch once. (Before, the state held the file through the old
//! descriptor only, the new one's first batch was not counted, recovery
//! did not cut, and the batch was in the file twice.)
//!
//! The child (this test binary, re-executed) logs three records, flushes,
//! reopens, logs one more; a hook sink after the file sink raises
//! `SIGKILL` at the batch after the reopen (the file sink has written it).

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_child, kill_self, plain, recover_plain, Dead, Hook};
use uringlog_tests::{read_lines, wait_for};

const CHILD: &str = "URINGLOG_REOPEN_KILL_CHILD";
const TEST: &str = "a_kill_after_the_first_batch_since_a_reopen_writes_it_once";

/// Set once the reopen is done: the hook kills at the next batch.
static REOPENED: AtomicBool = AtomicBool::new(false);

fn child(dir: &str, log: &str) -> ! {
    let hook = Hook::new(|_| {
        if REOPENED.load(Ordering::SeqCst) {
            kill_self()
        }
    });
    let (logger, _guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .sink(hook)
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(dir)
        .build()
        .unwrap();
    for i in 0..3 {
        uringlog::info!(logger, "record {}", i);
    }
    logger.flush().unwrap();
    logger.reopen().unwrap();
    REOPENED.store(true, Ordering::SeqCst);
    uringlog::info!(logger, "record 3");
    wait_for("the kill", || false);
    unreachable!("the hook kills")
}

#[test]
fn a_kill_after_the_first_batch_since_a_reopen_writes_it_once() {
    let Dead {
        tmp: _tmp,
        dir,
        log,
        pid,
    } = kill_child(TEST, CHILD, child);
    let stats = recover_plain(&dir, &log);
    assert_eq!((stats.written, stats.dropped), (2, 0));
    let want = [
        "INFO  record 0".to_owned(),
        "INFO  record 1".to_owned(),
        "INFO  record 2".to_owned(),
        format!("WARN  crash-safe recovery: 1 records recovered from process {pid} (generation 1), 0 torn or corrupt records skipped; {} cut from 60 to 45 bytes (a batch in flight at the crash, written again)", log.display()),
        "INFO  record 3".to_owned(),
    ];
    assert_eq!(read_lines(&log), want);
}
