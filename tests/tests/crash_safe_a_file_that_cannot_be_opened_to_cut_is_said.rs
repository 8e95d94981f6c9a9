//! Crash-safe recovery that finds a file past its committed length (the
//! batch in flight at the crash is in it) but cannot open it to cut it
//! (append-only, `chattr +a`: only `O_APPEND` opens are allowed) says so
//! in its recovery record, as it says a cut that fails: the records of the
//! batch in flight are then in the file twice, and the reader is told why,
//! instead of the file being passed over as if it were not found.
//!
//! So too when the file opened at its path cannot be told to be the one
//! the state file names (`fstat` of the descriptor fails: `EIO`, injected
//! under `strace`, see `failing_start`): it was passed over as if it were
//! not found, unsaid, the batch in flight then twice in the file.
//!
//! The dead process is a child (this test binary, re-executed): it
//! commits three records, logs three more and dies by `SIGKILL` in a hook
//! sink placed after its file sink, at the first batch after the commit:
//! that batch is in the file, not committed.

use std::sync::atomic::{AtomicBool, Ordering};
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{kill_child, kill_self, plain, recover_plain, Dead, Hook};
use uringlog_tests::failing_start::{child_if_asked, start_failing_at};
use uringlog_tests::{read_lines, set_append_only, wait_for};

const CHILD: &str = "URINGLOG_UNOPENABLE_CUT_CHILD";

static FLUSHED: AtomicBool = AtomicBool::new(false);
static LOGGED: AtomicBool = AtomicBool::new(false);

fn die(dir: &str, log: &str) -> ! {
    let (logger, _guard) = Logger::builder()
        .sink(FileSink::new(log).unwrap())
        .sink(Hook::new(|_| {
            if FLUSHED.load(Ordering::SeqCst) {
                wait_for("records 3..6", || LOGGED.load(Ordering::SeqCst));
                kill_self()
            }
        }))
        .format(plain())
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
        uringlog::info!(logger, "record {}", i);
    }
    LOGGED.store(true, Ordering::SeqCst);
    let _ = logger.flush();
    unreachable!("the hook kills at the next batch");
}

/// The lines of records `r`, as the child logs them.
fn records(r: std::ops::Range<u32>) -> Vec<String> {
    r.map(|i| format!("INFO  record {i}")).collect()
}

/// Kills the child of test `name` at its first batch after a commit, runs
/// `recover` on its directory and log, and checks that the recovery
/// record says the log could not be opened to cut, because `why`: the
/// batch in flight is then in it twice.
fn says_it_is_not_cut(name: &str, recover: impl FnOnce(&Dead), why: &str) {
    let dead = kill_child(name, CHILD, die);
    let mut want = read_lines(&dead.log);
    assert_eq!(want[..3], records(0..3));
    assert!(want.len() > 3, "the batch in flight is in the file");
    let grown = std::fs::metadata(&dead.log).unwrap().len();
    recover(&dead);
    want.push(format!(
        "WARN  crash-safe recovery: 3 records recovered from process {} (generation 1), 0 torn or corrupt records skipped; {} could not be opened to cut from {grown} to 45 bytes: {why}; records of the batch in flight at the crash may be in it twice",
        dead.pid,
        dead.log.display()
    ));
    want.extend(records(3..6));
    assert_eq!(read_lines(&dead.log), want);
}

#[test]
fn an_append_only_file_is_not_cut_and_the_recovery_record_says_why() {
    const NAME: &str = "an_append_only_file_is_not_cut_and_the_recovery_record_says_why";
    let recover = |d: &Dead| {
        set_append_only(&d.log, true);
        let recovered = std::panic::catch_unwind(|| recover_plain(&d.dir, &d.log));
        set_append_only(&d.log, false);
        recovered.unwrap();
    };
    says_it_is_not_cut(NAME, recover, "Operation not permitted (os error 1)");
}

#[test]
fn a_file_that_cannot_be_told_to_be_the_one_named_is_not_cut_and_the_recovery_record_says_why() {
    const NAME: &str = "a_file_that_cannot_be_told_to_be_the_one_named_is_not_cut_and_the_recovery_record_says_why";
    child_if_asked();
    // The writer's first `statx` of the log looks at its path, the second
    // at the descriptor opened there.
    let recover = |d: &Dead| {
        let said = start_failing_at(NAME, &d.dir, &d.log, (&d.log, "statx", "EIO"), "2");
        assert_eq!(said, "BUILT []");
    };
    let why = "cannot tell the file opened is it: Input/output error (os error 5)";
    says_it_is_not_cut(NAME, recover, why);
}
